"""ISAPI ``/System`` and activation handlers (research notes §3, §7, §10).

Activation (§7): ``GET /SDK/activateStatus`` answers without authentication; ``POST
/ISAPI/Security/challenge`` takes the client's RSA public key (``<PublicKey>`` or ``<Challenge>`` root) and
returns a random text encrypted to it; ``PUT /ISAPI/System/activate`` carries the AES-encrypted password.
The pending random text is kept per client IP for two minutes.

Maintenance (§10): ``reboot`` and ``factoryReset?mode=basic|full`` answer OK and then take the device off
the network for its boot time; ``configurationData`` exports an encrypted file with the user's secret key
and imports it on the same model only (see :mod:`camvault.device.model.configuration`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from weakref import WeakKeyDictionary

from camvault.device.http import Response
from camvault.device.isapi.call import XML_CONTENT_TYPE, Call
from camvault.device.model import DeviceModel, Kind, ResetMode, configuration
from camvault.errors import CryptoError, DeviceRefusal, ProtocolError
from camvault.protocols import xml
from camvault.protocols.isapi import activation
from camvault.protocols.isapi.documents import (
    ActivateInfo,
    ActivateStatus,
    ChallengeRequest,
    ChallengeResponse,
    DeviceInfo,
    DeviceInfoUpdate,
    Time,
    TimeMode,
    encode,
)

__all__ = [
    "activate",
    "activate_status",
    "challenge",
    "configuration_export",
    "configuration_import",
    "device_info",
    "device_status",
    "factory_reset",
    "get_time",
    "put_device_info",
    "put_time",
    "reboot",
    "system_capabilities",
]


# ------------------------------------------------------------------ activation (§7)


def activate_status(call: Call) -> Response:
    """``GET /SDK/activateStatus``: no authentication, even on an active device."""
    return call.reply(ActivateStatus(activated=call.model.activated))


def challenge(call: Call) -> Response:
    """``POST /ISAPI/Security/challenge``: encrypt a fresh random text to the client's key."""
    request = call.document(ChallengeRequest)
    random_text = call.model.begin_activation(call.request.peer)
    try:
        key = activation.build_challenge(request.key, random_text)
    except (CryptoError, ProtocolError):
        raise DeviceRefusal("badParameters", "the public key is not a usable RSA modulus") from None
    return call.reply(ChallengeResponse(key=key))


def activate(call: Call) -> Response:
    """``PUT /ISAPI/System/activate``: decrypt the password with the pending random text, activate."""
    info = call.document(ActivateInfo)
    if call.model.activated:
        raise DeviceRefusal("hasActivated", "the device is already activated")
    random_text = call.model.activation_secret(call.request.peer)
    if random_text is None:
        raise DeviceRefusal("invalidOperation", "no pending activation challenge for this client")
    try:
        password = activation.decrypt_password(random_text, info.password)
    except (CryptoError, ProtocolError):
        raise DeviceRefusal("badParameters", "the password does not decrypt with the challenge") from None
    call.model.activate(password, source=call.request.peer)
    return call.ok()


# ------------------------------------------------------------------ device information (§3)


def _device_info(call: Call) -> DeviceInfo:
    model = call.model
    identity = model.identity
    return DeviceInfo(
        model=identity.model,
        serial_number=identity.serial,
        mac_address=identity.mac,
        firmware_version=str(model.firmware.version),
        device_name=model.settings.device_name,
        device_id=identity.device_uuid,
        device_description="IPCamera" if identity.kind is Kind.IPC else "NVR",
        device_location=model.settings.device_location,
        system_contact="Hikvision.China",
        firmware_released_date=model.firmware.build_text,
        encoder_version="V7.3",
        encoder_released_date=model.firmware.build_text,
        boot_version="V1.3.4",
        boot_released_date="100316",
        hardware_version="0x0",
        device_type="IPCamera" if identity.kind is Kind.IPC else "NVR",
        telecontrol_id=88,
        support_beep=identity.kind is Kind.NVR,
        support_video_loss=identity.kind is Kind.NVR,
        firmware_version_info="B-R-G1-0",
    )


_DEVICE_INFO: WeakKeyDictionary[DeviceModel, tuple[int, bytes]] = WeakKeyDictionary()


def device_info(call: Call) -> Response:
    """``GET /ISAPI/System/deviceInfo``, rendered once per change of the device's state.

    It is the call every client makes first and most (pyhik, hikvisionapi, NVR agents, the fleet), so its
    document is cached per device and revision.
    """
    cached = _DEVICE_INFO.get(call.model)
    if cached is None or cached[0] != call.model.revision:
        cached = (call.model.revision, encode(_device_info(call), namespace=call.namespace))
        _DEVICE_INFO[call.model] = cached
    return Response(200, [("Content-Type", XML_CONTENT_TYPE)], cached[1])


def put_device_info(call: Call) -> Response:
    """``PUT /ISAPI/System/deviceInfo``: rename the device (Administrators only)."""
    call.require_administrator()
    update = call.document(DeviceInfoUpdate)
    call.model.rename(update.device_name)
    if update.device_location is not None:
        call.model.settings.device_location = update.device_location[:64]
    return call.ok()


def device_status(call: Call) -> Response:
    """``GET /ISAPI/System/status``: time and uptime (the probe hikvisionapi uses)."""
    model = call.model
    uptime = max(0, int((model.now() - model.boot_time).total_seconds()))
    node = xml.Node(
        "DeviceStatus",
        children=[
            xml.Node("currentDeviceTime", model.now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")),
            xml.Node("deviceUpTime", uptime),
        ],
    )
    return Response(
        200,
        [("Content-Type", 'application/xml; charset="UTF-8"')],
        xml.render(node, namespace=call.namespace),
    )


def system_capabilities(call: Call) -> Response:
    """``GET /ISAPI/System/capabilities``: the few capabilities a management client looks at."""
    identity = call.model.identity
    node = xml.Node(
        "DeviceCap",
        children=[
            xml.Node(
                "SysCap",
                children=[
                    xml.Node("isSupportDst", True),
                    xml.Node("isSupportConfigurationData", True),
                    xml.Node("isSupportFactoryReset", True),
                ],
            ),
            xml.Node("isSupportUserLock", True),
            xml.Node("isSupportContentMgmt", identity.has_storage),
            xml.Node("isSupportInputProxy", identity.kind is Kind.NVR),
            xml.Node("isSupportActivateIpc", identity.kind is Kind.NVR),
        ],
    )
    return Response(
        200,
        [("Content-Type", 'application/xml; charset="UTF-8"')],
        xml.render(node, namespace=call.namespace),
    )


# ------------------------------------------------------------------ time


def get_time(call: Call) -> Response:
    """``GET /ISAPI/System/time``."""
    settings = call.model.settings
    mode = TimeMode.NTP if settings.time_mode == "NTP" else TimeMode.MANUAL
    return call.reply(Time(time_mode=mode, local_time=call.model.now(), time_zone=settings.time_zone))


def put_time(call: Call) -> Response:
    """``PUT /ISAPI/System/time``: set the clock (manual mode) and/or the time zone."""
    call.require_administrator()
    update = call.document(Time)
    settings = call.model.settings
    settings.time_mode = "NTP" if update.time_mode is TimeMode.NTP else "manual"
    if update.time_zone:
        if len(update.time_zone) > 64:
            raise DeviceRefusal("badParameters", "the time zone is too long")
        settings.time_zone = update.time_zone
    if update.local_time is not None and update.time_mode is not TimeMode.NTP:
        when = update.local_time if update.local_time.tzinfo else update.local_time.replace(tzinfo=UTC)
        if not datetime(1970, 1, 2, tzinfo=UTC) <= when <= datetime(2037, 12, 31, tzinfo=UTC):
            raise DeviceRefusal("badParameters", "the time is outside 1970-2037")
        call.model.set_time(when)
    else:
        call.model.set_time(call.model.now())
    return call.ok()


# ------------------------------------------------------------------ maintenance (§10)


def reboot(call: Call) -> Response:
    """``PUT /ISAPI/System/reboot``: answer, then go off the network for the boot time."""
    call.require_administrator()
    call.host.schedule_reboot()
    return call.ok()


def factory_reset(call: Call) -> Response:
    """``PUT /ISAPI/System/factoryReset?mode=basic|full`` (see :class:`~camvault.device.model.ResetMode`)."""
    call.require_administrator()
    raw_mode = call.request.query.get("mode", "basic").lower()
    try:
        mode = ResetMode(raw_mode)
    except ValueError:
        raise DeviceRefusal("badParameters", "mode must be basic or full") from None
    call.model.factory_reset(mode)
    call.host.schedule_reboot()
    return call.ok()


def configuration_export(call: Call) -> Response:
    """``GET /ISAPI/System/configurationData?secretkey=...``: the encrypted configuration file.

    The secret key arrives in the query, encrypted with ``security=1`` when the client uses it (§10);
    without a key the device refuses, so an export is never readable by whoever finds the file.
    """
    call.require_administrator()
    secret = call.decrypt(call.request.query.get("secretkey"))
    if not secret:
        raise DeviceRefusal("badParameters", "a secretkey is required to export the configuration")
    data = configuration.export_configuration(call.model, secret)
    name = f"{call.model.identity.serial}_configuration.bin"
    return call.binary(data, name)


def configuration_import(call: Call) -> Response:
    """``PUT /ISAPI/System/configurationData?secretkey=...``: restore a same-model file, then reboot."""
    call.require_administrator()
    secret = call.decrypt(call.request.query.get("secretkey"))
    if not secret:
        raise DeviceRefusal("badParameters", "a secretkey is required to import the configuration")
    configuration.import_configuration(call.model, call.request.body, secret)
    call.host.schedule_reboot()
    return call.ok()
