"""Unit ablation (inspect/ablation.py): the batch copy that knocks nothing out is the model's own forecast for
every cell and shape, a unit that nothing reads changes nothing, and the CLI writes the table."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from lstm_forecast import cells
from lstm_forecast.config import Config
from lstm_forecast.inspect.ablation import ABLATION_COLUMNS, knocked_out_outputs, run_ablation
from lstm_forecast.model import build_model

ROOT = Path(__file__).resolve().parents[2]


def _model(cell: str, *, layers: int = 1, bidirectional: bool = False, ensemble: int = 1, seed: int = 0):
    torch.manual_seed(seed)
    model = build_model(3, Config(cell=cell, hidden=5, layers=layers, bidirectional=bidirectional, horizon=4,
                                  lookback=7, ensemble=ensemble)).eval()
    with torch.no_grad():
        for member in getattr(model, "members", [model]):
            member.head.weight.normal_()  # the head starts at zero (no correction): give the units a say
    return model


@pytest.mark.parametrize("cell", list(cells.CELLS))
@pytest.mark.parametrize(("layers", "bidirectional", "ensemble"), [(1, False, 1), (2, True, 1), (2, False, 3)])
def test_the_copy_that_knocks_nothing_out_is_the_models_own_forecast(cell, layers, bidirectional, ensemble):
    model = _model(cell, layers=layers, bidirectional=bidirectional, ensemble=ensemble)
    x = torch.randn(3, 7, 3)
    out = knocked_out_outputs(model, x, layers - 1)
    units = 5 * (2 if bidirectional else 1)
    assert out.shape == (units + 1, 3, 4)
    torch.testing.assert_close(out[0], model(x).detach(), rtol=0, atol=1e-6)
    assert (out[1:] - out[0]).abs().amax() > 1e-4  # knocking units out moves the forecast


@pytest.mark.parametrize("cell", ["lstm", "gru", "mgu"])
def test_a_unit_nothing_reads_changes_nothing_and_the_others_do(cell):
    model = _model(cell)
    rnn = model.rnn
    with torch.no_grad():
        model.head.weight[:, 2] = 0  # the head does not read unit 2
        rnn.weight_hh_l0[:, 2] = 0  # nor does any gate of the next step
    x = torch.randn(4, 7, 3)
    out = knocked_out_outputs(model, x, 0)
    change = (out[1:] - out[0]).abs().amax(dim=(1, 2))  # (U,)
    assert change[2] == 0
    assert (change[[0, 1, 3, 4]] > 1e-5).all()


def test_run_ablation_ranks_units_by_forecast_change_and_scores_the_holdout():
    from lstm_forecast.pipeline import train_run
    from tests.factories import sine_series

    run = train_run(sine_series(n=300), Config(hidden=4, epochs=3, threads=1, lr=0.05))
    with torch.no_grad():
        run.model.head.weight.normal_()  # a correction that reads every unit, whatever training kept
    table = run_ablation(run, sine_series(n=300))
    assert list(table.columns) == ABLATION_COLUMNS and sorted(table["unit"]) == [0, 1, 2, 3]
    assert (np.diff(table["forecast_change"]) <= 0).all() and (table["forecast_change"] > 0).all()
    np.testing.assert_allclose(table["mase"] - table["mase_change"], table["mase"].iloc[0] - table["mase_change"].iloc[0])


def test_cli_ablate_writes_the_table(tmp_path):
    from lstm_forecast.data.samples import load_sample
    from lstm_forecast.pipeline import train_run
    from lstm_forecast.runs import save_run

    save_run(train_run(load_sample("airline"), Config(cell="gru", epochs=2, hidden=6, threads=1)), tmp_path / "r")
    done = subprocess.run([sys.executable, "-m", "lstm_forecast", "inspect", "--run", str(tmp_path / "r"), "--ablate",
                           "--out", str(tmp_path / "a.csv")], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(tmp_path / "a.csv")
    assert list(table.columns) == ABLATION_COLUMNS and sorted(table["unit"]) == list(range(6))
