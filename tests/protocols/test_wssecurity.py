"""WS-Security UsernameToken: golden vectors, zeep interop, freshness, replay, malformed tokens, secrecy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from zeep.wsse.username import UsernameToken as ZeepUsernameToken

from camvault.errors import InvalidContent
from camvault.protocols import soap, wssecurity
from camvault.protocols.wssecurity import NonceCache, PasswordType, TokenCheck, UsernameToken
from camvault.protocols.xml import Node
from tests.protocols.test_soap import ZEEP_CREATE_USERS

PLANTED = "Pl4nted-S3cret!"
WINDOW = timedelta(minutes=5)
CREATED = datetime(2026, 11, 25, 1, 34, 50, tzinfo=UTC)
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"


def cache() -> NonceCache:
    return NonceCache(max_entries=100, max_age=2 * WINDOW)


def envelope_with(header: bytes) -> soap.Envelope:
    return soap.parse_envelope(
        f'<s:Envelope xmlns:s="{soap.SOAP_ENV_NS}" xmlns:wsse="{WSSE}"><s:Header>'.encode()
        + header
        + b"</s:Header><s:Body/></s:Envelope>"
    )


def token_via_zeep(password: str, *, digest: bool = True, zulu: bool = False) -> UsernameToken:
    """Let zeep sign a real request the way onvif-zeep-async does, and read it back."""
    envelope = etree.fromstring(soap.render_envelope(Node("tds:GetUsers"), namespaces=soap.ONVIF_NAMESPACES))
    ZeepUsernameToken("admin", password, use_digest=digest, created=CREATED, zulu_timestamp=zulu).apply(
        envelope, {}
    )
    token = wssecurity.parse_username_token(soap.parse_envelope(etree.tostring(envelope)))
    assert token is not None
    return token


def verify(token: UsernameToken, password: str, **overrides: object) -> TokenCheck:
    arguments: dict[str, object] = {"now": CREATED, "window": WINDOW, "seen_nonces": cache()} | overrides
    return wssecurity.verify_username_token(token, password, **arguments)  # type: ignore[arg-type]


# --- golden ---------------------------------------------------------------------------------------------


def test_onvif_programmer_guide_vector() -> None:
    digest = wssecurity.password_digest("LKqI6G/AikKCQrN0zqZFlg==", "2010-09-16T07:50:45Z", "userpassword")
    assert digest == "tuOSpGlFlIXsozq4HFNeeGeFLEI="


def test_zeep_captured_request_header() -> None:
    token = wssecurity.parse_username_token(soap.parse_envelope(ZEEP_CREATE_USERS))
    assert token is not None
    assert token.username == "admin"
    assert token.password_type is PasswordType.DIGEST
    assert token.password == "I677tO9u4yhM0/QkIIV208tslx0="
    assert token.nonce == "lXWc/i0BeYTTRfrDSwb98w=="
    assert token.created == "2026-11-25T01:34:50+00:00"
    assert wssecurity.parse_created(token.created) == CREATED
    # the capture's password is unknown: any guess fails on the password, not on form or time
    assert verify(token, "admin") is TokenCheck.BAD_PASSWORD
    assert verify(token, "admin", now=CREATED + timedelta(hours=1)) is TokenCheck.STALE


# --- interop with zeep's own signer ---------------------------------------------------------------------


@pytest.mark.parametrize("zulu", [False, True])
def test_tokens_signed_by_zeep_verify(zulu: bool) -> None:
    token = token_via_zeep(PLANTED, zulu=zulu)
    assert token.created == ("2026-11-25T01:34:50Z" if zulu else "2026-11-25T01:34:50+00:00")
    assert verify(token, PLANTED) is TokenCheck.OK
    assert verify(token, PLANTED + "x") is TokenCheck.BAD_PASSWORD


def test_zeep_plaintext_token_has_no_nonce_and_is_accepted_unless_refused() -> None:
    token = token_via_zeep(PLANTED, digest=False)
    assert (token.password_type, token.nonce, token.created) == (PasswordType.TEXT, None, None)
    assert verify(token, PLANTED) is TokenCheck.OK
    assert verify(token, "other") is TokenCheck.BAD_PASSWORD
    assert verify(token, PLANTED, accept_text=False) is TokenCheck.TEXT_REFUSED


def test_our_token_equals_zeeps_for_the_same_inputs() -> None:
    nonce = bytes(range(16))
    ours = wssecurity.build_username_token("admin", PLANTED, created=CREATED, nonce=nonce)
    parsed = wssecurity.parse_username_token(soap.parse_envelope(soap.render_envelope(None, header=[ours])))
    assert parsed is not None
    envelope = etree.fromstring(soap.render_envelope(None))
    ZeepUsernameToken(
        "admin", PLANTED, use_digest=True, nonce=nonce.decode("latin-1"), created=CREATED, zulu_timestamp=True
    ).apply(envelope, {})
    zeeps = wssecurity.parse_username_token(soap.parse_envelope(etree.tostring(envelope)))
    assert zeeps is not None
    assert (parsed.password, parsed.nonce, parsed.created) == (zeeps.password, zeeps.nonce, zeeps.created)


def test_onveef_style_created_is_hashed_verbatim() -> None:
    nonce = "LKqI6G/AikKCQrN0zqZFlg=="
    created = "2026-11-25T01:34:50.000Z"
    good = UsernameToken(
        "admin", wssecurity.password_digest(nonce, created, PLANTED), PasswordType.DIGEST, nonce, created
    )
    assert verify(good, PLANTED) is TokenCheck.OK
    # a digest over a reformatted timestamp (same instant) must not verify
    other = wssecurity.password_digest(nonce, "2026-11-25T01:34:50Z", PLANTED)
    assert (
        verify(UsernameToken("admin", other, PasswordType.DIGEST, nonce, created), PLANTED)
        is TokenCheck.BAD_PASSWORD
    )


# --- freshness, replay, malformed ----------------------------------------------------------------------


def built(password: str = PLANTED, *, created: datetime = CREATED, nonce: bytes = b"n" * 16) -> UsernameToken:
    header = wssecurity.build_username_token("admin", password, created=created, nonce=nonce)
    token = wssecurity.parse_username_token(soap.parse_envelope(soap.render_envelope(None, header=[header])))
    assert token is not None
    return token


@pytest.mark.parametrize(
    ("skew", "outcome"),
    [
        (timedelta(0), TokenCheck.OK),
        (WINDOW, TokenCheck.OK),
        (-WINDOW, TokenCheck.OK),
        (WINDOW + timedelta(seconds=1), TokenCheck.STALE),
        (-WINDOW - timedelta(seconds=1), TokenCheck.STALE),
        (timedelta(days=-3650), TokenCheck.STALE),  # camera clock reset to 2016 after a power cut
    ],
)
def test_created_must_lie_within_the_window(skew: timedelta, outcome: TokenCheck) -> None:
    assert verify(built(), PLANTED, now=CREATED + skew) is outcome


def test_stale_is_reported_before_the_password_is_judged() -> None:
    assert verify(built(), "wrong", now=CREATED + timedelta(hours=2)) is TokenCheck.STALE


def test_replayed_nonce_is_refused_but_failed_attempts_do_not_burn_it() -> None:
    seen = cache()
    assert verify(built(), "wrong", seen_nonces=seen) is TokenCheck.BAD_PASSWORD
    assert len(seen) == 0
    assert verify(built(), PLANTED, seen_nonces=seen) is TokenCheck.OK
    assert verify(built(), PLANTED, seen_nonces=seen) is TokenCheck.REPLAYED
    assert verify(built(nonce=b"m" * 16), PLANTED, seen_nonces=seen) is TokenCheck.OK


@pytest.mark.parametrize(
    "token",
    [
        UsernameToken("admin", "x", PasswordType.DIGEST, None, "2026-11-25T01:34:50Z"),
        UsernameToken("admin", "x", PasswordType.DIGEST, "bm9uY2U=", None),
        UsernameToken("admin", "x", PasswordType.DIGEST, "not base64!", "2026-11-25T01:34:50Z"),
        UsernameToken("admin", "x", PasswordType.DIGEST, "", "2026-11-25T01:34:50Z"),
        UsernameToken("admin", "x", PasswordType.DIGEST, "bm9uY2U=", "yesterday"),
        UsernameToken("admin", "x", PasswordType.DIGEST, "bm9uY2U=", "2026-13-25T01:34:50Z"),
        UsernameToken("admin", "x", PasswordType.DIGEST, "bm9uY2U=", "2026-11-25T01:34:50+25:00"),
        UsernameToken("admin", "x", PasswordType.TEXT, "bm9uY2U=", "2026-02-30T00:00:00Z"),
        UsernameToken("admin", "x", PasswordType.TEXT, "%%%", None),
    ],
)
def test_malformed_tokens(token: UsernameToken) -> None:
    assert verify(token, "x") is TokenCheck.MALFORMED


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-25T01:34:50+00:00", CREATED),
        ("2026-11-25T01:34:50.000Z", CREATED),
        ("2026-11-25T01:34:50Z", CREATED),
        ("2026-11-25T01:34:50", CREATED),
        ("2026-11-25T02:34:50+01:00", CREATED),
        ("2026-11-24T23:04:50-02:30", CREATED),
        ("2026-11-25T01:34:50.123456789Z", CREATED + timedelta(microseconds=123456)),
        (" 2026-11-25T01:34:50Z\n", CREATED),
    ],
)
def test_created_formats(text: str, expected: datetime) -> None:
    parsed = wssecurity.parse_created(text)
    assert parsed == expected
    assert parsed.tzinfo is UTC


def test_format_created_is_utc_zulu() -> None:
    east = timezone(timedelta(hours=2))
    assert (
        wssecurity.format_created(datetime(2026, 11, 25, 3, 34, 50, 999, tzinfo=east))
        == "2026-11-25T01:34:50Z"
    )
    with pytest.raises(ValueError, match="aware"):
        wssecurity.format_created(datetime(2026, 11, 25))


def test_verify_refuses_naive_now_and_a_too_forgetful_cache() -> None:
    with pytest.raises(ValueError, match="aware"):
        verify(built(), PLANTED, now=datetime(2026, 11, 25))
    with pytest.raises(ValueError, match="twice"):
        verify(built(), PLANTED, seen_nonces=NonceCache(max_age=WINDOW))


# --- parsing the header ----------------------------------------------------------------------------


def test_missing_security_header_or_token_gives_none() -> None:
    assert wssecurity.parse_username_token(envelope_with(b"")) is None
    assert wssecurity.parse_username_token(envelope_with(b"<wsse:Security/>")) is None


@pytest.mark.parametrize(
    ("token", "field"),
    [
        (b"<wsse:UsernameToken><wsse:Password>p</wsse:Password></wsse:UsernameToken>", "Username"),
        (b"<wsse:UsernameToken><wsse:Username>u</wsse:Username></wsse:UsernameToken>", "Password"),
        (
            b"<wsse:UsernameToken><wsse:Username>u</wsse:Username>"
            b'<wsse:Password Type="#PasswordMD5">p</wsse:Password></wsse:UsernameToken>',
            "Password",
        ),
        (
            b"<wsse:UsernameToken><wsse:Username>" + b"u" * 300 + b"</wsse:Username>"
            b"<wsse:Password>p</wsse:Password></wsse:UsernameToken>",
            "Username",
        ),
        (
            b"<wsse:UsernameToken><wsse:Username>u</wsse:Username><wsse:Password>"
            + b"p" * 2000
            + b"</wsse:Password>"
            b"</wsse:UsernameToken>",
            "Password",
        ),
    ],
)
def test_broken_tokens_name_the_field(token: bytes, field: str) -> None:
    with pytest.raises(InvalidContent) as info:
        wssecurity.parse_username_token(envelope_with(b"<wsse:Security>" + token + b"</wsse:Security>"))
    assert info.value.field == field


@pytest.mark.parametrize(
    ("type_attribute", "expected"),
    [
        (b"", PasswordType.TEXT),
        (b' Type="wsse:PasswordDigest"', PasswordType.DIGEST),
        (b' Type="PasswordText"', PasswordType.TEXT),
    ],
)
def test_sloppy_password_types_are_understood(type_attribute: bytes, expected: PasswordType) -> None:
    header = (
        b"<wsse:Security><wsse:UsernameToken><wsse:Username>u</wsse:Username>"
        b"<wsse:Password" + type_attribute + b"> p w </wsse:Password></wsse:UsernameToken></wsse:Security>"
    )
    token = wssecurity.parse_username_token(envelope_with(header))
    assert token is not None
    assert token.password_type is expected
    assert token.password == ("p w" if expected is PasswordType.DIGEST else " p w ")


# --- building --------------------------------------------------------------------------------------


def test_text_token_still_carries_nonce_and_created() -> None:
    header = wssecurity.build_username_token("admin", PLANTED, created=CREATED, digest=False)
    token = wssecurity.parse_username_token(soap.parse_envelope(soap.render_envelope(None, header=[header])))
    assert token is not None
    assert token.password_type is PasswordType.TEXT
    assert token.password == PLANTED
    assert token.nonce is not None
    assert token.created == "2026-11-25T01:34:50Z"
    assert verify(token, PLANTED) is TokenCheck.OK


def test_default_nonces_are_random() -> None:
    first, second = (built_default() for _ in range(2))
    assert first.nonce != second.nonce


def built_default() -> UsernameToken:
    header = wssecurity.build_username_token("admin", PLANTED, created=CREATED)
    token = wssecurity.parse_username_token(soap.parse_envelope(soap.render_envelope(None, header=[header])))
    assert token is not None
    return token


xml_text = st.text(st.characters(min_codepoint=0x21, max_codepoint=0xD7FF), min_size=1, max_size=40)


@settings(max_examples=60, deadline=None)
@given(username=xml_text, password=xml_text, nonce=st.binary(min_size=1, max_size=64), digest=st.booleans())
def test_build_parse_verify_round_trip(username: str, password: str, nonce: bytes, digest: bool) -> None:
    header = wssecurity.build_username_token(username, password, created=CREATED, nonce=nonce, digest=digest)
    token = wssecurity.parse_username_token(soap.parse_envelope(soap.render_envelope(None, header=[header])))
    assert token is not None
    assert token.username == username.strip()
    assert verify(token, password) is TokenCheck.OK
    assert verify(token, password + "!") is TokenCheck.BAD_PASSWORD


# --- the nonce cache -------------------------------------------------------------------------------


def test_nonce_cache_is_bounded_in_size_and_age() -> None:
    seen = NonceCache(max_entries=3, max_age=timedelta(minutes=10))
    for n in range(5):
        assert seen.remember(bytes([n]), now=CREATED)
    assert len(seen) == 3
    assert bytes([0]) not in seen
    assert bytes([4]) in seen
    assert not seen.remember(bytes([4]), now=CREATED + timedelta(minutes=10))
    assert seen.remember(bytes([4]), now=CREATED + timedelta(minutes=10, seconds=1))
    assert len(seen) == 1
    with pytest.raises(ValueError, match="room"):
        NonceCache(max_entries=0)


# --- secrets stay out of reprs and messages ------------------------------------------------------------


def test_secrets_never_appear_in_reprs_or_errors() -> None:
    header = wssecurity.build_username_token(
        "admin", PLANTED, created=CREATED, nonce=b"N0nce-planted!!!", digest=False
    )
    token = built(PLANTED, nonce=b"N0nce-planted!!!")
    assert token.nonce is not None
    texts = [repr(header), repr(token), str(token), repr(cache())]
    text_token = UsernameToken("admin", PLANTED, PasswordType.TEXT, token.nonce, token.created)
    texts.append(repr(text_token))
    seen = cache()
    verify(token, PLANTED, seen_nonces=seen)
    texts.append(repr(seen))
    for hostile_nonce in (PLANTED, token.nonce + "!"):
        with pytest.raises(InvalidContent) as info:
            wssecurity.password_digest(hostile_nonce, "2026-11-25T01:34:50Z", PLANTED)
        texts.append(str(info.value))
    for text in texts:
        assert PLANTED not in text
        assert token.nonce not in text
        assert token.password not in text
