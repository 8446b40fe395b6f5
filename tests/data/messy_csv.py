"""Small CSV texts with the quirks of real uploads, for the loader tests."""
from __future__ import annotations

import pandas as pd

MESSY_DIR = "/work/shared/data/messy"  # real files, present on the development machine only


def daily_rows(n: int = 10, start: str = "2020-01-01", fmt: str = "%Y-%m-%d") -> list[tuple[str, float]]:
    """(date text, value) pairs for n consecutive days; value = 10 + day number."""
    days = pd.date_range(start, periods=n, freq="D")
    return [(day.strftime(fmt), 10.0 + i) for i, day in enumerate(days)]


def csv_text(rows: list[tuple], header: str | None = "date,value", sep: str = ",", newline: str = "\n") -> str:
    """Rows joined by `sep` under `header` (written with commas, re-joined by `sep`)."""
    lines = [] if header is None else [sep.join(header.split(","))]
    lines += [sep.join(str(cell) for cell in row) for row in rows]
    return newline.join(lines) + newline


def daily_csv(n: int = 10, sep: str = ",", fmt: str = "%Y-%m-%d") -> str:
    """A clean daily file: `date,value` with values 10, 11, 12..."""
    return csv_text(daily_rows(n, fmt=fmt), sep=sep)


def sentinel_csv(n: int = 200, marker: int = -999, every: int = 20) -> str:
    """A daily file whose value is a sine-ish level near 50, with `marker` in every `every`-th row,
    plus a rain column with many genuine zeros and a 0/1 flag column (neither may be masked)."""
    rows = []
    for i, (day, _) in enumerate(daily_rows(n)):
        value = marker if i % every == 5 else 50 + (i % 7)
        rain = 0.0 if i % 3 else float(i % 11)
        flag = 1 if i % 40 == 0 else 0
        rows.append((day, value, rain, flag))
    return csv_text(rows, header="date,value,rain_mm,holiday")
