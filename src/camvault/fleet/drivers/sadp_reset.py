"""The vendor-support reset of a Hikvision device over SADP, with the attempt budget, for the recovery guide.

:class:`SadpVendorReset` offers the same two methods as the Hikvision driver's ISAPI route
(:meth:`~camvault.fleet.drivers.hikvision.HikvisionDriver.export_reset_request` and
:meth:`~camvault.fleet.drivers.hikvision.HikvisionDriver.reset_with_code`) and raises the same errors, so the
guide can take either. The owner picks SADP when the device's web port is out of reach or its firmware has
no ISAPI route for the reset: the vendor's own tool recovers devices this way (``hikvision.md`` §13.4, §14.1).

The code is an unguessable secret: it is sent while the device's lock is engaged, a refused one is never
resent (:meth:`AttemptBudget.spend <camvault.fleet.drivers.budget.AttemptBudget.spend>`), and a ``denied``
answer counts as one failure, as the device counts it.
"""

from __future__ import annotations

from camvault.errors import (
    AuthenticationFailed,
    DeviceError,
    DeviceNotActivated,
    DeviceRefused,
    DeviceUnreachable,
    InvalidContent,
    UnsupportedOperation,
)
from camvault.fleet.discovery.sadp import SadpReset, export_request_over_sadp, reset_over_sadp
from camvault.fleet.drivers import _recovery
from camvault.fleet.drivers.budget import AttemptBudget
from camvault.protocols import sadp
from camvault.protocols.sadp import Result

__all__ = ["SadpVendorReset"]


class SadpVendorReset:
    """The vendor-support reset of one device over SADP.

    Args:
        address: where SADP commands go (the device's address, or one that reaches it).
        mac: the device's MAC, which every SADP command names.
        budget: the shared attempt budget.
        name: how the device is named in errors and in the budget (the driver's name for it).
        port: the device's SADP port.
        answer_seconds: how long to wait for each answer.
    """

    def __init__(
        self,
        address: str,
        mac: str,
        *,
        budget: AttemptBudget,
        name: str,
        port: int = sadp.PORT,
        answer_seconds: float = 5.0,
    ) -> None:
        self.address = address
        self.mac = mac
        self.budget = budget
        self.name = name
        self.port = port
        self.answer_seconds = answer_seconds

    async def export_reset_request(self) -> bytes:
        """Export a new signed reset request (``getencryptstring``); it replaces the device's pending one.

        Raises:
            UnsupportedOperation: the device offers no vendor-support reset.
            DeviceRefused, DeviceTimeout, DeviceProtocolError: as
                :func:`~camvault.fleet.discovery.sadp.export_request_over_sadp`, named by :attr:`name`.
        """
        try:
            return await export_request_over_sadp(
                self.address, self.mac, port=self.port, answer_seconds=self.answer_seconds
            )
        except DeviceError as problem:
            raise type(problem)(self.name, problem.reason) from None

    async def reset_with_code(self, code: str | bytes, new_password: str) -> None:
        """Set a new admin password with the vendor's code (``exchangecode`` then ``reset``).

        Raises:
            AuthenticationFailed: the device checked the code and refused it (``denied``; counted), or this
                code was already refused (nothing sent).
            DeviceRefused: a code or password that cannot be sent, or a refusal that tested nothing (no
                pending request, a mistyped code, a password the policy refuses), with the device's reason.
            UnsupportedOperation, DeviceNotActivated, DeviceTimeout, DeviceError.
        """
        try:
            _recovery.check_code(code)
            _recovery.check_new_password(new_password)
        except InvalidContent as exc:
            raise DeviceRefused(self.name, f"{exc}; nothing was sent") from None
        attempt = _recovery.code_attempt(code)
        try:
            self.budget.spend(self.name, attempt, unguessable=True)
        except AuthenticationFailed:
            raise AuthenticationFailed(
                self.name, "the device already rejected this reset code; not sending it again"
            ) from None
        try:
            outcome = await reset_over_sadp(
                self.address, self.mac, code, new_password, port=self.port, answer_seconds=self.answer_seconds
            )
        except InvalidContent as exc:
            raise DeviceRefused(self.name, f"{exc}; nothing was sent") from None
        except DeviceUnreachable as problem:
            self.budget.record_unconfirmed(self.name)
            raise type(problem)(self.name, problem.reason) from None
        except DeviceError as problem:
            raise type(problem)(self.name, problem.reason) from None
        self._settle(outcome, attempt)

    def _settle(self, outcome: SadpReset, attempt: str) -> None:
        why = outcome.reason or outcome.result.value
        if outcome.ok:
            self.budget.record_success(self.name)
            self.budget.forget_rejections(self.name)
            return
        if outcome.result is Result.DENIED:
            if outcome.reason != "noKeyExchange":
                self.budget.record_failure(self.name, attempt)
            raise AuthenticationFailed(self.name, f"the device rejected the reset code over SADP ({why})")
        if outcome.reason == "notSupport":
            raise UnsupportedOperation(self.name, "the device does not support the reset code over SADP")
        if outcome.reason == "notActivated":
            raise DeviceNotActivated(self.name, "the device is not activated yet")
        raise DeviceRefused(self.name, f"the device refused the reset code over SADP ({why})")
