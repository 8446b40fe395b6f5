"""What a pandas frequency means on the calendar: its name in words and the seasonal cycles it can have.

Below `seasonality` (which checks these candidates against the data) so that a loaded series can name its
season without importing the period search.
"""
from __future__ import annotations

import pandas as pd
from pandas.tseries.frequencies import to_offset

# Candidate periods per frequency kind, for one step of that kind ('2h' divides them by 2).
# Sub-hourly and multi-hour steps get "one day and one week in steps" (see candidate_periods).
CANDIDATE_PERIODS: dict[str, tuple[int, ...]] = {
    "hourly": (24, 168),
    "daily": (7, 365),
    "business-daily": (5, 260),
    "weekly": (52,),
    "monthly": (12,),
    "quarterly": (4,),
    "yearly": (),
}
DAY_NS = 86_400 * 10**9
WEEK_NS = 7 * DAY_NS


def parse_offset(freq: str | None) -> pd.DateOffset | None:
    if not freq:
        return None
    try:
        return to_offset(freq)
    except ValueError:
        return None


def offset_kind(offset: pd.DateOffset) -> str:
    if isinstance(offset, pd.offsets.Day):
        return "daily"
    if isinstance(offset, pd.offsets.Tick):
        return "sub-daily" if offset.nanos < DAY_NS else "other"
    kinds = (
        (pd.offsets.BusinessDay, "business-daily"),
        (pd.offsets.Week, "weekly"),
        ((pd.offsets.MonthBegin, pd.offsets.MonthEnd, pd.offsets.BusinessMonthBegin, pd.offsets.BusinessMonthEnd), "monthly"),
        ((pd.offsets.QuarterBegin, pd.offsets.QuarterEnd, pd.offsets.BQuarterBegin, pd.offsets.BQuarterEnd), "quarterly"),
        ((pd.offsets.YearBegin, pd.offsets.YearEnd, pd.offsets.BYearBegin, pd.offsets.BYearEnd), "yearly"),
    )
    for types, kind in kinds:
        if isinstance(offset, types) and not isinstance(offset, pd.offsets.CustomBusinessDay):
            return kind
    return "other"


def step_text(offset: pd.DateOffset) -> str:
    """'hourly', '30-minute', '2-hour' for a sub-daily tick."""
    seconds = offset.nanos // 10**9
    if seconds == 3600:
        return "hourly"
    for size, unit in ((3600, "hour"), (60, "minute"), (1, "second")):
        if seconds and seconds % size == 0:
            return f"{seconds // size}-{unit}"
    return str(offset.freqstr)


def describe_frequency(freq: str | None) -> str:
    """A human name for a pandas frequency: 'hourly', '30-minute', 'daily', 'monthly'..."""
    offset = parse_offset(freq)
    if offset is None:
        return "unknown"
    kind = offset_kind(offset)
    if kind == "sub-daily":
        return step_text(offset)
    if kind == "other":
        return str(freq)
    return kind if offset.n == 1 else f"{offset.n}-step {kind}"


def candidate_periods(freq: str | None) -> tuple[int, ...]:
    """Candidate periods in steps for a pandas frequency string; () when none applies.

    'h' -> (24, 168); '30min' -> (48, 336); '2h' -> (12, 84); 'D' -> (7, 365); 'B' -> (5, 260);
    'W-SUN' -> (52,); 'MS'/'ME' -> (12,); 'QS-JAN' -> (4,); 'YS' -> (). A multiple step keeps only
    the candidates it divides ('2D' -> ()).
    """
    offset = parse_offset(freq)
    if offset is None:
        return ()
    kind = offset_kind(offset)
    if kind == "sub-daily":
        step = offset.nanos
        return tuple(span // step for span in (DAY_NS, WEEK_NS) if span % step == 0)
    base = CANDIDATE_PERIODS.get(kind, ())
    return tuple(p // offset.n for p in base if p % offset.n == 0)
