"""Fixtures for the ONVIF device service: devices with ONVIF on, and a small hand-rolled SOAP client."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
import pytest

from camvault.clock import ManualClock
from camvault.device.frontend import DeviceFrontEnd
from camvault.device.host import NullHost
from camvault.device.http.inprocess import InProcessTransport
from camvault.device.model import DeviceModel, Kind
from camvault.device.model import onvif as accounts
from camvault.device.model.onvif import OnvifLevel, UserUpdate
from camvault.protocols import soap, wssecurity
from camvault.protocols.soap import DEVICE_NS, SCHEMA_NS, Envelope, Fault
from camvault.protocols.xml import Node
from tests.device.model.conftest import STRONG, build

ONVIF_ADMIN = "onvifadmin"
ONVIF_PASSWORD = "Onv1f-Adm1n-Pw"
GENERIC_PASSWORD = "admin"  # the generic camera's factory password
MEDIA_NS = "http://www.onvif.org/ver10/media/wsdl"
NAMESPACES = {"tds": DEVICE_NS, "tt": SCHEMA_NS, "trt": MEDIA_NS}


@dataclass
class Reply:
    """An ONVIF answer, parsed."""

    status: int
    headers: httpx.Headers
    body: bytes
    envelope: Envelope | None = None
    fault: Fault | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.fault is None

    def subcodes(self) -> list[str]:
        assert self.fault is not None, f"expected a fault, got HTTP {self.status}: {self.body[:300]!r}"
        return [code.local for code in self.fault.subcodes]


@dataclass
class OnvifRig:
    """A device, its front end, and a SOAP client that talks to it in-process."""

    model: DeviceModel
    frontend: DeviceFrontEnd
    host: NullHost
    clock: ManualClock
    username: str
    password: str = field(repr=False)

    def client(self, peer: str = "10.0.0.1") -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=InProcessTransport(self.frontend, peer=peer, local=("192.0.2.10", 80)),
            base_url="http://device",
        )

    async def call(
        self,
        operation: str,
        *arguments: Node,
        username: str | None = None,
        password: str | None = None,
        auth: bool = True,
        created: datetime | None = None,
        nonce: bytes | None = None,
        digest: bool = True,
        peer: str = "10.0.0.1",
        namespace: str = "tds",
        path: str = "/onvif/device_service",
        http_auth: httpx.Auth | None = None,
    ) -> Reply:
        header: list[Node] = []
        if auth:
            header.append(
                wssecurity.build_username_token(
                    username or self.username,
                    self.password if password is None else password,
                    created=created or self.model.now(),
                    nonce=nonce,
                    digest=digest,
                )
            )
        body = Node(f"{namespace}:{operation}", children=arguments)
        data = soap.render_envelope(body, header=header, namespaces=NAMESPACES)
        return await self.post(data, peer=peer, path=path, http_auth=http_auth)

    async def post(
        self,
        data: bytes,
        *,
        peer: str = "10.0.0.1",
        path: str = "/onvif/device_service",
        content_type: str = soap.CONTENT_TYPE,
        http_auth: httpx.Auth | None = None,
    ) -> Reply:
        async with self.client(peer) as client:
            response = await client.post(
                path,
                content=data,
                headers={"Content-Type": content_type},
                auth=http_auth or httpx.USE_CLIENT_DEFAULT,
            )
        return parse_reply(response)


def parse_reply(response: httpx.Response) -> Reply:
    reply = Reply(response.status_code, response.headers, response.content)
    if "xml" in response.headers.get("content-type", ""):
        reply.envelope = soap.parse_envelope(response.content)
        if reply.envelope.is_fault:
            reply.fault = soap.parse_fault(reply.envelope)
    return reply


def user_node(name: str, level: str, password: str | None = None) -> Node:
    return Node(
        "tds:User",
        children=(
            Node("tt:Username", name),
            Node("tt:Password", password) if password is not None else None,
            Node("tt:UserLevel", level),
        ),
    )


def texts(reply: Reply, *path: str) -> list[str]:
    """Every text at the end of ``path`` below the response element (local names)."""
    assert reply.envelope is not None and reply.envelope.body is not None
    found: list[Any] = [reply.envelope.body]
    for name in path:
        found = [sub for element in found for sub in element if sub.tag.rsplit("}", 1)[-1] == name]
    return [(element.text or "").strip() for element in found]


def make_onvif_rig(kind: Kind = Kind.IPC, *, users: Sequence[UserUpdate] = ()) -> OnvifRig:
    clock = ManualClock()
    if kind is Kind.ONVIF_CAMERA:
        model = build(kind, "V2.3.1 build 230301", clock=clock)
        username, password = "admin", GENERIC_PASSWORD
    else:
        model = build(kind, clock=clock)
        model.activate(STRONG)
        model.settings.onvif_enabled = True
        accounts.create_users(model, [UserUpdate(ONVIF_ADMIN, OnvifLevel.ADMINISTRATOR, ONVIF_PASSWORD)])
        username, password = ONVIF_ADMIN, ONVIF_PASSWORD
    if users:
        accounts.create_users(model, list(users))
    host = NullHost()
    return OnvifRig(model, DeviceFrontEnd(model, host), host, clock, username, password)


@pytest.fixture(params=[Kind.IPC, Kind.ONVIF_CAMERA], ids=["hikvision", "generic"])
def rig(request: pytest.FixtureRequest) -> OnvifRig:
    return make_onvif_rig(request.param)


@pytest.fixture
def hikvision() -> OnvifRig:
    return make_onvif_rig(Kind.IPC)


@pytest.fixture
def generic() -> OnvifRig:
    return make_onvif_rig(Kind.ONVIF_CAMERA)
