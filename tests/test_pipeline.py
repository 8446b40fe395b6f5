import numpy as np
import pytest

from lstm_forecast.config import Config
from lstm_forecast.pipeline import apply_run, backtest, train_run
from tests.factories import airline, sine_series

SMALL = dict(hidden=16, epochs=8, patience=4)


def test_default_lstm_beats_seasonal_naive_on_airline():
    run = train_run(airline(), Config(horizon=12))
    m = run.metrics
    assert m["period"] == 12 and m["horizon"] == 12
    assert m["model"]["mase"] < m["baselines"]["seasonal_naive"]["mase"]


def test_forecast_frame_holds_holdout_then_future():
    run = train_run(airline(), Config(horizon=12, **SMALL))
    f = run.forecast
    assert list(f.columns) == ["timestamp", "actual", "forecast"]
    assert len(f) == 24 and f["actual"].iloc[:12].notna().all() and f["actual"].iloc[12:].isna().all()
    assert str(f["timestamp"].iloc[0].date()) == "1960-01-01"
    assert str(f["timestamp"].iloc[-1].date()) == "1961-12-01"
    assert set(run.baselines.columns) == {"timestamp", "naive", "seasonal_naive", "drift", "ets"}


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_same_seed_same_forecast(cell):
    a = train_run(sine_series(n=300), Config(cell=cell, seed=3, **SMALL))
    b = train_run(sine_series(n=300), Config(cell=cell, seed=3, **SMALL))
    c = train_run(sine_series(n=300), Config(cell=cell, seed=4, **SMALL))
    assert np.array_equal(a.forecast["forecast"].to_numpy(), b.forecast["forecast"].to_numpy())
    assert not np.array_equal(a.forecast["forecast"].to_numpy(), c.forecast["forecast"].to_numpy())


def test_holdout_forecast_does_not_see_the_holdout():
    loaded = airline()
    a = train_run(loaded, Config(horizon=12, **SMALL))
    frame = loaded.frame.copy()
    frame.iloc[-12:, 0] = frame.iloc[-12:, 0] * 5  # the future changes...
    b = train_run(type(loaded)(frame, loaded.value_col, loaded.date_col, loaded.freq), Config(horizon=12, **SMALL))
    # ...the holdout forecast made before it does not
    assert np.array_equal(a.forecast["forecast"].to_numpy()[:12], b.forecast["forecast"].to_numpy()[:12])


def test_stop_from_callback_keeps_best_model():
    seen = []
    run = train_run(sine_series(n=300), Config(epochs=50, **{k: v for k, v in SMALL.items() if k != "epochs"}),
                    callback=lambda p: seen.append(p.epoch) or p.epoch < 3)
    assert seen == [1, 2, 3]
    assert run.info["stopped"] == "stopped by user"
    assert run.info["best_epoch"] in (1, 2, 3)
    assert np.isfinite(run.forecast["forecast"]).all()


def test_apply_run_on_new_data_scores_the_last_horizon():
    run = train_run(sine_series(n=300, seed=1), Config(**SMALL))
    frame, scores = apply_run(run, sine_series(n=200, seed=2))
    assert len(frame) == 2 * run.config.horizon
    assert scores["mase"] < 2.0


def test_backtest_moves_the_origin_back():
    table = backtest(sine_series(n=260), Config(**SMALL), origins=2)
    assert set(table["origin"]) == {0, 1}
    cutoffs = table.groupby("origin")["cutoff"].first()
    assert cutoffs[0] < cutoffs[1]
    assert {"lstm", "naive", "seasonal_naive", "drift", "ets"} <= set(table["method"])


def test_forecast_of_new_data_does_not_depend_on_where_it_starts():
    """A season that is not a calendar cycle (sunspots' 11 years) keeps its phase on a slice."""
    from lstm_forecast.data.samples import load_sample

    loaded = load_sample("sunspots_yearly")
    run = train_run(loaded, Config(**SMALL))
    assert run.config.period not in (1, 12)  # not a calendar season: phase comes from the anchor
    sliced = [type(loaded)(loaded.frame.iloc[-k:], loaded.value_col, loaded.date_col, loaded.freq) for k in (150, 147)]
    a, b = (apply_run(run, part)[0]["forecast"].to_numpy() for part in sliced)
    np.testing.assert_allclose(a, b, rtol=1e-6)
