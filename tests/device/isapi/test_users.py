"""User management over ISAPI with the real XML shapes (research notes §4)."""

from __future__ import annotations

import httpx

from camvault.protocols import xml
from camvault.protocols.isapi import field_crypto
from camvault.protocols.isapi.documents import NS_ISAPI_V20, User, UserLevel, UserList, decode, encode
from camvault.protocols.isapi.session_login import irreversible_hash
from camvault.protocols.isapi.status import decode_status
from tests.device.conftest import Rig, RigFactory
from tests.device.isapi.test_auth import session_login
from tests.device.model.conftest import STRONG

PLANTED = "Planted-Secret-9"


def user_xml(**fields: object) -> bytes:
    document = User(**fields)  # type: ignore[arg-type]
    return encode(document, namespace=NS_ISAPI_V20)


async def test_add_list_modify_delete_with_real_shapes(rig: Rig, admin: httpx.AsyncClient) -> None:
    # QB60's add: no id, the device picks one.
    added = await admin.post(
        "/ISAPI/Security/users",
        content=b"<User><userName>video</userName><userLevel>Viewer</userLevel><password>"
        + PLANTED.encode()
        + b"</password></User>",
    )
    assert added.status_code == 200, added.text
    listing = await admin.get("/ISAPI/Security/users")
    assert PLANTED.encode() not in listing.content, "passwords are write-only"
    users = decode(listing.content, UserList).users
    assert [(u.id, u.user_name, u.user_level) for u in users] == [
        (1, "admin", UserLevel.ADMINISTRATOR),
        (2, "video", UserLevel.VIEWER),
    ]
    single = decode((await admin.get("/ISAPI/Security/users/2")).content, User)
    assert single.user_name == "video" and single.password is None
    changed = await admin.put(
        "/ISAPI/Security/users/2", content=user_xml(id=2, user_name="video", user_level=UserLevel.OPERATOR)
    )
    assert changed.status_code == 200
    assert rig.model.user(2).level.value == "Operator"
    assert rig.model.user(2).password.matches(PLANTED), "a PUT without <password> keeps it"
    assert (await admin.delete("/ISAPI/Security/users/2")).status_code == 200
    assert rig.model.account("video") is None


async def test_admin_password_change_qb60_style(rig: Rig, admin: httpx.AsyncClient) -> None:
    response = await admin.put(
        "/ISAPI/Security/users/1",
        content=b"<User><id>1</id><userName>admin</userName><password>Fresh-Owner-Pa1</password></User>",
    )
    assert response.status_code == 200, response.text
    async with rig.client(auth=httpx.DigestAuth("admin", "Fresh-Owner-Pa1")) as fresh:
        assert (await fresh.get("/ISAPI/Security/userCheck")).status_code == 200


async def test_refusals_carry_the_real_sub_status(rig: Rig, admin: httpx.AsyncClient) -> None:
    cases = [
        (
            "PUT",
            "/ISAPI/Security/users/1",
            b"<User><id>1</id><userName>root</userName></User>",
            "invalidOperation",
        ),
        ("DELETE", "/ISAPI/Security/users/1", b"", "invalidOperation"),
        (
            "PUT",
            "/ISAPI/Security/users/1",
            b"<User><id>1</id><userName>admin</userName><password>12345678</password></User>",
            "riskPassword",
        ),
        (
            "POST",
            "/ISAPI/Security/users",
            b"<User><userName>bob</userName><password>bob-bob-2024X</password></User>",
            "riskPassword",
        ),
        ("POST", "/ISAPI/Security/users", b"<User><userName>x</userName></User>", "badParameters"),
        (
            "PUT",
            "/ISAPI/Security/users/9",
            b"<User><id>9</id><userName>y</userName></User>",
            "invalidOperation",
        ),
        (
            "PUT",
            "/ISAPI/Security/users/1",
            b"<User><id>2</id><userName>admin</userName></User>",
            "badParameters",
        ),
        (
            "PUT",
            "/ISAPI/Security/users/1",
            b"<User><id>1</id><userLevel>God</userLevel><userName>admin</userName></User>",
            "badXmlContent",
        ),
        ("PUT", "/ISAPI/Security/users/1", b"<User><id>1</id>", "badXmlFormat"),
        ("PATCH", "/ISAPI/Security/users/1", b"", "methodNotAllowed"),
    ]
    for method, path, body, expected in cases:
        response = await admin.request(method, path, content=body)
        assert response.status_code >= 400, (path, body)
        assert decode_status(response.content).sub_status_code == expected, (
            method,
            path,
            body,
            response.text,
        )
    assert rig.model.account("admin").password.matches(STRONG)  # type: ignore[union-attr]
    assert [a.name for a in rig.model.users()] == ["admin"]


async def test_only_the_admin_manages_users(rig: Rig, admin: httpx.AsyncClient) -> None:
    await admin.post(
        "/ISAPI/Security/users",
        content=user_xml(user_name="op", password="Operat0r-Pass", user_level=UserLevel.OPERATOR),
    )
    async with rig.client(auth=httpx.DigestAuth("op", "Operat0r-Pass")) as operator:
        listing = decode((await operator.get("/ISAPI/Security/users")).content, UserList)
        assert [u.user_name for u in listing.users] == ["op"], "others see only themselves"
        refused = await operator.post(
            "/ISAPI/Security/users", content=user_xml(user_name="x2", password="Another-Pass-1")
        )
        assert decode_status(refused.content).sub_status_code == "lowPrivilege"
        no_proof = await operator.put(
            "/ISAPI/Security/users/2", content=user_xml(id=2, user_name="op", password="New-Operat0r-1")
        )
        assert decode_status(no_proof.content).sub_status_code == "badParameters"
        own = await operator.put(
            "/ISAPI/Security/users/2",
            content=user_xml(id=2, user_name="op", password="New-Operat0r-1", login_password="Operat0r-Pass"),
        )
        assert own.status_code == 200
    assert rig.model.user(2).password.matches("New-Operat0r-1")


async def test_security_1_encrypts_names_and_passwords(rig: Rig, admin: httpx.AsyncClient) -> None:
    salt = rig.model.identity.salt
    key = field_crypto.derive_key_from_irreversible_hash(irreversible_hash("admin", salt, STRONG), 100)
    iv = "00112233445566778899aabbccddeeff"
    body = user_xml(
        id=1,
        user_name=field_crypto.encrypt_field(key, "admin", iv),
        password=field_crypto.encrypt_field(key, "Encrypted-Pass1", iv),
    )
    missing = await admin.put(f"/ISAPI/Security/users/1?security=1&iv={iv}", content=body)
    assert decode_status(missing.content).sub_status_code == "badParameters", "security=1 needs loginPassword"
    body = user_xml(
        id=1,
        user_name=field_crypto.encrypt_field(key, "admin", iv),
        password=field_crypto.encrypt_field(key, "Encrypted-Pass1", iv),
        login_password=field_crypto.encrypt_field(key, STRONG, iv),
    )
    assert (await admin.put(f"/ISAPI/Security/users/1?security=1&iv={iv}", content=body)).status_code == 200
    assert rig.model.account("admin").password.matches("Encrypted-Pass1")  # type: ignore[union-attr]
    new_key = field_crypto.derive_key_from_irreversible_hash(
        irreversible_hash("admin", salt, "Encrypted-Pass1"), 100
    )
    async with rig.client(auth=httpx.DigestAuth("admin", "Encrypted-Pass1")) as client:
        listing = decode((await client.get(f"/ISAPI/Security/users?security=1&iv={iv}")).content, UserList)
    assert field_crypto.decrypt_field(new_key, listing.users[0].user_name, iv) == "admin"


async def test_newer_firmware_always_wants_login_password(make_rig: RigFactory) -> None:
    rig = make_rig(firmware="V5.7.3 build 220112")
    async with rig.client(auth=httpx.DigestAuth("admin", STRONG)) as client:
        plain = await client.put(
            "/ISAPI/Security/users/1", content=user_xml(id=1, user_name="admin", password="Next-Passw0rd!")
        )
        assert decode_status(plain.content).sub_status_code == "badParameters"
        proven = await client.put(
            "/ISAPI/Security/users/1",
            content=user_xml(id=1, user_name="admin", password="Next-Passw0rd!", login_password=STRONG),
        )
        assert proven.status_code == 200


async def test_namespaces_follow_the_firmware(make_rig: RigFactory) -> None:
    old = make_rig(firmware="V5.5.0 build 170725")
    async with old.client(auth=httpx.DigestAuth("admin", STRONG)) as client:
        root = xml.parse((await client.get("/ISAPI/System/deviceInfo")).content)
    assert xml.namespace_of(root) == "http://www.hikvision.com/ver20/XMLSchema"


async def test_wrong_login_passwords_and_undecryptable_fields_count_as_failed_logins(rig: Rig) -> None:
    """With a stolen session cookie, loginPassword or security=1 must not become an unlimited password oracle."""
    async with rig.client() as thief:
        assert (await session_login(thief, rig, STRONG)).status_code == 200  # the cookie the thief holds
        for guess in ("guess-one-1A!", "guess-two-2B!"):
            response = await thief.put(
                "/ISAPI/Security/users/1",
                content=user_xml(id=1, user_name="admin", password="Another-Pass-9", login_password=guess),
            )
            assert response.status_code == 401
            assert decode_status(response.content).sub_status_code == "incorrectUserNameOrPassword"
        garbage = await thief.put(
            "/ISAPI/Security/users/1?security=1&iv=00112233445566778899aabbccddeeff",
            content=user_xml(id=1, user_name="00" * 16, password="11" * 16, login_password="22" * 16),
        )
        assert garbage.status_code == 401
        assert rig.model.lock_status("10.0.0.1").attempts_left == 2
        for guess in ("guess-three-3C", "guess-four-4D!"):
            await thief.put(
                "/ISAPI/Security/users/1",
                content=user_xml(id=1, user_name="admin", password="Another-Pass-9", login_password=guess),
            )
        assert rig.model.lock_status("10.0.0.1").locked
        after = await thief.put(
            "/ISAPI/Security/users/1",
            content=user_xml(id=1, user_name="admin", password="Another-Pass-9", login_password=STRONG),
        )
        assert after.status_code == 401, (
            "once locked, the session itself is refused, even with the right proof"
        )
    assert rig.model.account("admin").password.matches(STRONG)  # type: ignore[union-attr]
