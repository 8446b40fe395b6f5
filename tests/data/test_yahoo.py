"""fetch_yahoo against yfinance 1.7's real shapes, with the network replaced (no test goes online)."""
from __future__ import annotations

import errno
import os
import socket
import threading
import time
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
import yfinance
from curl_cffi.requests.exceptions import ConnectionError as CurlConnectionError
from curl_cffi.requests.exceptions import DNSError
from yfinance.exceptions import YFRateLimitError

from tests.data import yahoo_frames as frames
from lstm_forecast.data import yahoo
from lstm_forecast.data.yahoo import fetch_yahoo, probe_yahoo, validate_prices
from lstm_forecast.errors import UserError

TODAY = date.today()


@pytest.fixture
def fake(monkeypatch):
    """Install a FakeDownload as yfinance.download; returns a function building one."""
    def install(frame=None, *, logs=(), raises=None, relabel=True):
        stub = frames.FakeDownload(frame, logs=logs, raises=raises, relabel=relabel)
        monkeypatch.setattr(yfinance, "download", stub)
        return stub
    return install


class Probe:
    """Stands in for probe_yahoo: returns `answer` (None: Yahoo is reachable) and counts its calls."""

    def __init__(self, answer=None):
        self.answer, self.calls = answer, 0

    def __call__(self):
        self.calls += 1
        return self.answer


@pytest.fixture(autouse=True)
def probe(monkeypatch):
    """No test reaches the network: the default connectivity probe answers 'reachable'."""
    stub = Probe()
    monkeypatch.setattr(yahoo, "probe_yahoo", stub)
    return stub


def cache_files(folder):
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# --- the recorded shapes are yfinance's own ------------------------------------------------------

@pytest.fixture
def yahoo_http(monkeypatch):
    """Run the real yf.download with only Yahoo's HTTP replaced (and yfinance's caches kept apart)."""
    from yfinance import base, cache
    from yfinance.data import YfData

    monkeypatch.setattr(cache, "get_tz_cache", lambda: cache._TzCacheDummy())
    monkeypatch.setattr(base, "_tz_info_fetch_ctr", 0)
    YfData.cache_get.cache_clear()

    def install(http: frames.FakeYahooHttp) -> frames.FakeYahooHttp:
        monkeypatch.setattr(YfData, "_make_request", http.as_method())
        return http
    yield install
    YfData.cache_get.cache_clear()


def download(ticker, **kwargs):
    return yfinance.download(ticker, auto_adjust=True, progress=False, threads=False,
                             multi_level_index=True, **kwargs)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("recorded, interval, intraday", [
    (frames.download_frame(frames.daily_index("2024-01-02", 20)), "1d", False),
    (frames.download_frame(frames.session_index("2024-01-02", 4)), "1h", True),
])
def test_recorded_frames_match_yfinance_download(yahoo_http, recorded, interval, intraday):
    payload = frames.chart_payload(recorded, tz="America/New_York", intraday=intraday)
    yahoo_http(frames.FakeYahooHttp({"AAPL": payload}))
    real = download("AAPL", start="2024-01-02", end="2024-02-01", interval=interval)
    # the index's resolution follows the pandas version (seconds on 3.0, microseconds on 3.1); the
    # times, the time zone, the columns and the values are what the recording must get right
    same_unit = lambda frame: frame.set_axis(frame.index.as_unit("us"), axis=0)  # noqa: E731
    pd.testing.assert_frame_equal(same_unit(real), same_unit(recorded))


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("kwargs, logs", [
    ({"period": "1mo"}, "unknown"),
    ({"start": "2024-01-02", "end": "2024-02-01"}, "unknown_dated"),
])
def test_recorded_failure_matches_yfinance_download(yahoo_http, caplog, kwargs, logs):
    yahoo_http(frames.FakeYahooHttp({}))
    with caplog.at_level("ERROR", logger="yfinance"):
        real = download("XYZQ", **kwargs)
    pd.testing.assert_frame_equal(real, frames.failed_frame("XYZQ"))
    expected = [line.replace("{t}", "XYZQ") for line in frames.FAILURE_LOGS[logs]]
    assert [m for m in caplog.messages if m in expected] == expected


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("http, tz_cache, info_fallbacks_used, logs", [
    (lambda: frames.FakeYahooHttp(raises=frames.curl_error("dns")), None, 0, "network"),
    (lambda: frames.FakeYahooHttp(raises=frames.curl_error("dns")), None, 2, "network_later"),
    (lambda: frames.FakeYahooHttp(raises=frames.curl_error("dns")), frames.TzCacheKnowing(), 0, "no_price_data"),
    (lambda: frames.FakeYahooHttp({"XYZQ": frames.empty_payload("XYZQ")}), None, 0, "no_price_data"),
])
def test_recorded_offline_logs_match_yfinance_download(yahoo_http, caplog, monkeypatch, http, tz_cache,
                                                      info_fallbacks_used, logs):
    from yfinance import base, cache

    monkeypatch.setattr(base, "_tz_info_fetch_ctr", info_fallbacks_used)
    if tz_cache is not None:
        monkeypatch.setattr(cache, "get_tz_cache", lambda: tz_cache)
    yahoo_http(http())
    with caplog.at_level("ERROR", logger="yfinance"):
        real = download("XYZQ", period="1mo")
    pd.testing.assert_frame_equal(real, frames.failed_frame("XYZQ"))
    assert [m for m in caplog.messages] == [line.replace("{t}", "XYZQ") for line in frames.FAILURE_LOGS[logs]]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("raises, expected", [
    (YFRateLimitError(), "rate-limiting"),
    (DNSError("Failed to perform, curl: (6) Could not resolve host: query2.finance.yahoo.com. See "
              "https://curl.se/libcurl/c/libcurl-errors.html first for more details.", 6), "cannot be reached"),
])
def test_fetch_through_real_download_turns_http_failures_into_user_errors(yahoo_http, tmp_path, raises, expected):
    yahoo_http(frames.FakeYahooHttp(raises=raises))
    with pytest.raises(UserError, match=expected):
        fetch_yahoo("AAPL", period="1mo", cache_dir=tmp_path)
    assert cache_files(tmp_path) == []


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_fetch_through_real_download_reads_daily_bars(yahoo_http, tmp_path):
    recorded = frames.download_frame(frames.daily_index("2024-01-02", 20))
    payload = frames.chart_payload(recorded, tz="America/New_York", intraday=False)
    http = yahoo_http(frames.FakeYahooHttp({"AAPL": payload}))
    loaded = fetch_yahoo("aapl", start="2024-01-02", end="2024-02-01", cache_dir=tmp_path)
    assert loaded.freq == "B"
    assert loaded.series.iloc[0] == recorded[("Close", "AAPL")].iloc[0]
    assert any("/v8/finance/chart/AAPL" in url for url in http.urls)


# --- shapes -> LoadedSeries ----------------------------------------------------------------------

def test_daily_close_is_the_value_and_other_prices_are_covariates(fake, tmp_path):
    raw = frames.download_frame(frames.daily_index("2024-01-02", 60))
    fake(raw)
    loaded = fetch_yahoo(" aapl ", start="2024-01-01", end="2024-04-01", cache_dir=tmp_path)
    assert loaded.value_col == "Close"
    assert list(loaded.frame.columns) == ["Close", "Open", "High", "Low", "Volume"]
    assert loaded.freq == "B"
    assert loaded.source == "yahoo:AAPL Close 1d"
    assert loaded.series.tolist() == raw[("Close", "AAPL")].tolist()
    assert loaded.frame.index[0] == pd.Timestamp("2024-01-02")
    assert loaded.report[0].startswith("fetched 60 rows of AAPL (1d bars) from Yahoo Finance, 2024-01-02 to 2024-03-25")


@pytest.mark.parametrize("field, value_col", [("close", "Close"), ("OPEN", "Open"), (" High ", "High"),
                                              ("low", "Low"), ("volume", "Volume")])
def test_field_is_case_insensitive(fake, tmp_path, field, value_col):
    raw = frames.download_frame(frames.daily_index(periods=30))
    fake(raw)
    loaded = fetch_yahoo("AAPL", field=field, cache_dir=tmp_path)
    assert loaded.value_col == value_col
    assert loaded.frame.columns[0] == value_col
    assert loaded.series.tolist() == raw[(value_col, "AAPL")].astype(float).tolist()


def test_download_gets_the_arguments_yfinance_expects(fake, tmp_path):
    stub = fake(frames.download_frame(frames.daily_index(periods=30)))
    fetch_yahoo("msft", start=date(2024, 1, 2), end="2024-03-01", cache_dir=tmp_path)
    call = stub.calls[0]
    assert call["tickers"] == "MSFT"
    assert (call["start"], call["end"], call["interval"]) == ("2024-01-02", "2024-03-01", "1d")
    assert "period" not in call
    assert call["auto_adjust"] is True and call["progress"] is False
    assert call["multi_level_index"] is True and call["threads"] is False


@pytest.mark.parametrize("interval, period", [("1d", "2y"), ("1h", "1y"), ("5m", "1mo"), ("1m", "5d"), ("1mo", "max")])
def test_default_period_when_no_start(fake, tmp_path, interval, period):
    index = frames.monthly_index() if interval == "1mo" else frames.daily_index(periods=30)
    stub = fake(frames.download_frame(index))
    fetch_yahoo("AAPL", interval=interval, cache_dir=tmp_path)
    assert stub.calls[0]["period"] == period


def test_flat_columns_and_adj_close_are_handled(fake, tmp_path):
    raw = frames.download_frame(frames.daily_index(periods=30)).droplevel("Ticker", axis=1)
    raw.insert(0, "Adj Close", raw["Close"] * 0.9)
    fake(raw)
    loaded = fetch_yahoo("AAPL", period="3mo", cache_dir=tmp_path)
    assert "Adj Close" not in loaded.frame.columns
    assert loaded.series.tolist() == raw["Close"].tolist()


@pytest.mark.parametrize("interval, freq, index", [
    ("1wk", "W-MON", frames.weekly_index()),
    ("1mo", "MS", frames.monthly_index()),
    ("1d", "D", frames.daily_index(periods=90, every_day=True)),  # crypto trades at weekends
])
def test_longer_bars_get_their_calendar_frequency(fake, tmp_path, interval, freq, index):
    fake(frames.download_frame(index, "BTC-USD"))
    loaded = fetch_yahoo("BTC-USD", interval=interval, cache_dir=tmp_path)
    assert loaded.freq == freq
    assert len(loaded.frame) == len(index)


def test_intraday_index_keeps_exchange_wall_clock():
    raw = frames.download_frame(frames.session_index("2024-03-08", 2))  # DST starts on 2024-03-10
    prices = validate_prices(raw, "AAPL", "1h")
    assert prices.index.tz is None
    assert prices.index[0] == pd.Timestamp("2024-03-08 09:30")
    assert prices.index[7] == pd.Timestamp("2024-03-11 09:30")  # still 09:30 after the clocks change
    assert prices.index.name == "Datetime"
    assert prices.dtypes.eq("float64").all()


def test_stock_intraday_bars_are_indexed_by_bar_number(fake, tmp_path):
    raw = frames.download_frame(frames.session_index("2024-01-02", 10))
    fake(raw)
    loaded = fetch_yahoo("AAPL", interval="1h", period="1mo", cache_dir=tmp_path)
    assert isinstance(loaded.frame.index, pd.RangeIndex)
    assert loaded.freq is None and loaded.date_col is None
    assert loaded.series.tolist() == raw[("Close", "AAPL")].tolist()
    assert any("09:30-15:30" in s and "7 bars per session" in s for s in loaded.report)
    assert "2024-01-02 09:30 to 2024-01-15 15:30" in loaded.report[0]


def test_round_the_clock_intraday_gets_a_clock_grid(fake, tmp_path):
    index = frames.clock_index(periods=100).delete([40, 41])  # two missing hours
    fake(frames.download_frame(index, "BTC-USD"))
    loaded = fetch_yahoo("BTC-USD", interval="1h", period="5d", cache_dir=tmp_path)
    assert loaded.freq == "h"
    assert len(loaded.frame) == 100
    assert loaded.frame.index[0] == pd.Timestamp("2024-01-01 00:00")
    assert any("filled 2" in s for s in loaded.report)


def test_all_zero_volume_is_dropped(fake, tmp_path):
    fake(frames.download_frame(frames.daily_index(periods=30), "EURUSD=X", volume=False))
    loaded = fetch_yahoo("EURUSD=X", cache_dir=tmp_path)
    assert "Volume" not in loaded.frame.columns
    assert any("dropped Volume" in s for s in loaded.report)
    with pytest.raises(UserError, match="no trading volume"):
        fetch_yahoo("EURUSD=X", field="Volume", cache_dir=tmp_path)


# --- failures --------------------------------------------------------------------------------------

@pytest.mark.parametrize("logs, raises, message", [
    (frames.FAILURE_LOGS["unknown"], None,
     r"no data for ticker 'XYZQ' \(No data found, symbol may be delisted\): check the symbol on finance.yahoo.com"),
    (frames.FAILURE_LOGS["unknown_dated"], None, r"no data for ticker 'XYZQ' \(possibly delisted; no timezone found\)"),
    ((), None, r"Yahoo returned no 1d bars of 'XYZQ' for period '1mo'; choose a longer period"),
    (frames.FAILURE_LOGS["no_price_data"], None, r"Yahoo returned no 1d bars of 'XYZQ' for period '1mo'"),
    (frames.FAILURE_LOGS["network_later"], None,
     r"Yahoo Finance cannot be reached \(Could not resolve host: query2.finance.yahoo.com\)"),
    (frames.FAILURE_LOGS["network_later_real"], None,
     r"Yahoo Finance cannot be reached \(Could not resolve host: query2.finance.yahoo.com \(Domain name not found\)\);"),
    (frames.FAILURE_LOGS["rate_limit"], None, "Yahoo Finance is rate-limiting .*wait a minute .*CSV"),
    ((), YFRateLimitError(), "Yahoo Finance is rate-limiting .*wait a minute .*CSV"),
    (frames.FAILURE_LOGS["network"], None,
     r"Yahoo Finance cannot be reached \(Could not resolve host: query2.finance.yahoo.com\); check the internet connection or give the prices as a CSV file \(the CSV source in the dashboard, --csv on the command line\)"),
    ((), CurlConnectionError("Failed to perform, curl: (7) Couldn't connect to server", 7),
     r"cannot be reached \(Couldn't connect to server\)"),
    ((), TimeoutError("timed out"), "cannot be reached"),
    ((), KeyError("chart"), r"yfinance could not read Yahoo's answer for 'XYZQ' \(KeyError: 'chart'\); update yfinance"),
])
def test_failures_become_one_line_user_errors_and_cache_nothing(fake, tmp_path, logs, raises, message):
    fake(frames.failed_frame("XYZQ"), logs=logs, raises=raises)
    with pytest.raises(UserError, match=message) as caught:
        fetch_yahoo("xyzq", period="1mo", cache_dir=tmp_path)
    assert "\n" not in str(caught.value)
    assert cache_files(tmp_path) == []


BAD_INPUTS = [
    ({"ticker": ""}, "no ticker given"),
    ({"ticker": "   "}, "no ticker given"),
    ({"ticker": "AAPL MSFT"}, "not one Yahoo Finance symbol"),
    ({"ticker": "AAPL,MSFT"}, "not one Yahoo Finance symbol"),
    ({"interval": "2h"}, r"interval '2h' is not one Yahoo supports; choose one of \['1m'"),
    ({"period": "3 years"}, r"period '3 years' is not one Yahoo understands; choose one of \['1d'.* or a count such as '60d'"),
    ({"period": "0d"}, "period '0d' is not one Yahoo understands"),
    ({"field": "Adj Close"}, "already adjusted .* use field 'Close'"),
    ({"field": "Price"}, r"field 'Price' is not a Yahoo price field; choose one of \['Open'"),
    ({"start": "2024-03-01", "end": "2024-02-01"}, "start 2024-03-01 is not before end 2024-02-01"),
    ({"start": "2024-03-01", "end": "2024-03-01"}, "is not before end"),
    ({"start": "2024-01-01", "period": "1y"}, "either a period or a start date, not both"),
    ({"start": "2024-13-45"}, "start '2024-13-45' is not a date; write it as YYYY-MM-DD"),
    ({"end": "soon"}, "end 'soon' is not a date"),
    ({"interval": "1m", "period": "1mo"}, r"interval '1m' reaches back only 7 days .* use period '7d' or less"),
    ({"interval": "5m", "period": "6mo"}, r"interval '5m' reaches back only 60 days .* use period '60d' or less"),
    ({"interval": "1h", "period": "2y"}, r"interval '1h' reaches back only 730 days .* use period '730d' or less"),
    ({"interval": "5m", "period": "5d", "end": TODAY - timedelta(days=90)}, r"but period '5d' ending \S+ reaches back 95;"),
    ({"interval": "15m", "period": "61d"}, r"interval '15m' reaches back only 60 days on Yahoo, but period '61d' reaches back 61"),
    ({"interval": "5m", "start": TODAY - timedelta(days=100)}, r"reaches back only 60 days .* use a start on or after"),
    ({"interval": "1h", "start": TODAY - timedelta(days=800)}, "reaches back only 730 days"),
    ({"interval": "1m", "start": TODAY - timedelta(days=10)}, r"at most 7 days per request .* shorten the range"),
]


@pytest.mark.parametrize("kwargs, message", BAD_INPUTS)
def test_bad_input_is_refused_before_any_download(fake, tmp_path, kwargs, message):
    stub = fake(frames.download_frame(frames.daily_index(periods=30)))
    kwargs = {"ticker": "AAPL", **kwargs}
    with pytest.raises(UserError, match=message):
        fetch_yahoo(kwargs.pop("ticker"), cache_dir=tmp_path, **kwargs)
    assert stub.calls == []


@pytest.mark.parametrize("kwargs", [
    {"interval": "5m", "start": TODAY - timedelta(days=30)},
    {"interval": "1m", "start": TODAY - timedelta(days=5)},
    {"interval": "1h", "period": "max"},
    {"interval": "90m", "period": "1mo"},
    {"interval": "5m", "period": "60d"},
    {"interval": "1h", "period": "730d"},
    {"interval": "1d", "period": "3y"},
])
def test_intraday_requests_within_yahoo_limits_are_sent(fake, tmp_path, kwargs):
    intraday = kwargs["interval"] != "1d"
    index = frames.session_index("2024-01-02", 5, interval="5m") if intraday else frames.daily_index()
    stub = fake(frames.download_frame(index))
    fetch_yahoo("AAPL", cache_dir=tmp_path, **kwargs)
    assert len(stub.calls) == 1


# --- cache -----------------------------------------------------------------------------------------

def test_second_request_is_served_from_the_cache(fake, tmp_path):
    raw = frames.download_frame(frames.session_index("2024-01-02", 5))
    stub = fake(raw)
    first = fetch_yahoo("AAPL", interval="1h", period="5d", cache_dir=tmp_path)
    assert len(cache_files(tmp_path)) == 1 and not cache_files(tmp_path)[0].startswith(".")
    fake(raises=AssertionError("download called despite the cache"))
    second = fetch_yahoo("aapl", interval="1h", period="5d", field="open", cache_dir=tmp_path)
    assert len(stub.calls) == 1
    assert second.series.tolist() == raw[("Open", "AAPL")].tolist()
    pd.testing.assert_frame_equal(first.frame[["Open"]], second.frame[["Open"]])
    assert second.report[0].startswith("loaded (cached ")


@pytest.mark.parametrize("parquet", [True, False])
def test_cached_series_equals_the_fetched_one(fake, tmp_path, monkeypatch, parquet):
    monkeypatch.setattr(yahoo, "_parquet_ok", lambda: parquet)
    fake(frames.download_frame(frames.daily_index(periods=40)))
    fetched = fetch_yahoo("AAPL", start="2023-01-02", end="2023-03-01", cache_dir=tmp_path)
    assert [p.suffix for p in tmp_path.iterdir()] == [".parquet" if parquet else ".csv"]
    cached = fetch_yahoo("AAPL", start="2023-01-02", end="2023-03-01", cache_dir=tmp_path)
    pd.testing.assert_frame_equal(cached.frame, fetched.frame)
    assert cached.freq == fetched.freq == "B"


def test_refresh_bypasses_the_cache(fake, tmp_path):
    stub = fake(frames.download_frame(frames.daily_index(periods=30)))
    fetch_yahoo("AAPL", start="2023-01-02", end="2023-03-01", cache_dir=tmp_path)
    fetch_yahoo("AAPL", start="2023-01-02", end="2023-03-01", cache_dir=tmp_path, refresh=True)
    assert len(stub.calls) == 2


def test_other_requests_get_their_own_cache_entry(fake, tmp_path):
    stub = fake(frames.download_frame(frames.daily_index(periods=30)))
    fetch_yahoo("AAPL", period="1y", cache_dir=tmp_path)
    fetch_yahoo("AAPL", period="2y", cache_dir=tmp_path)
    fetch_yahoo("MSFT", period="1y", cache_dir=tmp_path)
    assert len(stub.calls) == 3 and len(cache_files(tmp_path)) == 3


@pytest.mark.parametrize("kwargs, refetched", [
    ({"period": "1y"}, True),                                      # open end: stale after 12 hours
    ({"start": "2023-01-02"}, True),                               # no end: also open
    ({"start": "2023-01-02", "end": "2023-03-01"}, False),         # fixed past range: never stale
])
def test_open_ended_requests_expire(fake, tmp_path, kwargs, refetched):
    stub = fake(frames.download_frame(frames.daily_index(periods=30)))
    fetch_yahoo("AAPL", cache_dir=tmp_path, **kwargs)
    old = time.time() - 13 * 3600
    for path in tmp_path.iterdir():
        os.utime(path, (old, old))
    fetch_yahoo("AAPL", cache_dir=tmp_path, **kwargs)
    assert len(stub.calls) == (2 if refetched else 1)


def test_default_cache_dir_follows_the_environment(fake, tmp_path, monkeypatch):
    monkeypatch.setenv("LSTM_FORECAST_CACHE", str(tmp_path / "cache"))
    fake(frames.download_frame(frames.daily_index(periods=30)))
    fetch_yahoo("AAPL")
    assert len(cache_files(tmp_path / "cache" / "yahoo")) == 1


def test_damaged_cache_file_is_fetched_again(fake, tmp_path):
    stub = fake(frames.download_frame(frames.daily_index(periods=30)))
    fetch_yahoo("AAPL", start="2023-01-02", end="2023-03-01", cache_dir=tmp_path)
    for path in tmp_path.iterdir():
        path.write_bytes(b"not a table")
    loaded = fetch_yahoo("AAPL", start="2023-01-02", end="2023-03-01", cache_dir=tmp_path)
    assert len(stub.calls) == 2 and len(loaded.frame) == 30


def test_unwritable_cache_is_reported_not_fatal(fake, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder should be")
    fake(frames.download_frame(frames.daily_index(periods=30)))
    loaded = fetch_yahoo("AAPL", cache_dir=blocker / "yahoo")
    assert any("could not cache" in s for s in loaded.report)


# --- a bad answer is refused before it is cached -----------------------------------------------------

def _good():
    return frames.download_frame(frames.daily_index(periods=30))


def _with_closes(values):
    raw = _good()
    raw[("Close", "AAPL")] = values
    return raw


def _with_index(index):
    return _good().set_axis(index, axis=0)


def _text_closes(dtype):
    raw = _good()
    raw[("Close", "AAPL")] = raw[("Close", "AAPL")].map(lambda v: f"{v:.2f}").astype(dtype)
    return raw


BAD_ANSWERS = {  # what yf.download might hand back if Yahoo or yfinance change, and the reason given
    "all closes NaN": (lambda: _with_closes(np.nan), r"Yahoo returned 30 1d bars of 'AAPL' but all closes are missing"),
    "NaT in the index": (lambda: _with_index(frames.daily_index(periods=30).insert(3, pd.NaT)[:30]),
                         r"Yahoo returned 1 of 30 bars of 'AAPL' without a time"),
    "str closes": (lambda: _text_closes("str"), r"Yahoo's prices for 'AAPL' are not numbers \('Close' holds .* such as '100.00'\)"),
    "object closes": (lambda: _text_closes(object), r"Yahoo's prices for 'AAPL' are not numbers \('Close' holds object"),
    "bool closes": (lambda: _with_closes(True), r"are not numbers \('Close' holds bool values such as True\)"),
    "another ticker": (lambda: frames.download_frame(frames.daily_index(periods=30), "MSFT"),
                       r"Yahoo returned prices for 'MSFT', not 'AAPL'; fetch again"),
    "a Series": (lambda: _good()[("Close", "AAPL")], r"Yahoo's answer for 'AAPL' is not shaped like a yfinance price table \(a Series instead of a table\)"),
    "a dict": (lambda: {"AAPL": _good()}, r"\(a dict instead of a table\)"),
    "no Close column": (lambda: _good().drop(columns=[("Close", "AAPL")]), r"no 'Close' column, only \['High', 'Low', 'Open', 'Volume'\]"),
    "bar numbers, not times": (lambda: _good().reset_index(drop=True), r"an index of int64 values, not bar times"),
    "three column levels": (lambda: pd.concat({"x": _good()}, axis=1), r"3 column levels"),
    "two closes": (lambda: _with_closes([np.nan] * 28 + [1.0, 2.0]), r"only 2 of 30 1d bars of 'AAPL' have a close"),
}


@pytest.mark.parametrize("case", list(BAD_ANSWERS))
def test_bad_answer_is_refused_and_never_cached(fake, tmp_path, case):
    build, message = BAD_ANSWERS[case]
    fake(build(), relabel=False)
    with pytest.raises(UserError, match=message) as caught:
        fetch_yahoo("AAPL", start="2024-01-02", end="2024-03-01", cache_dir=tmp_path)
    assert "\n" not in str(caught.value)
    assert cache_files(tmp_path) == []
    stub = fake(_good())  # the next try fetches again, and gets the good answer
    loaded = fetch_yahoo("AAPL", start="2024-01-02", end="2024-03-01", cache_dir=tmp_path)
    assert len(stub.calls) == 1 and len(loaded.frame) == 30


def test_other_tickers_beside_ours_are_ignored(fake, tmp_path):
    raw = pd.concat([frames.download_frame(frames.daily_index(periods=30), "MSFT"), _good()], axis=1)
    fake(raw, relabel=False)
    loaded = fetch_yahoo("AAPL", period="3mo", cache_dir=tmp_path)
    assert loaded.series.tolist() == raw[("Close", "AAPL")].tolist()


@pytest.mark.parametrize("where", ["Close", "Open"])
def test_infinite_prices_are_missing_values_and_say_so(fake, tmp_path, where):
    raw = _good()
    raw.loc[raw.index[[5, 6]], (where, "AAPL")] = np.inf
    fake(raw)
    loaded = fetch_yahoo("AAPL", start="2024-01-02", end="2024-03-01", cache_dir=tmp_path)
    assert np.isfinite(loaded.frame.to_numpy()).all()
    assert any(f"treated 2 infinite prices as missing (first in {where!r} on 2024-01-09)" in s for s in loaded.report)
    assert loaded.frame[where].iloc[5] == pytest.approx((raw[(where, "AAPL")].iloc[4] + raw[(where, "AAPL")].iloc[7]) / 2, rel=0.02)
    cached = fetch_yahoo("AAPL", start="2024-01-02", end="2024-03-01", cache_dir=tmp_path)
    assert np.isfinite(cached.frame.to_numpy()).all()


def test_all_closes_infinite_is_refused(fake, tmp_path):
    fake(_with_closes(np.inf))
    with pytest.raises(UserError, match="all closes are missing or infinite"):
        fetch_yahoo("AAPL", period="3mo", cache_dir=tmp_path)
    assert cache_files(tmp_path) == []


def test_field_without_values_is_refused(fake, tmp_path):
    raw = _good()
    raw[("Open", "AAPL")] = np.nan
    fake(raw)
    with pytest.raises(UserError, match=r"Yahoo has no 'Open' prices for 'AAPL' here \(0 of 30 bars\); choose field 'Close'"):
        fetch_yahoo("AAPL", period="3mo", field="Open", cache_dir=tmp_path)


BAD_CACHE = {  # a cached file spoiled after it was written (another version, a hand edit, a torn copy)
    "all closes NaN": lambda f: f.assign(Close=np.nan),
    "str closes": lambda f: f.assign(Close=f["Close"].map(lambda v: f"x{v}")),
    "NaT in the index": lambda f: f.set_axis(f.index.insert(2, pd.NaT)[: len(f)], axis=0),
    "no Close column": lambda f: f.drop(columns="Close"),
    "infinite closes": lambda f: f.assign(Close=np.inf),
}


@pytest.mark.parametrize("parquet", [True, False])
@pytest.mark.parametrize("case", list(BAD_CACHE))
def test_cached_file_failing_validation_is_fetched_again(fake, tmp_path, monkeypatch, parquet, case):
    monkeypatch.setattr(yahoo, "_parquet_ok", lambda: parquet)
    stub = fake(_good())
    first = fetch_yahoo("AAPL", start="2024-01-02", end="2024-03-01", cache_dir=tmp_path)
    [path] = list(tmp_path.iterdir())
    saved = pd.read_parquet(path) if parquet else pd.read_csv(path, index_col=0, parse_dates=[0])
    spoiled = BAD_CACHE[case](saved)
    spoiled.to_parquet(path) if parquet else spoiled.to_csv(path)
    again = fetch_yahoo("AAPL", start="2024-01-02", end="2024-03-01", cache_dir=tmp_path)
    assert len(stub.calls) == 2
    pd.testing.assert_frame_equal(again.frame, first.frame)
    assert again.report[0].startswith("fetched ")


# --- missing edges are trimmed, as for CSVs ------------------------------------------------------------

def test_missing_final_closes_are_dropped_not_copied(fake, tmp_path):
    raw = _good()
    raw.loc[raw.index[-3:], ("Close", "AAPL")] = np.nan  # Yahoo has volume but no close yet
    fake(raw)
    loaded = fetch_yahoo("AAPL", start="2024-01-02", end="2024-03-01", cache_dir=tmp_path)
    assert len(loaded.frame) == 27
    assert loaded.series.iloc[-1] == raw[("Close", "AAPL")].iloc[26]
    assert loaded.series.duplicated().sum() == 0
    assert any("dropped 3 rows at the end where 'Close' has no value" in s for s in loaded.report)
    assert loaded.observed is not None and loaded.observed["Close"].all()


def test_missing_first_closes_are_dropped_for_bar_numbered_intraday(fake, tmp_path):
    raw = frames.download_frame(frames.session_index("2024-01-02", 5))
    raw.loc[raw.index[:2], ("Close", "AAPL")] = np.nan
    fake(raw)
    loaded = fetch_yahoo("AAPL", interval="1h", period="5d", cache_dir=tmp_path)
    assert isinstance(loaded.frame.index, pd.RangeIndex) and len(loaded.frame) == len(raw) - 2
    assert loaded.series.iloc[0] == raw[("Close", "AAPL")].iloc[2]
    assert any("dropped 2 rows at the start" in s for s in loaded.report)


def test_another_value_column_is_trimmed_by_its_own_gaps(fake, tmp_path):
    raw = _good()
    raw.loc[raw.index[-2:], ("Open", "AAPL")] = np.nan
    fake(raw)
    loaded = fetch_yahoo("AAPL", period="3mo", cache_dir=tmp_path)
    assert len(loaded.frame) == 30  # Close is complete
    assert len(loaded.with_value("Open").frame) == 28
    assert len(fetch_yahoo("AAPL", period="3mo", field="Open", cache_dir=tmp_path).frame) == 28


# --- through the real yf.download: bad values and every failure, each time the same reason -----------

@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_real_download_with_null_final_closes_is_trimmed(yahoo_http, tmp_path):
    recorded = frames.download_frame(frames.daily_index("2024-01-02", 20))
    payload = frames.chart_payload(recorded, tz="America/New_York", intraday=False)
    for key in ("close", "adjclose"):
        payload = frames.set_payload_values(payload, key, [17, 18, 19], None)
    yahoo_http(frames.FakeYahooHttp({"AAPL": payload}))
    loaded = fetch_yahoo("AAPL", start="2024-01-02", end="2024-02-01", cache_dir=tmp_path)
    assert len(loaded.frame) == 17
    assert loaded.series.iloc[-1] == recorded[("Close", "AAPL")].iloc[16]
    assert any("dropped 3 rows at the end" in s for s in loaded.report)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_real_download_with_infinite_adjclose_is_masked(yahoo_http, tmp_path):
    recorded = frames.download_frame(frames.daily_index("2024-01-02", 20))
    payload = frames.chart_payload(recorded, tz="America/New_York", intraday=False)
    payload = frames.set_payload_values(payload, "adjclose", [4], float("inf"))  # yfinance: "Adj Close contains Infinity"
    yahoo_http(frames.FakeYahooHttp({"AAPL": payload}))
    loaded = fetch_yahoo("AAPL", start="2024-01-02", end="2024-02-01", cache_dir=tmp_path)
    assert np.isfinite(loaded.frame.to_numpy()).all() and len(loaded.frame) == 20
    assert any("treated 4 infinite prices as missing (first in 'Open' on 2024-01-08)" in s for s in loaded.report)


UNREACHABLE = "Yahoo Finance cannot be reached"
REASONS = {  # scenario: (HTTP stand-in, yfinance's tz cache, what the probe finds, request, message)
    "dns": (lambda: frames.FakeYahooHttp(raises=frames.curl_error("dns")), None,
            "could not resolve host query2.finance.yahoo.com: Name or service not known", {"period": "1mo"},
            rf"{UNREACHABLE} \(Could not resolve host: query2.finance.yahoo.com\); check the internet connection"),
    "dns, dated": (lambda: frames.FakeYahooHttp(raises=frames.curl_error("dns")), None,
                   "could not resolve host query2.finance.yahoo.com: Name or service not known",
                   {"start": "2024-01-02", "end": "2024-02-01"},
                   rf"{UNREACHABLE} \(Could not resolve host: query2.finance.yahoo.com\)"),
    "no network": (lambda: frames.FakeYahooHttp(raises=frames.curl_error("no_network")), None,
                   "could not connect to query2.finance.yahoo.com: Network is unreachable", {"period": "1mo"},
                   rf"{UNREACHABLE} \(Failed to connect to query2.finance.yahoo.com port 443 after 2 ms: Could not connect to server\)"),
    "timeout": (lambda: frames.FakeYahooHttp(raises=frames.curl_error("timeout")), None,
                "no answer from query2.finance.yahoo.com within 3 s", {"period": "1mo"},
                rf"{UNREACHABLE} \(Operation timed out after 20002 milliseconds with 0 bytes received\)"),
    "dns, timezone known": (lambda: frames.FakeYahooHttp(raises=frames.curl_error("dns")), frames.TzCacheKnowing(),
                            "could not resolve host query2.finance.yahoo.com: Name or service not known", {"period": "1mo"},
                            rf"{UNREACHABLE} \(could not resolve host query2.finance.yahoo.com: Name or service not known\)"),
    "timeout, timezone known": (lambda: frames.FakeYahooHttp(raises=frames.curl_error("timeout")), frames.TzCacheKnowing(),
                                "no answer from query2.finance.yahoo.com within 3 s", {"start": "2024-01-02", "end": "2024-02-01"},
                                rf"{UNREACHABLE} \(no answer from query2.finance.yahoo.com within 3 s\)"),
    "unknown ticker": (lambda: frames.FakeYahooHttp({}), None, None, {"period": "1mo"},
                       r"no data for ticker 'AAPL' \(No data found, symbol may be delisted\): check the symbol"),
    "unknown ticker, dated": (lambda: frames.FakeYahooHttp({}), None, None, {"start": "2024-01-02", "end": "2024-02-01"},
                              r"no data for ticker 'AAPL' \(possibly delisted; no timezone found\): check the symbol"),
    "empty result": (lambda: frames.FakeYahooHttp({"AAPL": frames.empty_payload()}), None, None, {"period": "1mo"},
                     r"Yahoo returned no 1d bars of 'AAPL' for period '1mo'; choose a longer period"),
    "empty result, timezone known": (lambda: frames.FakeYahooHttp({"AAPL": frames.empty_payload()}), frames.TzCacheKnowing(),
                                     None, {"start": "2024-01-06", "end": "2024-01-08"},
                                     r"Yahoo returned no 1d bars of 'AAPL' for 2024-01-06 to 2024-01-08 \(end excluded\)"),
    "rate limit": (lambda: frames.FakeYahooHttp(raises=YFRateLimitError()), None, None, {"period": "1mo"},
                   r"Yahoo Finance is rate-limiting requests for 'AAPL' \(Too Many Requests\); wait a minute"),
    "changed JSON": (lambda: frames.FakeYahooHttp({"AAPL": _without_timestamps()}), None, None, {"period": "1mo"},
                     r"yfinance could not read Yahoo's answer for 'AAPL' \(KeyError\('timestamp'\)\); update yfinance"),
}


def _without_timestamps():
    recorded = frames.download_frame(frames.daily_index("2024-01-02", 20))
    payload = frames.chart_payload(recorded, tz="America/New_York", intraday=False)
    del payload["chart"]["result"][0]["timestamp"]
    return payload


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("case", list(REASONS))
def test_every_failure_gives_its_reason_every_time(yahoo_http, monkeypatch, tmp_path, case):
    http, tz_cache, offline, request, message = REASONS[case]
    if tz_cache is not None:
        from yfinance import cache

        monkeypatch.setattr(cache, "get_tz_cache", lambda: tz_cache)
    yahoo_http(http())
    probe = Probe(offline)
    # yfinance remembers between calls (base._tz_info_fetch_ctr: two Ticker.info fallbacks a process),
    # so the third call takes another path than the first two; the reason must not change.
    for attempt in range(4):
        with pytest.raises(UserError, match=message) as caught:
            fetch_yahoo("AAPL", cache_dir=tmp_path, probe=probe, **request)
        assert "\n" not in str(caught.value), attempt
    assert cache_files(tmp_path) == []


@pytest.mark.parametrize("logs, raises, probed", [
    (frames.FAILURE_LOGS["rate_limit"], None, False),
    (frames.FAILURE_LOGS["network"], None, False),
    (frames.FAILURE_LOGS["network_later"], None, False),
    (frames.FAILURE_LOGS["unknown"], None, False),     # Yahoo said so itself
    ((), KeyError("chart"), False),
    (frames.FAILURE_LOGS["unknown_dated"], None, True),  # yfinance's guess: could be offline
    (frames.FAILURE_LOGS["no_price_data"], None, True),
    ((), None, True),
])
def test_probe_runs_only_when_nothing_else_explains_an_empty_answer(fake, tmp_path, probe, logs, raises, probed):
    fake(frames.failed_frame("AAPL"), logs=logs, raises=raises)
    with pytest.raises(UserError):
        fetch_yahoo("AAPL", period="1mo", cache_dir=tmp_path)
    assert probe.calls == (1 if probed else 0)


@pytest.mark.parametrize("offline, why", [
    ("could not resolve host query2.finance.yahoo.com: Name or service not known",
     r"\(could not resolve host query2.finance.yahoo.com: Name or service not known\)"),
    (None, r"\(Cookie/crumb fetch failed \(DNSError\), continuing without crumb\)"),  # back already
])
def test_network_failure_named_only_by_class_is_worded_by_the_probe(fake, tmp_path, probe, offline, why):
    probe.answer = offline
    fake(frames.failed_frame("AAPL"), logs=frames.FAILURE_LOGS["network_tz_known_real"])
    with pytest.raises(UserError, match=rf"Yahoo Finance cannot be reached {why}; check the internet"):
        fetch_yahoo("AAPL", period="1mo", cache_dir=tmp_path)
    assert probe.calls == 1


def test_probe_is_not_run_for_a_good_answer(fake, tmp_path, probe):
    fake(_good())
    fetch_yahoo("AAPL", period="1mo", cache_dir=tmp_path)
    assert probe.calls == 0


# --- the connectivity probe itself (its socket calls replaced) ---------------------------------------

class FakeSocket:
    def close(self):
        pass


class HungLookup:
    """A DNS lookup that hangs until released (60 s at most: a guard so a broken probe cannot hang the suite)."""

    def __init__(self):
        self.release = threading.Event()

    def __call__(self, address, timeout):
        self.release.wait(60)
        return FakeSocket()


@pytest.fixture
def no_proxy(monkeypatch):
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


def _raise(err):
    def connect(address, timeout):
        raise err
    return connect


@pytest.mark.parametrize("connect, expected", [
    (lambda address, timeout: FakeSocket(), None),
    (_raise(socket.gaierror(socket.EAI_NONAME, "Name or service not known")),
     "could not resolve host query2.finance.yahoo.com: Name or service not known"),
    (_raise(OSError(errno.ENETUNREACH, "Network is unreachable")),
     "could not connect to query2.finance.yahoo.com: Network is unreachable"),
    (_raise(ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused")),
     "could not connect to query2.finance.yahoo.com: Connection refused"),
    (_raise(TimeoutError("timed out")), "no answer from query2.finance.yahoo.com within 0.5 s"),
    (HungLookup(), "no answer from query2.finance.yahoo.com within 0.5 s"),  # a DNS that hangs
])
def test_probe_names_why_yahoo_cannot_be_reached(monkeypatch, no_proxy, connect, expected):
    seen, returned = [], []

    def create_connection(address, timeout):
        seen.append(address)
        try:
            return connect(address, timeout)
        finally:
            returned.append(address)

    monkeypatch.setattr(socket, "create_connection", create_connection)
    assert probe_yahoo(timeout=0.5) == expected
    assert seen == [("query2.finance.yahoo.com", 443)]
    # behaviour, not a clock: the probe answered while the hung lookup was still running
    assert returned == ([] if isinstance(connect, HungLookup) else seen)
    if isinstance(connect, HungLookup):
        connect.release.set()


def test_probe_trusts_yfinance_behind_a_proxy(monkeypatch, no_proxy):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setattr(socket, "create_connection", _raise(AssertionError("probed despite the proxy")))
    assert probe_yahoo(timeout=0.5) is None


def test_probe_host_is_the_one_yfinance_asks():
    from urllib.parse import urlparse

    from yfinance.const import _BASE_URL_

    assert urlparse(_BASE_URL_).hostname == yahoo.YAHOO_HOST


# --- the CLI's --refresh -------------------------------------------------------------------------------

def test_cli_refresh_fetches_again(fake, tmp_path, monkeypatch):
    from lstm_forecast.cli import _build_parser, _load

    monkeypatch.setenv("LSTM_FORECAST_CACHE", str(tmp_path))
    stub = fake(_good())
    parse = _build_parser().parse_args
    base = ["backtest", "--ticker", "AAPL", "--start", "2024-01-02", "--end", "2024-03-01"]
    _load(parse(base))
    _load(parse(base))
    assert len(stub.calls) == 1
    loaded = _load(parse(base + ["--refresh"]))
    assert len(stub.calls) == 2 and loaded.report[0].startswith("fetched ")
