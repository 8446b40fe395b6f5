"""No cell of data is dropped or replaced without the report saying so, with the count.

Each messy file is read here a second way, with the csv module and the layout the test knows, into
(timestamp, {column: cell text}) records. Every number observed in the file must then be in the
loaded series at its timestamp (or averaged there with the rows sharing it), or be accounted for
by a report line whose count matches: rows that are not data, junk cells, missing-value markers,
timestamps moved onto the grid, rows merged, rows trimmed at the edges, columns dropped.
"""
from __future__ import annotations

import csv
import io
import re
from collections import Counter, defaultdict
from typing import Callable

import numpy as np
import pandas as pd
import pytest

from lstm_forecast.data.loading import load_csv
from tests.data.messy_csv import beijing_csv, csv_text

NA_TOKENS = {"", "NA", "N/A", "n/a", "nan", "NaN", "null", "NULL", "None", "#N/A", "<NA>", "-nan", "-NaN"}
Record = tuple[pd.Timestamp | None, dict[str, str], bool]  # (timestamp, cells, has extra fields)


def read_records(text: str, sep: str, when: Callable[[dict[str, str]], pd.Timestamp | None]) -> list[Record]:
    """(timestamp or None, cells, extra fields?) per non-blank row of `text`, read with the csv module."""
    records = []
    for row in csv.DictReader(io.StringIO(text), delimiter=sep):
        cells = {k: (v or "").strip() for k, v in row.items() if k}
        if any(cells.values()):
            records.append((when(cells), cells, bool(row.get(None))))
    return records


def number(text: str, decimal: str) -> float | None:
    try:
        value = float(text.replace(decimal, ".") if decimal != "." else text)
    except ValueError:
        return None
    return value if np.isfinite(value) else None


def is_numeric(cells: list[str], decimal: str) -> bool:
    """At least half of the non-empty cells are numbers."""
    filled = [c for c in cells if c not in NA_TOKENS]
    return bool(filled) and sum(number(c, decimal) is not None for c in filled) >= 0.5 * len(filled)


def counts_in(report: list[str], pattern: str) -> list[tuple[int, ...]]:
    """The integers captured by `pattern` in each report line that matches it."""
    found = []
    for line in report:
        match = re.search(pattern, line.replace(",", ""))
        if match:
            found.append(tuple(int(g) for g in match.groups()))
    return found


def account(loaded, records: list[Record], *, snap: Callable[[pd.Timestamp], pd.Timestamp], time_cols: set[str],
            decimal: str = ".", marker: float | None = None) -> None:
    """Check every observed number of `records` against `loaded` and its report."""
    report, frame = loaded.report, loaded.frame
    expected = Counter()
    groups: dict[pd.Timestamp, list[dict[str, str]]] = defaultdict(list)
    for t, cells, extra in records:
        if extra:
            expected["extra fields"] += 1
        elif t is None:
            expected["not data"] += 1
        else:
            expected["moved"] += snap(t) != t
            groups[snap(t)].append(cells)
    columns = {c for _, cells, _ in records for c in cells} - time_cols
    numeric = {c for c in columns if is_numeric([cells.get(c, "") for cells in sum(groups.values(), [])], decimal)}
    for col in columns - set(frame.columns):  # a dropped column is named in a report line that says so
        assert any("dropped" in line and repr(col) in line for line in report), col
    first, last = frame.index[0], frame.index[-1]
    for t, rows in groups.items():
        expected["rows lost to merging"] += len(rows) - 1
        outside = t < first or t > last
        expected["trimmed"] += outside
        for col in numeric:
            values = []
            for cells in rows:
                text = cells.get(col, "")
                value = number(text, decimal)
                if text in NA_TOKENS:
                    continue
                if value is None:
                    expected["junk"] += 1
                elif value == marker:
                    expected["marker"] += 1
                else:
                    values.append(value)
            if values and not outside and col in frame.columns:  # at its timestamp, alone or as its group's mean
                assert frame.loc[t, col] == pytest.approx(np.mean(values)), (t, col, values)
                assert bool(loaded.observed.loc[t, col])
    got = Counter()
    got["extra fields"] = sum(n for (n,) in counts_in(report, r"dropped (\d+) rows with more than"))
    got["not data"] = sum(n for (n,) in counts_in(report, r"dropped (\d+) rows that are not data"))
    got["moved"] = sum(n for (n,) in counts_in(report, r"moved (\d+) timestamps"))
    got["rows lost to merging"] = sum(a - b for a, b in counts_in(report, r"merged (\d+) rows sharing (\d+)"))
    got["trimmed"] = sum(n for (n,) in counts_in(report, r"dropped (\d+) rows at the (?:start|end)"))
    got["trimmed"] += sum(n for (n,) in counts_in(report, r"and (\d+) rows at the start"))
    got["junk"] = sum(n for (n,) in counts_in(report, r"treated (\d+) cells that are not numbers"))
    got["marker"] = sum(n for (n,) in counts_in(report, r"as a missing-value marker in \d+ column\(s\) \((\d+) cells"))
    assert {k: v for k, v in got.items() if v} == {k: v for k, v in expected.items() if v}


# -- the messy files ---------------------------------------------------------------------------------


def iso(row: dict[str, str], col: str = "date") -> pd.Timestamp | None:
    try:
        return pd.Timestamp(row[col])
    except ValueError:
        return None


def daily_mixed_csv() -> str:
    """Daily values with: times on three days (one day also has its midnight row), an exact
    duplicate, junk cells, a -999 marker, empty cells, a text column, a footer, and descending order."""
    rows = []
    for i, day in enumerate(pd.date_range("2021-01-01", periods=60, freq="D")):
        value = -999 if i % 12 == 5 else round(20 + 3 * np.sin(i) + 0.1 * i, 2)
        other = "" if i % 17 == 3 else ("?4" if i % 19 == 7 else f"{100 + i % 9}")
        stamp = f"{day:%Y-%m-%d}" + (" 13:45" if i in (8, 22, 40) else "")
        rows.append((stamp, value, other, "shop" + "AB"[i % 2]))
    rows.append(("2021-01-23", 7.5, 105, "shopA"))  # 2021-01-23 also has its 13:45 row: merged after snapping
    rows.append(("2021-02-02", 8.25, "x", "shopA"))  # an exact duplicate date
    return csv_text(rows[::-1], header="date,temp,visitors,store") + "Total,1234,,\n"


def air_quality_csv() -> str:
    """UCI layout: ';', decimal commas, Date + dotted Time, -200 markers, a mostly-missing column."""
    lines = ["Date;Time;CO(GT);NMHC(GT);T;;"]
    for i, t in enumerate(pd.date_range("2004-03-10 18:00", periods=80, freq="h")):
        co = "-200" if i % 7 == 2 else f"{1 + (i % 5) / 2:g}".replace(".", ",")
        nmhc = -200 if i % 4 else 120 + i
        temp = "" if i % 23 == 4 else f"{11 + (i % 6) / 4:g}".replace(".", ",")
        lines.append(f"{t:%d/%m/%Y};{t:%H.%M.%S};{co};{nmhc};{temp};;")
    return "\n".join(lines) + "\n;;;;;;\n"


def daily_then_hourly_csv() -> str:
    index = pd.date_range("2020-01-01", periods=200, freq="D")
    index = index.append(pd.date_range("2020-07-19", periods=60, freq="h"))
    return csv_text([(f"{t:%Y-%m-%d %H:%M}", round(10 + (i % 11) * 0.7, 1)) for i, t in enumerate(index)])


def stores_csv() -> str:
    """Three stores' daily sales stacked, and one row with an extra field."""
    rows = [(f"{pd.Timestamp('2022-05-01') + pd.Timedelta(days=i // 3):%Y-%m-%d}", "ABC"[i % 3], 10 + i % 7)
            for i in range(45)]
    text = csv_text(rows, header="date,store,sales")
    return text.replace("2022-05-04,A,12\n", "2022-05-04,A,12,oops\n")


def beijing_when(row: dict[str, str]) -> pd.Timestamp:
    return pd.Timestamp(int(row["year"]), int(row["month"]), int(row["day"]), int(row["hour"]))


CASES = {
    "daily-mixed": (daily_mixed_csv, ",", iso, lambda t: t.normalize(), {"date"}, ".", -999.0),
    "air-quality": (air_quality_csv, ";",
                    lambda row: pd.Timestamp(pd.to_datetime(f"{row['Date']} {row['Time'].replace('.', ':')}",
                                                            dayfirst=True)) if row["Date"] else None,
                    lambda t: t, {"Date", "Time"}, ",", -200.0),
    "daily-then-hourly": (daily_then_hourly_csv, ",", iso, lambda t: t.normalize(), {"date"}, ".", None),
    "stores": (stores_csv, ",", iso, lambda t: t, {"date"}, ".", None),
    "beijing": (lambda: beijing_csv(120), ",", beijing_when, lambda t: t, {"year", "month", "day", "hour"}, ".", None),
}


@pytest.mark.parametrize("case", list(CASES))
def test_every_observed_value_is_loaded_or_accounted_for(case):
    make, sep, when, snap, time_cols, decimal, marker = CASES[case]
    text = make()
    account(load_csv(text.encode()), read_records(text, sep, when), snap=snap, time_cols=time_cols, decimal=decimal,
            marker=marker)


def test_the_accounting_notices_a_silent_loss():
    """The check itself: a report missing one count fails it."""
    make, sep, when, snap, time_cols, decimal, marker = CASES["daily-mixed"]
    text = make()
    loaded = load_csv(text.encode())
    account(loaded, read_records(text, sep, when), snap=snap, time_cols=time_cols, decimal=decimal, marker=marker)
    loaded.report = [line for line in loaded.report if not line.startswith("moved")]
    with pytest.raises(AssertionError):
        account(loaded, read_records(text, sep, when), snap=snap, time_cols=time_cols, decimal=decimal, marker=marker)
