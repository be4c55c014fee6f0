"""The rotation engine against a lab on real sockets: dependents, faults, crashes, canary."""

from __future__ import annotations

from camvault.clock import ManualClock
from camvault.device.lab.faults import FaultPlan
from camvault.device.lab.runner import RunningLab
from camvault.fleet.rotation.engine import RotateOptions, RotationEngine
from camvault.fleet.rotation.journal import Journal, State
from camvault.fleet.session import FleetSession
from camvault.fleet.store import Store
from camvault.fleet.vault import Vault
from tests.device.lab.conftest import LabFactory, free_fixed_port
from tests.fleet.rotation import lab_fleet
from tests.fleet.rotation.lab_fleet import device_password_is_vault_current, enrol, no_locks

fleet_store = lab_fleet.fleet_store
vault = lab_fleet.vault
session = lab_fleet.session

CAMERAS = [
    {"label": "cam-a", "admin_password": "Cam-A#pass-2024"},
    {"label": "cam-b", "admin_password": "Cam-B#pass-2024"},
    {"label": "cam-c", "admin_password": "Cam-C#pass-2024"},
]


async def lab_with_nvr(make_lab: LabFactory) -> RunningLab:
    return await make_lab(
        [
            *CAMERAS,
            {
                "label": "nvr",
                "kind": "nvr",
                "admin_password": "Record3r#Pass-1",
                "channels": ["cam-a", "cam-b"],
            },
        ],
        addressing="addresses",
        address_prefix="127.43",
        http_port=free_fixed_port(),
        nvr_check_seconds=0.5,
        nvr_retry_seconds=5,
    )


async def test_rotation_gives_unique_passwords_and_updates_the_nvr(
    make_lab: LabFactory, fleet_store: Store, vault: Vault, session: FleetSession
) -> None:
    running = await lab_with_nvr(make_lab)
    records = enrol(running, fleet_store, vault)
    report = await RotationEngine(session, RotateOptions(canary=1, concurrency=4)).run(list(records.values()))
    states = {rotation.device: rotation.state for rotation in report.rotations()}
    assert states == dict.fromkeys(records, State.DONE), report.rotations()
    for label in records:
        assert device_password_is_vault_current(running, fleet_store, vault, label)
    passwords = {running.lab.device(label).model.account("admin").password.value for label in records}  # type: ignore[union-attr]
    assert len(passwords) == len(records), "every device got its own password"
    nvr = running.lab.device("nvr").model
    assert all(channel.status.online for channel in nvr.channels.values())
    cam_a = next(r for r in report.rotations() if r.device == "cam-a")
    assert [state for _, state in cam_a.dependents] == ["verified"]
    assert no_locks(running)


async def test_a_lost_reply_is_resolved_to_the_new_password(
    make_lab: LabFactory, fleet_store: Store, vault: Vault, session: FleetSession
) -> None:
    running = await make_lab(CAMERAS[:1])
    records = enrol(running, fleet_store, vault)
    running.lab.set_faults(
        "cam-a",
        FaultPlan(lost_reply_rate=1.0, methods=("PUT",), paths=("/ISAPI/Security/users",), remaining=1),
    )
    report = await RotationEngine(session, RotateOptions(canary=0, settle_seconds=5)).run(
        list(records.values())
    )
    (rotation,) = report.rotations()
    assert rotation.state is State.DONE, rotation
    assert "new password works" in rotation.reason or rotation.reason == ""
    assert device_password_is_vault_current(running, fleet_store, vault, "cam-a")
    assert no_locks(running)


async def test_a_5xx_rolls_back_and_the_old_password_stays_current(
    make_lab: LabFactory, fleet_store: Store, vault: Vault, session: FleetSession
) -> None:
    running = await make_lab(CAMERAS[:1])
    records = enrol(running, fleet_store, vault)
    running.lab.set_faults(
        "cam-a", FaultPlan(error_rate=1.0, methods=("PUT",), paths=("/ISAPI/Security/users",))
    )
    report = await RotationEngine(session, RotateOptions(canary=0, settle_seconds=5)).run(
        list(records.values())
    )
    (rotation,) = report.rotations()
    assert rotation.state is State.ROLLED_BACK, rotation
    assert running.lab.device("cam-a").model.account("admin").password.matches("Cam-A#pass-2024")  # type: ignore[union-attr]
    assert device_password_is_vault_current(running, fleet_store, vault, "cam-a")
    assert no_locks(running)


async def test_a_crash_after_telling_the_device_is_finished_on_resume(
    make_lab: LabFactory, fleet_store: Store, vault: Vault, session: FleetSession
) -> None:
    running = await make_lab(CAMERAS[:2])
    records = enrol(running, fleet_store, vault)
    journal = Journal(vault, ManualClock().now)
    # Simulate a process killed at two instants: one after the device applied the change, one before it was told.
    with fleet_store.transaction() as conn:
        run = journal.start_run(conn, {})
        applied = journal.stage(
            conn,
            run_id=run,
            device_id=records["cam-a"].id,
            username="admin",
            credential_ref=records["cam-a"].credential_ref or "",
            new_password="Crash-Applied-1",
        )
        applied = journal.move(conn, applied, State.APPLYING)
        told_nothing = journal.stage(
            conn,
            run_id=run,
            device_id=records["cam-b"].id,
            username="admin",
            credential_ref=records["cam-b"].credential_ref or "",
            new_password="Crash-Never-22",
        )
        journal.move(conn, told_nothing, State.APPLYING)
    model = running.lab.device("cam-a").model
    model.modify_user(model.user(1), 1, password="Crash-Applied-1")
    report = await RotationEngine(session, RotateOptions(canary=0, settle_seconds=5)).run([])
    states = {rotation.device: rotation.state for rotation in report.resumed}
    assert states == {"cam-a": State.DONE, "cam-b": State.ROLLED_BACK}
    for label in ("cam-a", "cam-b"):
        assert device_password_is_vault_current(running, fleet_store, vault, label)
    assert no_locks(running)


async def test_a_failing_canary_stops_the_run(
    make_lab: LabFactory, fleet_store: Store, vault: Vault, session: FleetSession
) -> None:
    running = await make_lab(CAMERAS)
    records = enrol(running, fleet_store, vault)
    running.lab.set_faults("cam-a", FaultPlan(error_rate=1.0, methods=("PUT",)))
    report = await RotationEngine(session, RotateOptions(canary=1, settle_seconds=2)).run(
        [records["cam-a"], records["cam-b"], records["cam-c"]]
    )
    assert report.stopped is not None and "canary" in report.stopped
    assert report.result is not None and len(report.result.skipped) == 2
    for label in ("cam-b", "cam-c"):
        assert (
            running.lab.device(label)
            .model.account("admin")
            .password.matches(next(c["admin_password"] for c in CAMERAS if c["label"] == label))
        )  # type: ignore[union-attr]
