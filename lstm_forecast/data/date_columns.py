"""Find and parse the date column(s) of a table of strings: ISO, day/month order, date + time, epochs."""
from __future__ import annotations

import re
import warnings

import pandas as pd

from ..errors import UserError

DATE_NAME = re.compile(r"date|time|timestamp|datetime|month|period|^ds$|day|year|week|epoch", re.I)
ISO_DATE = re.compile(r"^\d{4}-\d{1,2}(-\d{1,2})?([ T]|$)")
DMY_DATE = r"^(\d{1,2})[/.-](\d{1,2})[/.-]\d{2,4}\b"  # day or month first: decided from the data
_TIME_OF_DAY = re.compile(r"^(\d{1,2})[:.](\d{2})(?:[:.](\d{2}(?:\.\d+)?))?$")
_EPOCH_SECONDS = (6e8, 4.2e9)  # 1989..2103


def find_dates(
    table: pd.DataFrame, date_col: str | None, time_col: str | None, report: list[str]
) -> tuple[pd.Series | None, str | None, list[str]]:
    """Parsed timestamps per row (NaT for junk rows), the date column's name, and the columns used.

    A clock-time column (`time_col`, or one found by content) is joined to the date column.
    (None, None, []) when no column holds dates.
    """
    for name, role in ((date_col, "date_col"), (time_col, "time_col")):
        if name is not None and name not in table.columns:
            raise UserError(f"{role.replace('_col', '')} column {name!r} not found; choose one of {list(table.columns)} with {role}")
    notes: list[str] = []  # what parsing the dates noticed (ambiguous order, time zones)
    if date_col is None:
        date_col, dates, notes = _detect_date_col(table)
        if date_col is None:
            return None, None, []
    else:
        dates = _parse_dates(table[date_col], hinted=True, report=notes)
    if time_col is None and dates is not None and (dates.dropna() == dates.dropna().dt.normalize()).all():
        time_col = _find_time_col(table, exclude=date_col)  # date-only column: is the clock elsewhere?
    cells = table[date_col]
    if time_col is not None:
        times = table[time_col].str.replace(r"^(\d{1,2})[:.](\d{2})[:.]", r"\1:\2:", regex=True)
        times = times.str.replace(r"^(\d{1,2})[:.](\d{2})$", r"\1:\2:00", regex=True)
        cells = cells + " " + times.fillna("00:00:00")
        report.append(f"combined date column {date_col!r} with time column {time_col!r}")
        notes = []
        dates = _parse_dates(cells, hinted=True, report=notes)
    report.extend(notes)
    if dates is None or dates.notna().sum() < 0.5 * cells.notna().sum():
        bad = cells[dates.isna()] if dates is not None else cells
        raise UserError(
            f"cannot read dates in column {date_col!r} (first values: {bad.dropna().head(3).tolist()}); "
            "choose the right date_col or use dates like 2020-01-31"
        )
    return dates, date_col, [date_col] + ([time_col] if time_col else [])


def _detect_date_col(table: pd.DataFrame) -> tuple[str | None, pd.Series | None, list[str]]:
    """The first column, named-like-a-date ones first, whose cells mostly parse as dates; its dates
    and parsing notes."""
    hinted = [c for c in table.columns if DATE_NAME.search(c)]
    for col in hinted + [c for c in table.columns if c not in hinted]:
        notes: list[str] = []
        dates = _parse_dates(table[col], hinted=col in hinted, report=notes)
        if dates is not None and dates.notna().sum() >= (0.5 if col in hinted else 0.8) * table[col].notna().sum():
            return col, dates, notes
    return None, None, []


def _find_time_col(table: pd.DataFrame, exclude: str) -> str | None:
    """A column holding only clock times (18:00:00 or 18.00.00), to join to a date-only column."""
    for col in table.columns:
        cells = table[col].dropna()
        if col != exclude and len(cells) and cells.str.fullmatch(_TIME_OF_DAY.pattern).mean() >= 0.9:
            return col
    return None


def _parse_dates(cells: pd.Series, *, hinted: bool, report: list[str]) -> pd.Series | None:
    """Timestamps (naive, NaT where unreadable) from date strings or epoch numbers; None if not dates."""
    text = cells.dropna()
    sample = text.head(1000)  # enough to tell the style; the day/month order looks at every date
    if text.empty:
        return None
    if pd.to_numeric(sample, errors="coerce").notna().mean() > 0.9:
        return _parse_numeric_dates(pd.to_numeric(cells, errors="coerce"), name=str(cells.name), hinted=hinted)
    if sample.str.fullmatch(_TIME_OF_DAY.pattern).mean() > 0.9:
        return None  # clock times only: the time half of a date + time pair
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "could not infer format": dateutil per element
        if sample.str.match(ISO_DATE.pattern).mean() > 0.5:
            try:
                dates = pd.to_datetime(cells, format="ISO8601", errors="coerce")
            except ValueError:  # mixed UTC offsets
                dates = pd.to_datetime(cells, format="ISO8601", errors="coerce", utc=True)
                report.append("timestamps had different UTC offsets: converted them all to UTC")
        elif sample.str.match(DMY_DATE).mean() > 0.5:
            days = pd.Series(text.str.replace(r"[ T].*$", "", regex=True).unique())
            fields = days.str.extract(DMY_DATE).astype(float)
            day_first = bool((fields[0] > 12).any())
            if not day_first and not (fields[1] > 12).any():
                report.append(f"dates like {text.iloc[0]!r} could be day-first or month-first: read them month-first")
            dates = pd.to_datetime(cells, dayfirst=day_first, errors="coerce")
            if dates.notna().sum() < 0.9 * len(text):  # mixed padding or styles: parse each on its own
                dates = pd.to_datetime(cells, dayfirst=day_first, format="mixed", errors="coerce")
        elif hinted or sample.str.match(r"^\d{4}[/.]\d{1,2}[/.]\d{1,2}").mean() > 0.5:  # 2020/01/31, 'Jan 2020'
            dates = pd.to_datetime(cells.where(cells.str.contains(r"\d", na=False)), errors="coerce")
        else:
            return None
    if getattr(dates.dt, "tz", None) is not None:
        if not any("UTC" in line for line in report):
            report.append(f"dropped the time zone ({dates.dt.tz}): timestamps kept in local clock time")
        dates = dates.dt.tz_localize(None)
    return dates


def _parse_numeric_dates(numbers: pd.Series, *, name: str, hinted: bool) -> pd.Series | None:
    """Timestamps from a 'year' column, a 'date' column of yyyymmdd, or epoch seconds/milliseconds."""
    valid = numbers.dropna()
    low, high = valid.min(), valid.max()
    as_text = numbers.astype("Int64").astype(str) if (valid % 1 == 0).all() else None
    if as_text is not None and re.search("year", name, re.I) and 1000 <= low and high <= 2200:
        return pd.to_datetime(as_text, format="%Y", errors="coerce")
    if as_text is not None and re.search("date", name, re.I) and 1e7 <= low and high < 2.2e7:
        return pd.to_datetime(as_text, format="%Y%m%d", errors="coerce")
    if not hinted and not (valid.is_monotonic_increasing or valid.is_monotonic_decreasing):
        return None
    for unit, scale in (("s", 1), ("ms", 1e3)):
        if _EPOCH_SECONDS[0] * scale <= low and high <= _EPOCH_SECONDS[1] * scale:
            return pd.to_datetime(numbers, unit=unit, errors="coerce")
    return None
