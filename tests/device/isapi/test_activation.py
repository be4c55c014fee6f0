"""Activation of a factory-fresh device over ISAPI (research notes §7), driven like the real clients."""

from __future__ import annotations

import httpx
import pytest

from camvault.protocols import xml
from camvault.protocols.isapi.activation import ActivationClientKey, encrypt_password
from camvault.protocols.isapi.status import decode_status
from tests.device.conftest import Rig, RigFactory
from tests.device.model.conftest import STRONG


@pytest.fixture(scope="module")
def client_key() -> ActivationClientKey:
    return ActivationClientKey.generate()


async def activate(
    client: httpx.AsyncClient, key: ActivationClientKey, password: str, root: str = "PublicKey"
) -> httpx.Response:
    body = f"<?xml version='1.0' encoding='UTF-8'?><{root}><key>{key.public_key_param()}</key></{root}>"
    challenge = await client.post("/ISAPI/Security/challenge", content=body)
    assert challenge.status_code == 200, challenge.text
    random_text = key.decrypt_challenge(xml.text(xml.parse(challenge.content), "key"))
    document = f"<ActivateInfo><password>{encrypt_password(random_text, password)}</password></ActivateInfo>"
    return await client.put("/ISAPI/System/activate", content=document)


async def test_inactive_device_answers_only_activation(make_rig: RigFactory) -> None:
    rig = make_rig(activated=False)
    async with rig.client() as client:
        status = await client.get("/SDK/activateStatus")
        assert status.status_code == 200
        assert xml.boolean(xml.parse(status.content), "Activated") is False
        for method, path in [
            ("GET", "/ISAPI/System/deviceInfo"),
            ("GET", "/ISAPI/Security/users"),
            ("PUT", "/ISAPI/System/reboot"),
        ]:
            refused = await client.request(method, path)
            assert refused.status_code == 403
            assert decode_status(refused.content).sub_status_code == "notActivated"


@pytest.mark.parametrize("root", ["PublicKey", "Challenge"])
async def test_activation_with_either_request_root(
    make_rig: RigFactory, client_key: ActivationClientKey, root: str
) -> None:
    rig = make_rig(activated=False)
    async with rig.client() as client:
        response = await activate(client, client_key, STRONG, root)
        assert response.status_code == 200, response.text
        assert decode_status(response.content).sub_status_code == "ok"
        assert xml.boolean(xml.parse((await client.get("/SDK/activateStatus")).content), "Activated")
        info = await client.get("/ISAPI/System/deviceInfo", auth=httpx.DigestAuth("admin", STRONG))
        assert info.status_code == 200
        body = f"<PublicKey><key>{client_key.public_key_param()}</key></PublicKey>"
        again = await client.post("/ISAPI/Security/challenge", content=body)
        assert again.status_code == 403
        assert decode_status(again.content).sub_status_code == "hasActivated"
        direct = await client.put(
            "/ISAPI/System/activate", content="<ActivateInfo><password>AA</password></ActivateInfo>"
        )
        assert decode_status(direct.content).sub_status_code == "hasActivated"
    assert rig.model.account("admin").password.matches(STRONG)  # type: ignore[union-attr]


async def test_risky_password_is_refused_and_nothing_changes(
    make_rig: RigFactory, client_key: ActivationClientKey
) -> None:
    rig = make_rig(activated=False)
    async with rig.client() as client:
        response = await activate(client, client_key, "12345678")
    assert response.status_code != 200
    assert decode_status(response.content).sub_status_code == "riskPassword"
    assert not rig.model.activated


async def test_activate_needs_the_challenge_from_the_same_client(
    make_rig: RigFactory, client_key: ActivationClientKey
) -> None:
    rig = make_rig(activated=False)
    async with rig.client(peer="10.0.0.1") as first, rig.client(peer="10.0.0.2") as second:
        body = f"<PublicKey><key>{client_key.public_key_param()}</key></PublicKey>"
        challenge = await first.post("/ISAPI/Security/challenge", content=body)
        random_text = client_key.decrypt_challenge(xml.text(xml.parse(challenge.content), "key"))
        document = (
            f"<ActivateInfo><password>{encrypt_password(random_text, STRONG)}</password></ActivateInfo>"
        )
        stolen = await second.put("/ISAPI/System/activate", content=document)
        assert decode_status(stolen.content).sub_status_code == "invalidOperation"
        garbage = await first.put(
            "/ISAPI/System/activate", content="<ActivateInfo><password>AAAA</password></ActivateInfo>"
        )
        assert decode_status(garbage.content).sub_status_code == "badParameters"
    assert not rig.model.activated


async def test_legacy_firmware_needs_no_activation(make_rig: RigFactory) -> None:
    rig: Rig = make_rig(firmware="V5.2.5 build 141201", activated=False)
    async with rig.client(auth=httpx.DigestAuth("admin", "12345")) as client:
        check = await client.get("/ISAPI/Security/userCheck")
    assert check.status_code == 200
    root = xml.parse(check.content)
    assert xml.boolean(root, "isDefaultPassword") is True
    assert xml.boolean(root, "isRiskPassword") is True
