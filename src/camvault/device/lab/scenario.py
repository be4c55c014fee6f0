"""Scenario files: the fleet a lab runs, in TOML or YAML, and a seeded generator for large mixed fleets.

A scenario names devices one by one (or in counted groups), with the state an installer would have left:
activated or not, the admin password (strong, weak, reused, the legacy default), extra users, NVR-to-camera
links, clock skew and lock settings, plus what the installer *recorded* about the password, which may be
wrong on purpose. Example::

    [lab]
    seed = 7

    [[devices]]
    label = "lobby"
    model = "DS-2CD2385G1-I"
    kind = "camera"
    firmware = "V5.6.2 build 190701"
    admin_password = "Lobby-2024-cam"
    recorded_password = "same"          # same | wrong | unknown

    [[devices]]
    label = "recorder"
    kind = "nvr"
    model = "DS-7608NI-K2"
    admin_password = { generate = "strong" }
    channels = ["lobby"]

Passwords in a scenario are lab passwords for emulated devices, not anyone's secrets; the lab seals device
state at rest anyway. :func:`load_scenario` validates everything and raises
:class:`~camvault.errors.ConfigurationError` naming the file, the device and the field.
"""

from __future__ import annotations

import ipaddress
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from random import Random
from typing import Any

import yaml

from camvault.device.model.accounts import UserLevel, check_device_password, factory_default_password
from camvault.device.model.identity import Firmware, Kind, ProductLine
from camvault.errors import ConfigurationError, DeviceRefusal, PasswordRejected
from camvault.passwords import HIKVISION, ONVIF_DEVICE, generate

__all__ = ["DeviceSpec", "LabSettings", "Scenario", "UserSpec", "generated_scenario", "load_scenario"]

MAX_SCENARIO_BYTES = 4 * 1024 * 1024
MAX_DEVICES = 20000
DEFAULT_CAMERA = ("DS-2CD2385G1-I", "V5.6.2 build 190701")
DEFAULT_NVR = ("DS-7608NI-K2", "V4.62.210 build 230412")
DEFAULT_ONVIF = ("AXC-2000", "V2.3.1 build 230301")
RECORDED_CHOICES = ("same", "wrong", "unknown")

_KINDS = {"camera": Kind.IPC, "ipc": Kind.IPC, "nvr": Kind.NVR, "onvif-camera": Kind.ONVIF_CAMERA}
_LINE_OF = {
    Kind.IPC: ProductLine.CAMERA,
    Kind.NVR: ProductLine.RECORDER,
    Kind.ONVIF_CAMERA: ProductLine.OTHER_VENDOR,
}


@dataclass(frozen=True, slots=True)
class UserSpec:
    """An extra user account at set-up."""

    name: str
    level: UserLevel
    password: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class DeviceSpec:
    """One device as the scenario describes it.

    Attributes:
        label: unique name in the lab (what is written on the device).
        kind: camera, NVR or ONVIF-only camera.
        model: model number.
        firmware: installed firmware.
        activated: whether set-up activated it (pre-activation firmware is always active).
        admin_password: the admin password at set-up (``None`` when not activated).
        recorded_password: what the installer wrote down: the same, a wrong one, or nothing.
        users: extra accounts.
        channels: labels of the cameras an NVR records.
        clock_skew: seconds the device clock is off.
        lock: ``(enabled, max_attempts, lock_seconds)`` overrides.
        vendor: ``Hikvision`` or another vendor for ONVIF-only cameras.
        has_storage: a camera with a memory card.
        onvif_enabled: ONVIF switched on (Hikvision ships it off).
    """

    label: str
    kind: Kind
    model: str
    firmware: Firmware
    activated: bool
    admin_password: str | None = field(repr=False)
    recorded_password: str | None = field(repr=False)
    users: tuple[UserSpec, ...] = ()
    channels: tuple[str, ...] = ()
    clock_skew: float = 0.0
    lock: tuple[bool, int, int] | None = None
    vendor: str = "Hikvision"
    has_storage: bool | None = None
    onvif_enabled: bool | None = None


@dataclass(frozen=True, slots=True)
class LabSettings:
    """How the lab runs its devices.

    Attributes:
        seed: seeds identities and generated passwords, so a scenario always yields the same fleet.
        addressing: ``ports`` (every device on 127.0.0.1 with its own port) or ``addresses`` (every device
            on its own 127.x.y.z with the same fixed ports).
        base_port: first port in ``ports`` mode (0: any free ports).
        address_prefix: the first two octets in ``addresses`` mode.
        http_port: the fixed HTTP port in ``addresses`` mode.
        boot_seconds: how long a rebooting device is unreachable.
        nvr_check_seconds: how often an NVR re-checks an online channel.
        nvr_retry_seconds: how often an NVR retries a failing channel. Real NVRs keep retrying a camera whose
            password they hold wrongly; 30 s is our reading of owners' reports (a 5-attempt lock trips within
            minutes), configurable.
        sadp_port: UDP port of the lab's SADP responder (the real 37020; 0 disables it).
        wsd_port: UDP port of the lab's WS-Discovery responder (the real 3702; 0 disables it).
        discovery_interfaces: addresses of further local interfaces on which the responders answer (a LAN
            or test-namespace interface); the devices themselves stay on loopback.
        https: also serve every device over HTTPS with its own self-signed certificate (on a free port in
            ``ports`` mode, on :data:`~camvault.device.lab.lab.HTTPS_PORT` in ``addresses`` mode).
        vendor_keys: the vendor's factory material for manufacturing (the output of ``camvault support keys
            export-factory``; a relative path is taken from the working directory). ``None``: the lab makes
            a throwaway vendor under its state directory (:mod:`~camvault.device.model.vendor_trust`).
    """

    seed: int = 1
    addressing: str = "ports"
    base_port: int = 0
    address_prefix: str = "127.20"
    http_port: int = 8080
    boot_seconds: float = 3.0
    nvr_check_seconds: float = 60.0
    nvr_retry_seconds: float = 30.0
    sadp_port: int = 37020
    wsd_port: int = 3702
    discovery_interfaces: tuple[str, ...] = ()
    https: bool = False
    vendor_keys: Path | None = None


@dataclass(frozen=True, slots=True)
class Scenario:
    """A whole lab: settings and devices."""

    settings: LabSettings
    devices: tuple[DeviceSpec, ...]

    def device(self, label: str) -> DeviceSpec:
        """The device with this label.

        Raises:
            ConfigurationError: there is none.
        """
        for spec in self.devices:
            if spec.label == label:
                return spec
        raise ConfigurationError(f"no device labelled {label!r} in the scenario")


def load_scenario(path: Path, *, seed: int | None = None) -> Scenario:
    """Read and validate a TOML (``.toml``) or YAML (``.yaml``/``.yml``) scenario file.

    Raises:
        ConfigurationError: the file is missing, too large, malformed, or describes an impossible fleet.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigurationError(f"cannot read scenario {path}: {exc.strerror}") from None
    if len(raw) > MAX_SCENARIO_BYTES:
        raise ConfigurationError(f"scenario {path} is larger than {MAX_SCENARIO_BYTES} bytes")
    try:
        if path.suffix.lower() == ".toml":
            data: Any = tomllib.loads(raw.decode("utf-8"))
        elif path.suffix.lower() in {".yaml", ".yml"}:
            data = yaml.safe_load(raw.decode("utf-8"))
        else:
            raise ConfigurationError(f"scenario {path} must end in .toml, .yaml or .yml")
    except (tomllib.TOMLDecodeError, yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"scenario {path} is not valid: {exc}") from None
    return parse_scenario(data, source=str(path), seed=seed)


def parse_scenario(data: Any, *, source: str = "scenario", seed: int | None = None) -> Scenario:
    """Validate an already-decoded scenario document.

    Raises:
        ConfigurationError: anything is missing, of the wrong type, or inconsistent.
    """
    if not isinstance(data, Mapping):
        raise ConfigurationError(f"{source}: the top level must be a table/mapping")
    settings = _settings(_table(data, "lab", source), source, seed)
    rng = Random(settings.seed)
    reused: dict[str, str] = {}
    devices: list[DeviceSpec] = []
    entries = data.get("devices", [])
    if not isinstance(entries, list) or not all(isinstance(entry, Mapping) for entry in entries):
        raise ConfigurationError(f"{source}: 'devices' must be a list of tables")
    for index, entry in enumerate(entries):
        devices.extend(_device_group(entry, f"{source}: devices[{index}]", rng, reused))
    generator = data.get("generate")
    if generator is not None:
        if not isinstance(generator, Mapping):
            raise ConfigurationError(f"{source}: 'generate' must be a table")
        devices.extend(_generate(generator, f"{source}: generate", rng, reused, start=len(devices)))
    _check_fleet(devices, source)
    return Scenario(settings, tuple(devices))


def generated_scenario(count: int, *, seed: int = 1, settings: LabSettings | None = None) -> Scenario:
    """A mixed fleet of ``count`` devices: one NVR per 8 cameras or so, with the usual problems."""
    nvrs = max(1, count // 9) if count >= 3 else 0
    document = {"generate": {"cameras": count - nvrs, "nvrs": nvrs}}
    scenario = parse_scenario(document, source="--devices", seed=seed)
    return Scenario(settings or scenario.settings, scenario.devices)


# ---------------------------------------------------------------------------------------------- helpers


def _table(data: Mapping[str, Any], key: str, source: str) -> Mapping[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, Mapping):
        raise ConfigurationError(f"{source}: '{key}' must be a table")
    return value


def _get(
    entry: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str, default: Any = None
) -> Any:
    value = entry.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) and kind in (int, float, (int, float)):
        raise ConfigurationError(f"{where}: '{key}' must be a number, not a boolean")
    if not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise ConfigurationError(f"{where}: '{key}' must be {names}")
    return value


def _settings(table: Mapping[str, Any], source: str, seed: int | None) -> LabSettings:
    where = f"{source}: [lab]"
    known = {field_name for field_name in LabSettings.__dataclass_fields__}
    unknown = set(table) - known
    if unknown:
        raise ConfigurationError(f"{where}: unknown setting(s) {sorted(unknown)}")
    defaults = LabSettings()
    settings = LabSettings(
        seed=seed if seed is not None else _get(table, "seed", int, where, defaults.seed),
        addressing=_get(table, "addressing", str, where, defaults.addressing),
        base_port=_get(table, "base_port", int, where, defaults.base_port),
        address_prefix=_get(table, "address_prefix", str, where, defaults.address_prefix),
        http_port=_get(table, "http_port", int, where, defaults.http_port),
        boot_seconds=float(_get(table, "boot_seconds", (int, float), where, defaults.boot_seconds)),
        nvr_check_seconds=float(
            _get(table, "nvr_check_seconds", (int, float), where, defaults.nvr_check_seconds)
        ),
        nvr_retry_seconds=float(
            _get(table, "nvr_retry_seconds", (int, float), where, defaults.nvr_retry_seconds)
        ),
        sadp_port=_get(table, "sadp_port", int, where, defaults.sadp_port),
        wsd_port=_get(table, "wsd_port", int, where, defaults.wsd_port),
        discovery_interfaces=_interfaces(table.get("discovery_interfaces", []), where),
        https=_get(table, "https", bool, where, defaults.https),
        vendor_keys=_optional_path(_get(table, "vendor_keys", str, where, None), where, "vendor_keys"),
    )
    if settings.addressing not in {"ports", "addresses"}:
        raise ConfigurationError(f"{where}: addressing must be 'ports' or 'addresses'")
    octets = settings.address_prefix.split(".")
    if len(octets) != 2 or octets[0] != "127" or not octets[1].isdigit() or not 0 <= int(octets[1]) <= 255:
        raise ConfigurationError(f"{where}: address_prefix must be '127.N' (loopback only)")
    if not 0 <= settings.base_port <= 65535 or not 1 <= settings.http_port <= 65535:
        raise ConfigurationError(f"{where}: ports must be within 0-65535")
    if not 0 <= settings.sadp_port <= 65535 or not 0 <= settings.wsd_port <= 65535:
        raise ConfigurationError(f"{where}: sadp_port and wsd_port must be within 0-65535 (0: off)")
    if settings.boot_seconds < 0 or settings.nvr_check_seconds <= 0 or settings.nvr_retry_seconds <= 0:
        raise ConfigurationError(f"{where}: times must be positive")
    return settings


def _optional_path(value: str | None, where: str, key: str) -> Path | None:
    if value is None:
        return None
    if not value.strip() or "\x00" in value:
        raise ConfigurationError(f"{where}: '{key}' must be a directory path")
    return Path(value)


def _interfaces(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigurationError(f"{where}: discovery_interfaces must be a list of IPv4 addresses")
    try:
        return tuple(str(ipaddress.IPv4Address(item)) for item in value)
    except ValueError:
        raise ConfigurationError(f"{where}: discovery_interfaces must be a list of IPv4 addresses") from None


_DEVICE_KEYS = {
    "label",
    "count",
    "kind",
    "model",
    "firmware",
    "activated",
    "admin_password",
    "recorded_password",
    "users",
    "channels",
    "clock_skew_seconds",
    "lock",
    "vendor",
    "memory_card",
    "onvif",
}


def _device_group(
    entry: Mapping[str, Any], where: str, rng: Random, reused: dict[str, str]
) -> list[DeviceSpec]:
    unknown = set(entry) - _DEVICE_KEYS
    if unknown:
        raise ConfigurationError(f"{where}: unknown key(s) {sorted(unknown)}")
    label = _get(entry, "label", str, where)
    if not label:
        raise ConfigurationError(f"{where}: every device needs a 'label'")
    count = _get(entry, "count", int, where, 1)
    if not 1 <= count <= MAX_DEVICES:
        raise ConfigurationError(f"{where}: count must be 1-{MAX_DEVICES}")
    labels = [label] if count == 1 else [f"{label}-{index:03d}" for index in range(1, count + 1)]
    return [_device(entry, f"{where} ({name})", name, rng, reused) for name in labels]


def _device(
    entry: Mapping[str, Any], where: str, label: str, rng: Random, reused: dict[str, str]
) -> DeviceSpec:
    kind_name = _get(entry, "kind", str, where, "camera")
    if kind_name not in _KINDS:
        raise ConfigurationError(f"{where}: kind must be one of {sorted(_KINDS)}")
    kind = _KINDS[kind_name]
    default_model, default_firmware = {Kind.IPC: DEFAULT_CAMERA, Kind.NVR: DEFAULT_NVR}.get(
        kind, DEFAULT_ONVIF
    )
    model = _get(entry, "model", str, where, default_model)
    firmware = _firmware(_get(entry, "firmware", str, where, default_firmware), where, _LINE_OF[kind])
    vendor = _get(entry, "vendor", str, where, "Hikvision" if kind is not Kind.ONVIF_CAMERA else "Axicam")
    default = factory_default_password(firmware)
    activated = _get(entry, "activated", bool, where, True) or default is not None
    password = (
        _password(entry.get("admin_password"), where, rng, reused, default=default) if activated else None
    )
    if password is not None and password != default:
        _check_password(password, "admin", where, kind=kind)
    recorded = _recorded(_get(entry, "recorded_password", str, where, "same"), password, where, rng)
    users = tuple(
        _user(user, f"{where}: users[{i}]", rng, reused)
        for i, user in enumerate(_list(entry, "users", where))
    )
    if users and not activated:
        raise ConfigurationError(f"{where}: an inactive device has no users")
    channels = tuple(_list(entry, "channels", where))
    if channels and kind is not Kind.NVR:
        raise ConfigurationError(f"{where}: only an NVR has channels")
    if not all(isinstance(channel, str) for channel in channels):
        raise ConfigurationError(f"{where}: channels must be device labels")
    lock = _lock(entry.get("lock"), where)
    onvif = entry.get("onvif")
    if onvif is not None and not isinstance(onvif, bool):
        raise ConfigurationError(f"{where}: 'onvif' must be true or false")
    return DeviceSpec(
        label=label,
        kind=kind,
        model=model,
        firmware=firmware,
        activated=activated,
        admin_password=password,
        recorded_password=recorded,
        users=users,
        channels=channels,
        clock_skew=float(_get(entry, "clock_skew_seconds", (int, float), where, 0.0)),
        lock=lock,
        vendor=vendor,
        has_storage=_get(entry, "memory_card", bool, where),
        onvif_enabled=onvif,
    )


def _list(entry: Mapping[str, Any], key: str, where: str) -> list[Any]:
    value = entry.get(key, [])
    if not isinstance(value, list):
        raise ConfigurationError(f"{where}: '{key}' must be a list")
    return value


def _firmware(text: str, where: str, line: ProductLine) -> Firmware:
    version, _, build = text.partition(" ")
    try:
        return Firmware.parse(version, build or "build 200101", line)
    except ConfigurationError as exc:
        raise ConfigurationError(f"{where}: {exc}") from None


def _password(value: Any, where: str, rng: Random, reused: dict[str, str], *, default: str | None) -> str:
    if value is None:
        return default if default is not None else generate(HIKVISION, rng=rng)
    if isinstance(value, str):
        return value
    if not isinstance(value, Mapping) or set(value) != {"generate"} or not isinstance(value["generate"], str):
        raise ConfigurationError(
            f'{where}: a password is a string or {{ generate = "strong|weak|default|reused:NAME" }}'
        )
    how = value["generate"]
    if how == "strong":
        return generate(HIKVISION, rng=rng)
    if how == "weak":
        return _weak_password(rng)
    if how == "default":
        if default is None:
            raise ConfigurationError(f"{where}: this firmware has no default password (it must be activated)")
        return default
    if how.startswith("reused:") and len(how) > len("reused:"):
        group = how.split(":", 1)[1]
        if group not in reused:
            reused[group] = generate(HIKVISION, rng=rng)
        return reused[group]
    raise ConfigurationError(f"{where}: unknown password generator {how!r}")


def _weak_password(rng: Random) -> str:
    """A password real owners pick: a word and digits, weak by the device's rules but accepted."""
    word = rng.choice(["camera", "garage", "office", "security", "house", "summer", "family", "welcome"])
    return word + "".join(rng.choice("0123456789") for _ in range(4))


def _check_password(password: str, username: str, where: str, *, kind: Kind = Kind.IPC) -> None:
    if kind is Kind.ONVIF_CAMERA:
        # A generic ONVIF camera applies ONVIF's rules, not Hikvision's strength meter.
        try:
            ONVIF_DEVICE.check(password, username)
        except PasswordRejected as exc:
            raise ConfigurationError(
                f"{where}: the camera would refuse that password ({exc.reason})"
            ) from None
        return
    try:
        check_device_password(password, username)
    except DeviceRefusal as exc:
        raise ConfigurationError(f"{where}: the device would refuse that password ({exc.reason})") from None


def _recorded(choice: str, password: str | None, where: str, rng: Random) -> str | None:
    if choice not in RECORDED_CHOICES:
        raise ConfigurationError(f"{where}: recorded_password must be one of {RECORDED_CHOICES}")
    if password is None or choice == "unknown":
        return None
    if choice == "wrong":
        return _weak_password(rng) + "!"
    return password


def _user(value: Any, where: str, rng: Random, reused: dict[str, str]) -> UserSpec:
    if not isinstance(value, Mapping):
        raise ConfigurationError(f"{where}: a user is a table with name, level and password")
    name = _get(value, "name", str, where)
    if not name or name == "admin":
        raise ConfigurationError(f"{where}: a user needs a name other than 'admin'")
    try:
        level = UserLevel(_get(value, "level", str, where, "Viewer"))
    except ValueError:
        raise ConfigurationError(f"{where}: level must be Administrator, Operator or Viewer") from None
    password = _password(value.get("password"), where, rng, reused, default=None)
    _check_password(password, name, where)
    return UserSpec(name, level, password)


def _lock(value: Any, where: str) -> tuple[bool, int, int] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ConfigurationError(f"{where}: 'lock' must be a table")
    enabled = _get(value, "enabled", bool, where, True)
    attempts = _get(value, "max_attempts", int, where, 5)
    seconds = _get(value, "lock_seconds", int, where, 1800)
    if not 3 <= attempts <= 20 or not 60 <= seconds <= 86400:
        raise ConfigurationError(f"{where}: lock needs max_attempts 3-20 and lock_seconds 60-86400")
    return (enabled, attempts, seconds)


def _generate(
    table: Mapping[str, Any], where: str, rng: Random, reused: dict[str, str], *, start: int
) -> list[DeviceSpec]:
    """A reproducible mixed fleet: mostly healthy, with every problem the audit must find."""
    cameras = _get(table, "cameras", int, where, 0)
    nvrs = _get(table, "nvrs", int, where, 0)
    onvif = _get(table, "onvif_cameras", int, where, 0)
    per_nvr = _get(table, "cameras_per_nvr", int, where, 8)
    if min(cameras, nvrs, onvif) < 0 or cameras + nvrs + onvif > MAX_DEVICES or per_nvr < 1:
        raise ConfigurationError(f"{where}: counts must be non-negative and at most {MAX_DEVICES} in all")
    devices: list[DeviceSpec] = []
    camera_labels: list[str] = []
    for index in range(cameras):
        label = f"cam-{start + index + 1:05d}"
        camera_labels.append(label)
        roll = rng.random()
        entry: dict[str, Any] = {"label": label, "kind": "camera"}
        if roll < 0.03:
            entry["activated"] = False
        elif roll < 0.06:
            entry["firmware"] = "V5.2.5 build 141201"
        elif roll < 0.18:
            entry["admin_password"] = {"generate": "weak"}
        elif roll < 0.40:
            entry["admin_password"] = {"generate": f"reused:site-{index % 7}"}
        if rng.random() < 0.06:
            entry["clock_skew_seconds"] = rng.choice([-7200, -400, 600, 3600])
        if rng.random() < 0.05:
            entry["recorded_password"] = "wrong"  # noqa: S105 - a choice, not a password
        devices.append(_device(entry, f"{where} ({label})", label, rng, reused))
    active_cameras = [spec.label for spec in devices if spec.activated]
    for index in range(nvrs):
        label = f"nvr-{index + 1:04d}"
        linked = active_cameras[index * per_nvr : (index + 1) * per_nvr]
        entry = {"label": label, "kind": "nvr", "channels": linked}
        devices.append(_device(entry, f"{where} ({label})", label, rng, reused))
    for index in range(onvif):
        label = f"onvif-{index + 1:04d}"
        devices.append(
            _device({"label": label, "kind": "onvif-camera"}, f"{where} ({label})", label, rng, reused)
        )
    return devices


def _check_fleet(devices: list[DeviceSpec], source: str) -> None:
    if len(devices) > MAX_DEVICES:
        raise ConfigurationError(f"{source}: at most {MAX_DEVICES} devices")
    by_label: dict[str, DeviceSpec] = {}
    for spec in devices:
        if spec.label in by_label:
            raise ConfigurationError(f"{source}: the label {spec.label!r} is used twice")
        by_label[spec.label] = spec
    for spec in devices:
        if len(spec.channels) > 64:
            raise ConfigurationError(f"{source}: {spec.label} has more than 64 channels")
        for target in spec.channels:
            camera = by_label.get(target)
            if camera is None:
                raise ConfigurationError(
                    f"{source}: {spec.label} records {target!r}, which is not in the scenario"
                )
            if camera.kind is Kind.NVR:
                raise ConfigurationError(f"{source}: {spec.label} cannot record another NVR ({target})")
