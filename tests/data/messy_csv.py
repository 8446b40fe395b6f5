"""Small CSV texts with the quirks of real uploads, for the loader tests."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[2]
# Real files as their publishers left them, kept beside the repository (never copied into it):
# <repo>/../shared/data/messy. Their tests skip only where that folder is absent.
MESSY_DIR = (REPO / ".." / "shared" / "data" / "messy").resolve()


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


# -- real-world layouts, rebuilt in miniature -------------------------------------------------------


def beijing_csv(hours: int = 72, start: str = "2010-01-01", step: str = "h") -> str:
    """The Beijing PM2.5 layout: a row counter, date parts in four columns, 'NA' for missing, a
    text wind direction. pm2.5 = 50 + row index (NA in the first row and every 10th)."""
    lines = ["No,year,month,day,hour,pm2.5,DEWP,TEMP,PRES,cbwd,Iws,Is,Ir"]
    for i, t in enumerate(pd.date_range(start, periods=hours, freq=step)):
        pm = "NA" if i % 10 == 0 else str(50 + i)
        lines.append(f"{i + 1},{t.year},{t.month},{t.day},{t.hour},{pm},{-20 + i % 7},{-5 + i % 4},"
                     f"{1020 + i % 3},{'NW' if i % 2 else 'cv'},{1.79 * (i % 5):.2f},0,0")
    return "\n".join(lines) + "\n"


def stock_csv(days: int = 30, adjusted: bool = True) -> str:
    """A stock export: Date, Open, High, Low, Close[, Adj Close], Volume on business days."""
    header = "Date,Open,High,Low,Close" + (",Adj Close" if adjusted else "") + ",Volume"
    lines = [header]
    for i, day in enumerate(pd.bdate_range("2021-03-01", periods=days)):
        close = 100 + (i * 7) % 11
        adj = f",{close * 0.98:.2f}" if adjusted else ""
        lines.append(f"{day:%Y-%m-%d},{close - 1},{close + 2},{close - 2},{close}{adj},{1000 + 37 * i}")
    return "\n".join(lines) + "\n"


def ett_csv(hours: int = 48) -> str:
    """The ETT / exchange-rate benchmark layout: date, numbered covariates, then the target OT."""
    lines = ["date,0,1,2,3,4,5,6,OT"]
    for i, t in enumerate(pd.date_range("2016-07-01", periods=hours, freq="h")):
        covariates = ",".join(f"{(i * (k + 3)) % 17 / 4:.2f}" for k in range(7))
        lines.append(f"{t:%Y-%m-%d %H:%M:%S},{covariates},{30 + (i % 24) / 2:.3f}")
    return "\n".join(lines) + "\n"


def epoch_csv(name: str = "ts", hours: int = 48, shuffle: bool = False, ms_every: int = 0) -> str:
    """Unix seconds from 2021-06-01 00:00 UTC, hourly; optionally shuffled, and every `ms_every`-th
    value in milliseconds. value = hour index * 1.5."""
    start = int(pd.Timestamp("2021-06-01").timestamp())
    rows = [(start + 3600 * i, 1.5 * i) for i in range(hours)]
    if ms_every:
        rows = [(t * 1000 if i % ms_every == 0 else t, v) for i, (t, v) in enumerate(rows)]
    if shuffle:
        rows = rows[1::2] + rows[::2]
    return csv_text(rows, header=f"{name},value")
