"""The command line end to end, in a subprocess, as a user runs it."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
AIRLINE = ROOT / "data" / "airline_passengers.csv"
BANDS = ["lower_80", "upper_80", "lower_95", "upper_95"]


def cli(*args, cwd=ROOT):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "lstm_forecast", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def airline_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "airline"
    result = cli("train", "--csv", AIRLINE, "--horizon", 12, "--epochs", 15, "--hidden", 16, "--quiet", "--out", out)
    assert result.returncode == 0, result.stderr
    return out, result


def test_train_writes_the_run_folder(airline_run):
    out, result = airline_run
    for name in ("config.json", "metrics.json", "forecast.csv", "history.csv", "model.pt", "manifest.json"):
        assert (out / name).exists(), name
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["model"]) == {"mae", "rmse", "smape", "mase", "coverage_80", "width_80", "coverage_95",
                                     "width_95"}
    assert set(metrics["baselines"]) == {"naive", "seasonal_naive", "drift", "ets"}
    assert metrics["period"] == 12 and metrics["horizon"] == 12
    forecast = pd.read_csv(out / "forecast.csv")
    assert list(forecast.columns) == ["timestamp", "actual", "forecast", *BANDS]
    assert forecast["actual"].iloc[:12].notna().all() and forecast["actual"].iloc[12:].isna().all()
    assert forecast["timestamp"].iloc[0].startswith("1960-01-01")
    assert "seasonal_naive" in result.stdout and "coverage_80" in result.stdout
    timing = next(line for line in result.stdout.splitlines() if line.startswith("time "))
    for part in ("load", "prepare", "baselines", "train", "forecast", "write"):
        assert f"{part} " in timing, timing
    info = json.loads((out / "config.json").read_text())["info"]
    assert set(info["timings"]) == {"load", "prepare", "baselines", "train", "forecast", "write", "total"}


def test_forecast_applies_a_saved_run(airline_run, tmp_path):
    out, _ = airline_run
    target = tmp_path / "f.csv"
    result = cli("forecast", "--run", out, "--csv", AIRLINE, "--out", target)
    assert result.returncode == 0, result.stderr
    frame = pd.read_csv(target)
    assert list(frame.columns) == ["timestamp", "actual", "forecast", *BANDS] and len(frame) == 24
    assert frame["timestamp"].iloc[-1].startswith("1961-12-01")


@pytest.mark.parametrize("args, message", [
    (["train", "--csv", "nope.csv", "--out", "x"], "not found"),
    (["train", "--csv", AIRLINE, "--out", "x", "--model", "transformer"], "invalid choice"),
    (["train", "--csv", AIRLINE, "--out", "x", "--value-col", "Nope"], "Nope"),
    (["train", "--csv", AIRLINE, "--out", "x", "--period", "banana"], "neither a season length"),
    (["train", "--csv", AIRLINE, "--out", "x", "--horizon", "100"], "usable points"),
    (["train", "--csv", AIRLINE, "--out", "x", "--period", "2y"], "no --ticker"),
    (["forecast", "--run", "missing-dir", "--csv", AIRLINE, "--out", "x.csv"], "cannot be used"),
    (["train", "--out", "x"], "one of the arguments"),
    (["backtest", "--csv", AIRLINE, "--origins", "0"], "--origins (0)"),
    (["backtest", "--origins", "5"], "give the data"),
    (["backtest", "--csv", AIRLINE, "--horizon", "12", "--origins", "200"], "ask for fewer origins"),
    (["train", "--csv", AIRLINE, "--out", "x", "--threads", "0"], "threads"),
    (["train", "--csv", AIRLINE, "--out", "x", "--lr", "nan"], "`lr` (nan)"),
    (["train", "--csv", AIRLINE, "--out", "x", "--hidden", "100000"], "`hidden` (100000)"),
    (["train", "--csv", AIRLINE, "--out", "x", "--threads", "1000000"], "`threads` (1000000)"),
    (["train", "--csv", AIRLINE, "--out", "x", "--seed", "99999999999999999999"], "`seed`"),
    (["train", "--csv", AIRLINE, "--out", "x", "--layers", "20000"], "`layers`"),
    (["train", "--csv", AIRLINE, "--out", "x", "--bogus"], "unrecognized arguments: --bogus; see `python -m "
                                                          "lstm_forecast --help`"),  # the program named once
    (["inspect", "--run", "x"], "required: --out; see `python -m lstm_forecast inspect --help`"),
])
def test_user_errors_exit_2_with_one_line(args, message, tmp_path):
    result = cli(*args, cwd=tmp_path) if "nope.csv" in args else cli(*args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert message in lines[0]
    assert "Traceback" not in result.stderr


def test_unwritable_out_is_one_error_line(airline_run, tmp_path):
    out, _ = airline_run
    result = cli("forecast", "--run", out, "--csv", AIRLINE, "--out", tmp_path / "missing" / "f.csv")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().startswith("error: cannot read or write") and len(result.stderr.strip().splitlines()) == 1


def test_forecast_maps_another_column_onto_the_runs_target(airline_run, tmp_path):
    out, _ = airline_run
    renamed = tmp_path / "renamed.csv"
    renamed.write_text(AIRLINE.read_text().replace("Passengers", "sales"))
    result = cli("forecast", "--run", out, "--csv", renamed, "--value-col", "sales", "--out", tmp_path / "f.csv")
    assert result.returncode == 0, result.stderr
    assert len(pd.read_csv(tmp_path / "f.csv")) == 24


def test_backtest_of_a_saved_run_writes_per_step_errors(airline_run, tmp_path):
    out, _ = airline_run
    target = tmp_path / "bt.csv"
    result = cli("backtest", "--run", out, "--origins", 6, "--quiet", "--out", target)
    assert result.returncode == 0, result.stderr
    table = pd.read_csv(target)
    assert set(table["method"]) == {"lstm", "naive", "seasonal_naive", "drift", "ets"}
    assert table["origin"].nunique() == 6 and table["step"].max() == 12
    assert "MAE by horizon step" in result.stdout
    assert "each origin's MASE scale is its own history's; the last origin's: mean |y_t - y_(t-12)|" in result.stdout


def test_a_bug_is_one_line_not_a_traceback(tmp_path):
    """An unexpected exception (here: a run folder whose config holds a wrong type deep inside) is one line."""
    code = ("import lstm_forecast.cli as c; c.COMMANDS['train'] = lambda a: 1 / 0; "
            "raise SystemExit(c.main(['train', '--sample', 'airline', '--out', 'x']))")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("LSTM_FORECAST_DEBUG", None)
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().startswith("error: internal error (ZeroDivisionError")


def test_a_holt_winters_base_without_a_season_saves_and_reopens(tmp_path):
    """The bug: smoothing_seasonal is NaN without a season; config.json raised and the run was lost."""
    out = tmp_path / "hw"
    result = cli("train", "--sample", "airline", "--season", 1, "--epochs", 2, "--hidden", 4, "--quiet", "--out", out)
    assert result.returncode == 0, result.stderr
    meta = json.loads((out / "config.json").read_text())
    assert meta["transform"]["base"] != "ets" or meta["transform"]["base_params"]["params"]["smoothing_seasonal"] is None
    again = cli("forecast", "--run", out, "--sample", "airline", "--out", tmp_path / "f.csv")
    assert again.returncode == 0, again.stderr
    assert pd.read_csv(tmp_path / "f.csv")["forecast"].notna().any()


def test_a_run_that_cannot_be_saved_shows_its_scores_and_one_error_line(tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    result = cli("train", "--sample", "airline", "--epochs", 1, "--hidden", 4, "--quiet",
                 "--out", tmp_path / "a-file" / "run")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: trained, but not saved: cannot create the folder"), lines
    assert "seasonal_naive" in result.stdout and "wrote" not in result.stdout  # the scores, still shown
    assert sorted(os.listdir(tmp_path)) == ["a-file"]


def test_a_run_with_deeply_nested_json_is_one_error_line(airline_run, tmp_path):
    import hashlib
    import shutil

    out, _ = airline_run
    copy = tmp_path / "deep"
    shutil.copytree(out, copy)
    deep = b"[" * 1000 + b"]" * 1000
    (copy / "config.json").write_bytes(deep)
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["files"]["config.json"] = {"bytes": len(deep), "sha256": hashlib.sha256(deep).hexdigest()}
    (copy / "manifest.json").write_text(json.dumps(manifest))
    result = cli("forecast", "--run", copy, "--csv", AIRLINE, "--out", tmp_path / "f.csv")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "nests 1000 levels deep" in lines[0], lines


def test_training_again_into_a_run_folder_says_it_replaces_the_earlier_run(tmp_path):
    out = tmp_path / "run"
    args = ("train", "--sample", "airline", "--epochs", "2", "--hidden", "8", "--quiet", "--out", out)
    first = cli(*args)
    assert first.returncode == 0 and "replacing" not in first.stdout, first.stderr
    earlier = json.loads((out / "manifest.json").read_text())["run_id"]
    again = cli(*args)
    assert again.returncode == 0, again.stderr
    assert f"wrote {out} (replacing the earlier run {earlier} there)" in again.stdout
    assert json.loads((out / "manifest.json").read_text())["run_id"] != earlier
