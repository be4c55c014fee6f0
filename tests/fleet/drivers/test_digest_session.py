"""The lockout-safe Digest session, against a programmable Digest server behind ``httpx.MockTransport``.

The server verifies every answer (realm, nonce, ``nc``, response) with the device-side Digest helpers, so a
session that computed a wrong response, reused an ``nc`` or sent Basic fails here, not only in the lab.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from camvault.clock import ManualClock
from camvault.errors import AuthenticationFailed, DeviceProtocolError, DeviceTimeout, DeviceUnreachable
from camvault.fleet.drivers import AttemptBudget, Credential
from camvault.fleet.drivers._digest_session import CHALLENGE_MAX_AGE, MAX_STALE_RETRIES, DigestSession
from camvault.protocols import digest

REALM = "IP Camera(83813)"
RIGHT = Credential("admin", "Right#Pass-2024")
WRONG = Credential("admin", "Wrong#Pass-2024")


@dataclass
class DigestServer:
    """A Digest-protected resource: counts what a device would count."""

    realm: str = REALM
    stale_answers: int = 0
    extra_challenges: tuple[str, ...] = ()
    challenge_override: str | None = None
    requests: list[httpx.Request] = field(default_factory=list)
    failures: int = 0
    nonces_issued: int = 0
    seen: set[tuple[str, str]] = field(default_factory=set)
    fail_with: Callable[[httpx.Request], Exception | None] = lambda request: None

    def nonce(self) -> str:
        self.nonces_issued += 1
        return f"{self.nonces_issued:08x}"

    def challenge(self, *, stale: bool) -> httpx.Response:
        header = self.challenge_override or digest.format_challenge(self.realm, self.nonce(), stale=stale)
        headers = [
            ("WWW-Authenticate", header),
            *(("WWW-Authenticate", extra) for extra in self.extra_challenges),
        ]
        return httpx.Response(401, headers=headers, content=b"<html>401</html>")

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        error = self.fail_with(request)
        if error is not None:
            raise error
        header = request.headers.get("authorization")
        if header is None:
            return self.challenge(stale=False)
        credentials = digest.parse_authorization(header)
        assert isinstance(credentials, digest.DigestAuthorization), "Basic reached the device"
        assert credentials.uri == request.url.raw_path.decode()
        assert credentials.nc is not None and (credentials.nonce, credentials.nc) not in self.seen, (
            "nc reused"
        )
        self.seen.add((credentials.nonce, credentials.nc))
        ha1 = digest.ha1(RIGHT.username, self.realm, RIGHT.password)
        if not digest.verify(credentials, method=request.method, ha1=ha1):
            self.failures += 1
            return self.challenge(stale=False)
        if self.stale_answers:
            self.stale_answers -= 1
            return self.challenge(stale=True)
        return httpx.Response(200, content=b"<ok/>")


@dataclass
class Rig:
    server: DigestServer
    session: DigestSession
    budget: AttemptBudget
    clock: ManualClock

    @property
    def credentialed(self) -> list[httpx.Request]:
        return [request for request in self.server.requests if "authorization" in request.headers]


def make_rig(server: DigestServer, client: httpx.AsyncClient) -> Rig:
    clock = ManualClock()
    budget = AttemptBudget(clock=clock)
    session = DigestSession(client, "http://192.0.2.64:80", device="cam", budget=budget)
    return Rig(server, session, budget, clock)


@pytest.fixture
async def rig() -> Rig:
    server = DigestServer()
    client = httpx.AsyncClient(transport=httpx.MockTransport(server.handle))
    return make_rig(server, client)


async def test_the_first_request_learns_the_challenge_then_one_credentialed_try(rig: Rig) -> None:
    outcome = await rig.session.send("GET", "/ISAPI/Security/userCheck", RIGHT)
    assert outcome.reply.status == 200 and outcome.failure is None
    assert len(rig.server.requests) == 2 and len(rig.credentialed) == 1
    assert rig.session.realm == REALM and rig.session.basic_offered is False


async def test_one_cached_challenge_counts_nc_across_requests(rig: Rig) -> None:
    for _ in range(3):
        await rig.session.send("GET", "/ISAPI/System/deviceInfo", RIGHT, params={"a": "b c"})
    counts = [digest.parse_authorization(r.headers["authorization"]) for r in rig.credentialed]
    assert [c.nc for c in counts if isinstance(c, digest.DigestAuthorization)] == [
        "00000001",
        "00000002",
        "00000003",
    ]
    assert len(rig.server.requests) == 4, "only the first request went out without credentials"


async def test_a_wrong_password_costs_one_attempt_and_is_remembered(rig: Rig) -> None:
    outcome = await rig.session.send("GET", "/ISAPI/Security/userCheck", WRONG)
    assert outcome.failure is not None and rig.server.failures == 1
    assert len(rig.credentialed) == 1, "httpx.DigestAuth would have guessed twice"
    with pytest.raises(AuthenticationFailed, match="already rejected"):
        await rig.session.send("GET", "/ISAPI/Security/userCheck", WRONG)
    assert rig.server.failures == 1


async def test_stale_answers_are_retried_for_free(rig: Rig) -> None:
    await rig.session.send("GET", "/a", RIGHT)
    rig.server.stale_answers = MAX_STALE_RETRIES
    outcome = await rig.session.send("GET", "/a", RIGHT)
    assert outcome.reply.status == 200
    assert rig.server.failures == 0 and rig.budget.state("cam").failures == 0


async def test_a_device_that_never_stops_answering_stale_is_called_confused(rig: Rig) -> None:
    await rig.session.send("GET", "/a", RIGHT)
    rig.server.stale_answers = 100
    with pytest.raises(DeviceProtocolError, match="stale"):
        await rig.session.send("GET", "/a", RIGHT)
    assert rig.budget.state("cam").failures == 0


async def test_basic_only_is_refused_before_any_password_leaves() -> None:
    server = DigestServer(challenge_override='Basic realm="IP Camera(83813)"')
    async with httpx.AsyncClient(transport=httpx.MockTransport(server.handle)) as client:
        rig = make_rig(server, client)
        with pytest.raises(DeviceProtocolError, match="clear text"):
            await rig.session.send("GET", "/ISAPI/Security/userCheck", RIGHT)
        assert rig.credentialed == [] and rig.session.basic_offered is True
        reply = await rig.session.send_unauthenticated("GET", "/ISAPI/Security/userCheck")
        assert reply.status == 401, "probing a Basic-only device is not an error"


async def test_digest_is_chosen_when_basic_is_offered_too() -> None:
    server = DigestServer(extra_challenges=('Basic realm="IP Camera(83813)"',))
    async with httpx.AsyncClient(transport=httpx.MockTransport(server.handle)) as client:
        rig = make_rig(server, client)
        assert (await rig.session.send("GET", "/a", RIGHT)).reply.status == 200
        assert rig.session.basic_offered is True
        assert all(r.headers["authorization"].startswith("Digest ") for r in rig.credentialed)


@pytest.mark.parametrize(
    "header",
    [
        'Digest realm="x"',  # no nonce
        'Digest realm="x", nonce="unterminated',
        "Negotiate abc",
        'Digest realm="x", nonce="n", algorithm=SHA-512-256-sess',
        'Digest realm="x", nonce="n", qop="auth-int"',  # found by the fuzz test below: used to leak InvalidContent
    ],
)
async def test_unusable_challenges_are_protocol_errors(header: str) -> None:
    server = DigestServer(challenge_override=header)
    async with httpx.AsyncClient(transport=httpx.MockTransport(server.handle)) as client:
        rig = make_rig(server, client)
        with pytest.raises(DeviceProtocolError):
            await rig.session.send("GET", "/a", RIGHT)
        assert rig.credentialed == []


async def test_a_401_without_any_challenge_is_a_protocol_error() -> None:
    async with httpx.AsyncClient(
        transport=httpx.MockTransport(lambda request: httpx.Response(401))
    ) as client:
        session = DigestSession(client, "http://192.0.2.1", device="cam", budget=AttemptBudget())
        with pytest.raises(DeviceProtocolError, match="without a usable Digest challenge"):
            await session.send("GET", "/a", RIGHT)


async def test_an_old_challenge_is_learnt_again(rig: Rig) -> None:
    await rig.session.send("GET", "/a", RIGHT)
    rig.clock.advance(CHALLENGE_MAX_AGE + 1)
    await rig.session.send("GET", "/a", RIGHT)
    assert len(rig.server.requests) == 4 and rig.server.nonces_issued == 2


async def test_transport_failures_map_to_driver_errors_and_count_sent_credentials(rig: Rig) -> None:
    await rig.session.send("GET", "/a", RIGHT)
    rig.server.fail_with = lambda request: httpx.ReadTimeout("slow", request=request)
    with pytest.raises(DeviceTimeout):
        await rig.session.send("GET", "/a", RIGHT)
    rig.server.fail_with = lambda request: httpx.RemoteProtocolError("gone", request=request)
    with pytest.raises(DeviceUnreachable) as lost:
        await rig.session.send("GET", "/a", RIGHT)
    assert str(lost.value) == "cam: the connection failed (RemoteProtocolError)"
    state = rig.budget.state("cam")
    assert state.failures == 1, (
        "the timeout came before a challenge was cached again: only one was credentialed"
    )
    assert state.rejected == frozenset()
    rig.server.fail_with = lambda request: None
    assert (await rig.session.send("GET", "/a", RIGHT)).failure is None
    assert rig.budget.state("cam").failures == 0


async def _chunks() -> AsyncIterator[bytes]:
    for _ in range(64):
        yield b"x" * 64 * 1024


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (lambda: httpx.Response(200, content=b"x" * (2 * 1024 * 1024)), "announces"),
        (lambda: httpx.Response(200, content=_chunks()), "larger than"),
    ],
)
async def test_oversized_replies_are_refused(reply: Callable[[], httpx.Response], message: str) -> None:
    async with httpx.AsyncClient(transport=httpx.MockTransport(lambda request: reply())) as client:
        session = DigestSession(client, "http://192.0.2.1", device="cam", budget=AttemptBudget())
        with pytest.raises(DeviceProtocolError, match=message):
            await session.send_unauthenticated("GET", "/a")


async def test_concurrent_requests_never_share_an_nc(rig: Rig) -> None:
    await rig.session.send("GET", "/a", RIGHT)
    await asyncio.gather(*(rig.session.send("GET", f"/r{index}", RIGHT) for index in range(8)))
    assert rig.server.failures == 0 and len(rig.server.seen) == 9


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    header=st.text(max_size=200)
    | st.sampled_from(['Digest realm="a", nonce="b", qop="auth-int"', "Digest", "Basic"])
)
async def test_any_challenge_header_gives_a_driver_error_or_a_result(header: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if "authorization" in request.headers:
            return httpx.Response(200)
        try:
            return httpx.Response(401, headers=[("WWW-Authenticate", header)])
        except (UnicodeEncodeError, ValueError):
            return httpx.Response(401)

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
        session = DigestSession(client, "http://192.0.2.1", device="cam", budget=AttemptBudget())
        try:
            outcome = await session.send("GET", "/a", RIGHT)
        except DeviceProtocolError:
            return
        assert outcome.reply.status in (200, 401)
