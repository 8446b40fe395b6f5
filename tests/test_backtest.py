import numpy as np
import pandas as pd
import pytest

from lstm_forecast.config import Config
from lstm_forecast.backtest import ERROR_COLUMNS, backtest
from tests.factories import gappy_two_columns, scale_by_hand, sine_series

SMALL = dict(hidden=8, epochs=4, patience=4, horizon=12)


@pytest.fixture(scope="module")
def result():
    return backtest(sine_series(n=400, period=12), Config(**SMALL), origins=10, step=3)


def test_errors_per_origin_and_step_for_the_model_and_every_baseline(result):
    e = result.errors
    assert list(e.columns) == ERROR_COLUMNS
    assert set(e["method"]) == {"lstm", "naive", "seasonal_naive", "drift", "ets"}
    assert e.groupby("method").size().eq(10 * 12).all()
    assert sorted(e["origin"].unique()) == list(range(10))
    np.testing.assert_allclose(e["error"], e["actual"] - e["forecast"])
    cutoffs = e.groupby("origin")["cutoff"].first()
    assert (cutoffs.diff().dropna() == pd.Timedelta(hours=3)).all()
    last = e[e["origin"] == 9]
    assert last["timestamp"].max() == sine_series(n=400, period=12).frame.index[-1]  # the last origin ends the series
    assert set(result.summary["method"]) == set(e["method"]) and (result.summary["origins"] == 10).all()
    assert set(result.by_step["step"]) == set(range(1, 13))
    assert result.summary[["coverage_80", "coverage_95"]].notna().all().all()


def test_the_backtest_never_reads_data_after_its_origin():
    """Rewrite everything after origin k: every forecast made at origins <= k must not change."""
    loaded = sine_series(n=300, period=12)
    config = Config(**SMALL)
    before = backtest(loaded, config, origins=5, step=4).errors
    cutoffs = before.groupby("origin")["cutoff"].first()
    for k in (0, 2, 4):
        frame = loaded.frame.copy()
        frame.loc[frame.index > cutoffs[k], frame.columns[0]] *= 7.0
        changed = type(loaded)(frame, loaded.value_col, loaded.date_col, loaded.freq)
        after = backtest(changed, config, origins=5, step=4).errors
        keep = before["origin"] <= k
        a, b = before[keep].reset_index(drop=True), after[after["origin"] <= k].reset_index(drop=True)
        np.testing.assert_array_equal(a["forecast"].to_numpy(), b["forecast"].to_numpy())
        np.testing.assert_array_equal(a["lower_80"].to_numpy(), b["lower_80"].to_numpy())


def test_refit_every_trains_a_model_per_block():
    """The first block's forecasts equal the unrefitted backtest's (same data, same seed); the second
    block's model and fitted baselines are new, so its network and Holt-Winters forecasts differ."""
    loaded = sine_series(n=400, period=12)
    once = backtest(loaded, Config(**SMALL), origins=6, step=2).errors
    out = backtest(loaded, Config(**SMALL), origins=6, step=2, refit_every=3)
    e = out.errors
    assert set(e["origin"]) == set(range(6))
    pd.testing.assert_frame_equal(e[e["origin"] < 3].reset_index(drop=True),
                                  once[once["origin"] < 3].reset_index(drop=True))
    for method in ("lstm", "ets"):
        a = e[(e["origin"] >= 3) & (e["method"] == method)]["forecast"].to_numpy()
        b = once[(once["origin"] >= 3) & (once["method"] == method)]["forecast"].to_numpy()
        assert not np.allclose(a, b), f"{method}: refitting changed nothing"
    sn = lambda f: f[(f["origin"] >= 3) & (f["method"] == "seasonal_naive")]["forecast"].to_numpy()  # noqa: E731
    np.testing.assert_array_equal(sn(e), sn(once))  # nothing to fit: refitting must not change it


def _two_columns(n=400, period=12, missing_at_end=10):
    """`value` (the loader's default target) and `big` = 1000 x value, whose last rows were not read."""
    base = sine_series(n=n, period=period)
    frame = base.frame[[base.value_col]].rename(columns={base.value_col: "value"})
    frame["big"] = 1000.0 * frame["value"]
    observed = pd.DataFrame(True, index=frame.index, columns=frame.columns)
    observed.iloc[n - missing_at_end:, 1] = False  # `big` filled in at the end: with_value("big") trims it
    return type(base)(frame, "value", base.date_col, base.freq, observed=observed)


def test_a_non_default_column_is_scored_on_its_own_frame():
    """Origins, actuals and the MASE scale all come from `big` trimmed to its real values (they used
    to come from the default column: seasonal-naive MASE about 1000x too large, origins shifted)."""
    loaded, H, P, N, step = _two_columns(), 12, 12, 5, 3
    out = backtest(loaded, Config(**{**SMALL, "value_col": "big", "period": P}), origins=N, step=step)
    y = loaded.frame["big"].to_numpy()[:390]  # the 10 filled-in rows are dropped
    origins = len(y) - 1 - H - step * np.arange(N - 1, -1, -1)
    mase = []
    for o in origins:
        actual, forecast = y[o + 1: o + 1 + H], y[o + 1 - P: o + 1 - P + H]
        scale = np.mean(np.abs(y[P: o + 1] - y[: o + 1 - P]))
        mase.append(np.mean(np.abs(actual - forecast)) / scale)
    got = out.summary.set_index("method").loc["seasonal_naive"]
    np.testing.assert_allclose(got["mase"], np.mean(mase), rtol=1e-9)
    assert 0.5 < got["mase"] < 2  # a scale of the wrong column would put it near 1000
    cutoffs = out.errors.groupby("origin")["cutoff"].first().to_numpy()
    np.testing.assert_array_equal(cutoffs, loaded.frame.index[origins].to_numpy())
    sn = out.errors[out.errors["method"] == "seasonal_naive"]
    np.testing.assert_allclose(sn["actual"].abs().max(), np.abs(y).max(), rtol=0.2)  # actuals are `big`'s


def test_each_origin_scale_leaves_out_filled_points_and_the_note_counts_them():
    loaded, written, _ = gappy_two_columns()
    H, P, N, step = 12, 12, 3, 2
    out = backtest(loaded, Config(value_col="b", horizon=H, period=P, hidden=4, epochs=1, threads=1),
                   origins=N, step=step)
    origins = len(written) - 1 - H - step * np.arange(N - 1, -1, -1)
    mase = []
    for o in origins:  # the stretch is far from the targets: every target is observed
        actual, forecast = written[o + 1: o + 1 + H], written[o + 1 - P: o + 1 - P + H]
        mase.append(np.mean(np.abs(actual - forecast)) / scale_by_hand(written, o + 1, P)[0])
    got = out.summary.set_index("method").loc["seasonal_naive"]
    np.testing.assert_allclose(got["mase"], np.mean(mase), rtol=1e-9)
    assert scale_by_hand(written, origins[-1] + 1, P)[1] == 24
    assert "leaving out 24 differences that touch a filled-in point" in out.scale_note


def test_the_backtest_says_whether_its_run_kept_the_trained_network():
    """What bench/accuracy.py counts per series: the trained run's network_kept and its base, as the run's
    own metrics.json records them (kept or not, and the base it corrects)."""
    from lstm_forecast.pipeline import train_run

    loaded, config = sine_series(n=400, period=12), Config(**SMALL, base="seasonal_naive")
    out = backtest(loaded, config, origins=3, step=4)
    run = train_run(loaded.head(len(loaded.frame) - 12 - 8), config)  # the same data up to the first origin
    assert out.network == {k: run.metrics[k] for k in ("network_kept", "network_val_gain", "network_base")}
    assert isinstance(out.network["network_kept"], bool) and out.network["network_base"] == "seasonal_naive"
