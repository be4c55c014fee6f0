"""Guided recovery: back into a device whose password nobody knows, down the least destructive path.

The paths, in the order the guide tries them (each explained to the owner before it is taken):

1. **vault history**: every password the vault has held for the device, newest first, through the attempt
   budget (the device locks after a few failures; camvault always keeps attempts in reserve). Nothing
   changes on the device until one works; then the vault makes it current and, by default, it is rotated
   to a new unique password.
2. **security questions** the owner set on the device, 3. a **GUID file** exported from it earlier,
   4. **vendor support**: export the signed request, send it with the model and serial number, import the
   one-time code. Each of these keeps every setting and recording; each new password is staged in the
   vault before the device is told (:meth:`~camvault.fleet.rotation.engine.RotationEngine.reset_one`).
   While the device's lock is engaged for us, only the vendor code is tried (no lock guards against a
   secret nobody can guess); answers or a GUID file would restart the lock.
5. **factory reset**, only with the owner's explicit confirmation: back up what any remaining access allows
   (configuration, recordings), press the reset button (the lab presses it; on a real device the owner is
   told exactly what to do and the guide waits for the device to come back inactive), activate it with a
   new unique password, restore the last configuration backup (which brings back the accounts it held:
   the guide makes that password current and rotates it away), and re-link the NVR channels.

The guide never holds a password outside the vault longer than one call, and never writes one to the
owner's terminal: the owner reads them with ``camvault vault reveal``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from sqlalchemy import Connection

from camvault.errors import (
    AttemptBudgetExhausted,
    CamvaultError,
    DeviceError,
    DeviceLocked,
    DeviceUnreachable,
    InventoryError,
    SecretNotFound,
    UnsupportedOperation,
    reason_of,
)
from camvault.fleet.drivers import (
    Credential,
    DeviceDriver,
    DeviceKind,
    Endpoint,
    RecoveryMethods,
    SecurityQuestion,
)
from camvault.fleet.drivers.sadp_reset import SadpVendorReset
from camvault.fleet.inventory import DeviceRecord
from camvault.fleet.recovery.backups import ConfigBackup, latest_backup, open_backup, take_backup
from camvault.fleet.rotation.engine import DeviceRotation, RotateOptions, RotationEngine
from camvault.fleet.rotation.journal import known_channels, recorders_of
from camvault.fleet.session import FleetSession
from camvault.fleet.vault import Vault
from camvault.protocols.sadp import PORT as SADP_PORT

__all__ = [
    "Assessment",
    "Owner",
    "PathOption",
    "RecoveryGuide",
    "RecoveryOptions",
    "RecoveryOutcome",
    "RecoveryPath",
    "RecoveryResult",
]


class RecoveryPath(StrEnum):
    """The ways back in, least destructive first."""

    VAULT_HISTORY = "vault-history"
    SECURITY_QUESTIONS = "security-questions"
    GUID_FILE = "guid-file"
    VENDOR_SUPPORT = "vendor-support"
    FACTORY_RESET = "factory-reset"


class RecoveryOutcome(StrEnum):
    """How a recovery ended."""

    RECOVERED = "recovered"
    NOTHING_TO_DO = "nothing-to-do"
    WAITING_FOR_VENDOR = "waiting-for-vendor"
    NEEDS_OWNER = "needs-owner"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class PathOption:
    """One path as the guide sees it for this device.

    Attributes:
        path: which.
        available: whether it can be taken now.
        explanation: what it takes and what it costs, for the owner (no secret).
        destructive: whether it erases anything.
    """

    path: RecoveryPath
    available: bool
    explanation: str
    destructive: bool = False


@dataclass(frozen=True, slots=True)
class Assessment:
    """What the guide found before touching anything (spends no login attempt).

    Attributes:
        record: the device.
        reachable: it answered.
        activated: whether it is active (``None``: the protocol does not say).
        candidates: how many distinct passwords the vault has held for it.
        methods: the reset methods it offers without a login (``None``: its driver has none).
        backup: the newest configuration backup in the store.
        recorders: ``NVR label/channel`` of every NVR channel known to record it.
        options: every path, in order.
    """

    record: DeviceRecord
    reachable: bool
    activated: bool | None
    candidates: int
    methods: RecoveryMethods | None
    backup: ConfigBackup | None
    recorders: tuple[str, ...]
    options: tuple[PathOption, ...]


@dataclass(slots=True)
class RecoveryResult:
    """How it went.

    Attributes:
        outcome: the end state.
        path: the path that got the device back (or is waiting), if any.
        message: one line for the owner.
        rotation: the journaled password change that ended it, if any.
        request_file: where the vendor-support request was saved, when waiting for the vendor.
    """

    outcome: RecoveryOutcome
    path: RecoveryPath | None
    message: str
    rotation: DeviceRotation | None = None
    request_file: str | None = None


class Owner(Protocol):
    """The person at the keyboard (and, for a reset, at the device): what the guide asks of them.

    The CLI implements it with prompts and options; tests implement it with canned answers. A method that
    returns ``None`` means "not available / not now": the guide moves to the next path.
    """

    factory_reset_allowed: bool
    """The owner asked for a factory reset if nothing gentler works (``--factory-reset``)."""

    def tell(self, message: str) -> None:
        """Show a progress line (never a secret)."""

    def answers(self, questions: Sequence[SecurityQuestion]) -> dict[int, str] | None:
        """The answers to the device's security questions, by question id."""

    def guid_file(self) -> bytes | None:
        """The GUID file exported from the device earlier."""

    def reset_code(self) -> str | bytes | None:
        """The vendor's one-time code (typed text, or the code file's bytes)."""

    def save_request(self, record: DeviceRecord, data: bytes) -> str:
        """Keep the exported vendor-support request; returns where it is (a path to show)."""

    def remaining_access(self) -> Credential | None:
        """A login that still works on the device (e.g. an operator account), for backups before a reset."""

    def recordings_dir(self) -> Path | None:
        """Where to copy the recordings before a reset, if the owner wants them."""

    def confirm_factory_reset(self, record: DeviceRecord, consequences: Sequence[str]) -> bool:
        """The final yes, after reading what will be lost and kept."""

    async def press_reset_button(self, record: DeviceRecord) -> None:
        """Press the button (lab), or tell the owner exactly how to (real device)."""


@dataclass(frozen=True, slots=True)
class RecoveryOptions:
    """How the guide behaves.

    Attributes:
        rotate_after: after a password is found in the vault history, rotate it to a new unique one.
        reset_wait_seconds: how long to wait for a device to come back inactive after the button.
        poll_seconds: how often to look meanwhile.
        recordings_limit: at most this many clips copied before a reset.
        recording_max_bytes: at most this many bytes per clip.
        settle_seconds: how long to wait for a device to come back after a configuration restore.
        reboot_grace_seconds: how long to watch for the reboot a configuration restore triggers (a device
            that is still up after this is taken not to reboot).
        vendor_over_sadp: run the vendor-support path (export, code) over SADP instead of ISAPI: for a
            device whose web port is out of reach or whose firmware has no ISAPI route for it. Needs the
            device's MAC in the inventory.
        sadp_port: the devices' SADP port.
    """

    rotate_after: bool = True
    reset_wait_seconds: float = 900.0
    poll_seconds: float = 1.0
    recordings_limit: int = 500
    recording_max_bytes: int = 512 * 1024 * 1024
    settle_seconds: float = 120.0
    reboot_grace_seconds: float = 20.0
    vendor_over_sadp: bool = False
    sadp_port: int = SADP_PORT


@dataclass
class _Context:
    record: DeviceRecord
    driver: DeviceDriver
    engine: RotationEngine
    assessment: Assessment
    notes: list[str] = field(default_factory=list)


class VendorChannel(Protocol):
    """The two calls of the vendor-support path, over ISAPI (the driver) or SADP."""

    async def export_reset_request(self) -> bytes:
        """Export a new signed reset request."""
        ...

    async def reset_with_code(self, code: str | bytes, new_password: str) -> None:
        """Set a new admin password with the vendor's code."""
        ...


class RecoveryGuide:
    """Takes one device back, least destructive path first.

    Args:
        session: an open fleet session with the vault unlocked.
        owner: who answers the guide's questions.
        options: behaviour.
    """

    def __init__(self, session: FleetSession, owner: Owner, options: RecoveryOptions | None = None) -> None:
        if session.vault is None:
            raise InventoryError("recovery needs the vault unlocked")
        self.session = session
        self.owner = owner
        self.options = options or RecoveryOptions()

    # ------------------------------------------------------------------ assessment

    async def assess(self, record: DeviceRecord) -> Assessment:
        """Look at the device and the store without spending a login attempt, and explain every path."""
        driver = self.session.driver(record)
        try:
            probe = await driver.probe()
            reachable, activated = probe.reachable, probe.activated
        except DeviceUnreachable:
            reachable, activated = False, None
        methods: RecoveryMethods | None = None
        if reachable and activated is not False:
            try:
                methods = await driver.recovery_methods()
            except UnsupportedOperation:
                methods = None
            except DeviceError as problem:
                self.owner.tell(f"the device did not say which reset methods it offers: {problem.reason}")
        candidates = len(self._candidates(record))
        with self.session.store.transaction(readonly=True) as conn:
            backup = latest_backup(conn, record.id)
            recorders = self._recorder_names(conn, record)
        options = _explain(
            candidates=candidates,
            methods=methods,
            backup=backup,
            recorders=recorders,
            reserve=self.session.budget.reserve,
        )
        return Assessment(
            record, reachable, activated, candidates, methods, backup, tuple(recorders), options
        )

    # ------------------------------------------------------------------ the guide

    async def recover(self, record: DeviceRecord) -> RecoveryResult:
        """Get the device back (see the module docstring); every password change goes through the journal."""
        engine = RotationEngine(self.session, RotateOptions(canary=0, concurrency=1))
        for resumed in await engine.begin(f"recover {record.label}"):
            self.owner.tell(f"finished an interrupted change first: {resumed.device}: {resumed.state.value}")
        result = RecoveryResult(RecoveryOutcome.FAILED, None, "not started")
        try:
            record = self._fresh(record)
            context = _Context(record, self.session.driver(record), engine, await self.assess(record))
            result = await self._recover(context)
        finally:
            engine.end(
                result.outcome.value,
                failed_devices=[] if result.outcome is RecoveryOutcome.RECOVERED else [record.id],
            )
        return result

    async def _recover(self, ctx: _Context) -> RecoveryResult:
        assessment = ctx.assessment
        if not assessment.reachable:
            return RecoveryResult(
                RecoveryOutcome.FAILED, None, "the device does not answer: check its power and network first"
            )
        if assessment.activated is False:
            self.owner.tell(
                "the device is inactive (factory state): activating it and restoring what was kept"
            )
            return await self._after_reset(ctx, assessment.backup)
        found = await self._from_history(ctx)
        if found is not None:
            return found
        methods = await self._methods_now(ctx)
        if methods.locked:
            return await self._while_locked(ctx, methods)
        for attempt in (self._by_questions, self._by_guid, self._by_vendor):
            outcome = await attempt(ctx, methods)
            if outcome is not None:
                return outcome
        return await self._factory_reset(ctx)

    async def _methods_now(self, ctx: _Context) -> RecoveryMethods:
        """The reset methods as they stand after the history was tried (a failed login may have locked us out)."""
        if ctx.assessment.methods is None or ctx.assessment.candidates == 0:
            return ctx.assessment.methods or RecoveryMethods()
        try:
            return await ctx.driver.recovery_methods()
        except DeviceError:
            return ctx.assessment.methods

    async def _while_locked(self, ctx: _Context, methods: RecoveryMethods) -> RecoveryResult:
        """Locked out: only a vendor code (which no lock guards against) or the reset button remain."""
        wait = f"{methods.unlock_in_seconds or 'some'} seconds"
        self.owner.tell(
            f"the device refuses resets from this address for {wait}; "
            "security answers or a GUID file now would only restart that"
        )
        if methods.vendor_support or self.options.vendor_over_sadp:
            outcome = await self._by_vendor(ctx, methods)
            if outcome is not None:
                return outcome
        if self.owner.factory_reset_allowed:
            return await self._factory_reset(ctx)
        return RecoveryResult(
            RecoveryOutcome.NEEDS_OWNER,
            None,
            f"the device has suspended password resets for {wait}; run this again afterwards"
            + (" (a vendor code is accepted even now: --code)" if methods.vendor_support else ""),
        )

    # ------------------------------------------------------------------ 1. vault history

    async def _from_history(self, ctx: _Context) -> RecoveryResult | None:
        candidates = self._candidates(ctx.record)
        if not candidates:
            self.owner.tell("the vault holds no password for this device")
            return None
        offered = ctx.assessment.methods or RecoveryMethods()
        keep = 1 if offered.security_questions or offered.guid_file else 0
        self.owner.tell(f"trying the {len(candidates)} password(s) the vault has held for it, newest first")
        for number, (version, credential) in enumerate(candidates, start=1):
            if keep and self.session.budget.remaining(ctx.record.label) <= keep:
                self.owner.tell(f"stopped after {number - 1}: the last attempt is kept for a reset method")
                return None
            try:
                result = await ctx.driver.check_login(credential)
            except (AttemptBudgetExhausted, DeviceLocked) as stop:
                self.owner.tell(f"stopped after {number - 1}: {stop.reason}")
                return None
            except DeviceError as problem:
                self.owner.tell(f"could not try them: {problem.reason}")
                return None
            if result.ok:
                if version == self._current_version(ctx.record):
                    return RecoveryResult(
                        RecoveryOutcome.NOTHING_TO_DO,
                        None,
                        "the vault's current password works: nothing to recover",
                    )
                return await self._adopt(ctx, version, credential)
        self.owner.tell("none of them works")
        return None

    async def _adopt(self, ctx: _Context, version: int, credential: Credential) -> RecoveryResult:
        record = ctx.record
        vault = self._vault()
        ref = _ref(record)
        with self.session.store.transaction() as conn:
            vault.put(
                conn,
                ref,
                credential.password,
                username=credential.username,
                note=f"recovered: the device still had version {version}",
            )
        self.owner.tell(f"version {version} from the vault history works; it is current again")
        if not self.options.rotate_after:
            return RecoveryResult(
                RecoveryOutcome.RECOVERED, RecoveryPath.VAULT_HISTORY, "the vault's password works again"
            )
        rotation = await ctx.engine.rotate_one(self._fresh(record))
        return _finished(rotation, RecoveryPath.VAULT_HISTORY, "found in the vault history, then rotated")

    # ------------------------------------------------------------------ 2-4. resets that keep everything

    async def _by_questions(self, ctx: _Context, methods: RecoveryMethods) -> RecoveryResult | None:
        if not methods.security_questions:
            return None
        answers = self.owner.answers(methods.security_questions)
        if not answers:
            self.owner.tell("security questions: no answers given; skipping")
            return None
        self.owner.tell("resetting with the answers to the security questions")
        driver = ctx.driver
        rotation = await ctx.engine.reset_one(
            ctx.record,
            lambda password: driver.reset_with_answers(answers, password),
            how="the security questions",
        )
        return self._reset_result(rotation, RecoveryPath.SECURITY_QUESTIONS)

    async def _by_guid(self, ctx: _Context, methods: RecoveryMethods) -> RecoveryResult | None:
        if not methods.guid_file:
            return None
        guid = self.owner.guid_file()
        if not guid:
            self.owner.tell("GUID file: none given; skipping")
            return None
        self.owner.tell("resetting with the GUID file (the device spends it: export a new one afterwards)")
        driver = ctx.driver
        rotation = await ctx.engine.reset_one(
            ctx.record, lambda password: driver.reset_with_guid(guid, password), how="the GUID file"
        )
        return self._reset_result(rotation, RecoveryPath.GUID_FILE)

    def _vendor_channel(self, ctx: _Context, methods: RecoveryMethods) -> VendorChannel | None:
        """Where the vendor path runs: the driver (ISAPI), or SADP when asked; ``None``: not offered."""
        record = ctx.record
        if not self.options.vendor_over_sadp:
            return ctx.driver if methods.vendor_support else None
        if record.vendor != "hikvision" or not record.mac:
            self.owner.tell("vendor support over SADP needs a Hikvision device with its MAC in the inventory")
            return None
        return SadpVendorReset(
            record.host,
            record.mac,
            budget=self.session.budget,
            name=record.label,
            port=self.options.sadp_port,
        )

    async def _by_vendor(self, ctx: _Context, methods: RecoveryMethods) -> RecoveryResult | None:
        channel = self._vendor_channel(ctx, methods)
        if channel is None:
            return None
        code = self.owner.reset_code()
        if code:
            self.owner.tell("resetting with the vendor's one-time code")
            rotation = await ctx.engine.reset_one(
                ctx.record, lambda password: channel.reset_with_code(code, password), how="the vendor's code"
            )
            return self._reset_result(rotation, RecoveryPath.VENDOR_SUPPORT)
        if self.owner.factory_reset_allowed:
            self.owner.tell("vendor support would keep everything, but a factory reset was asked for instead")
            return None
        try:
            data = await channel.export_reset_request()
        except DeviceError as problem:
            self.owner.tell(f"vendor support: the device would not export a request: {problem.reason}")
            return None
        where = self.owner.save_request(ctx.record, data)
        record = ctx.record
        return RecoveryResult(
            RecoveryOutcome.WAITING_FOR_VENDOR,
            RecoveryPath.VENDOR_SUPPORT,
            f"send {where} to the vendor's support with the model ({record.model or 'see the label'}) and serial "
            f"number ({record.serial or 'see the label'}); when the code arrives, run this again with "
            f"{'--sadp ' if self.options.vendor_over_sadp else ''}--code "
            "(exporting another request would void this one)",
            request_file=where,
        )

    def _reset_result(self, rotation: DeviceRotation, path: RecoveryPath) -> RecoveryResult | None:
        if rotation.rotated:
            return _finished(rotation, path, "reset without erasing anything")
        self.owner.tell(f"{path.value}: {rotation.reason or rotation.state.value}")
        return None

    # ------------------------------------------------------------------ 5. factory reset

    async def _factory_reset(self, ctx: _Context) -> RecoveryResult:
        record = ctx.record
        backup = ctx.assessment.backup
        access = self.owner.remaining_access()
        consequences = [
            "every account, setting and network parameter is erased; the device comes back inactive",
            "recordings stay on the device's storage (a reset does not format it)",
        ]
        if record.kind == DeviceKind.NVR.value or self._channels_to_relink(record):
            consequences.append("its IP channels are erased; camvault adds back the ones it knows")
        if ctx.assessment.recorders:
            consequences.append(
                f"NVR channels recording it get the new password: {', '.join(ctx.assessment.recorders)}"
            )
        if access is not None:
            consequences.append("a configuration backup is taken first with the login that still works")
        elif backup is not None:
            consequences.append(
                f"the configuration backup of {backup.created_at:%Y-%m-%d %H:%M} UTC is restored afterwards"
            )
        else:
            consequences.append("no configuration backup exists: settings must be redone by hand")
        if not self.owner.factory_reset_allowed or not self.owner.confirm_factory_reset(record, consequences):
            return RecoveryResult(
                RecoveryOutcome.NEEDS_OWNER,
                RecoveryPath.FACTORY_RESET,
                "nothing gentler worked; a factory reset is left (run again with --factory-reset to confirm it)",
            )
        if access is not None:
            backup = await self._backup_before_reset(ctx, access) or backup
        channels = self._channels_to_relink(record)
        await self.owner.press_reset_button(record)
        if not await self._wait_inactive(ctx.driver):
            return RecoveryResult(
                RecoveryOutcome.NEEDS_OWNER,
                RecoveryPath.FACTORY_RESET,
                f"the device did not come back inactive within {self.options.reset_wait_seconds:.0f} s; "
                "run this again once it has (it will be activated then)",
            )
        self.owner.tell("the device is back in factory state")
        return await self._after_reset(ctx, backup, channels)

    async def _backup_before_reset(self, ctx: _Context, access: Credential) -> ConfigBackup | None:
        backup: ConfigBackup | None = None
        try:
            backup = await take_backup(self.session, ctx.record, access)
            self.owner.tell(f"configuration backed up ({backup.size} bytes, kept encrypted in the store)")
        except CamvaultError as problem:
            self.owner.tell(f"the configuration could not be backed up: {reason_of(problem)}")
        target = self.owner.recordings_dir()
        if target is not None:
            await self._copy_recordings(ctx, access, target)
        return backup

    async def _copy_recordings(self, ctx: _Context, access: Credential, target: Path) -> None:
        try:
            segments = await ctx.driver.recordings(access, limit=self.options.recordings_limit)
        except CamvaultError as problem:
            self.owner.tell(f"recordings could not be listed: {reason_of(problem)}")
            return
        await asyncio.to_thread(target.mkdir, parents=True, exist_ok=True)
        copied = 0
        for segment in segments:
            try:
                data = await ctx.driver.download_recording(
                    access, segment, max_bytes=self.options.recording_max_bytes
                )
            except CamvaultError as problem:
                self.owner.tell(f"a clip could not be copied: {reason_of(problem)}")
                continue
            name = f"{ctx.record.label}-track{segment.track}-{segment.start:%Y%m%dT%H%M%S}.mp4"
            await asyncio.to_thread((target / name).write_bytes, data)
            copied += 1
        self.owner.tell(f"{copied} of {len(segments)} recordings copied to {target}")

    async def _wait_inactive(self, driver: DeviceDriver) -> bool:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.options.reset_wait_seconds
        while loop.time() < deadline:
            try:
                probe = await driver.probe()
                if probe.reachable and probe.activated is False:
                    return True
            except DeviceError:
                pass  # rebooting
            await asyncio.sleep(self.options.poll_seconds)
        return False

    async def _after_reset(
        self,
        ctx: _Context,
        backup: ConfigBackup | None,
        channels: list[tuple[int, DeviceRecord]] | None = None,
    ) -> RecoveryResult:
        record = ctx.record
        if channels is None:
            channels = self._channels_to_relink(record)
        self.session.budget.device_was_reset(record.label)
        activation = await ctx.engine.activate_one(self._fresh(record))
        if not activation.rotated:
            return RecoveryResult(
                RecoveryOutcome.FAILED,
                RecoveryPath.FACTORY_RESET,
                f"activation failed: {activation.reason or activation.state.value}",
                activation,
            )
        self.owner.tell("activated with a new unique password (in the vault)")
        final = activation
        if backup is not None and backup.model == (record.model or backup.model):
            final = await self._restore(ctx, backup) or final
        if channels:
            await self._relink(ctx, channels)
        return _finished(
            final,
            RecoveryPath.FACTORY_RESET,
            "factory reset, activated" + (", configuration restored" if final is not activation else ""),
        )

    async def _restore(self, ctx: _Context, backup: ConfigBackup) -> DeviceRotation | None:
        record = self._fresh(ctx.record)
        credential = self.session.credential(record)
        vault = self._vault()
        if credential is None:
            raise InventoryError(f"{record.label}: the activation password is missing from the vault")
        data, secret = open_backup(self.session, backup)
        try:
            await ctx.driver.restore_config(credential, data, secret)
        except CamvaultError as problem:
            self.owner.tell(f"the configuration backup could not be restored: {reason_of(problem)}")
            return None
        self.owner.tell("configuration restored; the device restarts with the accounts it held then")
        await self._wait_reboot(ctx.driver)
        with self.session.store.transaction(readonly=True) as conn:
            restored = vault.get(conn, backup.credential_ref, backup.credential_version).secret
        restored_credential = Credential(restored.username, restored.password)
        if not await self._wait_login(ctx.driver, restored_credential):
            self.owner.tell("the restored password is not accepted (yet): the vault keeps it in its history")
            return None
        with self.session.store.transaction() as conn:
            vault.put(
                conn,
                _ref(record),
                restored.password,
                username=restored.username,
                note=f"restored with the configuration backup of {backup.created_at:%Y-%m-%d}",
            )
        self.owner.tell("rotating the restored password to a new unique one")
        return await ctx.engine.rotate_one(self._fresh(record))

    async def _wait_reboot(self, driver: DeviceDriver) -> None:
        """Watch the device go down (it reboots after a restore) and come back; bounded both ways."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.options.reboot_grace_seconds
        while loop.time() < deadline:
            try:
                if not (await driver.probe()).reachable:
                    break
            except DeviceError:
                break
            await asyncio.sleep(min(self.options.poll_seconds, 0.5))
        else:
            return
        deadline = loop.time() + self.options.settle_seconds
        while loop.time() < deadline:
            try:
                if (await driver.probe()).reachable:
                    return
            except DeviceError:
                pass  # still booting
            await asyncio.sleep(self.options.poll_seconds)

    async def _wait_login(self, driver: DeviceDriver, credential: Credential) -> bool:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.options.settle_seconds
        while loop.time() < deadline:
            try:
                return (await driver.check_login(credential)).ok
            except (AttemptBudgetExhausted, DeviceLocked):
                return False
            except DeviceError:
                pass  # still rebooting
            await asyncio.sleep(self.options.poll_seconds)
        return False

    async def _relink(self, ctx: _Context, channels: list[tuple[int, DeviceRecord]]) -> None:
        """Give a reset NVR back its channels, each with its camera's current credential from the vault."""
        nvr = self._fresh(ctx.record)
        credential = self.session.credential(nvr)
        if credential is None:
            return
        try:
            present = {channel.id for channel in await ctx.driver.channels(credential)}
        except CamvaultError as problem:
            self.owner.tell(f"the NVR's channels could not be read: {reason_of(problem)}")
            return
        relinked = 0
        for channel_id, camera in channels:
            camera_credential = self.session.credential(camera)
            if camera_credential is None:
                self.owner.tell(
                    f"channel {channel_id} ({camera.label}): the camera's password is not in the vault"
                )
                continue
            try:
                if channel_id in present:
                    await ctx.driver.set_channel_credential(
                        credential, channel_id, camera_credential.username, camera_credential.password
                    )
                else:
                    await ctx.driver.add_channel(
                        credential,
                        channel_id,
                        Endpoint(camera.host, camera.port, camera.scheme, camera.verify_tls),
                        camera_credential.username,
                        camera_credential.password,
                        protocol="HIKVISION" if camera.vendor == "hikvision" else "ONVIF",
                    )
                relinked += 1
            except CamvaultError as problem:
                self.owner.tell(f"channel {channel_id} ({camera.label}): {reason_of(problem)}")
        self.owner.tell(f"{relinked} of {len(channels)} NVR channels re-linked to their cameras")

    # ------------------------------------------------------------------ helpers

    def _candidates(self, record: DeviceRecord) -> list[tuple[int, Credential]]:
        """Every distinct password the vault has held for the device, newest first."""
        vault = self.session.vault
        if vault is None or record.credential_ref is None:
            return []
        found: list[tuple[int, Credential]] = []
        seen: set[tuple[str, str]] = set()
        with self.session.store.transaction(readonly=True) as conn:
            try:
                history = vault.history(conn, record.credential_ref)
            except SecretNotFound:
                return []
            for info in reversed(history):
                if info.state.value == "discarded":
                    continue  # staged for a change the device definitely refused: never on the device
                secret = vault.get(conn, record.credential_ref, info.version).secret
                key = (secret.username, secret.password)
                if key not in seen:
                    seen.add(key)
                    found.append((info.version, Credential(secret.username, secret.password)))
        return found

    def _current_version(self, record: DeviceRecord) -> int | None:
        vault = self._vault()
        if record.credential_ref is None:
            return None
        with self.session.store.transaction(readonly=True) as conn:
            try:
                history = vault.history(conn, record.credential_ref)
            except SecretNotFound:
                return None
        return next((info.version for info in history if info.state.value == "current"), None)

    def _channels_to_relink(self, record: DeviceRecord) -> list[tuple[int, DeviceRecord]]:
        with self.session.store.transaction(readonly=True) as conn:
            inventory = self.session.inventory()
            links = []
            for channel_id, camera_id in known_channels(conn, record.id):
                try:
                    links.append((channel_id, inventory.get(conn, camera_id)))
                except InventoryError:
                    continue
        return links

    def _recorder_names(self, conn: Connection, record: DeviceRecord) -> list[str]:
        inventory = self.session.inventory()
        names = []
        for nvr_id, channel_id in recorders_of(conn, record.id):
            try:
                names.append(f"{inventory.get(conn, nvr_id).label}/{channel_id}")
            except InventoryError:
                continue
        return names

    def _vault(self) -> Vault:
        vault = self.session.vault
        if vault is None:
            raise InventoryError("recovery needs the vault unlocked")
        return vault

    def _fresh(self, record: DeviceRecord) -> DeviceRecord:
        with self.session.store.transaction(readonly=True) as conn:
            return self.session.inventory().get(conn, record.id)


def _ref(record: DeviceRecord) -> str:
    if record.credential_ref is None:
        raise InventoryError(f"{record.label}: no credential reference in the inventory")
    return record.credential_ref


def _finished(rotation: DeviceRotation, path: RecoveryPath, how: str) -> RecoveryResult:
    if rotation.rotated:
        return RecoveryResult(
            RecoveryOutcome.RECOVERED, path, f"{how}; the vault holds the new password", rotation
        )
    return RecoveryResult(
        RecoveryOutcome.FAILED, path, f"{how}, but: {rotation.reason or rotation.state.value}", rotation
    )


def _explain(
    *,
    candidates: int,
    methods: RecoveryMethods | None,
    backup: ConfigBackup | None,
    recorders: Sequence[str],
    reserve: int,
) -> tuple[PathOption, ...]:
    offered = methods or RecoveryMethods()
    questions = len(offered.security_questions)
    reset_note = (
        f"restores the backup of {backup.created_at:%Y-%m-%d}"
        if backup
        else "no configuration backup: settings are redone by hand"
    )
    relink = f"; re-links {', '.join(recorders)}" if recorders else ""
    return (
        PathOption(
            RecoveryPath.VAULT_HISTORY,
            candidates > 0,
            f"{candidates} password(s) the vault has held, newest first, never spending the last {reserve} "
            "attempts before the device's lock"
            if candidates
            else "the vault has never held a password for it",
        ),
        PathOption(
            RecoveryPath.SECURITY_QUESTIONS,
            questions > 0,
            f"answer the {questions} question(s) set on the device; wrong answers count against its lock"
            if questions
            else "no security questions are set on the device",
        ),
        PathOption(
            RecoveryPath.GUID_FILE,
            offered.guid_file,
            "import the GUID file exported from the device earlier (the reset spends it)"
            if offered.guid_file
            else "the device offers no GUID-file reset",
        ),
        PathOption(
            RecoveryPath.VENDOR_SUPPORT,
            offered.vendor_support,
            "export a signed request, send it to the vendor's support with the model and serial number, then "
            "import the one-time code: nothing is erased"
            if offered.vendor_support
            else "the device offers no vendor-support reset",
        ),
        PathOption(
            RecoveryPath.FACTORY_RESET,
            True,
            f"hold the reset button 10-15 s: erases every account and setting ({reset_note}{relink}); needs --factory-reset",
            destructive=True,
        ),
    )
