"""fetch_yahoo against yfinance 1.7's real shapes, with the network replaced (no test goes online)."""
from __future__ import annotations

import os
import time
from datetime import date, timedelta

import pandas as pd
import pytest
import yfinance
from curl_cffi.requests.exceptions import ConnectionError as CurlConnectionError
from curl_cffi.requests.exceptions import DNSError
from yfinance.exceptions import YFRateLimitError

from tests.data import yahoo_frames as frames
from lstm_forecast.data import yahoo
from lstm_forecast.data.yahoo import extract_prices, fetch_yahoo
from lstm_forecast.errors import UserError

TODAY = date.today()


@pytest.fixture
def fake(monkeypatch):
    """Install a FakeDownload as yfinance.download; returns a function building one."""
    def install(frame=None, *, logs=(), raises=None):
        stub = frames.FakeDownload(frame, logs=logs, raises=raises)
        monkeypatch.setattr(yfinance, "download", stub)
        return stub
    return install


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
    pd.testing.assert_frame_equal(real, recorded)


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
    prices = extract_prices(raw, "AAPL")
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
    ((), None, r"no data for ticker 'XYZQ' \(Yahoo returned no rows\)"),
    (frames.FAILURE_LOGS["rate_limit"], None, "Yahoo Finance is rate-limiting .*wait a minute .*CSV"),
    ((), YFRateLimitError(), "Yahoo Finance is rate-limiting .*wait a minute .*CSV"),
    (frames.FAILURE_LOGS["network"], None,
     r"Yahoo Finance cannot be reached \(Could not resolve host: query2.finance.yahoo.com\); check the internet connection or upload"),
    ((), CurlConnectionError("Failed to perform, curl: (7) Couldn't connect to server", 7),
     r"cannot be reached \(Couldn't connect to server\)"),
    ((), TimeoutError("timed out"), "cannot be reached"),
    ((), KeyError("chart"), r"no data for ticker 'XYZQ' \(KeyError: 'chart'\)"),
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
