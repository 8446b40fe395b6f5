"""What drives each gate: the exact split of a gate's pre-activation into one part per source.

For a gate row of unit u at step t of layer l (direction d),

    pre = sum_j W_ih[u, j] x_t[j]  +  W_hh[u, :] h_prev  +  b_ih[u] + b_hh[u]  (+ p[u] c for a peephole gate)

so the parts are one per input feature (the run's feature names on layer 0; "layer below" on deeper
layers, whose input is the hidden state of the layer under them), "recurrent", "peephole" and "bias".
The pre-activation is the logit of a sigmoid gate and the tanh argument of the candidate, so the parts
sum to it exactly (float64 here, from the trace's own states). Where a cell's row reads h_prev otherwise,
its registry entry says how (`Cell.recurrent_part`):
- the GRU's candidate is tanh(W_in x + b_in + r * (W_hn h_prev + b_hn)): the reset gate's product,
  b_hn included, is its "recurrent" part;
- the MGU's candidate is tanh(W_in x + b_in + W_hn (f * h_prev) + b_hn): W_hn (f * h_prev) is;
- the coupled LSTM's input gate is 1 - f and has no pre-activation of its own: its drivers are f's;
- a vanilla RNN's only row is its hidden state's pre-activation (gate "hidden").
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from .. import cells
from ..errors import UserError

RECURRENT, PEEPHOLE, BIAS, LAYER_BELOW = "recurrent", "peephole", "bias", "layer below"


@dataclass
class Drivers:
    """The parts of every gate's pre-activation of one layer: parts[gate] is (S, T, U) float64."""

    layer: int
    sources: list[str]  # S names, in order
    parts: dict[str, np.ndarray]  # gate quantity -> (S, T, U)
    index: pd.Index  # (T,)

    def preactivation(self, gate: str) -> np.ndarray:
        """(T, U): the sum of the parts."""
        return self.parts[gate].sum(axis=0)

    def to_frame(self, *, unit: int | None = None, gate: str | None = None) -> pd.DataFrame:
        """Tidy rows: timestamp, step, layer, unit, gate, source, contribution (the CLI's table)."""
        frames = []
        for name, values in self.parts.items():
            if gate is not None and name != gate:
                continue
            units = range(values.shape[2]) if unit is None else [unit]
            for u in units:
                block = values[:, :, u]  # (S, T)
                n_steps = block.shape[1]
                frames.append(pd.DataFrame({
                    "timestamp": np.tile(np.asarray(self.index), len(self.sources)),
                    "step": np.tile(np.arange(n_steps), len(self.sources)),
                    "layer": self.layer, "unit": u, "gate": name,
                    "source": np.repeat(self.sources, n_steps),
                    "contribution": block.reshape(-1),
                }))
        columns = ["timestamp", "step", "layer", "unit", "gate", "source", "contribution"]
        return pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)

    def summary(self, gate: str, unit: int, phase: np.ndarray | None = None) -> pd.DataFrame:
        """Per source of one gate and unit: mean, standard deviation over time and, given each step's phase,
        eta2 (the share of its variance the phase explains); largest sd first."""
        block = self.parts[gate][:, :, unit]  # (S, T)
        rows = []
        for name, values in zip(self.sources, block):
            row = {"source": name, "mean": float(values.mean()), "sd": float(values.std())}
            if phase is not None:
                row["eta2"] = _eta2(values, np.asarray(phase))
            rows.append(row)
        return pd.DataFrame(rows).sort_values(["sd", "source"], ascending=[False, True], ignore_index=True)


def _eta2(values: np.ndarray, phase: np.ndarray) -> float:
    total = float(((values - values.mean()) ** 2).sum())
    if total <= 0:
        return 0.0
    frame = pd.DataFrame({"v": values, "p": phase})
    means = frame.groupby("p")["v"].agg(["mean", "size"])
    return float((means["size"] * (means["mean"] - values.mean()) ** 2).sum() / total)


def gate_drivers(rnn: torch.nn.Module, x: torch.Tensor, trace, *, layer: int,
                 feature_names: list[str]) -> Drivers:
    """The drivers of every gate of `layer` over the traced sequence x (T, D), from `trace` (inspect.traces.Trace
    of rnn over x from a zero state: its hidden, cell and reset values give each step's states)."""
    cell = cells.of_module(rnn)
    if not 0 <= layer < rnn.num_layers:
        raise UserError(f"layer {layer} does not exist; choose one of 0..{rnn.num_layers - 1}")
    q = {name: i for i, name in enumerate(trace.quantities)}
    size, n_steps = rnn.hidden_size, trace.n_steps
    dirs = 2 if rnn.bidirectional else 1
    values = trace.values.astype(np.float64)  # (Q, T, L, U)
    if layer == 0:
        layer_in = torch.as_tensor(x).detach().cpu().double().reshape(n_steps, -1).numpy()
        sources = list(feature_names) if len(feature_names) == layer_in.shape[1] else \
            [f"input {j}" for j in range(layer_in.shape[1])]
    else:
        layer_in = values[q["hidden"], :, layer - 1, :]  # (T, dirs*H)
        sources = [LAYER_BELOW]
    peephole = cell.name == "lstm-peephole"
    names = sources + [RECURRENT] + ([PEEPHOLE] if peephole else []) + [BIAS]
    rows = cell.gate_rows
    gates = [cell_quantity(cell, symbol) for symbol in rows]
    parts = {g: np.zeros((len(names), n_steps, dirs * size)) for g in gates}
    for direction in range(dirs):
        w = cells.weights(rnn, layer, direction, torch.float64, "cpu")
        units = slice(direction * size, (direction + 1) * size)
        hidden = values[q["hidden"], :, layer, units]  # (T, H)
        h_prev = _previous(hidden, direction)
        c_now = values[q["cell"], :, layer, units] if "cell" in q else None
        c_prev = _previous(c_now, direction) if c_now is not None else None
        w_ih, w_hh = w.w_ih.numpy(), w.w_hh.numpy()
        b_ih, b_hh = w.b_ih.numpy(), w.b_hh.numpy()
        for k, gate in enumerate(gates):
            block = slice(k * size, (k + 1) * size)
            out = parts[gate][:, :, units]
            if len(sources) == 1 and layer > 0:
                out[0] = layer_in @ w_ih[block].T
            else:
                out[: len(sources)] = np.einsum("td,ud->dtu", layer_in, w_ih[block])
            own = None if cell.recurrent_part is None else cell.recurrent_part(  # the registry's, for its cell
                rows[k], w_hh[block], b_hh[block], h_prev, _Traced(values, q, layer, units))
            recurrent, hidden_bias = (h_prev @ w_hh[block].T, b_hh[block]) if own is None else own
            bias = b_ih[block] + hidden_bias
            out[len(sources)] = recurrent
            if peephole and rows[k] != "g":  # i and f see c_prev, o sees the new c; the candidate none
                p = dict(zip("ifo", w.peephole.numpy()))[rows[k]]
                out[len(sources) + 1] = p * (c_now if rows[k] == "o" else c_prev)
            out[-1] = bias
    return Drivers(layer=layer, sources=names, parts=parts, index=trace.index)


class _Traced(Mapping):
    """The traced quantities of one layer and direction, (T, H) each, by name, read when asked."""

    def __init__(self, values: np.ndarray, position: dict, layer: int, units: slice) -> None:
        self._values, self._position, self._layer, self._units = values, position, layer, units

    def __getitem__(self, quantity: str) -> np.ndarray:
        return self._values[self._position[quantity], :, self._layer, self._units]

    def __iter__(self):
        return iter(self._position)

    def __len__(self) -> int:
        return len(self._position)


def cell_quantity(cell: cells.Cell, symbol: str) -> str:
    """The trace quantity a gate row block computes ('f' -> 'forget'; the RNN's 'h' -> 'hidden')."""
    return {v: k for k, v in cell.symbols.items()}[symbol]


def _previous(values: np.ndarray, direction: int) -> np.ndarray:
    """The state before each step: the step before in the forward direction, after in the reverse one."""
    before = np.zeros_like(values)
    if direction == 0:
        before[1:] = values[:-1]
    else:
        before[:-1] = values[1:]
    return before


def dominant_sentence(table: pd.DataFrame, gate: str, unit: int) -> str:
    """One sentence: which source moves the gate most (largest standard deviation over time)."""
    if table.empty:
        return ""
    top = table.iloc[0]
    rest = table.iloc[1] if len(table) > 1 else None
    text = f"The {gate} gate of unit {unit} moves most with {top['source']} (sd {top['sd']:.2f}"
    if "eta2" in table:
        text += f", {top['eta2']:.0%} of it explained by the phase"
    text += ")"
    if rest is not None:
        text += f"; next is {rest['source']} (sd {rest['sd']:.2f})"
    return text + "."
