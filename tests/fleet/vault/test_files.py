from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from camvault.errors import ConfigurationError
from camvault.fleet.vault import SHRED_LIMITS, read_bounded, shred_file, write_private_file
from tests.fleet.vault.conftest import PLANTED


def test_private_files_are_owner_only_and_never_clobbered(tmp_path: Path) -> None:
    target = tmp_path / "export.kdbx"
    write_private_file(target, b"first")
    assert target.read_bytes() == b"first"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    with pytest.raises(ConfigurationError, match="already exists"):
        write_private_file(target, b"second")
    assert target.read_bytes() == b"first"
    write_private_file(target, b"second", overwrite=True)
    assert target.read_bytes() == b"second"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["export.kdbx"]  # no temporary left


def test_unwritable_destination_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="cannot write"):
        write_private_file(tmp_path / "missing-dir" / "x.kdbx", b"data")


def test_shred_overwrites_the_bytes_before_deleting(tmp_path: Path) -> None:
    source = tmp_path / "passwords.csv"
    content = f"ip,password\n10.0.0.1,{PLANTED}\n".encode() * 100
    source.write_bytes(content)
    witness = tmp_path / "witness"
    os.link(source, witness)  # a second name for the same inode shows what shredding did to the data
    shred_file(source, random_bytes=lambda size: b"\xaa" * size)
    assert not source.exists()
    assert witness.read_bytes() == b"\xaa" * len(content)


def test_shred_refuses_symlinks_and_missing_files(tmp_path: Path) -> None:
    target = tmp_path / "real.csv"
    target.write_bytes(PLANTED.encode())
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    with pytest.raises(ConfigurationError, match="cannot shred"):
        shred_file(link)
    assert target.read_bytes() == PLANTED.encode()
    with pytest.raises(ConfigurationError, match="cannot shred"):
        shred_file(tmp_path / "absent.csv")


def test_shred_limits_are_spelled_out() -> None:
    for caveat in ("SSD", "copy-on-write", "backups", "Full-disk encryption"):
        assert caveat in SHRED_LIMITS


def test_read_bounded_refuses_large_and_missing_files(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_bytes(b"x" * 101)
    assert read_bounded(path, max_bytes=101) == b"x" * 101
    with pytest.raises(ConfigurationError, match="larger"):
        read_bounded(path, max_bytes=100)
    with pytest.raises(ConfigurationError, match="cannot read"):
        read_bounded(tmp_path / "absent.csv")
