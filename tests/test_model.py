"""Forecaster over every registered cell, and the custom LSTM variants as real torch modules."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from torch import nn

from lstm_forecast import cells
from lstm_forecast.config import CELLS, Config
from lstm_forecast.model import CoupledLSTM, Forecaster, PeepholeLSTM
from lstm_forecast.prepare import TensorWindows
from lstm_forecast.train import fit

VARIANTS = tuple(name for name, cell in cells.CELLS.items() if not cell.fused)  # the custom modules


@pytest.fixture(autouse=True)
def _one_thread(one_thread):
    """Every test here on one thread (tests/conftest.py)."""
    yield


def config(cell: str, **kw) -> Config:
    return Config(cell=cell, horizon=3, lookback=12, period=1, hidden=8, **kw)


def copy_task(n: int = 512, seed: int = 0) -> TensorWindows:
    """(n, 12, 2) windows whose 3 targets are half the last input: learnable by any cell."""
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, 12, 2, generator=g)
    return TensorWindows(X, X[:, -1, :1].repeat(1, 3) * 0.5)


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("cell", CELLS)
def test_forecaster_builds_every_cell_and_round_trips_its_state_dict(cell, bidirectional):
    torch.manual_seed(0)
    model = Forecaster(2, config(cell, layers=2, dropout=0.2, bidirectional=bidirectional)).eval()
    assert type(model.rnn) is cells.get(cell).module_class()
    x = torch.randn(5, 12, 2)
    out = model(x)
    assert out.shape == (5, 3)
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    buffer.seek(0)
    torch.manual_seed(1)  # different initial weights, replaced by the loaded ones
    again = Forecaster(2, config(cell, layers=2, dropout=0.2, bidirectional=bidirectional)).eval()
    again.load_state_dict(torch.load(buffer, weights_only=True))
    torch.testing.assert_close(again(x), out, rtol=0, atol=0)


@pytest.mark.parametrize("cell", VARIANTS)
def test_fit_trains_the_variants(cell):
    cfg = config(cell, epochs=25, patience=25)
    model = Forecaster(2, cfg)
    before = {k: v.clone() for k, v in model.rnn.state_dict().items()}
    result = fit(model, copy_task(), copy_task(seed=1), cfg, torch.device("cpu"))
    history = result.history
    assert history["train_loss"].iloc[-1] < 0.5 * history["train_loss"].iloc[0]
    assert all(not torch.equal(before[k], v) for k, v in model.rnn.state_dict().items())  # every weight learned


@pytest.mark.parametrize("cell", VARIANTS)
def test_custom_backward_matches_finite_differences(cell):
    """The hand-written backpropagation through time, against numerical gradients in float64, for
    the input and every parameter, with every output (h, and c where the cell has one) in the loss."""
    torch.manual_seed(0)
    module = cells.get(cell).build(2, 3, num_layers=2, bidirectional=True).double()
    names = [name for name, _ in module.named_parameters()]
    params = tuple(p.detach().clone().requires_grad_() for p in module.parameters())
    x = torch.randn(2, 5, 2, dtype=torch.float64, requires_grad=True)

    def run(x, *values):
        out, state = torch.func.functional_call(module, dict(zip(names, values)), (x,))
        return (out, *state) if isinstance(state, tuple) else (out, state)

    assert torch.autograd.gradcheck(run, (x, *params))


@pytest.mark.parametrize("cell", VARIANTS)
def test_variants_follow_the_fused_layout(cell):
    """nn.LSTM's layout for a cell with a cell state, nn.GRU's for one without."""
    torch.manual_seed(0)
    kw = dict(num_layers=2, bidirectional=True)
    has_c = cells.get(cell).has_cell_state
    fused = (nn.LSTM if has_c else nn.GRU)(3, 4, batch_first=True, **kw)
    custom = cells.get(cell).build(3, 4, batch_first=True, **kw)
    x = torch.randn(5, 7, 3)
    (out, state), (out_f, state_f) = custom(x), fused(x)
    assert isinstance(state, tuple) == has_c
    (h, c), (h_f, c_f) = (state, state_f) if has_c else ((state, None), (state_f, None))
    assert out.shape == out_f.shape and h.shape == h_f.shape and (c is None or c.shape == c_f.shape)
    torch.testing.assert_close(h[-2], out[:, -1, :4])  # forward direction's last step
    torch.testing.assert_close(h[-1], out[:, 0, 4:])  # reverse direction ends at the first step
    time_major = cells.get(cell).build(3, 4, batch_first=False, **kw)
    time_major.load_state_dict(custom.state_dict())
    torch.testing.assert_close(time_major(x.transpose(0, 1))[0], out.transpose(0, 1))
    with pytest.raises(ValueError, match=r"\(batch, steps, features\) with 3 features, got \(5, 7, 2\)"):
        custom(torch.randn(5, 7, 2))


def test_mgu_follows_the_equations_of_zhou_et_al():
    """f = sigmoid(W_f x + U_f h + b_f), n = tanh(W_n x + U_n (f * h) + b_n), h' = (1 - f) * h + f * n, written
    out here in float64 step by step from the module's weights (rows f then n), against the module."""
    torch.manual_seed(3)
    module = cells.get("mgu").build(3, 4, batch_first=True).double()
    x = torch.randn(2, 9, 3, dtype=torch.float64)
    w_ih, w_hh = module.weight_ih_l0, module.weight_hh_l0
    b = module.bias_ih_l0 + module.bias_hh_l0
    h = torch.zeros(2, 4, dtype=torch.float64)
    expected = []
    for t in range(9):
        f = torch.sigmoid(x[:, t] @ w_ih[:4].T + h @ w_hh[:4].T + b[:4])
        n = torch.tanh(x[:, t] @ w_ih[4:].T + (f * h) @ w_hh[4:].T + b[4:])
        h = (1 - f) * h + f * n
        expected.append(h)
    out, h_n = module(x)
    torch.testing.assert_close(out, torch.stack(expected, dim=1), rtol=0, atol=1e-12)
    torch.testing.assert_close(h_n[0], h, rtol=0, atol=1e-12)


def test_parameter_counts():
    """The peephole LSTM adds p_i, p_f, p_o per layer and direction; the coupled one drops the input gate."""
    kw = dict(num_layers=2, bidirectional=True)
    lstm = sum(p.numel() for p in nn.LSTM(3, 4, **kw).parameters())
    peephole = sum(p.numel() for p in PeepholeLSTM(3, 4, **kw).parameters())
    coupled = sum(p.numel() for p in CoupledLSTM(3, 4, **kw).parameters())
    assert peephole == lstm + 3 * 4 * 2 * 2
    assert coupled * 4 == lstm * 3
    mgu = sum(p.numel() for p in cells.get("mgu").build(3, 4, **kw).parameters())
    assert mgu * 4 == lstm * 2  # two row blocks (f, n) of an LSTM's four


@pytest.mark.parametrize("cell", VARIANTS)
def test_dropout_acts_between_layers_in_training_only(cell):
    torch.manual_seed(0)
    x = torch.randn(4, 9, 3)
    stacked = cells.get(cell).build(3, 5, num_layers=2, dropout=0.5)
    single = cells.get(cell).build(3, 5, num_layers=1, dropout=0.5)
    assert not torch.equal(stacked.train()(x)[0], stacked(x)[0])  # two draws of the mask
    torch.testing.assert_close(stacked.eval()(x)[0], stacked(x)[0], rtol=0, atol=0)
    torch.testing.assert_close(single.train()(x)[0], single.eval()(x)[0], rtol=0, atol=0)  # no layer after it
