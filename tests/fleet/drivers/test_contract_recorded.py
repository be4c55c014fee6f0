"""The contract suite against recorded real Hikvision replies (one backend per ``fixtures/hikvision/<case>/``).

Besides the shared contract, each case's ``expected.json`` may list writes (``set_password``, ``reboot``);
they are replayed and what the driver *sent* is checked: the right method and path, and for a password
change the fields decrypted with the captured ``SecurityCap`` salt (``security=1``) or read in plaintext.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest

from camvault.fleet.drivers import AttemptBudget, Credential, Endpoint
from camvault.fleet.drivers.hikvision import HikvisionDriver
from camvault.protocols.isapi import field_crypto
from camvault.protocols.isapi.documents import SecurityCap, User, decode

from .contract import Backend, DriverContract
from .replay import RecordedDevice, cases, load_reply

CASES = cases("hikvision")


def test_every_case_folder_is_complete() -> None:
    assert {case.name for case in CASES} >= {"v5_5_0_camera", "obs_isapi_camera"}
    for case in CASES:
        device = RecordedDevice(case)
        for name in [device.config["unauthorized"], *device.config["routes"].values()]:
            assert (case / name).is_file(), f"{case.name}: {name} is missing"


@pytest.fixture(params=CASES, ids=[case.name for case in CASES])
def recorded(request: pytest.FixtureRequest) -> RecordedDevice:
    folder: Path = request.param
    return RecordedDevice(folder)


@pytest.fixture
async def replay_driver(recorded: RecordedDevice) -> AsyncIterator[HikvisionDriver]:
    async with httpx.AsyncClient(transport=recorded.transport()) as client:
        yield HikvisionDriver(
            Endpoint("192.0.2.64"),
            client=client,
            budget=AttemptBudget(),
            name=f"recorded:{recorded.folder.name}",
        )


class TestHikvisionOnRecordedReplies(DriverContract):
    @pytest.fixture
    def backend(self, recorded: RecordedDevice, replay_driver: HikvisionDriver) -> Backend:
        return Backend(
            name=recorded.folder.name,
            driver=replay_driver,
            credential=Credential(recorded.username, recorded.password),
            expected=recorded.expected,
            requests=lambda: recorded.requests,
            device_failures=lambda: recorded.failed_logins,
        )


def _decrypting(recorded: RecordedDevice) -> tuple[bytes, str] | None:
    """The ``security=1`` key of the case's credential, from its captured SecurityCap."""
    path = recorded.reply_file("GET /ISAPI/Security/capabilities")
    if path is None:
        return None
    cap = decode(load_reply(path).body, SecurityCap)
    assert cap.salt is not None and cap.key_iterate_num is not None
    key = field_crypto.derive_key(
        recorded.username, recorded.password, salt=cap.salt, iterations=cap.key_iterate_num
    )
    return key, cap.salt


async def test_a_password_change_sends_what_the_device_expects(
    recorded: RecordedDevice, replay_driver: HikvisionDriver
) -> None:
    spec = recorded.expected.get("set_password")
    if spec is None:
        pytest.skip(f"{recorded.folder.name} records no password change")
    credential = Credential(recorded.username, recorded.password)
    await replay_driver.set_password(credential, spec["username"], spec["new_password"])
    sent = recorded.requests[-1]
    assert (sent.method, sent.url.path) == (spec["sent"]["method"], spec["sent"]["path"])
    body = decode(sent.content, User)
    query = {name: values[0] for name, values in parse_qs(sent.url.query.decode()).items()}
    if spec["sent"]["security"]:
        crypto = _decrypting(recorded)
        assert crypto is not None
        key, _ = crypto
        assert query["security"] == "1"
        open_field = lambda value: field_crypto.decrypt_field(key, value or "", query["iv"])  # noqa: E731
        assert spec["new_password"].encode() not in sent.content, "the new password went out in clear"
    else:
        assert "security" not in query
        open_field = lambda value: value or ""  # noqa: E731
    assert open_field(body.user_name) == spec["username"]
    assert open_field(body.password) == spec["new_password"]
    assert open_field(body.login_password) == recorded.password, "loginPassword is the acting password"
    assert recorded.failed_logins == 0


async def test_a_reboot_is_acknowledged_by_the_recorded_status(
    recorded: RecordedDevice, replay_driver: HikvisionDriver
) -> None:
    spec = recorded.expected.get("reboot")
    if spec is None:
        pytest.skip(f"{recorded.folder.name} records no reboot")
    await replay_driver.reboot(Credential(recorded.username, recorded.password))
    sent = recorded.requests[-1]
    assert (sent.method, sent.url.path) == (spec["sent"]["method"], spec["sent"]["path"])
    assert "authorization" in sent.headers
