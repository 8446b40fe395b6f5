"""The one leaderboard table (CLI metrics and dashboard comparison) and the 2% tie rule."""
import math
from types import SimpleNamespace

import pytest

from lstm_forecast.evaluation.leaderboard import TIE_TOLERANCE, entries_of, leaderboard, verdict
from lstm_forecast.evaluation.metrics import POINT_METRICS


def row(name, mase, kind="baseline", **extra):
    return {"name": name, "kind": kind, "mae": 10 * mase, "rmse": 12 * mase, "smape": 5.0, "mase": mase, **extra}


def test_rows_are_sorted_by_mase_best_first_with_unscored_rows_last():
    table = leaderboard([row("naive", 1.4), row("lstm", math.nan, "model"), row("ets", 0.8), row("drift", 1.1)])
    assert list(table["name"]) == ["ets", "drift", "naive", "lstm"]
    assert list(table["best"]) == [True, False, False, False]
    assert list(table.columns[:6]) == ["name", "kind", *POINT_METRICS]


def test_best_marks_exact_ties_only_the_2_percent_rule_is_the_verdicts():
    table = leaderboard([row("a", 0.9), row("b", 0.9), row("c", 0.905)]).set_index("name")
    assert table.loc["a", "best"] and table.loc["b", "best"] and not table.loc["c", "best"]


def test_no_finite_mase_means_no_best_row():
    table = leaderboard([row("a", math.nan), row("b", math.nan)])
    assert not table["best"].any()


def test_interval_columns_appear_only_where_some_row_has_them_and_extra_keys_are_kept_last():
    plain = leaderboard([row("lstm", 0.9, "model", run_id="r1"), row("naive", 1.2, run_id="")])
    assert not {"coverage_80", "width_80"} & set(plain.columns)
    assert list(plain.columns) == ["name", "kind", *POINT_METRICS, "run_id", "best"]
    banded = leaderboard([row("lstm", 0.9, "model", coverage_80=0.8, width_80=3.0, coverage_95=math.nan),
                          row("naive", 1.2)])
    assert list(banded.columns) == ["name", "kind", *POINT_METRICS, "coverage_80", "width_80", "best"]
    assert math.isnan(banded.set_index("name").loc["naive", "coverage_80"])


def test_a_missing_metric_is_a_nan_column_and_no_rows_is_an_empty_table():
    table = leaderboard([{"name": "x", "kind": "model", "mase": 1.0}])
    assert table[["mae", "rmse", "smape"]].isna().all().all() and table["mase"].dtype == float
    empty = leaderboard([])
    assert empty.empty and list(empty.columns) == ["name", "kind", *POINT_METRICS, "best"]


def test_entries_of_a_run_put_the_model_first_then_every_baseline():
    metrics = {"model": {"mase": 0.7, "mae": 1.0}, "baselines": {"naive": {"mase": 1.3}, "ets": {"mase": 0.9}}}
    rows = entries_of(metrics, "gru")
    assert [(r["name"], r["kind"]) for r in rows] == [("gru", "model"), ("naive", "baseline"), ("ets", "baseline")]
    assert rows[0]["mae"] == 1.0 and rows[2]["mase"] == 0.9


@pytest.mark.parametrize("mase, other, word", [
    (0.97, 1.0, "beats"),      # 3% better
    (0.985, 1.0, "ties"),      # within 2%
    (1.0, 1.0, "ties"),
    (1.0199, 1.0, "ties"),
    (1.03, 1.0, "loses to"),
    (math.nan, 1.0, "cannot be compared with"),
    (1.0, math.inf, "cannot be compared with"),
])
def test_verdict_ties_within_two_percent_of_the_other(mase, other, word):
    assert TIE_TOLERANCE == 0.02
    assert verdict(mase, other) == word


def test_verdict_tolerance_is_relative_to_the_other_and_can_be_set():
    assert verdict(98.5, 100.0) == "ties" and verdict(97.0, 100.0) == "beats"  # relative, not absolute
    assert verdict(0.985, 1.0, tolerance=0.01) == "beats"
    assert verdict(1.0, 0.0) == "loses to" and verdict(0.0, 0.0) == "ties"


def _view(run_id, horizon, period, mase, created, baselines):
    return SimpleNamespace(run_id=run_id, label=run_id, where="session", info={"created": created},
                           config=SimpleNamespace(horizon=horizon, period=period),
                           metrics={"model": {"mase": mase}, "baselines": {k: {"mase": v} for k, v in baselines.items()}})


def test_the_dashboard_compares_runs_only_on_the_same_horizon_and_season():
    """Two runs with equal MASE but other seasons are not in one table (their MASE scales differ)."""
    from lstm_forecast.ui.compare_step import leaderboard_rows

    runs = {"a": _view("a", 12, 12, 0.8, "1", {"naive": 1.5}),
            "b": _view("b", 12, 24, 0.8, "2", {"naive": 9.0}),
            "c": _view("c", 12, 12, 0.9, "3", {"naive": 1.4})}
    table = leaderboard_rows(runs, (12, 12))
    assert list(table["name"]) == ["a", "c", "naive"]  # not b, though it ties a
    assert table.set_index("name").loc["naive", "mase"] == 1.4  # the newest run's baselines
    assert list(leaderboard_rows(runs, (12, 24))["name"]) == ["b", "naive"]
    assert leaderboard_rows(runs, (7, 7)).empty
