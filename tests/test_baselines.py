import numpy as np
import pytest

from lstm_forecast.baselines import BASELINES, drift, ets, naive, seasonal_naive


def test_naive_repeats_last_value():
    assert naive(np.array([3.0, 5.0, 4.0]), 3).tolist() == [4.0, 4.0, 4.0]


@pytest.mark.parametrize("horizon, expected", [(2, [4.0, 5.0]), (4, [4.0, 5.0, 6.0, 4.0])])
def test_seasonal_naive_repeats_last_season(horizon, expected):
    history = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    assert seasonal_naive(history, horizon, period=3).tolist() == expected


def test_seasonal_naive_without_season_is_naive():
    assert seasonal_naive(np.array([1.0, 9.0]), 2, period=1).tolist() == [9.0, 9.0]


def test_drift_extends_first_to_last_line():
    assert drift(np.array([0.0, 1.0, 4.0]), 2).tolist() == [6.0, 8.0]  # slope 2


def test_ets_follows_a_clean_seasonal_pattern():
    t = np.arange(240)
    y = 20 + 3 * np.sin(2 * np.pi * t / 12)
    future = 20 + 3 * np.sin(2 * np.pi * np.arange(240, 252) / 12)
    assert np.max(np.abs(ets(y, 12, 12) - future)) < 0.5
    assert np.max(np.abs(naive(y, 12) - future)) > 2  # the test can tell a bad forecaster


def test_every_baseline_shares_the_contract():
    history = np.linspace(1, 50, 60)
    for name, fn in BASELINES.items():
        out = fn(history, 7, 12)
        assert out.shape == (7,), name
        assert np.all(np.isfinite(out)), name
