"""load_csv on real-world layouts users reported (issue 8): times in daily files, changing steps,
Unix time, huge fields, date parts in columns, row counters, stock and benchmark files, size caps."""
from __future__ import annotations

import tracemalloc

import numpy as np
import pandas as pd
import pytest

from lstm_forecast.data.loading import load_csv
from lstm_forecast.errors import UserError
from tests.data.messy_csv import beijing_csv, csv_text, daily_csv, epoch_csv, ett_csv, stock_csv


def load_text(text: str, **kwargs):
    return load_csv(text.encode(), **kwargs)


def has_line(lines: list[str], *words: str) -> bool:
    """True when one sentence contains every word."""
    return any(all(word in line for word in words) for line in lines)


# -- 1. times inside a daily file ------------------------------------------------------------------


def test_times_in_a_daily_file_are_moved_to_their_day_and_reported():
    days = pd.date_range("2020-01-01", periods=20, freq="D")
    stamps = [f"{d:%Y-%m-%d}" + (" 09:30" if i in (4, 9, 14) else "") for i, d in enumerate(days)]
    values = [float(i * i) for i in range(20)]  # not linear: an interpolated value would differ
    loaded = load_text(csv_text(list(zip(stamps, values))))
    assert loaded.freq == "D" and list(loaded.frame.index) == list(days)
    np.testing.assert_array_equal(loaded.series.to_numpy(), values)  # the real rows, not interpolations
    assert has_line(loaded.report, "moved 3 timestamps", "'D'", "2020-01-05 09:30 -> 2020-01-05")
    assert not has_line(loaded.report, "filled")


def test_times_on_days_that_also_have_a_row_are_merged_with_a_count():
    rows = [(f"2020-01-{d:02d}", float(d)) for d in range(1, 31)]
    rows += [(f"2020-01-{d:02d} 12:00", float(d) + 1) for d in (3, 7, 11, 15)]
    loaded = load_text(csv_text(rows))
    assert len(loaded.frame) == 30 and loaded.series["2020-01-03"] == 3.5
    assert has_line(loaded.report, "moved 4 timestamps")
    assert has_line(loaded.report, "merged 8 rows sharing 4 duplicate timestamps")
    assert has_line(loaded.warnings, "merged 4 of 34 rows")


@pytest.mark.parametrize("freq, clock", [("h", "09:00"), ("MS", "00:00"), ("W-SUN", "00:00"), ("B", "00:00")])
def test_off_grid_times_never_vanish_on_any_grid(freq, clock):
    index = pd.date_range(f"2021-01-03 {clock}", periods=40, freq=freq)
    stamps = list(index)
    stamps[7] = stamps[7] + pd.Timedelta(minutes=20)  # one row off the grid
    loaded = load_text(csv_text([(str(t), 100.0 + i * i) for i, t in enumerate(stamps)]))
    assert loaded.freq == index.freqstr
    assert loaded.series.iloc[7] == 100.0 + 49  # its own value, at its own step
    assert has_line(loaded.report, "moved 1 timestamps")


# -- 2. the step changes: never lose rows silently ------------------------------------------------


def daily_then_hourly(days: int, hours: int) -> str:
    index = pd.date_range("2020-01-01", periods=days, freq="D")
    index = index.append(pd.date_range(index[-1] + pd.Timedelta(days=1), periods=hours, freq="h"))
    return csv_text([(f"{t:%Y-%m-%d %H:%M}", float(i % 13)) for i, t in enumerate(index)])


def test_a_file_going_from_daily_to_hourly_warns_with_the_cause_and_counts():
    loaded = load_text(daily_then_hourly(400, 200))
    assert loaded.freq == "D" and len(loaded.frame) == 400 + 200 // 24 + 1
    merged = 600 - len(loaded.frame)
    assert has_line(loaded.report, "merged", "rows sharing")
    assert has_line(loaded.warnings, f"merged {merged} of 600 rows", "the steps change from 1 day to 1 hour on 2021-02-04")


def test_a_mostly_hourly_file_with_a_daily_start_is_refused_naming_the_change():
    with pytest.raises(UserError, match="the steps change from 1 day to 1 hour on 2020-10-27; pass freq="):
        load_text(daily_then_hourly(300, 600))


def test_explicit_year_column_of_split_dates_warns_that_dates_are_split():
    loaded = load_text(beijing_csv(3 * 365, step="D"), date_col="year")  # 2010, 2011, 2012
    assert len(loaded.frame) == 3
    assert has_line(loaded.warnings, "merged 1,092 of 1,095 rows", "dates are split across columns", "'month'",
                    "leave date_col unset")
    with pytest.raises(UserError, match="960 rows have only 1 distinct timestamps: dates are split across columns"):
        load_text(beijing_csv(24 * 40), date_col="year")  # 40 days of 2010


def test_a_date_column_with_few_values_warns():
    rows = [(f"2020-0{1 + i % 5}", float(i)) for i in range(100)]
    loaded = load_text(csv_text(rows, header="period,value"))
    assert has_line(loaded.warnings, "merged 95 of 100 rows", "'period' has only 5 distinct values")


def test_a_long_file_of_several_series_warns():
    rows = [(f"2020-01-{1 + i // 3:02d}", "ABC"[i % 3], float(i)) for i in range(90)]
    loaded = load_text(csv_text(rows, header="date,store,sales"))
    assert has_line(loaded.warnings, "merged 60 of 90 rows", "several series", "'store'")


def test_a_freq_coarser_than_the_data_warns():
    rows = [(f"{t:%Y-%m-%d %H:%M}", float(i)) for i, t in enumerate(pd.date_range("2020-01-01", periods=96, freq="h"))]
    loaded = load_text(csv_text(rows), freq="D")
    assert len(loaded.frame) == 4
    assert has_line(loaded.warnings, "merged 92 of 96 rows", "freq='D' is coarser", "1 hour")


def test_too_few_distinct_timestamps_with_an_unknown_freq_is_a_user_error():
    rows = [("2020-01-01", 1.0), ("2020-01-01", 2.0), ("2020-01-02", 3.0), ("2020-01-02", 4.0)]
    with pytest.raises(UserError, match="4 rows have only 2 distinct timestamps"):
        load_text(csv_text(rows), freq="fortnightly")


def test_many_unreadable_dates_warn():
    rows = [(f"2020-01-{d:02d}" if d % 4 else "n/a", float(d)) for d in range(1, 29)]
    loaded = load_text(csv_text(rows))
    assert has_line(loaded.report, "dropped 7 rows that are not data")
    assert has_line(loaded.warnings, "dropped 7 of 28 rows", "'date' is not a readable date")


# -- 3. Unix time ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["ts", "t", "unix", "epoch", "unix_time", "created_ts", "timestamp"])
@pytest.mark.parametrize("shuffle", [False, True], ids=["sorted", "unsorted"])
def test_unix_time_columns_are_the_time_axis(name, shuffle):
    loaded = load_text(epoch_csv(name, shuffle=shuffle))
    assert (loaded.date_col, loaded.value_col, loaded.freq) == (name, "value", "h")
    assert loaded.frame.index[0] == pd.Timestamp("2021-06-01")
    np.testing.assert_allclose(loaded.series.to_numpy(), 1.5 * np.arange(48))
    assert loaded.defaults["date_col"] == f"{name}: Unix time in seconds"


def test_unix_time_mixing_seconds_and_milliseconds_is_read_per_value():
    loaded = load_text(epoch_csv("ts", shuffle=True, ms_every=3))
    assert loaded.frame.index[0] == pd.Timestamp("2021-06-01") and len(loaded.frame) == 48
    np.testing.assert_allclose(loaded.series.to_numpy(), 1.5 * np.arange(48))
    assert has_line(loaded.report, "'ts' as Unix time per value", "32 in seconds", "16 in milliseconds")


def test_a_large_unsorted_measurement_is_not_taken_for_unix_time():
    values = [1.7e9, 0.9e9, 1.2e9, 2.1e9, 1.1e9, 1.9e9]  # within the Unix-seconds range, unsorted
    loaded = load_text(csv_text([(v, i) for i, v in enumerate(values)], header="population,rank"))
    assert loaded.date_col is None and loaded.value_col == "population"


# -- 4. huge fields ------------------------------------------------------------------------------------


def test_a_field_over_the_csv_limit_without_a_quote_is_not_blamed_on_one():
    text = daily_csv().replace("2020-01-03,12.0", "2020-01-03," + "9" * 140_000)
    with pytest.raises(UserError, match=r"line 4 .* longer than 131,072 characters and no quote .*"
                                        r"\(140,011 characters\).*shorten or remove that field") as err:
        load_text(text)
    assert "never closed" not in str(err.value) and len(str(err.value)) < 300


@pytest.mark.parametrize("rows", [10, 3000])  # pandas' "EOF inside string"; the csv module's field limit
def test_an_unclosed_quote_swallowing_the_file_names_the_line_it_opens_on(rows):
    lines = daily_csv(n=rows).splitlines()
    lines[5] = lines[5].replace(",", ',"', 1)
    with pytest.raises(UserError, match=r'quote \(\"\) on line 6 of the file is never closed.*close the quote'):
        load_text("\n".join(lines))


@pytest.mark.parametrize("value", ["1", "aaa"])  # 88,000 or 176,000 characters: under and over the field limit
@pytest.mark.parametrize("at", [3, 150, 400])  # inside the lines the separator is decided on, and after them
def test_a_line_of_44000_fields_is_dropped_with_its_count_not_blamed_on_a_quote(value, at):
    lines = csv_text([(f"2020-01-{d % 28 + 1:02d}", float(d), d) for d in range(500)]).splitlines()
    lines[0] = "date,value,count"
    lines.insert(at, "2020-02-01," + ",".join([value] * 44_000))
    if at < 5:  # among the first lines: refused by the column cap, with the count
        with pytest.raises(UserError, match=f"line {at + 1} .* has 44,001 fields, over the 10,000-column limit"):
            load_text("\n".join(lines))
        return
    loaded = load_text("\n".join(lines))
    assert has_line(loaded.report, "dropped 1 rows with more than 3 fields", f"line {at + 1:,}, 44,001 fields",
                    "'2020-02-01,")
    assert all(len(line) < 300 for line in loaded.report) and not has_line(loaded.report, "quote")


def test_a_line_split_by_another_separator_is_named_with_its_field_count():
    lines = daily_csv(n=300).splitlines()
    lines[200] = "\t".join(["2020-05-01"] + ["aaa"] * 44_000)  # no comma: one 176,000-character field
    with pytest.raises(UserError, match=r"line 201 of the file has 44,001 fields where the other rows have 2 "
                                        r"\('2020-05-01\\taaa.*remove that line or fix its separators") as err:
        load_text("\n".join(lines))
    assert "quote" not in str(err.value)


# -- 5. date parts across columns, row counters --------------------------------------------------------


def test_beijing_layout_combines_date_parts_and_skips_the_row_counter():
    loaded = load_text(beijing_csv(72))
    assert loaded.freq == "h" and loaded.date_col == "year+month+day+hour"
    assert loaded.value_col == "pm2.5"
    assert loaded.frame.index[0] == pd.Timestamp("2010-01-01 01:00")  # hour 0 has no pm2.5: trimmed
    assert len(loaded.frame) == 71
    assert loaded.series["2010-01-01 05:00"] == 55.0
    assert has_line(loaded.report, "combined the date parts", "'year', 'month', 'day', 'hour'")
    assert "No" in loaded.frame.columns and "year" not in loaded.frame.columns
    assert loaded.defaults["value_col"] == "pm2.5: the first numeric column ('No' is a row counter)"
    [warning] = loaded.warnings  # 7 of 71 pm2.5 hours are empty: over the 5% that warns
    assert warning.startswith("filled 7 of 71 'pm2.5' values (9.9%) by interpolation")


def test_row_counter_can_still_be_chosen():
    assert load_text(beijing_csv(30), value_col="No").value_col == "No"


@pytest.mark.parametrize("layout, first", [
    ("year,month,value", "2019-01-01"),
    ("year,month,day,value", "2019-01-05"),
    ("Year,Month,Day,Hour,Minute,value", "2019-01-05 06:30"),
])
def test_date_parts_of_every_depth(layout, first):
    start = pd.Timestamp(first)
    step = {3: pd.DateOffset(months=1), 4: pd.DateOffset(days=1), 6: pd.DateOffset(minutes=30)}[len(layout.split(","))]
    rows = []
    for i in range(12):
        t = start + i * step
        parts = [t.year, t.month, t.day, t.hour, t.minute][: len(layout.split(",")) - 1]
        rows.append((*parts, 3.0 * i))
    loaded = load_text(csv_text(rows, header=layout))
    assert loaded.frame.index[0] == start and len(loaded.frame) == 12
    assert loaded.value_col == "value"


def test_date_and_integer_hour_columns_are_joined_and_hour_24_means_hour_ending():
    rows = [(f"2021-03-{1 + i // 24:02d}", i % 24 + 1, float(i)) for i in range(72)]
    loaded = load_text(csv_text(rows, header="date,hour,load"))
    assert loaded.freq == "h" and len(loaded.frame) == 72
    assert loaded.frame.index[0] == pd.Timestamp("2021-03-01 00:00")
    assert has_line(loaded.report, "'hour' (1 to 24) as hours ending")


@pytest.mark.parametrize("header", ["id,date,value2", "index,date,value2", "row,date,value2", "n,date,value2"])
def test_row_counters_are_never_the_default_target(header):
    rows = [(i + 1, f"2020-01-{i + 1:02d}", 3.5 * i) for i in range(12)]  # 'n' is a counter by its values
    loaded = load_text(csv_text(rows, header=header))
    assert loaded.value_col == "value2"
    assert "a row counter" in loaded.defaults["value_col"]


# -- 6, 7. the usual targets -----------------------------------------------------------------------------


@pytest.mark.parametrize("adjusted, target", [(True, "Adj Close"), (False, "Close")])
def test_stock_exports_forecast_the_close(adjusted, target):
    loaded = load_text(stock_csv(adjusted=adjusted))
    assert loaded.value_col == target and loaded.freq == "B"
    assert "stock export" in loaded.defaults["value_col"]


@pytest.mark.parametrize("name", ["OT", "target", "y", "value", "Value"])
def test_a_column_named_like_the_target_wins(name):
    text = ett_csv().replace(",OT\n", f",{name}\n")
    loaded = load_text(text)
    assert loaded.value_col == name
    assert len(loaded.covariate_cols) == 7


# -- 8. defaults with reasons -----------------------------------------------------------------------------


def test_every_default_is_reported_with_its_reason():
    loaded = load_text(ett_csv())
    assert loaded.defaults == {
        "date_col": "date: named like a date, and its values read as dates",
        "value_col": "OT: the target column of ETT-style benchmark files",
        "freq": "h (hourly): every step between timestamps is the same",
    }


def test_choices_the_user_made_are_not_defaults():
    loaded = load_text(ett_csv(), date_col="date", value_col="3", freq="h")
    assert loaded.defaults == {}


def test_switching_the_target_drops_its_default_reason():
    loaded = load_text(ett_csv()).with_value("0")
    assert "value_col" not in loaded.defaults and "freq" in loaded.defaults


def test_a_constant_target_warns():
    loaded = load_text(csv_text([(f"2020-01-{d:02d}", 5) for d in range(1, 11)]))
    assert has_line(loaded.warnings, "'value' has the same value (5) in every row")


def test_thousands_with_no_break_spaces():
    text = "date;value\n2020-01-01;1\u00a0234,5\n2020-01-02;2\u00a0000,25\n2020-01-03;17\n"
    np.testing.assert_allclose(load_text(text).series.to_numpy(), [1234.5, 2000.25, 17.0])


# -- 11. size and row caps ----------------------------------------------------------------------------------


def test_a_file_over_the_size_cap_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "huge.csv"
    with open(path, "wb") as handle:  # a sparse 300 MB file: nothing is written to disk
        handle.truncate(300 * 2**20)
    tracemalloc.start()
    with pytest.raises(UserError, match=r"'huge.csv' is 300.0 MB, over the 200 MB limit; set LSTM_FORECAST_MAX_MB"):
        load_csv(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 5 * 2**20  # it never read the file


@pytest.mark.parametrize("kind", ["bytes", "upload", "bytesio"])
def test_size_cap_from_the_environment(monkeypatch, kind):
    import io

    class Upload:  # Streamlit's UploadedFile: a size, a name and getvalue()
        name, size = "big.csv", 3 * 2**20

        def getvalue(self):
            raise AssertionError("read before the size was checked")

    monkeypatch.setenv("LSTM_FORECAST_MAX_MB", "2")
    source = {"bytes": b"date,value\n" + b"2020-01-01,1\n" * 200_000, "upload": Upload(),
              "bytesio": io.BytesIO(b"x" * (3 * 2**20))}[kind]
    with pytest.raises(UserError, match="over the 2 MB limit; set LSTM_FORECAST_MAX_MB"):
        load_csv(source)


def test_row_cap_from_the_environment(monkeypatch):
    monkeypatch.setenv("LSTM_FORECAST_MAX_ROWS", "50")
    assert len(load_text(daily_csv(n=50)).frame) == 50
    with pytest.raises(UserError, match="has 51 rows, over the 50-row limit; set LSTM_FORECAST_MAX_ROWS"):
        load_text(daily_csv(n=51))


@pytest.mark.parametrize("var", ["LSTM_FORECAST_MAX_MB", "LSTM_FORECAST_MAX_ROWS"])
def test_a_bad_cap_in_the_environment_is_a_user_error(monkeypatch, var):
    monkeypatch.setenv(var, "lots")
    with pytest.raises(UserError, match=f"{var}='lots' is not a positive number"):
        load_text(daily_csv())


def test_the_upload_cap_and_the_loader_cap_agree():
    import tomllib

    from lstm_forecast.data import loading
    from tests.data.messy_csv import REPO

    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] == loading.MAX_MB


def test_a_target_left_with_fewer_than_3_values_after_merging_is_a_user_error():
    rows = [("2020-01-01", 1, 5), ("2020-01-01", 2, 6), ("2020-01-02", "", 7), ("2020-01-03", 3, 8)]
    with pytest.raises(UserError, match=r"'value' has values at only 2 timestamps.*value_col \(one of \['other'\]\)"):
        load_text(csv_text(rows, header="date,value,other"))
    assert load_text(csv_text(rows, header="date,value,other"), value_col="other").series.tolist() == [5.5, 7, 8]
