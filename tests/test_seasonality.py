"""Seasonal period from frequency and autocorrelation; phase and cycle of every step."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from lstm_forecast.errors import UserError
from lstm_forecast.data.calendar import candidate_periods
from lstm_forecast.seasonality import (
    infer_period,
    phase_and_cycle,
    phase_label,
    seasonal_profile,
)


def noisy_sine(n: int, period: int, *, noise: float = 0.3, trend: float = 0.0, seed: int = 0) -> np.ndarray:
    """Unit sine of `period` steps plus Gaussian noise and an optional linear trend per step."""
    t = np.arange(n)
    rng = np.random.default_rng(seed)
    return np.sin(2 * np.pi * t / period) + rng.normal(0.0, noise, n) + trend * t


def random_walk(n: int, seed: int) -> np.ndarray:
    return np.cumsum(np.random.default_rng(seed).normal(size=n))


@pytest.mark.parametrize(
    ("freq", "expected"),
    [
        ("h", (24, 168)),
        ("2h", (12, 84)),
        ("30min", (48, 336)),
        ("15min", (96, 672)),
        ("D", (7, 365)),
        ("2D", ()),
        ("B", (5, 260)),
        ("W-SUN", (52,)),
        ("W-MON", (52,)),
        ("MS", (12,)),
        ("ME", (12,)),
        ("QS-JAN", (4,)),
        ("QE-DEC", (4,)),
        ("YS", ()),
        (None, ()),
        ("not-a-freq", ()),
    ],
)
def test_candidate_periods_follow_the_frequency(freq, expected):
    assert candidate_periods(freq) == expected


def test_hourly_sine_gets_24_from_the_frequency():
    choice = infer_period(noisy_sine(2000, 24, trend=0.002), "h")
    assert (choice.period, choice.source) == (24, "frequency")
    assert choice.acf > 0.5
    assert set(choice.candidates) == {24, 168}
    assert "hourly" in choice.note and "24" in choice.note


def test_season_on_a_random_walk_is_seen_through_the_differences():
    weekly_spike = 3.0 * (np.arange(1500) % 7 == 5)
    choice = infer_period(random_walk(1500, seed=3) + weekly_spike, "D")
    assert (choice.period, choice.source) == (7, "frequency")


def test_without_frequency_the_acf_peak_gives_17():
    choice = infer_period(noisy_sine(1000, 17), None)
    assert (choice.period, choice.source) == (17, "autocorrelation")
    assert choice.acf > 0.5
    assert "17" in choice.note


def test_a_calendar_lag_that_is_not_a_peak_does_not_confirm():
    # 168 = 9.9 cycles of 17: the ACF is high there but peaks at 170, so 168 is not the season
    choice = infer_period(noisy_sine(1000, 17), "h")
    assert (choice.period, choice.source) == (17, "autocorrelation")


@pytest.mark.parametrize("freq", [None, "h", "D"])
@pytest.mark.parametrize("seed", range(4))
def test_white_noise_has_no_season(freq, seed):
    choice = infer_period(np.random.default_rng(seed).normal(size=2000), freq)
    assert (choice.period, choice.source) == (1, "none")
    assert math.isnan(choice.acf)
    assert choice.note.startswith("no season found")


@pytest.mark.parametrize(("freq", "seed"), [("B", 0), ("B", 1), ("D", 2), (None, 3), (None, 4)])
def test_random_walk_has_no_season(freq, seed):
    assert infer_period(random_walk(2000, seed), freq).period == 1


def test_too_short_for_the_candidates_says_so():
    choice = infer_period(noisy_sine(40, 24), "h")
    assert choice.period == 1
    assert "two full cycles" in choice.note


def test_constant_series_has_no_season():
    choice = infer_period(np.full(100, 3.0), "D")
    assert (choice.period, choice.source) == (1, "none")
    assert "constant" in choice.note


def test_max_period_drops_longer_candidates():
    choice = infer_period(noisy_sine(2000, 24), "h", max_period=100)
    assert set(choice.candidates) == {24}


@pytest.mark.parametrize("override", [1, 12, 50])
def test_override_wins(override):
    choice = infer_period(noisy_sine(100, 24), "h", override=override)
    assert (choice.period, choice.source) == (override, "override")


@pytest.mark.parametrize("override", [0, -3, 51, 500])
def test_override_out_of_range_names_the_allowed_range(override):
    with pytest.raises(UserError, match=rf"seasonal period {override} .* between 1 and 50"):
        infer_period(noisy_sine(100, 24), "h", override=override)


def test_hourly_phase_is_the_hour_and_cycle_turns_at_midnight():
    index = pd.date_range("2024-03-01 05:00", periods=60, freq="h")
    phase, cycle = phase_and_cycle(index, 24)
    np.testing.assert_array_equal(phase, index.hour)
    assert (phase[index.hour == 0] == 0).all()
    turns = np.flatnonzero(np.diff(cycle)) + 1
    assert (index[turns].hour == 0).all() and len(turns) == 2
    assert cycle[0] == 0 and phase.dtype.kind == "i" and cycle.dtype.kind == "i"


def test_hour_of_week_starts_monday_midnight():
    index = pd.date_range("2024-03-06 13:00", periods=400, freq="h")  # a Wednesday
    phase, _ = phase_and_cycle(index, 168)
    np.testing.assert_array_equal(phase, index.day_of_week * 24 + index.hour)


def test_daily_period_7_puts_monday_at_phase_0():
    index = pd.date_range("2024-01-03", periods=30, freq="D")  # a Wednesday
    phase, cycle = phase_and_cycle(index, 7)
    np.testing.assert_array_equal(phase, index.day_of_week)
    assert (cycle[index.day_of_week == 0] == np.arange(1, 5)).all()


def test_monthly_phase_is_month_and_cycle_is_year():
    index = pd.date_range("1949-01-01", periods=144, freq="MS")
    phase, cycle = phase_and_cycle(index, 12)
    np.testing.assert_array_equal(phase, index.month - 1)
    np.testing.assert_array_equal(cycle, index.year - 1949)


@pytest.mark.parametrize(
    ("start", "freq", "period", "first_phase"),
    [
        ("2024-01-05", "B", 5, 4),  # a Friday
        ("2024-01-01", "QS-JAN", 4, 0),
        ("2024-07-01", "QS-JAN", 4, 2),
        ("2024-02-10", "D", 365, 40),
        ("2024-01-14", "W-SUN", 52, 1),  # ISO week 2
        ("2024-01-01 12:30", "30min", 48, 25),
    ],
)
def test_first_phase_follows_the_calendar(start, freq, period, first_phase):
    index = pd.date_range(start, periods=3 * period, freq=freq)
    phase, cycle = phase_and_cycle(index, period)
    assert phase[0] == first_phase
    np.testing.assert_array_equal(phase, (first_phase + np.arange(len(index))) % period)
    np.testing.assert_array_equal(cycle, (first_phase + np.arange(len(index))) // period)


def test_index_without_freq_attribute_is_inferred():
    index = pd.DatetimeIndex(pd.date_range("2024-01-01 05:00", periods=30, freq="h").astype(str))
    assert index.freq is None
    assert phase_and_cycle(index, 24)[0][0] == 5


@pytest.mark.parametrize(
    "index",
    [pd.RangeIndex(50), pd.date_range("2024-01-01 05:00", periods=50, freq="h")],
    ids=["range", "hourly-non-calendar-period"],
)
def test_otherwise_phase_is_step_mod_period(index):
    phase, cycle = phase_and_cycle(index, 17)
    np.testing.assert_array_equal(phase, np.arange(50) % 17)
    np.testing.assert_array_equal(cycle, np.arange(50) // 17)


@pytest.mark.parametrize(
    ("freq", "period", "label"),
    [
        ("h", 24, "hour of day"),
        ("h", 168, "hour of week"),
        ("30min", 48, "30-minute step of day"),
        ("D", 7, "day of week"),
        ("D", 365, "day of year"),
        ("B", 5, "weekday"),
        ("W-SUN", 52, "week of year"),
        ("MS", 12, "month of year"),
        ("QS-JAN", 4, "quarter of year"),
        (None, 17, "step mod 17"),
        ("h", 17, "step mod 17"),
    ],
)
def test_phase_label(freq, period, label):
    assert phase_label(freq, period) == label


def test_seasonal_profile_is_the_series_per_phase():
    values = np.tile([1.0, 2.0, 3.0, 4.0], 5) + np.repeat([0.0, 0.0, 1.0, -1.0, 0.0], 4)
    profile = seasonal_profile(values, np.arange(20) % 4)
    assert list(profile.columns) == ["phase", "mean", "q25", "q75"]
    np.testing.assert_allclose(profile["mean"], [1, 2, 3, 4])
    assert (profile["q25"] <= profile["mean"]).all() and (profile["mean"] <= profile["q75"]).all()


def test_a_plain_yearly_season_counts_with_three_years_seen():
    """Daily maximum temperatures: 3.2 years (the part the period choice sees) show the year plainly."""
    from lstm_forecast.data.samples import load_sample

    loaded = load_sample("seattle_daily_weather")
    values = loaded.series.to_numpy()
    seen = values[: len(values) - len(values) // 5]
    assert infer_period(seen, "D").period == 365


def test_random_walks_rarely_pass_for_daily_seasons():
    rng = np.random.default_rng(7)
    found = sum(infer_period(rng.normal(size=n).cumsum(), "D").period > 1 for n in (1100, 1300, 1500) for _ in range(20))
    assert found <= 2  # of 60
