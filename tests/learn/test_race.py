"""The race: equal terms, the same result in a worker pool as here, progress and stopping, its files and CLI."""
import json

import pandas as pd
import pytest

from lstm_forecast import cells, cli
from lstm_forecast.errors import UserError
from lstm_forecast.learn.memory import Training
from lstm_forecast.learn.race import RACE_FILES, RaceSettings, race_summary, run_race, write_race

SMALL = RaceSettings(lags=(3, 6), cells=("lstm", "rnn"), training=Training(steps=15), test_size=64)


@pytest.fixture(scope="module")
def small_race():
    return run_race(SMALL, workers=1)


def test_every_cell_races_every_lag(small_race):
    r = small_race
    assert list(r.results.columns) == ["cell", "lag", "accuracy"]
    assert list(zip(r.results["cell"], r.results["lag"])) == [("lstm", 3), ("lstm", 6), ("rnn", 3), ("rnn", 6)]
    assert r.results["accuracy"].between(0, 1).all() and not r.stopped
    assert set(r.models) == {"lstm", "rnn"} and SMALL.traced_lag == 6  # the longest lag up to 50
    assert set(r.lane["cell"]) == {"lstm", "rnn"} and set(r.traces["cell"]) == {"lstm", "rnn"}
    assert (r.networks["parameters"] - SMALL.budget).abs().max() < 0.05 * SMALL.budget
    assert "LSTM" in race_summary(r) and "lag 6" in race_summary(r)


def test_a_worker_pool_gives_the_same_race(small_race):
    pooled = run_race(SMALL, workers=2)
    assert pooled.workers == 2
    pd.testing.assert_frame_equal(pooled.results, small_race.results)
    pd.testing.assert_frame_equal(pooled.traces, small_race.traces)


def test_progress_rises_to_the_end_and_a_false_stops_the_race():
    seen = []
    run_race(SMALL, callback=lambda p: seen.append((p.fraction, p.finished)), workers=1)
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == pytest.approx(1.0) and seen[-1][1] == 4
    stopped = run_race(SMALL, callback=lambda p: p.finished < 1, workers=1)
    assert stopped.stopped and len(stopped.results) == 1


@pytest.mark.parametrize("change, message", [
    (dict(lags=()), "no lags"), (dict(lags=(0, 5)), r"lags \[0\]"), (dict(lags=(5, 5)), "repeat"),
    (dict(cells=("lstm", "transformer")), "'transformer' is unknown"), (dict(lane_lag=7), "lane lag 7"),
    (dict(budget=0), "budget"),
])
def test_bad_settings_are_one_clear_error(change, message):
    with pytest.raises(UserError, match=message):
        RaceSettings(**{**dict(lags=(5, 10)), **change})


def test_write_race_writes_its_files(small_race, tmp_path):
    paths = write_race(small_race, tmp_path / "out")
    assert [p.name for p in paths] == list(RACE_FILES)
    results = pd.read_csv(tmp_path / "out" / "results.csv")
    assert list(results.columns) == ["cell", "lag", "accuracy"] and len(results) == 4
    settings = json.loads((tmp_path / "out" / "settings.json").read_text())
    assert settings["traced_lag"] == 6 and settings["training"]["steps"] == 15
    assert not list((tmp_path / "out").glob(".*"))  # no temporary files left


def test_cli_demo_memory_writes_results_and_traces(tmp_path, capsys):
    out = tmp_path / "race"
    code = cli.main(["demo", "memory", "--lags", "4,8", "--cells", "lstm,gru", "--steps", "10", "--workers", "1",
                     "--out", str(out), "--quiet"])
    printed = capsys.readouterr().out
    assert code == 0 and "GRU" in printed and "lag 8" in printed
    results = pd.read_csv(out / "results.csv")
    assert list(results.columns) == ["cell", "lag", "accuracy"]
    assert set(results["cell"]) == {"lstm", "gru"} and set(results["lag"]) == {4, 8}
    traces = pd.read_csv(out / "traces.csv")
    assert set(traces["quantity"]) == set(cells.get("lstm").quantities) | set(cells.get("gru").quantities)


@pytest.mark.parametrize("args, message", [
    (["--lags", "5,ten"], "'5,ten' must be whole numbers"),
    (["--cells", "lstm,tcn"], "unknown ones ['tcn']"),
    (["--lags", "5", "--lane-lag", "9"], "lane lag 9"),
])
def test_cli_demo_mistakes_are_one_error_line(args, message, tmp_path, capsys):
    code = cli.main(["demo", "memory", "--out", str(tmp_path / "x"), "--quiet", *args])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: ") and message in err and len(err.strip().splitlines()) == 1
