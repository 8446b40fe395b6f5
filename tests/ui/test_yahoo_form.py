"""The dashboard's Yahoo form with streamlit's AppTest: yf.download replaced by frames shaped like
yfinance 1.7's own (tests/data/yahoo_frames.py), in this process; nothing goes online."""
import re
from pathlib import Path

import numpy as np
import pytest
import streamlit as st
import yfinance
from streamlit.testing.v1 import AppTest

from lstm_forecast.data import yahoo
from tests.data import yahoo_frames as frames

APP = str(Path(__file__).resolve().parents[2] / "app.py")


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("LSTM_FORECAST_RUNS", str(tmp_path / "runs"))
    monkeypatch.setenv("LSTM_FORECAST_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(yahoo, "probe_yahoo", lambda: None)  # "reachable", unless a test says otherwise
    st.cache_data.clear()
    yield
    st.cache_data.clear()


@pytest.fixture
def fake(monkeypatch):
    def install(frame, *, logs=()):
        stub = frames.FakeDownload(frame, logs=logs)
        monkeypatch.setattr(yfinance, "download", stub)
        return stub
    return install


def good():
    return frames.download_frame(frames.daily_index("2023-01-02", 300))


def _ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def _yahoo_form() -> AppTest:
    at = _ok(AppTest.from_file(APP, default_timeout=180).run())
    return _ok(at.radio(key="source").set_value("Yahoo ticker").run())


def _fetch(at: AppTest, ticker: str, button: str = "Fetch") -> AppTest:
    [box] = [t for t in at.sidebar.text_input if t.label == "Ticker"]
    box.input(ticker)
    [press] = [b for b in at.sidebar.button if b.label == button]
    return _ok(press.click().run())


def _plain(markdown: str) -> str:
    """Markdown source as it renders: user text is backslash-escaped (ui/text.escape_markdown)."""
    return re.sub(r"\\(.)", r"\1", markdown)


def _source(at: AppTest) -> str:
    return _plain(at.caption[1].value)  # "<source> · date column: ..." under the data header


@pytest.mark.parametrize("logs, offline, reason", [
    (frames.FAILURE_LOGS["unknown"], None, r"no data for ticker 'XYZQ' (No data found, symbol may be delisted)"),
    (frames.FAILURE_LOGS["no_price_data"], "could not resolve host query2.finance.yahoo.com: Name or service not known",
     "Yahoo Finance cannot be reached (could not resolve host query2.finance.yahoo.com"),
    (frames.FAILURE_LOGS["rate_limit"], None, "Yahoo Finance is rate-limiting requests for 'XYZQ'"),
])
def test_failed_fetch_keeps_the_last_good_data_under_the_reason(fake, monkeypatch, logs, offline, reason):
    fake(good())
    at = _fetch(_yahoo_form(), "AAPL")
    assert not at.error and _source(at).startswith("yahoo:AAPL Close 1d")
    monkeypatch.setattr(yahoo, "probe_yahoo", lambda: offline)
    failing = fake(frames.failed_frame("XYZQ"), logs=logs)
    at = _fetch(at, "XYZQ")
    [error] = at.error
    assert reason in _plain(error.value) and "Still showing the last data fetched: yahoo:AAPL Close 1d" in _plain(error.value)
    assert _source(at).startswith("yahoo:AAPL Close 1d")
    assert {m.label for m in at.metric} >= {"Points", "Frequency"}
    _ok(at.run())  # a rerun does not ask Yahoo again; the reason stays on screen
    assert len(failing.calls) == 1 and reason in _plain(at.error[0].value)


def test_fetch_again_skips_both_caches(fake):
    stub = fake(good())
    at = _fetch(_yahoo_form(), "AAPL")
    at = _fetch(at, "AAPL")
    assert len(stub.calls) == 1  # cached
    at = _fetch(at, "AAPL", "Fetch again (ignore the cache)")
    assert len(stub.calls) == 2 and not at.error
    _ok(at.run())
    assert len(stub.calls) == 2  # reruns use the refreshed copy


def test_a_bad_answer_is_not_cached_by_the_dashboard(fake):
    bad = good()
    bad[("Close", "AAPL")] = np.nan
    first = fake(bad)
    at = _fetch(_yahoo_form(), "AAPL")
    [error] = at.error
    assert "all closes are missing" in _plain(error.value) and "Could not load the data" in _plain(error.value)
    assert len(first.calls) == 1
    second = fake(good())
    at = _fetch(at, "AAPL")
    assert not at.error and len(second.calls) == 1
    assert _source(at).startswith("yahoo:AAPL Close 1d")
