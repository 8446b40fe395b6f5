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


def _data_step_script():
    from lstm_forecast.data.loading import load_csv
    from lstm_forecast.ui.data_step import show_data

    rows = b"".join(b"2021-01-%02d 0%d:00,5\n" % (d, d % 2) for d in range(1, 21))  # odd days at 01:00
    show_data(load_csv(b"date,![t](http://x)\n" + rows))


def test_the_data_step_shows_warnings_defaults_and_the_frequency_in_words_escaped():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_data_step_script, default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    assert {m.label: m.value for m in at.metric}["Frequency"] == "daily"
    [warning] = [w.value for w in at.warning]
    assert unescape(warning).startswith("'![t](http://x)' has the same value (5) in every row")
    assert every_mark_escaped(warning)
    shown = "\n".join(c.value for c in at.caption)
    assert r"**Target** \!\[t\]\(http\:\/\/x\)\: the only numeric column" in shown
    assert "**Frequency** D \\(daily\\)" in shown
    [repairs] = [m.value for m in at.markdown if m.value.startswith("- ")]
    assert unescape(repairs) == "- moved 10 timestamps onto the regular 'D' grid (e.g. 2021-01-01 01:00 -> 2021-01-01)"
