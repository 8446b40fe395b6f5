"""escape_markdown: user text shown through st.markdown stays text."""
from __future__ import annotations

import re
import string

from hypothesis import given, settings
from hypothesis import strategies as st

from lstm_forecast.ui.text import escape_markdown


def unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def every_mark_escaped(text: str) -> bool:
    """True when each ASCII punctuation mark is escaped by the backslash just before it."""
    i = 0
    while i < len(text):
        if text[i] == "\\":
            if i + 1 >= len(text) or text[i + 1] not in string.punctuation:
                return False
            i += 2
        elif text[i] in string.punctuation:
            return False
        else:
            i += 1
    return True


def test_an_image_link_in_a_header_stays_text():
    line = "dropped 1 non-numeric column(s): ['![t](http://x)']"
    escaped = escape_markdown(line)
    assert "![" not in escaped and "](" not in escaped
    assert escaped.startswith(r"dropped 1 non\-numeric column\(s\)\: \[\'\!\[t\]\(http\:\/\/x\)\'\]")


@settings(max_examples=200, deadline=None, database=None)
@given(st.text())
def test_escaping_keeps_the_text_and_disarms_every_mark(text):
    escaped = escape_markdown(text)
    assert "\n" not in escaped and "\r" not in escaped
    assert every_mark_escaped(escaped)
    assert unescape(escaped) == " ".join(text.splitlines())
