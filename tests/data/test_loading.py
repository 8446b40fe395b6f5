"""load_csv on what people really upload: separators, encodings, dates, junk, sentinels, errors."""
from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from lstm_forecast.data.loading import load_csv
from lstm_forecast.errors import UserError
from tests.data.messy_csv import MESSY_DIR, csv_text, daily_csv, daily_rows, sentinel_csv

EXPECTED_DAYS = pd.date_range("2020-01-01", periods=10, freq="D")
EXPECTED_VALUES = np.arange(10, 20, dtype=float)


def load_text(text: str, encoding: str = "utf-8", **kwargs):
    return load_csv(text.encode(encoding), **kwargs)


def has_line(report: list[str], *words: str) -> bool:
    """True when one report sentence contains every word."""
    return any(all(word in line for word in words) for line in report)


def assert_daily(loaded) -> None:
    assert loaded.freq == "D"
    assert list(loaded.frame.index) == list(EXPECTED_DAYS)
    np.testing.assert_allclose(loaded.series.to_numpy(), EXPECTED_VALUES)


# -- separators, number formats, line endings ---------------------------------------------------


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_reads_every_separator(sep):
    assert_daily(load_text(daily_csv(sep=sep)))


@pytest.mark.parametrize(
    "text, expected",
    [
        ('date;value\n2020-01-01;2,6\n2020-01-02;3,5\n2020-01-03;4\n', [2.6, 3.5, 4.0]),
        ('date,value\n2020-01-01,"1,234.5"\n2020-01-02,"2,000.25"\n2020-01-03,17\n', [1234.5, 2000.25, 17.0]),
        ('date;value\n2020-01-01;1.234,5\n2020-01-02;2.000,25\n2020-01-03;17\n', [1234.5, 2000.25, 17.0]),
        ('date;value\n2020-01-01;1.5\n2020-01-02;2.5\n2020-01-03;3.5\n', [1.5, 2.5, 3.5]),
    ],
    ids=["decimal-comma", "quoted-thousands", "dot-thousands-decimal-comma", "semicolon-dot-decimal"],
)
def test_reads_number_formats(text, expected):
    np.testing.assert_allclose(load_text(text).series.to_numpy(), expected)


def test_reads_crlf_trailing_empty_columns_and_empty_rows():
    rows = "".join(f"{day};{value:g};;\r\n" for day, value in daily_rows(10))
    text = "date;value;;\r\n" + rows + ";;;\r\n;;;\r\n"
    loaded = load_text(text)
    assert_daily(loaded)
    assert list(loaded.frame.columns) == ["value"]
    assert has_line(loaded.report, "dropped 2 empty rows")


# -- encodings and sources ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le-bom", "utf-16-be-bom", "utf-16-le", "cp1252"]
)
def test_reads_encodings(encoding):
    text = daily_csv().replace("value", "Température")
    if encoding.endswith("-bom"):
        raw = ("\ufeff" + text).encode(encoding.removesuffix("-bom"))
    else:
        raw = text.encode(encoding)
    loaded = load_csv(raw)
    assert loaded.value_col == "Température"
    np.testing.assert_allclose(loaded.series.to_numpy(), EXPECTED_VALUES)
    assert has_line(loaded.report, "cp1252") == (encoding == "cp1252")


class FakeUpload:
    """Like Streamlit's UploadedFile: a name and getvalue()."""

    def __init__(self, data: bytes, name: str):
        self.name, self._data = name, data

    def getvalue(self) -> bytes:
        return self._data


@pytest.mark.parametrize("kind", ["str-path", "path", "bytes", "bytesio", "upload"])
def test_reads_every_kind_of_source(kind, tmp_path):
    raw = daily_csv().encode()
    path = tmp_path / "sales.csv"
    path.write_bytes(raw)
    source = {
        "str-path": str(path), "path": path, "bytes": raw,
        "bytesio": io.BytesIO(raw), "upload": FakeUpload(raw, "uploads/sales.csv"),
    }[kind]
    loaded = load_csv(source)
    assert_daily(loaded)
    assert loaded.source == ("" if kind in ("bytes", "bytesio") else "sales.csv")


def test_leaves_a_file_object_readable_for_the_caller():
    buffer = io.BytesIO(daily_csv().encode())
    load_csv(buffer)
    assert buffer.read() == daily_csv().encode()


# -- dates ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "rows, freq, first, report_words",
    [
        ([("2020-01-31", 1), ("2020-02-01", 2), ("2020-02-02", 3)], "D", "2020-01-31", None),
        ([("2020-01-31 13:00:00", 1), ("2020-01-31 14:00:00", 2), ("2020-01-31 15:00:00", 3)], "h",
         "2020-01-31 13:00", None),
        ([("1949-01", 1), ("1949-02", 2), ("1949-03", 3)], "MS", "1949-01-01", None),
        ([("31/01/2020", 1), ("01/02/2020", 2), ("02/02/2020", 3)], "D", "2020-01-31", None),
        ([("10/03/2004", 1), ("11/03/2004", 2), ("13/03/2004", 3)], "D", "2004-03-10", None),
        ([("01/31/2020", 1), ("02/01/2020", 2), ("02/02/2020", 3)], "D", "2020-01-31", None),
        ([("7/19/1982", 1), ("7/20/1982", 2), ("07/21/1982", 3)], "D", "1982-07-19", None),
        ([("02/01/2020", 1), ("03/01/2020", 2), ("04/01/2020", 3)], "MS", "2020-02-01", ("read them month-first",)),
        ([("01/02/2020", 1), ("01/03/2020", 2), ("01/04/2020", 3)], "MS", "2020-02-01", ("read them day-first",)),
        ([("2020-01-01T00:00:00+01:00", 1), ("2020-01-01T01:00:00+01:00", 2), ("2020-01-01T02:00:00+01:00", 3)],
         "h", "2020-01-01 00:00", ("time zone",)),
    ],
    ids=["iso", "iso-hourly", "month-strings", "day-first", "day-first-2004", "month-first", "mixed-padding",
         "ambiguous", "ambiguous-day-01", "tz-aware"],
)
def test_parses_date_styles(rows, freq, first, report_words):
    loaded = load_text(csv_text(rows))
    assert loaded.freq == freq
    assert loaded.frame.index[0] == pd.Timestamp(first)
    assert loaded.frame.index.tz is None
    assert loaded.date_col == "date"
    if report_words:
        assert has_line(loaded.report, *report_words)
    else:
        assert not has_line(loaded.report, "month-first")


@pytest.mark.parametrize("fmt, freq, words", [
    ("%d/%m/%Y", "MS", ("read them day-first, as one day of each month", "if they are month-first")),
    ("%d.%m.%Y", "MS", ("read them day-first",)),
    ("%m/%d/%Y", "MS", ("read them month-first", "if they are day-first, save the dates as YYYY-MM-DD")),
    ("%d/%m/%Y", "D", None),  # days past the 12th: day-first, nothing guessed
], ids=["day-first-monthly", "day-first-monthly-dots", "month-first-monthly", "day-first-daily"])
def test_a_day_month_order_is_decided_from_the_whole_column(fmt, freq, words):
    """Five years on the 1st of each month written 01/02/2020... load as 60 months (they were read
    month-first: the 1st to 12th of January each year, far from daily)."""
    stamps = pd.date_range("2018-01-01", periods=60, freq=freq)
    loaded = load_text(csv_text([(f"{t:{fmt}}", float(i)) for i, t in enumerate(stamps)]))
    assert loaded.freq == freq and list(loaded.frame.index) == list(stamps) and not loaded.warnings
    np.testing.assert_array_equal(loaded.series.to_numpy(), np.arange(60.0))
    if words:
        assert has_line(loaded.report, "could be day-first or month-first", *words)
    else:
        assert not has_line(loaded.report, "month-first")


def test_a_guessed_order_that_scatters_the_dates_is_named_in_the_error():
    """The 5th and 12th of each month, day-first: month-first they scatter over May and December,
    and no freq= helps; the message says the order was guessed and how to make it certain."""
    stamps = [f"{d:02d}/{m:02d}/{y}" for y in range(2015, 2020) for m in range(1, 13) for d in (5, 12)]
    with pytest.raises(UserError, match=r"'D' steps for only 120 rows.*or the day/month order is wrong \(dates like "
                                        r"'05/01/2015' .*read them month-first; if they are day-first, save the "
                                        r"dates as YYYY-MM-DD"):
        load_text(csv_text([(s, float(i)) for i, s in enumerate(stamps)]))


def test_joins_date_and_dotted_time_columns():
    hours = pd.date_range("2004-03-12 18:00", periods=30, freq="h")  # crosses 13/03: day-first
    rows = [(hour.strftime("%d/%m/%Y"), hour.strftime("%H.%M.%S"), f"{i % 5},5") for i, hour in enumerate(hours)]
    loaded = load_text(csv_text(rows, header="Date,Time,CO", sep=";"))
    assert loaded.freq == "h"
    assert list(loaded.frame.index) == list(hours)
    assert loaded.series.iloc[:3].tolist() == [0.5, 1.5, 2.5]
    assert list(loaded.frame.columns) == ["CO"]
    assert has_line(loaded.report, "combined", "'Date'", "'Time'")


def test_date_and_time_columns_can_be_named_explicitly():
    text = "when;clock;reading\n2021-05-01;23:00;1\n2021-05-02;00:00;2\n2021-05-02;01:00;3\n"
    loaded = load_text(text, date_col="when", time_col="clock")
    assert (loaded.freq, loaded.date_col, loaded.value_col) == ("h", "when", "reading")
    assert loaded.frame.index[1] == pd.Timestamp("2021-05-02 00:00")


@pytest.mark.parametrize("name, scale", [("timestamp", 1), ("time_ms", 1000), ("when", 1)])
def test_reads_epoch_columns(name, scale):
    start = pd.Timestamp("2021-06-01").timestamp()
    rows = [(int((start + 3600 * i) * scale), float(i)) for i in range(6)]
    loaded = load_text(csv_text(rows, header=f"{name},load"))
    assert loaded.freq == "h"
    assert loaded.frame.index[0] == pd.Timestamp("2021-06-01")
    assert loaded.value_col == "load"


@pytest.mark.parametrize(
    "text, first, freq, words",
    [
        ("date,value\n20200101,1\n20200102,2\n20200103,3\n", "2020-01-01", "D", None),
        ("year,value\n1990,1\n1991,2\n1993,4\n", "1990-01-01", "YS-JAN", "filled 1 missing steps"),
        ("ts,value\n2020-03-29T00:00:00+01:00,1\n2020-03-29T01:00:00+01:00,2\n2020-03-29T03:00:00+02:00,3\n",
         "2020-03-28 23:00", "h", "converted them all to UTC"),
        ("when,value\n2020/01/30,1\n2020/01/31,2\n2020/02/01,3\n", "2020-01-30", "D", None),
        ("month,value\nJan 2020,1\nFeb 2020,2\nMar 2020,3\n", "2020-01-01", "MS", None),
    ],
    ids=["yyyymmdd", "year-numbers", "mixed-utc-offsets", "year-first-slashes", "month-names"],
)
def test_reads_other_date_encodings(text, first, freq, words):
    loaded = load_text(text)
    assert (loaded.frame.index[0], loaded.freq) == (pd.Timestamp(first), freq)
    assert words is None or has_line(loaded.report, words)


def test_without_dates_uses_the_row_order():
    loaded = load_text("price,volume\n3.5,100\n3.7,90\n3.6,95\n3.9,80\n")
    assert isinstance(loaded.frame.index, pd.RangeIndex)
    assert loaded.freq is None and loaded.date_col is None
    assert loaded.value_col == "price"
    assert has_line(loaded.report, "no date column found")


@pytest.mark.parametrize(
    "text, columns, target",
    [("1.5\n2.5\n3.5\n4.5\n", ["value"], "value"), ("1.5,10\n2.5,20\n3.5,30\n", ["col1", "col2"], "col1"),
     ("1,10\n2,20\n3,30\n", ["col1", "col2"], "col2")],
    ids=["single", "several", "row-numbers-first"],
)
def test_names_headerless_columns(text, columns, target):
    loaded = load_text(text)
    assert list(loaded.frame.columns) == columns
    assert loaded.value_col == target  # 1, 2, 3 in the first column is a row counter, never the default


# -- order, duplicates, gaps ----------------------------------------------------------------------


def test_sorts_descending_files():
    loaded = load_text(csv_text(daily_rows(10)[::-1]))
    assert_daily(loaded)
    assert has_line(loaded.report, "sorted 10 rows")


def test_merges_duplicate_timestamps_by_mean():
    rows = daily_rows(5) + [("2020-01-03", 20.0)]  # 2020-01-03 holds 12 and 20
    loaded = load_text(csv_text(rows))
    assert len(loaded.frame) == 5
    assert loaded.series["2020-01-03"] == 16.0
    assert has_line(loaded.report, "merged 2 rows", "1 duplicate timestamps")


def test_fills_gaps_by_interpolation():
    rows = [row for i, row in enumerate(daily_rows(10)) if i not in (1, 2, 7)]
    loaded = load_text(csv_text(rows))
    assert_daily(loaded)  # values are linear in time, so interpolation restores them exactly
    assert has_line(loaded.report, "filled 3 missing steps", "largest gap: 2 steps")


# -- junk -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "junk, words",
    [
        ("Total,1234\n", ("dropped 1 rows that are not data", "Total")),
        ("Source: Bureau of Meteorology\n", ("dropped 1 rows that are not data", "Source: Bureau")),
        ("2020-01-11,5,oops\n", ("dropped 1 rows with more than 2 fields", "oops")),
        ("\n\n", ("dropped 2 empty rows",)),
    ],
    ids=["total-footer", "source-footer", "extra-fields", "blank-lines"],
)
def test_drops_junk_rows_and_reports_them(junk, words):
    rows = daily_rows(10)
    text = csv_text(rows[:5]) + junk + csv_text(rows[5:], header=None)
    loaded = load_text(text)
    assert_daily(loaded)
    assert has_line(loaded.report, *words)


def test_drops_a_footer_in_a_file_without_dates():
    loaded = load_text("value\n1\n2\n3\nTotal: 6\n")
    assert loaded.series.tolist() == [1.0, 2.0, 3.0]
    assert has_line(loaded.report, "dropped 1 rows that are not data", "Total: 6")


def test_drops_lines_above_the_header():
    loaded = load_text("Daily sales export\n" + daily_csv())
    assert_daily(loaded)
    assert has_line(loaded.report, "skipped 1 line(s) above the header", "Daily sales export")


def test_junk_values_become_missing_and_interpolated():
    rows = daily_rows(10)
    rows[4] = (rows[4][0], "?0.2")
    loaded = load_text(csv_text(rows))
    assert_daily(loaded)
    assert has_line(loaded.report, "treated 1 cells that are not numbers", "'?0.2'")


def test_drops_text_columns_and_reports_them():
    rows = [(day, value, "shop A") for day, value in daily_rows(10)]
    loaded = load_text(csv_text(rows, header="date,value,store"))
    assert list(loaded.frame.columns) == ["value"]
    assert has_line(loaded.report, "non-numeric", "'store'")


# -- sentinels ------------------------------------------------------------------------------------


def test_detects_a_sentinel_but_not_zeros_or_flags():
    loaded = load_text(sentinel_csv(marker=-999))
    assert loaded.series.min() >= 50  # every -999 was interpolated away
    assert (loaded.frame["rain_mm"] == 0).sum() > 100
    assert set(loaded.frame["holiday"].unique()) == {0.0, 1.0}
    assert has_line(loaded.report, "treated -999 as a missing-value marker in 1 column(s) (10 cells)",
                    "--keep-markers", "'Keep marker values'")


@pytest.mark.parametrize("na_values, minimum", [([], -999.0), ([-999], 50.0), ([-1.0], -999.0)])
def test_na_values_overrides_detection(na_values, minimum):
    loaded = load_text(sentinel_csv(marker=-999), na_values=na_values)
    assert loaded.series.min() == minimum


def test_detects_sentinel_across_columns():
    rows = [(day, -200 if i % 10 == 0 else 2.0 + i % 3, -200 if i % 10 == 0 else 1000 + i) for i, (day, _) in
            enumerate(daily_rows(100))]
    loaded = load_text(csv_text(rows, header="date,CO,sensor"))
    assert loaded.frame.min().min() > 0
    assert has_line(loaded.report, "treated -200", "2 column(s) (20 cells)")


# -- columns --------------------------------------------------------------------------------------


def several_columns_csv() -> str:
    return csv_text([(day, value, 2 * value) for day, value in daily_rows(10)], header="date,sales,visits")


def test_value_col_picks_the_target_and_keeps_covariates():
    loaded = load_text(several_columns_csv(), value_col="visits")
    assert loaded.value_col == "visits"
    assert loaded.covariate_cols == ["sales"]
    assert load_text(several_columns_csv()).value_col == "sales"


def test_date_col_can_be_named_explicitly():
    text = csv_text([(day, value) for day, value in daily_rows(10)], header="when_recorded,value")
    assert_daily(load_text(text, date_col="when_recorded"))


def test_explicit_freq_is_used():
    loaded = load_text(daily_csv(n=10), freq="12h")
    assert loaded.freq == "12h"
    assert len(loaded.frame) == 19


# -- user errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source, kwargs, match",
    [
        (b"", {}, "empty"),
        (b"   \n\n", {}, "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00", {}, "binary"),
        (b"PK\x03\x04\x14\x00\x06\x00", {}, "Excel"),
        (b"date,city\n2020-01-01,Paris\n2020-01-02,Rome\n2020-01-03,Oslo\n", {}, "no numeric column"),
        (b"date,value\n2020-01-01,1\n2020-01-02,2\n", {}, "only 2 data rows"),
        (daily_csv().encode(), {"value_col": "price"}, r"'price' not found.*\['value'\]"),
        (b"date,value,note\n2020-01-01,1,a\n2020-01-02,2,b\n2020-01-03,3,c\n", {"value_col": "note"},
         r"'note' has no numbers.*'a'"),
        (daily_csv().encode(), {"date_col": "day"}, r"date column 'day' not found"),
        (b"stamp,value\nfoo,1\nbar,2\nbaz,3\n", {"date_col": "stamp"}, r"cannot read dates in column 'stamp'.*'foo'"),
        (b"date,value\n2020-01-01,x\n2020-01-02,y\n2020-01-03,3\n2020-01-04,4\n", {"value_col": "value"},
         "has only 2 numbers"),
        (daily_csv().encode(), {"freq": "fortnightly"}, "unknown frequency"),
    ],
    ids=["empty", "blank", "binary", "excel", "no-numbers", "too-short", "missing-value-col", "junk-value-col",
         "missing-date-col", "bad-dates", "too-few-numbers", "bad-freq"],
)
def test_bad_input_raises_one_line_user_error(source, kwargs, match):
    with pytest.raises(UserError, match=match) as caught:
        load_csv(source, **kwargs)
    assert "\n" not in str(caught.value)


def test_missing_path_raises_user_error(tmp_path):
    with pytest.raises(UserError, match="not found"):
        load_csv(tmp_path / "nope.csv")


# -- the real files, when this machine has them ----------------------------------------------------

AIR = MESSY_DIR / "air_quality_uci_raw.csv"
MELBOURNE = MESSY_DIR / "melbourne_min_temp_raw.csv"


@pytest.mark.skipif(not AIR.exists(), reason=f"the real file {AIR} is absent (<repo>/../shared/data/messy)")
def test_loads_uci_air_quality():
    loaded = load_csv(AIR)
    assert (loaded.freq, loaded.value_col, len(loaded.frame)) == ("h", "CO(GT)", 9357)
    assert loaded.frame.index[0] == pd.Timestamp("2004-03-10 18:00")
    assert loaded.frame.min().min() > -200
    assert has_line(loaded.report, "treated -200 as a missing-value marker")


@pytest.mark.skipif(not MELBOURNE.exists(), reason=f"the real file {MELBOURNE} is absent (<repo>/../shared/data/messy)")
def test_loads_melbourne_min_temperatures():
    loaded = load_csv(MELBOURNE)
    assert loaded.freq == "D"
    assert (loaded.frame.index[0], loaded.frame.index[-1]) == (pd.Timestamp("1981-01-01"), pd.Timestamp("1990-12-31"))
    assert len(loaded.frame) == 3652  # 3,650 rows plus the two missing 31 Decembers of leap years
    assert has_line(loaded.report, "treated 3 cells", "'?0.2'")


def test_missing_values_at_the_end_of_the_target_are_dropped_not_invented():
    """Filled-in copies at the end would become the holdout and score every method on fake values."""
    text = "date,y,x\n" + "\n".join(f"2024-01-{d:02d},{'' if d > 25 else d},{d * 2}" for d in range(1, 32))
    loaded = load_csv(text.encode())
    assert len(loaded.frame) == 25 and str(loaded.frame.index[-1].date()) == "2024-01-25"
    assert loaded.report[-1].startswith("dropped 6 rows at the end where 'y' has no value")


def test_switching_target_trims_that_columns_edges():
    text = "date,a,b\n" + "\n".join(f"2024-01-{d:02d},{2 * d},{'' if d < 4 else d}" for d in range(1, 32))
    loaded = load_csv(text.encode())
    assert len(loaded.frame) == 31  # 'a' is complete
    b = loaded.with_value("b")
    assert str(b.frame.index[0].date()) == "2024-01-04" and "3 rows at the start" in b.report[-1]
