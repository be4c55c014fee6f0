from __future__ import annotations

import base64
import contextlib
import hashlib
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from camvault.errors import (
    CamvaultError,
    ConfigurationError,
    InvalidContent,
    MalformedMessage,
    MessageTooLarge,
)
from camvault.protocols import digest
from camvault.protocols.digest import (
    BasicAuthorization,
    DigestAlgorithm,
    DigestAuthorization,
    DigestChallenge,
    DigestClientState,
    NonceCounter,
    NonceIssuer,
    NonceState,
)

PLANTED = "Pl4nted-S3cret!"

# hikvision.md §1, real V5.5.0 capture (MISSIAL cassette).
HIKVISION_CHALLENGE = (
    'Digest qop="auth", realm="IP Camera(83813)", '
    'nonce="4d5755784d7a41344d546b365a446b31597a51355a413d3d", stale="FALSE"'
)

# RFC 2617 §3.5, with the header folding of the RFC text kept.
RFC2617_CHALLENGE = """Digest
                 realm="testrealm@host.com",
                 qop="auth,auth-int",
                 nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093",
                 opaque="5ccc069c403ebaf9f0171e9517f40e41\""""
RFC2617_AUTHORIZATION = """Digest username="Mufasa",
                 realm="testrealm@host.com",
                 nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093",
                 uri="/dir/index.html",
                 qop=auth,
                 nc=00000001,
                 cnonce="0a4f113b",
                 response="6629fae49393a05397450978507c4ef1",
                 opaque="5ccc069c403ebaf9f0171e9517f40e41\""""

# RFC 7616 §3.9.1: two challenges, SHA-256 preferred, here joined in one header value.
RFC7616_NONCE = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"
RFC7616_OPAQUE = "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"
RFC7616_CNONCE = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
RFC7616_CHALLENGES = (
    f'Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, '
    f'nonce="{RFC7616_NONCE}", opaque="{RFC7616_OPAQUE}", '
    f'Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=MD5, '
    f'nonce="{RFC7616_NONCE}", opaque="{RFC7616_OPAQUE}"'
)
RFC7616_SHA256_AUTHORIZATION = f"""Digest username="Mufasa",
    realm="http-auth@example.org",
    uri="/dir/index.html",
    algorithm=SHA-256,
    nonce="{RFC7616_NONCE}",
    nc=00000001,
    cnonce="{RFC7616_CNONCE}",
    qop=auth,
    response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
    opaque="{RFC7616_OPAQUE}\""""


def independent_response(
    hash_name: str,
    *,
    user: str,
    realm: str,
    password: str,
    method: str,
    uri: str,
    nonce: str,
    nc: str,
    cnonce: str,
) -> str:
    """RFC 7616 §3.4.1 written from scratch with hashlib over byte joins."""

    def h(*parts: str) -> str:
        return hashlib.new(hash_name, b":".join(part.encode() for part in parts)).hexdigest()

    return h(h(user, realm, password), nonce, nc, cnonce, "auth", h(method, uri))


def header_params(header: str) -> dict[str, str]:
    """A deliberately naive reader for headers whose test values hold no escaped quotes."""
    pairs = re.findall(r'([\w-]+)=(?:"([^"]*)"|([^",\s]*))', header)
    return {name.lower(): quoted or bare for name, quoted, bare in pairs}


# ---------------------------------------------------------------------------------------------- golden


def test_parses_the_real_hikvision_challenge() -> None:
    challenge = digest.parse_challenge(HIKVISION_CHALLENGE)
    assert challenge == DigestChallenge(
        realm="IP Camera(83813)",
        nonce="4d5755784d7a41344d546b365a446b31597a51355a413d3d",
        qop=("auth",),
        algorithm=DigestAlgorithm.MD5,
        opaque=None,
        stale=False,
    )


def test_formats_a_challenge_byte_for_byte_like_the_camera() -> None:
    assert (
        digest.format_challenge(
            "IP Camera(83813)", "4d5755784d7a41344d546b365a446b31597a51355a413d3d", stale=False
        )
        == HIKVISION_CHALLENGE
    )
    stale = digest.format_challenge("IP Camera(1)", "abc", stale=True)
    assert stale.endswith('stale="TRUE"')
    assert digest.parse_challenge(stale).stale is True


def test_rfc2617_mufasa_example_both_directions() -> None:
    challenge = digest.parse_challenge(RFC2617_CHALLENGE)
    assert challenge.qop == ("auth", "auth-int")
    assert challenge.opaque == "5ccc069c403ebaf9f0171e9517f40e41"
    header = digest.build_authorization(
        challenge, "GET", "/dir/index.html", "Mufasa", "Circle Of Life", cnonce="0a4f113b", nc=1
    )
    params = header_params(header)
    assert params["response"] == "6629fae49393a05397450978507c4ef1"
    assert params["nc"] == "00000001"
    assert params["qop"] == "auth"
    assert params["opaque"] == challenge.opaque

    received = digest.parse_authorization(RFC2617_AUTHORIZATION)
    assert isinstance(received, DigestAuthorization)
    stored = digest.ha1("Mufasa", "testrealm@host.com", "Circle Of Life", "MD5")
    assert stored == hashlib.md5(b"Mufasa:testrealm@host.com:Circle Of Life").hexdigest()
    assert digest.verify(received, method="GET", ha1=stored, uri="/dir/index.html")
    assert not digest.verify(received, method="POST", ha1=stored)
    assert not digest.verify(received, method="GET", ha1=digest.ha1("Mufasa", "testrealm@host.com", "x"))


def test_rfc7616_examples_sha256_preferred_then_md5() -> None:
    sha, md5 = digest.parse_challenges(RFC7616_CHALLENGES)
    assert sha.algorithm is DigestAlgorithm.SHA256
    assert md5.algorithm is DigestAlgorithm.MD5
    assert digest.parse_challenge(RFC7616_CHALLENGES) == sha
    expected = {
        sha: "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
        md5: "8ca523f5e9506fed4657c9700eebdbec",
    }
    for challenge, response in expected.items():
        header = digest.build_authorization(
            challenge, "GET", "/dir/index.html", "Mufasa", "Circle of Life", cnonce=RFC7616_CNONCE, nc=1
        )
        assert header_params(header)["response"] == response
        assert header_params(header)["algorithm"] == challenge.algorithm.value

    received = digest.parse_authorization(RFC7616_SHA256_AUTHORIZATION)
    assert isinstance(received, DigestAuthorization)
    assert received.algorithm is DigestAlgorithm.SHA256
    stored = digest.ha1("Mufasa", "http-auth@example.org", "Circle of Life", DigestAlgorithm.SHA256)
    assert digest.verify(received, method="GET", ha1=stored)
    md5_ha1 = digest.ha1("Mufasa", "http-auth@example.org", "Circle of Life", "MD5")
    assert not digest.verify(received, method="GET", ha1=md5_ha1)


@pytest.mark.parametrize(("algorithm", "hash_name"), [("MD5", "md5"), ("SHA-256", "sha256")])
def test_response_matches_an_independent_computation(algorithm: str, hash_name: str) -> None:
    challenge = digest.parse_challenge(
        digest.format_challenge("IP Camera(42)", "6e6f6e6365", stale=False, algorithm=algorithm)
    )
    header = digest.build_authorization(
        challenge, "PUT", "/ISAPI/Security/users/1", "admin", PLANTED, cnonce="c0ffee", nc=0x2A
    )
    assert header_params(header)["response"] == independent_response(
        hash_name,
        user="admin",
        realm="IP Camera(42)",
        password=PLANTED,
        method="PUT",
        uri="/ISAPI/Security/users/1",
        nonce="6e6f6e6365",
        nc="0000002a",
        cnonce="c0ffee",
    )
    assert PLANTED not in header


# ---------------------------------------------------------------------------------------------- parser


def test_auth_param_grammar_is_followed() -> None:
    header = (
        'Newauth realm="apps", type=1, title="Login to \\"apps\\"", '
        'Basic realm="simple", '
        "Negotiate YII0=, "
        'DIGEST REALM = "a, b \\\\ c" , NONCE="n1", Qop="AUTH", ALGORITHM=sha-256, Stale=true'
    )
    challenge = digest.parse_challenge(header)
    assert challenge.realm == "a, b \\ c"
    assert challenge.nonce == "n1"
    assert challenge.qop == ("auth",)
    assert challenge.algorithm is DigestAlgorithm.SHA256
    assert challenge.stale is True


def test_sha256_spelled_without_dash_and_unsupported_algorithms_are_skipped() -> None:
    header = 'Digest realm="r", nonce="n", algorithm=MD5-sess, Digest realm="r", nonce="m", algorithm=SHA256'
    (only,) = digest.parse_challenges(header)
    assert (only.nonce, only.algorithm) == ("m", DigestAlgorithm.SHA256)
    with pytest.raises(InvalidContent) as info:
        digest.parse_challenge('Digest realm="r", nonce="n", algorithm=SHA-512-256')
    assert info.value.field == "algorithm"


def test_rfc2069_challenge_without_qop_gets_a_legacy_answer() -> None:
    challenge = digest.parse_challenge('Digest realm="r", nonce="n"')
    assert challenge.qop == ()
    header = digest.build_authorization(challenge, "GET", "/", "u", "p", cnonce="x", nc=1)
    assert "nc=" not in header
    assert "qop" not in header
    ha1 = hashlib.md5(b"u:r:p").hexdigest()
    ha2 = hashlib.md5(b"GET:/").hexdigest()
    assert header_params(header)["response"] == hashlib.md5(f"{ha1}:n:{ha2}".encode()).hexdigest()
    received = digest.parse_authorization(header)
    assert isinstance(received, DigestAuthorization)
    assert received.qop is None
    # A device always challenges with qop=auth, so it refuses the legacy form even when the hash is right.
    assert not digest.verify(received, method="GET", ha1=ha1)


@pytest.mark.parametrize(
    ("header", "error"),
    [
        ("", MalformedMessage),
        (" , ,", MalformedMessage),
        ('realm="r", Digest nonce="n"', MalformedMessage),
        ('Digest realm="r" nonce="n"', MalformedMessage),
        ('Digest realm="r, nonce="n', MalformedMessage),
        ('Digest realm="r", realm="s", nonce="n"', MalformedMessage),
        ('Digest realm="a\x00b", nonce="n"', MalformedMessage),
        ('Digest realm="r", nonce="n", qop="auth\\', MalformedMessage),
        ('Digest realm=, nonce="n"', MalformedMessage),
        ('Basic realm="r"', InvalidContent),
        ('Digest nonce="n", qop="auth"', InvalidContent),
        ('Digest realm="r", nonce=""', InvalidContent),
        ("Digest abcdef==", InvalidContent),
        ("Digest " + 'realm="r", nonce="' + "a" * 5000 + '"', MessageTooLarge),
    ],
)
def test_bad_challenges_raise_clear_errors(header: str, error: type[CamvaultError]) -> None:
    with pytest.raises(error):
        digest.parse_challenge(header)


def test_parse_authorization_digest_fields() -> None:
    received = digest.parse_authorization(
        'digest USERNAME="ad\\"min", realm="IP Camera(1)", nonce="n", uri="/ISAPI/x?a=1,2", '
        'response="ABCDEF", qop="auth", nc=0000000A, cnonce="c", algorithm="SHA-256"'
    )
    assert received == DigestAuthorization(
        username='ad"min',
        realm="IP Camera(1)",
        nonce="n",
        uri="/ISAPI/x?a=1,2",
        response="ABCDEF",
        algorithm=DigestAlgorithm.SHA256,
        qop="auth",
        nc="0000000A",
        cnonce="c",
    )
    assert received.nonce_count == 10


BASE = 'Digest username="u", realm="r", nonce="n", uri="/", response="x"'


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ('Digest realm="r", nonce="n", uri="/", response="x"', "username"),
        ('Digest username="u", realm="r", nonce="n", response="x"', "uri"),
        ('Digest username="u", nonce="n", uri="/", response="x"', "realm"),
        (BASE + ', qop=auth-int, nc=00000001, cnonce="c"', "qop"),
        (BASE + ', qop=auth, nc=1, cnonce="c"', "nc"),
        (BASE + ", qop=auth, nc=00000001", "cnonce"),
        (BASE + ", userhash=true", "userhash"),
        (BASE + ", algorithm=MD5-sess", "algorithm"),
        ('Digest username*=UTF-8\'\'J%C3%A4s, realm="r", nonce="n", uri="/", response="x"', "username*"),
        ("Bearer abc", "Authorization"),
    ],
)
def test_bad_authorizations_name_the_field(header: str, field: str) -> None:
    with pytest.raises(InvalidContent) as info:
        digest.parse_authorization(header)
    assert info.value.field == field


@pytest.mark.parametrize(
    "header",
    [
        "Basic !!!!",
        "Basic " + base64.b64encode(b"no-colon").decode(),
        'Basic realm="x"',
        'Digest username="u", Basic abc=',
    ],
)
def test_malformed_authorizations(header: str) -> None:
    with pytest.raises(MalformedMessage):
        digest.parse_authorization(header)


def test_basic_is_recognised_so_it_can_be_refused_and_keeps_the_password_private() -> None:
    token = base64.b64encode(f"admin:{PLANTED}".encode()).decode()
    received = digest.parse_authorization(f"Basic {token}")
    assert received == BasicAuthorization(username="admin", password=PLANTED)
    assert PLANTED not in repr(received)
    assert PLANTED not in str(received)
    latin = base64.b64encode("j\xe9r\xf4me:pw:with:colons".encode("latin-1")).decode()
    other = digest.parse_authorization(f"Basic {latin}")
    assert other == BasicAuthorization(username="j\xe9r\xf4me", password="pw:with:colons")


def test_response_is_not_in_the_repr() -> None:
    received = digest.parse_authorization(RFC2617_AUTHORIZATION)
    assert "6629fae49393a05397450978507c4ef1" not in repr(received)


def test_header_injection_is_refused_when_formatting() -> None:
    with pytest.raises(InvalidContent):
        digest.format_challenge("IP Camera\r\nSet-Cookie: x=y", "n", stale=False)
    challenge = digest.parse_challenge(HIKVISION_CHALLENGE)
    with pytest.raises(InvalidContent):
        digest.build_authorization(challenge, "GET", "/\r\nX: y", "admin", "pw", cnonce="c", nc=1)
    forged = DigestAuthorization("u", "r", "n", "/", "x", qop="auth", nc="1, evil=1", cnonce="c")
    with pytest.raises(InvalidContent):
        digest.format_authorization(forged)


def test_build_authorization_bounds() -> None:
    challenge = digest.parse_challenge(HIKVISION_CHALLENGE)
    for nc in (0, 2**32):
        with pytest.raises(InvalidContent):
            digest.build_authorization(challenge, "GET", "/", "u", "p", cnonce="c", nc=nc)
    with pytest.raises(InvalidContent):
        digest.build_authorization(challenge, "GET", "/", "u", "p", cnonce="", nc=1)
    auth_int_only = DigestChallenge(realm="r", nonce="n", qop=("auth-int",))
    with pytest.raises(InvalidContent):
        digest.build_authorization(auth_int_only, "GET", "/", "u", "p", cnonce="c", nc=1)


# ---------------------------------------------------------------------------------------------- properties

header_text = st.text(
    alphabet=st.sampled_from([*'Digest BasicNnrealmoqp=",\\ \t-_/:;()auth', "\x00", "\u00e9", "\r", "\n"]),
    max_size=200,
)


@settings(max_examples=150, deadline=None)
@given(st.one_of(header_text, st.text(max_size=300)))
def test_parsers_raise_only_camvault_errors(text: str) -> None:
    for parse in (digest.parse_challenge, digest.parse_authorization):
        with contextlib.suppress(CamvaultError):
            parse(text)


quotable = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x2FF, exclude_characters="\x7f"),
    min_size=1,
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(
    realm=quotable,
    username=quotable,
    password=st.text(max_size=40),
    uri=quotable,
    algorithm=st.sampled_from(list(DigestAlgorithm)),
    nc=st.integers(min_value=1, max_value=2**32 - 1),
)
def test_round_trip_client_to_device(
    realm: str, username: str, password: str, uri: str, algorithm: DigestAlgorithm, nc: int
) -> None:
    challenge = digest.parse_challenge(
        digest.format_challenge(realm, "6e6f6e6365", stale=False, algorithm=algorithm, opaque='o"q')
    )
    assert (challenge.realm, challenge.algorithm, challenge.opaque) == (realm, algorithm, 'o"q')
    header = digest.build_authorization(challenge, "GET", uri, username, password, cnonce="cn", nc=nc)
    received = digest.parse_authorization(header)
    assert isinstance(received, DigestAuthorization)
    assert (received.username, received.realm, received.uri, received.nonce_count) == (
        username,
        realm,
        uri,
        nc,
    )
    stored = digest.ha1(username, realm, password, algorithm)
    assert digest.verify(received, method="GET", ha1=stored, uri=uri)
    assert not digest.verify(
        received, method="GET", ha1=digest.ha1(username, realm, password + "x", algorithm)
    )


# ---------------------------------------------------------------------------------------------- client state


def test_client_state_counts_requests_per_nonce() -> None:
    state = DigestClientState(digest.parse_challenge(HIKVISION_CHALLENGE))
    counter = iter(range(1, 100))

    def rng(n: int) -> bytes:
        return bytes([next(counter)]) * n

    first = digest.parse_authorization(state.authorize("GET", "/a", "admin", PLANTED, rng=rng))
    second = digest.parse_authorization(state.authorize("GET", "/b", "admin", PLANTED, rng=rng))
    assert isinstance(first, DigestAuthorization)
    assert isinstance(second, DigestAuthorization)
    assert (first.nc, second.nc) == ("00000001", "00000002")
    assert first.cnonce == "01" * 16
    assert first.cnonce != second.cnonce
    state.update(digest.parse_challenge(HIKVISION_CHALLENGE.replace('stale="FALSE"', 'stale="TRUE"')))
    assert state.nonce_count == 2
    state.update(DigestChallenge(realm="IP Camera(83813)", nonce="fresh"))
    assert state.nonce_count == 0
    assert PLANTED not in repr(state)


# ---------------------------------------------------------------------------------------------- nonces

SECRET = b"0123456789abcdef-not-a-real-key"


def test_nonces_have_the_shape_of_the_real_ones() -> None:
    shape = re.compile(r"[0-9a-f]{8}:[0-9a-f]+")
    real = base64.b64decode(bytes.fromhex("4d5755784d7a41344d546b365a446b31597a51355a413d3d")).decode()
    assert shape.fullmatch(real)  # "1e130819:d95c49d"
    issuer = NonceIssuer(SECRET, 30.0, rng=lambda n: b"\xab" * n)
    nonce = issuer.issue(0x1E130819 + 0.75)
    assert re.fullmatch(r"[0-9a-f]+", nonce)
    body = base64.b64decode(bytes.fromhex(nonce)).decode()
    assert shape.fullmatch(body)
    assert body.startswith("1e130819:abababab")


def test_nonce_freshness_and_tampering() -> None:
    issuer = NonceIssuer(SECRET, 30.0)
    nonce = issuer.issue(1000.2)
    assert issuer.check(nonce, 1000.9) is NonceState.FRESH
    assert issuer.check(nonce, 1030.0) is NonceState.FRESH
    assert issuer.check(nonce, 1031.0) is NonceState.STALE
    assert issuer.check(nonce, 990.0) is NonceState.STALE  # the clock went back
    assert NonceIssuer(SECRET + b"!", 30.0).check(nonce, 1000.0) is NonceState.INVALID
    body = base64.b64decode(bytes.fromhex(nonce)).decode()
    younger = base64.b64encode(("000003f0" + body[8:]).encode()).hex()
    assert issuer.check(younger, 1031.0) is NonceState.INVALID
    for bad in (
        "",
        "zz",
        nonce.upper(),
        nonce[:-2],
        "4d5755784d7a41344d546b365a446b31597a51355a413d3d",
        "a" * 10_000,
    ):
        assert issuer.check(bad, 1000.0) is NonceState.INVALID
    assert issuer.issue(1000.0) != issuer.issue(1000.0)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_nonce_check_never_raises(text: str) -> None:
    assert NonceIssuer(SECRET, 30.0).check(text, 0.0) in (
        NonceState.INVALID,
        NonceState.FRESH,
        NonceState.STALE,
    )


def test_nonce_issuer_keeps_its_secret_and_validates_settings() -> None:
    issuer = NonceIssuer(SECRET, 30.0)
    assert "0123456789abcdef" not in repr(issuer)
    assert issuer.lifetime == 30.0
    with pytest.raises(ConfigurationError):
        NonceIssuer(b"short", 30.0)
    for lifetime in (0.0, -1.0, float("nan"), float("inf")):
        with pytest.raises(ConfigurationError):
            NonceIssuer(SECRET, lifetime)


def test_nonce_counter_refuses_replays() -> None:
    counter = NonceCounter(max_entries=8, window=4)
    assert counter.accept("n", 1)
    assert not counter.accept("n", 1)
    assert counter.accept("n", 3)
    assert counter.accept("n", 2)  # out of order, inside the window
    assert not counter.accept("n", 2)
    assert counter.accept("n", 9)
    assert not counter.accept("n", 5)  # fell out of the window
    assert counter.accept("n", 8)
    assert counter.accept("other", 1)
    for bad in (0, -1, 2**32):
        assert not counter.accept("n", bad)
    assert not counter.accept("x" * 1000, 1)


def test_nonce_counter_is_bounded_and_evicts_the_oldest() -> None:
    counter = NonceCounter(max_entries=2)
    assert counter.accept("a", 1)
    assert counter.accept("b", 1)
    assert counter.accept("c", 1)
    assert len(counter) == 2
    assert not counter.accept("b", 1)
    assert not counter.accept("c", 1)
    assert counter.accept("a", 1)  # forgotten: the documented limit of a bounded table
    with pytest.raises(ConfigurationError):
        NonceCounter(0)


def test_device_and_client_complete_a_handshake() -> None:
    issuer = NonceIssuer(SECRET, 60.0)
    counter = NonceCounter()
    realm = "IP Camera(83813)"
    stored = {DigestAlgorithm.MD5: digest.ha1("admin", realm, PLANTED, "MD5")}

    def device(method: str, uri: str, authorization: str | None, now: float) -> tuple[int, str | None]:
        if authorization is not None:
            received = digest.parse_authorization(authorization)
            if isinstance(received, DigestAuthorization) and received.realm == realm:
                state = issuer.check(received.nonce, now)
                ok = digest.verify(received, method=method, ha1=stored[received.algorithm], uri=uri)
                if (
                    ok
                    and state is NonceState.FRESH
                    and counter.accept(received.nonce, received.nonce_count or 0)
                ):
                    return 200, None
                if ok and state is NonceState.STALE:
                    return 401, digest.format_challenge(realm, issuer.issue(now), stale=True)
        return 401, digest.format_challenge(realm, issuer.issue(now), stale=False)

    status, www = device("GET", "/ISAPI/Security/userCheck", None, 100.0)
    assert status == 401
    assert www is not None
    client = DigestClientState(digest.parse_challenge(www))
    sent = client.authorize("GET", "/ISAPI/Security/userCheck", "admin", PLANTED)
    assert device("GET", "/ISAPI/Security/userCheck", sent, 101.0) == (200, None)
    assert device("GET", "/ISAPI/Security/userCheck", sent, 102.0)[0] == 401  # replayed
    later = client.authorize("GET", "/ISAPI/Security/userCheck", "admin", PLANTED)
    status, www = device("GET", "/ISAPI/Security/userCheck", later, 500.0)
    assert status == 401
    assert www is not None
    assert digest.parse_challenge(www).stale
    client.update(digest.parse_challenge(www))
    retry = client.authorize("GET", "/ISAPI/Security/userCheck", "admin", PLANTED)
    assert device("GET", "/ISAPI/Security/userCheck", retry, 501.0) == (200, None)
    wrong = DigestClientState(digest.parse_challenge(www)).authorize("GET", "/ISAPI/x", "admin", "wrong")
    assert device("GET", "/ISAPI/x", wrong, 502.0)[0] == 401


def test_planted_password_never_reaches_errors() -> None:
    challenge = digest.parse_challenge(HIKVISION_CHALLENGE)
    with pytest.raises(InvalidContent) as info:
        digest.build_authorization(challenge, "GET", "/", "admin", PLANTED, cnonce="c", nc=0)
    assert PLANTED not in str(info.value)
    token = base64.b64encode(f"admin{PLANTED}".encode()).decode()
    with pytest.raises(MalformedMessage) as malformed:
        digest.parse_authorization(f"Basic {token}")
    assert PLANTED not in str(malformed.value)
    assert token not in str(malformed.value)


def test_stray_surrogates_fail_verification_instead_of_crashing() -> None:
    received = digest.parse_authorization(RFC2617_AUTHORIZATION.replace("/dir/index.html", "/dir/\udc80"))
    assert isinstance(received, DigestAuthorization)
    assert not digest.verify(received, method="GET", ha1=digest.ha1("Mufasa", "testrealm@host.com", "x"))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x2FF), max_size=40))
def test_fast_and_careful_quoted_string_readers_agree(inner: str) -> None:
    text = '"' + inner.replace("\\", "\\\\").replace('"', '\\"') + '"'
    fast, careful = digest._Scanner(text), digest._Scanner(text)
    try:
        expected: object = careful._quoted_string_slowly()
    except MalformedMessage:
        expected = MalformedMessage
    try:
        got: object = fast.quoted_string()
    except MalformedMessage:
        got = MalformedMessage
    assert got == expected
    if expected is not MalformedMessage:
        assert fast.pos == careful.pos
