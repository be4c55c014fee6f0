"""The threat model's worked numbers are checked, so the document cannot drift from the facts."""

from __future__ import annotations

import re
from pathlib import Path

from camvault.protocols import resetcode

DOC = Path(__file__).resolve().parents[2] / "docs" / "threat-model.md"


def legacy_security_code(serial: str, yyyymmdd: str) -> tuple[int, int, str]:
    """The legacy algorithm of hikvision.md §14.2, here only to check the document's counter-example."""
    seed = serial + yyyymmdd
    magic = sum(((i * ord(c)) ^ i) for i, c in enumerate(seed, start=1))
    secret = (magic * 1751873395) % 2**32
    return magic, secret, "".join("QRSqrdeyz"[int(d)] if d != "9" else d for d in str(secret))


def test_worked_legacy_example_matches_the_document() -> None:
    text = " ".join(DOC.read_text(encoding="utf-8").split())
    magic, secret, code = legacy_security_code("DS-ABC1234567-HIJKLMNOPQRS10987654321", "20170125")
    assert code == "SyrReQQe99"  # the value the research notes verified against two public tools
    assert f"`magic` = {magic}" in text
    assert f"= {secret}" in text
    assert f"`{code}`" in text


def test_typed_code_length_claims_match_the_format() -> None:
    text = DOC.read_text(encoding="utf-8")
    groups = re.search(r"(\d+) Crockford\s+base32 symbols .*? in (\d+) groups of (\d+)", text, re.DOTALL)
    assert groups
    symbols, count, size = (int(g) for g in groups.groups())
    assert symbols == resetcode.TYPED_CODE_LENGTH == count * size
