"""The owner's files for ``fleet recover``: answers as JSON, bounded and checked before anything is sent."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from camvault.cli.recover import MAX_ANSWERS_FILE, TerminalOwner, _lab_label, _read_answers
from camvault.errors import ConfigurationError
from camvault.fleet.drivers import SecurityQuestion
from camvault.fleet.inventory import DeviceRecord

QUESTIONS = [SecurityQuestion(2, "Your mother's name?"), SecurityQuestion(7, "Your first pet?")]


def test_answers_are_read_by_question_id(tmp_path: Path) -> None:
    path = tmp_path / "answers.json"
    path.write_text('{"2": "Planted-Mother-Ada", "7": "Planted-Pet-Rex", "9": "unused"}')
    assert _read_answers(path, QUESTIONS) == {2: "Planted-Mother-Ada", 7: "Planted-Pet-Rex"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"2": "Planted-Mother-Ada", "7": ', "JSON object"),
        ('["Planted-Mother-Ada"]', "JSON object"),
        ('{"2": 5, "7": "x"}', "JSON object"),
        ('{"two": "a", "7": "b"}', "question ids must be numbers"),
        ('{"2": "Planted-Mother-Ada"}', r"no answer for question\(s\) 7"),
        ("\xff\xfe", "JSON object"),
    ],
)
def test_bad_answer_files_are_refused_without_echoing_them(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "answers.json"
    path.write_bytes(content.encode("latin-1") if content.startswith("\xff") else content.encode())
    with pytest.raises(ConfigurationError, match=message) as caught:
        _read_answers(path, QUESTIONS)
    assert "Planted-Mother-Ada" not in str(caught.value)


def test_an_oversized_answer_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "answers.json"
    path.write_text('{"2": "' + "a" * MAX_ANSWERS_FILE + '"}')
    with pytest.raises(ConfigurationError, match=r"too large|larger"):
        _read_answers(path, QUESTIONS)


def test_the_lab_device_is_found_by_address_and_port_only() -> None:
    record = DeviceRecord.new("front", "hikvision", "127.47.0.2", port=8080)
    manifest = {
        "devices": [
            {"label": "x", "address": "127.47.0.2", "http_port": 81},
            {"label": "cam-1", "address": "127.47.0.2", "http_port": 8080},
        ]
    }
    assert _lab_label(manifest, record) == "cam-1"
    for hostile in ({"devices": "nope"}, ["devices"], {"devices": [None, 3]}, {}):
        with pytest.raises(ConfigurationError, match="not a device of this lab"):
            _lab_label(hostile, record)


def test_a_dash_reads_the_code_from_stdin_when_there_is_no_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("ABCD-EFGH-2345\n"))
    owner = TerminalOwner(
        factory_reset=False,
        yes=False,
        answers_file=None,
        guid_file=None,
        code="-",
        code_file=None,
        request_out=None,
        access_user=None,
        recordings=None,
        lab_state=None,
    )
    assert owner.reset_code() == "ABCD-EFGH-2345"
