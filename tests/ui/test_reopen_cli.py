"""A run trained in the dashboard is reopened by the command line with no --csv: the upload's bytes are
stored beside the runs (by SHA-256) and its origin record names them."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")


def _cli(*args):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "lstm_forecast", *map(str, args)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_a_dashboard_run_on_an_upload_reopens_in_the_cli_without_csv(tmp_path, monkeypatch):
    runs = tmp_path / "runs"
    monkeypatch.setenv("LSTM_FORECAST_RUNS", str(runs))
    data = (ROOT / "data" / "airline_passengers.csv").read_bytes()
    at = AppTest.from_file(APP, default_timeout=180).run()
    at.sidebar.radio(key="source").set_value("Upload CSV").run()
    at.sidebar.file_uploader[0].set_value(("my sales.csv", data, "text/csv")).run()
    numbers = {n.label: n for n in at.sidebar.number_input}
    numbers["Hidden units"].set_value(8)
    numbers["Max epochs"].set_value(2)
    [b for b in at.sidebar.button if b.label == "Train"][0].click().run()
    assert not at.exception and not at.error, [e.value for e in [*at.exception, *at.error]]

    [folder] = [p for p in runs.iterdir() if not p.name.startswith(".")]
    origin = json.loads((folder / "config.json").read_text())["info"]["origin"]
    stored = runs / ".data" / f"{origin['sha256']}.csv"
    assert origin["kind"] == "csv" and origin["name"] == "my sales.csv" and Path(origin["csv"]) == stored.resolve()
    assert stored.read_bytes() == data

    traces = tmp_path / "traces.csv"
    result = _cli("inspect", "--run", folder, "--season", "--out", traces)
    assert result.returncode == 0, result.stderr
    assert len(pd.read_csv(traces)) > 0
    forecast = tmp_path / "forecast.csv"
    result = _cli("forecast", "--run", folder, "--out", forecast)
    assert result.returncode == 0, result.stderr
    saved = pd.read_csv(folder / "forecast.csv")
    again = pd.read_csv(forecast)
    assert list(again.columns) == list(saved.columns) and again["actual"].notna().sum() == saved["actual"].notna().sum()
    result = _cli("backtest", "--run", folder, "--origins", 2, "--quiet")
    assert result.returncode == 0, result.stderr
    assert "2 origins" in result.stdout

    stored.write_bytes(data.replace(b"112", b"999", 1))  # the stored copy edited by hand: never read as the run's
    result = _cli("inspect", "--run", folder, "--out", traces)
    assert result.returncode == 2 and "has changed since the run was trained" in result.stderr
