"""Find and parse the time axis of a table of strings: one date column (ISO, day/month order,
yyyymmdd, years, Unix time), a date column joined to a clock-time or hour column, or date parts
split across columns (year, month, day, hour, minute)."""
from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import UserError

DATE_NAME = re.compile(r"date|time|timestamp|datetime|month|period|^ds$|day|year|week|epoch|^ts$|unix", re.I)
EPOCH_NAME = re.compile(r"t|ts|\w*_ts|unix\w*|epoch\w*|timestamp\w*|time(_?ms|_?s)?|posix\w*", re.I)
ISO_DATE = re.compile(r"^\d{4}-\d{1,2}(-\d{1,2})?([ T]|$)")
DMY_DATE = r"^(\d{1,2})[/.-](\d{1,2})[/.-]\d{2,4}\b"  # day or month first: decided from the data
ORDER_GUESSED = "could be day-first or month-first"  # in the report sentence of a guessed day/month order
_TIME_OF_DAY = re.compile(r"^(\d{1,2})[:.](\d{2})(?:[:.](\d{2}(?:\.\d+)?))?$")
# Unix time per value, by magnitude: 6e8..4.2e9 seconds is 1989..2103; the same span in ms, us, ns.
_EPOCH_UNITS = (("seconds", 1.0), ("milliseconds", 1e3), ("microseconds", 1e6), ("nanoseconds", 1e9))
_EPOCH_SECONDS = (6e8, 4.2e9)
# Date parts in separate columns: name pattern and valid range of each part.
DATE_PARTS = {
    "year": (re.compile(r"years?|yr|yyyy", re.I), 1000, 2200),
    "month": (re.compile(r"months?|mon|mm|mo", re.I), 1, 12),
    "day": (re.compile(r"days?|dd|dom|day_?of_?month", re.I), 1, 31),
    "hour": (re.compile(r"hours?|hr|hh|hour_?of_?day", re.I), 0, 24),
    "minute": (re.compile(r"minutes?|min|mi", re.I), 0, 59),
    "second": (re.compile(r"seconds?|sec|ss", re.I), 0, 59),
}
_NEEDS = {"day": "month", "hour": "day", "minute": "hour", "second": "minute"}  # a part counts only after its parent
_MONTH_ABBR = {m.lower(): i + 1 for i, m in enumerate(
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"])}


@dataclass
class FoundDates:
    """The time axis found in a table."""

    dates: pd.Series | None  # per row, NaT where unreadable; None: no dates, use the row order
    name: str | None  # the date column, or the joined parts ('year+month+day+hour')
    used: list[str] = field(default_factory=list)  # columns consumed by the time axis
    reason: str = ""  # why these columns, for LoadedSeries.defaults
    parts: dict[str, str] = field(default_factory=dict)  # date-part columns in the table: role -> name


def find_dates(table: pd.DataFrame, date_col: str | None, time_col: str | None, report: list[str]) -> FoundDates:
    """The parsed timestamps per row and the columns they came from; `dates` None when no column
    holds dates. A clock-time column (`time_col`, or one found by content) or an hour column is
    joined to a date-only column; date parts in several columns are combined."""
    for name, role in ((date_col, "date_col"), (time_col, "time_col")):
        if name is not None and name not in table.columns:
            raise UserError(f"{role.replace('_col', '')} column {name!r} not found; choose one of {list(table.columns)} with {role}")
    parts = find_date_parts(table)
    notes: list[str] = []  # what parsing the dates noticed (ambiguous order, time zones, Unix units)
    if date_col is None:
        found = _detect(table, parts, time_col, notes)
        if found.dates is None:
            return found
    else:
        dates = _parse_dates(table[date_col], hinted=True, report=notes)
        found = FoundDates(dates, date_col, [date_col], _unix_reason(notes) or "", parts)
        if time_col is not None or (_is_date_only(dates) and date_col not in parts.values()):
            found = _join_time(table, found, time_col, parts, notes)
    report.extend(notes)
    cells, dates = table[found.used[0]], found.dates
    if dates is None or dates.notna().sum() < 0.5 * cells.notna().sum():
        bad = cells[dates.isna()] if dates is not None else cells
        raise UserError(
            f"cannot read dates in column {found.name!r} (first values: {bad.dropna().head(3).tolist()}); "
            "choose the right date_col or use dates like 2020-01-31"
        )
    if len(found.used) > 1 and not found.name.count("+"):
        report.append(f"combined date column {found.used[0]!r} with time column {found.used[1]!r}")
    elif found.name.count("+"):
        report.append(f"combined the date parts {found.used} into one timestamp")
    return found


def _detect(table: pd.DataFrame, parts: dict[str, str], time_col: str | None, notes: list[str]) -> FoundDates:
    """The best time axis found by names and content: parts or one column, whichever gives more
    distinct timestamps (one column wins a tie)."""
    single_notes: list[str] = []
    single = _detect_date_col(table, exclude=_used_parts(parts), report=single_notes)
    if single.dates is not None and (time_col is not None or
                                     (_is_date_only(single.dates) and single.name not in parts.values())):
        single = _join_time(table, single, time_col, parts, single_notes)
    combined = _combine_parts(table, parts) if len(_used_parts(parts)) >= 2 else None
    if combined is not None and (single.dates is None or combined.dates.nunique() > single.dates.nunique()):
        return combined
    notes.extend(single_notes)
    return single


def _is_date_only(dates: pd.Series | None) -> bool:
    valid = dates.dropna() if dates is not None else pd.Series(dtype="datetime64[ns]")
    return bool(len(valid)) and bool((valid == valid.dt.normalize()).all())


def _join_time(table: pd.DataFrame, found: FoundDates, time_col: str | None, parts: dict[str, str],
               notes: list[str]) -> FoundDates:
    """A date-only column joined to a clock-time column (18:00:00, 18.00.00) or an hour column (0..23)."""
    date_col = found.name
    if time_col is None:
        time_col = _find_time_col(table, exclude=date_col)
    if time_col is not None:
        times = table[time_col].str.replace(r"^(\d{1,2})[:.](\d{2})[:.]", r"\1:\2:", regex=True)
        times = times.str.replace(r"^(\d{1,2})[:.](\d{2})$", r"\1:\2:00", regex=True)
        joined_notes: list[str] = []
        dates = _parse_dates(table[date_col] + " " + times.fillna("00:00:00"), hinted=True, report=joined_notes)
        notes[:] = joined_notes
        return FoundDates(dates, date_col, [date_col, time_col], f"{found.reason}; joined with the clock times in "
                          f"{time_col!r}".lstrip("; "), parts)
    hour = parts.get("hour")
    if hour is None or hour == date_col:
        return found
    hours = _part_numbers(table[hour], "hour")
    hours, note = _hour_ending(hours, hour)
    notes.extend(note)
    dates = found.dates + pd.to_timedelta(hours, unit="h")
    return FoundDates(dates, date_col, [date_col, hour], f"{found.reason}; joined with the hours in {hour!r}".lstrip("; "),
                      parts)


def _used_parts(parts: dict[str, str]) -> list[str]:
    """The part columns that combine: year, month, then day, hour, minute, second while none is missing."""
    used = []
    for role in DATE_PARTS:
        if role not in parts:
            break
        used.append(parts[role])
    return used if len(used) >= 2 else []


def find_date_parts(table: pd.DataFrame) -> dict[str, str]:
    """Columns named and filled like date parts: role ('year', 'month', ...) -> column name."""
    parts: dict[str, str] = {}
    for role, (pattern, _, _) in DATE_PARTS.items():
        for col in table.columns:
            if col not in parts.values() and pattern.fullmatch(str(col).strip()):
                numbers = _part_numbers(table[col], role)
                if numbers.notna().sum() >= 0.9 * max(1, table[col].notna().sum()) and numbers.notna().any():
                    parts[role] = col
                    break
    return parts


def _part_numbers(cells: pd.Series, role: str) -> pd.Series:
    """The whole numbers of a date-part column within its range (month names too); NaN elsewhere."""
    numbers = pd.to_numeric(cells, errors="coerce")
    if role == "month" and numbers.isna().all():
        numbers = cells.str.strip().str[:3].str.lower().map(_MONTH_ABBR).astype("float64")
    _, low, high = DATE_PARTS[role]
    return numbers.where((numbers % 1 == 0) & (numbers >= low) & (numbers <= high))


def _hour_ending(hours: pd.Series, name: str) -> tuple[pd.Series, list[str]]:
    """Hours 1..24 (hour ending) moved back one hour so that 24 is 23:00; 0..23 unchanged."""
    valid = hours.dropna()
    if len(valid) and valid.max() == 24 and valid.min() >= 1:
        return hours - 1, [f"read {name!r} (1 to 24) as hours ending at that time: each moved back one hour"]
    return hours.where(hours < 24), []


def _combine_parts(table: pd.DataFrame, parts: dict[str, str]) -> FoundDates | None:
    """One timestamp per row from year, month[, day[, hour[, minute[, second]]]] columns."""
    used = _used_parts(parts)
    roles = [role for role in DATE_PARTS if parts.get(role) in used]
    frame = pd.DataFrame({role: _part_numbers(table[parts[role]], role) for role in roles}, index=table.index)
    notes: list[str] = []
    if "hour" in frame:
        frame["hour"], notes = _hour_ending(frame["hour"], parts["hour"])
    if "day" not in frame:
        frame["day"] = 1.0
    dates = pd.to_datetime(frame, errors="coerce")  # NaT where a part is missing or the date impossible
    if dates.notna().sum() < 0.5 * len(table):
        return None
    name = "+".join(used)
    return FoundDates(dates, name, used, "date parts in separate columns, combined into one timestamp" +
                      (f" ({notes[0]})" if notes else ""), parts)


def _detect_date_col(table: pd.DataFrame, exclude: list[str], report: list[str]) -> FoundDates:
    """The first column, named-like-a-date ones first, whose cells mostly parse as dates."""
    hinted = [c for c in table.columns if (DATE_NAME.search(str(c)) or EPOCH_NAME.fullmatch(str(c).strip()))
              and c not in exclude]
    for col in hinted + [c for c in table.columns if c not in hinted and c not in exclude]:
        notes: list[str] = []
        dates = _parse_dates(table[col], hinted=col in hinted, report=notes)
        if dates is not None and dates.notna().sum() >= (0.5 if col in hinted else 0.8) * table[col].notna().sum():
            reason = _unix_reason(notes) or ("named like a date, and its values read as dates" if col in hinted
                                             else "the first column whose values read as dates")
            report.extend(notes)
            return FoundDates(dates, col, [col], reason)
    return FoundDates(None, None, [], "no column holds dates: the row order is the time axis")


def _unix_reason(notes: list[str]) -> str | None:
    """Why a column reads as Unix time. A single unit is a fact for the defaults, not a repair,
    so its note leaves `notes`; a per-value mix stays in the report."""
    for note in notes:
        if note.startswith("Unix time in "):
            notes.remove(note)
            return note
        if "as Unix time per value" in note:
            return "Unix time, its unit read per value (" + note.split(": ", 1)[1] + ")"
    return None


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
        return _parse_numeric_dates(pd.to_numeric(cells, errors="coerce"), name=str(cells.name), hinted=hinted,
                                    report=report)
    if sample.str.fullmatch(_TIME_OF_DAY.pattern).mean() > 0.9:
        return None  # clock times only: the time half of a date + time pair
    if sample.str.match(ISO_DATE.pattern).mean() > 0.5:
        dates = _to_datetime(cells, report, format="ISO8601")
    elif sample.str.match(DMY_DATE).mean() > 0.5:
        days = pd.Series(text.str.replace(r"[ T].*$", "", regex=True).unique())
        fields = days.str.extract(DMY_DATE).astype(float)
        day_first = bool((fields[0] > 12).any())
        if not day_first and not (fields[1] > 12).any():
            # Neither field passes 12. One first field throughout (01/02/2020, 01/03/2020...) is one day
            # of each month written day-first: month-first it would be the 1st to 12th of one month
            # in every year, never regular.
            day_first = bool(fields[0].nunique() == 1 and fields[1].nunique() > 1)
            read = "day-first, as one day of each month" if day_first else "month-first"
            report.append(f"dates like {text.iloc[0]!r} {ORDER_GUESSED}: read them {read}; if they are "
                          f"{'month-first' if day_first else 'day-first'}, save the dates as YYYY-MM-DD "
                          "and load the file again")
        dates = _to_datetime(cells, report, dayfirst=day_first)
        if dates is not None and dates.notna().sum() < 0.9 * len(text):  # mixed padding or styles: one by one
            dates = _to_datetime(cells, report, dayfirst=day_first, format="mixed")
    elif hinted or sample.str.match(r"^\d{4}[/.]\d{1,2}[/.]\d{1,2}").mean() > 0.5:  # 2020/01/31, 'Jan 2020'
        dates = _to_datetime(cells.where(cells.str.contains(r"\d", na=False)), report)
    else:
        return None
    if dates is None:
        return None
    if getattr(dates.dt, "tz", None) is not None:
        if not any("UTC" in line for line in report):
            report.append(f"dropped the time zone ({dates.dt.tz}): timestamps kept in local clock time")
        dates = dates.dt.tz_localize(None)
    return dates


def _to_datetime(cells: pd.Series, report: list[str], **kwargs) -> pd.Series | None:
    """pd.to_datetime(cells, errors="coerce", **kwargs), then with format="mixed" when pandas refuses
    the styles as a whole, then in UTC for mixed offsets (reported); None when nothing works."""
    attempts = [kwargs, {**kwargs, "format": "mixed"}, {**kwargs, "format": "mixed", "utc": True}]
    if kwargs.get("format") == "ISO8601":
        attempts = [kwargs, {**kwargs, "utc": True}]
    for attempt in attempts:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # "could not infer format": dateutil per element
                dates = pd.to_datetime(cells, errors="coerce", **attempt)
        except (ValueError, OverflowError, TypeError):
            continue
        if not pd.api.types.is_datetime64_any_dtype(dates):  # objects: offsets pandas would not unify
            continue
        if attempt.get("utc"):
            report.append("timestamps had different UTC offsets: converted them all to UTC")
        return dates
    return None


def _parse_numeric_dates(numbers: pd.Series, *, name: str, hinted: bool, report: list[str]) -> pd.Series | None:
    """Timestamps from a 'year' column, a 'date' column of yyyymmdd, or Unix time (seconds,
    milliseconds, micro- or nanoseconds, decided per value)."""
    valid = numbers.dropna()
    if valid.empty:
        return None
    low, high = valid.min(), valid.max()
    as_text = numbers.astype("Int64").astype(str) if (valid % 1 == 0).all() and high < 1e18 else None
    if as_text is not None and re.search("year", name, re.I) and 1000 <= low and high <= 2200:
        return pd.to_datetime(as_text, format="%Y", errors="coerce")
    if as_text is not None and re.search("date", name, re.I) and 1e7 <= low and high < 2.2e7:
        return pd.to_datetime(as_text, format="%Y%m%d", errors="coerce")
    return _parse_unix_time(numbers, name=name, named=bool(EPOCH_NAME.fullmatch(name.strip())) or hinted,
                            report=report)


def _parse_unix_time(numbers: pd.Series, *, name: str, named: bool, report: list[str]) -> pd.Series | None:
    """Unix time, each value's unit read from its size. A column not named like a timestamp must
    be sorted and in one unit, so that a column of large measurements is not taken for dates."""
    values = numbers.to_numpy(dtype="float64")
    unit = np.full(len(values), -1)
    for k, (_, scale) in enumerate(_EPOCH_UNITS):
        unit[(values >= _EPOCH_SECONDS[0] * scale) & (values <= _EPOCH_SECONDS[1] * scale)] = k
    known = unit >= 0
    present = ~np.isnan(values)
    if known.sum() < 0.9 * present.sum() or not known.any():
        return None
    units = sorted(set(unit[known]))
    if not named:
        valid = numbers.dropna()
        if len(units) > 1 or not (valid.is_monotonic_increasing or valid.is_monotonic_decreasing):
            return None
    scale = np.array([s for _, s in _EPOCH_UNITS])[np.where(known, unit, 0)]
    seconds = np.where(known, values / scale, np.nan)
    dates = pd.Series(pd.to_datetime(seconds, unit="s", errors="coerce"), index=numbers.index)
    counts = " and ".join(f"{int((unit == k).sum()):,} in {_EPOCH_UNITS[k][0]}" for k in units)
    report.append(f"Unix time in {_EPOCH_UNITS[units[0]][0]}" if len(units) == 1  # see _unix_reason
                  else f"read {name!r} as Unix time per value: {counts}")
    return dates
