import numpy as np
import pytest

import warnings

from lstm_forecast.baselines import BASELINES, Ets, drift, ets, naive, seasonal_naive


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
    for name, cls in BASELINES.items():
        fitted = cls().fit(history, 12)
        out = fitted.forecast(7)
        assert out.shape == (7,), name
        assert np.all(np.isfinite(out)), name
        many = fitted.forecast_from(history, np.array([40, 59]), 7)
        assert many.shape == (2, 7), name
        np.testing.assert_allclose(many[1], out, err_msg=name)  # the last origin is the fitted history's end


def _seasonal(n=400, period=12, seed=0, level=50.0):
    t = np.arange(n)
    rng = np.random.default_rng(seed)
    return level + 0.05 * t + 5 * np.sin(2 * np.pi * t / period) + rng.normal(0, 0.5, n)


@pytest.mark.parametrize("name", list(BASELINES))
def test_forecast_from_reads_nothing_after_its_origin(name):
    y = _seasonal()
    fitted = BASELINES[name]().fit(y[:300], 12)
    origins = np.array([299, 320, 350, 380])
    before = fitted.forecast_from(y, origins, 12)
    for k, o in enumerate(origins):
        changed = y.copy()
        changed[o + 1:] *= 10  # rewrite everything after the origin
        np.testing.assert_array_equal(fitted.forecast_from(changed, origins[:k + 1], 12)[k], before[k])


@pytest.mark.parametrize("positive", [True, False])
def test_ets_from_every_origin_matches_statsmodels_own_forecast(positive):
    """forecast_from reads the filtered states; statsmodels re-filtering each prefix with the same
    parameters must give the same forecast (except at h = m, where statsmodels reads that phase's
    state one cycle older than the textbook formula: checked separately below)."""
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    y = _seasonal(level=50.0 if positive else 0.0)
    P, H = 12, 15
    fitted = Ets().fit(y[:300], P)
    assert fitted.spec_["seasonal"] in (("add", "mul") if positive else ("add",))
    origins = np.arange(299, len(y) - H, 13)
    ours = fitted.forecast_from(y, origins, H)
    p = fitted.result_.params
    spec = {k: v for k, v in fitted.spec_.items() if k != "initialization_method"}
    steps = np.array([h for h in range(H) if (h + 1) % P])  # all but h = 12
    for k, o in enumerate(origins):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = ExponentialSmoothing(
                y[:o + 1], initialization_method="known", initial_level=p["initial_level"],
                initial_trend=p["initial_trend"], initial_seasonal=p["initial_seasons"], **spec,
            ).fit(smoothing_level=p["smoothing_level"], smoothing_trend=p["smoothing_trend"],
                  smoothing_seasonal=p["smoothing_seasonal"], damping_trend=p["damping_trend"], optimized=False)
        np.testing.assert_allclose(ours[k][steps], theirs.forecast(H)[steps], rtol=1e-10, atol=1e-10)


def test_ets_at_a_full_season_uses_the_latest_estimate_of_that_phase():
    """On a series whose season jumps at the very last step, the h = m forecast follows the jump."""
    y = _seasonal(n=240)
    fitted = Ets().fit(y, 12)
    level, trend, season = fitted._states(y)
    phi = fitted.result_.params["damping_trend"]
    h12 = level[-1] + trend[-1] * np.sum(phi ** np.arange(1, 13))
    expected = h12 * season[len(y) - 1] if fitted.spec_["seasonal"] == "mul" else h12 + season[len(y) - 1]
    assert fitted.forecast(12)[11] == pytest.approx(expected)


def test_long_seasons_use_heuristic_initial_states():
    """'estimated' would optimise 365 seasonal states: 4.6x the time on 3 years (bench/ets_speed.py measures it)."""
    t = np.arange(3 * 365)
    y = 10 + 5 * np.sin(2 * np.pi * t / 365) + np.random.default_rng(1).normal(0, 1, len(t))
    fitted = Ets().fit(y, 365)
    assert fitted.spec_["initialization_method"] == "heuristic"
    assert fitted.spec_["seasonal_periods"] == 365
    assert np.all(np.isfinite(fitted.forecast(30)))
