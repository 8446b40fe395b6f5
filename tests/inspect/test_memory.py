"""Memory half-life and connectivity (inspect/memory.py): hand-built gates with known answers, autograd's own
Jacobian, and the CLI's --memory and --connectivity."""
from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from lstm_forecast import cells
from lstm_forecast.config import Config
from lstm_forecast.errors import UserError
from lstm_forecast.inspect.memory import (CONNECTIVITY_COLUMNS, MEMORY_COLUMNS, connectivity, half_lives,
                                          memory_table)
from lstm_forecast.inspect.traces import compute_trace
from lstm_forecast.model import Forecaster

ROOT = Path(__file__).resolve().parents[2]


def test_half_lives_read_between_steps_and_leave_unfinished_memory_out():
    kept = np.array([[0.5], [0.5], [1.0], [0.25], [0.9]])
    # after step 0: halved by step 1; after step 1: kept whole, then a quarter (ln 2 of ln 4 in): 1.5 steps;
    # after step 2: halfway into the quarter step; after steps 3 and 4: not halved before the end
    np.testing.assert_allclose(half_lives(kept).ravel(), [1.0, 1.5, 0.5, np.nan, np.nan])


def _constant_gate(cell: str, logit: float, units: int = 3) -> nn.Module:
    """One layer with every weight 0 and the keep gate's bias `logit`: its gate is sigmoid(logit) at every step."""
    rnn = cells.get(cell).build(2, units)
    with torch.no_grad():
        for p in rnn.parameters():
            p.zero_()
        entry = cells.get(cell)
        block = entry.gate_rows.index(entry.symbols[entry.keep_gate])
        rnn.bias_ih_l0[block * units:(block + 1) * units] = logit
    return rnn.eval()


@pytest.mark.parametrize(("cell", "gate"), [("lstm", 0.9), ("gru", 0.8), ("lstm-coupled", 0.95), ("mgu", 0.3)])
def test_a_constant_keep_gate_has_half_life_ln_half_over_ln_its_kept_share(cell, gate):
    rnn = _constant_gate(cell, math.log(gate / (1 - gate)))
    trace = compute_trace(rnn, torch.randn(400, 2))
    kept = gate if cells.get(cell).keeps_at == 1 else 1 - gate  # the MGU's forget gate keeps at 0
    table = memory_table(trace)
    assert list(table.columns) == MEMORY_COLUMNS and len(table) == 3
    np.testing.assert_allclose(table[["half_life_median", "half_life_q25", "half_life_q75"]].to_numpy(),
                               math.log(0.5) / math.log(kept), rtol=1e-5)
    censored = math.ceil(math.log(0.5) / math.log(kept))  # the last steps' memory has not halved yet
    assert (table["n_steps"] == 400 - censored).all()


def test_memory_by_phase_adds_a_phase_column_and_splits_the_steps():
    rnn = _constant_gate("lstm", 2.0)
    trace = compute_trace(rnn, torch.randn(240, 2))
    table = memory_table(trace, phase=np.arange(240) % 24)
    assert list(table.columns) == ["layer", "unit", "phase", *MEMORY_COLUMNS[2:]]
    assert len(table) == 3 * 24 and table.groupby("unit")["n_steps"].sum().max() <= 240


def test_a_vanilla_rnn_has_no_half_life():
    trace = compute_trace(nn.RNN(2, 3), torch.randn(50, 2))
    with pytest.raises(UserError, match="no keep gate, so its memory has no half-life"):
        memory_table(trace)


@pytest.mark.parametrize("cell", ["lstm", "rnn", "mgu"])
def test_connectivity_is_autograds_jacobian_norm(cell):
    torch.manual_seed(0)
    model = Forecaster(3, Config(cell=cell, hidden=4, horizon=2, lookback=5))
    with torch.no_grad():
        model.head.weight.normal_()  # the head starts at zero (no correction): give the forecast a reach
    x = torch.randn(6, 5, 3)
    table = connectivity(model, x)
    assert list(table.columns) == CONNECTIVITY_COLUMNS and len(table) == 2 * 5
    jac = torch.autograd.functional.jacobian(model, x)  # (N, H, N, L, F): every output against every input
    per_window = torch.stack([jac[n, :, n] for n in range(6)])  # (N, H, L, F): a window's forecast, its inputs
    expected = per_window.norm(dim=3).mean(dim=0).flip(1)  # (H, L), lag 0 = the last step
    got = table.pivot(index="horizon_step", columns="lag", values="gradient").to_numpy()
    np.testing.assert_allclose(got, expected.detach().numpy(), rtol=1e-5, atol=1e-7)


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lstm_forecast", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


def test_cli_writes_memory_and_connectivity_and_refuses_an_rnn_half_life(tmp_path):
    from lstm_forecast.data.samples import load_sample
    from lstm_forecast.pipeline import train_run
    from lstm_forecast.runs import save_run

    for cell in ("gru", "rnn"):  # trained here (the CLI's train has its own tests), inspected by the CLI
        save_run(train_run(load_sample("airline"), Config(cell=cell, epochs=2, hidden=6, threads=1)), tmp_path / cell)
    done = _cli("inspect", "--run", str(tmp_path / "gru"), "--memory", "--season", "--out", str(tmp_path / "m.csv"))
    assert done.returncode == 0, done.stderr
    memory = pd.read_csv(tmp_path / "m.csv")
    assert list(memory.columns) == ["layer", "unit", "phase", *MEMORY_COLUMNS[2:]]
    assert set(memory["phase"]) == set(range(12)) and set(memory["unit"]) == set(range(6))
    assert (memory["half_life_q25"] <= memory["half_life_median"]).all()
    done = _cli("inspect", "--run", str(tmp_path / "rnn"), "--connectivity", "--out", str(tmp_path / "c.csv"))
    assert done.returncode == 0, done.stderr
    reach = pd.read_csv(tmp_path / "c.csv")
    assert list(reach.columns) == CONNECTIVITY_COLUMNS and (reach["gradient"] >= 0).all()
    done = _cli("inspect", "--run", str(tmp_path / "rnn"), "--memory", "--out", str(tmp_path / "x.csv"))
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert "no keep gate, so its memory has no half-life" in done.stderr and not (tmp_path / "x.csv").exists()
