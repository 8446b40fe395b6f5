"""The network on the baselines' contract: `forecast_from(y, origins, horizon)` -> (N, H), row k reading
y[: origins[k] + 1] only, scored by evaluation/ exactly as a baseline is."""
import numpy as np
import pandas as pd
import pytest

from lstm_forecast.baselines import SeasonalNaive, fitted_baselines
from lstm_forecast.config import Config
from lstm_forecast.data.series import LoadedSeries
from lstm_forecast.evaluation.forecasts import Forecast, forecasts
from lstm_forecast.evaluation.rolling import ERROR_COLUMNS, origin_errors
from lstm_forecast.network import NetworkForecaster
from lstm_forecast.pipeline import prepared_for, train_run
from tests.factories import airline, sine_series

SMALL = dict(hidden=16, epochs=6, patience=3)


@pytest.fixture(scope="module")
def trained():
    loaded = airline()
    run = train_run(loaded, Config(horizon=12, **SMALL))
    return loaded, run, NetworkForecaster.trained(prepared_for(run, loaded), run.config, run.model)


def _y(loaded: LoadedSeries) -> np.ndarray:
    return loaded.frame[loaded.value_col].to_numpy(dtype=float)


def test_the_holdout_row_is_the_runs_own_forecast(trained):
    loaded, run, network = trained
    y = _y(loaded)
    H = run.config.horizon
    points = network.forecast_from(y, np.array([len(y) - 1 - H, len(y) - 1]), H)  # holdout, future
    assert points.shape == (2, H)
    assert np.allclose(points.reshape(-1), run.forecast["forecast"].to_numpy(), rtol=1e-6)


def test_a_row_reads_nothing_after_its_origin(trained):
    loaded, run, network = trained
    H, origin = run.config.horizon, 100
    frame = loaded.frame.copy()
    frame.iloc[origin + 1:, 0] *= 3  # everything after the origin changes
    changed = LoadedSeries(frame, loaded.value_col, loaded.date_col, loaded.freq)
    again = NetworkForecaster.trained(prepared_for(run, changed), run.config, run.model)
    a = network.forecast_from(_y(loaded), [origin], H)
    b = again.forecast_from(_y(changed), [origin], H)
    assert np.array_equal(a, b)
    assert not np.array_equal(network.forecast_from(_y(loaded), [origin + 1], H),
                              again.forecast_from(_y(changed), [origin + 1], H))  # one step later it does see it


def test_the_network_and_the_baselines_answer_the_same_call(trained):
    loaded, run, network = trained
    y, H = _y(loaded), run.config.horizon
    origins = np.arange(60, len(y) - H, 7)
    methods = {"lstm": network, **fitted_baselines(y[:100], run.config.period)}
    out = forecasts(methods, y, origins, H)
    assert set(out) == {"lstm", "naive", "seasonal_naive", "drift", "ets"}
    assert all(v.shape == (len(origins), H) and np.isfinite(v).all() for v in out.values())


@pytest.mark.parametrize("call, words", [
    (lambda n, y: n.forecast_from(y, [100], 6), "forecasts 12 steps"),
    (lambda n, y: n.forecast_from(y[:-1], [100], 12), "pass the series"),
    (lambda n, y: n.forecast_from(y, [5], 12), "full lookback"),
    (lambda n, y: n.forecast_from(y, [len(y)], 12), "origins must lie"),
])
def test_a_call_the_network_cannot_answer_says_why(trained, call, words):
    loaded, _, network = trained
    with pytest.raises(ValueError, match=words):
        call(network, _y(loaded))


def test_fit_trains_the_same_network_as_a_run_for_a_seed():
    loaded = sine_series(n=300)
    config = Config(seed=5, **SMALL)
    run = train_run(loaded, config)
    import torch

    network = NetworkForecaster(prepared_for(run, loaded), run.config).fit(device=torch.device("cpu"), threads=1)
    a = {k: v for k, v in run.model.state_dict().items()}
    b = network.model_.state_dict()
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert network.result_.best_epoch == run.info["best_epoch"]


def test_evaluation_scores_any_forecaster_alike():
    """origin_errors takes each forecaster's arrays, whatever produced them: here a hand-written one."""

    class Constant:
        def forecast_from(self, y, origins, horizon):
            return np.full((len(origins), horizon), 10.0)

    index = pd.date_range("2020-01-01", periods=40, freq="D")
    loaded = LoadedSeries(pd.DataFrame({"y": np.arange(40.0)}, index=index), "y", None, "D")
    y, origins = _y(loaded), np.array([20, 30])
    snaive = SeasonalNaive().fit(y[:20], 7)
    points = forecasts({"constant": Constant(), "seasonal_naive": snaive}, y, origins, 3)
    errors = origin_errors(loaded, origins, {k: Forecast(v) for k, v in points.items()})
    assert list(errors.columns) == ERROR_COLUMNS and len(errors) == 2 * 2 * 3
    const = errors[errors["method"] == "constant"]
    assert np.array_equal(const["error"].to_numpy(), np.array([21, 22, 23, 31, 32, 33]) - 10.0)
    sn = errors[errors["method"] == "seasonal_naive"]
    assert np.array_equal(sn["forecast"].to_numpy(), [14, 15, 16, 24, 25, 26])  # one week before each target
    assert const[["lower_80", "upper_95"]].isna().all().all()  # no calibration given: no band


def test_a_calibrated_forecast_has_a_band_shaped_like_its_points():
    from lstm_forecast.evaluation.intervals import calibrate

    cal = calibrate(np.tile(np.linspace(-1, 1, 41)[:, None], (1, 3)))
    f = Forecast.calibrated(np.full((2, 3), 5.0), cal)
    assert set(f.bands) == {"lower_80", "upper_80", "lower_95", "upper_95"}
    assert all(v.shape == (2, 3) for v in f.bands.values())
    assert (f.bands["lower_95"] < f.bands["lower_80"]).all() and (f.bands["upper_80"] < f.bands["upper_95"]).all()
    assert list(f.columns(0)) == ["forecast", "lower_80", "upper_80", "lower_95", "upper_95"]
