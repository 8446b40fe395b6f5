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
ranges never do. A failed fetch writes nothing.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import tempfile
import threading
import time
import warnings
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Iterator

import pandas as pd

from ..errors import UserError
from .frequency import regularise
from .series import LoadedSeries

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

_CUSTOM_PERIOD_RE = re.compile(r"^([1-9]\d*)(d|wk|mo|y)$")  # yfinance 1.7 also takes '60d', '2wk', '18mo'
_TICKER_RE = re.compile(r"^[A-Z0-9.^=&_-]{1,32}$")
_RATE_LIMIT_RE = re.compile(r"YFRateLimitError|Too Many Requests|rate.?limit", re.IGNORECASE)
_NETWORK_RE = re.compile(
    r"DNSError|ConnectionError|Timeout|timed out|Could not resolve host|"
    r"curl: \(\d+\)|Failed to perform|Connection refused|Network is unreachable|ProxyError|SSLError",
    re.IGNORECASE,
)


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
) -> LoadedSeries:
    """One ticker's bars as a LoadedSeries: `field` is the value column, the other prices covariates.

    start/end: dates (end exclusive, as in yfinance). period: one of PERIODS, instead of start.
    Raises UserError for bad input, unknown tickers, rate limits and an unreachable Yahoo.
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

    cached = None if refresh else _read_cache(stem, ttl=OPEN_ENDED_TTL if open_ended else None)
    if cached is None:
        prices = _download(ticker, start=request["start"], end=request["end"], period=period, interval=interval)
        _write_cache(prices, stem, report)
        how = "fetched"
    else:
        prices, saved = cached
        how = f"loaded (cached {saved:%Y-%m-%d %H:%M}; refresh to fetch again)"
    report.insert(0, f"{how} {len(prices):,} rows of {ticker} ({interval} bars) from Yahoo Finance, "
                     f"{_describe_span(prices.index)}; prices are adjusted for splits and dividends")

    prices = _drop_empty_volume(prices, field, ticker, report)
    frame, freq, repairs = _shape_bars(prices, interval)
    report.extend(repairs)
    frame = frame[[field] + [c for c in frame.columns if c != field]]
    date_col = frame.index.name if isinstance(frame.index, pd.DatetimeIndex) else None
    return LoadedSeries(frame, field, date_col=date_col, freq=freq,
                        source=f"yahoo:{ticker} {field} {interval}", report=report)


def extract_prices(raw: pd.DataFrame, ticker: str) -> pd.DataFrame:
    """yf.download's frame -> flat float64 frame of the FIELDS present, tz-naive exchange local time.

    raw: columns MultiIndex ('Price', 'Ticker') or flat; index 'Date' (naive) or 'Datetime' (tz-aware).
    Rows with no price at all are dropped.
    """
    frame = raw
    if isinstance(frame.columns, pd.MultiIndex):
        names = list(frame.columns.names)
        level = names.index("Ticker") if "Ticker" in names else frame.columns.nlevels - 1
        tickers = list(frame.columns.get_level_values(level).unique())
        pick = ticker if ticker in tickers else tickers[0]
        frame = frame.xs(pick, axis=1, level=level)
    frame = frame[[c for c in FIELDS if c in frame.columns]]
    index = pd.DatetimeIndex(frame.index)
    if index.tz is not None:
        index = index.tz_localize(None)  # yfinance already converted to the exchange's timezone
    index = index.as_unit("us").rename(raw.index.name or "Date")  # one unit, whatever the source or cache
    frame = frame.set_axis(index, axis=0).astype("float64")
    frame.columns.name = None
    return frame.dropna(how="all")


def _download(ticker: str, *, start: str | None, end: str | None, period: str | None,
              interval: str) -> pd.DataFrame:
    """Call yf.download for one ticker; the extract_prices frame, or UserError with Yahoo's reason."""
    import yfinance as yf  # imported here: it is slow to import and only this path needs it
    from yfinance.exceptions import YFRateLimitError

    kwargs = dict(start=start, end=end, interval=interval, auto_adjust=True, progress=False,
                  threads=False, multi_level_index=True, timeout=DOWNLOAD_TIMEOUT_S)
    if period is not None:
        kwargs["period"] = period  # never with start: yfinance rejects period+start+end
    with _yfinance_log() as messages, warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # yfinance 1.7 calls pandas' deprecated inplace=
        try:
            raw = yf.download(ticker, **kwargs)
        except YFRateLimitError as err:
            raise _fetch_error(ticker, [repr(err)]) from err
        except Exception as err:  # a third-party network call: any failure becomes a one-line UserError
            raise _fetch_error(ticker, [f"{type(err).__name__}: {err}"]) from err
    reasons = _reasons_for(ticker, messages)
    if raw is None or raw.empty:
        raise _fetch_error(ticker, reasons)
    prices = extract_prices(raw, ticker)
    if prices.empty or "Close" not in prices.columns:
        raise _fetch_error(ticker, reasons or ["Yahoo returned rows without prices"])
    return prices


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


def _reasons_for(ticker: str, messages: list[str]) -> list[str]:
    """yfinance's failure reasons for `ticker`: its "['T']: reason" lines, else every other line."""
    prefix = f"['{ticker}']: "
    own = [m[len(prefix):] for m in messages if m.startswith(prefix)]
    other = [m for m in messages if m and not m.startswith(prefix) and "Failed download" not in m]
    try:
        from yfinance import shared  # filled by yfinance < 1.0 only
        legacy = [str(shared._ERRORS[ticker])] if ticker in getattr(shared, "_ERRORS", {}) else []
    except ImportError:
        legacy = []
    return own + legacy or other  # the ticker's own reason beats a passing crumb warning


def _fetch_error(ticker: str, reasons: list[str]) -> UserError:
    """The one-line UserError for a failed download, classified from yfinance's reasons."""
    text = " ".join(reasons)
    if _RATE_LIMIT_RE.search(text):
        return UserError(f"Yahoo Finance is rate-limiting requests for {ticker!r} (Too Many Requests); "
                         "wait a minute and try again, or upload the prices as a CSV")
    if _NETWORK_RE.search(text):
        curl = [m.group(1) for r in reasons if (m := re.search(r"curl: \(\d+\) (.+?)(?:\. |\.?'\)|\.?$)", r))]
        why = curl[0] if curl else _shorten(reasons[0])
        return UserError(f"Yahoo Finance cannot be reached ({why}); check the internet connection "
                         "or upload the prices as a CSV")
    why = _shorten(reasons[0]) if reasons else "Yahoo returned no rows"
    return UserError(f"no data for ticker {ticker!r} ({why}): check the symbol on finance.yahoo.com "
                     "or try another period/interval")


def _shorten(reason: str, limit: int = 160) -> str:
    one_line = " ".join(reason.split())
    return one_line if len(one_line) <= limit else one_line[: limit - 3] + "..."


def _shape_bars(prices: pd.DataFrame, interval: str) -> tuple[pd.DataFrame, str | None, list[str]]:
    """Regular frame, freq and repair sentences: a clock grid, or bar numbers for session-only intraday."""
    if interval in INTRADAY_FREQ:
        grid = pd.date_range(prices.index.min(), prices.index.max(), freq=INTRADAY_FREQ[interval])
        if len(prices) < REGULAR_GRID_COVERAGE * len(grid):
            return _index_by_bar(prices, interval)
        return regularise(prices, INTRADAY_FREQ[interval])
    return regularise(prices, FREQ_BY_INTERVAL.get(interval))


def _index_by_bar(prices: pd.DataFrame, interval: str) -> tuple[pd.DataFrame, None, list[str]]:
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
    frame, _, repairs = regularise(prices.reset_index(drop=True))
    return frame, None, [note] + repairs


def _drop_empty_volume(prices: pd.DataFrame, field: str, ticker: str, report: list[str]) -> pd.DataFrame:
    """Drop Volume when Yahoo has none for this symbol (indices, FX: all zero)."""
    if "Volume" in prices.columns and not prices["Volume"].fillna(0).ne(0).any():
        if field == "Volume":
            raise UserError(f"Yahoo has no trading volume for {ticker!r} (all zero); "
                            "choose field Open, High, Low or Close")
        report.append(f"dropped Volume: Yahoo reports none for {ticker} (all zero)")
        prices = prices.drop(columns="Volume")
    if field not in prices.columns:
        raise UserError(f"Yahoo returned no {field!r} for {ticker!r}; choose field one of {list(prices.columns)}")
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


def _read_cache(stem: Path, *, ttl: timedelta | None) -> tuple[pd.DataFrame, datetime] | None:
    """The cached price frame and when it was saved, or None when absent, unreadable or older than `ttl`."""
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
        except (OSError, ValueError):
            return None  # a damaged cache file: fetch again and overwrite it
        if isinstance(frame.index, pd.DatetimeIndex) and len(frame) > 0:
            return frame.set_axis(frame.index.as_unit("us"), axis=0).astype("float64"), datetime.fromtimestamp(saved)
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
