"""Hostile and malformed SOAP: always a fault (never a 5xx for the request's fault), never a change."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from camvault.device.model import Kind
from camvault.protocols import soap, wssecurity
from camvault.protocols.soap import DEVICE_NS, SCHEMA_NS
from camvault.protocols.xml import Node
from tests.device.onvif.conftest import OnvifRig, Reply, make_onvif_rig, user_node

ENV = "http://www.w3.org/2003/05/soap-envelope"


def envelope(body: str, header: str = "") -> bytes:
    head = f"<s:Header>{header}</s:Header>" if header else ""
    return (
        f'<s:Envelope xmlns:s="{ENV}" xmlns:tds="{DEVICE_NS}" xmlns:tt="{SCHEMA_NS}">{head}'
        f"<s:Body>{body}</s:Body></s:Envelope>"
    ).encode()


def valid_create(rig: OnvifRig) -> bytes:
    token = wssecurity.build_username_token(rig.username, rig.password, created=rig.model.now())
    body = Node("tds:CreateUsers", children=(user_node("intruder", "Administrator", "Intrud3r-Pass"),))
    return soap.render_envelope(body, header=[token], namespaces={"tds": DEVICE_NS, "tt": SCHEMA_NS})


BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">'
    b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;">]>'
    + envelope("<tds:GetUsers>&lol3;</tds:GetUsers>").split(b"?>", 1)[-1]
)
EXTERNAL = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>' + envelope(
    "<tds:GetUsers>&e;</tds:GetUsers>"
)
DEEP = envelope("<a>" * 200 + "</a>" * 200)
BAD_TOKEN = (
    '<wsse:Security xmlns:wsse="{}"><wsse:UsernameToken>{}</wsse:UsernameToken></wsse:Security>'.format
)

HOSTILE: dict[str, bytes] = {
    "empty": b"",
    "whitespace": b"   \n",
    "not xml": b"hello, camera",
    "truncated": envelope("<tds:GetUsers/>")[:-20],
    "billion laughs": BOMB,
    "external entity": EXTERNAL,
    "too deep": DEEP,
    "oversized": envelope("<tds:GetUsers>" + "A" * 400_000 + "</tds:GetUsers>"),
    "soap 1.1": b'<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body><GetUsers/></e:Body>'
    b"</e:Envelope>",
    "wrong envelope namespace": b'<s:Envelope xmlns:s="urn:evil"><s:Body/></s:Envelope>',
    "operation in a foreign namespace": envelope('<x:CreateUsers xmlns:x="urn:evil"/>'),
    "unqualified operation": envelope("<CreateUsers/>"),
    "empty body": envelope(""),
    "two bodies": envelope("<tds:GetUsers/>").replace(b"</s:Envelope>", b"<s:Body/></s:Envelope>"),
    "unknown must-understand header": envelope(
        "<tds:GetUsers/>", '<z:Thing xmlns:z="urn:z" s:mustUnderstand="true"/>'
    ),
    "latin-1 garbage": b"\xff\xfe<\x00s\x00" + bytes(range(256)),
    "unknown encoding": b'<?xml version="1.0" encoding="rot13"?>' + envelope("<tds:GetUsers/>"),
    "token without password": envelope(
        "<tds:GetUsers/>", BAD_TOKEN(soap.WSSE_NS, "<wsse:Username>admin</wsse:Username>")
    ),
    "token with unknown type": envelope(
        "<tds:GetUsers/>",
        BAD_TOKEN(
            soap.WSSE_NS, '<wsse:Username>admin</wsse:Username><wsse:Password Type="#Foo">x</wsse:Password>'
        ),
    ),
    "token with a non-base64 nonce": envelope(
        "<tds:CreateUsers/>",
        BAD_TOKEN(
            soap.WSSE_NS,
            "<wsse:Username>admin</wsse:Username><wsse:Password>admin</wsse:Password>"
            "<wsse:Nonce>%%%</wsse:Nonce><wsse:Created>2026-01-01T00:00:00Z</wsse:Created>",
        ),
    ),
    "token with a huge nonce": envelope(
        "<tds:CreateUsers/>",
        BAD_TOKEN(
            soap.WSSE_NS,
            "<wsse:Username>admin</wsse:Username><wsse:Password>admin</wsse:Password>"
            f"<wsse:Nonce>{base64.b64encode(b'n' * 5000).decode()}</wsse:Nonce>",
        ),
    ),
    "token with an impossible date": envelope(
        "<tds:CreateUsers/>",
        BAD_TOKEN(
            soap.WSSE_NS,
            "<wsse:Username>admin</wsse:Username><wsse:Password>admin</wsse:Password>"
            "<wsse:Created>2026-02-31T99:00:00Z</wsse:Created>",
        ),
    ),
}


def snapshot(rig: OnvifRig) -> dict[str, Any]:
    return rig.model.to_snapshot()


def assert_fault_without_change(rig: OnvifRig, reply: Reply, before: dict[str, Any]) -> None:
    assert reply.status in (400, 401, 415), reply.status
    if reply.status != 401 or "xml" in reply.headers.get("content-type", ""):
        assert reply.fault is not None, reply.body[:200]
        assert b'xmlns:ter="http://www.onvif.org/ver10/error"' in reply.body
    assert snapshot(rig) == before
    assert rig.host.reboots == 0


@pytest.mark.parametrize("kind", [Kind.IPC, Kind.ONVIF_CAMERA], ids=["hikvision", "generic"])
@pytest.mark.parametrize("name", sorted(HOSTILE))
async def test_hostile_bodies_get_a_fault_and_change_nothing(name: str, kind: Kind) -> None:
    rig = make_onvif_rig(kind)
    before = snapshot(rig)
    reply = await rig.post(HOSTILE[name])
    assert_fault_without_change(rig, reply, before)


async def test_the_expected_fault_for_each_kind_of_damage(generic: OnvifRig) -> None:
    async def subcodes(name: str) -> list[str]:
        return (await generic.post(HOSTILE[name])).subcodes()

    assert await subcodes("truncated") == ["WellFormed"]
    assert await subcodes("billion laughs") == ["WellFormed"]
    assert await subcodes("oversized") == ["WellFormed"]
    assert await subcodes("operation in a foreign namespace") == ["Namespace"]
    assert await subcodes("empty body") == ["Tag"]
    soap11 = await generic.post(HOSTILE["soap 1.1"])
    assert soap11.fault is not None and soap11.fault.code.value == "VersionMismatch"
    understand = await generic.post(HOSTILE["unknown must-understand header"])
    assert understand.fault is not None and understand.fault.code.value == "MustUnderstand"


async def test_an_unknown_operation_is_not_supported(generic: OnvifRig) -> None:
    reply = await generic.call("GetPTZConfigurationsOfTheMoon", auth=False)
    assert reply.status == 500 and reply.subcodes() == ["ActionNotSupported"]


async def test_wrong_method_and_content_type(generic: OnvifRig) -> None:
    async with generic.client() as client:
        get = await client.get("/onvif/device_service")
    assert get.status_code == 405
    reply = await generic.post(valid_create(generic), content_type="application/json")
    assert reply.status == 415
    assert generic.model.account("intruder") is None


async def test_a_valid_request_under_a_text_xml_content_type_works(generic: OnvifRig) -> None:
    reply = await generic.post(valid_create(generic), content_type="text/xml; charset=utf-8")
    assert reply.ok and generic.model.account("intruder") is not None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=2048))
async def test_random_bytes_never_crash_or_change_anything(data: bytes) -> None:
    rig = make_onvif_rig(Kind.ONVIF_CAMERA)
    before = snapshot(rig)
    reply = await rig.post(data)
    assert_fault_without_change(rig, reply, before)


@settings(max_examples=60, deadline=None)
@given(cut=st.integers(min_value=0, max_value=10_000), flip=st.integers(min_value=0, max_value=10_000))
async def test_damaged_valid_requests_never_crash(cut: int, flip: int) -> None:
    rig = make_onvif_rig(Kind.ONVIF_CAMERA)
    data = bytearray(valid_create(rig))
    position = flip % len(data)
    data[position] ^= 0x20
    damaged = bytes(data[: max(1, len(data) - cut % len(data))])
    reply = await rig.post(damaged)
    assert reply.status in (200, 400, 401, 415, 500)
    if reply.status != 200:
        assert rig.model.account("intruder") is None, "a refused request changed nothing"
    if reply.status == 500:
        assert reply.fault is not None and reply.fault.code.value == "Receiver"


@settings(max_examples=40, deadline=None)
@given(
    name=st.text(max_size=40),
    password=st.text(max_size=80),
    level=st.sampled_from(["Administrator", "Operator", "User", "Anonymous", "Extended", "", "admin"]),
)
async def test_any_user_fields_are_created_whole_or_refused_with_a_fault(
    name: str, password: str, level: str
) -> None:
    rig = make_onvif_rig(Kind.ONVIF_CAMERA)
    clean = "".join(ch for ch in name + password if ch.isprintable() and ch not in "\r")
    if clean != name + password:
        return  # XML 1.0 cannot carry control characters; the encoder would refuse them
    before = snapshot(rig)
    reply = await rig.call("CreateUsers", user_node(name, level, password))
    if reply.ok:
        created = rig.model.account(name.strip())
        assert created is not None and created.password.matches(password)
    else:
        assert reply.status in (400, 500) and reply.fault is not None
        assert snapshot(rig) == before
