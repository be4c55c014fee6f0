"""The security-question table shared by the device and the fleet tool."""

from __future__ import annotations

import pytest

from camvault.device.model import recovery as device_recovery
from camvault.protocols.isapi.questions import QUESTIONS, question_text


def test_the_table_has_enough_distinct_questions() -> None:
    assert len(QUESTIONS) >= 3, "the manuals ask for three questions (§12.2)"
    assert len(set(QUESTIONS.values())) == len(QUESTIONS)
    assert all(question_id >= 1 for question_id in QUESTIONS)


def test_the_table_is_read_only() -> None:
    with pytest.raises(TypeError):
        QUESTIONS[1] = "changed"  # type: ignore[index]


def test_known_and_unknown_ids_have_a_text() -> None:
    assert question_text(7) == QUESTIONS[7] == "The name of your first pet."
    assert question_text(99) == "Security question 99."


def test_the_device_offers_exactly_this_table() -> None:
    assert device_recovery.QUESTIONS is QUESTIONS
