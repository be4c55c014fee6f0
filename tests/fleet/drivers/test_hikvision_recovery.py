"""The Hikvision driver's recovery without a login, recordings and NVR channels, against lab devices on sockets.

The owner's side of every reset method meets the emulated device only on the wire: security questions set
through the device's own route, GUID files exported through it, and vendor-support codes issued by the real
support service (``camvault.support``) with the lab's throwaway vendor keys, exactly as ``camvault support
--keys <state>/vendor`` answers a lab device.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from camvault.device.lab.faults import FaultPlan
from camvault.device.lab.runner import RunningLab
from camvault.device.model import DetectResult
from camvault.device.model.recordings import Segment, clip_bytes
from camvault.errors import (
    AttemptBudgetExhausted,
    AuthenticationFailed,
    CamvaultError,
    DeviceLocked,
    DeviceNotActivated,
    DeviceProtocolError,
    DeviceRefused,
    DeviceUnreachable,
    UnsupportedOperation,
)
from camvault.fleet.drivers import AttemptBudget, Credential
from camvault.fleet.drivers import hikvision as hikvision_module
from camvault.fleet.drivers.hikvision import HikvisionDriver
from camvault.protocols import resetcode
from camvault.protocols.isapi.questions import QUESTIONS
from tests.fleet.rotation.lab_fleet import guess_until_locked
from tests.fleet.vendor_desk import VendorDesk, forged_code

from .conftest import PEER, CountingTransport, LabFactory, attempts_left, endpoint_of

OLD = "Lobby#Cam-2024"
NEW = "Planted#Rst-773"
"""The new admin password: planted, and looked for where it must never appear."""
ANSWERS = {2: "Planted-Mother-Ada", 7: "Planted-Pet-Rex", 9: "Planted-Street-Elm"}
WRONG_SETS = [
    {2: "Planted-Mother-Ada", 7: "Planted-Pet-Rex", 9: f"Planted-Wrong-{index}"} for index in range(4)
]
CAMERA = "Garage#Cam-2024"
RECORDER = "Record3r-Pass!"

Counting = tuple[httpx.AsyncClient, CountingTransport]


def driver_for(
    running: RunningLab, label: str, client: httpx.AsyncClient, budget: AttemptBudget
) -> HikvisionDriver:
    return HikvisionDriver(endpoint_of(running.lab.device(label)), client=client, budget=budget, name=label)


def base(running: RunningLab, label: str) -> str:
    return str(endpoint_of(running.lab.device(label)))


async def configure_questions(client: httpx.AsyncClient, running: RunningLab, label: str = "cam") -> None:
    """The administrator sets the questions through the device's own route (§12.2), logged in."""
    questions = "".join(
        f"<Question><id>{question_id}</id><answer>{answer}</answer></Question>"
        for question_id, answer in ANSWERS.items()
    )
    body = f"<SecurityQuestion><QuestionList>{questions}</QuestionList><password>{OLD}</password></SecurityQuestion>"
    response = await client.put(
        base(running, label) + "/ISAPI/Security/questionConfiguration",
        content=body.encode(),
        auth=httpx.DigestAuth("admin", OLD),
    )
    assert response.status_code == 200, response.text


async def export_guid(client: httpx.AsyncClient, running: RunningLab, label: str = "cam") -> bytes:
    """The administrator exports a GUID file through the device's route (§12.4), logged in."""
    response = await client.post(
        base(running, label) + "/ISAPI/Security/GUIDFileData",
        content=f"<LoginPassword><password>{OLD}</password></LoginPassword>".encode(),
        auth=httpx.DigestAuth("admin", OLD),
    )
    assert response.status_code == 200, response.text
    return response.content


def new_requests(transport: CountingTransport, since: int) -> list[httpx.Request]:
    return transport.requests[since:]


def secrets_on_the_wire(requests: list[httpx.Request], *secrets: str) -> list[str]:
    """Planted values found in any request's URL or body."""
    found = []
    for request in requests:
        seen = str(request.url).encode() + request.content
        found += [secret for secret in secrets if secret.encode() in seen]
    return found


@pytest.fixture
async def camera(lab: LabFactory) -> RunningLab:
    return await lab([{"label": "cam", "admin_password": OLD}])


# ---------------------------------------------------------------------- which methods


async def test_a_current_camera_offers_questions_guid_and_vendor_support(
    camera: RunningLab, counting: Counting, budget: AttemptBudget
) -> None:
    client, transport = counting
    driver = driver_for(camera, "cam", client, budget)
    fresh = await driver.recovery_methods()
    assert fresh.security_questions == ()
    assert (fresh.guid_file, fresh.vendor_support, fresh.legacy_code, fresh.locked) == (
        True,
        True,
        False,
        False,
    )

    await configure_questions(client, camera)
    sent = len(transport.requests)
    methods = await driver.recovery_methods()
    assert [(question.id, question.text) for question in methods.security_questions] == [
        (question_id, QUESTIONS[question_id]) for question_id in sorted(ANSWERS)
    ]
    probes = new_requests(transport, sent)
    assert all(request.method == "GET" for request in probes), "finding out changes nothing"
    assert not any("authorization" in request.headers for request in probes), "and needs no login"
    device = camera.lab.device("cam")
    model = device.model
    assert model.vendor_support.pending is None, "no request is exported just to find out"
    assert attempts_left(device) == 5


async def test_old_firmware_offers_nothing_over_isapi(
    lab: LabFactory, counting: Counting, budget: AttemptBudget
) -> None:
    running = await lab([{"label": "cam", "firmware": "V5.2.5 build 141201", "admin_password": OLD}])
    client, _ = counting
    methods = await driver_for(running, "cam", client, budget).recovery_methods()
    assert methods.security_questions == ()
    assert (methods.guid_file, methods.vendor_support, methods.legacy_code) == (False, False, False)


async def test_an_inactive_device_must_be_activated_first(
    lab: LabFactory, counting: Counting, budget: AttemptBudget
) -> None:
    running = await lab([{"label": "fresh", "activated": False}])
    client, _ = counting
    driver = driver_for(running, "fresh", client, budget)
    with pytest.raises(DeviceNotActivated):
        await driver.recovery_methods()
    with pytest.raises(DeviceNotActivated):
        await driver.reset_with_answers(ANSWERS, NEW)


# ---------------------------------------------------------------------- security questions


async def test_right_answers_set_the_new_password_sealed(
    camera: RunningLab, counting: Counting, budget: AttemptBudget
) -> None:
    client, transport = counting
    await configure_questions(client, camera)
    driver = driver_for(camera, "cam", client, budget)
    sent = len(transport.requests)
    await driver.reset_with_answers(ANSWERS, NEW)
    reset = [request for request in new_requests(transport, sent) if request.method != "GET"]
    assert [request.url.path for request in reset] == [
        "/ISAPI/Security/passwordReset/challenge",
        "/ISAPI/Security/questionCertification",
    ]
    assert reset[1].url.params["security"] == "1" and len(reset[1].url.params["iv"]) == 32
    assert secrets_on_the_wire(reset, NEW, *ANSWERS.values()) == [], "the reset sealed every secret"
    assert (await driver.check_login(Credential("admin", NEW))).ok
    assert not (await driver.check_login(Credential("admin", OLD))).ok


async def test_wrong_answers_are_counted_and_the_budget_stops_before_the_lock(
    camera: RunningLab, counting: Counting, budget: AttemptBudget
) -> None:
    client, transport = counting
    await configure_questions(client, camera)
    driver = driver_for(camera, "cam", client, budget)
    device = camera.lab.device("cam")
    model = device.model
    for expected_left, wrong in zip((4, 3, 2), WRONG_SETS, strict=False):
        with pytest.raises(AuthenticationFailed) as refused:
            await driver.reset_with_answers(wrong, NEW)
        assert refused.value.attempts_left == expected_left == attempts_left(device)
    sent = len(transport.requests)
    with pytest.raises(AttemptBudgetExhausted):
        await driver.reset_with_answers(WRONG_SETS[3], NEW)
    with pytest.raises(AuthenticationFailed, match="already rejected"):
        await driver.reset_with_answers(WRONG_SETS[0], NEW)
    assert len(transport.requests) == sent, "nothing was sent"
    assert attempts_left(device) == 2 and not model.lock_status(PEER).locked
    assert model.user(1).password.matches(OLD)


async def test_a_rejected_set_is_never_sent_twice(
    camera: RunningLab, counting: Counting, budget: AttemptBudget
) -> None:
    client, transport = counting
    await configure_questions(client, camera)
    driver = driver_for(camera, "cam", client, budget)
    with pytest.raises(AuthenticationFailed):
        await driver.reset_with_answers(WRONG_SETS[0], NEW)
    sent = len(transport.requests)
    spaced = {question_id: f"  {answer} " for question_id, answer in WRONG_SETS[0].items()}
    with pytest.raises(AuthenticationFailed, match="already rejected"):
        await driver.reset_with_answers(spaced, "Another#Pw-2025")
    assert len(transport.requests) == sent
    assert attempts_left(camera.lab.device("cam")) == 4


async def test_a_lost_reply_counts_as_an_attempt_of_unknown_outcome(
    camera: RunningLab, counting: Counting, budget: AttemptBudget
) -> None:
    client, _ = counting
    await configure_questions(client, camera)
    camera.lab.set_faults(
        "cam",
        FaultPlan(
            lost_reply_rate=1.0,
            methods=("PUT",),
            paths=("/ISAPI/Security/questionCertification",),
            remaining=1,
        ),
    )
    driver = driver_for(camera, "cam", client, budget)
    with pytest.raises(DeviceUnreachable):
        await driver.reset_with_answers(ANSWERS, NEW)
    state = budget.state("cam")
    assert state.failures == 1 and state.rejected == frozenset(), "counted, but not remembered as wrong"
    assert (await driver.check_login(Credential("admin", NEW))).ok, (
        "the device applied it; the reply was lost"
    )


async def test_resets_of_one_driver_never_interleave_their_challenges(
    camera: RunningLab, counting: Counting, budget: AttemptBudget
) -> None:
    client, _ = counting
    await configure_questions(client, camera)
    driver = driver_for(camera, "cam", client, budget)
    outcomes = await asyncio.gather(
        driver.reset_with_answers(ANSWERS, NEW),
        driver.reset_with_answers(WRONG_SETS[0], "Another#Pw-2025"),
        return_exceptions=True,
    )
    assert outcomes[0] is None and isinstance(outcomes[1], AuthenticationFailed)
    device = camera.lab.device("cam")
    assert attempts_left(device) == 4, "each request was sealed with its own challenge's key"
    assert device.model.user(1).password.matches(NEW)


async def test_a_locked_device_refuses_and_the_driver_waits(
    camera: RunningLab, counting: Counting, budget: AttemptBudget
) -> None:
    client, transport = counting
    await configure_questions(client, camera)
    await guess_until_locked(client, base(camera, "cam"))
    driver = driver_for(camera, "cam", client, budget)
    with pytest.raises(DeviceLocked) as locked:
        await driver.reset_with_answers(ANSWERS, NEW)
    assert locked.value.locked_until is not None
    methods = await driver.recovery_methods()
    assert methods.locked and methods.unlock_in_seconds is not None and methods.unlock_in_seconds > 0
    sent = len(transport.requests)
    with pytest.raises(DeviceLocked):
        await driver.reset_with_answers(ANSWERS, NEW)
    assert len(transport.requests) == sent, "a lock the device reported is waited out, not tested"


async def test_suspended_recovery_is_reported_and_costs_nothing(
    camera: RunningLab, counting: Counting, budget: AttemptBudget
) -> None:
    client, _ = counting
    await configure_questions(client, camera)
    device = camera.lab.device("cam")
    model = device.model
    model.recovery.suspended_until = model.monotonic() + 600  # twenty wrong sets from many addresses
    driver = driver_for(camera, "cam", client, budget)
    with pytest.raises(DeviceLocked, match="suspended") as suspended:
        await driver.reset_with_answers(ANSWERS, NEW)
    assert suspended.value.locked_until is not None
    assert attempts_left(device) == 5 and model.user(1).password.matches(OLD)
    methods = await driver.recovery_methods()
    assert (
        methods.locked and methods.unlock_in_seconds is not None and 590 <= methods.unlock_in_seconds <= 600
    )


async def test_refusals_that_test_no_secret(
    camera: RunningLab, counting: Counting, budget: AttemptBudget
) -> None:
    client, transport = counting
    driver = driver_for(camera, "cam", client, budget)
    with pytest.raises(DeviceRefused, match="invalidOperation"):
        await driver.reset_with_answers(ANSWERS, NEW)  # no questions set yet
    await configure_questions(client, camera)
    with pytest.raises(DeviceRefused, match="riskPassword") as risky:
        await driver.reset_with_answers(ANSWERS, "abcdefgh")
    assert "abcdefgh" not in str(risky.value)
    with pytest.raises(DeviceRefused, match="badParameters"):
        await driver.reset_with_answers({2: "Planted-Mother-Ada", 7: "Planted-Pet-Rex"}, NEW)
    sent = len(transport.requests)
    for answers in ({}, {2: ""}, {2: "x" * 129}, {0: "Rex"}, {2: "tab\there"}):
        with pytest.raises(DeviceRefused, match="nothing was sent"):
            await driver.reset_with_answers(answers, NEW)
    with pytest.raises(DeviceRefused, match="nothing was sent"):
        await driver.reset_with_answers(ANSWERS, "")
    assert len(transport.requests) == sent
    device = camera.lab.device("cam")
    model = device.model
    assert attempts_left(device) == 5 and model.user(1).password.matches(OLD)
    await driver.reset_with_answers(ANSWERS, NEW)  # none of the above was remembered as rejected


# ---------------------------------------------------------------------- GUID file


async def test_a_guid_file_resets_once(lab: LabFactory, counting: Counting, budget: AttemptBudget) -> None:
    running = await lab([{"label": "cam", "admin_password": OLD}, {"label": "other", "admin_password": OLD}])
    client, transport = counting
    guid_file = await export_guid(client, running)
    driver = driver_for(running, "cam", client, budget)
    sent = len(transport.requests)
    await driver.reset_with_guid(guid_file, NEW)
    reset = new_requests(transport, sent)[-1]
    assert reset.url.path == "/ISAPI/Security/GUIDFileData/reset" and reset.url.params["security"] == "1"
    assert guid_file not in reset.content and NEW.encode() not in reset.content
    assert (await driver.check_login(Credential("admin", NEW))).ok
    device = running.lab.device("cam")
    model = device.model
    with pytest.raises(AuthenticationFailed) as spent:
        await driver.reset_with_guid(guid_file, "Another#Pw-2025")
    assert spent.value.attempts_left == 4 == attempts_left(device)
    assert model.user(1).password.matches(NEW), "the file was spent by the first reset"

    other = driver_for(running, "other", client, budget)
    with pytest.raises(DeviceRefused, match="badDevType"):
        await other.reset_with_guid(guid_file, "Another#Pw-2025")
    with pytest.raises(DeviceRefused, match="fileFormatError"):
        await other.reset_with_guid(b"<GUIDFile>not really</GUIDFile>", "Another#Pw-2025")
    assert attempts_left(running.lab.device("other")) == 5, "a file that tests nothing costs nothing"
    sent = len(transport.requests)
    for bad in (b"", b"x" * (64 * 1024)):
        with pytest.raises(DeviceRefused, match="nothing was sent"):
            await other.reset_with_guid(bad, "Another#Pw-2025")
    assert len(transport.requests) == sent


# ---------------------------------------------------------------------- vendor support


@pytest.fixture
def support(camera: RunningLab, tmp_path: Path) -> Iterator[VendorDesk]:
    with VendorDesk(camera, tmp_path / "support.sqlite") as desk:
        yield desk


def typo_of(typed: str) -> str:
    return ("1" if typed[0] != "1" else "2") + typed[1:]


@pytest.mark.parametrize("form", ["typed", "file"])
async def test_vendor_support_export_then_code(
    camera: RunningLab, support: VendorDesk, counting: Counting, budget: AttemptBudget, form: str
) -> None:
    client, transport = counting
    driver = driver_for(camera, "cam", client, budget)
    device = camera.lab.device("cam")
    model = device.model
    with pytest.raises(DeviceRefused, match="malformed"):
        await driver.reset_with_code("0000-0000", NEW)
    request_file = await driver.export_reset_request()
    assert resetcode.decode_request_file(request_file).serial == model.identity.serial
    assert (await driver.recovery_methods()).vendor_support
    issued = support.issue(request_file)

    with pytest.raises(DeviceRefused, match="checksum"):
        await driver.reset_with_code(typo_of(issued.typed), NEW)
    assert attempts_left(device) == 5, "a typo tests nothing and costs nothing"

    with pytest.raises(AuthenticationFailed, match="unknown_key") as refused:
        await driver.reset_with_code(forged_code(request_file), NEW)
    assert refused.value.attempts_left == 4 == attempts_left(device)
    assert model.user(1).password.matches(OLD)

    code: str | bytes = issued.typed if form == "typed" else issued.file
    sent = len(transport.requests)
    await driver.reset_with_code(code, NEW)
    reset = new_requests(transport, sent)[-1]
    assert reset.url.path == "/ISAPI/Security/passwordReset/code" and reset.url.params["security"] == "1"
    assert issued.typed.encode() not in reset.content and NEW.encode() not in reset.content
    assert (await driver.check_login(Credential("admin", NEW))).ok
    assert model.vendor_support.pending is None
    with pytest.raises(DeviceRefused, match="no_pending_request"):
        await driver.reset_with_code(code, "Another#Pw-2025")


async def test_a_code_for_an_older_request_is_refused_and_never_resent(
    camera: RunningLab, support: VendorDesk, counting: Counting, budget: AttemptBudget
) -> None:
    client, transport = counting
    driver = driver_for(camera, "cam", client, budget)
    issued = support.issue(await driver.export_reset_request())
    await driver.export_reset_request()  # a newer export: the code answers an older request now
    with pytest.raises(AuthenticationFailed, match="bad_signature"):
        await driver.reset_with_code(issued.typed, NEW)
    sent = len(transport.requests)
    with pytest.raises(AuthenticationFailed, match="already rejected"):
        await driver.reset_with_code(issued.typed.lower().replace("-", " "), NEW)
    assert len(transport.requests) == sent


async def test_a_vendor_code_is_sent_while_the_owner_s_guessing_holds_the_lock(
    camera: RunningLab, support: VendorDesk, counting: Counting, budget: AttemptBudget
) -> None:
    client, _ = counting
    driver = driver_for(camera, "cam", client, budget)
    request_file = await driver.export_reset_request()
    issued = support.issue(request_file)
    forged = forged_code(request_file, code_id=9)
    await guess_until_locked(client, base(camera, "cam"))
    login = await driver.check_login(Credential("admin", "another-guess"))
    assert login.locked and not login.ok
    assert (await driver.recovery_methods()).locked
    with pytest.raises(DeviceLocked):
        await driver.reset_with_answers(ANSWERS, NEW)

    with pytest.raises(DeviceLocked):
        await driver.reset_with_code(forged, NEW)
    model = camera.lab.device("cam").model
    assert model.user(1).password.matches(OLD), "a forged code changes nothing"

    await driver.reset_with_code(issued.typed, NEW)
    assert model.user(1).password.matches(NEW)
    assert not model.lock.locked_sources(model.monotonic()), "the reset cleared the lock"
    assert not (await driver.recovery_methods()).locked
    assert (await driver.check_login(Credential("admin", NEW))).ok


async def test_export_refusals(lab: LabFactory, counting: Counting, budget: AttemptBudget) -> None:
    running = await lab([{"label": "old", "firmware": "V5.2.5 build 141201", "admin_password": OLD}])
    client, _ = counting
    driver = driver_for(running, "old", client, budget)
    with pytest.raises(UnsupportedOperation):
        await driver.export_reset_request()
    with pytest.raises(UnsupportedOperation):
        await driver.reset_with_code("0000", NEW)


# ---------------------------------------------------------------------- recordings and channels


@pytest.fixture
async def recorder(lab: LabFactory) -> RunningLab:
    running = await lab(
        [
            {"label": "cam", "admin_password": CAMERA},
            {"label": "nvr", "kind": "nvr", "admin_password": RECORDER, "channels": ["cam"]},
        ]
    )
    model = running.lab.device("nvr").model
    model.set_time(model.now() - timedelta(hours=10))
    model.report_channel_check(1, DetectResult.CONNECT)
    model.set_time(model.now() + timedelta(hours=10))
    return running


async def test_recordings_are_paged_bounded_and_downloaded_within_the_bound(
    recorder: RunningLab, counting: Counting, budget: AttemptBudget, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, transport = counting
    nvr = driver_for(recorder, "nvr", client, budget)
    credential = Credential("admin", RECORDER)
    everything = await nvr.recordings(credential)
    assert len(everything) >= 60, "ten hours in ten-minute segments"
    assert [segment.start for segment in everything] == sorted(segment.start for segment in everything)
    assert {segment.track for segment in everything} == {101}
    searches = [request for request in transport.requests if request.url.path == "/ISAPI/ContentMgmt/search"]
    assert len(searches) == 2, "pages of 50 while the device says MORE"

    first = everything[0]
    assert (await nvr.recordings(credential, limit=7)) == everything[:7]
    monkeypatch.setattr(hikvision_module, "MAX_SEARCH_PAGES", 3)
    monkeypatch.setattr(hikvision_module, "SEARCH_PAGE_SIZE", 4)
    assert len(await nvr.recordings(credential)) == 12, "at most MAX_SEARCH_PAGES pages"
    assert await nvr.recordings(credential, limit=0) == []

    model = recorder.lab.device("nvr").model
    expected = clip_bytes(model.identity.serial, Segment(first.track, first.start, first.end))
    assert first.size == len(expected)
    assert await nvr.download_recording(credential, first, max_bytes=len(expected)) == expected
    with pytest.raises(DeviceProtocolError, match="larger than"):
        await nvr.download_recording(credential, first, max_bytes=len(expected) - 1)
    with pytest.raises(UnsupportedOperation):
        await driver_for(recorder, "cam", client, budget).recordings(Credential("admin", CAMERA))


async def test_add_channel_then_the_nvr_records_the_camera(
    lab: LabFactory, counting: Counting, budget: AttemptBudget
) -> None:
    running = await lab(
        [
            {"label": "cam", "admin_password": CAMERA},
            {"label": "nvr", "kind": "nvr", "admin_password": RECORDER},
        ]
    )
    client, _ = counting
    nvr = driver_for(running, "nvr", client, budget)
    credential = Credential("admin", RECORDER)
    camera = endpoint_of(running.lab.device("cam"))
    assert await nvr.channels(credential) == []
    await nvr.add_channel(credential, 1, camera, "admin", CAMERA)
    for _ in range(100):
        (channel,) = await nvr.channels(credential)
        if channel.online:
            break
        await asyncio.sleep(0.05)
    assert channel.online and (channel.address, channel.port, channel.username) == (
        camera.host,
        camera.port,
        "admin",
    )
    assert channel.protocol == "HIKVISION"
    await nvr.add_channel(credential, 1, camera, "admin", CAMERA)  # replacing is harmless
    assert len(await nvr.channels(credential)) == 1
    with pytest.raises(DeviceRefused, match="nothing was sent"):
        await nvr.add_channel(credential, 0, camera, "admin", CAMERA)
    with pytest.raises(DeviceRefused, match="badParameters"):
        await nvr.add_channel(credential, 2, camera, "admin", CAMERA, protocol="RTSP")
    with pytest.raises(UnsupportedOperation):
        await driver_for(running, "cam", client, budget).add_channel(
            Credential("admin", CAMERA), 1, camera, "admin", CAMERA
        )


# ---------------------------------------------------------------------- secrets


async def test_no_planted_secret_in_logs_reprs_or_messages(
    camera: RunningLab,
    support: VendorDesk,
    counting: Counting,
    budget: AttemptBudget,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    client, transport = counting
    await configure_questions(client, camera)
    guid_file = await export_guid(client, camera)
    driver = driver_for(camera, "cam", client, budget)
    texts: list[str] = []

    async def attempt(call: object) -> None:
        try:
            await call  # type: ignore[misc]
        except CamvaultError as exc:
            texts.extend([str(exc), repr(exc), repr(exc.args)])

    issued = support.issue(await driver.export_reset_request())
    await attempt(driver.reset_with_answers(WRONG_SETS[0], NEW))
    await attempt(driver.reset_with_answers(ANSWERS, "plantedrisky"))
    await attempt(driver.reset_with_code(typo_of(issued.typed), NEW))
    await attempt(driver.reset_with_code(issued.typed, NEW))
    await attempt(driver.reset_with_guid(guid_file, "Planted#Oth-5521"))
    methods = await driver.recovery_methods()
    haystack = "\n".join(
        [
            caplog.text,
            *texts,
            repr(driver),
            repr(methods),
            repr(budget.state("cam")),
            *(str(request.url) for request in transport.requests),
        ]
    )
    planted = [NEW, "plantedrisky", "Planted#Oth-5521", issued.typed, issued.typed.replace("-", "")]
    planted += list(ANSWERS.values()) + list(WRONG_SETS[0].values())
    assert [secret for secret in planted if secret in haystack] == []
    assert (await driver.check_login(Credential("admin", NEW))).ok, "the code worked; the GUID file was spent"
