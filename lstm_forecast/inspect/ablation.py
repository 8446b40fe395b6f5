"""What each unit does to the forecast: the holdout forecast with one unit knocked out.

Knocking out unit u of layer l holds its hidden output at 0 at every step of the forecast's window: in the
recurrence (the other units and the next step read 0 from it) and for what reads the layer (the layer above,
or the head). All of a layer's units are knocked out at once, one copy of the window per unit in one batch, so a
layer of 32 units costs one pass of a batch of 33 windows (the first copy knocks nothing out and must equal the
run's own forecast). The pass steps through the window with the cell's own step: the fused ops' single-step
functions (torch.lstm_cell, gru_cell, rnn_tanh_cell, rnn_relu_cell) or a custom cell's recurrence one step at a
time, so any registered cell takes it. For an ensemble the first member (the one Look inside shows) is knocked
out and the forecast is the members' median again.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import torch

from .. import cells
from ..errors import UserError
from ..evaluation import metrics as M

if TYPE_CHECKING:
    from ..data.series import LoadedSeries
    from ..runs import Run

ABLATION_COLUMNS = ["layer", "unit", "forecast_change", "mase", "mase_change"]


def _step(rnn, cell: cells.Cell, layer: int, direction: int, w: cells.Weights, x, h, c):
    """One step of one layer and direction for a batch: x (B, D), h and c (B, H) (c None without a cell state)."""
    if not cell.fused:
        hs, cs = rnn.steps(x.unsqueeze(0), layer, direction, (h, c))
        return hs[0], None if cs is None else cs[0]
    if isinstance(rnn, torch.nn.LSTM):  # the fused ops' own one-step functions, as traces._run_fused picks them
        return torch.lstm_cell(x, (h, c), w.w_ih, w.w_hh, w.b_ih, w.b_hh)
    if isinstance(rnn, torch.nn.GRU):
        return torch.gru_cell(x, h, w.w_ih, w.w_hh, w.b_ih, w.b_hh), None
    op = torch.rnn_tanh_cell if w.nonlinearity == "tanh" else torch.rnn_relu_cell
    return op(x, h, w.w_ih, w.w_hh, w.b_ih, w.b_hh), None


@torch.no_grad()
def encode_knocked_out(rnn, x: torch.Tensor, layer: int, keep: torch.Tensor | None) -> torch.Tensor:
    """The recurrent stack over windows x (B, L, F), layer `layer`'s outputs multiplied by keep (B, dirs*H) at
    every step (None: nothing knocked out); returns the last layer's outputs (B, L, dirs*H)."""
    cell = cells.of_module(rnn)
    size, dirs = rnn.hidden_size, 2 if rnn.bidirectional else 1
    layer_in = x.transpose(0, 1)  # (L, B, D)
    n_steps, batch = layer_in.shape[0], layer_in.shape[1]
    for k in range(rnn.num_layers):
        outs = []
        for direction in range(dirs):
            w = cells.weights(rnn, k, direction)
            order = range(n_steps) if direction == 0 else range(n_steps - 1, -1, -1)
            h = layer_in.new_zeros(batch, size)
            c = layer_in.new_zeros(batch, size) if cell.has_cell_state else None
            mask = keep[:, direction * size:(direction + 1) * size] if keep is not None and k == layer else None
            states = [None] * n_steps
            for t in order:
                h, c = _step(rnn, cell, k, direction, w, layer_in[t], h, c)
                if mask is not None:
                    h = h * mask
                states[t] = h
            outs.append(torch.stack(states))
        layer_in = outs[0] if dirs == 1 else torch.cat(outs, dim=2)  # (L, B, dirs*H); dropout is off in eval
    return layer_in.transpose(0, 1)


def _head(member, encoded: torch.Tensor) -> torch.Tensor:
    """A Forecaster's head over encoder outputs (B, L, dirs*H), as Forecaster.encode reads them."""
    if not member.config.bidirectional:
        last = encoded[:, -1]
    else:
        h = member.config.hidden
        last = torch.cat([encoded[:, -1, :h], encoded[:, 0, h:]], dim=1)
    return member.head(last)


@torch.no_grad()
def knocked_out_outputs(model, x: torch.Tensor, layer: int) -> torch.Tensor:
    """Scaled outputs (U + 1, B, H) for windows x (B, L, F): row 0 as the run forecasts, row 1 + u with unit u of
    `layer` knocked out (in the first member of an ensemble)."""
    members = list(getattr(model, "members", [model]))
    first = members[0]
    model.eval()
    rnn = first.rnn
    units = rnn.hidden_size * (2 if rnn.bidirectional else 1)
    batch = x.shape[0]
    keep = torch.ones(units + 1, units, dtype=x.dtype)
    keep[torch.arange(1, units + 1), torch.arange(units)] = 0  # copy 1 + u knocks out unit u
    wide = x.repeat(units + 1, 1, 1)  # (K * B, L, F), copy-major
    mask = keep.repeat_interleave(batch, dim=0)  # (K * B, U)
    out = _head(first, encode_knocked_out(rnn, wide, layer, mask)).view(units + 1, batch, -1)  # (K, B, H)
    if len(members) == 1:
        return out
    others = torch.stack([m(x) for m in members[1:]])  # (M - 1, B, H): untouched
    stacked = torch.cat([out.unsqueeze(0), others.unsqueeze(1).expand(-1, units + 1, -1, -1)])  # (M, K, B, H)
    return stacked.quantile(0.5, dim=0)


def run_ablation(run: Run, loaded: LoadedSeries, *, layer: int = 0) -> pd.DataFrame:
    """ABLATION_COLUMNS for every unit of `layer`, largest forecast change first: the mean absolute change of
    the holdout forecast (original units), its MASE on the holdout's observed points, and the change from the
    run's own holdout MASE."""
    from ..pipeline import prepared_for  # deferred: pipeline.py imports statsmodels
    from ..prepare import windows  # deferred: prepare.py imports statsmodels

    config = run.config
    if not 0 <= layer < config.layers:
        raise UserError(f"layer {layer} does not exist: this run has layers 0..{config.layers - 1}")
    prep = prepared_for(run, loaded)
    H = config.horizon
    origin = prep.n - 1 - H  # the holdout forecast: made at the step before the last H
    if origin < prep.first_origin(config):
        raise UserError(f"the series has {prep.n} points, too few for a holdout forecast with lookback "
                        f"{config.lookback} and horizon {H}; pass more data")
    w = windows(prep, np.array([origin]), config)
    x = w.inputs(np.arange(1)).float()
    scaled = knocked_out_outputs(run.model, x, layer)[:, 0].double().numpy()  # (K, H)
    values = np.stack([w.values(row[None, :])[0] for row in scaled])  # (K, H) original units
    y = loaded.frame[config.value_col].to_numpy(dtype=float)
    seen = loaded.observed_mask(config.value_col)
    insample, observed = y[:-H], seen[-H:]
    scale = M.mase_scale(insample, config.period, seen[:-H])
    mases = np.array([M.score(y[-H:], v, insample, config.period, observed, scale)["mase"] for v in values])
    n_units = len(values) - 1
    frame = pd.DataFrame({
        "layer": layer, "unit": np.arange(n_units),
        "forecast_change": np.abs(values[1:] - values[0]).mean(axis=1),
        "mase": mases[1:], "mase_change": mases[1:] - mases[0],
    }, columns=ABLATION_COLUMNS)
    return frame.sort_values(["forecast_change", "unit"], ascending=[False, True], ignore_index=True)
