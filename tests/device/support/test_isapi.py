"""ISAPI vendor-support reset, in process: export, re-download, import with every answer and hostile input."""

from __future__ import annotations

import base64
import logging

import httpx
import pytest

from camvault.device.model import DeviceModel, Kind
from camvault.protocols import resetcode
from camvault.protocols.isapi import field_crypto
from camvault.protocols.isapi.documents import encode
from camvault.protocols.isapi.documents.reset import PasswordResetCode
from camvault.protocols.isapi.status import ResponseStatus, StatusCode, decode_status
from tests.device.isapi.recovery_client import recovery_key
from tests.device.model.conftest import STRONG
from tests.device.support.conftest import NEW_ADMIN, Served, Vendor, made_device, serve

REQUEST = "/ISAPI/Security/passwordReset/request"
CODE = "/ISAPI/Security/passwordReset/code"


def status_of(response: httpx.Response) -> ResponseStatus:
    return decode_status(response.content)


def code_body(
    *,
    typed: str | None = None,
    file: bytes | None = None,
    password: str = NEW_ADMIN,
    key: bytes | None,
    iv: str,
) -> bytes:
    seal = (lambda value: field_crypto.encrypt_field(key, value, iv)) if key else (lambda value: value)
    encoded = base64.b64encode(file).decode("ascii") if file is not None else None
    document = PasswordResetCode(
        reset_code=seal(typed) if typed is not None else None,
        reset_code_file=seal(encoded) if encoded is not None else None,
        password=seal(password),
    )
    return encode(document, namespace=None)


async def submit(
    client: httpx.AsyncClient,
    *,
    typed: str | None = None,
    file: bytes | None = None,
    password: str = NEW_ADMIN,
) -> httpx.Response:
    """What the web page does: a recovery challenge, then the code and password under its key."""
    key = await recovery_key(client)
    iv = field_crypto.new_iv()
    body = code_body(typed=typed, file=file, password=password, key=key, iv=iv)
    return await client.put(f"{CODE}?security=1&iv={iv}", content=body)


async def export(client: httpx.AsyncClient) -> bytes:
    response = await client.post(REQUEST)
    assert response.status_code == 200, response.text
    return response.content


@pytest.fixture
def served(camera: DeviceModel) -> Served:
    return serve(camera)


async def test_export_answers_the_file_and_get_downloads_it_again(served: Served) -> None:
    async with served.client() as client:
        assert (await client.get(REQUEST)).status_code == 403  # nothing pending yet
        response = await client.post(REQUEST)
        again = await client.get(REQUEST)
        newer = await client.post(REQUEST)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/octet-stream"
    serial = served.model.identity.serial
    assert response.headers["content-disposition"] == f'attachment; filename="ResetRequest_{serial}.txt"'
    request = resetcode.decode_request_file(response.content)
    assert request.serial == serial
    assert again.content == response.content  # GET changes nothing
    assert resetcode.decode_request_file(newer.content).nonce != request.nonce  # POST replaces it
    assert served.model.vendor_support.pending is not None
    assert served.model.vendor_support.pending.file == newer.content


async def test_nothing_pending_is_a_clear_refusal(served: Served) -> None:
    async with served.client() as client:
        response = await client.get(REQUEST)
    status = status_of(response)
    assert (status.sub_status_code, status.m_err_dev_self_ex) == ("invalidOperation", "no_pending_request")


@pytest.mark.parametrize("form", ["typed", "file"])
async def test_import_under_the_recovery_challenge(vendor: Vendor, served: Served, form: str) -> None:
    async with served.client() as client:
        issued = vendor.issue(await export(client))
        if form == "typed":
            response = await submit(client, typed=issued.typed)
        else:
            response = await submit(client, file=issued.file)
        assert response.status_code == 200, response.text
        assert status_of(response).status_code is StatusCode.OK
        login = await client.get("/ISAPI/Security/userCheck", auth=httpx.DigestAuth("admin", NEW_ADMIN))
    assert login.status_code == 200


async def test_import_in_clear_for_scripts(vendor: Vendor, served: Served) -> None:
    async with served.client() as client:
        issued = vendor.issue(await export(client))
        response = await client.put(CODE, content=code_body(typed=issued.typed, key=None, iv=""))
    assert response.status_code == 200
    assert served.model.user(1).password.matches(NEW_ADMIN)


async def test_an_nvr_with_sync_reconnects_its_channels(vendor: Vendor) -> None:
    nvr = made_device(vendor, kind=Kind.NVR)
    nvr.set_channel(1, address="192.0.2.1", port=80, username="admin", password="Old-Cam-Pass1")
    served = serve(nvr)
    async with served.client() as client:
        issued = vendor.issue(await export(client), sync_ipc_password=True)
        assert (await submit(client, typed=issued.typed)).status_code == 200
    assert nvr.channels[1].password.matches(NEW_ADMIN)
    assert served.host.channel_changes == 1


async def test_a_checked_failure_answers_401_with_the_lock_and_the_reason(
    vendor: Vendor, served: Served
) -> None:
    async with served.client() as client:
        issued = vendor.issue(await export(client))
        await client.post(REQUEST)  # a newer export: the code answers an older request now
        response = await submit(client, typed=issued.typed)
    assert response.status_code == 401
    status = status_of(response)
    assert status.sub_status_code == "badAuthorization"
    assert status.m_err_dev_self_ex == "bad_signature"
    assert (status.retry_times, status.res_lock_time) == (4, 0)
    assert served.model.user(1).password.matches(STRONG)


async def test_a_typo_is_400_and_not_counted(vendor: Vendor, served: Served) -> None:
    async with served.client() as client:
        typed = vendor.issue(await export(client)).typed
        typo = ("1" if typed[0] != "1" else "2") + typed[1:]
        response = await submit(client, typed=typo)
    assert response.status_code == 400
    assert status_of(response).m_err_dev_self_ex == "checksum"
    assert served.model.lock_status("10.0.0.5").attempts_left == 5


async def test_after_a_reboot_there_is_nothing_to_answer(vendor: Vendor, served: Served) -> None:
    async with served.client() as client:
        issued = vendor.issue(await export(client))
        served.model.power_off()
        served.model.begin_boot()
        served.model.finish_boot()
        response = await submit(client, typed=issued.typed)
    assert response.status_code == 403
    assert status_of(response).m_err_dev_self_ex == "no_pending_request"


async def test_a_risky_new_password_is_refused_first(vendor: Vendor, served: Served) -> None:
    async with served.client() as client:
        issued = vendor.issue(await export(client))
        response = await submit(client, typed=issued.typed, password="admin12345")
        assert status_of(response).sub_status_code == "riskPassword"
        assert (await submit(client, typed=issued.typed)).status_code == 200


async def test_fields_that_do_not_decrypt_are_counted(vendor: Vendor, served: Served) -> None:
    async with served.client() as client:
        issued = vendor.issue(await export(client))
        await recovery_key(client)
        iv = field_crypto.new_iv()
        body = code_body(typed=issued.typed, key=b"\x01" * 16, iv=iv)  # not the challenge's key
        response = await client.put(f"{CODE}?security=1&iv={iv}", content=body)
    assert response.status_code == 401
    assert status_of(response).m_err_dev_self_ex == "undecryptable"
    assert served.model.lock_status("10.0.0.5").attempts_left == 4


async def test_security_without_a_challenge_or_iv_is_refused(vendor: Vendor, served: Served) -> None:
    async with served.client() as client:
        issued = vendor.issue(await export(client))
        iv = field_crypto.new_iv()
        body = code_body(typed=issued.typed, key=b"\x01" * 16, iv=iv)
        no_challenge = await client.put(f"{CODE}?security=1&iv={iv}", content=body)
        await recovery_key(client)
        no_iv = await client.put(f"{CODE}?security=1", content=body)
        aes256 = await client.put(f"{CODE}?security=2&iv={iv}", content=body)
    assert status_of(no_challenge).sub_status_code == "invalidOperation"
    assert status_of(no_iv).sub_status_code == "badParameters"
    assert status_of(aes256).sub_status_code == "notSupport"
    assert served.model.user(1).password.matches(STRONG)


@pytest.mark.parametrize(
    ("body", "sub_status"),
    [
        (b"<PasswordResetCode><password>x</password></PasswordResetCode>", "badXmlContent"),
        (
            b"<PasswordResetCode><resetCode>A</resetCode><resetCodeFile>QQ==</resetCodeFile>"
            b"<password>x</password></PasswordResetCode>",
            "badXmlContent",
        ),
        (b"<PasswordResetCode><resetCode>A</resetCode></PasswordResetCode>", "badXmlContent"),
        (
            b"<PasswordResetCode><resetCode>A</resetCode><password></password></PasswordResetCode>",
            "badXmlContent",
        ),
        (b"<GUIDFileReset><GUIDFile>A</GUIDFile><password>x</password></GUIDFileReset>", "badXmlContent"),
        (b"<PasswordResetCode><resetCode>A", "badXmlFormat"),
        (
            b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
            b"<PasswordResetCode><resetCode>&b;</resetCode><password>x</password></PasswordResetCode>",
            "badXmlFormat",
        ),
        (
            b"<PasswordResetCode><resetCode>" + b"A" * 70_000 + b"</resetCode></PasswordResetCode>",
            "badXmlFormat",
        ),
        (
            b"<PasswordResetCode><resetCode>"
            + b"A" * 2000
            + b"</resetCode><password>x</password></PasswordResetCode>",
            "badXmlContent",
        ),
    ],
    ids=[
        "no-code",
        "both-codes",
        "no-password",
        "empty-password",
        "wrong-root",
        "truncated",
        "entities",
        "oversized",
        "too-long",
    ],
)
async def test_hostile_or_malformed_bodies_change_nothing(
    vendor: Vendor, served: Served, body: bytes, sub_status: str
) -> None:
    async with served.client() as client:
        vendor.issue(await export(client))
        response = await client.put(CODE, content=body)
    assert status_of(response).sub_status_code == sub_status
    assert served.model.user(1).password.matches(STRONG)
    assert served.model.vendor_support.pending is not None
    assert served.model.lock_status("10.0.0.5").attempts_left == 5


@pytest.mark.parametrize(
    "encoded",
    ["not base64!", base64.b64encode(b"x" * (resetcode.MAX_CODE_FILE_BYTES + 1)).decode(), "QUJD"],
    ids=["not-base64", "oversized-file", "not-a-code-file"],
)
async def test_bad_code_files_are_malformed(vendor: Vendor, served: Served, encoded: str) -> None:
    async with served.client() as client:
        vendor.issue(await export(client))
        body = encode(
            PasswordResetCode(reset_code=None, reset_code_file=encoded, password=NEW_ADMIN), namespace=None
        )
        response = await client.put(CODE, content=body)
    assert response.status_code == 400
    assert status_of(response).m_err_dev_self_ex == "malformed"


@pytest.mark.parametrize(
    ("firmware", "activate", "sub_status"),
    [("V5.2.5 build 141201", True, "notSupport"), ("V5.6.2 build 190701", False, "notActivated")],
)
async def test_old_firmware_and_inactive_devices_refuse(
    vendor: Vendor, firmware: str, activate: bool, sub_status: str
) -> None:
    served = serve(made_device(vendor, firmware=firmware, activate=activate))
    async with served.client() as client:
        responses = [
            await client.post(REQUEST),
            await client.get(REQUEST),
            await client.put(CODE, content=b"<x/>"),
        ]
    assert [status_of(response).sub_status_code for response in responses] == [sub_status] * 3


async def test_a_device_without_vendor_keys_refuses(vendor: Vendor) -> None:
    model = made_device(vendor)
    model.vendor_support.trust = None
    served = serve(model)
    async with served.client() as client:
        assert status_of(await client.post(REQUEST)).sub_status_code == "notSupport"


async def test_no_secret_in_urls_or_logs(
    vendor: Vendor, served: Served, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []

    async def record(request: httpx.Request) -> None:
        seen.append(str(request.url))

    async with served.client() as client:
        client.event_hooks["request"].append(record)
        issued = vendor.issue(await export(client))
        assert (await submit(client, typed=issued.typed)).status_code == 200
    compact = issued.typed.replace("-", "")
    for text in [*seen, caplog.text]:
        for secret in (NEW_ADMIN, issued.typed, compact):
            assert secret not in text
    assert NEW_ADMIN not in repr(
        PasswordResetCode(reset_code=issued.typed, reset_code_file=None, password=NEW_ADMIN)
    )
