"""Every file in tests/data/bad/ against its expected outcome: it loads (date column, target,
frequency, length, repairs and warnings), or it is refused with a message naming the problem and
the fix; where the fix is an argument, the fix is applied and the file then loads."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from lstm_forecast.data.loading import load_csv
from lstm_forecast.errors import UserError

BAD = Path(__file__).resolve().parent / "bad"


@dataclass
class Loads:
    date: str | None
    value: str
    freq: str | None
    n: int
    report: tuple[tuple[str, ...], ...] = ()  # each: words that one report line contains
    warnings: tuple[tuple[str, ...], ...] = ()  # each: words of one warning; no other warning allowed


@dataclass
class Refused:
    match: tuple[str, ...]  # words of the one-line message: the problem and the fix
    fix: dict = field(default_factory=dict)  # the arguments that fix it, when an argument can
    then: Loads | None = None  # what loads once fixed


CASES: dict[str, Loads | Refused] = {
    # refused: not a CSV of numbers over time
    "empty.csv": Refused(("'empty.csv' is empty", "upload a CSV with a header row")),
    "header_only.csv": Refused(("has only 0 data rows", "supply at least 3")),
    "binary.png": Refused(("looks like binary data", "upload a CSV")),
    "excel.xlsx": Refused(("Excel workbook", "save it as CSV")),
    "excel_97.xls": Refused(("Excel workbook", "save it as CSV")),
    "all_text.csv": Refused(("no numeric column found", "'Paris'", "supply a CSV with a column of numbers")),
    "only_dates.csv": Refused(("no numeric column found, only a date column",)),
    "two_rows.csv": Refused(("has only 2 data rows", "supply at least 3")),
    "mistyped_year.csv": Refused(("69,051 'D' steps for only 30 rows", "from 2021-01-30 to 2210-01-21",
                                  "fix mistyped dates")),
    "huge_field.csv": Refused(("line 5", "longer than 131,072 characters and no quote", "shorten or remove")),
    "unclosed_quote.csv": Refused(("quote (\") on line 7", "never closed", "close the quote")),
    # refused until an argument fixes it
    "target_mostly_empty.csv": Refused(("'value' has only 2 numbers", "choose another column with value_col",
                                        "['backup']"), {"value_col": "backup"},
                                       Loads("date", "backup", "D", 10)),
    "daily_then_mostly_hourly.csv": Refused(
        ("7,800 'h' steps for only 900 rows", "the steps change from 1 day to 1 hour on 2021-10-28", "pass freq="),
        {"freq": "D"},
        Loads("date", "value", "D", 325, report=(("merged 600 rows sharing 25 duplicate timestamps",),),
              warnings=(("merged 575 of 900 rows", "freq='D' is coarser than the data's usual step of 1 hour"),))),
    # encodings
    "utf16_bom.csv": Loads("date", "Température", "D", 10),
    "utf16_le_no_bom.csv": Loads("date", "Température", "D", 10),
    "cp1252.csv": Loads("Datum (€)", "Température", "D", 10, report=(("read the file as cp1252",),)),
    # number formats and separators
    "decimal_commas.csv": Loads("date", "level", "D", 30),
    "thousands.csv": Loads("date", "sales", "D", 30),
    "semicolons.csv": Loads("date", "a", "D", 30),
    "tabs_headerless.csv": Loads("col1", "col2", "D", 30),
    # junk around and inside the data
    "lines_above_header.csv": Loads("date", "value", "D", 30, report=(("skipped 2 line(s) above the header",),)),
    "footer_rows.csv": Loads("date", "value", "D", 30, report=(("dropped 2 rows that are not data", "Total,999"),)),
    "junk_cells.csv": Loads("date", "value", "D", 30, report=(("treated 2 cells that are not numbers", "'?0.2'"),
                                                              ("filled 3 missing values inside the data",)),
                            warnings=(("filled 3 of 30 'value' values (10.0%)", "largest gap is 1 step"),)),
    "sentinel_minus200.csv": Loads("date", "value", "D", 90, report=(("treated -200 as a missing-value marker",
                                                                      "(10 cells)", "--keep-markers"),),
                                  warnings=(("filled 10 of 90 'value' values (11.1%)", "0 gaps are longer than one season (7 steps)"),)),
    "sentinel_minus9999.csv": Loads("date", "value", "D", 90, report=(("treated -9999", "(10 cells)"),),
                                   warnings=(("filled 10 of 90",),)),
    "extra_fields.csv": Loads("date", "value", "D", 30, report=(("dropped 1 rows with more than 2 fields", "oops"),
                                                                ("filled 1 missing steps",))),
    # order, duplicates, gaps, grids
    "duplicate_timestamps.csv": Loads("date", "value", "D", 30, report=(("merged 2 rows sharing 1 duplicate",),)),
    "descending.csv": Loads("date", "value", "D", 30, report=(("sorted 30 rows into ascending time order",),)),
    "gaps.csv": Loads("date", "value", "D", 30, report=(("filled 4 missing steps", "largest gap: 3 steps"),),
                      warnings=(("filled 4 of 30 'value' values (13.3%)", "3 steps (2021-01-05 to 2021-01-07)"),)),
    "times_in_daily.csv": Loads("date", "value", "D", 30, report=(("moved 3 timestamps", "2021-01-05 09:30"),)),
    "daily_then_hourly.csv": Loads("date", "value", "D", 305, report=(("moved 95 timestamps",),
                                                                      ("merged 100 rows sharing 5",)),
                                   warnings=(("merged 95 of 400 rows (24%)",
                                              "the steps change from 1 day to 1 hour on 2021-10-28"),)),
    "mixed_utc_offsets.csv": Loads("time", "load", "h", 48, report=(("different UTC offsets", "converted"),)),
    "few_distinct_dates.csv": Loads("period", "value", "MS", 5, report=(("merged 60 rows sharing 5",),),
                                    warnings=(("merged 55 of 60 rows", "'period' has only 5 distinct values"),)),
    "long_format_stores.csv": Loads("date", "sales", "D", 20, report=(("non-numeric", "'store'"),),
                                    warnings=(("merged 40 of 60 rows", "several series", "'store' (3 values)"),)),
    # the target and what is not one
    "constant.csv": Loads("date", "value", "D", 30, warnings=(("same value (5) in every row", "value_col"),)),
    "three_rows.csv": Loads("date", "value", "D", 3),
    "row_counter_id.csv": Loads("date", "sales", "D", 30),
    "markdown_header.csv": Loads("date", "![t](http://x)", "D", 30),
    # time axes in other shapes
    "epoch_ts_unsorted.csv": Loads("ts", "value", "h", 48, report=(("sorted 48 rows",),)),
    "epoch_mixed_units.csv": Loads("ts", "value", "h", 48, report=(("36 in seconds and 12 in milliseconds",),)),
    "date_hour_1_to_24.csv": Loads("date", "load", "h", 72, report=(("'hour' (1 to 24) as hours ending",),)),
    "month_names.csv": Loads("Year+Month", "rainfall", "MS", 36, report=(("combined the date parts",),)),
    # real layouts in miniature
    "beijing_pm25.csv": Loads("year+month+day+hour", "pm2.5", "h", 95,
                              report=(("combined the date parts", "'year', 'month', 'day', 'hour'"),
                                      ("dropped 1 non-numeric column(s): ['cbwd']",),
                                      ("dropped 1 rows at the start where 'pm2.5' has no value",)),
                              warnings=(("filled 9 of 95 'pm2.5' values (9.5%)", "one season (24 steps)"),)),
    "stock_export.csv": Loads("Date", "Adj Close", "B", 40),
    "ett_wide.csv": Loads("date", "OT", "h", 48),
    "air_quality_date_time.csv": Loads("Date", "CO(GT)", "h", 60,
                                       report=(("dropped 3 empty rows",), ("combined date column 'Date'", "'Time'"),
                                               ("treated -200", "2 column(s)", "(54 cells)"),
                                               ("dropped 1 column(s) with more than half", "'NMHC(GT)'")),
                                       warnings=(("filled 6 of 60 'CO(GT)' values (10.0%)",),)),
}


def check_loads(loaded, expected: Loads) -> None:
    got = (loaded.date_col, loaded.value_col, loaded.freq, len(loaded.frame))
    assert got == (expected.date, expected.value, expected.freq, expected.n)
    assert loaded.frame.index.is_monotonic_increasing and loaded.frame.index.is_unique
    assert np.isfinite(loaded.frame.to_numpy()).all()
    for words in expected.report:
        assert any(all(w in line for w in words) for line in loaded.report), (words, loaded.report)
    assert len(loaded.warnings) == len(expected.warnings), loaded.warnings
    for words in expected.warnings:
        assert any(all(w in line for w in words) for line in loaded.warnings), (words, loaded.warnings)


def test_every_file_has_a_case_and_every_case_a_file():
    files = {p.name for p in BAD.iterdir() if p.suffix not in (".py", ".md")}
    assert files == set(CASES)
    assert len(files) >= 30


def test_the_readme_lists_every_file():
    readme = (BAD / "README.md").read_text()
    missing = [name for name in CASES if f"`{name}`" not in readme]
    assert not missing


@pytest.mark.parametrize("name", list(CASES))
def test_bad_file(name):
    expected = CASES[name]
    if isinstance(expected, Loads):
        check_loads(load_csv(BAD / name), expected)
        return
    with pytest.raises(UserError) as caught:
        load_csv(BAD / name)
    message = str(caught.value)
    assert "\n" not in message
    for words in expected.match:
        assert words in message
    if expected.fix:
        assert all(f"{arg}" in message for arg in expected.fix)  # the message names the argument that fixes it
        check_loads(load_csv(BAD / name, **expected.fix), expected.then)
