"""The cell registry: one consistent entry per cell, which the config, modules and equations agree with."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from lstm_forecast import cells
from lstm_forecast.config import CELLS, Config
from lstm_forecast.errors import UserError

ROOT = Path(__file__).resolve().parents[1]
ENTRIES = list(cells.CELLS.values())


def random_weights(cell: cells.Cell, size: int = 4, features: int = 3, seed: int = 0) -> cells.Weights:
    g = torch.Generator().manual_seed(seed)
    rows = len(cell.gate_rows) * size
    draw = lambda *shape: torch.randn(*shape, generator=g, dtype=torch.float64)  # noqa: E731
    peephole = draw(3, size) if cell.name == "lstm-peephole" else None
    return cells.Weights(draw(rows, features), draw(rows, size), draw(rows), draw(rows), peephole)


def test_config_offers_every_registered_cell():
    assert CELLS == tuple(cells.CELLS)
    assert set(CELLS) >= {"lstm", "gru", "rnn", "lstm-peephole", "lstm-coupled", "mgu"}
    for name in CELLS:
        assert Config(cell=name).cell == name
    with pytest.raises(UserError, match=r"'transformer'.*lstm, gru, rnn, lstm-peephole, lstm-coupled"):
        cells.get("transformer")


@pytest.mark.parametrize("cell", ENTRIES, ids=lambda c: c.name)
def test_entry_is_consistent(cell):
    assert cell.quantities[-1] == "hidden"
    assert set(cell.symbols) == set(cell.quantities)
    assert set(cell.sigmoid_gates) <= set(cell.gate_quantities)
    assert cell.keep_gate is None or cell.keep_gate in cell.sigmoid_gates
    assert cell.label and cell.keep_label and cell.help and cell.summary
    assert (cell.keeps_at is None) == (cell.keep_gate is None) and cell.keeps_at in (None, 0, 1)
    assert cell.colour.startswith("#") and cell.light_colour.startswith("#") and cell.colour != cell.light_colour
    assert set(cell.driver_notes) <= {"*", *cell.gate_quantities}
    named = {"x_t", "h_prev", "c_prev", *cell.symbols.values(), *cell.row_words}
    assert set(cell.walkthrough) <= named, set(cell.walkthrough) - named  # every row has words
    assert (cell.gates is None) == (not cell.gate_quantities)
    assert set(cell.walkthrough_gates) <= set(cell.walkthrough)


@pytest.mark.parametrize("cell", ENTRIES, ids=lambda c: c.name)
def test_walkthrough_rows_are_the_reference_step_in_order(cell):
    w = random_weights(cell)
    g = torch.Generator().manual_seed(1)
    x, h, c = (torch.randn(n, generator=g, dtype=torch.float64) for n in (3, 4, 4))
    parts = cell.step(w, x, h, c)
    inputs = ("x_t", "h_prev", "c_prev") if "cell" in cell.quantities else ("x_t", "h_prev")
    assert cell.walkthrough == inputs + tuple(parts)
    assert set(cell.symbols.values()) <= set(parts)  # every traced quantity comes out of the step
    for symbol in cell.walkthrough_gates:
        assert ((parts[symbol] >= 0) & (parts[symbol] <= 1)).all(), symbol


@pytest.mark.parametrize("cell", ENTRIES, ids=lambda c: c.name)
def test_equations_show_both_biases_of_every_gate(cell):
    """PyTorch adds b_i* (input side) and b_h* (hidden side) to every row block: both are shown."""
    for symbol in cell.gate_rows:
        for side in "ih":
            assert f"b_{{{side}{symbol}}}" in cell.equations, (cell.name, side, symbol)
    assert cell.equations.count("$") % 2 == 0  # inline maths is closed


def test_gru_summary_keeps_both_biases_of_the_candidate():
    summary = cells.get("gru").summary
    assert re.search(r"b_in .*b_hn", summary)


@pytest.mark.parametrize("cell", ENTRIES, ids=lambda c: c.name)
def test_built_module_maps_back_to_its_cell(cell):
    module = cell.build(3, 4, num_layers=2, bidirectional=True)
    assert cells.of_module(module) is cell
    assert module.batch_first and module.num_layers == 2 and module.bidirectional and module.hidden_size == 4
    assert cell.fused == isinstance(module, (nn.LSTM, nn.GRU, nn.RNN))


def test_of_module_knows_relu_rnn_and_refuses_others():
    assert cells.of_module(nn.RNN(2, 3, nonlinearity="relu")).name == "rnn"
    with pytest.raises(TypeError, match="nn.LSTM"):
        cells.of_module(nn.Linear(2, 2))


def test_registry_and_config_import_without_torch():
    """The dashboard's first page needs no torch: the registry loads it only when maths runs."""
    code = "import sys, lstm_forecast.config, lstm_forecast.cells; assert 'torch' not in sys.modules"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
