"""The lab: many emulated devices in one asyncio process, and the physical world around them.

A :class:`Lab` builds its devices from a scenario the first time and from its state directory afterwards,
gives each its own address (its own port on 127.0.0.1, or its own 127.x.y.z address with fixed ports),
serves each through its front end, runs each NVR's agent, saves changed state twice a second, and offers
the actions a person with physical access has: hold the reset button, pull the plug, set the clock, and
(for tests) inject faults into a device's network traffic.

The factory: when the lab manufactures its devices (first start), every Hikvision device gets its own key,
a certificate from the vendor's device CA and the vendor's reset-signing trust bundle
(:mod:`camvault.device.model.vendor_trust`). The vendor material comes from ``[lab] vendor_keys`` (the output
of ``camvault support keys export-factory``; an encrypted CA key is opened with
``CAMVAULT_FACTORY_PASSPHRASE``), or else from a throwaway vendor the lab makes in ``<state>/vendor`` and
announces in the log and the manifest, so that ``camvault support --keys <state>/vendor`` can answer its
devices. The device key is saved sealed with the device state; the certificate and trust bundle beside the
identity.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import format_datetime
from functools import partial
from pathlib import Path
from random import Random
from typing import Any

from camvault.clock import Clock, SystemClock
from camvault.device.discovery import DiscoveryResponders
from camvault.device.http import Fault, Handler, HttpServer, Request
from camvault.device.lab.faults import FaultPlan
from camvault.device.lab.nvr_agent import NvrAgent
from camvault.device.lab.scenario import DeviceSpec, LabSettings, Scenario
from camvault.device.model import ChannelProtocol, DeviceModel, Kind, ResetMode, make_identity
from camvault.device.model.identity import identity_from_dict, identity_to_dict
from camvault.device.model.lockout import LockSettings
from camvault.device.model.vendor_trust import (
    FactoryMaterial,
    load_factory_material,
    manufacture,
    open_throwaway_vendor,
    restore_vendor_trust,
)
from camvault.device.store import LabStore, StoredDevice
from camvault.device.web.tls import device_tls_context
from camvault.errors import ConfigurationError, DeviceRefusal

__all__ = [
    "FACTORY_PASSPHRASE_ENV",
    "RESET_HOLD_SECONDS",
    "VENDOR_DIR",
    "FrontEndFactory",
    "Lab",
    "LabDevice",
]

log = logging.getLogger(__name__)

RESET_HOLD_SECONDS = 10.0
"""How long the reset button must be held for a factory reset (vendor instructions say 10-15 s, §14.3)."""

SAVE_INTERVAL = 0.5
HTTPS_PORT = 8443
"""The HTTPS port of every device in ``addresses`` mode (each device has its own address)."""
LAB_FACTS = "lab"
VENDOR_DIR = "vendor"
"""The throwaway vendor's directory under the lab's state directory."""
FACTORY_PASSPHRASE_ENV = "CAMVAULT_FACTORY_PASSPHRASE"  # noqa: S105 - the name of a variable, not a secret
"""Where the passphrase of an encrypted exported CA key comes from (as ``camvault support`` writes it)."""
VENDOR_TRUST = "vendor_trust"
"""The key of a device's vendor-support public record in its stored identity."""

FrontEndFactory = Callable[["LabDevice"], Handler]


@dataclass(eq=False)
class LabDevice:
    """One device in the lab: its model, address, server and the lab-side facts about it.

    Attributes:
        label: the device's label.
        model: the device state machine.
        address: its IP address.
        http_port: its HTTP port.
        recorded_password: what the installer wrote down (may be wrong, or ``None``).
        links: for an NVR, the labels of the cameras it records.
        faults: the fault plan applied to its traffic, if any.
        https_port: its HTTPS port, when the lab serves HTTPS (``[lab] https = true``).
    """

    label: str
    model: DeviceModel
    address: str
    http_port: int
    recorded_password: str | None = field(repr=False)
    links: tuple[str, ...] = ()
    faults: FaultPlan | None = None
    server: HttpServer | None = None
    https_server: HttpServer | None = None
    https_port: int | None = None
    agent: NvrAgent | None = None
    lab: Lab | None = field(default=None, repr=False)
    saved_revision: int = -1
    _power_task: asyncio.Task[None] | None = field(default=None, repr=False)

    # -- DeviceHost (what the front ends may ask of the lab)

    def schedule_reboot(self) -> None:
        """Reboot once the current reply is on its way."""
        if self.lab is not None:
            self.lab.start_power_cycle(self, reboot=True)

    def channels_changed(self, channel_id: int | None = None) -> None:
        """Reconnect the changed channel now (every channel if ``None``), as an NVR does after an edit."""
        if self.agent is not None:
            self.agent.wake(channel_id)

    # -- identity for the manifest

    def describe(self) -> dict[str, Any]:
        """What the device's label and the network show: no secrets."""
        identity = self.model.identity
        return {
            "label": self.label,
            "kind": identity.kind.value,
            "vendor": identity.vendor,
            "model": identity.model,
            "serial": identity.serial,
            "mac": identity.mac,
            "firmware": str(self.model.firmware),
            "address": self.address,
            "http_port": self.http_port,
            "url": f"http://{self.address}:{self.http_port}/",
            "activated": self.model.activated,
            "power": self.model.power.value,
            "channels": self.links,
            "locked_sources": self.model.lock.locked_sources(self.model.monotonic()),
            **(
                {"https_port": self.https_port, "https_url": f"https://{self.address}:{self.https_port}/"}
                if self.https_port
                else {}
            ),
        }

    def fault_for(self, request: Request) -> Fault | None:
        """The fault hook the device's server asks."""
        return self.faults.decide(request) if self.faults is not None else None

    def spec_record(self) -> dict[str, Any]:
        """Public lab-level facts saved beside the state (the recorded password is sealed with the state)."""
        return {"address": self.address, "http_port": self.http_port, "links": list(self.links)}

    def sealed_record(self) -> dict[str, Any]:
        """Everything saved sealed: the device state and what the installer recorded."""
        return {**self.model.to_snapshot(), LAB_FACTS: {"recorded_password": self.recorded_password}}


class Lab:
    """Run a fleet of emulated devices.

    Args:
        state_dir: where device state, the lab key and the control token live.
        scenario: the fleet to create when the state directory is empty (ignored otherwise).
        frontend: builds each device's HTTP front end.
        clock: the lab's clock.
        settings: overrides the scenario's lab settings.
        vendor_passphrase: opens an encrypted CA key in ``settings.vendor_keys``; read from
            ``CAMVAULT_FACTORY_PASSPHRASE`` when not given.
    """

    def __init__(
        self,
        state_dir: Path,
        *,
        scenario: Scenario | None,
        frontend: FrontEndFactory,
        clock: Clock | None = None,
        settings: LabSettings | None = None,
        vendor_passphrase: str | None = None,
    ) -> None:
        self.state_dir = state_dir
        self.scenario = scenario
        self.frontend = frontend
        self.clock = clock or SystemClock()
        self.settings = settings or (scenario.settings if scenario else LabSettings())
        self.devices: dict[str, LabDevice] = {}
        self.store: LabStore | None = None
        self._saver: asyncio.Task[None] | None = None
        self._rng = secrets.SystemRandom()
        self.discovery: DiscoveryResponders | None = None
        self.started = False
        self._vendor_passphrase = vendor_passphrase

    # ------------------------------------------------------------------ life cycle

    async def start(self) -> None:
        """Load or create the devices, bind them all, start agents and the state saver.

        Raises:
            ConfigurationError: an empty state directory and no scenario, or an address is taken.
        """
        self.store = LabStore(self.state_dir)
        if self.store.is_empty():
            if self.scenario is None:
                raise ConfigurationError(f"{self.state_dir} holds no lab yet: give a scenario or --devices")
            fresh = self._manufacture(self.scenario)
        else:
            fresh = False
            self._load(self.store.load())
        await self._bind_all()
        if fresh and self.scenario is not None:
            self._link_channels(self.scenario)
        for device in self.devices.values():
            device.model.finish_boot()
            self._start_agent(device)
        await self._start_discovery()
        self.save()
        self._saver = asyncio.get_running_loop().create_task(self._save_loop(), name="lab-saver")
        self.started = True

    async def stop(self) -> None:
        """Stop every device and agent, and save the state."""
        # -- discovery: Bye from every device still on, then no more answers.
        if self.discovery is not None:
            self.discovery.stop(list(self.devices.values()))
            self.discovery = None
        if self._saver is not None:
            self._saver.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._saver
        for device in self.devices.values():
            if device._power_task is not None:
                device._power_task.cancel()
        await asyncio.gather(*(self._stop_device(device) for device in self.devices.values()))
        if self.store is not None:
            self.save()
            self.store.close()
            self.store = None
        self.started = False

    async def _start_discovery(self) -> None:
        """-- discovery: one SADP and one WS-Discovery responder for the whole lab, and a Hello per device."""
        settings = self.settings
        self.discovery = DiscoveryResponders(
            lambda: list(self.devices.values()),
            sadp_port=settings.sadp_port,
            wsd_port=settings.wsd_port,
            interfaces=settings.discovery_interfaces,
        )
        await self.discovery.start()
        for device in self.devices.values():
            self.discovery.device_booted(device)

    async def _stop_device(self, device: LabDevice) -> None:
        if device.agent is not None:
            await device.agent.stop()
            device.agent = None
        if device.server is not None:
            await device.server.stop()
        if device.https_server is not None:  # -- https
            await device.https_server.stop()

    def save(self) -> None:
        """Write every device whose state changed since the last save."""
        if self.store is None:
            return
        changed = [
            device for device in self.devices.values() if device.model.revision != device.saved_revision
        ]
        if not changed:
            return
        self.store.save(
            StoredDevice(
                device.label, _identity_record(device.model), device.spec_record(), device.sealed_record()
            )
            for device in changed
        )
        for device in changed:
            device.saved_revision = device.model.revision

    async def _save_loop(self) -> None:
        while True:
            await asyncio.sleep(SAVE_INTERVAL)
            try:
                self.save()
            except Exception:  # keep serving even if one save fails; the next one retries
                log.exception("saving lab state failed")

    # ------------------------------------------------------------------ building devices

    def _manufacture(self, scenario: Scenario) -> bool:
        rng = Random(self.settings.seed)
        hikvision = any(spec.vendor == "Hikvision" for spec in scenario.devices)
        material = self._vendor_material() if hikvision else None
        for index, spec in enumerate(scenario.devices):
            address, port = self._address_for(index)
            model = self._build_model(spec, rng)
            if material is not None and spec.vendor == "Hikvision":
                model.vendor_support.trust = manufacture(material, model.identity)
            device = LabDevice(
                spec.label, model, address, port, spec.recorded_password, spec.channels, lab=self
            )
            self.devices[spec.label] = device
        return True

    def _build_model(self, spec: DeviceSpec, rng: Random) -> DeviceModel:
        manufactured = spec.firmware.build_date - timedelta(days=rng.randrange(30, 400))
        identity = make_identity(
            model=spec.model,
            kind=spec.kind,
            firmware=spec.firmware,
            manufactured=manufactured,
            rng=rng,
            vendor=spec.vendor,
            has_storage=spec.has_storage,
        )
        model = DeviceModel(
            identity, clock=self.clock, rng=self._rng, skew=timedelta(seconds=spec.clock_skew)
        )
        if spec.activated and spec.admin_password is not None:
            if not model.activated:
                model.activate(spec.admin_password)
            elif spec.admin_password != model.factory_password:
                admin = model.user(1)
                model.modify_user(admin, 1, password=spec.admin_password)
            admin = model.user(1)
            for user in spec.users:
                model.add_user(admin, name=user.name, password=user.password, level=user.level)
        if spec.lock is not None:
            enabled, attempts, seconds = spec.lock
            model.settings.lock = LockSettings(enabled, attempts, seconds)
            model.lock.settings = model.settings.lock
        if spec.onvif_enabled is not None:
            model.settings.onvif_enabled = spec.onvif_enabled
        return model

    def _vendor_material(self) -> FactoryMaterial:
        """-- vendor: the factory's device CA and trust bundle, given or the lab's own throwaway one."""
        given = self.settings.vendor_keys
        if given is not None:
            passphrase = self._vendor_passphrase or os.environ.get(FACTORY_PASSPHRASE_ENV) or None
            return load_factory_material(given, passphrase=passphrase)
        material = open_throwaway_vendor(self.state_dir / VENDOR_DIR, now=self.clock.now())
        log.warning(
            "no vendor keys given ([lab] vendor_keys): devices are made with the lab's throwaway vendor in %s "
            "(unencrypted test keys); answer their reset requests with `camvault support --keys %s ...`",
            material.directory,
            material.directory,
        )
        return material

    def vendor_keys(self) -> dict[str, Any] | None:
        """-- vendor: where the vendor keys of this lab's devices are, for the manifest and the CLI."""
        if self.settings.vendor_keys is not None:
            return {"directory": str(self.settings.vendor_keys), "throwaway": False}
        throwaway = self.state_dir / VENDOR_DIR
        if throwaway.is_dir():
            return {"directory": str(throwaway), "throwaway": True}
        return None

    def _load(self, stored: Iterable[StoredDevice]) -> None:
        for row in stored:
            identity = identity_from_dict(row.identity)
            model = DeviceModel(identity, clock=self.clock, rng=self._rng)
            state = dict(row.state)
            facts = state.pop(LAB_FACTS, {})
            model.restore_snapshot(state)
            model.vendor_support.trust = restore_vendor_trust(
                row.identity.get(VENDOR_TRUST), state.get("vendor_support"), serial=identity.serial
            )
            spec = row.spec
            device = LabDevice(
                row.label,
                model,
                str(spec["address"]),
                int(spec["http_port"]),
                facts.get("recorded_password"),
                tuple(spec.get("links", ())),
                lab=self,
                saved_revision=model.revision,
            )
            self.devices[row.label] = device

    def _address_for(self, index: int) -> tuple[str, int]:
        settings = self.settings
        if settings.addressing == "addresses":
            host = index + 1
            second, third = divmod(host, 254)
            return f"{settings.address_prefix}.{second}.{third + 1}", settings.http_port
        return "127.0.0.1", settings.base_port + index if settings.base_port else 0

    def _link_channels(self, scenario: Scenario) -> None:
        for spec in scenario.devices:
            if spec.kind is not Kind.NVR or not spec.channels:
                continue
            nvr = self.devices[spec.label].model
            for channel_id, camera_label in enumerate(spec.channels, start=1):
                camera = self.devices[camera_label]
                password = scenario.device(camera_label).admin_password
                if password is None:
                    continue
                onvif_only = camera.model.identity.kind is Kind.ONVIF_CAMERA
                nvr.set_channel(
                    channel_id,
                    address=camera.address,
                    port=camera.http_port,
                    username="admin",
                    password=password,
                    name=camera_label,
                    protocol=ChannelProtocol.ONVIF if onvif_only else ChannelProtocol.HIKVISION,
                )

    async def _bind_all(self) -> None:
        for device in self.devices.values():
            device.server = HttpServer(
                self.frontend(device),
                host=device.address,
                port=device.http_port,
                faults=device.fault_for,
                date_header=partial(_http_date, device.model),
            )
        # Bind in bounded batches: a thousand binds at once is fine, but errors stay readable.
        pending = list(self.devices.values())
        for start in range(0, len(pending), 256):
            batch = pending[start : start + 256]
            results = await asyncio.gather(
                *(device.server.start() for device in batch if device.server), return_exceptions=True
            )
            for device, result in zip(batch, results, strict=True):
                if isinstance(result, OSError):
                    where = f"{device.address}:{device.http_port} for {device.label}"
                    raise ConfigurationError(f"cannot listen on {where}: {result.strerror}")
                if device.server is not None:
                    device.http_port = device.server.port
        if self.settings.https:  # -- https
            await self._bind_https()

    async def _bind_https(self) -> None:
        """-- https: a second server per device, with the device's own self-signed certificate."""
        port = HTTPS_PORT if self.settings.addressing == "addresses" else 0
        for device in self.devices.values():
            context = device_tls_context(
                device.model.identity, device.address, self.clock.now(), cache_dir=self.state_dir / "tls"
            )
            device.https_server = HttpServer(
                self.frontend(device),
                host=device.address,
                port=port,
                tls=context,
                faults=device.fault_for,
                date_header=partial(_http_date, device.model),
            )
            try:
                await device.https_server.start()
            except OSError as exc:
                where = f"{device.address}:{port} for {device.label}"
                raise ConfigurationError(f"cannot listen for HTTPS on {where}: {exc.strerror}") from None
            device.https_port = device.https_server.port

    def _start_agent(self, device: LabDevice) -> None:
        if device.model.identity.kind is not Kind.NVR:
            return
        source = device.address if self.settings.addressing == "addresses" else None
        device.agent = NvrAgent(
            device.model,
            source_address=source,
            check_seconds=self.settings.nvr_check_seconds,
            retry_seconds=self.settings.nvr_retry_seconds,
        )
        device.agent.start()

    # ------------------------------------------------------------------ the physical world

    def device(self, label: str) -> LabDevice:
        """The device with this label.

        Raises:
            ConfigurationError: there is none.
        """
        device = self.devices.get(label)
        if device is None:
            raise ConfigurationError(f"no device labelled {label!r} in this lab")
        return device

    async def press_reset(self, label: str, seconds: float) -> str:
        """Hold the reset button for ``seconds``: long enough restores factory defaults and reboots.

        Returns:
            What happened, in words.
        """
        device = self.device(label)
        if seconds < RESET_HOLD_SECONDS:
            return f"{label}: button held {seconds:g} s; nothing happens below {RESET_HOLD_SECONDS:g} s"
        device.model.factory_reset(ResetMode.FULL)
        await self.power_cycle(label)
        state = "inactive" if not device.model.activated else "back to its factory password"
        return f"{label}: factory defaults restored; the device rebooted {state}"

    async def power_cycle(self, label: str, *, off_seconds: float = 0.0) -> None:
        """Pull the plug, wait, plug it back in; returns when the device answers again."""
        device = self.device(label)
        self.start_power_cycle(device, reboot=False, off_seconds=off_seconds)
        if device._power_task is not None:
            await asyncio.shield(device._power_task)

    def start_power_cycle(self, device: LabDevice, *, reboot: bool, off_seconds: float = 0.0) -> None:
        """Begin a power cycle in the background (a reboot lets the current reply out first)."""
        if device._power_task is not None and not device._power_task.done():
            return
        device._power_task = asyncio.get_running_loop().create_task(
            self._cycle(device, reboot=reboot, off_seconds=off_seconds), name=f"power-{device.label}"
        )

    async def _cycle(self, device: LabDevice, *, reboot: bool, off_seconds: float) -> None:
        if reboot:
            await asyncio.sleep(0.05)
        model = device.model
        if self.discovery is not None:  # -- discovery: Bye before the power goes
            self.discovery.device_leaving(device)
        model.power_off()
        if device.server is not None:
            await device.server.stop()
        if device.https_server is not None:  # -- https
            await device.https_server.stop()
        await asyncio.sleep(off_seconds)
        model.begin_boot()
        await asyncio.sleep(self.settings.boot_seconds)
        if device.server is not None:
            await device.server.start()
        if device.https_server is not None:  # -- https
            await device.https_server.start()
        model.finish_boot()
        if self.discovery is not None:  # -- discovery: Hello once booted
            self.discovery.device_booted(device)
        if device.agent is not None:
            device.agent.wake()

    def set_clock(
        self, label: str, *, when: datetime | None = None, skew_seconds: float | None = None
    ) -> datetime:
        """Set a device's clock to a time, or to the lab's time plus a skew; returns the device time."""
        device = self.device(label)
        if (when is None) == (skew_seconds is None):
            raise ConfigurationError("give either a time or a skew")
        if when is not None:
            device.model.set_time(when)
        else:
            device.model.set_time(self.clock.now() + timedelta(seconds=skew_seconds or 0.0))
        return device.model.now()

    def set_faults(self, label: str, plan: FaultPlan | None) -> None:
        """Inject faults into a device's traffic, or clear them with ``None``."""
        self.device(label).faults = plan

    def manifest(self) -> dict[str, Any]:
        """Every device as its label and the network show it (no credentials), and where the vendor keys are."""
        vendor = self.vendor_keys()
        return {
            **({"vendor_keys": vendor} if vendor is not None else {}),
            "devices": [device.describe() for device in self.devices.values()],
        }

    def installer_records(self) -> dict[str, Any]:
        """What the installer recorded at set-up, kept apart from the manifest (lab passwords)."""
        return {
            "note": "Credentials the installer recorded at set-up. Some are wrong or missing on purpose.",
            "devices": [
                {
                    "label": device.label,
                    "serial": device.model.identity.serial,
                    "username": "admin",
                    "password": device.recorded_password,
                }
                for device in self.devices.values()
            ],
        }


def _identity_record(model: DeviceModel) -> dict[str, Any]:
    """-- vendor: the stored identity: the public facts, and the public half of the vendor trust."""
    record: dict[str, Any] = dict(identity_to_dict(model.identity))
    trust = model.vendor_support.trust
    if trust is not None:
        record[VENDOR_TRUST] = trust.public_record()
    return record


def _http_date(model: DeviceModel) -> str:
    """The ``Date`` header a device sends: its own clock, which is how tools read a device's date (§14.2)."""
    return format_datetime(model.now(), usegmt=True)


def refusal_text(exc: DeviceRefusal) -> str:
    """A refusal for a human."""
    return f"{exc.reason}: {exc}"
