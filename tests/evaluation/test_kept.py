"""Did the network earn its row (issue 17, "say it"): metrics.json records whether the forecast uses a trained
network, and every place a user reads the run says so when it does not."""
import math

import pytest
import streamlit as st

from lstm_forecast.config import Config
from lstm_forecast.data.samples import load_sample
from lstm_forecast.evaluation.kept import is_kept, not_kept_note, record
from lstm_forecast.evaluation.leaderboard import entries_of, leaderboard
from lstm_forecast.pipeline import train_run

# lr 1e-12: Adam moves every weight by about 1e-12 an epoch, so no epoch beats the untrained network (the
# base, exactly) on validation by the 1e-9 the fit asks for: the network is not kept, by construction.
FROZEN = dict(lr=1e-12, epochs=3, patience=3, hidden=4, threads=1, base="ets")


@pytest.fixture(scope="module")
def unkept():
    return train_run(load_sample("airline"), Config(**FROZEN))


@pytest.fixture(scope="module")
def kept_run():
    return train_run(load_sample("airline"), Config(hidden=8, threads=1, base="seasonal_naive", seed=0))


def test_a_network_no_epoch_improved_is_recorded_as_not_kept_and_forecasts_its_base(unkept):
    m = unkept.metrics
    assert unkept.info["best_epoch"] == 0 and m["network_kept"] is False and m["network_base"] == "ets"
    assert m["network_val_gain"] == pytest.approx(0.0, abs=1e-6)
    assert m["model"]["mase"] == pytest.approx(m["baselines"]["ets"]["mase"], rel=1e-9)  # it is Holt-Winters


def test_a_network_that_learns_a_pattern_its_base_misses_is_kept_with_its_gain(kept_run):
    """Airline's trend is what seasonal naive misses: the network learns it and is kept."""
    m = kept_run.metrics
    assert kept_run.info["best_epoch"] > 0 and m["network_kept"] is True
    assert 0 < m["network_val_gain"] < 1 and m["network_base"] == "seasonal_naive"


def test_the_record_and_its_reading():
    assert record([0, 0], 1.0, 1.0, "residual", "ets")["network_kept"] is False
    assert record([0, 3], 1.0, 0.5, "residual", "ets") == {"network_kept": True, "network_val_gain": 0.5,
                                                            "network_base": "ets"}
    assert record([0], math.nan, math.nan, "residual", "naive")["network_val_gain"] is None  # no validation part
    assert record([0], 1.0, 1.0, "level", "ets") == {"network_kept": True, "network_val_gain": None,
                                                     "network_base": None}  # a pure network has no base
    # runs saved before the record: read from their best epochs
    assert not is_kept({}, {"best_epoch": 0, "best_epochs": None}) and is_kept({}, {"best_epoch": 4})
    assert not is_kept({}, {"best_epoch": 0, "best_epochs": [0, 0]}) and is_kept({}, {"best_epochs": [0, 2]})
    note = not_kept_note("GRU", {"network_kept": False, "network_base": "ets"})
    assert note.startswith("GRU did not improve on Holt-Winters on validation, so its forecast is Holt-Winters'")
    assert not_kept_note("GRU", {"network_kept": True, "network_base": "ets"}) == ""
    assert "seasonal naive's" in not_kept_note("LSTM", {"network_kept": False, "network_base": "seasonal_naive"})


def test_a_row_whose_network_was_not_kept_is_never_starred(unkept):
    table = leaderboard(entries_of(unkept.metrics, "lstm"))
    model = table[table["kind"] == "model"].iloc[0]
    assert model["mase"] <= table["mase"].min() * (1 + 1e-9)  # as good as the best: it is the best baseline
    assert not model["best"] and table.loc[table["name"] == "ets", "best"].item()
    # a kept network with the same scores would be starred
    kept = leaderboard([{**e, "kept": True} if e["kind"] == "model" else e for e in entries_of(unkept.metrics, "lstm")])
    assert kept.loc[kept["kind"] == "model", "best"].item()


def test_the_cli_says_the_network_is_not_used(unkept, capsys):
    from lstm_forecast.cli import _print_run

    _print_run(unkept)
    out = capsys.readouterr().out
    assert "network: lstm did not improve on Holt-Winters on validation" in out
    assert "lstm (= Holt-Winters)" in out


def test_the_cli_gives_a_kept_networks_gain(kept_run, capsys):
    from lstm_forecast.cli import _print_run

    _print_run(kept_run)
    out = capsys.readouterr().out
    gain = kept_run.metrics["network_val_gain"]
    assert f"network: kept, {gain:.1%} lower validation loss than its base seasonal naive" in out


def test_a_saved_run_keeps_its_record(unkept, tmp_path):
    import copy

    from lstm_forecast.runs import index_runs, save_run

    save_run(copy.deepcopy(unkept), tmp_path / "runs" / unkept.run_id)
    [entry] = index_runs(tmp_path / "runs")
    assert entry.metrics["network_kept"] is False and entry.metrics["network_base"] == "ets"


def _dashboard_script():
    from lstm_forecast.data.samples import load_sample
    from lstm_forecast.ui.compare_step import runs_for, show_comparison
    from lstm_forecast.ui.inside_step import show_inside
    from lstm_forecast.ui.train_step import show_last_training, summary, training_record

    loaded = load_sample("airline")
    runs, broken = runs_for(loaded)
    from lstm_forecast.runs import data_key

    training_record()["notes"][data_key(loaded)] = [summary(r.run) for r in runs.values() if r.run is not None]
    show_last_training(loaded)
    show_comparison(loaded, runs, broken)
    show_inside(loaded, runs)


def test_the_dashboard_says_it_in_the_verdict_table_legend_and_look_inside(unkept, tmp_path, monkeypatch):
    from tests.factories import app_over_saved_run

    at = app_over_saved_run(unkept, tmp_path, monkeypatch, _dashboard_script)
    frame = at.dataframe[0].value
    row = frame[frame["kind"] == "model"].iloc[0]
    assert row["name"].endswith("(= Holt-Winters, network not used)") and row["best"] == ""
    assert frame.loc[frame["name"] == "ets", "best"].item() == "★ best"
    warnings = [w.value.replace("\\", "") for w in at.warning]  # escape_markdown adds backslashes
    assert any("which the forecast does not use" in w and "did not improve on Holt-Winters" in w for w in warnings)
    assert not any("did not improve" in s.value for s in at.success)  # the verdict box is not green
    labels = [s.value for s in at.subheader if s.value.startswith("Backtest")]
    assert labels and "network not used" in labels[0]
    st.cache_data.clear()
