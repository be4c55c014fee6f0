from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from camvault.errors import InvalidContent
from camvault.protocols.isapi import session_login
from camvault.protocols.isapi.session_login import (
    irreversible_hash,
    proof_from_irreversible_hash,
    session_password_proof,
    verify_proof,
)

PLANTED = "Pl4nted-S3cret!"
USER = "admin"
SALT = "366e43db1c2f4b4e8e2e6b3c4a0d9f1e2a7b5c8d9e0f1a2b3c4d5e6f7a807c85"  # 64 hex, as §6.2 (shape only)
CHALLENGE = "165528821e2892d6e47365f8a628ebab"  # §6.2 capabilities sample
SALT2 = "9a1b2c3d4e5f60718293a4b5c6d7e8f9"


def sha(data: bytes) -> bytes:
    """SHA-256 hex, as bytes, via hashlib: the test's independent primitive."""
    return hashlib.sha256(data).hexdigest().encode()


def independent_irreversible(user: str, salt: str, pwd: str, challenge: str, iterations: int) -> str:
    """§6.2, counted as "iterations hashes in all" rather than the loop bounds of the implementation."""
    value = sha((user + salt + pwd).encode())
    chain = [challenge.encode()] + [b""] * (iterations - 2)
    for suffix in chain:
        value = sha(value + suffix)
    return value.decode()


def independent_reversible(pwd: str, challenge: str, iterations: int) -> str:
    value = sha(pwd.encode()) + challenge.encode()
    hashed = 0
    while hashed < iterations - 1:
        value = sha(value)
        hashed += 1
    return value.decode()


def independent_salt2(user: str, salt: str, salt2: str, pwd: str, challenge: str, iterations: int) -> str:
    h1 = sha((user + salt + pwd).encode())
    h2 = sha(user.encode() + salt2.encode() + h1)
    value = sha(h2 + challenge.encode())
    for _ in range(iterations - 2):
        value = sha(value)
    return value.decode()


@pytest.mark.parametrize("iterations", [2, 3, 100])
def test_irreversible_proof_matches_an_independent_computation(iterations: int) -> None:
    proof = session_password_proof(
        USER, PLANTED, salt=SALT, challenge=CHALLENGE, iterations=iterations, irreversible=True
    )
    assert proof == independent_irreversible(USER, SALT, PLANTED, CHALLENGE, iterations)
    assert len(proof) == 64
    assert proof == proof.lower()


def test_irreversible_proof_counts_hashes_exactly() -> None:
    # iterations=2: SHA256(SHA256(user+salt+pwd) + challenge) and nothing more.
    inner = hashlib.sha256((USER + SALT + PLANTED).encode()).hexdigest()
    expected = hashlib.sha256((inner + CHALLENGE).encode()).hexdigest()
    assert session_password_proof(
        USER, PLANTED, salt=SALT, challenge=CHALLENGE, iterations=2, irreversible=True
    ) == (expected)


@pytest.mark.parametrize("iterations", [2, 100])
def test_reversible_proof_matches_an_independent_computation(iterations: int) -> None:
    proof = session_password_proof(
        USER, PLANTED, salt=SALT, challenge=CHALLENGE, iterations=iterations, irreversible=False
    )
    assert proof == independent_reversible(PLANTED, CHALLENGE, iterations)
    assert len(proof) == 64


def test_salt2_variant_matches_an_independent_computation() -> None:
    proof = session_password_proof(
        USER, PLANTED, salt=SALT, challenge=CHALLENGE, iterations=100, irreversible=True, salt2=SALT2
    )
    assert proof == independent_salt2(USER, SALT, SALT2, PLANTED, CHALLENGE, 100)
    assert proof != session_password_proof(
        USER, PLANTED, salt=SALT, challenge=CHALLENGE, iterations=100, irreversible=True
    )
    # An empty <salt2/> element counts as absent.
    assert session_password_proof(
        USER, PLANTED, salt=SALT, challenge=CHALLENGE, iterations=100, irreversible=True, salt2=""
    ) == session_password_proof(
        USER, PLANTED, salt=SALT, challenge=CHALLENGE, iterations=100, irreversible=True
    )


def test_device_verifies_from_the_stored_hash_only() -> None:
    stored = irreversible_hash(USER, SALT, PLANTED)
    assert stored == hashlib.sha256(f"{USER}{SALT}{PLANTED}".encode()).hexdigest()
    client = session_password_proof(
        USER, PLANTED, salt=SALT, challenge=CHALLENGE, iterations=100, irreversible=True
    )
    assert proof_from_irreversible_hash(stored, CHALLENGE, 100) == client
    assert verify_proof(client, irreversible_hash=stored, challenge=CHALLENGE, iterations=100)
    assert verify_proof(client.upper(), irreversible_hash=stored, challenge=CHALLENGE, iterations=100)
    assert not verify_proof(client, irreversible_hash=stored, challenge="0" * 32, iterations=100)
    assert not verify_proof(client, irreversible_hash=stored, challenge=CHALLENGE, iterations=99)
    wrong = session_password_proof(
        USER, "wrong", salt=SALT, challenge=CHALLENGE, iterations=100, irreversible=True
    )
    assert not verify_proof(wrong, irreversible_hash=stored, challenge=CHALLENGE, iterations=100)
    for garbage in ("", client[:-1], client + "0", "\u00e9" * 64):
        assert not verify_proof(garbage, irreversible_hash=stored, challenge=CHALLENGE, iterations=100)


def test_device_verifies_the_salt2_variant() -> None:
    stored = irreversible_hash(USER, SALT, PLANTED)
    client = session_password_proof(
        USER, PLANTED, salt=SALT, challenge=CHALLENGE, iterations=100, irreversible=True, salt2=SALT2
    )
    assert verify_proof(
        client, irreversible_hash=stored, challenge=CHALLENGE, iterations=100, salt2=SALT2, username=USER
    )
    assert not verify_proof(client, irreversible_hash=stored, challenge=CHALLENGE, iterations=100)
    with pytest.raises(InvalidContent) as info:
        proof_from_irreversible_hash(stored, CHALLENGE, 100, salt2=SALT2)
    assert info.value.field == "username"


@pytest.mark.parametrize(
    ("iterations", "irreversible"),
    [(-1, True), (0, True), (session_login.MAX_ITERATIONS + 1, True), (1, False), (0, False)],
)
def test_iterations_are_bounded(iterations: int, irreversible: bool) -> None:
    with pytest.raises(InvalidContent) as info:
        session_password_proof(
            USER, PLANTED, salt=SALT, challenge=CHALLENGE, iterations=iterations, irreversible=irreversible
        )
    assert info.value.field == "iterations"
    assert PLANTED not in str(info.value)


def test_one_iteration_hashes_as_two_like_the_web_ui_loop() -> None:
    one = session_password_proof(
        USER, PLANTED, salt=SALT, challenge=CHALLENGE, iterations=1, irreversible=True
    )
    assert one == independent_irreversible(USER, SALT, PLANTED, CHALLENGE, 2)


@pytest.mark.parametrize(
    ("salt", "challenge", "irreversible", "salt2", "field"),
    [
        ("s" * 10_000, CHALLENGE, True, None, "salt"),
        (SALT, "c" * 10_000, True, None, "challenge"),
        (SALT, CHALLENGE, True, "x" * 10_000, "salt2"),
        (SALT, CHALLENGE, False, SALT2, "salt2"),
    ],
)
def test_bad_parameters_are_refused_without_the_password(
    salt: str, challenge: str, irreversible: bool, salt2: str | None, field: str
) -> None:
    with pytest.raises(InvalidContent) as info:
        session_password_proof(
            USER,
            PLANTED,
            salt=salt,
            challenge=challenge,
            iterations=100,
            irreversible=irreversible,
            salt2=salt2,
        )
    assert info.value.field == field
    assert PLANTED not in str(info.value)


@pytest.mark.parametrize("stored", ["", "g" * 64, "a" * 63, "a" * 65])
def test_malformed_stored_hash_is_refused(stored: str) -> None:
    with pytest.raises(InvalidContent):
        proof_from_irreversible_hash(stored, CHALLENGE, 100)


def test_random_values_have_the_device_shapes() -> None:
    def counting(n: int) -> bytes:
        return bytes(range(n))

    assert session_login.new_challenge(counting) == bytes(range(16)).hex()
    assert len(session_login.new_salt(counting)) == 64
    assert len(session_login.new_session_id(counting)) == 64
    assert session_login.new_challenge() != session_login.new_challenge()
    assert session_login.new_session_id() != session_login.new_session_id()
    for value in (session_login.new_challenge(), session_login.new_salt(), session_login.new_session_id()):
        assert value == value.lower()
        int(value, 16)


@settings(max_examples=40, deadline=None)
@given(
    user=st.text(max_size=20),
    password=st.text(max_size=40),
    challenge=st.text(alphabet="0123456789abcdef", min_size=32, max_size=32),
    iterations=st.integers(min_value=2, max_value=12),
)
def test_client_and_device_agree(user: str, password: str, challenge: str, iterations: int) -> None:
    stored = irreversible_hash(user, SALT, password)
    proof = session_password_proof(
        user, password, salt=SALT, challenge=challenge, iterations=iterations, irreversible=True
    )
    assert proof == independent_irreversible(user, SALT, password, challenge, iterations)
    assert verify_proof(proof, irreversible_hash=stored, challenge=challenge, iterations=iterations)


def test_stray_surrogates_fail_verification_instead_of_crashing() -> None:
    stored = irreversible_hash(USER, SALT, PLANTED)
    assert not verify_proof("\udc80" * 64, irreversible_hash=stored, challenge=CHALLENGE, iterations=100)
    assert not verify_proof(
        session_password_proof(
            "\ud800", PLANTED, salt=SALT, challenge=CHALLENGE, iterations=100, irreversible=True
        ),
        irreversible_hash=stored,
        challenge=CHALLENGE,
        iterations=100,
    )
