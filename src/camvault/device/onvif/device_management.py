"""The ONVIF device management operations (``tds:``), request and response shapes of ``onvif.md`` §1.3-§1.8.

Responses follow ``devicemgmt.wsdl`` and ``onvif.xsd`` element order (``tt:DateTime`` is Time then Date;
``tt:SystemCapabilities`` lists its flags before ``SupportedVersions``), with the tds-declared children
``tds:``-qualified and the children of ``tt:`` types ``tt:``-qualified (the schema is
``elementFormDefault="qualified"``, §1.1). Operations and their access classes are Core's (§1.3).

Choices where the notes are silent: the service and schema versions we announce (2.40, the WSDL family the
clients in the package index bundle is 2.4.x); ``SystemReboot`` answers "Rebooting" and the lab takes the
device down after the reply; ``SetSystemFactoryDefault`` reboots the device too, Hard being the full reset
(a Hikvision device comes back inactive with ONVIF off) and Soft the basic one (network settings and web
accounts kept, as Core asks of Soft).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Final
from xml.etree.ElementTree import Element

from camvault.device.model import ResetMode
from camvault.device.model import onvif as accounts
from camvault.device.model.onvif import OnvifLevel, Refusal, UserUpdate
from camvault.device.onvif import facts
from camvault.device.onvif.auth import AccessClass
from camvault.device.onvif.call import MEDIA_NS, Handler, OnvifCall, Operation
from camvault.device.onvif.facts import MEDIA_SERVICE_PATH
from camvault.device.onvif.media import media_capabilities
from camvault.errors import DeviceRefusal, InvalidContent
from camvault.protocols import xml
from camvault.protocols.isapi.documents import utc_offset_of
from camvault.protocols.soap import DEVICE_NS, QName
from camvault.protocols.xml import Node

__all__ = ["DEVICE_OPERATIONS", "NO_SUCH_SERVICE_CATEGORIES", "SERVICE_VERSION"]

SERVICE_VERSION: Final = (2, 40)
#: GetCapabilities categories this device has no service for (``ter:NoSuchService``).
NO_SUCH_SERVICE_CATEGORIES: Final = frozenset({"Analytics", "Events", "Imaging", "PTZ"})
_CATEGORIES: Final = frozenset({"All", "Device", "Media"}) | NO_SUCH_SERVICE_CATEGORIES
_MAX_USERS_PER_REQUEST = 100
_MAX_PASSWORD_CHARS = 1024


# ------------------------------------------------------------------ node helpers


def _tds(name: str, value: str | int | bool | None = None, *children: Node | None) -> Node:
    return Node(f"tds:{name}", value, children)


def _tt(name: str, value: str | int | bool | None = None, *children: Node | None) -> Node:
    return Node(f"tt:{name}", value, children)


def _word(value: str | int | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _version(major: int, minor: int) -> tuple[Node, Node]:
    return _tt("Major", major), _tt("Minor", minor)


# ------------------------------------------------------------------ argument helpers


def _level(text: str) -> OnvifLevel:
    try:
        return OnvifLevel(text)
    except ValueError:
        raise DeviceRefusal(Refusal.INVALID_ARG_VAL.value, "unknown user level") from None


def _password(user: Element) -> str | None:
    element = xml.child(user, "Password")
    if element is None:
        return None
    value = element.text or ""
    if len(value) > _MAX_PASSWORD_CHARS:
        raise InvalidContent(f"<Password> is longer than {_MAX_PASSWORD_CHARS} characters", field="Password")
    return value


def _user_updates(body: Element) -> list[UserUpdate]:
    users = list(xml.children(body, "User"))
    if not users:
        raise InvalidContent("the request names no <User>", field="User")
    if len(users) > _MAX_USERS_PER_REQUEST:
        raise InvalidContent(f"at most {_MAX_USERS_PER_REQUEST} users per request", field="User")
    return [
        UserUpdate(
            name=xml.text(user, "Username", max_length=256),
            level=_level(xml.text(user, "UserLevel", max_length=32)),
            password=_password(user),
        )
        for user in users
    ]


# ------------------------------------------------------------------ time


def _date_time(moment: datetime) -> tuple[Node, Node]:
    return (
        _tt(
            "Time", None, _tt("Hour", moment.hour), _tt("Minute", moment.minute), _tt("Second", moment.second)
        ),
        _tt("Date", None, _tt("Year", moment.year), _tt("Month", moment.month), _tt("Day", moment.day)),
    )


def _local_offset(time_zone: str) -> timedelta:
    try:
        return utc_offset_of(time_zone)
    except InvalidContent:
        return timedelta(0)


def get_system_date_and_time(call: OnvifCall) -> Node:
    """``GetSystemDateAndTime`` (PRE_AUTH): the device's own clock, lab skew included."""
    settings = call.model.settings
    now = call.model.now().astimezone(UTC)
    local = now + _local_offset(settings.time_zone)
    return _tds(
        "GetSystemDateAndTimeResponse",
        None,
        _tds(
            "SystemDateAndTime",
            None,
            _tt("DateTimeType", "NTP" if settings.time_mode.lower() == "ntp" else "Manual"),
            _tt("DaylightSavings", False),
            _tt("TimeZone", None, _tt("TZ", settings.time_zone)),
            _tt("UTCDateTime", None, *_date_time(now)),
            _tt("LocalDateTime", None, *_date_time(local)),
        ),
    )


def _read_date_time(element: Element) -> datetime:
    try:
        return datetime(
            xml.integer(element, "Date", "Year", minimum=1970, maximum=2100),
            xml.integer(element, "Date", "Month", minimum=1, maximum=12),
            xml.integer(element, "Date", "Day", minimum=1, maximum=31),
            xml.integer(element, "Time", "Hour", minimum=0, maximum=23),
            xml.integer(element, "Time", "Minute", minimum=0, maximum=59),
            xml.integer(element, "Time", "Second", minimum=0, maximum=60) % 60,
            tzinfo=UTC,
        )
    except ValueError:
        raise DeviceRefusal(Refusal.INVALID_ARG_VAL.value, "not a valid date") from None


def set_system_date_and_time(call: OnvifCall) -> Node:
    """``SetSystemDateAndTime`` (WRITE_SYSTEM): Manual with a UTC time sets the clock; NTP switches mode.

    Home Assistant calls it on a Manual-mode camera whose clock is off by 5 s or more (``onvif.md`` §5.1).
    """
    body, model = call.body, call.model
    mode = xml.text(body, "DateTimeType", max_length=16)
    if mode not in ("Manual", "NTP"):
        raise DeviceRefusal(Refusal.INVALID_ARG_VAL.value, "DateTimeType is Manual or NTP")
    time_zone = xml.optional_text(body, "TimeZone", "TZ", max_length=64)
    if time_zone:
        model.settings.time_zone = time_zone
    utc = xml.child(body, "UTCDateTime")
    if mode == "Manual":
        if utc is None:
            raise DeviceRefusal(Refusal.INVALID_ARG_VAL.value, "a Manual time needs UTCDateTime")
        model.settings.time_mode = "manual"
        model.set_time(_read_date_time(utc))
    else:
        model.settings.time_mode = "NTP"
        model.revision += 1
    return _tds("SetSystemDateAndTimeResponse")


# ------------------------------------------------------------------ capabilities and services


def _service_capabilities(call: OnvifCall) -> Node:
    """``tds:DeviceServiceCapabilities``: Network, Security, System, attributes only (``onvif.md`` §1.5)."""
    limits = accounts.limits(call.model)
    mode = call.model.onvif.certificate_type
    network = (
        ("IPFilter", False),
        ("ZeroConfiguration", False),
        ("IPVersion6", False),
        ("DynDNS", False),
        ("Dot11Configuration", False),
        ("HostnameFromDHCP", False),
        ("NTP", 1),
    )
    security = (
        ("TLS1.0", False),
        ("TLS1.1", False),
        ("TLS1.2", False),
        ("OnboardKeyGeneration", False),
        ("AccessPolicyConfig", False),
        ("DefaultAccessPolicy", True),
        ("Dot1X", False),
        ("RemoteUserHandling", False),
        ("X.509Token", False),
        ("SAMLToken", False),
        ("KerberosToken", False),
        ("UsernameToken", mode.accepts_username_token),
        ("HttpDigest", mode.accepts_digest),
        ("RELToken", False),
        ("MaxUsers", limits.max_users),
        ("MaxUserNameLength", limits.max_name_length),
        ("MaxPasswordLength", limits.max_password_length),
        ("SecurityPolicies", "ModifyPassword"),
    )
    system = (
        ("DiscoveryResolve", True),
        ("DiscoveryBye", True),
        ("RemoteDiscovery", False),
        ("SystemBackup", False),
        ("SystemLogging", False),
        ("FirmwareUpgrade", False),
        ("HttpFirmwareUpgrade", False),
        ("HttpSystemBackup", False),
        ("HttpSystemLogging", False),
        ("HttpSupportInformation", False),
    )
    return Node(
        "tds:Capabilities",
        children=(
            Node("tds:Network", attributes=_attributes(network)),
            Node("tds:Security", attributes=_attributes(security)),
            Node("tds:System", attributes=_attributes(system)),
        ),
    )


def _attributes(pairs: Iterable[tuple[str, str | int | bool]]) -> tuple[tuple[str, str], ...]:
    return tuple((name, _word(value)) for name, value in pairs)


def get_service_capabilities(call: OnvifCall) -> Node:
    """``GetServiceCapabilities`` (PRE_AUTH): MaxUsers, name and password lengths, security policies."""
    return _tds("GetServiceCapabilitiesResponse", None, _service_capabilities(call))


def _categories(body: Element) -> set[str]:
    found = {(element.text or "").strip() for element in xml.children(body, "Category")}
    unknown = found - _CATEGORIES
    if unknown:
        raise DeviceRefusal(Refusal.INVALID_ARG_VAL.value, "unknown capability category")
    if found & NO_SUCH_SERVICE_CATEGORIES:
        raise DeviceRefusal("NoSuchService", "the device has no such service")
    return found or {"All"}


def _device_capabilities(call: OnvifCall) -> Node:
    return _tt(
        "Device",
        None,
        _tt("XAddr", call.url()),
        _tt(
            "Network",
            None,
            _tt("IPFilter", False),
            _tt("ZeroConfiguration", False),
            _tt("IPVersion6", False),
            _tt("DynDNS", False),
        ),
        _tt(
            "System",
            None,
            _tt("DiscoveryResolve", True),
            _tt("DiscoveryBye", True),
            _tt("RemoteDiscovery", False),
            _tt("SystemBackup", False),
            _tt("SystemLogging", False),
            _tt("FirmwareUpgrade", False),
            _tt("SupportedVersions", None, *_version(*SERVICE_VERSION)),
        ),
        _tt(
            "Security",
            None,
            _tt("TLS1.1", False),
            _tt("TLS1.2", False),
            _tt("OnboardKeyGeneration", False),
            _tt("AccessPolicyConfig", False),
            _tt("X.509Token", False),
            _tt("SAMLToken", False),
            _tt("KerberosToken", False),
            _tt("RELToken", False),
        ),
    )


def _media_capabilities(call: OnvifCall) -> Node:
    return _tt(
        "Media",
        None,
        _tt("XAddr", call.url(MEDIA_SERVICE_PATH)),
        _tt(
            "StreamingCapabilities",
            None,
            _tt("RTPMulticast", False),
            _tt("RTP_TCP", True),
            _tt("RTP_RTSP_TCP", True),
        ),
    )


def get_capabilities(call: OnvifCall) -> Node:
    """``GetCapabilities`` (PRE_AUTH): Device and Media; other categories are ``ter:NoSuchService``."""
    wanted = _categories(call.body)
    everything = "All" in wanted
    return _tds(
        "GetCapabilitiesResponse",
        None,
        _tds(
            "Capabilities",
            None,
            _device_capabilities(call) if everything or "Device" in wanted else None,
            _media_capabilities(call) if everything or "Media" in wanted else None,
        ),
    )


def get_services(call: OnvifCall) -> Node:
    """``GetServices`` (PRE_AUTH): the device and media services, with capabilities when asked."""
    include = xml.boolean(call.body, "IncludeCapability")
    services = (
        (DEVICE_NS, call.url(), _service_capabilities(call)),
        (MEDIA_NS, call.url(MEDIA_SERVICE_PATH), media_capabilities()),
    )
    return _tds(
        "GetServicesResponse",
        None,
        *(
            _tds(
                "Service",
                None,
                _tds("Namespace", namespace),
                _tds("XAddr", address),
                _tds("Capabilities", None, capabilities) if include else None,
                _tds("Version", None, *_version(*SERVICE_VERSION)),
            )
            for namespace, address, capabilities in services
        ),
    )


# ------------------------------------------------------------------ device facts


def get_device_information(call: OnvifCall) -> Node:
    """``GetDeviceInformation`` (READ_SYSTEM)."""
    info = facts.device_information(call.model)
    return _tds(
        "GetDeviceInformationResponse",
        None,
        _tds("Manufacturer", info.manufacturer),
        _tds("Model", info.model),
        _tds("FirmwareVersion", info.firmware_version),
        _tds("SerialNumber", info.serial_number),
        _tds("HardwareId", info.hardware_id),
    )


def get_network_interfaces(call: OnvifCall) -> Node:
    """``GetNetworkInterfaces`` (READ_SYSTEM): one wired interface with the device's MAC (Home Assistant's id)."""
    address = call.request.local[0]
    try:
        parsed = ipaddress.ip_address(address)
        ipv4 = parsed.version == 4
        prefix = 8 if parsed.is_loopback else 24
    except ValueError:
        ipv4, prefix = False, 24
    return _tds(
        "GetNetworkInterfacesResponse",
        None,
        Node(
            "tds:NetworkInterfaces",
            attributes=(("token", "eth0"),),
            children=(
                _tt("Enabled", True),
                _tt(
                    "Info",
                    None,
                    _tt("Name", "eth0"),
                    _tt("HwAddress", call.model.identity.mac.lower()),
                    _tt("MTU", 1500),
                ),
                _tt(
                    "IPv4",
                    None,
                    _tt("Enabled", True),
                    _tt(
                        "Config",
                        None,
                        _tt("Manual", None, _tt("Address", address), _tt("PrefixLength", prefix)),
                        _tt("DHCP", False),
                    ),
                )
                if ipv4
                else None,
            ),
        ),
    )


def get_hostname(call: OnvifCall) -> Node:
    """``GetHostname`` (PRE_AUTH)."""
    return _tds(
        "GetHostnameResponse",
        None,
        _tds("HostnameInformation", None, _tt("FromDHCP", False), _tt("Name", call.model.identity.model)),
    )


def get_endpoint_reference(call: OnvifCall) -> Node:
    """``GetEndpointReference`` (PRE_AUTH): the WS-Discovery endpoint address."""
    return _tds("GetEndpointReferenceResponse", None, _tds("GUID", facts.endpoint_reference(call.model)))


def get_scopes(call: OnvifCall) -> Node:
    """``GetScopes`` (READ_SYSTEM): the same scopes WS-Discovery announces, all fixed."""
    return _tds(
        "GetScopesResponse",
        None,
        *(
            _tds("Scopes", None, _tt("ScopeDef", "Fixed"), _tt("ScopeItem", scope))
            for scope in facts.scopes(call.model)
        ),
    )


def get_discovery_mode(call: OnvifCall) -> Node:
    """``GetDiscoveryMode`` (READ_SYSTEM): always Discoverable."""
    return _tds("GetDiscoveryModeResponse", None, _tds("DiscoveryMode", "Discoverable"))


def get_wsdl_url(call: OnvifCall) -> Node:
    """``GetWsdlUrl`` (PRE_AUTH)."""
    return _tds("GetWsdlUrlResponse", None, _tds("WsdlUrl", "http://www.onvif.org/"))


# ------------------------------------------------------------------ users


def get_users(call: OnvifCall) -> Node:
    """``GetUsers`` (READ_SYSTEM_SECRET): names and levels, never passwords."""
    return _tds(
        "GetUsersResponse",
        None,
        *(
            _tds("User", None, _tt("Username", user.name), _tt("UserLevel", user.level.value))
            for user in accounts.list_users(call.model)
        ),
    )


def create_users(call: OnvifCall) -> Node:
    """``CreateUsers`` (WRITE_SYSTEM): all or nothing."""
    accounts.create_users(call.model, _user_updates(call.body))
    return _tds("CreateUsersResponse")


def delete_users(call: OnvifCall) -> Node:
    """``DeleteUsers`` (WRITE_SYSTEM): all or nothing."""
    names = [(element.text or "").strip() for element in xml.children(call.body, "Username")]
    if len(names) > _MAX_USERS_PER_REQUEST:
        raise InvalidContent(f"at most {_MAX_USERS_PER_REQUEST} users per request", field="Username")
    if any(len(name) > 256 for name in names):
        raise InvalidContent("<Username> is too long", field="Username")
    accounts.delete_users(call.model, names)
    return _tds("DeleteUsersResponse")


def set_user(call: OnvifCall) -> Node:
    """``SetUser`` (WRITE_SYSTEM, or ``ModifyPassword`` self-service): all or nothing.

    A caller without WRITE_SYSTEM may change only their own password; "a device shall ignore the UserLevel
    field for any client not fulfilling access class WRITE_SYSTEM" (Core, ``onvif.md`` §1.3), so their
    level stays what it was.
    """
    updates = _user_updates(call.body)
    if call.self_service:
        caller = call.caller
        if caller is None or len(updates) != 1 or updates[0].name != caller.name:
            raise DeviceRefusal("NotAuthorized", "only an administrator can change other users")
        updates = [UserUpdate(caller.name, caller.level, updates[0].password)]
    accounts.set_users(call.model, updates)
    return _tds("SetUserResponse")


# ------------------------------------------------------------------ maintenance


def set_system_factory_default(call: OnvifCall) -> Node:
    """``SetSystemFactoryDefault`` (UNRECOVERABLE): Hard = full reset, Soft = basic; then a reboot."""
    kind = xml.text(call.body, "FactoryDefault", max_length=16)
    if kind not in ("Hard", "Soft"):
        raise DeviceRefusal(Refusal.INVALID_ARG_VAL.value, "FactoryDefault is Hard or Soft")
    call.model.factory_reset(ResetMode.FULL if kind == "Hard" else ResetMode.BASIC)
    call.host.schedule_reboot()
    return _tds("SetSystemFactoryDefaultResponse")


def system_reboot(call: OnvifCall) -> Node:
    """``SystemReboot`` (UNRECOVERABLE): the reply goes out first, then the device reboots (Core)."""
    call.host.schedule_reboot()
    return _tds("SystemRebootResponse", None, _tds("Message", "Rebooting"))


def _operation(local: str, access: AccessClass, handler: Handler, *, self_service: bool = False) -> Operation:
    return Operation(QName(DEVICE_NS, local), access, handler, self_service)


_P, _R, _S = AccessClass.PRE_AUTH, AccessClass.READ_SYSTEM, AccessClass.READ_SYSTEM_SECRET
_W, _U = AccessClass.WRITE_SYSTEM, AccessClass.UNRECOVERABLE

DEVICE_OPERATIONS: Final[tuple[Operation, ...]] = (
    _operation("GetSystemDateAndTime", _P, get_system_date_and_time),
    _operation("SetSystemDateAndTime", _W, set_system_date_and_time),
    _operation("GetCapabilities", _P, get_capabilities),
    _operation("GetServices", _P, get_services),
    _operation("GetServiceCapabilities", _P, get_service_capabilities),
    _operation("GetDeviceInformation", _R, get_device_information),
    _operation("GetNetworkInterfaces", _R, get_network_interfaces),
    _operation("GetHostname", _P, get_hostname),
    _operation("GetEndpointReference", _P, get_endpoint_reference),
    _operation("GetScopes", _R, get_scopes),
    _operation("GetDiscoveryMode", _R, get_discovery_mode),
    _operation("GetWsdlUrl", _P, get_wsdl_url),
    _operation("GetUsers", _S, get_users),
    _operation("CreateUsers", _W, create_users),
    _operation("DeleteUsers", _W, delete_users),
    _operation("SetUser", _W, set_user, self_service=True),
    _operation("SetSystemFactoryDefault", _U, set_system_factory_default),
    _operation("SystemReboot", _U, system_reboot),
)
"""The device service's operations and their access classes (Core, ``onvif.md`` §1.3)."""
