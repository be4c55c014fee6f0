"""Guided recovery against labs on real sockets: vault history within the lock budget, factory reset with
backup, restore and NVR re-linking, and the owner's part (confirmation, what the guide tells them)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import httpx

from camvault.device.lab.faults import FaultPlan
from camvault.device.lab.runner import RunningLab
from camvault.device.model.vendor_support import LOG_SUPPORT_RESET
from camvault.fleet.drivers import Credential, Level, SecurityQuestion
from camvault.fleet.inventory import DeviceRecord, Inventory
from camvault.fleet.recovery import (
    RecoveryGuide,
    RecoveryOptions,
    RecoveryOutcome,
    RecoveryPath,
    list_backups,
    take_backup,
)
from camvault.fleet.rotation.engine import RotateOptions, RotationEngine
from camvault.fleet.session import FleetSession
from camvault.fleet.store import Store
from camvault.fleet.vault import Vault
from tests.device.discovery.conftest import free_udp_port
from tests.device.lab.conftest import LabFactory, free_fixed_port
from tests.fleet.rotation import lab_fleet
from tests.fleet.rotation.lab_fleet import (
    device_password_is_vault_current,
    enrol,
    guess_until_locked,
    no_locks,
)
from tests.fleet.vendor_desk import VendorDesk

fleet_store = lab_fleet.fleet_store
vault = lab_fleet.vault
session = lab_fleet.session

CAMERA_WITH_A_GUARD = [
    {
        "label": "cam",
        "admin_password": "Cam#Installer-1",
        "users": [{"name": "guard", "level": "Viewer", "password": "Night-Shift-21"}],
    }
]
"""One camera whose second account shows that a reset erased nothing (fake lab passwords)."""

LOST = "Lost#Forevr-7731"
"""The password the device ends up with that nobody recorded (a fake lab password)."""


class ScriptedOwner:
    """An owner who answers from a script and remembers everything they were told."""

    def __init__(
        self,
        running: RunningLab | None = None,
        *,
        factory_reset: bool = False,
        confirm: bool = True,
        access: Credential | None = None,
        recordings: Path | None = None,
        answers: dict[int, str] | None = None,
        guid: bytes | None = None,
        code: str | bytes | None = None,
    ) -> None:
        self.running = running
        self.factory_reset_allowed = factory_reset
        self.confirm = confirm
        self.access = access
        self.recordings = recordings
        self._answers = answers
        self._guid = guid
        self._code = code
        self.told: list[str] = []
        self.consequences: list[str] = []
        self.pressed: list[str] = []
        self.saved: dict[str, bytes] = {}

    def tell(self, message: str) -> None:
        self.told.append(message)

    def answers(self, questions: Sequence[SecurityQuestion]) -> dict[int, str] | None:
        return self._answers

    def guid_file(self) -> bytes | None:
        return self._guid

    def reset_code(self) -> str | bytes | None:
        return self._code

    def save_request(self, record: DeviceRecord, data: bytes) -> str:
        self.saved[record.label] = data
        return f"request-{record.label}.txt"

    def remaining_access(self) -> Credential | None:
        return self.access

    def recordings_dir(self) -> Path | None:
        return self.recordings

    def confirm_factory_reset(self, record: DeviceRecord, consequences: Sequence[str]) -> bool:
        self.consequences = list(consequences)
        return self.confirm

    async def press_reset_button(self, record: DeviceRecord) -> None:
        assert self.running is not None
        self.pressed.append(record.label)
        await self.running.lab.press_reset(record.label, 12)


FAST = RecoveryOptions(reset_wait_seconds=30, poll_seconds=0.1, settle_seconds=30)


async def site(make_lab: LabFactory) -> RunningLab:
    return await make_lab(
        [
            {"label": "cam-a", "admin_password": "Cam-A#pass-2024", "memory_card": True},
            {"label": "cam-b", "admin_password": "Cam-B#pass-2024"},
            {
                "label": "nvr",
                "kind": "nvr",
                "admin_password": "Record3r#Pass-1",
                "channels": ["cam-a", "cam-b"],
            },
        ],
        addressing="addresses",
        address_prefix="127.46",
        http_port=free_fixed_port(),
        nvr_check_seconds=0.3,
        nvr_retry_seconds=2,
        boot_seconds=0.2,
    )


async def lose_password(session: FleetSession, record: DeviceRecord) -> None:
    """The owner changes the password by hand and writes it nowhere."""
    credential = session.credential(record)
    assert credential is not None
    await session.driver(record).set_password(credential, "admin", LOST)


def record_of(store: Store, vault: Vault, label: str) -> DeviceRecord:
    with store.transaction(readonly=True) as conn:
        return Inventory(vault.clock.now()).get(conn, label)


def history_notes(store: Store, vault: Vault, record: DeviceRecord) -> list[str]:
    assert record.credential_ref is not None
    with store.transaction(readonly=True) as conn:
        return [info.note for info in vault.history(conn, record.credential_ref)]


async def map_channels(session: FleetSession) -> None:
    """What a first 'fleet rotate' run learns: which NVR channel records which camera."""
    engine = RotationEngine(session, RotateOptions(canary=0))
    await engine.begin("map")
    engine.end("mapped")


# ---------------------------------------------------------------------- vault history


async def test_an_older_password_from_the_vault_gets_the_device_back_then_it_is_rotated(
    make_lab: LabFactory, fleet_store: Store, vault: Vault, session: FleetSession
) -> None:
    running = await make_lab([{"label": "cam", "admin_password": "Cam#Installer-1"}])
    records = enrol(running, fleet_store, vault)
    ref = records["cam"].credential_ref
    assert ref is not None
    with fleet_store.transaction() as conn:
        vault.put(conn, ref, "Typed#Wrong-Once", username="admin", note="a colleague's guess")
    owner = ScriptedOwner(running)
    result = await RecoveryGuide(session, owner, FAST).recover(records["cam"])
    assert result.outcome is RecoveryOutcome.RECOVERED, (result, owner.told)
    assert result.path is RecoveryPath.VAULT_HISTORY
    assert device_password_is_vault_current(running, fleet_store, vault, "cam")
    password = running.lab.device("cam").model.account("admin").password  # type: ignore[union-attr]
    assert not password.matches("Cam#Installer-1"), "the recovered password is rotated away"
    assert any(
        note.startswith("recovered: the device still had version 1")
        for note in history_notes(fleet_store, vault, records["cam"])
    )
    assert owner.pressed == []
    assert no_locks(running)


async def test_history_stops_before_the_lock_then_the_vendor_request_is_exported(
    make_lab: LabFactory, fleet_store: Store, vault: Vault, session: FleetSession
) -> None:
    running = await make_lab([{"label": "cam", "admin_password": "Cam#Installer-1"}])
    records = enrol(running, fleet_store, vault)
    await lose_password(session, records["cam"])
    ref = records["cam"].credential_ref
    assert ref is not None
    with fleet_store.transaction() as conn:
        for number in range(6):
            vault.put(conn, ref, f"Old#Guess-{number}-xyz", username="admin")
    owner = ScriptedOwner(running)
    guide = RecoveryGuide(session, owner, FAST)
    result = await guide.recover(records["cam"])
    assert result.outcome is RecoveryOutcome.WAITING_FOR_VENDOR, (result, owner.told)
    assert result.path is RecoveryPath.VENDOR_SUPPORT
    assert owner.saved["cam"], "the signed request was handed to the owner"
    assert result.request_file == "request-cam.txt"
    assert "--code" in result.message
    assert any("stopped after" in line for line in owner.told), owner.told
    model = running.lab.device("cam").model
    assert not model.lock.locked_sources(model.monotonic()), "the guide must never trip the lock"
    assert model.account("admin").password.matches(LOST)  # type: ignore[union-attr]
    assert owner.pressed == []


async def test_the_plan_explains_every_path_without_spending_an_attempt(
    make_lab: LabFactory, fleet_store: Store, vault: Vault, session: FleetSession
) -> None:
    running = await site(make_lab)
    records = enrol(running, fleet_store, vault)
    await map_channels(session)
    await lose_password(session, records["cam-a"])
    assessment = await RecoveryGuide(session, ScriptedOwner(running), FAST).assess(records["cam-a"])
    paths = [option.path for option in assessment.options]
    assert paths == list(RecoveryPath)
    assert [option.destructive for option in assessment.options] == [False, False, False, False, True]
    assert assessment.candidates == 1
    assert assessment.recorders == ("nvr/1",)
    assert "nvr/1" in assessment.options[-1].explanation
    model = running.lab.device("cam-a").model
    status = model.lock.status("127.0.0.1", model.monotonic())
    assert status.attempts_left == model.lock.settings.max_attempts, "assessing spent an attempt"


# ---------------------------------------------------------------------- factory reset


async def test_without_confirmation_nothing_is_erased(
    make_lab: LabFactory, fleet_store: Store, vault: Vault, session: FleetSession
) -> None:
    running = await make_lab([{"label": "cam", "admin_password": "Cam#Installer-1"}])
    records = enrol(running, fleet_store, vault)
    await lose_password(session, records["cam"])
    owner = ScriptedOwner(running, factory_reset=True, confirm=False)
    result = await RecoveryGuide(session, owner, FAST).recover(records["cam"])
    assert result.outcome is RecoveryOutcome.NEEDS_OWNER
    assert owner.consequences, "the owner was shown what a reset erases"
    assert any("erased" in line for line in owner.consequences)
    assert owner.pressed == []
    assert running.lab.device("cam").model.activated


async def test_factory_reset_restores_the_backup_and_relinks_the_nvr(
    make_lab: LabFactory, fleet_store: Store, vault: Vault, session: FleetSession
) -> None:
    running = await site(make_lab)
    records = enrol(running, fleet_store, vault)
    await map_channels(session)
    camera = records["cam-a"]
    credential = session.credential(camera)
    assert credential is not None
    await session.driver(camera).create_user(credential, "guard", "Night#Shift-2024", Level.VIEWER)
    backup = await take_backup(session, camera, credential)
    await lose_password(session, camera)
    owner = ScriptedOwner(running, factory_reset=True)
    result = await RecoveryGuide(session, owner, FAST).recover(camera)
    assert result.outcome is RecoveryOutcome.RECOVERED, (result, owner.told)
    assert result.path is RecoveryPath.FACTORY_RESET
    assert owner.pressed == ["cam-a"]
    model = running.lab.device("cam-a").model
    assert model.activated
    assert model.account("guard") is not None, "the configuration backup was restored"
    assert device_password_is_vault_current(running, fleet_store, vault, "cam-a")
    assert not model.account("admin").password.matches(credential.password), "restored password rotated away"  # type: ignore[union-attr]
    nvr = running.lab.device("nvr").model
    channel = next(c for c in nvr.channels.values() if c.address == running.lab.device("cam-a").address)
    assert channel.status.online, "the NVR records the camera again"
    assert no_locks(running)
    with fleet_store.transaction(readonly=True) as conn:
        assert [b.id for b in list_backups(conn, camera.id)] == [backup.id]
    assert backup.size > 0


async def test_a_device_already_reset_by_hand_is_activated_and_gets_its_backup_back(
    make_lab: LabFactory, fleet_store: Store, vault: Vault, session: FleetSession
) -> None:
    running = await make_lab([{"label": "cam", "admin_password": "Cam#Installer-1"}], boot_seconds=0.1)
    records = enrol(running, fleet_store, vault)
    credential = session.credential(records["cam"])
    assert credential is not None
    await session.driver(records["cam"]).create_user(credential, "guard", "Night#Shift-2024", Level.VIEWER)
    await take_backup(session, records["cam"], credential)
    await running.lab.press_reset("cam", 15)
    owner = ScriptedOwner(running)
    result = await RecoveryGuide(session, owner, FAST).recover(records["cam"])
    assert result.outcome is RecoveryOutcome.RECOVERED, (result, owner.told)
    assert owner.pressed == [], "no second reset"
    assert running.lab.device("cam").model.account("guard") is not None
    assert device_password_is_vault_current(running, fleet_store, vault, "cam")


async def test_the_owner_never_reads_a_password_in_what_the_guide_says(
    make_lab: LabFactory, fleet_store: Store, vault: Vault, session: FleetSession
) -> None:
    running = await make_lab([{"label": "cam", "admin_password": "Cam#Installer-1"}], boot_seconds=0.1)
    records = enrol(running, fleet_store, vault)
    await lose_password(session, records["cam"])
    owner = ScriptedOwner(running, factory_reset=True)
    result = await RecoveryGuide(session, owner, FAST).recover(records["cam"])
    ref = records["cam"].credential_ref
    assert ref is not None
    with fleet_store.transaction(readonly=True) as conn:
        held = [vault.get(conn, ref, info.version).secret.password for info in vault.history(conn, ref)]
    assert result.outcome is RecoveryOutcome.RECOVERED, (result, owner.told)
    said = "\n".join([*owner.told, *owner.consequences, result.message, repr(result)])
    for secret in [*held, LOST]:
        assert secret not in said


# ---------------------------------------------------------------------- resets that keep everything

QUESTIONS_SET = {2: "Planted-Mother-Ada", 7: "Planted-Pet-Rex", 9: "Planted-Street-Elm"}


async def set_questions(running: RunningLab, label: str, password: str) -> None:
    """The administrator sets the questions through the device's own route, logged in."""
    device = running.lab.device(label)
    items = "".join(
        f"<Question><id>{i}</id><answer>{a}</answer></Question>" for i, a in QUESTIONS_SET.items()
    )
    body = f"<SecurityQuestion><QuestionList>{items}</QuestionList><password>{password}</password></SecurityQuestion>"
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.put(
            f"http://{device.address}:{device.http_port}/ISAPI/Security/questionConfiguration",
            content=body.encode(),
            auth=httpx.DigestAuth("admin", password),
        )
    assert response.status_code == 200, response.text


async def export_guid(running: RunningLab, label: str, password: str) -> bytes:
    device = running.lab.device(label)
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.post(
            f"http://{device.address}:{device.http_port}/ISAPI/Security/GUIDFileData",
            content=f"<LoginPassword><password>{password}</password></LoginPassword>".encode(),
            auth=httpx.DigestAuth("admin", password),
        )
    assert response.status_code == 200, response.text
    return response.content


async def test_security_questions_reset_keeps_everything_and_relinks_the_nvr(
    make_lab: LabFactory, fleet_store: Store, vault: Vault, session: FleetSession
) -> None:
    running = await site(make_lab)
    records = enrol(running, fleet_store, vault)
    await map_channels(session)
    await set_questions(running, "cam-a", "Cam-A#pass-2024")
    await lose_password(session, records["cam-a"])
    wrong = ScriptedOwner(running, answers={**QUESTIONS_SET, 9: "Planted-Street-Oak"})
    refused = await RecoveryGuide(session, wrong, FAST).recover(records["cam-a"])
    owner = ScriptedOwner(running, answers=QUESTIONS_SET)
    result = await RecoveryGuide(session, owner, FAST).recover(records["cam-a"])
    assert refused.outcome is RecoveryOutcome.WAITING_FOR_VENDOR, (refused, wrong.told)
    assert any(line.startswith("security-questions:") for line in wrong.told), wrong.told
    assert result.outcome is RecoveryOutcome.RECOVERED, (result, owner.told)
    assert result.path is RecoveryPath.SECURITY_QUESTIONS
    assert result.rotation is not None and [state for _, state in result.rotation.dependents] == ["verified"]
    assert device_password_is_vault_current(running, fleet_store, vault, "cam-a")
    assert running.lab.device("cam-a").model.account("admin") is not None
    assert no_locks(running)


async def test_a_guid_file_gets_the_device_back_once(
    make_lab: LabFactory, fleet_store: Store, vault: Vault, session: FleetSession
) -> None:
    running = await make_lab([{"label": "cam", "admin_password": "Cam#Installer-1"}])
    records = enrol(running, fleet_store, vault)
    await lose_password(session, records["cam"])
    guid = await export_guid(running, "cam", LOST)  # exported while they still knew it
    owner = ScriptedOwner(running, guid=guid)
    result = await RecoveryGuide(session, owner, FAST).recover(records["cam"])
    assert result.outcome is RecoveryOutcome.RECOVERED, (result, owner.told)
    assert result.path is RecoveryPath.GUID_FILE
    assert device_password_is_vault_current(running, fleet_store, vault, "cam")


async def test_vendor_support_request_then_code_on_a_second_run(
    make_lab: LabFactory, fleet_store: Store, vault: Vault, session: FleetSession, tmp_path: Path
) -> None:
    running = await make_lab(CAMERA_WITH_A_GUARD)
    records = enrol(running, fleet_store, vault)
    with VendorDesk(running, tmp_path / "support.sqlite") as desk:
        await lose_password(session, records["cam"])
        owner = ScriptedOwner(running)
        waiting = await RecoveryGuide(session, owner, FAST).recover(records["cam"])
        assert waiting.outcome is RecoveryOutcome.WAITING_FOR_VENDOR, (waiting, owner.told)
        issued = desk.issue(owner.saved["cam"])
        second = ScriptedOwner(running, code=issued.typed)
        result = await RecoveryGuide(session, second, FAST).recover(records["cam"])
        replay = ScriptedOwner(running, code=issued.typed)
        await lose_password(session, records["cam"])
        replayed = await RecoveryGuide(session, replay, FAST).recover(records["cam"])
    assert result.outcome is RecoveryOutcome.RECOVERED, (result, second.told)
    assert result.path is RecoveryPath.VENDOR_SUPPORT
    assert running.lab.device("cam").model.account("guard") is not None, "nothing was erased"
    assert any(note.startswith("recovery ") for note in history_notes(fleet_store, vault, records["cam"]))
    assert replayed.outcome is not RecoveryOutcome.RECOVERED, "a code works once"
    assert any("vendor-support:" in line for line in replay.told), replay.told
    assert no_locks(running)


async def test_an_owner_who_guessed_into_the_lock_gets_back_in_with_a_vendor_code(
    make_lab: LabFactory, fleet_store: Store, vault: Vault, session: FleetSession, tmp_path: Path
) -> None:
    running = await make_lab(CAMERA_WITH_A_GUARD)
    records = enrol(running, fleet_store, vault)
    await set_questions(running, "cam", "Cam#Installer-1")
    await lose_password(session, records["cam"])
    device = running.lab.device("cam")
    async with httpx.AsyncClient(timeout=10) as client:  # the owner guessed until the lock tripped
        await guess_until_locked(client, f"http://{device.address}:{device.http_port}")
    assert device.model.lock.locked_sources(device.model.monotonic())

    first = ScriptedOwner(running, answers=QUESTIONS_SET)
    waiting = await RecoveryGuide(session, first, FAST).recover(records["cam"])
    assert waiting.outcome is RecoveryOutcome.WAITING_FOR_VENDOR, (waiting, first.told)
    assert any("refuses resets from this address" in line for line in first.told), first.told
    assert device.model.account("admin").password.matches(LOST)  # type: ignore[union-attr]

    with VendorDesk(running, tmp_path / "support.sqlite") as desk:
        issued = desk.issue(first.saved["cam"])
    assert device.model.lock.locked_sources(device.model.monotonic()), "still locked when the code arrives"
    owner = ScriptedOwner(running, answers=QUESTIONS_SET, code=issued.typed)
    result = await RecoveryGuide(session, owner, FAST).recover(records["cam"])
    assert result.outcome is RecoveryOutcome.RECOVERED, (result, owner.told)
    assert result.path is RecoveryPath.VENDOR_SUPPORT
    assert not any(line.startswith("security-questions:") for line in owner.told), owner.told
    assert device.model.account("guard") is not None, "nothing was erased"
    assert device_password_is_vault_current(running, fleet_store, vault, "cam")
    assert no_locks(running)


async def test_vendor_support_over_sadp_for_a_device_whose_web_port_is_out_of_reach(
    make_lab: LabFactory, fleet_store: Store, vault: Vault, session: FleetSession, tmp_path: Path
) -> None:
    sadp_port = free_udp_port()
    running = await make_lab(CAMERA_WITH_A_GUARD, sadp_port=sadp_port)
    records = enrol(running, fleet_store, vault)
    await lose_password(session, records["cam"])
    device = running.lab.device("cam")
    # every ISAPI reset route fails: only SADP can carry the vendor path
    running.lab.set_faults("cam", FaultPlan(error_rate=1.0, paths=("/ISAPI/Security/passwordReset",)))
    over_sadp = RecoveryOptions(
        reset_wait_seconds=30, poll_seconds=0.1, settle_seconds=30, vendor_over_sadp=True, sadp_port=sadp_port
    )
    first = ScriptedOwner(running)
    waiting = await RecoveryGuide(session, first, over_sadp).recover(records["cam"])
    assert waiting.outcome is RecoveryOutcome.WAITING_FOR_VENDOR, (waiting, first.told)
    assert "--sadp --code" in waiting.message
    assert device.model.vendor_support.pending is not None
    assert first.saved["cam"] == device.model.vendor_support.pending.file

    with VendorDesk(running, tmp_path / "support.sqlite") as desk:
        issued = desk.issue(first.saved["cam"])
    owner = ScriptedOwner(running, code=issued.typed)
    result = await RecoveryGuide(session, owner, over_sadp).recover(records["cam"])
    assert result.outcome is RecoveryOutcome.RECOVERED, (result, owner.told)
    assert result.path is RecoveryPath.VENDOR_SUPPORT
    assert device.model.account("guard") is not None, "nothing was erased"
    assert device_password_is_vault_current(running, fleet_store, vault, "cam")
    assert device.model.log.entries(LOG_SUPPORT_RESET), "the device logged the vendor reset"

    await lose_password(session, records["cam"])
    replay = ScriptedOwner(running, code=issued.typed)
    replayed = await RecoveryGuide(session, replay, over_sadp).recover(records["cam"])
    assert replayed.outcome is not RecoveryOutcome.RECOVERED, "a code works once, over SADP too"
    assert no_locks(running)


async def test_a_reset_nvr_gets_its_channels_back_without_a_backup(
    make_lab: LabFactory, fleet_store: Store, vault: Vault, session: FleetSession
) -> None:
    running = await site(make_lab)
    records = enrol(running, fleet_store, vault)
    await map_channels(session)
    await lose_password(session, records["nvr"])
    owner = ScriptedOwner(running, factory_reset=True)
    result = await RecoveryGuide(session, owner, FAST).recover(records["nvr"])
    credential = session.credential(record_of(fleet_store, vault, "nvr"))
    assert credential is not None
    online: list[bool | None] = []
    for _ in range(100):
        online = [c.online for c in await session.driver(records["nvr"]).channels(credential)]
        if len(online) == 2 and all(online):
            break
        await asyncio.sleep(0.1)
    assert result.outcome is RecoveryOutcome.RECOVERED, (result, owner.told)
    assert any("its IP channels are erased" in line for line in owner.consequences)
    assert "2 of 2 NVR channels re-linked to their cameras" in owner.told
    assert online == [True, True]
    assert no_locks(running)


async def test_an_operator_login_saves_the_recordings_before_the_reset(
    make_lab: LabFactory, fleet_store: Store, vault: Vault, session: FleetSession, tmp_path: Path
) -> None:
    running = await make_lab(
        [{"label": "cam", "admin_password": "Cam#Installer-1", "memory_card": True}], boot_seconds=0.1
    )
    records = enrol(running, fleet_store, vault)
    operator = Credential("ops", "Shift#Watch-2024")
    admin = session.credential(records["cam"])
    assert admin is not None
    await session.driver(records["cam"]).create_user(
        admin, operator.username, operator.password, Level.OPERATOR
    )
    await lose_password(session, records["cam"])
    owner = ScriptedOwner(running, factory_reset=True, access=operator, recordings=tmp_path / "clips")
    result = await RecoveryGuide(session, owner, FAST).recover(records["cam"])
    assert result.outcome is RecoveryOutcome.RECOVERED, (result, owner.told)
    clips = sorted((tmp_path / "clips").iterdir())
    assert clips, owner.told
    assert all(clip.stat().st_size > 0 for clip in clips)
    assert any(line.endswith(f"recordings copied to {tmp_path / 'clips'}") for line in owner.told)
    assert any("configuration" in line for line in owner.told), "the owner hears whether the backup worked"


async def test_a_device_whose_vault_password_works_needs_nothing(
    make_lab: LabFactory, fleet_store: Store, vault: Vault, session: FleetSession
) -> None:
    running = await make_lab([{"label": "cam", "admin_password": "Cam#Installer-1"}])
    records = enrol(running, fleet_store, vault)
    result = await RecoveryGuide(session, ScriptedOwner(running, factory_reset=True), FAST).recover(
        records["cam"]
    )
    assert result.outcome is RecoveryOutcome.NOTHING_TO_DO
    assert len(history_notes(fleet_store, vault, records["cam"])) == 1, "the vault is untouched"
    assert running.lab.device("cam").model.account("admin").password.matches("Cam#Installer-1")  # type: ignore[union-attr]
