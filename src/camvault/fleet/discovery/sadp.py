"""The SADP client: find Hikvision devices, activate one, and run the vendor-support reset (``hikvision.md`` §13).

:func:`discover_sadp` sends an ``inquiry`` and turns every ``<ProbeMatch>`` echoing its Uuid into a
:class:`~camvault.fleet.discovery.records.DiscoveredDevice`; anything else (other tools' traffic, Hellos,
malformed or hostile datagrams) is ignored. The commands name one device by its MAC, as SADP commands must:

* :func:`activate_over_sadp` runs ``exchangecode`` then ``activate`` (§13.5);
* :func:`export_request_over_sadp` runs ``getencryptstring`` (§13.4) and inflates the compact ``<Code>``
  back to the signed request file for the vendor (the payload is the emulator's, see
  :mod:`camvault.device.discovery.sadp`);
* :func:`reset_over_sadp` runs ``exchangecode`` then ``reset`` with the vendor's code and the new password,
  both encrypted like ``activate``'s password.

SADP needs no working IP configuration on the device's side and no web port, which is why the vendor's own
tool recovers devices this way. Every answer is bounded and checked; codes and passwords never reach a log
or an error message.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import logging
import zlib
from dataclasses import dataclass, field

from camvault.errors import (
    CryptoError,
    DeviceError,
    DeviceProtocolError,
    DeviceRefused,
    DeviceTimeout,
    InvalidContent,
    MessageTooLarge,
    ProtocolError,
    UnsupportedOperation,
)
from camvault.fleet.discovery.records import DiscoveredDevice, DiscoveryProtocol, Findings, canonical_mac
from camvault.fleet.discovery.transport import Probing, exchange
from camvault.protocols import resetcode, sadp
from camvault.protocols.isapi import activation
from camvault.protocols.sadp import ActionResponse, ProbeMatch, Result, SadpCommand

__all__ = [
    "SadpActivation",
    "SadpReset",
    "activate_over_sadp",
    "discover_sadp",
    "export_request_over_sadp",
    "record_from_probe_match",
    "reset_over_sadp",
]

log = logging.getLogger(__name__)


def record_from_probe_match(match: sadp.ProbeMatch | sadp.Hello, source: str) -> DiscoveredDevice:
    """The fleet's record of a SADP ``<ProbeMatch>`` or ``<Hello>``."""
    device = match.device
    return DiscoveredDevice(
        protocol=DiscoveryProtocol.SADP,
        address=device.ipv4_address,
        source=source,
        mac=canonical_mac(device.mac),
        serial=device.serial,
        model=device.description,
        firmware=device.software_version,
        activated=device.activated,
        http_port=device.http_port,
        command_port=device.command_port,
        sadp=device,
    )


async def discover_sadp(
    probing: Probing | None = None, *, port: int = sadp.PORT, uuid: str | None = None
) -> list[DiscoveredDevice]:
    """Inquire and collect the devices that answer, de-duplicated by MAC and serial.

    Args:
        probing: destinations and timing; by default ``127.0.0.1`` only, for 2 seconds. Pass
            ``Probing(targets=(), multicast=True, broadcast=True, interface="192.0.2.7")`` to search a LAN.
        port: the devices' SADP port.
        uuid: the inquiry's Uuid (a fresh upper-case one by default).

    Returns:
        The devices, in the order first seen.

    Raises:
        OSError: the socket cannot be opened or bound.
    """
    chosen = probing or Probing()
    request_uuid = uuid or sadp.new_uuid()
    payload = SadpCommand(uuid=request_uuid, types=sadp.INQUIRY).encode()
    findings = Findings()

    def on_reply(data: bytes, source: str) -> bool:
        try:
            message = sadp.decode(data)
        except ProtocolError:
            log.debug("ignored a malformed SADP datagram from %s", source)
            return False
        if isinstance(message, ProbeMatch) and message.uuid.lower() == request_uuid.lower():
            findings.add(record_from_probe_match(message, source))
        return chosen.until is not None and len(findings) >= chosen.until

    await exchange(payload, port, sadp.MULTICAST_GROUP, chosen, on_reply)
    return findings.devices()


@dataclass(frozen=True, slots=True)
class SadpActivation:
    """The outcome of :func:`activate_over_sadp`.

    Attributes:
        result: the device's ``Result`` (``success``, ``denied``, ``failure``...).
        mac: the device.
    """

    result: Result
    mac: str = field(default="")

    @property
    def ok(self) -> bool:
        """Whether the device is now activated with the password."""
        return self.result is Result.SUCCESS


async def _command(command: SadpCommand, address: str, port: int, wait: float) -> ActionResponse:
    answers: list[ActionResponse] = []

    def on_reply(data: bytes, source: str) -> bool:
        with contextlib.suppress(ProtocolError):
            message = sadp.decode(data)
            if isinstance(message, ActionResponse) and message.uuid == command.uuid:
                answers.append(message)
        return bool(answers)

    probing = Probing(targets=(address,), timeout=wait)
    await exchange(command.encode(), port, sadp.MULTICAST_GROUP, probing, on_reply)
    if not answers:
        raise DeviceTimeout(address, f"no answer to SADP {command.types} within {wait:g} s")
    return answers[0]


async def activate_over_sadp(
    address: str,
    mac: str,
    password: str,
    *,
    port: int = sadp.PORT,
    answer_seconds: float = 5.0,
    client_key: activation.ActivationClientKey | None = None,
) -> SadpActivation:
    """Give an inactive device its admin password over SADP: ``exchangecode`` then ``activate`` (§13.5).

    Args:
        address: where to send the commands (the device's address, or one that reaches it).
        mac: the device's MAC (any common spelling).
        password: the new admin password (never logged; sent only AES-encrypted).
        port: the device's SADP port.
        answer_seconds: how long to wait for each answer.
        client_key: the RSA key for the exchange (a fresh 1024-bit one by default).

    Returns:
        The device's verdict.

    Raises:
        DeviceTimeout: the device did not answer.
        DeviceError: the key exchange failed or its answer does not decrypt.
        InvalidContent: the MAC or the password cannot be sent.
    """
    target = sadp.normalize_mac(mac)
    exchanged = await _exchange_key(address, target, port, answer_seconds, client_key)
    if isinstance(exchanged, ActionResponse):
        return SadpActivation(exchanged.result, target)
    encrypted = activation.sadp_encrypt_password(exchanged, password)
    activate = SadpCommand(uuid=sadp.new_uuid(), types="activate", mac=target, fields={"Password": encrypted})
    verdict = await _command(activate, address, port, answer_seconds)
    return SadpActivation(verdict.result, target)


async def _exchange_key(
    address: str, mac: str, port: int, wait: float, client_key: activation.ActivationClientKey | None
) -> str | ActionResponse:
    """``exchangecode``: the device's random text ``R``, or its refusal."""
    key = client_key or activation.ActivationClientKey.generate()
    command = SadpCommand(
        uuid=sadp.new_uuid(),
        types="exchangecode",
        mac=mac,
        fields={"Code": activation.sadp_exchange_public_key(key)},
    )
    reply = await _command(command, address, port, wait)
    if reply.result is not Result.SUCCESS or not reply.code:
        return reply
    try:
        return key.decrypt_sadp_code(reply.code)
    except (CryptoError, InvalidContent, ProtocolError):
        raise DeviceError(address, "the SADP key exchange answer does not decrypt") from None


# ---------------------------------------------------------------------- vendor-support reset


@dataclass(frozen=True, slots=True)
class SadpReset:
    """The outcome of :func:`reset_over_sadp`.

    Attributes:
        result: the device's ``Result``: ``success``; ``denied`` for a credential problem (a code that was
            checked and failed, which counts against the lock); ``failure`` for a refusal that tested
            nothing (no pending request, a mistyped code, a password the policy refuses).
        reason: the device's ``Reason`` [ours], when it looks like an identifier.
        mac: the device.
    """

    result: Result
    reason: str | None = None
    mac: str = ""

    @property
    def ok(self) -> bool:
        """Whether the device now has the new password."""
        return self.result is Result.SUCCESS


async def export_request_over_sadp(
    address: str, mac: str, *, port: int = sadp.PORT, answer_seconds: float = 5.0
) -> bytes:
    """Export a new signed reset request with ``getencryptstring`` (no password; it replaces the pending one).

    Args:
        address: where to send the command (the device's address, or one that reaches it).
        mac: the device's MAC (any common spelling).
        port: the device's SADP port.
        answer_seconds: how long to wait for the answer.

    Returns:
        The request file to send to the vendor, checked to be one (byte-identical to an ISAPI export).

    Raises:
        DeviceTimeout: the device did not answer.
        UnsupportedOperation: the device has no vendor-support reset (``notSupport``).
        DeviceRefused: the device refused otherwise (its reason in the message).
        DeviceProtocolError: the answer does not hold a request file, or an oversized one.
        InvalidContent: the MAC cannot be sent.
    """
    target = sadp.normalize_mac(mac)
    command = SadpCommand(uuid=sadp.new_uuid(), types="getencryptstring", mac=target)
    reply = await _command(command, address, port, answer_seconds)
    if reply.result is not Result.SUCCESS:
        why = reply.reason or reply.result.value
        refusal = UnsupportedOperation if reply.reason == "notSupport" else DeviceRefused
        raise refusal(address, f"the device refused to export a reset request over SADP ({why})")
    if not reply.code:
        raise DeviceProtocolError(address, "the getencryptstring answer carries no request")
    try:
        return _inflate_request(reply.code)
    except (ProtocolError, InvalidContent) as exc:
        raise DeviceProtocolError(
            address, f"the getencryptstring answer is not a request file: {exc}"
        ) from None


def _inflate_request(code: str) -> bytes:
    """``base64(zlib(request file))`` back to the file, never inflating past the file's size bound.

    The SADP codec already bounds ``<Code>`` (4096 characters); deflate can still expand that a
    thousandfold, hence the bound on the output.
    """
    try:
        deflated = base64.b64decode(code, validate=True)
        inflater = zlib.decompressobj()
        data = inflater.decompress(deflated, resetcode.MAX_REQUEST_FILE_BYTES + 1)
    except (binascii.Error, ValueError, zlib.error):
        raise InvalidContent("the compact request is not base64 of deflated data") from None
    if len(data) > resetcode.MAX_REQUEST_FILE_BYTES or inflater.unconsumed_tail:
        raise MessageTooLarge(f"the request file inflates past {resetcode.MAX_REQUEST_FILE_BYTES} bytes")
    if not inflater.eof or inflater.unused_data:
        raise InvalidContent("the compact request is truncated or has trailing data")
    resetcode.decode_request_file(data)
    return data


async def reset_over_sadp(
    address: str,
    mac: str,
    code: str | bytes,
    new_password: str,
    *,
    port: int = sadp.PORT,
    answer_seconds: float = 5.0,
    client_key: activation.ActivationClientKey | None = None,
) -> SadpReset:
    """Set a new admin password with the vendor's code: ``exchangecode`` then ``reset``.

    Args:
        address: where to send the commands.
        mac: the device's MAC (any common spelling).
        code: the typed code (separators are dropped), or the code file (sent as its typed form).
        new_password: the new admin password (never logged; sent only AES-encrypted under the exchange).
        port: the device's SADP port.
        answer_seconds: how long to wait for each answer.
        client_key: the RSA key for the exchange (a fresh one by default).

    Returns:
        The device's verdict (a refused key exchange is reported as that refusal).

    Raises:
        DeviceTimeout: the device did not answer.
        DeviceError: the key exchange answer does not decrypt.
        InvalidContent: the MAC, the code or the password cannot be sent; nothing was.
    """
    target = sadp.normalize_mac(mac)
    typed = _typed_code(code)
    exchanged = await _exchange_key(address, target, port, answer_seconds, client_key)
    if isinstance(exchanged, ActionResponse):
        return SadpReset(exchanged.result, exchanged.reason, target)
    fields = {
        "Code": activation.sadp_encrypt_password(exchanged, typed),
        "Password": activation.sadp_encrypt_password(exchanged, new_password),
    }
    command = SadpCommand(uuid=sadp.new_uuid(), types="reset", mac=target, fields=fields)
    verdict = await _command(command, address, port, answer_seconds)
    return SadpReset(verdict.result, verdict.reason, target)


def _typed_code(code: str | bytes) -> str:
    """The code as ``reset`` carries it: the typed form without blanks or dashes."""
    if isinstance(code, bytes):
        try:
            code = resetcode.encode_typed_code(resetcode.decode_code_file(code))
        except (ProtocolError, InvalidContent, CryptoError):
            raise InvalidContent("the code file cannot be read", field="Code") from None
    typed = "".join(code.split()).replace("-", "")
    if not typed:
        raise InvalidContent("the code is empty", field="Code")
    return typed
