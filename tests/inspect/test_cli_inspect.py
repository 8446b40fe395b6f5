"""`python -m lstm_forecast inspect` end to end, in a subprocess, as a user runs it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lstm_forecast.data.samples import make_synthetic

ROOT = Path(__file__).resolve().parents[2]
N_POINTS, HIDDEN = 600, 8
TRAIN_ARGS = ("--period", 24, "--horizon", 12, "--lookback", 24, "--hidden", HIDDEN, "--epochs", 2, "--quiet")
SHAPES = {"lstm": 2, "gru": 1, "rnn": 1, "lstm-peephole": 2, "lstm-coupled": 1}  # cell: layers
QUANTITIES = {
    "lstm": ["input", "forget", "candidate", "output", "cell", "hidden"],
    "lstm-peephole": ["input", "forget", "candidate", "output", "cell", "hidden"],
    "lstm-coupled": ["input", "forget", "candidate", "output", "cell", "hidden"],
    "gru": ["reset", "update", "candidate", "hidden"],
    "rnn": ["hidden"],
}
TRACE_COLUMNS = ["timestamp", "step", "layer", "unit", "quantity", "value"]


def cli(*args):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "lstm_forecast", *map(str, args)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def assert_one_error_line(result, *fragments: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def write_hourly_csv(path: Path, *, n: int, start: str, seed: int) -> Path:
    """time,value: one 24-step season around 20, hourly from `start`."""
    loaded = make_synthetic(n, start=start, periods=(24,), amplitudes=(3.0,), trend=0.0, noise=0.5, level=20.0,
                            seed=seed)
    loaded.frame.reset_index().to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("inspect")


@pytest.fixture(scope="module")
def train_csv(folder) -> Path:
    return write_hourly_csv(folder / "train.csv", n=N_POINTS, start="2024-03-04 05:00", seed=0)


@pytest.fixture(scope="module")
def runs(folder, train_csv) -> dict[str, Path]:
    """One tiny run folder per cell, trained at once in parallel."""
    jobs = {}
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    for cell, layers in SHAPES.items():
        out = folder / f"run_{cell}"
        args = ["train", "--csv", train_csv, "--model", cell, "--layers", layers, *TRAIN_ARGS, "--out", out]
        jobs[cell] = (out, subprocess.Popen([sys.executable, "-m", "lstm_forecast", *map(str, args)], cwd=ROOT,
                                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    for cell, (out, job) in jobs.items():
        _, stderr = job.communicate(timeout=300)
        assert job.returncode == 0, f"{cell}: {stderr}"
    return {cell: out for cell, (out, _) in jobs.items()}


@pytest.fixture(scope="module")
def traces(runs, folder) -> dict[str, pd.DataFrame]:
    """`inspect --run DIR --out F.csv` of every run, read back."""
    frames = {}
    for cell, run in runs.items():
        out = folder / f"trace_{cell}.csv"
        result = cli("inspect", "--run", run, "--out", out)
        assert result.returncode == 0, result.stderr
        assert f"to {out}" in result.stdout
        frames[cell] = pd.read_csv(out, parse_dates=["timestamp"])
    return frames


@pytest.mark.parametrize("cell", list(SHAPES))
def test_inspect_writes_the_tidy_trace_of_the_whole_series(cell, traces, train_csv):
    frame = traces[cell]
    times = pd.read_csv(train_csv, parse_dates=["time"])["time"]

    assert list(frame.columns) == TRACE_COLUMNS
    assert list(frame["quantity"].unique()) == QUANTITIES[cell]
    assert len(frame) == len(QUANTITIES[cell]) * N_POINTS * SHAPES[cell] * HIDDEN
    assert sorted(frame["layer"].unique()) == list(range(SHAPES[cell]))
    assert sorted(frame["unit"].unique()) == list(range(HIDDEN))
    steps = frame.drop_duplicates("step").sort_values("step")
    assert steps["step"].tolist() == list(range(N_POINTS))
    assert steps["timestamp"].tolist() == times.tolist()
    assert np.isfinite(frame["value"]).all()


def pivot_lstm(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per (layer, unit, step), one column per quantity."""
    return frame.pivot_table(index=["layer", "unit", "step"], columns="quantity", values="value", observed=True)


@pytest.mark.parametrize("cell", ["lstm", "lstm-peephole", "lstm-coupled"])
def test_lstm_rows_obey_the_cell_equations(cell, traces):
    wide = pivot_lstm(traces[cell]).sort_index()
    assert len(wide) == SHAPES[cell] * HIDDEN * N_POINTS
    prev_cell = wide["cell"].groupby(level=["layer", "unit"]).shift(1, fill_value=0.0)
    assert (prev_cell.xs(0, level="step") == 0).all()

    cell = wide["forget"] * prev_cell + wide["input"] * wide["candidate"]
    hidden = wide["output"] * np.tanh(wide["cell"])
    np.testing.assert_allclose(cell, wide["cell"], rtol=0, atol=1e-4)
    np.testing.assert_allclose(hidden, wide["hidden"], rtol=0, atol=1e-4)
    for gate in ("input", "forget", "output"):
        assert wide[gate].between(0, 1).all(), gate
    assert wide["forget"].std() > 0.01  # a trained gate moves: the equations are not met trivially


def test_layer_keeps_only_that_layer(runs, traces, tmp_path):
    out = tmp_path / "layer1.csv"
    result = cli("inspect", "--run", runs["lstm"], "--layer", 1, "--out", out)
    assert result.returncode == 0, result.stderr
    frame = pd.read_csv(out, parse_dates=["timestamp"])

    assert list(frame.columns) == TRACE_COLUMNS
    assert set(frame["layer"]) == {1}
    everything = traces["lstm"]
    expected = everything[everything["layer"] == 1].reset_index(drop=True)
    pd.testing.assert_frame_equal(frame, expected)


@pytest.mark.parametrize("layer", [5, -1])
def test_a_layer_that_does_not_exist_is_one_error_line(runs, tmp_path, layer):
    out = tmp_path / "nope.csv"
    result = cli("inspect", "--run", runs["lstm"], "--layer", layer, "--out", out)
    assert_one_error_line(result, f"--layer {layer}", "0..1")
    assert not out.exists()


def test_csv_traces_new_data(runs, tmp_path):
    new = write_hourly_csv(tmp_path / "new.csv", n=300, start="2025-06-01 00:00", seed=7)
    out = tmp_path / "new_trace.csv"
    result = cli("inspect", "--run", runs["gru"], "--csv", new, "--out", out)
    assert result.returncode == 0, result.stderr
    frame = pd.read_csv(out, parse_dates=["timestamp"])

    steps = frame.drop_duplicates("step").sort_values("step")
    assert steps["step"].tolist() == list(range(300))
    assert steps["timestamp"].tolist() == pd.read_csv(new, parse_dates=["time"])["time"].tolist()
    assert len(frame) == len(QUANTITIES["gru"]) * 300 * HIDDEN


@pytest.mark.parametrize("cell, column",
                         [("lstm", "forget_mean"), ("gru", "update_mean"), ("lstm-coupled", "forget_mean")])
def test_season_writes_the_keep_gate_by_phase_and_cycle(cell, column, runs, traces, tmp_path):
    out = tmp_path / "season.csv"
    result = cli("inspect", "--run", runs[cell], "--season", "--out", out)
    assert result.returncode == 0, result.stderr
    table = pd.read_csv(out)

    assert list(table.columns) == ["layer", "unit", "phase", "cycle", column]
    assert sorted(table["phase"].unique()) == list(range(24))
    # the same fold computed here from the raw trace: phase = hour of day, cycle = day since the first
    trace = traces[cell]
    gate = trace[trace["quantity"] == column.removesuffix("_mean")].copy()
    stamps = pd.DatetimeIndex(gate["timestamp"])
    gate["phase"] = stamps.hour
    gate["cycle"] = (stamps.normalize() - stamps.min().normalize()).days
    expected = gate.groupby(["layer", "unit", "phase", "cycle"], as_index=False)["value"].mean()
    merged = table.merge(expected, on=["layer", "unit", "phase", "cycle"], how="outer", indicator=True)
    assert (merged["_merge"] == "both").all()
    np.testing.assert_allclose(merged[column], merged["value"], rtol=0, atol=1e-5)


def test_season_of_a_vanilla_rnn_is_one_error_line(runs, tmp_path):
    out = tmp_path / "season.csv"
    result = cli("inspect", "--run", runs["rnn"], "--season", "--out", out)
    assert_one_error_line(result, "no gates")
    assert not out.exists()


def _set_origin(folder, origin):
    """Point a run's recorded data origin elsewhere, keeping its manifest true (as a forger would)."""
    import hashlib

    meta = json.loads((folder / "config.json").read_text())
    meta["info"]["origin"] = origin
    data = json.dumps(meta).encode()
    (folder / "config.json").write_bytes(data)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"]["config.json"] = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    (folder / "manifest.json").write_text(json.dumps(manifest))


def test_a_run_whose_data_is_gone_needs_csv(runs, tmp_path):
    moved = shutil.copytree(runs["lstm"], tmp_path / "moved_run")
    _set_origin(moved, {"csv": str(tmp_path / "gone.csv"), "sha256": "0" * 64, "date_col": None, "value_col": None})
    out = tmp_path / "trace.csv"

    result = cli("inspect", "--run", moved, "--out", out)
    assert_one_error_line(result, "gone.csv' is gone (moved or deleted)", "--csv")
    assert not out.exists()


def test_a_foreign_run_cannot_make_inspect_read_an_arbitrary_file(runs, tmp_path):
    """A run folder from elsewhere names a file it was not trained on: it is not read."""
    secret = tmp_path / "secret.csv"
    secret.write_text("date,value\n" + "\n".join(f"2020-01-{d:02d},{d}" for d in range(1, 29)))
    foreign = shutil.copytree(runs["lstm"], tmp_path / "foreign_run")
    _set_origin(foreign, {"csv": str(secret), "sha256": "f" * 64, "date_col": None, "value_col": None})
    result = cli("inspect", "--run", foreign, "--out", tmp_path / "t.csv")
    assert_one_error_line(result, "has changed since the run was trained (its SHA-256 differs)", "--csv")
    _set_origin(foreign, {"csv": str(secret), "date_col": None, "value_col": None})  # no hash at all
    result = cli("inspect", "--run", foreign, "--out", tmp_path / "t.csv")
    assert_one_error_line(result, "lacks csv and sha256", "--csv")


DRIVER_COLUMNS = ["timestamp", "step", "layer", "unit", "gate", "source", "contribution"]
GATES = {"lstm": ["input", "forget", "candidate", "output"], "lstm-peephole": ["input", "forget", "candidate", "output"],
         "lstm-coupled": ["forget", "candidate", "output"], "gru": ["reset", "update", "candidate"], "rnn": ["hidden"]}


@pytest.mark.parametrize("cell", ["lstm", "gru", "lstm-peephole"])  # every cell in process: test_drivers.py
def test_inspect_drivers_parts_sum_to_each_gates_pre_activation(runs, train_csv, folder, cell):
    """Rows per (step, unit, gate) sum to the pre-activation: their sigmoid (tanh for the candidate and a vanilla
    RNN's hidden state) is the traced value of `inspect` itself."""
    layer = SHAPES[cell] - 1
    out, traces = folder / f"drivers_{cell}.csv", folder / f"traces_{cell}.csv"
    result = cli("inspect", "--run", runs[cell], "--csv", train_csv, "--drivers", "--layer", layer, "--unit", 1,
                 "--out", out)
    assert result.returncode == 0, result.stderr
    frame = pd.read_csv(out)
    assert list(frame.columns) == DRIVER_COLUMNS and set(frame["gate"]) == set(GATES[cell])
    assert set(frame["unit"]) == {1} and set(frame["layer"]) == {layer}
    sources = set(frame["source"])
    assert {"recurrent", "bias"} <= sources and ("peephole" in sources) == (cell == "lstm-peephole")
    assert ("layer below" in sources) == (layer > 0) and ("level_gap" in sources) == (layer == 0)
    assert cli("inspect", "--run", runs[cell], "--csv", train_csv, "--layer", layer, "--out", traces).returncode == 0
    trace = pd.read_csv(traces)
    trace = trace[trace["unit"] == 1].set_index(["step", "quantity"])["value"]
    pre = frame.groupby(["step", "gate"])["contribution"].sum()
    for gate in GATES[cell]:
        values = pre.xs(gate, level="gate")
        squash = np.tanh if gate in ("candidate", "hidden") else (lambda v: 1 / (1 + np.exp(-v)))
        got = trace.xs(gate, level="quantity").loc[values.index]
        assert np.abs(squash(values.to_numpy()) - got.to_numpy()).max() < 1e-5, gate


def test_inspect_drivers_refuses_a_unit_it_lacks_and_a_unit_without_drivers(runs, train_csv, folder):
    assert_one_error_line(cli("inspect", "--run", runs["gru"], "--csv", train_csv, "--drivers", "--unit", HIDDEN,
                              "--out", folder / "x.csv"), f"--unit {HIDDEN} does not exist")
    assert_one_error_line(cli("inspect", "--run", runs["gru"], "--csv", train_csv, "--unit", 0,
                              "--out", folder / "x.csv"), "--unit goes with --drivers")
    result = cli("inspect", "--run", runs["gru"], "--csv", train_csv, "--drivers", "--season", "--out", folder / "x.csv")
    assert result.returncode == 2 and "not allowed with" in result.stderr
