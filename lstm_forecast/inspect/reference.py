"""Step-by-step reference cells: the oracle for traces.py.

Float64, a Python loop over steps, one layer and direction at a time, from the module's own
weights, each step the cell's registry `step`: its equations written out one by one. Slow (tens of
times a fused pass) and obviously right; for tests and benchmarks only.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from lstm_forecast.cells import of_module, weights


def reference_trace(rnn: nn.Module, x: torch.Tensor) -> dict[str, np.ndarray]:
    """Every quantity of the cell as float64 (T, L, U) for x (T, D) or (1, T, D) from a zero state."""
    cell = of_module(rnn)
    seq = torch.as_tensor(x).detach().cpu().double().reshape(-1, rnn.input_size)  # (T, D)
    n_steps, size = seq.shape[0], rnn.hidden_size
    dirs = 2 if rnn.bidirectional else 1
    out = {q: torch.zeros(n_steps, rnn.num_layers, dirs * size, dtype=torch.float64) for q in cell.quantities}
    layer_in = seq
    for layer in range(rnn.num_layers):
        for direction in range(dirs):
            w = weights(rnn, layer, direction, torch.float64, "cpu")
            units = slice(direction * size, (direction + 1) * size)
            steps = range(n_steps) if direction == 0 else range(n_steps - 1, -1, -1)
            h = torch.zeros(size, dtype=torch.float64)
            c = torch.zeros(size, dtype=torch.float64)
            for t in steps:
                parts = cell.step(w, layer_in[t], h, c)
                for quantity, symbol in cell.symbols.items():
                    out[quantity][t, layer, units] = parts[symbol]
                h, c = parts["h"], parts.get("c", c)
        layer_in = out["hidden"][:, layer, :]  # (T, dirs*H): the next layer's input
    return {name: value.numpy() for name, value in out.items()}
