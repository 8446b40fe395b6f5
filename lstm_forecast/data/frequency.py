"""Give a time-indexed frame one regular frequency: sort, merge duplicates, snap, reindex, fill.

No row is lost without a count in the report: rows sharing a timestamp are averaged and counted,
off-grid timestamps are moved onto the grid and counted, and a row that still missed the grid
would be counted as dropped.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset
from pandas.tseries import offsets as off

from ..errors import UserError

_MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
_MONTH_NAMES = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                "November", "December"]
_WEEKDAYS = ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]
_DAY_NAMES = ["Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays"]
_MAX_GRID_GROWTH = 4  # a grid over 4x the rows (and 1,000 rows more) means a mistyped date
_USUAL_STEPS = [pd.Timedelta(t) for t in ("1s", "5s", "10s", "15s", "30s", "1min", "2min", "5min", "10min", "15min",
                                          "20min", "30min", "1h", "2h", "3h", "4h", "6h", "8h", "12h", "1D", "7D",
                                          "30D", "91D", "365D")]  # what a jittered step is rounded to
_TICK_UNITS = {off.Hour: "hour", off.Minute: "minute", off.Second: "second", off.Milli: "millisecond",
               off.Micro: "microsecond", off.Nano: "nanosecond"}
_END_ANCHORED = (off.MonthEnd, off.QuarterEnd, off.YearEnd, off.BusinessMonthEnd, off.BQuarterEnd, off.BYearEnd,
                 off.SemiMonthEnd)


def _has_option(key: str) -> bool:
    try:
        pd.get_option(key)
    except pd.errors.OptionError:  # pandas 3.0 has no such option; infer_freq returns a string there
        return False
    return True


_OFFSET_OPTION = "future.infer_freq_returns_offset"
_HAS_OFFSET_OPTION = _has_option(_OFFSET_OPTION)


def pandas_infer_freq(index: pd.DatetimeIndex) -> off.BaseOffset | None:
    """pandas' own exact frequency of `index` as an offset, on pandas 3.0 and 3.1 alike; None when
    pandas finds none (irregular, too short, or not datetimes)."""
    try:
        if _HAS_OFFSET_OPTION:
            with pd.option_context(_OFFSET_OPTION, True):
                found = pd.infer_freq(index)
        else:
            found = pd.infer_freq(index)
    except (TypeError, ValueError):
        return None
    return to_offset(found) if isinstance(found, str) else found


def infer_freq(index: pd.DatetimeIndex) -> str | None:
    """The regular frequency of a sorted, de-duplicated, possibly gappy index ('h', 'D', 'MS'...).

    None when there are fewer than 3 points or the steps are not positive.
    """
    return infer_freq_with_reason(index)[0]


def infer_freq_with_reason(index: pd.DatetimeIndex) -> tuple[str | None, str]:
    """`infer_freq`, and the reason in a few words ('every step is 1 day', ...)."""
    if len(index) < 3:
        return None, "fewer than 3 timestamps"
    exact = pandas_infer_freq(index)
    if exact is not None:
        return exact.freqstr, "every step between timestamps is the same"
    steps = index.to_series().diff().dropna()
    steps = steps[steps > pd.Timedelta(0)]
    if steps.empty:
        return None, "the timestamps do not increase"
    step = steps.mode().iloc[0]  # the typical step; gaps are its multiples
    typical = f"the most common step between timestamps is {step_words(step)}"
    days = step / pd.Timedelta(days=1)
    calendar = 28 <= days <= 31 or 89 <= days <= 92 or 365 <= days <= 366  # months, quarters, years vary
    if not calendar and (steps % step != pd.Timedelta(0)).any():  # jittered clock times (23 h, 25 h, ...)
        median = steps.median()
        step = min(_USUAL_STEPS, key=lambda usual: abs(np.log(usual / median)))
        typical = f"the steps vary around {step_words(median.round('s'))}, nearest to {step_words(step)}"
        days = step / pd.Timedelta(days=1)
    first = index[0]
    if days < 1:
        return to_offset(step).freqstr, typical
    if days == 1:  # trading days: no weekend at all, and at least two Friday -> Monday steps
        weekends = (index.day_of_week >= 5).any()
        fri_to_mon = ((steps == pd.Timedelta(days=3)) & (steps.index.day_of_week == 0)).sum()
        if not weekends and fri_to_mon >= 2:
            return "B", "weekdays only, with Friday to Monday steps"
        return "D", typical
    if days == 7:
        return f"W-{_WEEKDAYS[first.day_of_week]}", typical
    if 28 <= days <= 31:
        return _anchored_freq(index, start="MS", end="ME"), "the most common step is about a month"
    if 89 <= days <= 92:
        start = f"QS-{_MONTHS[(first.month - 1) % 3]}"
        end = f"QE-{_MONTHS[9 + (first.month - 1) % 3]}"
        return _anchored_freq(index, start=start, end=end), "the most common step is about a quarter"
    if 365 <= days <= 366:
        month = _MONTHS[first.month - 1]
        return _anchored_freq(index, start=f"YS-{month}", end=f"YE-{month}"), "the most common step is a year"
    return to_offset(step).freqstr, typical


def _anchored_freq(index: pd.DatetimeIndex, *, start: str, end: str) -> str:
    """The end-anchored alias when every date is a month end, else the start-anchored one."""
    return end if index.is_month_end.all() and not (index.day == 1).all() else start


def step_words(step: pd.Timedelta) -> str:
    """'1 day', '7 days', '1 hour', '30 minutes', '90 seconds'."""
    for unit, size in (("day", pd.Timedelta(days=1)), ("hour", pd.Timedelta(hours=1)),
                       ("minute", pd.Timedelta(minutes=1)), ("second", pd.Timedelta(seconds=1))):
        if step >= size and step % size == pd.Timedelta(0):
            n = int(step // size)
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return str(step)


def describe_freq(freq: str | off.BaseOffset | None) -> str:
    """A pandas frequency in words for people: 'MS' -> 'monthly (month start)', '30min' -> 'every
    30 minutes', None -> 'no dates (row order)'. An unknown alias comes back as it is."""
    if freq is None:
        return "no dates (row order)"
    try:
        offset = to_offset(freq)
    except (ValueError, TypeError):
        return str(freq)
    n = offset.n
    every = f"every {n} " if n != 1 else ""
    for kind, unit in _TICK_UNITS.items():
        if type(offset) is kind:
            return "hourly" if (kind, n) == (off.Hour, 1) else f"every {n} {unit}s" if n != 1 else f"every {unit}"
    if isinstance(offset, off.Day):
        return "daily" if n == 1 else f"every {n} days"
    if isinstance(offset, off.CustomBusinessDay):  # a subclass of BusinessDay: ask first
        return "custom business days" if n == 1 else f"every {n} custom business days"
    if isinstance(offset, off.BusinessDay):
        return "business days" if n == 1 else f"every {n} business days"
    if isinstance(offset, (off.BusinessHour, off.CustomBusinessHour)):
        return "business hours" if n == 1 else f"every {n} business hours"
    if isinstance(offset, off.Week):
        days = f" ({_DAY_NAMES[offset.weekday]})" if offset.weekday is not None else ""
        return ("weekly" if n == 1 else f"every {n} weeks") + days
    monthly = {off.MonthBegin: "month start", off.MonthEnd: "month end",
               off.BusinessMonthBegin: "first business day", off.BusinessMonthEnd: "last business day"}
    if type(offset) in monthly:
        return f"{'monthly' if n == 1 else f'every {n} months'} ({monthly[type(offset)]})"
    if isinstance(offset, (off.SemiMonthBegin, off.SemiMonthEnd)):
        days = (f"1st and {offset.day_of_month}th" if isinstance(offset, off.SemiMonthBegin)
                else f"{offset.day_of_month}th and month end")
        return f"{'twice a month' if n == 1 else f'every {n} half-months'} ({days})"
    if isinstance(offset, (off.QuarterBegin, off.QuarterEnd, off.BQuarterBegin, off.BQuarterEnd)):
        return _describe_anchored(offset, "quarterly" if n == 1 else f"every {n} quarters", "quarter", 3)
    if isinstance(offset, (off.YearBegin, off.YearEnd, off.BYearBegin, off.BYearEnd)):
        return _describe_anchored(offset, "yearly" if n == 1 else f"every {n} years", "year", 12)
    return f"{every}{offset.freqstr} steps".strip()


def _describe_anchored(offset: off.BaseOffset, base: str, period: str, months: int) -> str:
    """'quarterly', 'quarterly (quarter end)', 'yearly (years start in July)', ..."""
    end = isinstance(offset, _END_ANCHORED)
    business = isinstance(offset, (off.BQuarterBegin, off.BQuarterEnd, off.BYearBegin, off.BYearEnd))
    month = offset.startingMonth if months == 3 else offset.month
    usual = month % months == (0 if end else 1 % months)  # QS-JAN, QE-DEC, YS-JAN, YE-DEC
    if usual:
        note = f"{period} end" if end else ""
    else:
        firsts = sorted({(month - 1 + k) % 12 for k in range(0, 12, months)})
        names = ", ".join(_MONTH_NAMES[m][:3] if months == 3 else _MONTH_NAMES[m] for m in firsts)
        note = f"{period}s {'end' if end else 'start'} in {names}"
    if business:
        note = ", ".join(filter(None, [note, f"{'last' if end else 'first'} business day"]))
    return f"{base} ({note})" if note else base


def describe_step_change(index: pd.DatetimeIndex) -> str | None:
    """'the steps change from 1 day to 1 hour on 2020-03-01' when a sorted index keeps one step
    through most of its first fifth and another through most of its last fifth, and the first
    step does not come back after the second begins. Steps within 1.5x of each other (months of
    28 to 31 days) are alike; gappy data with no clear step gives None."""
    unique = index.unique()
    steps = pd.Series(unique[1:] - unique[:-1])
    if len(steps) < 8:
        return None
    part = max(3, len(steps) // 5)
    head, tail = steps.iloc[:part].mode().iloc[0], steps.iloc[-part:].mode().iloc[0]
    if max(head, tail) < 1.5 * min(head, tail):
        return None
    if (steps.iloc[:part] == head).mean() < 0.6 or (steps.iloc[-part:] == tail).mean() < 0.6:
        return None
    last_head = int(np.flatnonzero((steps == head).to_numpy())[-1])
    tails = np.flatnonzero((steps == tail).to_numpy())
    tails = tails[tails > last_head]
    if not len(tails):
        return None
    when = unique[int(tails[0])]  # where the first step of the new size starts
    return f"the steps change from {step_words(head)} to {step_words(tail)} on {stamp(when)}"


@dataclass
class Regularised:
    """What `regularise_observed` made of a frame, with the counts the loader's warnings need."""

    frame: pd.DataFrame  # regular and gap-free
    freq: str | None
    report: list[str]
    observed: pd.DataFrame | None = None  # bool, same shape: True where read, False where filled
    rows_in: int = 0  # rows with a timestamp that came in
    rows_merged: int = 0  # rows averaged into another row's timestamp (duplicates, or after snapping)
    steps_filled: int = 0  # grid steps that had no row
    freq_reason: str = ""  # why this frequency, when it was inferred


def regularise(
    frame: pd.DataFrame, freq: str | None = None
) -> tuple[pd.DataFrame, str | None, list[str]]:
    """Sort, merge duplicate times, reindex to a regular grid and fill every gap and NaN.

    frame: numeric columns indexed by a DatetimeIndex (any order, gaps, duplicates) or by row
        order. Returns (regular gap-free frame, freq alias or None, one report sentence per repair).
    """
    done = regularise_observed(frame, freq)
    return done.frame, done.freq, done.report


def regularise_observed(frame: pd.DataFrame, freq: str | None = None) -> Regularised:
    """`regularise`, plus a boolean frame of the same shape: True where a value was read, False
    where it was filled (gaps, missing cells, edges). LoadedSeries uses it so that a forecast is
    never scored on filled-in values at the end of the target."""
    report: list[str] = []
    frame = _drop_unusable_columns(frame, report)
    done = Regularised(frame, freq, report, rows_in=len(frame))
    inserted = None
    if isinstance(frame.index, pd.DatetimeIndex):
        frame, inserted = _regularise_times(frame, freq, done)
    else:
        frame = frame.reset_index(drop=True)
        done.freq = None
    valid = frame.notna().any(axis=1) if inserted is None else frame.notna().any(axis=1) & ~inserted
    if valid.sum() < 3:
        raise UserError(
            f"only {int(valid.sum())} rows with numbers remain after cleaning; supply at least 3"
        )
    observed = frame.notna()
    if inserted is not None:
        observed = observed & ~np.asarray(inserted)[:, None]
    done.frame, done.observed = _fill_missing_values(frame, inserted, report), observed
    return done


def _drop_unusable_columns(frame: pd.DataFrame, report: list[str]) -> pd.DataFrame:
    text = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    if text:
        report.append(f"dropped {len(text)} non-numeric column(s): {text}")
        frame = frame.drop(columns=text)
    empty = [c for c in frame.columns if frame[c].isna().all()]
    if empty:
        report.append(f"dropped {len(empty)} column(s) with no values: {empty}")
        frame = frame.drop(columns=empty)
    if frame.shape[1] == 0:
        raise UserError("no column has any numbers; supply a file with at least one numeric column")
    return frame


def _regularise_times(frame: pd.DataFrame, freq: str | None, done: Regularised) -> tuple[pd.DataFrame, np.ndarray | None]:
    """The frame on a regular grid and which of its rows were inserted gaps; fills in `done`'s
    freq, counts and report."""
    report = done.report
    undated = frame.index.isna()
    if undated.any():
        report.append(f"dropped {int(undated.sum()):,} rows without a timestamp")
        frame = frame[~undated]
    done.rows_in = len(frame)
    if not frame.index.is_monotonic_increasing:
        report.append(f"sorted {len(frame):,} rows into ascending time order")
        frame = frame.sort_index(kind="stable")
    frame = _merge_duplicates(frame, report)
    if freq is None:
        freq, done.freq_reason = infer_freq_with_reason(frame.index)
    if freq is None:
        done.rows_merged, done.freq = done.rows_in - len(frame), None
        return frame, None
    try:
        offset = to_offset(freq)
    except ValueError as err:
        raise UserError(f"unknown frequency {freq!r}; use a pandas alias such as 'h', 'D', 'W-SUN' or 'MS'") from err
    snapped = _snap_to_grid(frame.index, offset)
    moved = snapped != frame.index
    if moved.any():
        first = int(np.flatnonzero(moved)[0])
        report.append(
            f"moved {int(moved.sum()):,} timestamps onto the regular {offset.freqstr!r} grid "
            f"(e.g. {stamp(frame.index[first])} -> {stamp(snapped[first])})"
        )
        frame = _merge_duplicates(frame.set_axis(snapped, axis=0), report, after_snap=True)
    first, last = frame.index[0], frame.index[-1]
    size = int((last - first) / ((first + offset) - first)) + 1  # counted before the grid is built
    if size > _MAX_GRID_GROWTH * len(frame) and size > len(frame) + 1000:
        raise UserError(
            f"dates run from {stamp(first)} to {stamp(last)}, {size:,} {offset.freqstr!r} "
            f"steps for only {len(frame):,} rows; {_why_sparse(frame.index)}"
        )
    grid = pd.date_range(first, last, freq=offset, name=frame.index.name)
    off_grid = ~frame.index.isin(grid)
    if off_grid.any():  # a safety net: snapping puts every row on the grid
        report.append(f"dropped {int(off_grid.sum()):,} rows whose timestamps fall between the {offset.freqstr!r} steps")
        frame = frame[~off_grid]
    done.rows_merged = done.rows_in - len(frame)
    inserted = ~grid.isin(frame.index)
    frame = frame.reindex(grid)
    if inserted.any():
        runs = pd.Series(inserted).ne(pd.Series(inserted).shift()).cumsum()[inserted]
        largest = int(runs.value_counts().max())
        report.append(
            f"filled {int(inserted.sum()):,} missing steps by interpolation (largest gap: {largest:,} step{'s' if largest > 1 else ''})"
        )
    done.freq, done.steps_filled = offset.freqstr, int(inserted.sum())
    return frame, inserted


def stamp(ts: pd.Timestamp) -> str:
    """'2020-01-05' for midnight, else '2020-01-05 09:30' (seconds when there are any). Built from
    the fields, as strftime refuses years outside 1..9999 that pandas can hold."""
    day = f"{ts.year:04d}-{ts.month:02d}-{ts.day:02d}"
    if ts == ts.normalize():
        return day
    if ts.second == 0 and ts.microsecond == 0 and ts.nanosecond == 0:
        return f"{day} {ts.hour:02d}:{ts.minute:02d}"
    return f"{day} {ts.time()}"


def _why_sparse(index: pd.DatetimeIndex) -> str:
    """The likely cause and fix when the dates span far more steps than there are rows."""
    change = describe_step_change(index)
    if change:
        return f"{change}; pass freq= with the step you want, or load each part separately"
    gaps = pd.Series(index[1:] - index[:-1])
    at = int(gaps.to_numpy().argmax())
    return (f"the largest gap runs from {stamp(index[at])} to {stamp(index[at + 1])}; "
            "fix mistyped dates or pass the right frequency")


def _merge_duplicates(frame: pd.DataFrame, report: list[str], after_snap: bool = False) -> pd.DataFrame:
    duplicated = frame.index.duplicated(keep=False)
    if not duplicated.any():
        return frame
    n_times = frame.index[duplicated].nunique()
    when = " after moving them onto the grid" if after_snap else ""
    report.append(
        f"merged {int(duplicated.sum()):,} rows sharing {n_times:,} duplicate timestamps{when} by averaging them"
    )
    return frame.groupby(level=0, sort=True).mean()


def _snap_to_grid(index: pd.DatetimeIndex, offset: off.BaseOffset) -> pd.DatetimeIndex:
    """Off-grid timestamps moved onto the grid of `offset`.

    Fixed steps ('h', '30min'): to the nearest step of the grid most timestamps sit on (midnight's
    grid when none holds a majority). Days: back to their day (at the usual clock time). Calendar
    steps ('MS', 'W-SUN', 'B'): to their usual clock time, then back to their period's start (to
    its end for month/quarter/year-end aliases).
    """
    if isinstance(offset, off.Tick) or isinstance(offset, off.Day):
        step = pd.Timedelta(days=offset.n) if isinstance(offset, off.Day) else pd.Timedelta(offset)
        step = step.as_unit(index.unit) if step.as_unit(index.unit) == step else step  # 'ns' overflows before 1678
        phases = ((index - index[0].normalize()) % step).value_counts()
        origin = index[0].normalize()  # midnight's grid, unless most timestamps share another (jittered clocks)
        origin = origin + phases.index[0] if phases.iloc[0] > 0.5 * len(index) else origin
        steps = (index - origin) / step
        whole = np.floor(steps + (0.0 if isinstance(offset, off.Day) else 0.5)).astype("int64")
        return pd.DatetimeIndex(origin + whole * step, name=index.name)
    clock = pd.Series(index - index.normalize()).value_counts().idxmax()  # the usual time of day
    days = (index - clock).normalize()
    roll_forward = isinstance(offset, _END_ANCHORED)
    on = np.fromiter((offset.is_on_offset(ts) for ts in days), dtype=bool, count=len(days))
    rolled = [offset.rollforward(ts) if roll_forward else offset.rollback(ts) for ts in days[~on]]
    days = days.to_numpy().copy()
    days[~on] = pd.DatetimeIndex(rolled).normalize().to_numpy() if rolled else days[~on]
    return pd.DatetimeIndex(days, name=index.name) + clock


def _fill_missing_values(
    frame: pd.DataFrame, inserted: np.ndarray | None, report: list[str]
) -> pd.DataFrame:
    """Interpolate interior NaNs (in time when dated) and fill leading/trailing ones with the edge.

    inserted: bool per row, True for rows added as gaps (already reported, so not counted again).
    """
    missing = frame.isna()
    if not missing.to_numpy().any():
        return frame
    inside = missing & frame.ffill().notna() & frame.bfill().notna()
    if inserted is not None:
        inside = inside[~inserted]
    n_inside = int(inside.to_numpy().sum())
    n_edges = int((missing & (frame.ffill().isna() | frame.bfill().isna())).to_numpy().sum())
    method = "time" if isinstance(frame.index, pd.DatetimeIndex) else "linear"
    frame = frame.interpolate(method=method, limit_area="inside").ffill().bfill()
    if n_inside:
        worst = inside.sum().idxmax()
        report.append(
            f"filled {n_inside:,} missing values inside the data by interpolation "
            f"(most in {worst!r}: {int(inside[worst].sum()):,})"
        )
    if n_edges:
        report.append(f"filled {n_edges:,} missing values at the start or end with the nearest value")
    return frame
