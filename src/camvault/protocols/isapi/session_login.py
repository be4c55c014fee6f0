"""ISAPI ``sessionLogin`` password hashing (research notes hikvision.md §6.2), for both ends.

The web UI, NVRs and newer cameras log in with a challenge-response: ``GET
/ISAPI/Security/sessionLogin/capabilities`` hands out a ``salt`` (per user, 64 hex), a ``challenge`` (32 hex,
per login), an ``iterations`` count (100 in practice) and ``isIrreversible``; the client then posts a 64-hex
proof computed from the password. The document codecs live in :mod:`camvault.protocols.isapi.documents`;
this module only does the hashing.

Proof, SHA-256 as lowercase hex, string concatenation (§6.2; the same as Hikvision's web UI ``encodePwd``
and the ``hikvision-isapi-cli`` client):

* ``isIrreversible=true``: ``h = SHA256(user + salt + pwd)``, ``h = SHA256(h + challenge)``, then
  ``h = SHA256(h)`` for ``iterations - 2`` more rounds (so ``iterations`` hashes in all, and never fewer
  than two).
* ``isIrreversible=false``: ``h = SHA256(pwd) + challenge``, then ``h = SHA256(h)`` for ``iterations - 1``
  rounds. The device could only check this one by keeping ``SHA256(pwd)``, so camvault implements it **for
  clients only**; the emulated device always advertises ``isIrreversible=true``.
* AX PRO ``salt2`` variant (one source): ``h1 = SHA256(user + salt + pwd)``,
  ``h2 = SHA256(user + salt2 + h1)``, ``h = SHA256(h2 + challenge)``, "then iterate". The source does not
  say how many rounds; we iterate as in the irreversible case (``iterations - 2`` more rounds after the
  challenge step), the reading that keeps the web UI's loop unchanged.

A device stores ``irreversible_hash = SHA256(user + salt + pwd)`` and never the password, and checks a proof
with :func:`verify_proof` from that value alone.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable

from cryptography.hazmat.primitives import constant_time, hashes

from camvault.errors import InvalidContent

__all__ = [
    "MAX_ITERATIONS",
    "RandomBytes",
    "irreversible_hash",
    "new_challenge",
    "new_salt",
    "new_session_id",
    "proof_from_irreversible_hash",
    "session_password_proof",
    "verify_proof",
]

MAX_ITERATIONS = 100_000
"""Most hash rounds computed for one proof (real devices ask for 100); the ISAPI document parser's bound."""

RandomBytes = Callable[[int], bytes]
"""A source of random bytes, ``rng(n) -> n bytes``; :func:`secrets.token_bytes` unless a test injects one."""

_MAX_PARAMETER_LENGTH = 512
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")


def _sha256_hex(text: str) -> str:
    digest = hashes.Hash(hashes.SHA256())
    # surrogatepass: a stray surrogate from a lenient decoder must give a non-matching hash, not a crash.
    digest.update(text.encode("utf-8", "surrogatepass"))
    return digest.finalize().hex()


def _iterate(value: str, rounds: int) -> str:
    for _ in range(rounds):
        value = _sha256_hex(value)
    return value


def _check_iterations(iterations: int, minimum: int) -> None:
    if not minimum <= iterations <= MAX_ITERATIONS:
        raise InvalidContent(f"iterations must be between {minimum} and {MAX_ITERATIONS}", field="iterations")


def _check_parameter(value: str, name: str) -> None:
    if len(value) > _MAX_PARAMETER_LENGTH:
        raise InvalidContent(f"{name} is longer than {_MAX_PARAMETER_LENGTH} characters", field=name)


def _check_irreversible_hash(value: str) -> str:
    if not _HEX64.fullmatch(value):
        raise InvalidContent("an irreversible hash must be 64 hex digits", field="irreversible_hash")
    return value.lower()


def irreversible_hash(username: str, salt: str, password: str) -> str:
    """Return ``SHA256hex(username + salt + password)``: what a device stores instead of the password.

    The same value keys ``security=1`` field encryption (§6.3) and the SADP ``update`` proof (§13.6).

    Raises:
        InvalidContent: the salt is implausibly long.
    """
    _check_parameter(salt, "salt")
    return _sha256_hex(username + salt + password)


def proof_from_irreversible_hash(
    irreversible_hash: str,
    challenge: str,
    iterations: int,
    *,
    salt2: str | None = None,
    username: str | None = None,
) -> str:
    """Compute the irreversible-mode proof from the stored hash, as the device does to check a login.

    Args:
        irreversible_hash: ``SHA256hex(user + salt + pwd)``, 64 hex digits.
        challenge: the challenge handed out with the capabilities.
        iterations: the advertised ``iterations``.
        salt2: the AX PRO second salt, if the device advertises one (``""`` counts as absent).
        username: the account name; needed with ``salt2``.

    Returns:
        64 lowercase hex digits.

    Raises:
        InvalidContent: an argument is out of range or malformed, or ``salt2`` comes without ``username``.
    """
    _check_iterations(iterations, 1)
    _check_parameter(challenge, "challenge")
    value = _check_irreversible_hash(irreversible_hash)
    if salt2:
        _check_parameter(salt2, "salt2")
        if username is None:
            raise InvalidContent("the salt2 variant needs the username", field="username")
        value = _sha256_hex(username + salt2 + value)
    return _iterate(_sha256_hex(value + challenge), max(iterations - 2, 0))


def session_password_proof(
    username: str,
    password: str,
    *,
    salt: str,
    challenge: str,
    iterations: int,
    irreversible: bool,
    salt2: str | None = None,
) -> str:
    """Compute the ``<password>`` of a ``<SessionLogin>`` request, as a client does.

    Args:
        username: the account name.
        password: the account password.
        salt: the user's salt from the capabilities.
        challenge: the login challenge from the capabilities.
        iterations: the advertised ``iterations``, up to :data:`MAX_ITERATIONS`; at least 1 in irreversible
            mode (1 hashes as 2 do, as the web UI's loop does) and 2 otherwise (1 would send a non-hash).
        irreversible: the advertised ``isIrreversible``.
        salt2: the AX PRO second salt, if advertised (``""`` counts as absent).

    Returns:
        64 lowercase hex digits.

    Raises:
        InvalidContent: ``iterations`` is out of range, a parameter is implausibly long, or ``salt2`` is
            given with ``irreversible=False`` (no source shows that combination, and guessing would spend one
            of the device's few login attempts).
    """
    _check_parameter(challenge, "challenge")
    if irreversible:
        return proof_from_irreversible_hash(
            irreversible_hash(username, salt, password), challenge, iterations, salt2=salt2, username=username
        )
    if salt2:
        raise InvalidContent("salt2 is only known with isIrreversible=true", field="salt2")
    _check_iterations(iterations, 2)
    return _iterate(_sha256_hex(password) + challenge, iterations - 1)


def verify_proof(
    proof: str,
    *,
    irreversible_hash: str,
    challenge: str,
    iterations: int,
    salt2: str | None = None,
    username: str | None = None,
) -> bool:
    """Check a client's proof against the stored irreversible hash, in constant time.

    Args:
        proof: the ``<password>`` the client posted (hex; case is ignored).
        irreversible_hash: the stored ``SHA256hex(user + salt + pwd)``.
        challenge: the challenge this login was given.
        iterations: the advertised ``iterations``.
        salt2: the second salt, for a device that advertises one.
        username: the account name; needed with ``salt2``.

    Returns:
        ``True`` when the proof matches.

    Raises:
        InvalidContent: the device-side arguments are out of range (never for a bad ``proof``).
    """
    expected = proof_from_irreversible_hash(
        irreversible_hash, challenge, iterations, salt2=salt2, username=username
    )
    if len(proof) != len(expected):
        return False
    return constant_time.bytes_eq(expected.encode("ascii"), proof.lower().encode("utf-8", "surrogatepass"))


def new_challenge(rng: RandomBytes = secrets.token_bytes) -> str:
    """Return a login challenge: 16 random bytes as 32 lowercase hex digits, the captured shape (§6.2)."""
    return rng(16).hex()


def new_salt(rng: RandomBytes = secrets.token_bytes) -> str:
    """Return a per-user salt: 32 random bytes as 64 lowercase hex digits, the shape of §6.2 and §13.3."""
    return rng(32).hex()


def new_session_id(rng: RandomBytes = secrets.token_bytes) -> str:
    """Return a session id for the ``WebSession`` cookie: 32 random bytes as 64 lowercase hex digits.

    No real session id is quoted in the notes (§16 gap 1); a 64-hex value is our choice: opaque to clients,
    which echo the cookie, and too long to guess.
    """
    return rng(32).hex()
