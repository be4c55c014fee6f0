"""Find Hikvision devices with SADP, and activate one over the LAN (``hikvision.md`` §13).

:func:`discover_sadp` sends an ``inquiry`` and turns every ``<ProbeMatch>`` echoing its Uuid into a
:class:`~camvault.fleet.discovery.records.DiscoveredDevice`; anything else (other tools' traffic, Hellos,
malformed or hostile datagrams) is ignored. :func:`activate_over_sadp` runs ``exchangecode`` then ``activate``
(§13.5) against one device, named by its MAC as SADP commands must be.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field

from camvault.errors import CryptoError, DeviceError, DeviceTimeout, InvalidContent, ProtocolError
from camvault.fleet.discovery.records import DiscoveredDevice, DiscoveryProtocol, Findings, canonical_mac
from camvault.fleet.discovery.transport import Probing, exchange
from camvault.protocols import sadp
from camvault.protocols.isapi import activation
from camvault.protocols.sadp import ActionResponse, ProbeMatch, Result, SadpCommand

__all__ = ["SadpActivation", "activate_over_sadp", "discover_sadp", "record_from_probe_match"]

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
    key = client_key or activation.ActivationClientKey.generate()
    exchange_command = SadpCommand(
        uuid=sadp.new_uuid(),
        types="exchangecode",
        mac=target,
        fields={"Code": activation.sadp_exchange_public_key(key)},
    )
    reply = await _command(exchange_command, address, port, answer_seconds)
    if reply.result is not Result.SUCCESS or not reply.code:
        return SadpActivation(reply.result, target)
    try:
        random_text = key.decrypt_sadp_code(reply.code)
    except (CryptoError, InvalidContent, ProtocolError):
        raise DeviceError(address, "the SADP key exchange answer does not decrypt") from None
    encrypted = activation.sadp_encrypt_password(random_text, password)
    activate = SadpCommand(uuid=sadp.new_uuid(), types="activate", mac=target, fields={"Password": encrypted})
    verdict = await _command(activate, address, port, answer_seconds)
    return SadpActivation(verdict.result, target)
