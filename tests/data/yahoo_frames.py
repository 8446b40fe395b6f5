"""Frames and failures shaped exactly like yfinance 1.7's, for tests without a network.

Recorded from yfinance 1.7.0's own code path (yf.download over a fake HTTP layer, see
`FakeYahooHttp`; tests/data/test_yahoo.py checks the factories against it):
- columns: MultiIndex names ['Price', 'Ticker'], in the order Close, High, Low, Open, Volume;
  prices float64, Volume int64; no 'Adj Close' (auto_adjust=True).
- daily/weekly/monthly: index 'Date', datetime64[s], tz-naive.
- intraday: index 'Datetime', datetime64[us, <exchange tz>].
- a failed ticker: an empty frame with an extra 'Adj Close' column, all float64, and a nameless
  datetime64[s] index; the reason only goes to the 'yfinance' logger (FAILURE_LOGS).
"""
from __future__ import annotations

import inspect
import json
import logging

import numpy as np
import pandas as pd

PRICE_ORDER = ["Close", "High", "Low", "Open", "Volume"]

# What yfinance 1.7's download() logs (logger 'yfinance', level ERROR) when a ticker fails.
FAILURE_LOGS = {  # {t} is the upper-cased ticker
    "unknown": ["${t}: No data found, symbol may be delisted",
                "\n1 Failed download:", "['{t}']: No data found, symbol may be delisted"],
    "unknown_dated": ["${t}: possibly delisted; no timezone found",  # when start/end are given
                      "\n1 Failed download:", "['{t}']: possibly delisted; no timezone found"],
    "rate_limit": ["\n1 Failed download:",
                   "['{t}']: YFRateLimitError('Too Many Requests. Rate limited. Try after a while.')"],
    "network": ["Failed to get ticker '{t}' reason: Failed to perform, curl: (6) Could not resolve host: "
                "query2.finance.yahoo.com. See https://curl.se/libcurl/c/libcurl-errors.html first for more details.",
                "\n1 Failed download:",
                "['{t}']: DNSError('Failed to perform, curl: (6) Could not resolve host: query2.finance.yahoo.com. "
                "See https://curl.se/libcurl/c/libcurl-errors.html first for more details.')"],
    # Offline again, from the third call in a process on: base._tz_info_fetch_ctr stops the Ticker.info
    # fallback (whose DNSError gave the reason above), so the DNS error only shows in the tz line.
    "network_later": ["Failed to get ticker '{t}' reason: Failed to perform, curl: (6) Could not resolve host: "
                      "query2.finance.yahoo.com. See https://curl.se/libcurl/c/libcurl-errors.html first for more details.",
                      "${t}: possibly delisted; no price data found  (period=1mo)",
                      "\n1 Failed download:", "['{t}']: possibly delisted; no price data found  (period=1mo)"],
    # The third offline call of a real run here (curl_cffi with no DNS): its HTTP layer adds crumb warnings.
    "network_later_real": ["Cookie/crumb fetch failed (DNSError), continuing without crumb",
                           "Failed to get ticker '{t}' reason: Failed to perform, curl: (6) Could not resolve host: "
                           "query2.finance.yahoo.com (Domain name not found). See https://curl.se/libcurl/c/"
                           "libcurl-errors.html first for more details.",
                           "Cookie/crumb fetch failed (DNSError), continuing without crumb",
                           "${t}: possibly delisted; no price data found  (period=1mo)",
                           "\n1 Failed download:", "['{t}']: possibly delisted; no price data found  (period=1mo)"],
    # Offline in a real run here when yfinance's tz cache knows the ticker: only the crumb warning tells.
    "network_tz_known_real": ["Cookie/crumb fetch failed (DNSError), continuing without crumb",
                              "${t}: possibly delisted; no price data found  (period=1mo)",
                              "\n1 Failed download:", "['{t}']: possibly delisted; no price data found  (period=1mo)"],
    # Word for word the same for a valid ticker with no bars in range, and for any ticker offline when
    # its timezone sits in yfinance's tz cache (no tz request; the price request's error is swallowed).
    "no_price_data": ["${t}: possibly delisted; no price data found  (period=1mo)",
                      "\n1 Failed download:", "['{t}']: possibly delisted; no price data found  (period=1mo)"],
}

CURL = "Failed to perform, curl: ({code}) {text}. See https://curl.se/libcurl/c/libcurl-errors.html first for more details."


def curl_error(kind: str) -> Exception:
    """The curl_cffi exception yfinance's HTTP layer raises: 'dns', 'no_network' or 'timeout'."""
    from curl_cffi.requests import exceptions

    code, text, cls = {
        "dns": (6, "Could not resolve host: query2.finance.yahoo.com", exceptions.DNSError),
        "no_network": (7, "Failed to connect to query2.finance.yahoo.com port 443 after 2 ms: "
                          "Could not connect to server", exceptions.ConnectionError),
        "timeout": (28, "Operation timed out after 20002 milliseconds with 0 bytes received", exceptions.Timeout),
    }[kind]
    return cls(CURL.format(code=code, text=text), code)


def daily_index(start: str = "2024-01-02", periods: int = 60, *, every_day: bool = False) -> pd.DatetimeIndex:
    """Trading days (Mon-Fri) or, for crypto, every calendar day; as yfinance's 'Date' index."""
    days = pd.date_range(start, periods=periods, freq="D" if every_day else "B")
    return pd.DatetimeIndex(days.as_unit("s"), name="Date", freq=None)


def weekly_index(start: str = "2020-01-06", periods: int = 150) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(pd.date_range(start, periods=periods, freq="W-MON").as_unit("s"), name="Date", freq=None)


def monthly_index(start: str = "2010-01-01", periods: int = 120) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(pd.date_range(start, periods=periods, freq="MS").as_unit("s"), name="Date", freq=None)


def session_index(start: str = "2024-01-02", days: int = 10, *, interval: str = "1h",
                  tz: str = "America/New_York", opens: str = "09:30", closes: str = "16:00") -> pd.DatetimeIndex:
    """Intraday bar starts inside each weekday's regular session, tz-aware like yfinance's 'Datetime'."""
    step = pd.Timedelta(interval.replace("m", "min") if interval.endswith("m") else interval)
    stamps = []
    for day in pd.bdate_range(start, periods=days):
        first, end = pd.Timestamp(f"{day:%Y-%m-%d} {opens}"), pd.Timestamp(f"{day:%Y-%m-%d} {closes}")
        stamps.extend(pd.date_range(first, end - pd.Timedelta(1), freq=step))
    return pd.DatetimeIndex(stamps, name="Datetime").tz_localize(tz).as_unit("us")


def clock_index(start: str = "2024-01-01", periods: int = 200, *, freq: str = "h", tz: str = "UTC") -> pd.DatetimeIndex:
    """Round-the-clock intraday bars (crypto), tz-aware like yfinance's 'Datetime'."""
    return pd.DatetimeIndex(pd.date_range(start, periods=periods, freq=freq, tz=tz).as_unit("us"),
                            name="Datetime", freq=None)


def download_frame(index: pd.DatetimeIndex, ticker: str = "AAPL", *, base: float = 100.0,
                   volume: bool = True) -> pd.DataFrame:
    """What yf.download(ticker, auto_adjust=True, multi_level_index=True) returns for these bars.

    Close rises by 0.5 a bar (wiggling), High = Close + 1, Low = Close - 1, Open = Close - 0.25,
    Volume = 1,000,000 + bar number (int64; all zero when volume=False, as for FX and indices).
    """
    n = len(index)
    close = base + 0.5 * np.arange(n) + np.sin(np.arange(n))
    columns = {
        "Close": close, "High": close + 1.0, "Low": close - 1.0, "Open": close - 0.25,
        "Volume": (1_000_000 + np.arange(n) if volume else np.zeros(n)).astype(np.int64),
    }
    frame = pd.DataFrame(columns, index=index)[PRICE_ORDER]
    frame.columns = pd.MultiIndex.from_product([PRICE_ORDER, [ticker]], names=["Price", "Ticker"])
    return frame


def failed_frame(ticker: str = "XYZQ") -> pd.DataFrame:
    """What yf.download returns when the ticker failed (unknown, rate-limited, offline)."""
    names = ["Adj Close", "Close", "High", "Low", "Open", "Volume"]
    frame = pd.DataFrame({name: pd.Series(dtype="float64") for name in names},
                         index=pd.DatetimeIndex([], dtype="datetime64[s]"))
    frame.columns = pd.MultiIndex.from_product([names, [ticker]], names=["Price", "Ticker"])
    return frame


class FakeDownload:
    """Stands in for yf.download: checks the call against the real signature, records it,
    logs `logs` on the 'yfinance' logger like yfinance 1.7 and returns `frame` (or raises `raises`).

    Like yfinance, it labels a one-ticker frame's 'Ticker' level with the symbol asked for;
    relabel=False returns the frame as given (another ticker's prices)."""

    def __init__(self, frame: object = None, *, logs: list[str] = (), raises: Exception | None = None,
                 relabel: bool = True):
        from yfinance import multi  # the real download, even when yfinance.download is already a fake

        self.signature = inspect.signature(multi.download)
        self.frame, self.logs, self.raises, self.relabel = frame, list(logs), raises, relabel
        self.calls: list[dict] = []

    def __call__(self, *args, **kwargs):
        bound = self.signature.bind(*args, **kwargs)  # TypeError for an argument yfinance 1.7 lacks
        self.calls.append(dict(bound.arguments))
        ticker = str(bound.arguments["tickers"]).upper()
        for line in self.logs:
            logging.getLogger("yfinance").error(line.replace("{t}", ticker))
        if self.raises is not None:
            raise self.raises
        frame = self.frame.copy() if hasattr(self.frame, "copy") else self.frame
        columns = getattr(frame, "columns", None)
        if self.relabel and isinstance(columns, pd.MultiIndex) and "Ticker" in columns.names:
            level = columns.names.index("Ticker")
            if columns.get_level_values(level).nunique() == 1:
                frame.columns = columns.set_levels([ticker], level=level)
        return frame


# --- one level deeper: Yahoo's chart API JSON, fed to the real yfinance code ---------------------

class FakeResponse:
    """The parts of a curl_cffi response that yfinance reads."""

    def __init__(self, payload: dict, status_code: int = 200):
        self.payload, self.status_code = payload, status_code
        self.text, self.url = json.dumps(payload), "https://query2.finance.yahoo.com/"

    def json(self) -> dict:
        return json.loads(self.text)  # a fresh dict each time, as from a real response (yfinance edits it)

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            from curl_cffi.requests.exceptions import HTTPError

            raise HTTPError(f"HTTP Error {self.status_code}: {self.text}", 0, self)


def chart_payload(frame: pd.DataFrame, *, tz: str, intraday: bool, daily_open: str = "09:30") -> dict:
    """Yahoo's /v8/finance/chart JSON for a download_frame (daily bars stamped at the session open)."""
    flat = frame.droplevel("Ticker", axis=1)
    index = flat.index
    if not intraday:
        index = (index.as_unit("ns") + pd.Timedelta(daily_open + ":00")).tz_localize(tz)
    meta = {
        "currency": "USD", "symbol": frame.columns[0][1], "exchangeName": "NMS", "instrumentType": "EQUITY",
        "firstTradeDate": 345479400, "regularMarketTime": int(index[-1].timestamp()), "gmtoffset": -18000,
        "timezone": "EST", "exchangeTimezoneName": tz, "regularMarketPrice": float(flat["Close"].iloc[-1]),
        "priceHint": 2, "dataGranularity": "1h" if intraday else "1d", "range": "",
        "validRanges": ["1d", "5d", "1mo", "3mo", "6mo", "1y", "2y", "5y", "10y", "ytd", "max"],
    }
    if intraday:  # regular session of each day, as Yahoo sends for includePrePost=false
        days = pd.Series(index, index=index).groupby(index.date)
        meta["tradingPeriods"] = [
            [{"timezone": "EST", "gmtoffset": -18000, "start": int(g.iloc[0].timestamp()),
              "end": int((g.iloc[0].normalize() + pd.Timedelta("16:00:00")).timestamp())}] for _, g in days
        ]
    quote = {k.lower(): flat[k].tolist() for k in ("Open", "High", "Low", "Close", "Volume")}
    result = {"meta": meta, "timestamp": [int(t.timestamp()) for t in index],
              "indicators": {"quote": [quote], "adjclose": [{"adjclose": flat["Close"].tolist()}]}}
    return {"chart": {"result": [result], "error": None}}


def empty_payload(ticker: str = "AAPL", tz: str = "America/New_York") -> dict:
    """Yahoo's chart JSON for a known symbol with no bars in the range asked for."""
    meta = {"currency": "USD", "symbol": ticker, "exchangeName": "NMS", "instrumentType": "EQUITY",
            "exchangeTimezoneName": tz, "timezone": "EST", "gmtoffset": -18000, "dataGranularity": "1d",
            "range": "", "validRanges": ["1d", "5d", "1mo", "3mo", "6mo", "1y", "2y", "5y", "10y", "ytd", "max"]}
    return {"chart": {"result": [{"meta": meta, "indicators": {"quote": [{}], "adjclose": [{}]}}], "error": None}}


def set_payload_values(payload: dict, key: str, positions: list[int], value) -> dict:
    """The payload with `key` ('close', 'volume', ... or 'adjclose') set to `value` (None: Yahoo's null)
    at these bar positions; a changed copy."""
    payload = json.loads(json.dumps(payload))
    result = payload["chart"]["result"][0]["indicators"]
    values = result["adjclose"][0]["adjclose"] if key == "adjclose" else result["quote"][0][key]
    for i in positions:
        values[i] = value
    return payload


class TzCacheKnowing:
    """yfinance's tz cache after an earlier online session: it knows the symbol's timezone, so
    yfinance sends no timezone request before the price request."""

    def __init__(self, tz: str = "America/New_York"):
        self.tz = tz

    def lookup(self, ticker):
        return self.tz

    def store(self, ticker, tz):
        pass


NOT_FOUND = {"chart": {"result": None, "error": {"code": "Not Found", "description": "No data found, symbol may be delisted"}}}


class FakeYahooHttp:
    """Replaces yfinance.data.YfData._make_request: chart requests get `payload` (or Yahoo's 404 for
    an unknown symbol), quote look-ups get an empty answer; or every request raises `raises`."""

    def __init__(self, payloads: dict[str, dict] | None = None, *, raises: Exception | None = None):
        self.payloads, self.raises = payloads or {}, raises
        self.urls: list[str] = []

    def as_method(self):
        """A function to set as YfData._make_request (called with YfData's self first)."""
        return lambda _yfdata, *args, **kwargs: self(*args, **kwargs)

    def __call__(self, url, request_method=None, body=None, params=None, timeout=30, data=None):
        self.urls.append(url)
        if self.raises is not None:
            raise self.raises
        if "/v8/finance/chart/" in url:
            symbol = url.rsplit("/", 1)[1]
            if symbol in self.payloads:
                return FakeResponse(self.payloads[symbol])
            return FakeResponse(NOT_FOUND, 404)
        if "quoteSummary" in url:
            return FakeResponse({"quoteSummary": {"result": None, "error": {"code": "Not Found", "description": "Quote not found"}}}, 404)
        return FakeResponse({"quoteResponse": {"result": [], "error": None}})
