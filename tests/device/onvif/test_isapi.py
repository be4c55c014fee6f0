"""Hikvision's ISAPI ONVIF switch and separate ONVIF user list, driven over HTTP Digest as clients do."""

from __future__ import annotations

import httpx

from camvault.device.model import Kind, UserLevel
from camvault.device.model import onvif as accounts
from camvault.device.model.onvif import CertificateType
from camvault.protocols import xml
from tests.device.conftest import Rig, RigFactory
from tests.device.model.conftest import STRONG
from tests.device.onvif.conftest import OnvifRig

NS = 'xmlns="http://www.hikvision.com/ver20/XMLSchema"'
ONVIF_PASSWORD = "Onv1f-Us3r-Pass"


def admin_client(rig: Rig) -> httpx.AsyncClient:
    return rig.client(auth=httpx.DigestAuth("admin", STRONG))


async def test_integrate_switches_onvif_on(make_rig: RigFactory) -> None:
    rig = make_rig()
    async with admin_client(rig) as client:
        shown = await client.get("/ISAPI/System/Network/Integrate")
        assert shown.status_code == 200
        root = xml.parse(shown.content)
        assert xml.boolean(root, "ONVIF", "enable") is False
        assert xml.text(root, "ONVIF", "certificateType") == "digest/WSSE"
        body = f"<Integrate {NS}><ONVIF><enable>true</enable></ONVIF></Integrate>"
        put = await client.put("/ISAPI/System/Network/Integrate", content=body)
        assert put.status_code == 200, put.text
    assert rig.model.settings.onvif_enabled is True
    assert rig.model.onvif.certificate_type is CertificateType.DIGEST_WSSE


async def test_integrate_sets_the_authentication_and_refuses_nonsense(make_rig: RigFactory) -> None:
    rig = make_rig()
    async with admin_client(rig) as client:
        ok = await client.put(
            "/ISAPI/System/Network/Integrate",
            content="<Integrate><ONVIF><enable>true</enable><certificateType>WSSE</certificateType></ONVIF></Integrate>",
        )
        assert ok.status_code == 200
        bad = await client.put(
            "/ISAPI/System/Network/Integrate",
            content="<Integrate><ONVIF><certificateType>basic</certificateType></ONVIF></Integrate>",
        )
        assert bad.status_code == 400 and b"badXmlContent" in bad.content
    assert rig.model.onvif.certificate_type is CertificateType.WSSE


async def test_onvif_users_crud_through_isapi(make_rig: RigFactory) -> None:
    rig = make_rig()
    async with admin_client(rig) as client:
        create = (
            f"<UserList {NS}><User><id>5</id><userName>nvr</userName><password>{ONVIF_PASSWORD}</password>"
            "<userType>operator</userType></User></UserList>"
        )
        assert (await client.post("/ISAPI/Security/ONVIF/users", content=create)).status_code == 200
        listed = xml.parse((await client.get("/ISAPI/Security/ONVIF/users")).content)
        [user] = list(xml.children(listed, "User"))
        assert xml.text(user, "userName") == "nvr" and xml.text(user, "userType") == "operator"
        assert xml.child(user, "password") is None
        user_id = xml.integer(user, "id")
        change = f"<User><id>{user_id}</id><userType>mediaUser</userType></User>"
        assert (await client.put(f"/ISAPI/Security/ONVIF/users/{user_id}", content=change)).status_code == 200
        fetched = xml.parse((await client.get(f"/ISAPI/Security/ONVIF/users/{user_id}")).content)
        assert xml.text(fetched, "userType") == "mediaUser"
        assert (await client.delete(f"/ISAPI/Security/ONVIF/users/{user_id}")).status_code == 200
        assert (await client.delete(f"/ISAPI/Security/ONVIF/users/{user_id}")).status_code == 403
    assert accounts.list_users(rig.model) == []
    assert rig.model.account("nvr") is None, "an ONVIF user is not a web user"


async def test_put_by_id_creates_user_one_like_network_optix(make_rig: RigFactory) -> None:
    rig = make_rig()
    body = (
        f"<User><id>1</id><userName>vms</userName><password>{ONVIF_PASSWORD}</password>"
        "<userType>administrator</userType></User>"
    )
    async with admin_client(rig) as client:
        assert (await client.put("/ISAPI/Security/ONVIF/users/1", content=body)).status_code == 200
    user = accounts.find_user(rig.model, "vms")
    assert user is not None and user.id == 1 and user.password.matches(ONVIF_PASSWORD)


async def test_risky_onvif_password_is_refused_with_risk_password(make_rig: RigFactory) -> None:
    rig = make_rig()
    body = "<UserList><User><userName>weak</userName><password>12345678</password></User></UserList>"
    async with admin_client(rig) as client:
        reply = await client.post("/ISAPI/Security/ONVIF/users", content=body)
    assert reply.status_code == 400 and b"riskPassword" in reply.content
    assert accounts.list_users(rig.model) == []


async def test_only_an_administrator_manages_onvif_users(make_rig: RigFactory) -> None:
    rig = make_rig()
    admin = rig.model.user(1)
    rig.model.add_user(admin, name="guard", password="Gu4rd-Passw0rd", level=UserLevel.OPERATOR)
    body = f"<UserList><User><userName>x</userName><password>{ONVIF_PASSWORD}</password></User></UserList>"
    async with rig.client(auth=httpx.DigestAuth("guard", "Gu4rd-Passw0rd")) as client:
        assert (await client.post("/ISAPI/Security/ONVIF/users", content=body)).status_code == 403
        assert (await client.get("/ISAPI/Security/ONVIF/users")).status_code == 403
        assert (await client.get("/ISAPI/System/Network/Integrate")).status_code == 200
    assert accounts.list_users(rig.model) == []


async def test_users_made_through_isapi_log_in_over_onvif(make_rig: RigFactory) -> None:
    rig = make_rig()
    async with admin_client(rig) as client:
        await client.put(
            "/ISAPI/System/Network/Integrate",
            content="<Integrate><ONVIF><enable>true</enable></ONVIF></Integrate>",
        )
        body = f"<UserList><User><userName>cam</userName><password>{ONVIF_PASSWORD}</password><userType>administrator</userType></User></UserList>"
        await client.post("/ISAPI/Security/ONVIF/users", content=body)
    onvif = OnvifRig(rig.model, rig.frontend, rig.host, rig.clock, "cam", ONVIF_PASSWORD)
    assert (await onvif.call("GetDeviceInformation")).ok


async def test_a_generic_camera_has_no_isapi(make_rig: RigFactory) -> None:
    rig = make_rig(Kind.ONVIF_CAMERA, "V2.3.1 build 230301")
    async with rig.client(auth=httpx.DigestAuth("admin", "admin")) as client:
        assert (await client.get("/ISAPI/System/deviceInfo")).status_code == 404
        assert (await client.get("/ISAPI/Security/ONVIF/users")).status_code == 404
        assert (await client.get("/")).status_code == 404
