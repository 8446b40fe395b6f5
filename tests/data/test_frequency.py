"""infer_freq on gappy indexes, and regularise: order, duplicates, grid, gaps, NaNs."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lstm_forecast.data.frequency import (describe_freq, describe_step_change, infer_freq, pandas_infer_freq,
                                         regularise, regularise_observed)
from lstm_forecast.errors import UserError


def gappy(start: str, periods: int, freq: str, drop: tuple[int, ...] = (3, 4, 9)) -> pd.DatetimeIndex:
    """A regular index with a few points removed, so pd.infer_freq alone fails."""
    return pd.date_range(start, periods=periods, freq=freq).delete(list(drop))


def frame_on(index: pd.Index, values=None) -> pd.DataFrame:
    values = np.arange(len(index), dtype=float) if values is None else np.asarray(values, dtype=float)
    return pd.DataFrame({"value": values}, index=index)


def has_line(report: list[str], *words: str) -> bool:
    return any(all(word in line for word in words) for line in report)


@pytest.mark.parametrize(
    "index, expected",
    [
        (gappy("2020-01-01", 60, "h"), "h"),
        (gappy("2020-01-01", 60, "30min"), "30min"),
        (gappy("2020-01-01", 60, "15min"), "15min"),
        (gappy("2020-01-01", 60, "D"), "D"),
        (gappy("2020-01-01", 60, "B", drop=(3, 17)), "B"),
        (gappy("2020-01-01", 60, "W-WED"), "W-WED"),
        (gappy("2020-01-05", 60, "W-SUN"), "W-SUN"),
        (gappy("2000-01-01", 60, "MS"), "MS"),
        (gappy("2000-01-31", 60, "ME"), "ME"),
        (gappy("2000-01-15", 60, "MS") + pd.Timedelta(days=14), "MS"),
        (gappy("2000-01-01", 30, "QS-JAN"), "QS-JAN"),
        (gappy("2000-02-01", 30, "QS-FEB"), "QS-FEB"),
        (gappy("2000-03-31", 30, "QE-DEC"), "QE-DEC"),
        (gappy("1900-01-01", 30, "YS-JAN"), "YS-JAN"),
        (gappy("1900-12-31", 30, "YE-DEC"), "YE-DEC"),
        (pd.date_range("2020-01-01", periods=20, freq="D"), "D"),
        (pd.date_range("2020-01-01", periods=2, freq="D"), None),
    ],
    ids=["h", "30min", "15min", "D", "B", "W-WED", "W-SUN", "MS", "ME", "mid-month", "QS", "QS-FEB", "QE", "YS",
         "YE", "regular", "too-short"],
)
def test_infer_freq(index, expected):
    assert infer_freq(index) == expected


def test_short_daily_index_without_weekend_evidence_stays_daily():
    # Jan 4-5 2020 are a weekend, and both are missing: one Friday->Monday step is not enough for 'B'
    index = pd.DatetimeIndex(["2020-01-01", "2020-01-02", "2020-01-03", "2020-01-06", "2020-01-08"])
    assert infer_freq(index) == "D"


def test_regularise_sorts_merges_and_fills():
    index = pd.DatetimeIndex(["2020-01-05", "2020-01-01", "2020-01-02", "2020-01-02", "2020-01-04"])
    frame, freq, report = regularise(frame_on(index, [5.0, 1.0, 2.0, 4.0, 4.0]))
    assert freq == "D"
    assert list(frame.index) == list(pd.date_range("2020-01-01", "2020-01-05"))
    np.testing.assert_allclose(frame["value"], [1.0, 3.0, 3.5, 4.0, 5.0])  # 01-02 = mean(2, 4); 01-03 interpolated
    assert has_line(report, "sorted 5 rows into ascending time order")
    assert has_line(report, "merged 2 rows sharing 1 duplicate timestamps")
    assert has_line(report, "filled 1 missing steps by interpolation (largest gap: 1 step)")


def test_interpolation_is_in_time_for_month_starts():
    index = pd.DatetimeIndex(["2021-01-01", "2021-02-01", "2021-04-01", "2021-05-01"])
    frame, freq, _ = regularise(frame_on(index, [0.0, 31.0, 90.0, 120.0]), freq="MS")
    assert freq == "MS"
    assert frame.loc["2021-03-01", "value"] == pytest.approx(59.0)  # 28 of the 59 days in Feb..Apr


def test_regularise_snaps_mid_month_dates_to_month_starts():
    index = pd.date_range("2020-01-01", periods=12, freq="MS") + pd.Timedelta(days=14)
    frame, freq, report = regularise(frame_on(index))
    assert freq == "MS"
    assert frame.index[0] == pd.Timestamp("2020-01-01") and len(frame) == 12
    assert has_line(report, "moved 12 timestamps", "'MS'")


def test_regularise_fills_inside_and_edge_nans_and_reports_them_apart():
    index = pd.date_range("2020-01-01", periods=6, freq="h")
    frame, _, report = regularise(frame_on(index, [np.nan, 1.0, np.nan, 3.0, 4.0, np.nan]))
    np.testing.assert_allclose(frame["value"], [1.0, 1.0, 2.0, 3.0, 4.0, 4.0])
    assert has_line(report, "filled 1 missing values inside the data")
    assert has_line(report, "filled 2 missing values at the start or end")


def test_regularise_drops_all_nan_columns():
    frame = frame_on(pd.date_range("2020-01-01", periods=5, freq="D")).assign(empty=np.nan)
    out, _, report = regularise(frame)
    assert list(out.columns) == ["value"]
    assert has_line(report, "dropped 1 column(s) with no values", "'empty'")


def test_regularise_interpolates_a_range_index():
    out, freq, _ = regularise(frame_on(pd.RangeIndex(5), [1.0, np.nan, 3.0, np.nan, 5.0]))
    assert freq is None
    assert isinstance(out.index, pd.RangeIndex)
    np.testing.assert_allclose(out["value"], [1.0, 2.0, 3.0, 4.0, 5.0])


def test_regularise_keeps_an_explicit_freq():
    out, freq, report = regularise(frame_on(pd.date_range("2020-01-01", periods=3, freq="D")), freq="12h")
    assert freq == "12h" and len(out) == 5
    assert has_line(report, "filled 2 missing steps")


@pytest.mark.parametrize(
    "frame, freq, match",
    [
        (frame_on(pd.date_range("2020-01-01", periods=5, freq="D"), [1.0, np.nan, np.nan, np.nan, 2.0]), None,
         "only 2 rows with numbers"),
        (frame_on(pd.DatetimeIndex(["2020-01-01", "2020-01-02", "2020-01-03", "2920-01-04"])), "D",
         "fix mistyped dates"),
        (frame_on(pd.date_range("2020-01-01", periods=5, freq="D")), "fortnightly", "unknown frequency"),
        (pd.DataFrame({"value": [np.nan] * 4}, index=pd.RangeIndex(4)), None, "no column has any numbers"),
    ],
    ids=["too-few-points", "mistyped-date", "bad-freq", "all-nan"],
)
def test_regularise_raises_user_errors(frame, freq, match):
    with pytest.raises(UserError, match=match):
        regularise(frame, freq)


@pytest.mark.parametrize(
    "freq, words",
    [
        ("MS", "monthly (month start)"), ("ME", "monthly (month end)"), ("BMS", "monthly (first business day)"),
        ("BME", "monthly (last business day)"), ("3MS", "every 3 months (month start)"),
        ("B", "business days"), ("2B", "every 2 business days"), ("C", "custom business days"),
        ("D", "daily"), ("2D", "every 2 days"),
        ("h", "hourly"), ("2h", "every 2 hours"), ("1h30min", "every 90 minutes"), ("30min", "every 30 minutes"),
        ("min", "every minute"), ("15s", "every 15 seconds"), ("s", "every second"), ("ms", "every millisecond"),
        ("W-SUN", "weekly (Sundays)"), ("W", "weekly (Sundays)"), ("W-MON", "weekly (Mondays)"),
        ("2W-WED", "every 2 weeks (Wednesdays)"),
        ("QS-JAN", "quarterly"), ("QS", "quarterly"), ("QS-APR", "quarterly"),
        ("QS-FEB", "quarterly (quarters start in Feb, May, Aug, Nov)"), ("QE-DEC", "quarterly (quarter end)"),
        ("QE-NOV", "quarterly (quarters end in Feb, May, Aug, Nov)"), ("BQS", "quarterly (first business day)"),
        ("YS-JAN", "yearly"), ("YS", "yearly"), ("YE-DEC", "yearly (year end)"),
        ("YS-JUL", "yearly (years start in July)"), ("YE-JUN", "yearly (years end in June)"),
        ("2YS", "every 2 years"), ("SMS", "twice a month (1st and 15th)"), ("SME", "twice a month (15th and month end)"),
        ("bh", "business hours"),
        (None, "no dates (row order)"), ("fortnightly", "fortnightly"),
    ],
)
def test_describe_freq(freq, words):
    assert describe_freq(freq) == words


def test_describe_freq_takes_offsets_and_every_inferred_alias_has_words():
    assert describe_freq(pd.offsets.Hour(6)) == "every 6 hours"
    for alias in ("h", "30min", "D", "B", "W-WED", "MS", "ME", "QS-JAN", "QE-DEC", "YS-JAN", "YE-DEC"):
        found = infer_freq(gappy("2000-01-03", 60, alias))
        assert describe_freq(found) != found, found  # words, not the alias itself


def test_pandas_infer_freq_returns_an_offset():
    found = pandas_infer_freq(pd.date_range("2020-01-01", periods=5, freq="W-SUN"))
    assert isinstance(found, pd.offsets.BaseOffset) and found.freqstr == "W-SUN"
    assert pandas_infer_freq(pd.DatetimeIndex(["2020-01-01", "2020-01-02", "2020-01-04"])) is None


def test_days_with_a_clock_time_are_snapped_to_their_day():
    index = pd.date_range("2020-01-01", periods=10, freq="D").tolist()
    index[3] = index[3] + pd.Timedelta(hours=21)  # late in the evening: still its own day
    done = regularise_observed(frame_on(pd.DatetimeIndex(index), np.arange(10.0) ** 2))
    assert done.freq == "D" and (done.rows_in, done.rows_merged, done.steps_filled) == (10, 0, 0)
    assert done.frame.loc["2020-01-04", "value"] == 9.0
    assert has_line(done.report, "moved 1 timestamps", "2020-01-04 21:00 -> 2020-01-04")


def test_daily_readings_at_a_fixed_hour_stay_where_they_are():
    index = pd.date_range("2020-01-01 09:00", periods=10, freq="D")
    done = regularise_observed(frame_on(index))
    assert list(done.frame.index) == list(index) and done.report == []


def test_hourly_rows_snap_to_the_grid_most_rows_share():
    index = pd.date_range("2020-01-01 00:30", periods=30, freq="h").tolist()
    index[0] = index[0] - pd.Timedelta(minutes=29)  # the first row is the odd one: 00:01
    done = regularise_observed(frame_on(pd.DatetimeIndex(index)))
    assert done.frame.index[1] == pd.Timestamp("2020-01-01 01:30") and len(done.frame) == 30
    assert has_line(done.report, "moved 1 timestamps")


@pytest.mark.parametrize(
    "index, words",
    [
        (pd.date_range("2020-01-01", periods=30, freq="D").append(pd.date_range("2020-02-01", periods=30, freq="h")),
         "the steps change from 1 day to 1 hour on 2020-02-01"),
        (pd.date_range("2020-01-01", periods=30, freq="h").append(pd.date_range("2020-01-03", periods=30, freq="D")),
         "the steps change from 1 hour to 1 day on 2020-01-03"),
        (pd.date_range("2000-01-01", periods=40, freq="MS"), None),  # 28 to 31 days: one step
        (pd.date_range("2000-01-01", periods=40, freq="D"), None),
    ],
    ids=["day-to-hour", "hour-to-day", "months", "regular"],
)
def test_describe_step_change(index, words):
    assert describe_step_change(index) == words


@pytest.mark.parametrize(
    "jitter, freq, start",
    [
        (pd.to_timedelta([0, 1, 0, 1] * 10, unit="h"), "D", "2021-01-01"),  # 00:00 / 01:00: steps of 23 h and 25 h
        (pd.to_timedelta([-7, 3, 0, 5, -2] * 8, unit="min") + pd.Timedelta(hours=9), "D", "2021-01-01"),
        (pd.to_timedelta([-3, 2, 0, 4, -1] * 8, unit="s"), "h", "2021-01-01 00:00"),
    ],
    ids=["23h-25h", "around-9am", "seconds-off-the-hour"],
)
def test_jittered_clock_times_get_the_usual_step(jitter, freq, start):
    grid = pd.date_range(start, periods=40, freq=freq)
    done = regularise_observed(frame_on(grid + jitter, np.arange(40.0) ** 2))
    assert done.freq == freq and len(done.frame) == 40 and done.rows_merged == 0
    np.testing.assert_array_equal(done.frame["value"], np.arange(40.0) ** 2)  # each row kept at its own step
    assert "vary around" in done.freq_reason
