"""The seasonal period of a series, and each step's phase and cycle (DESIGN decision 6).

The period comes from the frequency (hourly 24 and 168, daily 7 and 365, ...), is checked
against the autocorrelation of the detrended series, and can be overridden. A step's phase is
its position in the cycle (hour of day, day of week, month of year); its cycle is which day,
week or year it belongs to.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from statsmodels.tsa.stattools import acf
from statsmodels.tsa.tsatools import detrend

from .data.calendar import DAY_NS, WEEK_NS, candidate_periods, describe_frequency, offset_kind, parse_offset, step_text
from .data.frequency import pandas_infer_freq
from .errors import UserError

MIN_ACF = 0.1  # an autocorrelation below this never confirms a season (nor below 3/sqrt(T))
MIN_PROMINENCE = 0.2  # a peak must rise this far above its trough to count
STRONG_ACF = 0.5  # a calendar lag this strongly autocorrelated counts with only MIN_CYCLES_STRONG cycles seen
MIN_CYCLES_STRONG = 3  # (a yearly season in 3-4 years of daily temperatures is plain; random walks stay out)
MIN_CYCLES_DETRENDED = 6  # a random walk's detrended ACF wobbles at lags >= T/6 (measured), so
#                           the detrended ACF speaks only for periods that repeat 6 times or more
MAX_SEARCH_LAGS = 400  # the fallback looks for ACF peaks in lags 2..400 at most


@dataclass
class PeriodChoice:
    """The chosen seasonal period and why."""

    period: int  # steps per cycle; 1 means no season
    source: str  # "override" | "frequency" | "autocorrelation" | "none"
    acf: float  # seasonal autocorrelation at lag `period` (nan: no season, or the ACF has no peak there)
    candidates: dict[int, float]  # each lag considered -> its seasonal autocorrelation (nan: no peak)
    note: str  # one human sentence saying what was chosen and why


def infer_period(
    values: np.ndarray,
    freq: str | None,
    *,
    override: int | None = None,
    max_period: int | None = None,
) -> PeriodChoice:
    """Choose the seasonal period of `values` (T,): override, else frequency, else ACF peak.

    The seasonal autocorrelation at lag p is the larger of two ACFs, each counted only where it
    peaks near p: that of the first differences (it sees seasons riding on a random walk) and that
    of the linearly detrended values (it sees smooth seasons under noise, which differencing
    drowns), the latter only for p <= T/6 and when it rises MIN_PROMINENCE above its trough half a
    period back, so that a wandering random walk does not pass for a season. A candidate is
    confirmed at >= max(MIN_ACF, 3/sqrt(T)); the fallback asks for 0.2 and 5/sqrt(T), as it
    searches many lags. Among near-equal fallback peaks (multiples) the shortest lag wins.
    """
    x = _clean(values)
    n = len(x)
    limit = n // 2
    if override is not None:
        if not 1 <= override <= max(limit, 1):
            raise UserError(
                f"seasonal period {override} is out of range for a series of {n} points; "
                f"choose a period between 1 and {max(limit, 1)} (two full cycles must fit)"
            )
        score = _seasonal_acf(x, [override]).get(override, math.nan) if override >= 2 else math.nan
        said = f" (autocorrelation {score:.2f} at that lag)" if math.isfinite(score) else ""
        return PeriodChoice(override, "override", score, {override: score}, f"period {override} set by hand{said}")
    if max_period is not None:
        limit = min(limit, max_period)
    if n < 8 or np.ptp(x) == 0:
        why = "the series is constant" if n >= 8 else f"the series has only {n} points"
        return PeriodChoice(1, "none", math.nan, {}, f"no season found: {why}, so the period is 1")

    name = describe_frequency(freq)
    listed = candidate_periods(freq)
    fitting = [p for p in listed if 2 <= p <= limit]
    scores = _seasonal_acf(x, fitting)
    threshold = max(MIN_ACF, 3 / math.sqrt(n))
    if scores:
        best = max(scores, key=lambda p: (np.nan_to_num(scores[p], nan=-1.0), -p))
        if scores[best] >= threshold:
            note = f"period {best} from the {name} frequency, confirmed by autocorrelation {scores[best]:.2f} at lag {best}"
            return PeriodChoice(best, "frequency", scores[best], scores, note)
        why = "no " + name + " candidate is confirmed (" + ", ".join(f"lag {p}: {_said(s)}" for p, s in scores.items()) + ")"
    elif listed:
        why = f"the {name} candidates {list(listed)} need at least two full cycles ({2 * min(listed)} points)"
    elif freq is None:
        why = "no frequency is known"
    else:
        why = f"the {name} frequency has no calendar season"

    peaks = _acf_peaks(x, min(limit, MAX_SEARCH_LAGS))
    if peaks:
        top = max(peaks.values())
        lag = min(p for p, s in peaks.items() if s >= 0.9 * top)  # the first of near-equal multiples
        note = f"period {lag} from the autocorrelation peak {peaks[lag]:.2f} at lag {lag}, as {why}"
        return PeriodChoice(lag, "autocorrelation", peaks[lag], {**scores, **peaks}, note)
    note = f"no season found: {why} and the autocorrelation has no clear peak, so the period is 1"
    return PeriodChoice(1, "none", math.nan, scores, note)


def phase_and_cycle(index: pd.Index, period: int, anchor: str | int | pd.Timestamp | None = None
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Phase (position in the cycle) and cycle (which cycle) of each step, int64 arrays (T,).

    On a regular DatetimeIndex whose period matches the calendar, the first step's phase is its
    calendar position (hour of day, hour of week with Monday 00:00 = 0, day of week with Monday =
    0, day of year - 1, ISO week - 1, month - 1, quarter - 1, weekday on 'B', business day of the
    year) and phase_t = (phase_0 + t) mod period, cycle_t = (phase_0 + t) // period. That is exact
    for regular data, except 365 / 52 / 260 drift by a step per leap year / 53-week year / year
    with more business days. Otherwise phase = t mod period and cycle = t // period, where t counts
    steps from `anchor`, a saved run's first training time stamp (dated) or step number (undated),
    so that data starting elsewhere gets the same phases; without an anchor, from the first row.
    """
    if period < 1:
        raise ValueError(f"period must be >= 1, got {period}")
    steps = np.arange(len(index), dtype=np.int64)
    start = 0
    if isinstance(index, pd.DatetimeIndex) and len(index):
        offset = _index_freq(index)
        rule = _calendar_rule(offset, period)
        if rule is not None:
            start = int(rule[1](index[0]))
        elif anchor is not None and offset is not None:
            start = _steps_between(pd.Timestamp(anchor), index[0], offset)
    elif anchor is not None and len(index) and pd.api.types.is_integer_dtype(index):
        steps = np.asarray(index, dtype=np.int64) - int(anchor)  # step numbers, counted from the run's first
    return (start + steps) % period, (start + steps) // period


def _steps_between(anchor: pd.Timestamp, first: pd.Timestamp, offset: pd.DateOffset) -> int:
    """Signed number of `offset` steps from `anchor` to `first` (both on the same grid)."""
    if first >= anchor:
        return len(pd.date_range(anchor, first, freq=offset)) - 1
    return -(len(pd.date_range(first, anchor, freq=offset)) - 1)


def phase_label(freq: str | None, period: int) -> str:
    """Axis title for the phase: 'hour of day', 'day of week', 'month of year', 'step mod 17'."""
    rule = _calendar_rule(parse_offset(freq), period)
    return rule[0] if rule is not None else f"step mod {period}"


def seasonal_profile(values: np.ndarray, phase: np.ndarray) -> pd.DataFrame:
    """The series' own profile per phase: columns phase, mean, q25, q75 (one row per phase)."""
    grouped = pd.Series(np.asarray(values, dtype=np.float64)).groupby(np.asarray(phase), sort=True)
    profile = pd.DataFrame({"mean": grouped.mean(), "q25": grouped.quantile(0.25), "q75": grouped.quantile(0.75)})
    return profile.rename_axis("phase").reset_index()


# --- helpers -------------------------------------------------------------------------------


def _index_freq(index: pd.DatetimeIndex) -> pd.DateOffset | None:
    if index.freq is not None:
        return index.freq
    if len(index) < 3:
        return None
    return pandas_infer_freq(index)  # an offset on pandas 3.0 and 3.1 alike


def _calendar_rule(offset: pd.DateOffset | None, period: int) -> tuple[str, Callable[[pd.Timestamp], int]] | None:
    """(axis title, first timestamp -> its phase) when `period` is a calendar cycle of `offset`."""
    if offset is None:
        return None
    kind = offset_kind(offset)
    if kind == "sub-daily":
        step = offset.nanos
        unit = "hour" if step == 3600 * 10**9 else f"{step_text(offset)} step"
        if DAY_NS % step == 0 and period == DAY_NS // step:
            return f"{unit} of day", lambda ts: _ns_since_midnight(ts) // step
        if WEEK_NS % step == 0 and period == WEEK_NS // step:
            return f"{unit} of week", lambda ts: (ts.day_of_week * DAY_NS + _ns_since_midnight(ts)) // step
        return None
    if offset.n != 1:
        return None
    rules: dict[tuple[str, int], tuple[str, Callable[[pd.Timestamp], int]]] = {
        ("daily", 7): ("day of week", lambda ts: ts.day_of_week),
        ("daily", 365): ("day of year", lambda ts: (ts.day_of_year - 1) % 365),
        ("business-daily", 5): ("weekday", lambda ts: min(ts.day_of_week, 4)),
        ("business-daily", 260): (
            "business day of year",
            lambda ts: int(np.busday_count(f"{ts.year}-01-01", ts.strftime("%Y-%m-%d"))) % 260,
        ),
        ("weekly", 52): ("week of year", lambda ts: (ts.isocalendar().week - 1) % 52),
        ("monthly", 12): ("month of year", lambda ts: ts.month - 1),
        ("quarterly", 4): ("quarter of year", lambda ts: ts.quarter - 1),
    }
    return rules.get((kind, period))


def _ns_since_midnight(ts: pd.Timestamp) -> int:
    seconds = (ts.hour * 60 + ts.minute) * 60 + ts.second
    return seconds * 10**9 + ts.microsecond * 1000 + ts.nanosecond


def _clean(values: np.ndarray) -> np.ndarray:
    """Float64 copy with any non-finite value interpolated (only to estimate the period)."""
    x = np.asarray(values, dtype=np.float64).ravel()
    if not np.isfinite(x).all():
        x = pd.Series(np.where(np.isfinite(x), x, np.nan)).interpolate(limit_direction="both").to_numpy()
        x = np.nan_to_num(x)
    # The ACF does not depend on the scale, but its sums of squares overflow near 1e300 and
    # underflow near 1e-300: bring the values to order 1 first (the largest magnitude becomes 1).
    top = float(np.max(np.abs(x))) if x.size else 0.0
    if top > 0 and np.isfinite(top):
        x = x / top
    return x


def _acfs(x: np.ndarray, nlags: int) -> tuple[np.ndarray, np.ndarray]:
    """ACF (lags 0..nlags) of the linearly detrended values and of the first differences."""
    nlags = min(nlags, len(x) - 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        level = acf(detrend(x, order=1), nlags=nlags, fft=True)
        change = acf(np.diff(x), nlags=nlags, fft=True)
    return np.nan_to_num(level, nan=-1.0), np.nan_to_num(change, nan=-1.0)


def _seasonal_acf(x: np.ndarray, lags: list[int]) -> dict[int, float]:
    """Seasonal autocorrelation per lag (see infer_period); nan where neither ACF peaks there."""
    if not lags:
        return {}
    level, change = _acfs(x, max(lags) + _peak_window(max(lags)))
    scores = {}
    for p in lags:
        trough = level[math.ceil(p / 2) : p + 1].min()
        enough_cycles = p * MIN_CYCLES_DETRENDED <= len(x) or (
            p * MIN_CYCLES_STRONG <= len(x) and level[p] >= STRONG_ACF and level[p] - trough >= 2 * MIN_PROMINENCE
        )
        level_counts = enough_cycles and level[p] - trough >= MIN_PROMINENCE and _near_peak(level, p)
        usable = [curve[p] for curve, ok in ((level, level_counts), (change, _near_peak(change, p))) if ok]
        scores[p] = round(float(max(usable)), 4) if usable else math.nan
    return scores


def _said(score: float) -> str:
    return "no peak" if math.isnan(score) else f"{score:.2f}"


def _peak_window(lag: int) -> int:
    return max(1, lag // 20)


def _near_peak(curve: np.ndarray, lag: int) -> bool:
    """Whether curve[lag] is within 0.05 of the highest value within lag +- lag/20.

    A calendar lag that is not a peak (lag 168 on a 17-step season) is not that season's period.
    """
    w = _peak_window(lag)
    return bool(curve[lag] >= curve[max(lag - w, 0) : lag + w + 1].max() - 0.05)


def _acf_peaks(x: np.ndarray, max_lag: int) -> dict[int, float]:
    """Clear ACF peaks in lags 2..max_lag: of the detrended values, else of the differences."""
    from scipy.signal import find_peaks  # 0.6 s to import: only the no-frequency fallback needs it  # deferred: scipy

    if max_lag < 2:
        return {}
    level, change = _acfs(x, max_lag)
    height = max(2 * MIN_ACF, 5 / math.sqrt(len(x)))
    level = level[: len(x) // MIN_CYCLES_DETRENDED + 1]
    for curve in (level, change):
        lags, props = find_peaks(curve, height=height, prominence=MIN_PROMINENCE)
        keep = lags >= 2
        if keep.any():
            return {int(p): round(float(h), 4) for p, h in zip(lags[keep], props["peak_heights"][keep])}
    return {}
