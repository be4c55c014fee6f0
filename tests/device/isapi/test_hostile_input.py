"""Every XML endpoint against malformed and hostile bodies: never a 500, never a state change."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from camvault.device.isapi.app import ROUTES
from camvault.device.model import Kind
from tests.device.conftest import Rig, RigFactory
from tests.device.model.conftest import STRONG

BODY_ROUTES = sorted(
    {
        (route.method, route.pattern.pattern.strip("^$").replace(r"(\d{1,4})", "1"))
        for route in ROUTES
        if route.method in {"PUT", "POST"}
    }
)

HOSTILE = [
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><User>&lol2;</User>',
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><User><userName>&e;</userName></User>',
    b"<User>" * 200 + b"</User>" * 200,
    b"<User><userName>" + b"A" * 300_000 + b"</userName></User>",
    b"<User><id>1</id>",
    b"\x00\x01\x02",
    b"<User><id>NaN</id><userName>admin</userName></User>",
    b"<User xmlns='urn:wrong'><id>-5</id></User>",
    b"<ActivateInfo><password></password></ActivateInfo>",
    b"",
]


def state(rig: Rig) -> dict[str, Any]:
    snapshot = rig.model.to_snapshot()
    snapshot.pop("saved_at")
    return snapshot


async def post_all(rig: Rig, body: bytes) -> None:
    async with rig.client(auth=httpx.DigestAuth("admin", STRONG)) as client:
        for method, path in BODY_ROUTES:
            if path.endswith(("reboot", "factoryreset", "sessionlogout", "sessionheartbeat")):
                continue  # these take no body: any body is ignored by design
            response = await client.request(method, path, content=body)
            assert response.status_code < 500, (method, path, response.status_code)


@pytest.mark.parametrize("body", HOSTILE, ids=range(len(HOSTILE)))
@pytest.mark.parametrize("kind", [Kind.IPC, Kind.NVR])
async def test_hostile_bodies_change_nothing(make_rig: RigFactory, body: bytes, kind: Kind) -> None:
    rig = make_rig(kind, "V5.6.2 build 190701" if kind is Kind.IPC else "V4.62.210 build 230412")
    before = state(rig)
    await post_all(rig, body)
    assert state(rig) == before


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.one_of(
        st.binary(max_size=300),
        st.text(max_size=200).map(
            lambda text: f"<User><userName>{text}</userName></User>".encode("utf-8", "surrogatepass")
        ),
        st.lists(
            st.sampled_from(["<a>", "</a>", "<id>", "</id>", "1", "&amp;", "<![CDATA[x]]>", "<?pi?>"]),
            max_size=30,
        ).map(lambda parts: ("<User>" + "".join(parts) + "</User>").encode()),
    )
)
async def test_random_bodies_never_500_or_change_state(make_rig: RigFactory, body: bytes) -> None:
    rig = make_rig()
    before = state(rig)
    await post_all(rig, body)
    assert state(rig) == before
