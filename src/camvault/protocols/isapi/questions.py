"""The security-question table: question id -> the text a Forgot-Password screen shows (research §12.2).

The web UI sends and reads questions by number only (``<Question><id>``, ``setSecurityQA``,
``getQuestionList``, §12.2), and the notes found no id -> text table (§16 gap 6). This table is the one our
emulated device defines, worded like the manuals' prompts; it is a public fact of the protocol as our
device speaks it, so both the device (which offers these questions) and the fleet tool (which shows the
owner what the device will ask) read it from here. A real device may number its questions differently:
a client must fall back to "question <id>" for an id it does not know (:func:`question_text`).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = ["QUESTIONS", "question_text"]

QUESTIONS: Mapping[int, str] = MappingProxyType(
    {
        1: "Your father's name.",
        2: "Your mother's name.",
        3: "Your senior class teacher's name.",
        4: "Your junior class teacher's name.",
        5: "Your primary school teacher's name.",
        6: "Your favourite childhood friend's name.",
        7: "The name of your first pet.",
        8: "The city where you were born.",
        9: "The street you grew up on.",
        10: "Your favourite book.",
    }
)
"""The device's question table, id -> text (ours: the notes found none, §16 gap 6); read-only."""


def question_text(question_id: int) -> str:
    """The text of a question, or a neutral ``"Security question <id>."`` for an id the table lacks."""
    return QUESTIONS.get(question_id, f"Security question {question_id}.")
