"""Give a time-indexed frame one regular frequency: sort, merge duplicates, snap, reindex, fill."""
from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset
from pandas.tseries.offsets import BusinessMonthEnd, MonthEnd, QuarterEnd, Tick, YearEnd

from ..errors import UserError

_MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
_WEEKDAYS = ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]
_MAX_GRID_GROWTH = 4  # a grid over 4x the rows (and 1,000 rows more) means a mistyped date


def infer_freq(index: pd.DatetimeIndex) -> str | None:
    """The regular frequency of a sorted, de-duplicated, possibly gappy index ('h', 'D', 'MS'...).

    None when there are fewer than 3 points or the steps are not positive.
    """
    if len(index) < 3:
        return None
    try:
        with pd.option_context("future.infer_freq_returns_offset", True):
            exact = pd.infer_freq(index)
    except (TypeError, ValueError):
        exact = None
    if exact is not None:
        return exact.freqstr
    steps = index.to_series().diff().dropna()
    steps = steps[steps > pd.Timedelta(0)]
    if steps.empty:
        return None
    step = steps.mode().iloc[0]  # the typical step; gaps are its multiples
    days = step / pd.Timedelta(days=1)
    first = index[0]
    if days < 1:
        return to_offset(step).freqstr
    if days == 1:  # trading days: no weekend at all, and at least two Friday -> Monday steps
        weekends = (index.day_of_week >= 5).any()
        fri_to_mon = ((steps == pd.Timedelta(days=3)) & (steps.index.day_of_week == 0)).sum()
        return "B" if not weekends and fri_to_mon >= 2 else "D"
    if days == 7:
        return f"W-{_WEEKDAYS[first.day_of_week]}"
    if 28 <= days <= 31:
        return _anchored_freq(index, start="MS", end="ME")
    if 89 <= days <= 92:
        start = f"QS-{_MONTHS[(first.month - 1) % 3]}"
        end = f"QE-{_MONTHS[9 + (first.month - 1) % 3]}"
        return _anchored_freq(index, start=start, end=end)
    if 365 <= days <= 366:
        month = _MONTHS[first.month - 1]
        return _anchored_freq(index, start=f"YS-{month}", end=f"YE-{month}")
    return to_offset(step).freqstr


def _anchored_freq(index: pd.DatetimeIndex, *, start: str, end: str) -> str:
    """The end-anchored alias when every date is a month end, else the start-anchored one."""
    return end if index.is_month_end.all() and not (index.day == 1).all() else start


def regularise(
    frame: pd.DataFrame, freq: str | None = None
) -> tuple[pd.DataFrame, str | None, list[str]]:
    """Sort, merge duplicate times, reindex to a regular grid and fill every gap and NaN.

    frame: numeric columns indexed by a DatetimeIndex (any order, gaps, duplicates) or by row
        order. Returns (regular gap-free frame, freq alias or None, one report sentence per repair).
    """
    frame, freq, report, _ = regularise_observed(frame, freq)
    return frame, freq, report


def regularise_observed(
    frame: pd.DataFrame, freq: str | None = None
) -> tuple[pd.DataFrame, str | None, list[str], pd.DataFrame]:
    """`regularise`, plus a boolean frame of the same shape: True where a value was read, False
    where it was filled (gaps, missing cells, edges). LoadedSeries uses it so that a forecast is
    never scored on filled-in values at the end of the target."""
    report: list[str] = []
    frame = _drop_unusable_columns(frame, report)
    inserted = None
    if isinstance(frame.index, pd.DatetimeIndex):
        frame, freq, inserted = _regularise_times(frame, freq, report)
    else:
        frame = frame.reset_index(drop=True)
        freq = None
    valid = frame.notna().any(axis=1) if inserted is None else frame.notna().any(axis=1) & ~inserted
    if valid.sum() < 3:
        raise UserError(
            f"only {int(valid.sum())} rows with numbers remain after cleaning; supply at least 3"
        )
    observed = frame.notna()
    if inserted is not None:
        observed = observed & ~np.asarray(inserted)[:, None]
    frame = _fill_missing_values(frame, inserted, report)
    return frame, freq, report, observed


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


def _regularise_times(
    frame: pd.DataFrame, freq: str | None, report: list[str]
) -> tuple[pd.DataFrame, str | None, np.ndarray | None]:
    """The frame on a regular grid, its freq alias, and which of its rows were inserted gaps."""
    frame = frame[frame.index.notna()]
    if not frame.index.is_monotonic_increasing:
        report.append(f"sorted {len(frame):,} rows into ascending time order")
        frame = frame.sort_index(kind="stable")
    frame = _merge_duplicates(frame, report)
    if freq is None:
        freq = infer_freq(frame.index)
    if freq is None:
        return frame, None, None
    try:
        offset = to_offset(freq)
    except ValueError as err:
        raise UserError(f"unknown frequency {freq!r}; use a pandas alias such as 'h', 'D', 'W-SUN' or 'MS'") from err
    snapped = _snap_to_grid(frame.index, offset)
    moved = int((snapped != frame.index).sum())
    if moved:
        report.append(f"moved {moved:,} timestamps onto the regular {freq!r} grid")
        frame = _merge_duplicates(frame.set_axis(snapped, axis=0), report)
    grid = pd.date_range(frame.index[0], frame.index[-1], freq=offset, name=frame.index.name)
    if len(grid) > _MAX_GRID_GROWTH * len(frame) and len(grid) > len(frame) + 1000:
        raise UserError(
            f"dates run from {frame.index[0]} to {frame.index[-1]}, {len(grid):,} {freq!r} steps for only "
            f"{len(frame):,} rows; fix mistyped dates or pass the right frequency"
        )
    inserted = ~grid.isin(frame.index)
    frame = frame.reindex(grid)
    if inserted.any():
        runs = pd.Series(inserted).ne(pd.Series(inserted).shift()).cumsum()[inserted]
        largest = int(runs.value_counts().max())
        report.append(
            f"filled {int(inserted.sum()):,} missing steps by interpolation (largest gap: {largest:,} step{'s' if largest > 1 else ''})"
        )
    return frame, offset.freqstr, inserted


def _merge_duplicates(frame: pd.DataFrame, report: list[str]) -> pd.DataFrame:
    duplicated = frame.index.duplicated(keep=False)
    if not duplicated.any():
        return frame
    n_times = frame.index[duplicated].nunique()
    report.append(
        f"merged {int(duplicated.sum()):,} rows sharing {n_times:,} duplicate timestamps by averaging them"
    )
    return frame.groupby(level=0, sort=True).mean()


def _snap_to_grid(index: pd.DatetimeIndex, offset: pd.DateOffset) -> pd.DatetimeIndex:
    """Off-grid timestamps moved to the nearest step from the first one (fixed steps like 'h'),
    or back to their period's start (to its end for month/quarter/year-end aliases)."""
    if isinstance(offset, Tick):
        step = pd.Timedelta(offset)
        steps = ((index - index[0]) / step).round().astype("int64")
        return pd.DatetimeIndex(index[0] + pd.to_timedelta(steps * step.value, unit="ns"), name=index.name)
    roll_forward = isinstance(offset, (MonthEnd, QuarterEnd, YearEnd, BusinessMonthEnd))
    snapped = [
        ts if offset.is_on_offset(ts)
        else (offset.rollforward(ts.normalize()) if roll_forward else offset.rollback(ts).normalize())
        for ts in index
    ]
    return pd.DatetimeIndex(snapped, name=index.name)


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
