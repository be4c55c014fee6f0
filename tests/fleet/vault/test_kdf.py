from __future__ import annotations

import pytest
from argon2.low_level import Type, hash_secret_raw

from camvault.errors import InvalidContent
from camvault.fleet.vault.kdf import RFC9106_LOW_MEMORY, KdfParams, derive_key
from tests.fleet.vault.conftest import FAST_KDF

SALT = bytes(range(16))


def test_default_is_rfc9106_second_recommended_option() -> None:
    assert (RFC9106_LOW_MEMORY.algorithm, RFC9106_LOW_MEMORY.version) == ("argon2id", 19)
    assert (RFC9106_LOW_MEMORY.time_cost, RFC9106_LOW_MEMORY.memory_kib, RFC9106_LOW_MEMORY.parallelism) == (
        3,
        65536,
        4,
    )
    assert RFC9106_LOW_MEMORY.describe() == "argon2id v19 t=3 m=65536KiB p=4"


def test_derivation_is_argon2id_v19_with_the_given_parameters() -> None:
    """Pins the wiring: type ID (not I or D), version 0x13, the parameters as given, a 32-byte tag."""
    expected = hash_secret_raw(b"pass phrase", SALT, 3, 65536, 4, 32, Type.ID, 19)
    assert derive_key("pass phrase", SALT, RFC9106_LOW_MEMORY) == expected
    assert derive_key("pass phrase", SALT, RFC9106_LOW_MEMORY) != hash_secret_raw(
        b"pass phrase", SALT, 3, 65536, 4, 32, Type.I, 19
    )


def test_key_depends_on_passphrase_salt_and_parameters() -> None:
    key = derive_key("passphrase-one", SALT, FAST_KDF)
    assert len(key) == 32
    assert key == derive_key("passphrase-one", SALT, FAST_KDF)
    assert key != derive_key("passphrase-two", SALT, FAST_KDF)
    assert key != derive_key("passphrase-one", bytes(16), FAST_KDF)
    assert key != derive_key("passphrase-one", SALT, KdfParams(2, 8, 1))


def test_passphrase_is_nfc_normalised() -> None:
    composed, decomposed = "caf\u00e9 passphrase", "cafe\u0301 passphrase"
    assert derive_key(composed, SALT, FAST_KDF) == derive_key(decomposed, SALT, FAST_KDF)


@pytest.mark.parametrize(
    "params",
    [
        KdfParams(0, 8, 1),
        KdfParams(65, 8, 1),
        KdfParams(1, 7, 1),
        KdfParams(1, 16, 4),
        KdfParams(1, 8 * 1024 * 1024, 1),
        KdfParams(1, 8, 0),
        KdfParams(1, 8, 1, algorithm="argon2d"),
        KdfParams(1, 8, 1, version=16),
    ],
)
def test_out_of_range_parameters_are_refused(params: KdfParams) -> None:
    with pytest.raises(InvalidContent):
        derive_key("passphrase", SALT, params)


@pytest.mark.parametrize("salt", [b"", bytes(15), bytes(65)])
def test_bad_salt_lengths_are_refused(salt: bytes) -> None:
    with pytest.raises(InvalidContent):
        derive_key("passphrase", salt, FAST_KDF)
