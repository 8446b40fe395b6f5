import numpy as np
import pytest

from lstm_forecast.config import Config
from lstm_forecast.pipeline import apply_run, train_run
from tests.factories import airline, gappy_two_columns, scale_by_hand, sine_series

SMALL = dict(hidden=16, epochs=8, patience=4)


def test_default_lstm_beats_seasonal_naive_on_airline():
    run = train_run(airline(), Config(horizon=12))
    m = run.metrics
    assert m["period"] == 12 and m["horizon"] == 12
    assert m["model"]["mase"] < m["baselines"]["seasonal_naive"]["mase"]


def test_forecast_frame_holds_holdout_then_future():
    run = train_run(airline(), Config(horizon=12, **SMALL))
    f = run.forecast
    bands = ["lower_80", "upper_80", "lower_95", "upper_95"]
    assert list(f.columns) == ["timestamp", "actual", "forecast", *bands]
    assert len(f) == 24 and f["actual"].iloc[:12].notna().all() and f["actual"].iloc[12:].isna().all()
    assert str(f["timestamp"].iloc[0].date()) == "1960-01-01"
    assert str(f["timestamp"].iloc[-1].date()) == "1961-12-01"
    assert f[bands].notna().all().all()  # the holdout and the future rows alike
    assert ((f["lower_95"] <= f["lower_80"]) & (f["lower_80"] <= f["forecast"]) & (f["forecast"] <= f["upper_80"])
            & (f["upper_80"] <= f["upper_95"])).all()
    names = ["naive", "seasonal_naive", "drift", "ets"]
    assert set(run.baselines.columns) == {"timestamp", *names, *(f"{n}_{b}" for n in names for b in bands)}
    for scores in [run.metrics["model"], *run.metrics["baselines"].values()]:
        assert {"coverage_80", "width_80", "coverage_95", "width_95"} <= set(scores)


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
                    callback=lambda p: (seen.append(p.epoch) or p.epoch < 3) if p.end_of_epoch else None)
    assert seen == [1, 2, 3]
    assert run.info["stopped"] == "stopped by user"
    assert run.info["best_epoch"] in (0, 1, 2, 3)  # 0: no epoch beat the untrained model (its base)
    assert np.isfinite(run.forecast["forecast"]).all()


def test_apply_run_on_new_data_scores_the_last_horizon():
    run = train_run(sine_series(n=300, seed=1), Config(**SMALL))
    frame, scores = apply_run(run, sine_series(n=200, seed=2))
    assert len(frame) == 2 * run.config.horizon
    assert scores["mase"] < 2.0


def test_a_gap_in_the_holdout_is_not_scored_and_is_counted():
    """Interpolated holdout points are invented values: scored on the observed ones only, and said so."""
    from lstm_forecast.data.loading import load_csv

    loaded = sine_series(n=300)
    text = loaded.frame.reset_index().to_csv(index=False)
    lines = text.splitlines()
    gap = lines[:-10] + lines[-7:]  # three hourly rows missing inside the last 24 points
    gappy = load_csv("\n".join(gap).encode(), freq="h")
    assert len(gappy.frame) == 300 and not gappy.observed[gappy.value_col].iloc[-10:-7].any()
    run = train_run(gappy, Config(horizon=24, **SMALL))
    holdout = run.metrics["holdout"]
    assert (holdout["points"], holdout["scored"], holdout["excluded"]) == (24, 21, 3)
    f = run.forecast.iloc[:24]
    assert f["actual"].isna().sum() == 3  # the filled values are not shown as actuals either
    observed = f["actual"].notna().to_numpy()
    expected_mae = np.mean(np.abs(f["actual"][observed] - f["forecast"][observed]))
    assert run.metrics["model"]["mae"] == pytest.approx(expected_mae)


def test_the_mase_scale_is_recorded_with_how_it_was_taken():
    run = train_run(airline(), Config(horizon=12, **SMALL))
    scale = run.metrics["mase_scale"]
    assert scale["lag"] == 12 and "y_(t-12)" in scale["note"] and scale["value"] > 0
    m = run.metrics
    assert m["model"]["mase"] == pytest.approx(m["model"]["mae"] / scale["value"])


def test_the_season_is_decided_once_and_stored_on_the_run():
    """The data panel and training must agree (sunspots: the panel said 10, training used 11)."""
    from lstm_forecast.data.samples import load_sample
    from lstm_forecast.prepare import decide_season

    loaded = load_sample("sunspots_yearly")
    shown = decide_season(loaded, Config())
    run = train_run(loaded, Config(**SMALL))
    assert run.config.period == shown.period and run.info["period_note"] == shown.note
    assert run.metrics["period"] == shown.period


def test_baselines_are_fitted_once_per_data_and_reused():
    from lstm_forecast import baselines

    loaded = airline()
    train_run(loaded, Config(horizon=12, **SMALL))
    before = dict(baselines._CACHE)
    fits = []
    real = baselines.fit_all
    baselines.fit_all = lambda *a: fits.append(a) or real(*a)
    try:
        train_run(loaded, Config(horizon=12, cell="gru", **SMALL))
    finally:
        baselines.fit_all = real
    assert dict(baselines._CACHE).keys() == before.keys() and fits == []


def test_each_stage_is_timed_in_its_own_bucket(monkeypatch):
    """A fake clock that only moves while the baselines are fitted: those 5 s land in "baselines"
    (not in "prepare" or "forecast"), the loader's 0.25 s is recorded but kept out of "total"."""
    import types

    import lstm_forecast.pipeline as pipeline

    clock = [100.0]
    real = pipeline.fitted_baselines

    def slow_fit(*args, **kwargs):
        clock[0] += 5.0
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "time", types.SimpleNamespace(perf_counter=lambda: clock[0]))
    monkeypatch.setattr(pipeline, "fitted_baselines", slow_fit)
    run = train_run(airline(), Config(horizon=12, **SMALL), load_seconds=0.25)
    t = run.info["timings"]
    assert (t["load"], t["prepare"], t["baselines"], t["forecast"]) == (0.25, 0.0, 5.0, 0.0)
    assert t["train"] > 0  # the training loop's own clock (the real one)
    assert t["total"] == round(5.0 + t["train"], 3)


def test_a_sample_trained_on_another_column_is_reloaded_with_that_column():
    """`backtest --run` reloads the training data: a sample trained on a non-default column must
    come back with that column as its target, whether or not the origin records it."""
    from lstm_forecast.data.samples import load_sample
    from lstm_forecast.pipeline import training_data

    loaded = load_sample("seattle_daily_weather").with_value("temp_min_c")
    run = train_run(loaded.head(400), Config(horizon=7, value_col="temp_min_c", hidden=8, epochs=1, patience=1))
    for origin in ({"sample": "seattle_daily_weather"},  # as recorded before the value column was
                   {"sample": "seattle_daily_weather", "value_col": "temp_min_c"}):
        run.info["origin"] = origin
        back = training_data(run)
        assert back.value_col == "temp_min_c" != load_sample("seattle_daily_weather").value_col
        np.testing.assert_array_equal(back.series.to_numpy(), loaded.series.to_numpy())


def test_forecast_of_new_data_does_not_depend_on_where_it_starts():
    """A season that is not a calendar cycle (sunspots' 11 years) keeps its phase on a slice."""
    from lstm_forecast.data.samples import load_sample

    loaded = load_sample("sunspots_yearly")
    run = train_run(loaded, Config(**SMALL))
    assert run.config.period not in (1, 12)  # not a calendar season: phase comes from the anchor
    sliced = [type(loaded)(loaded.frame.iloc[-k:], loaded.value_col, loaded.date_col, loaded.freq) for k in (150, 147)]
    a, b = (apply_run(run, part)[0]["forecast"].to_numpy() for part in sliced)
    np.testing.assert_allclose(a, b, rtol=1e-6)


def test_the_mase_scale_leaves_out_filled_points_and_counts_them():
    """A filled stretch in the history: the scale is taken over observed differences only, on the
    non-default, start-trimmed column, and the note says how many were left out."""
    loaded, written, _ = gappy_two_columns()
    H, P = 12, 12
    run = train_run(loaded, Config(value_col="b", horizon=H, period=P, hidden=4, epochs=1, threads=1))
    scale, left_out = scale_by_hand(written, len(written) - H, P)
    assert left_out == 24  # 12 filled points, each in two lag-12 differences
    recorded = run.metrics["mase_scale"]
    assert recorded["value"] == pytest.approx(scale, rel=1e-12)
    assert "leaving out 24 differences that touch a filled-in point" in recorded["note"]
    sn = run.metrics["baselines"]["seasonal_naive"]
    assert sn["mase"] == pytest.approx(sn["mae"] / scale)
    _, scores = apply_run(run, loaded)  # a saved run on data with the same stretch: the same scale
    assert scores["mase"] == pytest.approx(scores["mae"] / scale)
