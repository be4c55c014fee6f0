"""The lab's SADP responder: inquiry, Hello at boot, and the commands (activation, vendor-support reset).

Research ``hikvision.md`` §13. Every Hikvision device of the lab (cameras and NVRs; the generic ONVIF camera
does not speak SADP) answers an ``inquiry``/``inquiry_v32`` with a ``<ProbeMatch>`` built by
:func:`device_record` from its model, echoing the probe's ``Uuid`` and ``Types``; an inquiry naming a ``MAC``
is answered only by that device. A command is acted on only by the device whose MAC it names: commands for
another MAC, or without one, are ignored (§13.2, device behaviour inferred there).

Commands are a table, ``Types`` → handler (:data:`DEFAULT_COMMANDS`), so the reset commands of §13.4
(``getencryptstring``, ``reset``...) slot in by passing a larger table. A handler gets a
:class:`SadpContext` (the device, the requester's address, the responder's key-exchange store) and returns the
:class:`~camvault.protocols.sadp.ActionResponse`. Unknown commands are ignored, as a device that does not
implement one would.

Activation from the LAN (§13.5): ``exchangecode`` carries the client's RSA public key; the device draws a
random text ``R`` (32 hex digits, as for ISAPI), remembers it for that requester for
:data:`EXCHANGE_SECONDS`, and answers it encrypted; ``activate`` carries the password AES-encrypted under
``R``; the device decrypts it and activates. Results: ``success``; ``denied`` when the password does not
decrypt under the exchanged key (or no exchange happened: a credential problem); ``failure`` when the device
is already active or refuses the password by its policy. Which ``Result`` real firmware picks for each is not
documented; these are our choices.

Vendor-support reset from the LAN (§13.4 ``getencryptstring``/``reset``, §14.1; the model side is
:mod:`camvault.device.model.vendor_support`). The notes have the command names and fields but not their
payloads (§16 gap 7); ours:

* ``getencryptstring`` (and ``getencryptstring_v31``), ``MAC`` only, no password: the device exports a new
  signed reset request (replacing the pending one) and answers it in ``<Code>`` as
  ``base64(zlib(request file))`` (:func:`compact_request`). The armored file is about 1.3 KB, 1.7 KB in
  base64: more than the 1472-byte UDP payload of one Ethernet frame, so the reply would be IP-fragmented,
  which some switches and firewalls drop. Deflated it is about 0.9 KB, and the whole reply fits one frame.
  The client inflates ``<Code>`` back to the byte-identical file and sends that to support.
* ``reset`` with ``Code`` and ``Password``, after an ``exchangecode``: both are encrypted exactly like
  ``activate``'s password under the exchanged ``R`` (§13.5); ``Code`` is the typed code without separators
  (125 symbols fit the 128-byte field). ``success``: the password is set (and, if the code says so, an NVR's
  channel passwords; its agent uses them from its next scheduled check). ``denied``: a credential problem
  (no key exchange, a field that does not decrypt, a code that was checked and failed); ``failure``: a
  refusal that tested nothing (no pending request, a malformed code or a typo, a password the policy
  refuses, a device without the method). A field ``<Reason>`` [ours] names the reason in the words of the
  model (``bad_signature``, ``expired``, ``riskPassword``...). Checked failures and fields that do not
  decrypt count in the requester's illegal-login lock.
* On firmware exposed to the legacy security code (before V5.3.0, §14.2), ``reset`` takes ``Code`` in clear
  (that firmware predates ``exchangecode``) and, when it is the serial-plus-date code, sets the admin
  password back to ``12345``; ``Password`` is ignored, as the SADP tool's method-1 dialog has no password
  field (§14.1). Current firmware never accepts it.
"""

from __future__ import annotations

import base64
import logging
import secrets
import zlib
from collections import OrderedDict
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from random import Random
from typing import Final

from camvault.device.discovery.base import Discoverable, Responder
from camvault.device.discovery.network import Arrival
from camvault.device.model import FirmwareVersion, Kind
from camvault.device.model import vendor_support as vs
from camvault.device.model.identity import ProductLine
from camvault.device.model.recovery import record_failed_proof, recovery_supported
from camvault.errors import CryptoError, DeviceRefusal, InvalidContent, MessageTooLarge, ProtocolError
from camvault.protocols import sadp
from camvault.protocols.isapi import activation
from camvault.protocols.isapi.documents import utc_offset_of
from camvault.protocols.sadp import ActionResponse, DeviceRecord, Result, SadpCommand

__all__ = [
    "CAP2_DEVICE_TYPE",
    "DEFAULT_COMMANDS",
    "EXCHANGE_SECONDS",
    "SadpCommandHandler",
    "SadpContext",
    "SadpResponder",
    "activate",
    "compact_request",
    "device_record",
    "exchange_code",
    "get_encrypt_string",
    "reset_password",
]

log = logging.getLogger(__name__)

EXCHANGE_SECONDS: Final = 120.0
"""How long an exchanged key stays usable (the ISAPI challenge's lifetime on the same device)."""
CAP2_DEVICE_TYPE: Final = 141945
"""``DeviceType`` of the DS-2CD2385G1-I capture (§13.3); the code of other models is not known."""
_MAX_EXCHANGES = 1024
_COMMAND_PORT = 8000
_TLS_PORT = 8443
_DSP_VERSION = "V7.3 build 190626"  # CAP2's; the emulator has no DSP firmware of its own


def _newer_generation(device: Discoverable) -> bool:
    """Firmware whose ProbeMatch carries the SDK* and MailBox fields (CAP2 has them, CAP1 on V5.5.6 not)."""
    firmware = device.model.firmware
    threshold = (
        FirmwareVersion(4, 0, 0) if firmware.line is ProductLine.RECORDER else FirmwareVersion(5, 6, 0)
    )
    return firmware.version >= threshold


def _boot_time(device: Discoverable) -> datetime:
    """``BootTime`` is the device's local wall-clock time (§13.3), hence the zone offset and no tzinfo."""
    model = device.model
    try:
        offset = utc_offset_of(model.settings.time_zone)
    except InvalidContent:
        offset = timedelta(0)
    return (model.boot_time + offset).replace(tzinfo=None, microsecond=0)


def device_record(device: Discoverable, requester: str | None = None) -> DeviceRecord:
    """The device's ``<ProbeMatch>``/``<Hello>`` fields, in CAP2's shape (§13.3).

    Fields the model has no value for are filled as CAP2 shows them for a camera (ports 8000/8443, DSP
    version, OEM code 1, no reset ability); fields a firmware generation does not send are left out: the
    activation, salt and password-reset fields before activation existed (V5.3.0), the SDK-over-TLS and
    mailbox fields before V5.6.0 (CAP1). ``DeviceLock`` reports whether the *requester's* address is locked
    out, the lock being per address (§8) [I: what the real field means is not documented].
    """
    model = device.model
    identity = model.identity
    firmware = model.firmware
    modern = firmware.requires_activation
    newer = _newer_generation(device)
    nvr = identity.kind is Kind.NVR
    return DeviceRecord(
        mac=identity.mac,
        ipv4_address=device.address,
        description=identity.model,
        serial=identity.serial,
        device_type=None if nvr else CAP2_DEVICE_TYPE,
        command_port=_COMMAND_PORT,
        http_port=device.http_port,
        ipv4_subnet_mask="255.0.0.0" if device.address.startswith("127.") else "255.255.255.0",
        ipv4_gateway="0.0.0.0",  # noqa: S104 - no gateway, as an isolated lab device reports it
        ipv6_address="::",
        ipv6_gateway="::",
        ipv6_mask_len=64,
        dhcp=False,
        analog_channels=0,
        digital_channels=identity.channels,
        software_version=sadp.format_software_version(str(firmware.version), firmware.build),
        dsp_version=_DSP_VERSION,
        boot_time=_boot_time(device),
        encrypt=True,
        reset_ability=False,
        disk_number=1 if identity.has_storage else 0,
        activated=model.activated if modern else None,
        password_reset_ability=True if modern else None,
        password_reset_mode_second=True if modern else None,
        detail_oem_code=1,
        support_security_question=recovery_supported(firmware) if modern else None,
        support_hc_platform=True,
        hc_platform_enable=False,
        is_modify_verification_code=True if modern else None,
        salt=identity.salt if modern else None,
        device_lock=model.lock_status(requester).locked if requester is not None else False,
        sdk_over_tls_port=_TLS_PORT if newer else None,
        sdk_server_status=True if newer else None,
        sdk_over_tls_server_status=True if newer else None,
        support_mailbox=True if newer else None,
    )


def speaks_sadp(device: Discoverable) -> bool:
    """Whether a device answers SADP (Hikvision cameras and recorders)."""
    return device.model.identity.kind is not Kind.ONVIF_CAMERA


# ------------------------------------------------------------------ commands


@dataclass(slots=True)
class SadpContext:
    """What a command handler may use.

    Attributes:
        device: the device the command names.
        requester: the sender's address.
        responder: the responder, for its key-exchange store.
    """

    device: Discoverable
    requester: str
    responder: SadpResponder

    def _key(self) -> tuple[str, str]:
        return (self.device.model.identity.mac, self.requester)

    def remember_key(self, random_text: str) -> None:
        """Keep the exchanged random text for this device and requester."""
        store = self.responder.exchanges
        store[self._key()] = (random_text, self.device.model.monotonic() + EXCHANGE_SECONDS)
        store.move_to_end(self._key())
        while len(store) > _MAX_EXCHANGES:
            store.popitem(last=False)

    def take_key(self) -> str | None:
        """Spend the exchanged random text, if one is live."""
        entry = self.responder.exchanges.pop(self._key(), None)
        if entry is None or entry[1] < self.device.model.monotonic():
            return None
        return entry[0]

    def respond(
        self, command: SadpCommand, result: Result, *, code: str | None = None, reason: str | None = None
    ) -> ActionResponse:
        """The device's answer to ``command``, with the ``<Reason>`` of a refusal when there is one."""
        return ActionResponse(
            command.uuid,
            command.types,
            result,
            mac=self.device.model.identity.mac,
            code=code,
            fields={"Reason": reason} if reason is not None else {},
        )


SadpCommandHandler = Callable[[SadpContext, SadpCommand], ActionResponse]


def exchange_code(context: SadpContext, command: SadpCommand) -> ActionResponse:
    """``exchangecode``: encrypt a fresh random text to the client's RSA key (§13.5 steps 1-2)."""
    public_key = command.text("Code")
    if not public_key:
        return context.respond(command, Result.FAILURE)
    random_text = activation.new_random_text(context.responder.random_bytes)
    try:
        code = activation.sadp_build_code(public_key, random_text)
    except (InvalidContent, MessageTooLarge):
        return context.respond(command, Result.FAILURE)
    context.remember_key(random_text)
    return context.respond(command, Result.SUCCESS, code=code)


def activate(context: SadpContext, command: SadpCommand) -> ActionResponse:
    """``activate``: decrypt the new password under the exchanged key and activate (§13.5 step 3)."""
    model = context.device.model
    if model.activated:
        return context.respond(command, Result.FAILURE)
    random_text = context.take_key()
    field = command.text("Password")
    if random_text is None or not field:
        return context.respond(command, Result.DENIED)
    try:
        password = activation.sadp_decrypt_password(random_text, field)
    except (CryptoError, InvalidContent, MessageTooLarge):
        return context.respond(command, Result.DENIED)
    try:
        model.activate(password)
    except DeviceRefusal:
        return context.respond(command, Result.FAILURE)
    return context.respond(command, Result.SUCCESS)


def compact_request(request_file: bytes) -> str:
    """The ``<Code>`` of a ``getencryptstring`` reply: ``base64(zlib(request file))`` (see the module docstring)."""
    return base64.b64encode(zlib.compress(request_file, 9)).decode("ascii")


def get_encrypt_string(context: SadpContext, command: SadpCommand) -> ActionResponse:
    """``getencryptstring``: export a new signed reset request, compact, in ``<Code>`` (no password needed)."""
    try:
        exported = vs.export_request(context.device.model, source=context.requester)
    except DeviceRefusal as refusal:
        return context.respond(command, Result.FAILURE, reason=refusal.reason)
    return context.respond(command, Result.SUCCESS, code=compact_request(exported.content))


def reset_password(context: SadpContext, command: SadpCommand) -> ActionResponse:
    """``reset``: a vendor-support code and a new password, or the legacy security code on old firmware."""
    model = context.device.model
    if model.firmware.legacy_security_code:
        return _legacy_reset(context, command)
    if not model.activated:
        return context.respond(command, Result.FAILURE, reason="notActivated")
    if not vs.support_available(model):
        return context.respond(command, Result.FAILURE, reason="notSupport")
    random_text = context.take_key()
    code_field, password_field = command.text("Code"), command.text("Password")
    if random_text is None or not code_field or not password_field:
        return context.respond(command, Result.DENIED, reason="noKeyExchange")
    try:
        code = activation.sadp_decrypt_password(random_text, code_field)
        password = activation.sadp_decrypt_password(random_text, password_field)
    except (CryptoError, InvalidContent, MessageTooLarge):
        record_failed_proof(model, source=context.requester, recovery=False)
        return context.respond(command, Result.DENIED, reason="undecryptable")
    try:
        verdict = vs.reset_with_code(model, code, password, source=context.requester)
    except DeviceRefusal as refusal:
        return context.respond(command, Result.FAILURE, reason=refusal.reason)
    return _verdict_response(context, command, verdict)


def _legacy_reset(context: SadpContext, command: SadpCommand) -> ActionResponse:
    code = command.text("Code")
    if not code:
        return context.respond(command, Result.FAILURE, reason="badParameters")
    verdict = vs.reset_with_legacy_code(context.device.model, code, source=context.requester)
    return _verdict_response(context, command, verdict)


def _verdict_response(context: SadpContext, command: SadpCommand, verdict: vs.CodeVerdict) -> ActionResponse:
    if verdict.accepted:
        return context.respond(command, Result.SUCCESS)
    return context.respond(
        command, Result.DENIED if verdict.checked else Result.FAILURE, reason=verdict.reason
    )


DEFAULT_COMMANDS: Final[Mapping[str, SadpCommandHandler]] = {
    "exchangecode": exchange_code,
    "activate": activate,
    "getencryptstring": get_encrypt_string,
    "getencryptstring_v31": get_encrypt_string,
    "reset": reset_password,
}
"""The commands the lab implements (§13.4): activation and the vendor-support reset."""


# ------------------------------------------------------------------ the responder


class SadpResponder(Responder):
    """Answers SADP for every Hikvision device of a lab (see the module docstring).

    Args:
        devices: returns the lab's devices.
        port: UDP port (the real one is 37020).
        interfaces: further local interface addresses to answer on.
        commands: the command table.
        max_delay: reply jitter bound (see :mod:`camvault.device.discovery.base`).
        rng: randomness for the jitter.
        random_bytes: the source of the key exchange's random texts (:mod:`secrets` by default).
    """

    protocol = "SADP"
    group = sadp.MULTICAST_GROUP

    def __init__(
        self,
        devices: Callable[[], Collection[Discoverable]],
        *,
        port: int = sadp.PORT,
        interfaces: Sequence[str] = (),
        commands: Mapping[str, SadpCommandHandler] = DEFAULT_COMMANDS,
        max_delay: float = 0.5,
        rng: Random | None = None,
        random_bytes: activation.RandomBytes = secrets.token_bytes,
    ) -> None:
        super().__init__(devices, port=port, interfaces=interfaces, max_delay=max_delay, rng=rng)
        self.random_bytes = random_bytes
        self.commands = {name.lower(): handler for name, handler in commands.items()}
        self.exchanges: OrderedDict[tuple[str, str], tuple[str, float]] = OrderedDict()

    def on_datagram(self, arrival: Arrival) -> None:
        """Answer an inquiry or act on a command; drop everything else."""
        try:
            message = sadp.decode(arrival.data)
        except ProtocolError:
            self.ignored += 1
            return
        if not isinstance(message, SadpCommand):
            return  # another device's ProbeMatch or Hello
        devices = [device for device in self.reached(arrival) if speaks_sadp(device)]
        if message.types.lower() in (sadp.INQUIRY, sadp.INQUIRY_V32):
            for device in devices:
                if message.is_addressed_to(device.model.identity.mac):
                    record = device_record(device, arrival.source[0])
                    data = sadp.encode_probe_match(record, uuid=message.uuid, types=message.types)
                    self.reply(device, arrival, data)
            return
        handler = self.commands.get(message.types.lower())
        target = None
        if message.mac is not None:
            target = next((d for d in devices if message.is_addressed_to(d.model.identity.mac)), None)
        if handler is None or target is None:
            self.ignored += 1
            return
        response = handler(SadpContext(target, arrival.source[0], self), message)
        self.reply(target, arrival, sadp.encode_action_response(response), delay=False)

    def device_booted(self, device: Discoverable) -> None:
        """Multicast the device's ``<Hello>`` and forget its key exchanges (a reboot loses them)."""
        mac = device.model.identity.mac
        for key in [key for key in self.exchanges if key[0] == mac]:
            del self.exchanges[key]
        if speaks_sadp(device):
            self.announce(sadp.encode_hello(device_record(device), uuid=sadp.new_uuid()))
