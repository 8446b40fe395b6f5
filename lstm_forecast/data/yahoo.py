"""Fetch one ticker's prices from Yahoo Finance (through yfinance 1.7) as a LoadedSeries, cached on disk.

What yfinance 1.7 hands back, read from its source (multi.py, scrapers/history.py):
- `yf.download(..., auto_adjust=True, multi_level_index=True)` returns columns as a MultiIndex
  named ('Price', 'Ticker'): Close, High, Low, Open (float64) and Volume (int64); no 'Adj Close'
  (Close is already adjusted for splits and dividends).
- Daily and longer bars: index named 'Date', tz-naive. Intraday bars: index named 'Datetime',
  tz-aware in the exchange's timezone (e.g. America/New_York); we drop the tz so 09:30 stays 09:30
  and hour-of-day means market hours.
- It never raises for a failed ticker. It returns an empty frame (with an 'Adj Close' column and a
  nameless index) and logs the reason on the 'yfinance' logger as "['XYZQ']: <reason>", where the
  reason is e.g. "YFRateLimitError('Too Many Requests...')" or "DNSError('Failed to perform, curl:
  (6) Could not resolve host...')". `yfinance.shared._ERRORS` is no longer filled in 1.7 (read
  anyway, for older versions). So we listen to that logger during the call to give the real reason.
- It remembers between calls, so the same failure reads differently later in a process:
  `base._tz_info_fetch_ctr` allows only two `Ticker.info` fallbacks for a timezone per process. Offline,
  the first two calls fail in that fallback ("DNSError(...)"); from the third on, the DNS error shows
  only in a "Failed to get ticker 'T' reason: ..." line and the ticker's reason becomes "possibly
  delisted; no price data found". When yfinance's tz cache (on disk) knows the ticker, no timezone
  request is sent, the price request's network error is swallowed, and the logs are word for word
  those of a valid ticker with no bars in range. So network evidence is read from every line, and
  only when nothing explains an empty answer, a cheap probe (one TCP connection to Yahoo's host)
  tells "offline" from "no data".

Every answer, downloaded or cached, passes `validate_prices` before it is cached or used.

Intraday decision: stock exchanges trade about 6.5 hours a day, 5 days a week, so hourly bars
fill about a fifth of an hourly clock grid. Interpolating over nights and weekends would invent
~80% of the rows, and the model would learn those straight lines. So when the bars cover less than
90% of the clock grid, we keep only the real bars and index them by bar number (RangeIndex,
freq None); the report gives the session hours and the bars per session (the natural seasonal
period). Markets that trade around the clock (crypto) fill the grid, and get a regular
DatetimeIndex ('h', '5min'...) with the few gaps interpolated.

Cache: one file per request (ticker, start, end, period, interval, auto_adjust), the price frame as
fetched (local times), parquet when pyarrow is importable, else CSV, written atomically. Requests
whose end is open (a period, no end, or an end from today on) expire after 12 hours; fixed past
ranges never do. A failed fetch writes nothing, and a cached file that fails validation counts as
absent (fetched again).
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import socket
import tempfile
import threading
import time
import urllib.request
import warnings
from contextlib import contextmanager, suppress
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import pandas as pd

from ..errors import UserError
from .frequency import regularise_observed
from .series import LoadedSeries
from .source import Source

INTERVALS = ("1m", "2m", "5m", "15m", "30m", "60m", "90m", "1h", "1d", "5d", "1wk", "1mo", "3mo")
PERIODS = ("1d", "5d", "1mo", "3mo", "6mo", "1y", "2y", "5y", "10y", "ytd", "max")
FIELDS = ("Open", "High", "Low", "Close", "Volume")
INTRADAY_FREQ = {  # pandas alias of each intraday interval's clock grid
    "1m": "min", "2m": "2min", "5m": "5min", "15m": "15min", "30m": "30min",
    "60m": "h", "90m": "90min", "1h": "h",
}
LOOKBACK_DAYS = {  # how far back Yahoo serves each intraday interval
    "1m": 30, "2m": 60, "5m": 60, "15m": 60, "30m": 60, "90m": 60, "60m": 730, "1h": 730,
}
MAX_SPAN_DAYS = {"1m": 7}  # Yahoo's limit on one request's length
DEFAULT_PERIOD = {  # when neither period nor start is given: as much as is useful and allowed
    "1m": "5d", "2m": "1mo", "5m": "1mo", "15m": "1mo", "30m": "1mo", "90m": "1mo",
    "60m": "1y", "1h": "1y", "1d": "2y", "5d": "5y", "1wk": "10y", "1mo": "max", "3mo": "max",
}
FREQ_BY_INTERVAL = {"1wk": "W-MON", "1mo": "MS"}  # Yahoo's bar starts; daily ones are inferred ('B' or 'D')
PERIOD_DAYS = {"1d": 1, "5d": 5, "1mo": 31, "3mo": 92, "6mo": 183, "1y": 366, "2y": 731, "5y": 1827, "10y": 3653}
UNIT_DAYS = {"d": 1, "wk": 7, "mo": 31, "y": 366}  # most days a period unit spans, for the lookback check
OPEN_ENDED_TTL = timedelta(hours=12)  # a request that reaches today goes stale as new bars arrive
DOWNLOAD_TIMEOUT_S = 20  # per HTTP request; yfinance's default of 10 s is tight on slow links
REGULAR_GRID_COVERAGE = 0.9  # intraday bars filling at least this share of the clock grid are regularised
MIN_CLOSES = 3  # fewer bars with a price cannot make a series (regularise needs 3)
YAHOO_HOST = "query2.finance.yahoo.com"  # the host of yfinance 1.7's _BASE_URL_: every price request goes there
PROBE_TIMEOUT_S = 3.0  # the connectivity probe's whole budget; spent only when an empty answer is unexplained

_CUSTOM_PERIOD_RE = re.compile(r"^([1-9]\d*)(d|wk|mo|y)$")  # yfinance 1.7 also takes '60d', '2wk', '18mo'
_TICKER_RE = re.compile(r"^[A-Z0-9.^=&_-]{1,32}$")
_RATE_LIMIT_RE = re.compile(r"YFRateLimitError|Too Many Requests|rate.?limit", re.IGNORECASE)
_NETWORK_RE = re.compile(
    r"DNSError|ConnectionError|Timeout|timed out|Could not resolve host|"
    r"curl: \(\d+\)|Failed to perform|Connection refused|Network is unreachable|ProxyError|SSLError",
    re.IGNORECASE,
)
_GUESS_RE = re.compile(r"possibly delisted; no (price data|timezone) found")  # yfinance's guesses, not Yahoo's words
_NO_TIMEZONE_RE = re.compile(r"no timezone found")  # Yahoo answered the timezone request with an error
_CRASH_RE = re.compile(r"^\w+(Error|Exception)\(")  # an exception yfinance caught while reading Yahoo's answer


def default_cache_dir() -> Path:
    """$LSTM_FORECAST_CACHE (default ~/.cache/lstm_forecast) / 'yahoo'."""
    return Path(os.environ.get("LSTM_FORECAST_CACHE", "~/.cache/lstm_forecast")).expanduser() / "yahoo"


def fetch_yahoo(
    ticker: str,
    *,
    start: str | date | None = None,
    end: str | date | None = None,
    period: str | None = None,
    interval: str = "1d",
    field: str = "Close",
    cache_dir: Path | str | None = None,
    refresh: bool = False,
    probe: Callable[[], str | None] | None = None,
) -> LoadedSeries:
    """One ticker's bars as a LoadedSeries: `field` is the value column, the other prices covariates.

    start/end: dates (end exclusive, as in yfinance). period: one of PERIODS, instead of start.
    refresh: fetch again even when the disk cache holds this request. probe: says why Yahoo cannot
    be reached, or None (default `probe_yahoo`); asked only when an empty answer is unexplained.
    Missing values at the ends of `field` are dropped (and reported), never filled and scored.
    Raises UserError for bad input, unknown tickers, empty or malformed answers, rate limits and an
    unreachable Yahoo; none of those is cached.
    """
    ticker = _check_ticker(ticker)
    interval = _check_choice(interval, INTERVALS, "interval")
    field = _check_field(field)
    start_day, end_day = _parse_day(start, "start"), _parse_day(end, "end")
    period = _check_period(period, start_day, end_day, interval)
    _check_lookback(interval, start_day, end_day, period, today=date.today())

    request = {"ticker": ticker, "start": _iso(start_day), "end": _iso(end_day), "period": period,
               "interval": interval, "auto_adjust": True}
    folder = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    stem = folder / f"{re.sub(r'[^A-Z0-9]', '_', ticker)}-{interval}-{_request_key(request)}"
    open_ended = period is not None or end_day is None or end_day >= date.today()
    report: list[str] = []

    cached = None if refresh else _read_cache(stem, ticker, interval, ttl=OPEN_ENDED_TTL if open_ended else None)
    if cached is None:
        prices = _download(ticker, start=request["start"], end=request["end"], period=period, interval=interval,
                           probe=probe or probe_yahoo, report=report)
        _write_cache(prices, stem, report)  # only a frame that passed validate_prices gets here
        how = "fetched"
    else:
        prices, saved = cached
        how = f"loaded (cached {saved:%Y-%m-%d %H:%M}; refresh to fetch again)"
    report.insert(0, f"{how} {len(prices):,} rows of {ticker} ({interval} bars) from Yahoo Finance, "
                     f"{_describe_span(prices.index)}; prices are adjusted for splits and dividends")

    prices = _usable_columns(prices, field, ticker, report)
    frame, freq, repairs, observed = _shape_bars(prices, interval)
    report.extend(repairs)
    order = [field] + [c for c in frame.columns if c != field]
    date_col = frame.index.name if isinstance(frame.index, pd.DatetimeIndex) else None
    request = Source("ticker", ticker=ticker, start=None if start_day is None else start_day.isoformat(),
                     end=None if end_day is None else end_day.isoformat(), period=period, interval=interval, field=field,
                     value_col=field)
    loaded = LoadedSeries(frame[order], field, date_col=date_col, freq=freq,
                          source=f"yahoo:{ticker} {field} {interval}", report=report, observed=observed[order],
                          origin=request)
    return loaded.trimmed()


def validate_prices(frame: object, ticker: str, interval: str, report: list[str] | None = None) -> pd.DataFrame:
    """yf.download's answer, or a cached frame -> flat float64 frame of the FIELDS present, index
    tz-naive exchange time; rows without any price dropped. UserError (one line, the reason) when it
    cannot be `ticker`'s prices: not a table, another ticker, no Close, no bar times, text, no closes.

    frame: columns MultiIndex ('Price', 'Ticker') or flat; index 'Date' (naive) or 'Datetime' (tz-aware).
    Infinite prices become missing values, with a sentence in `report`: Yahoo sends Infinity in
    adjclose, and yfinance divides by a zero close.
    """
    if not isinstance(frame, pd.DataFrame):
        raise _shape_error(ticker, f"a {type(frame).__name__} instead of a table")
    prices = _ticker_columns(frame, ticker)
    repeated = sorted({str(c) for c in prices.columns[prices.columns.duplicated()]})
    if repeated:
        raise _shape_error(ticker, f"repeated columns {repeated}")
    if "Close" not in prices.columns:
        raise _shape_error(ticker, f"no 'Close' column, only {[str(c) for c in prices.columns]}")
    prices = prices[[c for c in FIELDS if c in prices.columns]]
    for col in prices.columns:
        values = prices[col]
        if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            example = values.dropna().iloc[0] if values.notna().any() else None
            example = example.item() if isinstance(example, np.generic) else example  # True, not np.True_
            raise UserError(f"Yahoo's prices for {ticker!r} are not numbers ({col!r} holds {values.dtype} values "
                            f"such as {example!r}); fetch again, update yfinance (pip install -U yfinance) "
                            "or give the prices as a CSV file (the CSV source in the dashboard, --csv on the command line)")
    prices = prices.set_axis(_bar_times(frame.index, ticker), axis=0).astype("float64")
    prices.columns.name = None
    infinite = np.isinf(prices.to_numpy())
    if infinite.any():
        row, col = (int(i[0]) for i in np.nonzero(infinite))
        if report is not None:
            report.append(f"treated {int(infinite.sum()):,} infinite prices as missing (first in "
                          f"{prices.columns[col]!r} on {prices.index[row]:%Y-%m-%d}); they are interpolated")
        prices = prices.mask(infinite)
    prices = prices.dropna(how="all")
    closes, bars = int(prices["Close"].notna().sum()), len(frame)
    if closes == 0:
        missing = "missing or infinite" if infinite.any() else "missing"
        raise UserError(f"Yahoo returned {bars:,} {interval} bars of {ticker!r} but all closes are {missing}; "
                        "fetch again later, or try another period or interval")
    if closes < MIN_CLOSES:
        raise UserError(f"only {closes} of {bars:,} {interval} bars of {ticker!r} have a close; "
                        f"at least {MIN_CLOSES} are needed: choose a longer period or a shorter interval")
    return prices


def _ticker_columns(frame: pd.DataFrame, ticker: str) -> pd.DataFrame:
    """`ticker`'s columns of a ('Price', 'Ticker') MultiIndex frame, or a flat frame as it is."""
    columns = frame.columns
    if not isinstance(columns, pd.MultiIndex):
        return frame
    if columns.nlevels != 2:
        raise _shape_error(ticker, f"{columns.nlevels} column levels {list(columns.names)}")
    names = list(columns.names)
    if "Ticker" in names:
        level = names.index("Ticker")
    else:  # unnamed levels: the ticker level is the one without 'Close'
        with_close = ["Close" in columns.get_level_values(i) for i in range(2)]
        if with_close.count(True) != 1:
            raise _shape_error(ticker, f"no 'Close' in exactly one of the column levels {list(columns.names)}")
        level = with_close.index(False)
    labels = list(columns.get_level_values(level).unique())
    ours = [label for label in labels if str(label) == ticker]
    if not labels:
        raise _shape_error(ticker, "no columns")
    if not ours:
        others = ", ".join(repr(str(label)) for label in labels)
        raise UserError(f"Yahoo returned prices for {others}, not {ticker!r}; fetch again, "
                        "or give the prices as a CSV file (the CSV source in the dashboard, --csv on the command line)")
    return frame.xs(ours[0], axis=1, level=level)


def _bar_times(index: pd.Index, ticker: str) -> pd.DatetimeIndex:
    """The bar times: tz-naive (exchange wall clock), microseconds, named 'Date' or 'Datetime'."""
    if not pd.api.types.is_datetime64_any_dtype(index):
        raise _shape_error(ticker, f"an index of {index.dtype} values, not bar times")
    times = pd.DatetimeIndex(index)
    if times.hasnans:
        raise UserError(f"Yahoo returned {int(times.isna().sum()):,} of {len(times):,} bars of {ticker!r} "
                        "without a time; fetch again, or give the prices as a CSV file (the CSV source in the dashboard, --csv on the command line)")
    if times.tz is not None:
        times = times.tz_localize(None)  # yfinance already converted to the exchange's timezone
    return times.as_unit("us").rename(index.name or "Date")  # one unit, whatever the source or cache


def _shape_error(ticker: str, what: str) -> UserError:
    return UserError(f"Yahoo's answer for {ticker!r} is not shaped like a yfinance price table ({what}); "
                     "update yfinance (pip install -U yfinance), or give the prices as a CSV file (the CSV source in the dashboard, --csv on the command line)")


def _download(ticker: str, *, start: str | None, end: str | None, period: str | None, interval: str,
              probe: Callable[[], str | None], report: list[str]) -> pd.DataFrame:
    """Call yf.download for one ticker; the validate_prices frame, or UserError with the real reason."""
    import yfinance as yf  # imported here: it is slow to import and only this path needs it  # deferred: yfinance

    kwargs = dict(start=start, end=end, interval=interval, auto_adjust=True, progress=False,
                  threads=False, multi_level_index=True, timeout=DOWNLOAD_TIMEOUT_S)
    if period is not None:
        kwargs["period"] = period  # never with start: yfinance rejects period+start+end
    with _yfinance_log() as messages, warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # yfinance 1.7 calls pandas' deprecated inplace=
        try:
            raw = yf.download(ticker, **kwargs)
        except Exception as err:  # a third-party network call: any failure becomes a one-line UserError
            raise _fetch_error(ticker, [_describe_exception(err)], [], probe=probe, interval=interval,
                               wanted=_describe_request(start, end, period)) from err
    if raw is None or (isinstance(raw, pd.DataFrame) and raw.empty):
        own, other = _reasons_for(ticker, messages)
        raise _fetch_error(ticker, own, other, probe=probe, interval=interval,
                           wanted=_describe_request(start, end, period))
    return validate_prices(raw, ticker, interval, report)


def _describe_exception(err: Exception) -> str:
    """'YFRateLimitError(...)' as yfinance logs it, or 'KeyError: 'chart''."""
    from yfinance.exceptions import YFRateLimitError  # deferred: yfinance

    return repr(err) if isinstance(err, YFRateLimitError) else f"{type(err).__name__}: {err}"


@contextmanager
def _yfinance_log() -> Iterator[list[str]]:
    """Collect the WARNING+ messages this thread logs on the 'yfinance' logger while in the block."""
    messages: list[str] = []
    thread = threading.get_ident()

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.thread == thread:
                messages.append(record.getMessage().strip())

    logger = logging.getLogger("yfinance")
    handler = Collect(level=logging.WARNING)
    logger.addHandler(handler)  # also keeps yfinance's lines off stderr (no lastResort handler)
    try:
        yield messages
    finally:
        logger.removeHandler(handler)


def _reasons_for(ticker: str, messages: list[str]) -> tuple[list[str], list[str]]:
    """yfinance's lines split in two: its "['T']: reason" lines for `ticker`, and every other line
    (such as "Failed to get ticker 'T' reason: ...", where a network error may be the only trace)."""
    prefix = f"['{ticker}']: "
    own = [m[len(prefix):] for m in messages if m.startswith(prefix)]
    other = [m for m in messages if m and not m.startswith(prefix) and "Failed download" not in m]
    try:
        from yfinance import shared  # filled by yfinance < 1.0 only
        legacy = [str(shared._ERRORS[ticker])] if ticker in getattr(shared, "_ERRORS", {}) else []
    except ImportError:
        legacy = []
    return own + legacy, other


def _fetch_error(ticker: str, own: list[str], other: list[str], *, probe: Callable[[], str | None],
                 interval: str, wanted: str) -> UserError:
    """The one-line UserError for a download without rows, from the strongest evidence first:
    the ticker's own reason, then yfinance's other lines, then the probe, then yfinance's guesses.
    The probe also words a network failure that yfinance names only by its exception's class."""
    for reasons in (own, other):
        if _RATE_LIMIT_RE.search(" ".join(reasons)):
            return UserError(f"Yahoo Finance is rate-limiting requests for {ticker!r} (Too Many Requests); "
                             "wait a minute and try again, or give the prices as a CSV file (the CSV source in the dashboard, --csv on the command line)")
        network = sorted((r for r in reasons if _NETWORK_RE.search(r)), key=lambda r: "curl: (" not in r)
        if network:  # curl's own words first; "Cookie/crumb fetch failed (DNSError)" alone: ask the probe
            return _unreachable(_curl_reason(network[0]) if "curl: (" in network[0]
                                else probe() or _shorten(network[0]))
        if reasons is own and own and not _GUESS_RE.search(own[0]):
            return _answer_error(ticker, own[0])
    offline = probe()
    if offline:
        return _unreachable(offline)
    if own and _NO_TIMEZONE_RE.search(own[0]):  # online, so Yahoo did not know the symbol
        return _answer_error(ticker, own[0])
    return UserError(f"Yahoo returned no {interval} bars of {ticker!r} for {wanted}; choose a longer period, "
                     "other dates or another interval, or check the symbol on finance.yahoo.com")


def _answer_error(ticker: str, reason: str) -> UserError:
    """Yahoo's or yfinance's own words about a failed ticker: unknown symbol, error page or a crash."""
    why = _shorten(reason)
    if re.search(r"HTTPError|HTTP Error \d{3}|CURRENTLY DOWN", reason):
        return UserError(f"Yahoo Finance answered {ticker!r} with an error ({why}); try again later, "
                         "or give the prices as a CSV file (the CSV source in the dashboard, --csv on the command line)")
    if _CRASH_RE.search(reason) or re.match(r"^\w+(Error|Exception): ", reason):
        return UserError(f"yfinance could not read Yahoo's answer for {ticker!r} ({why}); update yfinance "
                         "(pip install -U yfinance), or give the prices as a CSV file (the CSV source in the dashboard, --csv on the command line)")
    return UserError(f"no data for ticker {ticker!r} ({why}): check the symbol on finance.yahoo.com "
                     "or try another period/interval")


def _unreachable(why: str) -> UserError:
    return UserError(f"Yahoo Finance cannot be reached ({why}); check the internet connection "
                     "or give the prices as a CSV file (the CSV source in the dashboard, --csv on the command line)")


def _curl_reason(reason: str) -> str:
    """curl's words from "...curl: (6) Could not resolve host: h. See https://..." or the reason shortened."""
    found = re.search(r"curl: \(\d+\) (.+?)(?:\. |\.?'\)|\.?$)", reason)
    return found.group(1) if found else _shorten(reason)


def _describe_request(start: str | None, end: str | None, period: str | None) -> str:
    """"period '1mo'", "2024-01-06 to 2024-01-08 (end excluded)" or "2024-01-06 on"."""
    if period is not None:
        return f"period {period!r}"
    return f"{start} to {end} (end excluded)" if end else f"{start} on"


def probe_yahoo(host: str = YAHOO_HOST, port: int = 443, timeout: float = PROBE_TIMEOUT_S) -> str | None:
    """Why Yahoo's query host cannot be reached ('could not resolve host ...', 'could not connect to
    ...: Network is unreachable', 'no answer from ... within 3 s'), or None when a TCP connection opens
    within `timeout` seconds, DNS included. None behind a proxy: then only yfinance's answer counts."""
    proxies = urllib.request.getproxies()
    if proxies.get("https") or proxies.get("all"):
        return None
    outcome: list[str | None] = []
    worker = threading.Thread(target=lambda: outcome.append(_connect(host, port, timeout)), daemon=True)
    worker.start()
    worker.join(timeout)  # getaddrinfo has no timeout of its own; a hung DNS is left to finish alone
    return outcome[0] if outcome else f"no answer from {host} within {timeout:g} s"


def _connect(host: str, port: int, timeout: float) -> str | None:
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except socket.gaierror as err:
        return f"could not resolve host {host}: {err.strerror or err}"
    except TimeoutError:
        return f"no answer from {host} within {timeout:g} s"
    except OSError as err:
        return f"could not connect to {host}: {err.strerror or err}"
    return None


def _shorten(reason: str, limit: int = 160) -> str:
    one_line = " ".join(reason.split())
    return one_line if len(one_line) <= limit else one_line[: limit - 3] + "..."


def _shape_bars(prices: pd.DataFrame, interval: str) -> tuple[pd.DataFrame, str | None, list[str], pd.DataFrame]:
    """Regular frame, freq, repair sentences and the observed mask (regularise_observed): a clock
    grid, or bar numbers for session-only intraday bars."""
    if interval in INTRADAY_FREQ:
        grid = pd.date_range(prices.index.min(), prices.index.max(), freq=INTRADAY_FREQ[interval])
        if len(prices) < REGULAR_GRID_COVERAGE * len(grid):
            return _index_by_bar(prices, interval)
        return _as_tuple(regularise_observed(prices, INTRADAY_FREQ[interval]))
    return _as_tuple(regularise_observed(prices, FREQ_BY_INTERVAL.get(interval)))


def _as_tuple(done) -> tuple[pd.DataFrame, str | None, list[str], pd.DataFrame]:
    return done.frame, done.freq, done.report, done.observed


def _index_by_bar(prices: pd.DataFrame, interval: str) -> tuple[pd.DataFrame, None, list[str], pd.DataFrame]:
    """Session-only intraday bars, in time order, indexed 0..n-1; the report says what a bar is."""
    prices = prices.sort_index()
    prices = prices[~prices.index.duplicated(keep="last")]
    sessions = prices.index.normalize().nunique()
    per_session = max(1, round(len(prices) / sessions))
    first, last = min(prices.index.time), max(prices.index.time)
    note = (f"{interval} bars cover trading hours only ({first:%H:%M}-{last:%H:%M} exchange time, "
            f"about {per_session} bars per session over {sessions} sessions), so they are indexed by "
            f"bar number rather than clock time, not filled over nights and weekends; "
            f"one session is a seasonal period of {per_session}")
    frame, _, repairs, observed = _as_tuple(regularise_observed(prices.reset_index(drop=True)))
    return frame, None, [note] + repairs, observed


def _usable_columns(prices: pd.DataFrame, field: str, ticker: str, report: list[str]) -> pd.DataFrame:
    """Without Volume when Yahoo has none for this symbol (indices, FX: all zero); UserError when
    `field` has too few values to be the series."""
    if "Volume" in prices.columns and not prices["Volume"].fillna(0).ne(0).any():
        if field == "Volume":
            raise UserError(f"Yahoo has no trading volume for {ticker!r} (all zero); "
                            "choose field Open, High, Low or Close")
        report.append(f"dropped Volume: Yahoo reports none for {ticker} (all zero)")
        prices = prices.drop(columns="Volume")
    if field not in prices.columns:
        raise UserError(f"Yahoo returned no {field!r} for {ticker!r}; choose field one of {list(prices.columns)}")
    present = int(prices[field].notna().sum())
    if present < MIN_CLOSES:
        raise UserError(f"Yahoo has no {field!r} prices for {ticker!r} here ({present} of {len(prices):,} bars); "
                        "choose field 'Close'")
    return prices


def _describe_span(index: pd.DatetimeIndex) -> str:
    """'2024-01-02 to 2024-03-28', with times when the bars are intraday."""
    fmt = "%Y-%m-%d" if (index == index.normalize()).all() else "%Y-%m-%d %H:%M"
    return f"{index[0]:{fmt}} to {index[-1]:{fmt}}"


# --- input checks ---------------------------------------------------------------------------

def _check_ticker(ticker: str) -> str:
    symbol = str(ticker or "").strip().upper()
    if not symbol:
        raise UserError("no ticker given; enter a Yahoo Finance symbol such as 'AAPL' or 'BTC-USD'")
    if not _TICKER_RE.match(symbol):
        raise UserError(f"ticker {ticker!r} is not one Yahoo Finance symbol; enter a single symbol "
                        "such as 'AAPL', '^GSPC', 'EURUSD=X' or 'BTC-USD'")
    return symbol


def _check_choice(value: str, choices: tuple[str, ...], name: str) -> str:
    text = str(value).strip()
    if text not in choices:
        raise UserError(f"{name} {value!r} is not one Yahoo supports; choose one of {list(choices)}")
    return text


def _check_field(field: str) -> str:
    by_lower = {f.lower(): f for f in FIELDS}
    key = str(field).strip().lower()
    if key in ("adj close", "adj_close", "adjclose"):
        raise UserError("field 'Adj Close' is not separate here: Close is already adjusted for splits "
                        "and dividends; use field 'Close'")
    if key not in by_lower:
        raise UserError(f"field {field!r} is not a Yahoo price field; choose one of {list(FIELDS)}")
    return by_lower[key]


def _parse_day(value: str | date | None, name: str) -> date | None:
    """A date from 'YYYY-MM-DD', a date or a datetime (its time is ignored); None stays None."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError) as err:
        raise UserError(f"{name} {value!r} is not a date; write it as YYYY-MM-DD, e.g. '2024-01-31'") from err
    if pd.isna(stamp):
        raise UserError(f"{name} {value!r} is not a date; write it as YYYY-MM-DD, e.g. '2024-01-31'")
    return stamp.date()


def _check_period(period: str | None, start: date | None, end: date | None, interval: str) -> str | None:
    """The period to send (the interval's default when neither period nor start is given), or None."""
    if start is not None and end is not None and start >= end:
        raise UserError(f"start {start.isoformat()} is not before end {end.isoformat()}; "
                        "give a start earlier than the end (the end date is excluded)")
    if period is None or not str(period).strip():
        return DEFAULT_PERIOD[interval] if start is None else None
    period = str(period).strip()
    if period not in PERIODS and not _CUSTOM_PERIOD_RE.match(period):
        raise UserError(f"period {period!r} is not one Yahoo understands; choose one of {list(PERIODS)} "
                        "or a count such as '60d', '2wk' or '18mo'")
    if start is not None:
        raise UserError(f"both period {period!r} and start {start.isoformat()} given; "
                        "give either a period or a start date, not both")
    return period


def _check_lookback(interval: str, start: date | None, end: date | None, period: str | None,
                    *, today: date) -> None:
    """UserError when an intraday request reaches further back than Yahoo serves that interval."""
    if interval not in LOOKBACK_DAYS:
        return
    limit, max_span = LOOKBACK_DAYS[interval], MAX_SPAN_DAYS.get(interval)
    fix = "or use interval '1d' for longer histories"
    if period is not None:
        if period == "max":
            return  # yfinance clips 'max' to the interval's limit itself
        days = _period_days(period, today=today) + (max(0, (today - end).days) if end is not None else 0)
        cap = min(limit, max_span or limit)
        if days > cap:
            ending = f" ending {end.isoformat()}" if end is not None else ""
            raise UserError(f"interval {interval!r} reaches back only {cap} days on Yahoo, but period "
                            f"{period!r}{ending} reaches back {days}; use period '{cap}d' or less, {fix}")
        return
    if start is not None and (today - start).days > limit:
        raise UserError(f"interval {interval!r} reaches back only {limit} days on Yahoo, but start "
                        f"{start.isoformat()} is {(today - start).days} days ago; use a start on or "
                        f"after {(today - timedelta(days=limit)).isoformat()}, {fix}")
    span = ((end or today) - start).days if start is not None else 0
    if max_span is not None and span > max_span:
        raise UserError(f"interval {interval!r} allows at most {max_span} days per request on Yahoo, "
                        f"but {start.isoformat()} to {(end or today).isoformat()} is {span}; "
                        f"shorten the range to {max_span} days, or use interval '2m' or coarser")


def _period_days(period: str, *, today: date) -> int:
    """The most calendar days a period can reach back ('ytd' from January 1st)."""
    if period == "ytd":
        return (today - date(today.year, 1, 1)).days + 1
    if period in PERIOD_DAYS:
        return PERIOD_DAYS[period]
    count, unit = _CUSTOM_PERIOD_RE.match(period).groups()
    return int(count) * UNIT_DAYS[unit]


# --- disk cache -----------------------------------------------------------------------------

def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _request_key(request: dict) -> str:
    return hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()[:16]


def _parquet_ok() -> bool:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


def _read_cache(stem: Path, ticker: str, interval: str, *,
                ttl: timedelta | None) -> tuple[pd.DataFrame, datetime] | None:
    """The cached price frame (validated) and when it was saved, or None when absent, unreadable,
    invalid or older than `ttl`; an unreadable or invalid file is removed."""
    for suffix in (".parquet", ".csv"):
        path = stem.with_suffix(suffix)
        if not path.exists() or (suffix == ".parquet" and not _parquet_ok()):
            continue
        saved = path.stat().st_mtime
        if ttl is not None and time.time() - saved > ttl.total_seconds():
            return None
        try:
            if suffix == ".parquet":
                frame = pd.read_parquet(path)
            else:
                frame = pd.read_csv(path, index_col=0, parse_dates=[0])
            return validate_prices(frame, ticker, interval), datetime.fromtimestamp(saved)
        except Exception:  # the cache is only a copy: whatever cannot be read or trusted is fetched again
            with suppress(OSError):
                path.unlink(missing_ok=True)
    return None


def _write_cache(prices: pd.DataFrame, stem: Path, report: list[str]) -> None:
    """Write the frame to stem.parquet (or .csv) via a temp file and os.replace; never fatal."""
    suffix = ".parquet" if _parquet_ok() else ".csv"
    tmp = None
    try:
        stem.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=stem.parent, prefix=f".{stem.name}-", suffix=suffix)
        os.close(fd)
        if suffix == ".parquet":
            prices.to_parquet(tmp)
        else:
            prices.to_csv(tmp)
        os.replace(tmp, stem.with_suffix(suffix))
    except OSError as err:
        report.append(f"could not cache the download in {stem.parent} ({err.strerror or err}); it will be fetched again")
        if tmp is not None and os.path.exists(tmp):
            os.remove(tmp)
