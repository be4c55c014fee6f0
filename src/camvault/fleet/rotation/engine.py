"""The rotation engine: unique strong passwords for many devices, correct at every instant.

For each device account, the engine walks the journal's state machine (:mod:`.journal`):

1. check that the vault's current password works (a success: it costs no attempt and resets the device's
   failure count); a device whose password is unknown or rejected is not touched;
2. generate a unique password from the vendor's profile and **stage** it in the vault, together with the
   journal entry and the list of dependents (NVR channels recording this camera), in one transaction;
3. move to APPLYING (committed) and tell the device;
4. verify: the old password no longer works (only when the attempt budget allows), the new one does;
   then **promote** it (vault and journal in one transaction);
5. update the dependents: every NVR channel that records this camera gets the new password through the
   NVR's API and is verified online again; the camera is DONE when each dependent is verified or reported.

Anything ambiguous (a timeout, a dropped connection, a reply lost after the change was applied, a 5xx, a
reboot in the middle) leaves the entry in APPLYING, and :meth:`RotationEngine.resolve` finds out which of
the two passwords the device now accepts, new first, within the attempt budget: CHANGED (then promote),
ROLLED_BACK (the old one works: the staged one is discarded), or NEEDS_RECOVERY (neither works: the staged
version is kept, and ``camvault fleet recover`` takes over). A refusal (the device rejects the new password)
is definite: FAILED, the old password stays current. A crash at any instant leaves the journal in one of
these states; the next run resolves every unfinished entry before doing anything else.

NVR ordering: a camera's password is changed and, in the same task, seconds later, every NVR channel that
records it is updated. ISAPI exposes no "pause channel", so the engine orders the steps instead: an NVR
retries a failing channel every 30 s or so (the lab's default, from owners' reports), so at most one of its
retries can fail in that window, far below the camera's threshold of five; after a crash, resuming
updates the dependents of every promoted camera first.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from camvault.errors import (
    AttemptBudgetExhausted,
    AuthenticationFailed,
    CamvaultError,
    DeviceError,
    DeviceLocked,
    DeviceNotActivated,
    DeviceRefused,
    DeviceUnreachable,
    InventoryError,
    reason_of,
)
from camvault.fleet.drivers import AttemptBudget, Credential, DeviceDriver, DeviceKind
from camvault.fleet.inventory import DeviceRecord
from camvault.fleet.rotation.consumers import Consumer
from camvault.fleet.rotation.journal import (
    Dependent,
    DependentState,
    Journal,
    RotationEntry,
    RotationKind,
    State,
    known_channels,
    record_channels,
)
from camvault.fleet.runner import Outcome, Runner, RunResult
from camvault.fleet.session import FleetSession
from camvault.passwords import generate, profile_for

__all__ = ["DeviceRotation", "RotateOptions", "RotationEngine", "RotationReport"]

NVR_CHANNEL = "nvr-channel"
SETTLE_SECONDS = 90.0
CHANNEL_ONLINE_SECONDS = 30.0
DEPENDENT_TRIES = 6


@dataclass(frozen=True, slots=True)
class RotateOptions:
    """How a rotation run behaves.

    Attributes:
        canary: devices rotated first, one at a time; any failure among them stops the run.
        concurrency: devices in flight after the canary.
        per_group_limit: at most this many devices of one group in flight.
        timeout: seconds one device may take (its steps, resolution and dependents).
        verify_old: also check that the old password no longer works, when the budget allows.
        settle_seconds: how long to wait for a device to come back after an ambiguous failure.
        url_safe: generate passwords that need no escaping in RTSP URLs.
        stop_after_failures: stop the run when this many consecutive devices fail (a systematic failure).
    """

    canary: int = 1
    concurrency: int = 16
    per_group_limit: int | None = None
    timeout: float = 180.0
    verify_old: bool = True
    settle_seconds: float = SETTLE_SECONDS
    url_safe: bool = True
    stop_after_failures: int = 5


@dataclass(frozen=True, slots=True)
class DeviceRotation:
    """How one device's rotation ended."""

    device: str
    device_id: str
    state: State
    reason: str
    attempts: int
    dependents: tuple[tuple[str, str], ...] = ()

    @property
    def rotated(self) -> bool:
        """Whether the device now has its new password and the vault holds it as current."""
        return self.state is State.DONE


@dataclass(slots=True)
class RotationReport:
    """The whole run."""

    run_id: str
    resumed: list[DeviceRotation] = field(default_factory=list)
    result: RunResult[DeviceRotation] | None = None
    stopped: str | None = None

    def rotations(self) -> list[DeviceRotation]:
        """Every device rotation this run finished (resumed ones first)."""
        finished = [
            outcome.value for outcome in (self.result.outcomes if self.result else []) if outcome.value
        ]
        return self.resumed + finished


class _CountingBudget(AttemptBudget):
    """The session's budget, also counting the attempts each device spends (for the journal)."""

    def __init__(self, inner: AttemptBudget) -> None:
        super().__init__(reserve=inner.reserve, clock=inner.clock)
        self.__dict__.update(inner.__dict__)
        self.spent: dict[str, int] = {}

    def record_failure(self, device: str, password: str, **kwargs: Any) -> None:
        """Count, then delegate."""
        self.spent[device] = self.spent.get(device, 0) + 1
        super().record_failure(device, password, **kwargs)

    def record_unconfirmed(self, device: str, source: str = "") -> None:
        """Count, then delegate."""
        self.spent[device] = self.spent.get(device, 0) + 1
        super().record_unconfirmed(device, source)

    def take(self, device: str) -> int:
        """Attempts spent on ``device`` since the last call."""
        return self.spent.pop(device, 0)


class RotationEngine:
    """Rotates device passwords through the journal.

    Args:
        session: an open session with an unlocked vault.
        options: run options.
    """

    def __init__(self, session: FleetSession, options: RotateOptions | None = None) -> None:
        if session.vault is None:
            raise InventoryError("rotation needs the vault unlocked")
        self.session = session
        self.options = options or RotateOptions()
        self.budget = _CountingBudget(session.budget)
        session.budget = self.budget
        self.journal = Journal(session.vault, session.clock.now)
        self.run_id = ""
        self._locks: dict[str, _DeviceLock] = {}
        self._dependents: dict[str, list[tuple[DeviceRecord, int]]] = {}
        self._generated: set[str] = set()
        self._unsettled: set[str] = set()

    # ------------------------------------------------------------------ the run

    async def run(
        self, devices: Sequence[DeviceRecord], *, hooks: Sequence[object] = (), activate: bool = False
    ) -> RotationReport:
        """Resume what a previous run left open, then rotate (or activate) ``devices``, canary first."""
        task = self.activate_one if activate else self.rotate_one
        store = self.session.store
        with store.transaction() as conn:
            self.run_id = self.journal.start_run(
                conn, {"devices": len(devices), "canary": self.options.canary}
            )
        report = RotationReport(self.run_id)
        report.resumed = await self.resume()
        await self._map_dependents()
        finished = {rotation.device for rotation in report.resumed}
        recorder_of = {camera: nvr.id for camera, links in self._dependents.items() for nvr, _ in links[:1]}
        pending = interleave_by_recorder([d for d in devices if d.label not in finished], recorder_of)
        canary, rest = pending[: self.options.canary], pending[self.options.canary :]
        outcomes: list[Outcome[DeviceRotation]] = []
        if canary:
            first = await Runner(concurrency=1, timeout=self.options.timeout, hooks=hooks).run(
                canary, task, stop_when=_any_failure
            )
            outcomes.extend(first.outcomes)
            if first.stopped or any(not _succeeded(outcome) for outcome in first.outcomes):
                report.stopped = first.stopped or "the canary failed"
                outcomes.extend(Outcome(device, skipped=True) for device in rest)
                rest = []
        if rest:
            main = await Runner(
                concurrency=self.options.concurrency,
                timeout=self.options.timeout,
                per_group_limit=self.options.per_group_limit,
                hooks=hooks,
            ).run(rest, task, stop_when=self._systematic)
            outcomes.extend(main.outcomes)
            report.stopped = report.stopped or main.stopped
        report.result = RunResult(outcomes, report.stopped)
        failed = [outcome.device.id for outcome in outcomes if not _succeeded(outcome)]
        failed += [r.device_id for r in report.resumed if not r.rotated]
        with store.transaction() as conn:
            self.journal.finish_run(conn, self.run_id, report.stopped or "finished", failed_devices=failed)
        return report

    async def begin(self, purpose: str) -> list[DeviceRotation]:
        """Open a run for work outside :meth:`run` (guided recovery): resume what is open, map NVR channels.

        Returns:
            what resuming settled.
        """
        with self.session.store.transaction() as conn:
            self.run_id = self.journal.start_run(conn, {"purpose": purpose})
        resumed = await self.resume()
        await self._map_dependents()
        return resumed

    def end(self, outcome: str, *, failed_devices: Sequence[str] = ()) -> None:
        """Close the run :meth:`begin` opened."""
        with self.session.store.transaction() as conn:
            self.journal.finish_run(conn, self.run_id, outcome, failed_devices=list(failed_devices))

    def _systematic(self, finished: list[Outcome[DeviceRotation]]) -> str | None:
        window = finished[-self.options.stop_after_failures :]
        if len(window) == self.options.stop_after_failures and not any(
            _succeeded(outcome) for outcome in window
        ):
            reasons = {
                outcome.reason or (outcome.value.reason if outcome.value else "") for outcome in window
            }
            why = reasons.pop() if len(reasons) == 1 else "different reasons"
            return f"{len(window)} devices in a row failed ({why}): stopping before it spreads"
        return None

    # ------------------------------------------------------------------ one device

    async def rotate_one(self, record: DeviceRecord) -> DeviceRotation:
        """Rotate one device account to a new unique password (see the module docstring).

        Raises:
            CamvaultError: the device was not touched (unknown or rejected credential, budget, lock, unreachable).
        """
        async with self._lock(record.id).exclusive():
            driver = self.session.driver(record)
            credential = self.session.credential(record)
            if credential is None or record.credential_ref is None:
                raise InventoryError(
                    f"{record.label}: no credential in the vault; add one or recover the device"
                )
            self._check_dependents_ready(record)
            login = await driver.check_login(credential)
            if not login.ok:
                self.budget.take(record.label)
                raise DeviceError(
                    record.label,
                    "the vault's current password is rejected; not rotating (see 'fleet recover')",
                )
            new_password = self._new_password(record)
            with self.session.store.transaction() as conn:
                entry = self.journal.stage(
                    conn,
                    run_id=self.run_id,
                    device_id=record.id,
                    username=credential.username,
                    credential_ref=record.credential_ref,
                    new_password=new_password,
                    label=record.label,
                )
                for nvr, channel in self._dependents.get(record.id, []):
                    self.journal.add_dependent(conn, entry, NVR_CHANNEL, f"{nvr.id}/{channel}")
            entry = self._move(entry, State.APPLYING, record)
            try:
                await driver.set_password(credential, credential.username, new_password)
            except DeviceRefused as refusal:
                entry = await self._after_refusal(record, driver, entry, credential, refusal)
            except DeviceError as problem:
                entry = await self.resolve(record, entry, reason=problem.reason)
            else:
                entry = await self._verify(
                    record, driver, entry, credential, Credential(credential.username, new_password)
                )
            if entry.state in (State.CHANGED, State.PROMOTED):
                entry = await self._finish(record, entry)
            return await self._summary(record, entry)

    async def activate_one(self, record: DeviceRecord) -> DeviceRotation:
        """Give a factory-fresh device its first password: unique, staged before the device is told.

        Raises:
            CamvaultError: the device is already active, or unreachable (nothing was staged).
        """
        async with self._lock(record.id).exclusive():
            driver = self.session.driver(record)
            probe = await driver.probe()
            if probe.activated is not False:
                raise DeviceError(
                    record.label, "the device is already activated (or does not say); use rotate"
                )
            return await self._set_without_old(
                record,
                driver,
                RotationKind.ACTIVATION,
                driver.activate,
                refusals=(DeviceRefused,),
                refused="the device refused the password",
                changed="activated",
                unaccepted="activated, but the password is not accepted",
            )

    async def reset_one(
        self, record: DeviceRecord, apply: Callable[[str], Awaitable[None]], *, how: str
    ) -> DeviceRotation:
        """Set a new password through a reset that needs no old password (questions, GUID file, vendor code).

        Journaled like any rotation (kind RECOVERY): the new unique password is staged in the vault before
        ``apply(new_password)`` tells the device, verified, promoted, and handed to the NVR channels that
        record the device. A refusal (wrong answers, spent GUID file, bad code) is definite: FAILED, nothing
        changed. An ambiguous reply is resolved by trying the new password only: the old one is the one
        nobody knows.

        Raises:
            CamvaultError: nothing was staged (no credential reference, or a rotation already open).
        """
        async with self._lock(record.id).exclusive():
            return await self._set_without_old(
                record,
                self.session.driver(record),
                RotationKind.RECOVERY,
                apply,
                refusals=(DeviceRefused, AuthenticationFailed, AttemptBudgetExhausted, DeviceLocked),
                refused=f"{how} refused",
                changed=f"reset with {how}",
                unaccepted=f"{how} accepted, but the password is not",
            )

    async def _set_without_old(
        self,
        record: DeviceRecord,
        driver: DeviceDriver,
        kind: RotationKind,
        apply: Callable[[str], Awaitable[None]],
        *,
        refusals: tuple[type[DeviceError], ...],
        refused: str,
        changed: str,
        unaccepted: str,
    ) -> DeviceRotation:
        """Stage, ``apply(new password)``, verify, promote: a change that no old password vouches for.

        The caller holds the device's exclusive lock. ``refusals`` are definite (FAILED, the staged version
        discarded); any other device error is resolved like a rotation.
        """
        username = record.username or "admin"
        ref = record.credential_ref or f"cred:{record.id}"
        new_password = self._new_password(record)
        with self.session.store.transaction() as conn:
            entry = self.journal.stage(
                conn,
                run_id=self.run_id,
                device_id=record.id,
                username=username,
                credential_ref=ref,
                new_password=new_password,
                kind=kind,
                label=record.label,
            )
            self.session.inventory().attach_credential(conn, record.id, ref, username)
            for nvr, channel in self._dependents.get(record.id, []):
                self.journal.add_dependent(conn, entry, NVR_CHANNEL, f"{nvr.id}/{channel}")
        entry = self._move(entry, State.APPLYING, record)
        try:
            await apply(new_password)
        except refusals as refusal:
            entry = self._abandon(entry, State.FAILED, record, f"{refused}: {refusal.reason}")
        except DeviceError as problem:
            entry = await self.resolve(record, entry, reason=problem.reason)
        else:
            self.budget.forget_rejections(record.label)
            try:
                works = (await driver.check_login(Credential(username, new_password))).ok
            except DeviceError as problem:
                entry = await self.resolve(record, entry, reason=problem.reason)
            else:
                entry = (
                    self._move(entry, State.CHANGED, record, changed)
                    if works
                    else await self.resolve(record, entry, reason=unaccepted)
                )
        if entry.state in (State.CHANGED, State.PROMOTED):
            entry = await self._finish(record, entry)
        return await self._summary(record, entry)

    def publish(self, consumers: Sequence[Consumer]) -> list[str]:
        """Give every consumer the current credentials of the inventory; returns one line per consumer."""
        if not consumers:
            return []
        vault = self.session.vault
        assert vault is not None
        with self.session.store.transaction(readonly=True) as conn:
            records = [record for record in self.session.inventory().all(conn) if record.credential_ref]
            secrets = vault.current_secrets(
                conn, [record.credential_ref for record in records if record.credential_ref]
            )
        pairs = [
            (
                record,
                Credential(secrets[record.credential_ref].username, secrets[record.credential_ref].password),
            )
            for record in records
            if record.credential_ref in secrets
        ]
        lines = []
        for consumer in consumers:
            try:
                consumer.publish(pairs)
                lines.append(f"{consumer.name}: {len(pairs)} credentials written")
            except (OSError, CamvaultError) as exc:
                lines.append(f"{consumer.name}: failed ({exc})")
        return lines

    async def _after_refusal(
        self,
        record: DeviceRecord,
        driver: DeviceDriver,
        entry: RotationEntry,
        old: Credential,
        refusal: DeviceError,
    ) -> RotationEntry:
        """The device said no: it keeps the old password (confirmed at no cost: a right password is free)."""
        try:
            still = await driver.check_login(old)
        except CamvaultError:
            return await self.resolve(record, entry, reason=refusal.reason)
        if still.ok:
            return self._abandon(
                entry, State.FAILED, record, f"the device refused the new password: {refusal.reason}"
            )
        return await self.resolve(record, entry, reason=refusal.reason)

    async def _verify(
        self,
        record: DeviceRecord,
        driver: DeviceDriver,
        entry: RotationEntry,
        old: Credential,
        new: Credential,
    ) -> RotationEntry:
        """The device acknowledged: prove it (old refused when affordable, new accepted), then move on."""
        if self.options.verify_old and self.budget.remaining(record.label) >= 1:
            try:
                old_result = await driver.check_login(old)
            except (AttemptBudgetExhausted, DeviceLocked):
                old_result = None
            except DeviceError:
                return await self.resolve(
                    record, entry, reason="the device stopped answering after the change"
                )
            if old_result is not None and old_result.ok:
                return self._abandon(
                    entry, State.ROLLED_BACK, record, "the device acknowledged but kept the old password"
                )
        try:
            new_result = await driver.check_login(new)
        except DeviceError as problem:
            return await self.resolve(record, entry, reason=problem.reason)
        if new_result.ok:
            return self._move(entry, State.CHANGED, record, "new password verified")
        return await self.resolve(record, entry, reason="the new password was not accepted after the change")

    async def resolve(self, record: DeviceRecord, entry: RotationEntry, *, reason: str) -> RotationEntry:
        """Find out which password an APPLYING (or NEEDS_RECOVERY) device holds: never leave it unknown.

        Waits (bounded) for the device to answer again, then tries the new password, then the old one, each
        through the budget. A device whose lock is engaged, or whose budget is spent, stays APPLYING with
        the reason, and the next run resolves it; every other outcome is definite.
        """
        driver = self.session.driver(record)
        if not await self._wait_until_reachable(driver):
            return self._note(
                entry, record, f"{reason}; the device has not come back yet (next run resolves it)"
            )
        new, old = self._credentials(entry)
        if entry.kind is RotationKind.RECOVERY:
            old = None  # the password nobody knows: trying it again would only spend an attempt
        try:
            if (await driver.check_login(new)).ok:
                return self._move(entry, State.CHANGED, record, f"{reason}; the new password works")
            if entry.kind is RotationKind.RECOVERY:
                return self._abandon(
                    entry, State.ROLLED_BACK, record, f"{reason}; the reset did not take effect"
                )
            if old is not None and (await driver.check_login(old)).ok:
                return self._abandon(
                    entry, State.ROLLED_BACK, record, f"{reason}; the device kept its old password"
                )
        except (AttemptBudgetExhausted, DeviceLocked) as wait:
            return self._note(entry, record, f"{reason}; not resolved yet: {wait.reason}")
        except DeviceNotActivated:
            if entry.kind is RotationKind.ACTIVATION:
                return self._abandon(
                    entry, State.ROLLED_BACK, record, f"{reason}; the device is still inactive"
                )
            return self._move(
                entry, State.NEEDS_RECOVERY, record, f"{reason}; the device was reset to factory state"
            )
        except DeviceUnreachable as gone:
            return self._note(entry, record, f"{reason}; {gone.reason} (next run resolves it)")
        if entry.state is State.NEEDS_RECOVERY:
            return entry
        return self._move(
            entry, State.NEEDS_RECOVERY, record, f"{reason}; neither the new nor the old password works"
        )

    async def _wait_until_reachable(self, driver: DeviceDriver) -> bool:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.options.settle_seconds
        delay = 0.25
        while True:
            try:
                probe = await driver.probe()
            except DeviceUnreachable:
                probe = None
            if probe is not None and probe.reachable:
                return True
            if loop.time() + delay > deadline:
                return False
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)

    async def _finish(self, record: DeviceRecord, entry: RotationEntry) -> RotationEntry:
        """CHANGED -> PROMOTED -> dependents -> DONE."""
        if entry.state is State.CHANGED:
            with self.session.store.transaction() as conn:
                entry = self.journal.promote(conn, entry, attempts=self.budget.take(record.label))
        failed = await self._update_dependents(record, entry)
        note = (
            f"{len(failed)} dependent(s) not verified: " + "; ".join(d.reason for d in failed)
            if failed
            else ""
        )
        return self._move(entry, State.DONE, record, note)

    async def _update_dependents(self, record: DeviceRecord, entry: RotationEntry) -> list[Dependent]:
        """Give every unverified dependent the entry's new password; returns those still not verified."""
        new, _ = self._credentials(entry)
        for dependent in self._dependents_now(entry):
            if dependent.state is DependentState.VERIFIED or dependent.kind != NVR_CHANNEL:
                continue
            state, why = await self._update_channel(dependent.target, record, new)
            with self.session.store.transaction() as conn:
                self.journal.mark_dependent(
                    conn, entry, dependent.kind, dependent.target, state=state, reason=why
                )
        return [d for d in self._dependents_now(entry) if d.state is not DependentState.VERIFIED]

    async def _update_channel(
        self, target: str, camera: DeviceRecord, new: Credential
    ) -> tuple[DependentState, str]:
        nvr_id, _, raw_channel = target.partition("/")
        with self.session.store.transaction(readonly=True) as conn:
            try:
                nvr = self.session.inventory().get(conn, nvr_id)
            except InventoryError:
                return DependentState.FAILED, f"NVR {nvr_id} is no longer in the inventory"
        channel_id = int(raw_channel)
        async with self._lock(nvr.id).shared():
            with self.session.store.transaction(readonly=True) as conn:
                nvr_entry = self.journal.latest_for(conn, nvr.id)
            if nvr_entry is not None and nvr_entry.state in _UNSETTLED:
                return (
                    DependentState.PENDING,
                    f"{nvr.label}: its own password change is unresolved; retried next run",
                )
            credential = self.session.credential(nvr)
            if credential is None:
                return (
                    DependentState.FAILED,
                    f"{nvr.label}: NVR credential unknown; update channel {channel_id} by hand",
                )
            driver = self.session.driver(nvr)
            try:
                await self._set_channel(driver, credential, channel_id, new)
                return await self._wait_online(driver, credential, nvr, channel_id)
            except CamvaultError as exc:
                return (
                    DependentState.FAILED,
                    f"{nvr.label} channel {channel_id}: {reason_of(exc)}",
                )

    async def _set_channel(
        self, driver: DeviceDriver, credential: Credential, channel_id: int, new: Credential
    ) -> None:
        """Store the camera's new credential in the channel, retrying what may be transient.

        Every moment the NVR holds the old password it may spend one of the camera's attempts, so a 5xx or a
        dropped reply is retried at once (the update is idempotent) rather than left to the next run.
        """
        delay = 0.2
        for attempt in range(DEPENDENT_TRIES):
            try:
                await driver.set_channel_credential(credential, channel_id, new.username, new.password)
                return
            except (DeviceRefused, AuthenticationFailed, AttemptBudgetExhausted, DeviceLocked):
                raise
            except DeviceError:
                if attempt == DEPENDENT_TRIES - 1:
                    raise
                await asyncio.sleep(delay)
                delay *= 2

    async def _wait_online(
        self, driver: DeviceDriver, credential: Credential, nvr: DeviceRecord, channel_id: int
    ) -> tuple[DependentState, str]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + CHANNEL_ONLINE_SECONDS
        status = "unknown"
        while loop.time() < deadline:
            channels = {channel.id: channel for channel in await driver.channels(credential)}
            channel = channels.get(channel_id)
            if channel is not None and channel.online:
                return DependentState.VERIFIED, f"{nvr.label} channel {channel_id} online"
            status = channel.status if channel is not None and channel.status else "missing"
            await asyncio.sleep(0.2)
        return (
            DependentState.UPDATED,
            f"{nvr.label} channel {channel_id} updated but not online yet ({status})",
        )

    # ------------------------------------------------------------------ resuming

    async def resume(self) -> list[DeviceRotation]:
        """Finish or roll back every rotation a crash or an interruption left open, then repair dependents.

        A killed run can leave an entry STAGED (rolled back: the device was never told), APPLYING (resolved
        against the device), CHANGED or PROMOTED (finished). A run killed while updating dependents leaves
        DONE entries whose NVR channels were not verified; the latest such entry of each device gets its
        dependents updated again. The attempt budget starts fresh in a new process: a killed run leaves at
        most one failed attempt on a device (a failure is always followed by a success check), which the
        reserve covers.
        """
        with self.session.store.transaction(readonly=True) as conn:
            open_entries = self.journal.unfinished(conn)
            latest = self.journal.latest(conn)
            needing_repair = [
                entry
                for entry in latest.values()
                if entry.state is State.DONE
                and any(d.state is not DependentState.VERIFIED for d in self.journal.dependents(conn, entry))
            ]
            inventory = self.session.inventory()
            records: dict[str, DeviceRecord] = {}
            for entry in [*open_entries, *needing_repair]:
                try:
                    records[entry.device_id] = inventory.get(conn, entry.device_id)
                except InventoryError:
                    continue
        # Most urgent first: a camera whose password already changed has NVRs retrying the old one.
        urgency = {State.PROMOTED: 0, State.CHANGED: 0, State.APPLYING: 1, State.STAGED: 2}
        ordered = sorted(open_entries, key=lambda entry: urgency.get(entry.state, 3))
        slots = asyncio.Semaphore(self.options.concurrency)

        async def repair(entry: RotationEntry) -> None:
            record = records.get(entry.device_id)
            if record is not None:
                async with slots:
                    await self._update_dependents(record, entry)

        async def settle(entry: RotationEntry) -> DeviceRotation | None:
            record = records.get(entry.device_id)
            if record is None:
                return None
            async with slots, self._lock(record.id).exclusive():
                current = entry
                if current.state is State.STAGED:
                    current = self._abandon(
                        current, State.FAILED, record, "interrupted before the device was told"
                    )
                elif current.state is State.APPLYING:
                    current = await self.resolve(
                        record, current, reason="interrupted while changing the password"
                    )
                if current.state in (State.CHANGED, State.PROMOTED):
                    current = await self._finish(record, current)
            return await self._summary(record, current)

        await asyncio.gather(*(repair(entry) for entry in needing_repair))
        settled = await asyncio.gather(*(settle(entry) for entry in ordered))
        return [rotation for rotation in settled if rotation is not None]

    # ------------------------------------------------------------------ helpers

    def _lock(self, device_id: str) -> _DeviceLock:
        return self._locks.setdefault(device_id, _DeviceLock())

    def _new_password(self, record: DeviceRecord) -> str:
        profile = profile_for("hikvision" if record.vendor == "hikvision" else "onvif")
        for _ in range(100):
            password = generate(profile, username=record.username or "admin")
            fingerprint = hashlib.sha256(password.encode()).hexdigest()
            if fingerprint not in self._generated:
                self._generated.add(fingerprint)
                return password
        raise InventoryError("could not generate a unique password")  # practically unreachable

    def _credentials(self, entry: RotationEntry) -> tuple[Credential, Credential | None]:
        vault = self.session.vault
        assert vault is not None
        with self.session.store.transaction(readonly=True) as conn:
            new = vault.get(conn, entry.credential_ref, entry.to_version).secret
            old = (
                vault.get(conn, entry.credential_ref, entry.from_version).secret
                if entry.from_version
                else None
            )
        return Credential(new.username, new.password), (
            Credential(old.username, old.password) if old else None
        )

    def _move(
        self, entry: RotationEntry, state: State, record: DeviceRecord, reason: str = ""
    ) -> RotationEntry:
        with self.session.store.transaction() as conn:
            return self.journal.move(
                conn, entry, state, reason=reason, attempts=self.budget.take(record.label)
            )

    def _abandon(
        self, entry: RotationEntry, state: State, record: DeviceRecord, reason: str
    ) -> RotationEntry:
        with self.session.store.transaction() as conn:
            return self.journal.abandon(
                conn, entry, state, reason=reason, attempts=self.budget.take(record.label)
            )

    def _note(self, entry: RotationEntry, record: DeviceRecord, reason: str) -> RotationEntry:
        """Keep the entry where it is, with the reason it could not move (still unfinished)."""
        with self.session.store.transaction() as conn:
            return self.journal.note(conn, entry, reason=reason, attempts=self.budget.take(record.label))

    def _dependents_now(self, entry: RotationEntry) -> list[Dependent]:
        with self.session.store.transaction(readonly=True) as conn:
            return list(self.journal.dependents(conn, entry))

    async def _summary(self, record: DeviceRecord, entry: RotationEntry) -> DeviceRotation:
        with self.session.store.transaction(readonly=True) as conn:
            dependents = tuple((d.target, d.state.value) for d in self.journal.dependents(conn, entry))
            stored = self.journal.get(conn, entry.id)
        return DeviceRotation(
            record.label, record.id, stored.state, stored.reason, stored.attempts, dependents
        )

    async def _map_dependents(self) -> None:
        """Which NVR channels record which camera: read every NVR once per run, remember what was read.

        An NVR that cannot be asked now (its own rotation unresolved, unreachable) keeps the links last read
        from it, so its cameras still know they have a dependent (and :meth:`rotate_one` defers them).
        """
        with self.session.store.transaction(readonly=True) as conn:
            records = self.session.inventory().all(conn)
            unsettled = {
                device for device, entry in self.journal.latest(conn).items() if entry.state in _UNSETTLED
            }
        self._unsettled = unsettled
        by_address: dict[tuple[str, int], DeviceRecord] = {(r.host, r.port): r for r in records}
        by_host: dict[str, list[DeviceRecord]] = {}
        for record in records:
            by_host.setdefault(record.host, []).append(record)
        # A device whose kind is unknown (imported from a spreadsheet, never discovered) may be an NVR:
        # asking a camera for its channels costs one request and answers none.
        nvrs = [r for r in records if r.kind in (DeviceKind.NVR.value, DeviceKind.UNKNOWN.value)]

        async def channels_of(nvr: DeviceRecord) -> list[tuple[int, str]] | None:
            credential = self.session.credential(nvr)
            # An NVR whose own rotation is unresolved may not accept the vault's current password: asking
            # would spend one of its attempts on every run.
            if credential is None or nvr.id in unsettled:
                return None
            try:
                channels = await self.session.driver(nvr).channels(credential)
            except CamvaultError:
                return None
            links = []
            for channel in channels:
                if channel.address is None:
                    continue
                camera = by_address.get((channel.address, channel.port or 80))
                if camera is None and len(by_host.get(channel.address, [])) == 1:
                    camera = by_host[channel.address][0]
                if camera is not None:
                    links.append((channel.id, camera.id))
            return links

        read = await asyncio.gather(*(channels_of(nvr) for nvr in nvrs))
        with self.session.store.transaction() as conn:
            for nvr, fresh in zip(nvrs, read, strict=True):
                if fresh is not None:
                    record_channels(conn, nvr.id, fresh, self.session.clock.now())
                links = fresh if fresh is not None else known_channels(conn, nvr.id)
                for channel_id, camera_id in links:
                    self._dependents.setdefault(camera_id, []).append((nvr, channel_id))

    def _check_dependents_ready(self, record: DeviceRecord) -> None:
        """Refuse to change a camera while an NVR recording it could not be told the new password.

        Raises:
            DeviceError: an NVR recording it has no stored credential, or its own rotation is unresolved.
        """
        for nvr, channel in self._dependents.get(record.id, []):
            if nvr.credential_ref is None:
                raise DeviceError(
                    record.label,
                    f"deferred: {nvr.label} records it (channel {channel}) and its credential is not in the vault; "
                    "add it first, or the NVR would stop recording and lock the camera",
                )
            if nvr.id in self._unsettled:
                raise DeviceError(
                    record.label, f"deferred: {nvr.label}, which records it, has an unresolved rotation"
                )


class _DeviceLock:
    """Per device: exclusive while the device's own password changes, shared for updates of its channels.

    Camera rotations update an NVR's channels concurrently (each its own channel); only the NVR's own
    rotation must run alone, because it changes the credential those updates use.
    """

    def __init__(self) -> None:
        self._condition = asyncio.Condition()
        self._readers = 0
        self._writer = False

    @contextlib.asynccontextmanager
    async def exclusive(self) -> AsyncIterator[None]:
        """Hold the device alone."""
        async with self._condition:
            await self._condition.wait_for(lambda: not self._writer and self._readers == 0)
            self._writer = True
        try:
            yield
        finally:
            async with self._condition:
                self._writer = False
                self._condition.notify_all()

    @contextlib.asynccontextmanager
    async def shared(self) -> AsyncIterator[None]:
        """Hold the device alongside other shared holders."""
        async with self._condition:
            await self._condition.wait_for(lambda: not self._writer)
            self._readers += 1
        try:
            yield
        finally:
            async with self._condition:
                self._readers -= 1
                self._condition.notify_all()


def interleave_by_recorder(
    devices: Sequence[DeviceRecord], recorder_of: dict[str, str]
) -> list[DeviceRecord]:
    """Order devices so that consecutive ones are recorded by different NVRs (their updates then overlap)."""
    groups: dict[str, list[DeviceRecord]] = {}
    for device in devices:
        groups.setdefault(recorder_of.get(device.id, ""), []).append(device)
    ordered: list[DeviceRecord] = []
    queues = list(groups.values())
    while queues:
        ordered.extend(queue.pop(0) for queue in queues)
        queues = [queue for queue in queues if queue]
    return ordered


_UNSETTLED = frozenset({State.STAGED, State.APPLYING, State.CHANGED, State.NEEDS_RECOVERY})


def _succeeded(outcome: Outcome[DeviceRotation]) -> bool:
    return outcome.ok and outcome.value is not None and outcome.value.rotated


def _any_failure(finished: list[Outcome[DeviceRotation]]) -> str | None:
    failed = [outcome for outcome in finished if not _succeeded(outcome)]
    if not failed:
        return None
    first = failed[0]
    why = first.reason or (first.value.reason if first.value else "")
    return f"canary {first.device.label} failed: {why}"
