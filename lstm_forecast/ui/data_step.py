"""Step 1, Data: choose a source, load it (cached by content), show what was found and repaired."""
from __future__ import annotations

import io
import time

import numpy as np
import pandas as pd
import streamlit as st

from ..data.frequency import describe_freq
from ..data.loading import load_csv
from ..data.source import of_upload
from ..data.samples import SAMPLES, load_sample
from ..data.series import LoadedSeries
from ..data.yahoo import FIELDS, INTERVALS, fetch_yahoo
from ..errors import UserError
from ..inspect.time_bins import downsample
from ..config import Config
from ..prepare import decide_season
from ..seasonality import phase_and_cycle, phase_label
from . import charts, forecast_charts
from ..runs import data_key
from .render import show_chart
from .state import UPLOADED, help_text, memo
from .text import escape_markdown

SOURCES = ("Sample", "Upload CSV", "Yahoo ticker")
SOURCE_LABELS = {"Sample": "Sample", "Upload CSV": "CSV", "Yahoo ticker": "Yahoo"}
HISTORY = ("1mo", "3mo", "6mo", "1y", "2y", "5y", "10y", "max")
MAX_SHADED_CYCLES = 60
FREQ_CHOICES = ("detected", "h", "D", "B", "W-SUN", "W-MON", "MS", "QS", "YS")
ENVELOPE_FROM = 1_600  # points: a longer series is drawn as ENVELOPE_BINS bins (mean line, min-max band)
ENVELOPE_BINS = 800  # about one bin per pixel of a wide column: no solid block of zig-zags
_UNITS = {"m": "minute", "h": "hour", "d": "day", "wk": "week", "mo": "month", "y": "year"}


def in_words(code: str) -> str:
    """Yahoo's interval and history codes in words: '1d' -> '1 day', '15m' -> '15 minutes', 'max' -> 'all'."""
    if code == "max":
        return "all"
    number = code.rstrip("abcdefghijklmnopqrstuvwxyz")
    unit = _UNITS.get(code[len(number):])
    if not number or unit is None:
        return code
    return f"{number} {unit}" + ("s" if number != "1" else "")


@st.cache_data(show_spinner="Loading the sample…", max_entries=16)
def _sample(name: str) -> LoadedSeries:
    return load_sample(name)


@st.cache_data(show_spinner="Reading the file…", max_entries=16)
def _csv(data: bytes, name: str, date_col: str | None, freq: str | None, keep_markers: bool = False) -> LoadedSeries:
    buffer = io.BytesIO(data)
    buffer.name = name
    loaded = load_csv(buffer, date_col=date_col, freq=freq, keep_markers=keep_markers)
    # an upload has no path to reopen it by: its name and SHA-256 now, its bytes beside the runs at save
    loaded.origin = of_upload(data, name, date_col=date_col, freq=freq,
                              keep_markers=keep_markers).with_value(loaded.value_col)
    return loaded


@st.cache_data(show_spinner="Fetching from Yahoo Finance…", max_entries=16, ttl=12 * 3600)
def _yahoo(ticker: str, period: str | None, start, end, interval: str, field: str,
           refreshed_at: float | None = None) -> LoadedSeries:
    # Exceptions are never cached, and fetch_yahoo returns only validated prices, so nothing bad is
    # kept here. refreshed_at: the time "Fetch again" was pressed, a new key that skips both caches.
    return fetch_yahoo(ticker, period=period, start=start, end=end, interval=interval, field=field,
                       refresh=refreshed_at is not None)


def input_data() -> LoadedSeries | None:
    """Sidebar widgets for the source; returns the loaded series, or None (with a message shown)."""
    st.sidebar.header("1. Data")
    source = st.sidebar.radio("Source", SOURCES, horizontal=True, help=help_text("data", "source"), key="source",
                              format_func=SOURCE_LABELS.get)  # short, so the choice fits on one line
    try:
        if source == "Sample":
            name = st.sidebar.selectbox("Sample", list(SAMPLES), key="sample", help=help_text("data", "sample"),
                                        format_func=lambda k: f"{k} — {SAMPLES[k].description}")
            loaded = _sample(name)
        elif source == "Upload CSV":
            loaded = _input_csv()
        else:
            loaded = _input_yahoo()
        if loaded is None:
            return None
        return _input_value_col(loaded)
    except UserError as exc:
        st.error(f"**Could not load the data.** {escape_markdown(exc)}")
        return None


def _input_csv() -> LoadedSeries | None:
    upload = st.sidebar.file_uploader("CSV file", type=["csv", "txt", "tsv"], key="upload",
                                      help=help_text("data", "upload"))
    if upload is None:
        st.info("Upload a CSV in the sidebar, or pick a bundled sample. Dates, separators and decimal "
                "marks are detected; you can override what was found.")
        return None
    with st.sidebar.expander("Override detection"):
        date_col = st.text_input("Date column", key="date_col", help=help_text("data", "date_col")).strip() or None
        freq = st.selectbox("Frequency", FREQ_CHOICES, key="freq_override",
                            format_func=lambda f: "as detected" if f == "detected" else describe_freq(f),
                            help="The step between observations; 'as detected' uses what the loader found.")
        keep_markers = st.checkbox("Keep marker values", key="keep_markers", help=help_text("data", "keep_markers"))
    data = upload.getvalue()
    loaded = _csv(data, upload.name, date_col, None if freq == "detected" else freq, keep_markers)
    st.session_state[UPLOADED] = {loaded.origin.sha256: data}  # the bytes a run saved from it will store
    return loaded


def _input_yahoo() -> LoadedSeries | None:
    with st.sidebar.form("yahoo"):
        ticker = st.text_input("Ticker", value="AAPL", help=help_text("data", "ticker"))
        span = st.radio("Range", ("History", "Dates"), horizontal=True)
        period = st.selectbox("History", HISTORY, index=HISTORY.index("2y"), format_func=in_words,
                              help=help_text("data", "history"))
        today = pd.Timestamp.today().normalize()
        dates = st.date_input("Dates", value=(today - pd.DateOffset(years=2), today),
                              help="Start and end, used when Range is 'Dates'.")
        interval = st.selectbox("Interval", INTERVALS, index=list(INTERVALS).index("1d"), format_func=in_words,
                                help=help_text("data", "interval"))
        field = st.selectbox("Field", FIELDS, index=list(FIELDS).index("Close"), help=help_text("data", "field"))
        fetched = st.form_submit_button("Fetch")
        again = st.form_submit_button("Fetch again (ignore the cache)")
    if fetched or again:
        if span == "Dates" and len(dates) == 2:
            request = (ticker.strip().upper(), None, str(dates[0]), str(dates[1]), interval, field)
        else:
            request = (ticker.strip().upper(), period, None, None, interval, field)
        st.session_state["yahoo_request"] = (*request, time.time() if again else None)
        st.session_state.pop("yahoo_failed", None)  # a press always tries again
    request = st.session_state.get("yahoo_request")
    if request is None:
        st.info("Enter a ticker in the sidebar and press **Fetch**. Prices are cached on disk for 12 hours.")
        return None
    last_good = st.session_state.get("yahoo_last_good")
    failed = st.session_state.get("yahoo_failed")
    try:
        if failed is not None and failed[0] == request:  # not again on every rerun: only when pressed
            raise UserError(failed[1])
        loaded = _yahoo(*request)
    except UserError as exc:
        st.session_state["yahoo_failed"] = (request, str(exc))
        if last_good is None:
            raise
        st.error(f"**Could not fetch {escape_markdown(repr(request[0]))}.** {escape_markdown(exc)}  \nStill showing the last "
                 f"data fetched: {escape_markdown(last_good.source)}.")
        return last_good
    st.session_state["yahoo_last_good"] = loaded
    return loaded


def _input_value_col(loaded: LoadedSeries) -> LoadedSeries:
    columns = list(loaded.frame.columns)
    if len(columns) > 1:
        value_col = st.sidebar.selectbox("Column to forecast", columns, index=columns.index(loaded.value_col),
                                         key=f"value_col::{loaded.source}", help=help_text("data", "value_col"))
        if value_col != loaded.value_col:
            return loaded.with_value(value_col)
    return loaded


def show_data(loaded: LoadedSeries) -> None:
    """The main-page data panel, under the "1. Data" heading: numbers, the repair report, a preview and the
    series with its season."""
    key = data_key(loaded)
    values = loaded.series.to_numpy(dtype=float)
    choice = memo(("season", key), lambda: decide_season(loaded, Config()))  # the one training will use
    frequency = describe_freq(loaded.freq)
    short, _, detail = frequency.partition(" (")
    with st.container(horizontal=True, gap="large"):  # metrics wrap onto a new line rather than being cut
        st.metric("Points", f"{len(values):,}", width="content")
        st.metric("Frequency", short, width="content", help=frequency)
        st.metric("Season", f"{choice.period} steps" if choice.period > 1 else "none found", width="content")
        st.metric("Forecasting", charts.column_title(loaded.value_col), width="content")
    facts = [loaded.source, f"date column: {loaded.date_col or 'none (row order)'}",
             f"every step: {detail.rstrip(')')}" if detail else "", choice.note]
    st.caption(escape_markdown(" · ".join(f for f in facts if f)))
    for warning in loaded.warnings:
        st.warning(escape_markdown(warning))
    chosen = {"Date column": "date_col", "Target": "value_col", "Frequency": "freq"}  # what the loader chose, and why
    reasons = [f"**{role}** {escape_markdown(loaded.defaults[k])}" for role, k in chosen.items() if k in loaded.defaults]
    if reasons:
        st.caption("  \n".join(reasons))
    if loaded.report:
        with st.expander(f"Repairs made while loading ({len(loaded.report)})", expanded=False):
            st.markdown("\n".join(f"- {escape_markdown(line)}" for line in loaded.report))
    with st.expander("Preview"):
        st.dataframe(pd.concat([loaded.frame.head(5), loaded.frame.tail(5)]), width="stretch")
    show_chart(("series", key), lambda: _series_chart(loaded, values, choice.period))


def _series_chart(loaded: LoadedSeries, values: np.ndarray, period: int):
    frame = pd.DataFrame({"timestamp": loaded.frame.index, "value": values, "step": np.arange(len(values))})
    if period > 1 and len(values) <= MAX_SHADED_CYCLES * period:  # more stripes than that is noise
        frame["cycle"] = phase_and_cycle(loaded.frame.index, period)[1]
    note = ""
    if len(frame) > ENVELOPE_FROM:  # more points than pixels: draw each bin's mean and its min-max band
        frame, note = downsample(frame, max_rows=ENVELOPE_BINS, time_col="step", group_cols=[], with_range=True)
    if "cycle" in frame:
        frame["cycle"] = frame["cycle"].round().astype(int)
    seasonal = period > 1
    return forecast_charts.plot_series(frame, value_title=loaded.value_col, period=period if seasonal else None,
                              phase_label=phase_label(loaded.freq, period) if seasonal else None, note=note)
