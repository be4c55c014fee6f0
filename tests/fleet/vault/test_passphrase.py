from __future__ import annotations

import os
from pathlib import Path

import pytest

from camvault.errors import ConfigurationError
from camvault.fleet.vault import PASSPHRASE_ENV, read_key_file, read_passphrase
from tests.fleet.vault.conftest import PLANTED


def _key_file(tmp_path: Path, content: bytes, mode: int = 0o600) -> Path:
    path = tmp_path / "vault.key"
    path.write_bytes(content)
    path.chmod(mode)
    return path


def test_key_file_wins_over_environment_and_prompt(tmp_path: Path) -> None:
    path = _key_file(tmp_path, b"from the key file\n")
    asked: list[str] = []
    found = read_passphrase(
        key_file=path,
        environ={PASSPHRASE_ENV: "from the environment"},
        prompt=lambda text, confirm: asked.append(text) or "typed",
    )
    assert found == "from the key file"
    assert asked == []


def test_environment_wins_over_prompt() -> None:
    found = read_passphrase(environ={PASSPHRASE_ENV: "from env"}, prompt=lambda text, confirm: "typed")
    assert found == "from env"


def test_prompt_is_used_last_and_asked_to_confirm() -> None:
    calls: list[tuple[str, bool]] = []

    def prompt(text: str, confirm: bool) -> str:
        calls.append((text, confirm))
        return "typed passphrase"

    assert read_passphrase(environ={}, prompt=prompt, prompt_text="New passphrase", confirm=True) == (
        "typed passphrase"
    )
    assert calls == [("New passphrase", True)]


def test_no_source_is_a_clear_error() -> None:
    with pytest.raises(ConfigurationError, match=PASSPHRASE_ENV):
        read_passphrase(environ={}, prompt=None)


def test_empty_environment_variable_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="empty"):
        read_passphrase(environ={PASSPHRASE_ENV: ""})


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o620, 0o602])
def test_group_or_world_accessible_key_file_is_refused(tmp_path: Path, mode: int) -> None:
    path = _key_file(tmp_path, PLANTED.encode(), mode)
    with pytest.raises(ConfigurationError) as caught:
        read_key_file(path)
    message = str(caught.value)
    assert f"chmod 600 {path}" in message
    assert f"{mode:04o}" in message
    assert PLANTED not in message


@pytest.mark.parametrize(
    ("content", "expected"),
    [(b"secret phrase\n", "secret phrase"), (b"secret phrase\r\n", "secret phrase"), (b" two\n\n", " two\n")],
)
def test_key_file_content_drops_one_trailing_newline(tmp_path: Path, content: bytes, expected: str) -> None:
    assert read_key_file(_key_file(tmp_path, content)) == expected


@pytest.mark.parametrize(
    ("content", "reason"),
    [(b"", "empty"), (b"\n", "empty"), (b"\xff\xfe\x00", "UTF-8"), (b"x" * 70000, "larger")],
)
def test_unusable_key_file_content_is_refused(tmp_path: Path, content: bytes, reason: str) -> None:
    with pytest.raises(ConfigurationError, match=reason):
        read_key_file(_key_file(tmp_path, content))


def test_missing_key_file_and_directory_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="cannot open"):
        read_key_file(tmp_path / "absent.key")
    directory = tmp_path / "dir"
    directory.mkdir(mode=0o700)
    with pytest.raises(ConfigurationError, match="not a regular file"):
        read_key_file(directory)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give the file to another user")
def test_key_file_of_another_user_is_refused(tmp_path: Path) -> None:
    path = _key_file(tmp_path, b"phrase phrase")
    os.chown(path, 65534, 65534)
    with pytest.raises(ConfigurationError, match="another user"):
        read_key_file(path)
