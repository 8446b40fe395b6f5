"""Step-by-step reference cells, straight from the textbook equations: the oracle for traces.py.

Float64, a Python loop over steps, one layer and direction at a time, from the module's own
weights. Slow (tens of times a fused pass) and obviously right; for tests and benchmarks only.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from lstm_forecast.inspect.traces import QUANTITIES, cell_kind


def reference_trace(rnn: nn.Module, x: torch.Tensor) -> dict[str, np.ndarray]:
    """Every quantity of QUANTITIES[cell] as float64 (T, L, U) for x (T, D) or (1, T, D) from a zero state."""
    kind = cell_kind(rnn)
    seq = torch.as_tensor(x).detach().double().reshape(-1, rnn.input_size)  # (T, D)
    n_steps, size = seq.shape[0], rnn.hidden_size
    dirs = 2 if rnn.bidirectional else 1
    out = {q: torch.zeros(n_steps, rnn.num_layers, dirs * size, dtype=torch.float64) for q in QUANTITIES[kind]}
    layer_in = seq
    for layer in range(rnn.num_layers):
        for direction in range(dirs):
            weights = _weights(rnn, layer, direction)
            units = slice(direction * size, (direction + 1) * size)
            steps = range(n_steps) if direction == 0 else range(n_steps - 1, -1, -1)
            h = torch.zeros(size, dtype=torch.float64)
            c = torch.zeros(size, dtype=torch.float64)
            for t in steps:
                step_values = _step(kind, rnn, weights, layer_in[t], h, c)
                for name, value in step_values.items():
                    out[name][t, layer, units] = value
                h = step_values["hidden"]
                c = step_values.get("cell", c)
        layer_in = out["hidden"][:, layer, :]  # (T, dirs*H): the next layer's input
    return {name: value.numpy() for name, value in out.items()}


def _weights(rnn: nn.Module, layer: int, direction: int) -> dict[str, torch.Tensor]:
    """w_ih (G*H, D), w_hh (G*H, H), b_ih, b_hh (G*H,) in float64."""
    suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
    w_ih = getattr(rnn, "weight_ih" + suffix).detach().double()
    w_hh = getattr(rnn, "weight_hh" + suffix).detach().double()
    if rnn.bias:
        b_ih = getattr(rnn, "bias_ih" + suffix).detach().double()
        b_hh = getattr(rnn, "bias_hh" + suffix).detach().double()
    else:
        b_ih = b_hh = torch.zeros(w_ih.shape[0], dtype=torch.float64)
    return {"w_ih": w_ih, "w_hh": w_hh, "b_ih": b_ih, "b_hh": b_hh}


def _step(
    kind: str, rnn: nn.Module, w: dict[str, torch.Tensor], x: torch.Tensor, h: torch.Tensor, c: torch.Tensor
) -> dict[str, torch.Tensor]:
    """One cell update from input x (D,), previous hidden h (H,) and cell c (H,)."""
    if kind == "lstm":
        w_ii, w_if, w_ig, w_io = w["w_ih"].chunk(4)
        w_hi, w_hf, w_hg, w_ho = w["w_hh"].chunk(4)
        b_ii, b_if, b_ig, b_io = w["b_ih"].chunk(4)
        b_hi, b_hf, b_hg, b_ho = w["b_hh"].chunk(4)
        i = torch.sigmoid(w_ii @ x + b_ii + w_hi @ h + b_hi)
        f = torch.sigmoid(w_if @ x + b_if + w_hf @ h + b_hf)
        g = torch.tanh(w_ig @ x + b_ig + w_hg @ h + b_hg)
        o = torch.sigmoid(w_io @ x + b_io + w_ho @ h + b_ho)
        c_new = f * c + i * g
        h_new = o * torch.tanh(c_new)
        return {"input": i, "forget": f, "candidate": g, "output": o, "cell": c_new, "hidden": h_new}
    if kind == "gru":
        w_ir, w_iz, w_in = w["w_ih"].chunk(3)
        w_hr, w_hz, w_hn = w["w_hh"].chunk(3)
        b_ir, b_iz, b_in = w["b_ih"].chunk(3)
        b_hr, b_hz, b_hn = w["b_hh"].chunk(3)
        r = torch.sigmoid(w_ir @ x + b_ir + w_hr @ h + b_hr)
        z = torch.sigmoid(w_iz @ x + b_iz + w_hz @ h + b_hz)
        n = torch.tanh(w_in @ x + b_in + r * (w_hn @ h + b_hn))
        h_new = (1 - z) * n + z * h
        return {"reset": r, "update": z, "candidate": n, "hidden": h_new}
    pre = w["w_ih"] @ x + w["b_ih"] + w["w_hh"] @ h + w["b_hh"]
    h_new = torch.tanh(pre) if rnn.nonlinearity == "tanh" else torch.relu(pre)
    return {"hidden": h_new}
