"""The pages' JavaScript crypto (cvcrypto.js) agrees with the Python codecs, on a non-secure origin.

The script is loaded into ``about:blank``, where ``crypto.subtle`` does not exist, as on a device
reached over plain HTTP; each test hands it fixed vectors and compares with camvault's own codecs.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import random
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from playwright.sync_api import Browser, Page

from camvault.passwords import HIKVISION_DEVICE, hikvision_strength
from camvault.protocols.isapi import activation, field_crypto, session_login

pytestmark = pytest.mark.browser

SCRIPT_DIR = importlib.resources.files("camvault.device.web").joinpath("static/script")
ALPHABET = "abcXYZ019 !<>&\"'é€😀"


@pytest.fixture(scope="module")
def js(chromium: Browser) -> Iterator[Page]:
    context = chromium.new_context()
    tab = context.new_page()
    tab.set_content("<!DOCTYPE html><html><body></body></html>")
    tab.add_script_tag(content=SCRIPT_DIR.joinpath("cvcrypto.js").read_text(encoding="utf-8"))
    yield tab
    context.close()


def words(seed: int, count: int, max_length: int = 24) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(ALPHABET) for _ in range(rng.randrange(max_length))) for _ in range(count)]


def test_runs_without_webcrypto(js: Page) -> None:
    assert js.evaluate("() => typeof crypto.subtle") == "undefined"
    for name in ("cvcrypto.js", "cvpages.js"):
        assert "subtle" not in SCRIPT_DIR.joinpath(name).read_text(encoding="utf-8")


def test_sha256_matches_hashlib(js: Page) -> None:
    samples = [
        "",
        "abc",
        "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
        "a" * 1000,
        *words(1, 40, 150),
    ]
    got = js.evaluate("(items) => items.map((text) => CvCrypto.sha256Hex(text))", samples)
    assert got == [hashlib.sha256(text.encode()).hexdigest() for text in samples]
    assert got[1] == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_aes_matches_fips_197_and_cryptography(js: Page) -> None:
    fips = js.evaluate(
        """() => CvCrypto.toHex(CvCrypto.aesEcbEncrypt(
            CvCrypto.fromHex('000102030405060708090a0b0c0d0e0f'),
            CvCrypto.fromHex('00112233445566778899aabbccddeeff')))"""
    )
    assert fips == "69c4e0d86a7b0430d8cdb78070b4c55a"
    rng = random.Random(2)
    cases = [
        (rng.randbytes(16).hex(), rng.randbytes(16).hex(), rng.randbytes(rng.randrange(70)).hex())
        for _ in range(25)
    ]
    got = js.evaluate(
        """(cases) => cases.map(([key, iv, data]) => {
            const k = CvCrypto.fromHex(key), v = CvCrypto.fromHex(iv);
            const sealed = CvCrypto.aesCbcEncrypt(k, v, CvCrypto.fromHex(data));
            return [CvCrypto.toHex(sealed), CvCrypto.toHex(CvCrypto.aesCbcDecrypt(k, v, sealed))];
        })""",
        cases,
    )
    for (key, iv, data), (sealed, opened) in zip(cases, got, strict=True):
        padder = padding.PKCS7(128).padder()
        padded = padder.update(bytes.fromhex(data)) + padder.finalize()
        encryptor = Cipher(algorithms.AES(bytes.fromhex(key)), modes.CBC(bytes.fromhex(iv))).encryptor()
        assert sealed == (encryptor.update(padded) + encryptor.finalize()).hex()
        assert opened == data


def test_cbc_rejects_bad_padding(js: Page) -> None:
    result = js.evaluate(
        """() => { try { CvCrypto.aesCbcDecrypt(new Uint8Array(16), new Uint8Array(16), new Uint8Array(16)); return 'opened'; }
                   catch (error) { return error.message; } }"""
    )
    assert result == "bad padding"


@pytest.mark.parametrize("irreversible", [True, False])
def test_session_proof_matches(js: Page, irreversible: bool) -> None:
    rng = random.Random(3)
    cases = [
        (user, password, rng.randbytes(32).hex(), rng.randbytes(16).hex(), iterations)
        for user, password, iterations in zip(
            words(4, 6, 12), words(5, 6, 16), [2, 3, 10, 100, 100, 7], strict=True
        )
    ]
    got = js.evaluate(
        "([cases, irr]) => cases.map(([u, p, s, c, n]) => CvCrypto.sessionProof(u, p, s, c, n, irr))",
        [cases, irreversible],
    )
    expected = [
        session_login.session_password_proof(
            u, p, salt=s, challenge=c, iterations=n, irreversible=irreversible
        )
        for u, p, s, c, n in cases
    ]
    assert got == expected


def test_security_1_fields_interoperate_both_ways(js: Page) -> None:
    salt = random.Random(6).randbytes(32).hex()
    values = ["Str0ng-Passw0rd!", "<answer> & \"quotes\" 'single'", "Grüße aus Köln €", "😀 emoji", "x" * 300]
    iv = "00112233445566778899aabbccddeeff"
    result = js.evaluate(
        """([salt, iv, values]) => {
            const key = CvCrypto.fieldKey('admin', 'Str0ng-Passw0rd!', salt, 100);
            return [CvCrypto.toHex(key), values.map((v) => CvCrypto.encryptField(key, v, iv))];
        }""",
        [salt, iv, values],
    )
    key = field_crypto.derive_key("admin", "Str0ng-Passw0rd!", salt=salt, iterations=100)
    assert result[0] == key.hex()
    assert [field_crypto.decrypt_field(key, sealed, iv) for sealed in result[1]] == values
    assert result[1] == [field_crypto.encrypt_field(key, value, iv) for value in values]
    from_python = [field_crypto.encrypt_field(key, value, iv) for value in values]
    opened = js.evaluate(
        "([key, iv, items]) => items.map((h) => CvCrypto.decryptField(CvCrypto.fromHex(key), h, iv))",
        [key.hex(), iv, from_python],
    )
    assert opened == values


def test_activation_exchange_with_the_python_device_side(js: Page) -> None:
    js.evaluate("() => { window.testKey = CvCrypto.rsaGenerate(1024); }")
    param = js.evaluate("() => CvCrypto.publicKeyParam(window.testKey)")
    bits = js.evaluate("() => window.testKey.n.toString(2).length")
    assert bits == 1024
    for seed in range(3):
        random_text = activation.new_random_text(random.Random(seed).randbytes)
        challenge = activation.build_challenge(param, random_text)
        assert (
            js.evaluate("(key) => CvCrypto.decryptChallenge(window.testKey, key)", challenge) == random_text
        )
        for password in ["Str0ng-Passw0rd!", "a", "Exactly16chars!!", "Grüße-2024"]:
            sealed = js.evaluate(
                "([r, p]) => CvCrypto.encryptActivationPassword(r, p)", [random_text, password]
            )
            assert sealed == activation.encrypt_password(random_text, password)
            assert activation.decrypt_password(random_text, sealed) == password


def test_rsa_refuses_garbage_and_primality_is_sound(js: Page) -> None:
    garbage = js.evaluate(
        """() => { try { CvCrypto.decryptChallenge(window.testKey || CvCrypto.rsaGenerate(1024), btoa('00'.repeat(128))); return 'opened'; }
                   catch (error) { return 'refused'; } }"""
    )
    assert garbage == "refused"
    primes = [2, 3, 65537, 2147483647, 170141183460469231731687303715884105727]
    composites = [1, 561, 1105, 41041, 3215031751, 2147483647 * 65537]
    verdicts = js.evaluate(
        "(numbers) => numbers.map((n) => CvCrypto.isProbablePrime(BigInt(n), 20))",
        [str(n) for n in primes + composites],
    )
    assert verdicts == [True] * len(primes) + [False] * len(composites)


def test_strength_and_policy_match_the_device(js: Page) -> None:
    samples = [
        "",
        "12345678",
        "abcdefgh",
        "ABCDEFGH",
        "!!!!!!!!",
        "admin",
        "nimda",
        "abcd1234",
        "ABCD1234",
        "abcdEFGH",
        "abcd!!!!",
        "1234!!!!",
        "abcD1234",
        "abcd12!!",
        "Str0ng-Passw0rd!",
        "My-admin-2024",
        "MyADMIN-2024",
        "Abcdefgh12345678!",
        "Pässwort-1234",
        "tab\there12A",
        "😀😀😀😀abcd",
        "short1A",
        "exactly-16-chars",
        *words(7, 60, 20),
    ]
    users = ["admin", "guard", "ab", "Str0ng-Passw0rd!"]
    cases = [(password, user) for password in samples for user in users]
    got = js.evaluate(
        "(cases) => cases.map(([p, u]) => [CvCrypto.strength(p, u), CvCrypto.policyProblems(p, u)])", cases
    )
    for (password, user), (level, problems) in zip(cases, got, strict=True):
        assert level == int(hikvision_strength(password, user)), (password, user)
        assert problems == list(HIKVISION_DEVICE.violations(password, user)), (password, user)
