"""Draw a chart built with Altair, paying for building and validating it once per session.

`st.altair_chart` re-runs Altair's `to_dict()` (schema validation included) on every rerun, tens of
milliseconds per chart. Here the Vega-Lite spec is memoised under a key that names everything the
chart depends on, and reruns send the stored spec. The chart is the same Altair chart.
"""
from __future__ import annotations

from typing import Any, Callable

import altair as alt
import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from .state import memo


def show_chart(key: tuple, build: Callable[[], alt.TopLevelMixin], *, where: Any = None, width: str | None = None) -> None:
    """Render `build()`; `key` must change whenever the chart's data or options do.

    Single and layered charts stretch to the column; stacked (concatenated) ones keep their own
    width, since Vega-Lite cannot fit a concatenation to a container and would overflow it.
    """
    # Schema validation is done by the chart tests (tests/ui/test_charts.py calls to_dict() on every
    # builder); here it would only cost time on each chart's first draw.
    spec = memo(("chart", *key), lambda: build().to_dict(validate=False))
    stacked = any(k in spec for k in ("vconcat", "hconcat", "concat"))
    (where or st).vega_lite_chart(spec=spec, width=width or ("content" if stacked else "stretch"))


WAITING = (
    ("2. Configure", "Waits for data: the settings' defaults come from the series (its season and length)."),
    ("3. Train", "Waits for data and a press on **Train** in the sidebar."),
    ("4. Forecast and compare", "Waits for a trained model: its forecast beside the baselines, and a leaderboard."),
    ("5. Look inside", "Waits for a trained model: its gates and states, traced from the trained weights."),
)


def show_waiting() -> None:
    """The headings of steps 2 to 5 before any data is loaded, each saying what it waits for."""
    for heading, text in WAITING:
        st.header(heading)
        st.caption(text)


PAGES = (("app.py", "One series", ":material/show_chart:"),  # Streamlit's own icon font: emoji need a system font
         ("pages/1_Learn.py", "Learn: why LSTMs exist", ":material/school:"),
         ("pages/2_Panels.py", "Panels: many series", ":material/stacked_line_chart:"),
         ("pages/3_Sweeps.py", "Sweeps", ":material/tune:"))  # paths from app.py's folder, as `streamlit run app.py` sees them


def show_pages() -> None:
    """The dashboard's pages as one row of links under the title. The sidebar's own page list is off
    (.streamlit/config.toml): it pushed the Train button below the fold of a 900-px window."""
    row = st.container(horizontal=True, gap="medium")
    for path, label, icon in PAGES:
        try:
            row.page_link(path, label=label, icon=icon)
        except (StreamlitPageNotFoundError, KeyError):  # a page run on its own (AppTest) knows no others;
            continue  # streamlit 1.56 says so with a KeyError
