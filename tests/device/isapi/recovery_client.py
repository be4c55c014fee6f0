"""What a script without a browser does to recover a device over ISAPI: shared by the ISAPI and web tests."""

from __future__ import annotations

import base64
from collections.abc import Mapping

import httpx

from camvault.clock import ManualClock
from camvault.device.frontend import DeviceFrontEnd
from camvault.device.host import NullHost
from camvault.device.http.inprocess import InProcessTransport
from camvault.device.model import DeviceModel
from camvault.protocols.isapi import field_crypto
from camvault.protocols.isapi.activation import ActivationClientKey
from camvault.protocols.isapi.documents import (
    ChallengeRequest,
    ChallengeResponse,
    LoginPassword,
    SecurityQuestion,
    SecurityQuestions,
    decode,
    encode,
)
from camvault.protocols.isapi.documents.reset import GuidFileReset
from camvault.protocols.isapi.status import ResponseStatus, decode_status
from tests.device.model.conftest import STRONG, build

ANSWERS = {2: "Margaret Hamilton", 7: "Rex", 9: "Elm Street"}
NEW = "N3w-Owner-Pass!"
_CLIENT_KEY = ActivationClientKey.generate()


class Device:
    """An activated camera behind its whole HTTP front end, with a manual clock."""

    def __init__(self, *, firmware: str = "V5.6.2 build 190701", activate: bool = True) -> None:
        self.clock = ManualClock()
        self.model: DeviceModel = build(firmware=firmware, clock=self.clock)
        if activate and not self.model.activated:
            self.model.activate(STRONG)
        self.frontend = DeviceFrontEnd(self.model, NullHost())

    def client(self, peer: str = "10.0.0.5", **extra: object) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=InProcessTransport(self.frontend, peer=peer),
            base_url="http://192.0.2.10",
            **extra,  # type: ignore[arg-type]
        )

    def login_key(self, password: str = STRONG, user: str = "admin") -> bytes:
        return field_crypto.derive_key(user, password, salt=self.model.identity.salt, iterations=100)


def status_of(response: httpx.Response) -> ResponseStatus:
    return decode_status(response.content)


async def recovery_key(client: httpx.AsyncClient) -> bytes:
    """Run the recovery challenge: the AES key of the next reset request from this client."""
    body = encode(ChallengeRequest(key=_CLIENT_KEY.public_key_param()), namespace=None)
    response = await client.post("/ISAPI/Security/passwordReset/challenge", content=body)
    assert response.status_code == 200, response.text
    random_text = _CLIENT_KEY.decrypt_challenge(decode(response.content, ChallengeResponse).key)
    return bytes.fromhex(random_text)


def questions_body(answers: Mapping[int, str], password: str | None, key: bytes | None, iv: str) -> bytes:
    seal = (lambda value: field_crypto.encrypt_field(key, value, iv)) if key else (lambda value: value)
    questions = tuple(SecurityQuestion(id=qid, answer=seal(answer)) for qid, answer in answers.items())
    document = SecurityQuestions(questions=questions, password=seal(password) if password else None)
    return encode(document, namespace=None)


async def set_questions(
    device: Device, client: httpx.AsyncClient, answers: Mapping[int, str] = ANSWERS
) -> httpx.Response:
    iv = field_crypto.new_iv()
    return await client.put(
        f"/ISAPI/Security/questionConfiguration?security=1&iv={iv}",
        content=questions_body(answers, STRONG, device.login_key(), iv),
        auth=httpx.DigestAuth("admin", STRONG),
    )


async def reset_by_questions(
    client: httpx.AsyncClient, answers: Mapping[int, str], password: str
) -> httpx.Response:
    key = await recovery_key(client)
    iv = field_crypto.new_iv()
    return await client.put(
        f"/ISAPI/Security/questionCertification?security=1&iv={iv}",
        content=questions_body(answers, password, key, iv),
    )


async def export_guid(device: Device, client: httpx.AsyncClient, password: str = STRONG) -> bytes:
    """Export a GUID file in clear (the reply body is the file)."""
    response = await client.post(
        "/ISAPI/Security/GUIDFileData",
        content=encode(LoginPassword(password=password), namespace=None),
        auth=httpx.DigestAuth("admin", password),
    )
    assert response.status_code == 200, response.text
    return response.content


def guid_reset_body(content: bytes, password: str, key: bytes | None, iv: str) -> bytes:
    encoded = base64.b64encode(content).decode("ascii")
    if key is not None:
        encoded = field_crypto.encrypt_field(key, encoded, iv)
        password = field_crypto.encrypt_field(key, password, iv)
    return encode(GuidFileReset(guid_file=encoded, password=password), namespace=None)


async def reset_by_guid(client: httpx.AsyncClient, content: bytes, password: str) -> httpx.Response:
    key = await recovery_key(client)
    iv = field_crypto.new_iv()
    return await client.put(
        f"/ISAPI/Security/GUIDFileData/reset?security=1&iv={iv}",
        content=guid_reset_body(content, password, key, iv),
    )
