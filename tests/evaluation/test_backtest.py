import numpy as np
import pandas as pd
import pytest

from lstm_forecast.config import Config
from lstm_forecast.evaluation.backtest import ERROR_COLUMNS, backtest
from tests.factories import sine_series

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
    out = backtest(sine_series(n=400, period=12), Config(**SMALL), origins=6, step=2, refit_every=3)
    assert out.seconds["train"] > 0 and set(out.errors["origin"]) == set(range(6))
