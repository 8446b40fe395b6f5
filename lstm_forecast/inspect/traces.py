"""Gate and state traces of a fused torch RNN, recomputed from its weights (DESIGN decision 1).

The fused ops (``nn.LSTM``, ``nn.GRU``, ``nn.RNN``) hide their gates. We run each layer alone as
the fused op to get its hidden sequence, compute every gate of every step with batched matmuls
from ``x_t`` and ``h_{t-1}``, and get the LSTM cell state by a two-level chunked scan of
``c_t = f_t * c_{t-1} + i_t * g_t``. Cost: one fused forward pass plus the gates' matmuls, which
hold as many flops as the forward pass but run batched (bench/trace_speed.py measures it).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn

QUANTITIES = {
    "lstm": ("input", "forget", "candidate", "output", "cell", "hidden"),
    "gru": ("reset", "update", "candidate", "hidden"),
    "rnn": ("hidden",),
}
FRAME_COLUMNS = ("timestamp", "step", "layer", "unit", "quantity", "value")
_NUMPY_DTYPES = {torch.float32: np.float32, torch.float64: np.float64}


@dataclass
class Trace:
    """Every quantity of every step, layer and unit of one sequence run from a zero state."""

    cell: str  # "lstm" | "gru" | "rnn"
    quantities: tuple[str, ...]  # QUANTITIES[cell]
    values: np.ndarray  # float32 (n_quantities, T, n_layers, n_units); units [0, H) forward, [H, 2H) reverse
    index: pd.Index  # length T: timestamps (DatetimeIndex) or integer steps
    hidden_size: int
    bidirectional: bool

    @property
    def n_steps(self) -> int:
        return self.values.shape[1]

    @property
    def n_layers(self) -> int:
        return self.values.shape[2]

    @property
    def n_units(self) -> int:
        return self.values.shape[3]

    def get(self, quantity: str, layer: int | None = None) -> np.ndarray:
        """One quantity: (T, L, U), or (T, U) for one layer."""
        values = self.values[self._quantity_position(quantity)]  # (T, L, U)
        return values if layer is None else values[:, self._check_layer(layer)]

    def to_frame(
        self,
        *,
        layer: int | None = None,
        quantities: Sequence[str] | None = None,
        units: int | Sequence[int] | slice | None = None,
        steps: slice | None = None,
    ) -> pd.DataFrame:
        """Tidy long table: timestamp, step, layer, unit, quantity, value; rows ordered by those keys."""
        names = tuple(self.quantities if quantities is None else quantities)
        q_pos = [self._quantity_position(name) for name in names]
        layer_ids = np.arange(self.n_layers) if layer is None else np.array([self._check_layer(layer)])
        step_ids = np.arange(self.n_steps)[steps if steps is not None else slice(None)]
        unit_ids = self._select_units(units)
        block = self.values[np.ix_(q_pos, step_ids, layer_ids, unit_ids)]  # (q, t, l, u), a copy
        shape = block.shape

        def spread(ids: np.ndarray, axis: int) -> np.ndarray:
            """ids laid along one axis of the block, repeated over the others, flattened in row order."""
            along = [1, 1, 1, 1]
            along[axis] = len(ids)
            return np.broadcast_to(ids.reshape(along), shape).reshape(-1)

        step_col = spread(step_ids, 1)
        columns = {
            "timestamp": self.index.take(step_col),
            "step": step_col,
            "layer": spread(layer_ids, 2),
            "unit": spread(unit_ids, 3),
            "quantity": pd.Categorical.from_codes(spread(np.arange(len(names)), 0), categories=list(names)),
            "value": block.reshape(-1),
        }
        return pd.DataFrame(columns, copy=False)  # every column is a fresh array: no need to copy them again

    def _quantity_position(self, quantity: str) -> int:
        if quantity not in self.quantities:
            raise ValueError(
                f"quantity {quantity!r} is not traced for {self.cell}; choose one of {list(self.quantities)}"
            )
        return self.quantities.index(quantity)

    def _check_layer(self, layer: int) -> int:
        if not 0 <= layer < self.n_layers:
            raise ValueError(f"layer {layer} out of range; choose 0..{self.n_layers - 1}")
        return int(layer)

    def _select_units(self, units: int | Sequence[int] | slice | None) -> np.ndarray:
        all_units = np.arange(self.n_units)
        if units is None:
            return all_units
        if isinstance(units, slice):
            return all_units[units]
        chosen = np.atleast_1d(np.asarray(units, dtype=np.int64))
        bad = chosen[(chosen < 0) | (chosen >= self.n_units)]
        if bad.size:
            raise ValueError(f"units {bad.tolist()} out of range; choose 0..{self.n_units - 1}")
        return chosen


def cell_kind(rnn: nn.Module) -> str:
    """'lstm', 'gru' or 'rnn' for a torch recurrent module."""
    if isinstance(rnn, nn.LSTM):
        return "lstm"
    if isinstance(rnn, nn.GRU):
        return "gru"
    if isinstance(rnn, nn.RNN):
        return "rnn"
    raise TypeError(f"expected nn.LSTM, nn.GRU or nn.RNN, got {type(rnn).__name__}")


def compute_trace(rnn: nn.Module, x: torch.Tensor, index: pd.Index | None = None) -> Trace:
    """Trace of one sequence x (T, D) or (1, T, D) from a zero initial state, without grad or dropout."""
    kind = cell_kind(rnn)
    _check_supported(rnn)
    seq = _as_sequence(rnn, x)  # (T, D)
    n_steps = seq.shape[0]
    index = pd.RangeIndex(n_steps) if index is None else pd.Index(index)
    if len(index) != n_steps:
        raise ValueError(f"index has {len(index)} entries but x has {n_steps} steps; pass one label per step")
    dirs, hidden_size = _directions(rnn), rnn.hidden_size
    quantities = QUANTITIES[kind]
    # (Q, T, L, U), filled in place; on CPU in float32 this is the returned array without a copy
    values = _empty(seq, len(quantities), n_steps, rnn.num_layers, dirs * hidden_size)
    with torch.no_grad():
        layer_in = seq  # (T, D_k)
        for layer in range(rnn.num_layers):
            hidden = _run_layer(rnn, kind, layer, layer_in)  # (T, dirs*H)
            values[-1, :, layer] = hidden
            if kind != "rnn":
                for direction in range(dirs):
                    _fill_gates(rnn, kind, layer, direction, layer_in, hidden, values)
            layer_in = hidden
        if kind == "lstm":
            _fill_cell(values, dirs, hidden_size)
    return Trace(
        cell=kind,
        quantities=quantities,
        values=values.detach().to(device="cpu", dtype=torch.float32).numpy(),
        index=index,
        hidden_size=hidden_size,
        bidirectional=dirs == 2,
    )


def linear_scan(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """c_t = a_t * c_{t-1} + b_t with c_{-1} = 0, along dim 0 of a, b (T, ...); returns c (T, ...)."""
    c = b.clone(memory_format=torch.contiguous_format)
    _scan_in_place(a.reshape(len(a), -1), c.view(len(c), -1))
    return c


def _scan_in_place(a: torch.Tensor, c: torch.Tensor) -> None:
    """Turn c (T, N), holding b on entry, into the scan c_t = a_t * c_{t-1} + b_t from c_{-1} = 0.

    Two levels: cut T into C ~ sqrt(T) chunks of S steps; scan all chunks at once from a zero
    state while keeping the running product of a (S small steps); carry the state from chunk to
    chunk (C small steps); then fix every step up with one multiply-add. The last T - C*S < S
    steps follow one by one.
    """
    n_steps = len(c)
    if n_steps == 0:
        return
    span = math.isqrt(n_steps - 1) + 1  # S = ceil(sqrt(T))
    n_chunks = n_steps // span  # C >= 1 whole chunks
    body = c[: n_chunks * span].view(n_chunks, span, -1)  # (C, S, N)
    running = _empty(a, n_chunks, span, a.shape[1])  # (C, S, N): product of a since the chunk's start
    running.copy_(a[: n_chunks * span].view(n_chunks, span, -1))
    body_at, running_at = body.unbind(1), running.unbind(1)  # S views of (C, N)
    for pos in range(1, span):
        body_at[pos].addcmul_(running_at[pos], body_at[pos - 1])
        running_at[pos].mul_(running_at[pos - 1])
    start = c.new_zeros(n_chunks, c.shape[1])  # (C, N): state entering each chunk
    start_of, end_of, gain_of = start.unbind(0), body_at[-1].unbind(0), running_at[-1].unbind(0)
    for chunk in range(1, n_chunks):
        torch.addcmul(end_of[chunk - 1], gain_of[chunk - 1], start_of[chunk - 1], out=start_of[chunk])
    body.addcmul_(running, start.unsqueeze(1))
    for step in range(n_chunks * span, n_steps):
        c[step].addcmul_(a[step], c[step - 1])


def walkthrough(
    rnn: nn.Module,
    x: torch.Tensor,
    step: int,
    *,
    layer: int = 0,
    direction: int = 0,
    trace: Trace | None = None,
) -> dict[str, np.ndarray]:
    """One step of one layer and direction, recomputed in float64 from the weights and the trace's states.

    Keys, in reading order: x_t (layer input), h_prev, then
    LSTM: c_prev, i, f, g, o, f*c_prev, i*g, c, tanh(c), h;
    GRU: r, z, n, (1-z)*n, z*h_prev, h;  RNN: pre-activation, h.
    Pass ``trace`` (from compute_trace on the same rnn and x) to skip recomputing it.
    """
    kind = cell_kind(rnn)
    trace = compute_trace(rnn, x) if trace is None else trace
    if trace.cell != kind:
        raise ValueError(f"trace is of a {trace.cell} but rnn is a {kind}; pass the trace of this rnn")
    n_steps, dirs, hidden_size = trace.n_steps, _directions(rnn), rnn.hidden_size
    if not 0 <= step < n_steps:
        raise ValueError(f"step {step} out of range; choose 0..{n_steps - 1}")
    if not 0 <= direction < dirs:
        raise ValueError(f"direction {direction} out of range; choose 0..{dirs - 1}")
    units = slice(direction * hidden_size, (direction + 1) * hidden_size)
    hidden = trace.get("hidden", layer).astype(np.float64)  # (T, U)
    if layer == 0:
        x_t = _as_sequence(rnn, x)[step].detach().cpu().double().numpy()
    else:
        x_t = trace.get("hidden", layer - 1)[step].astype(np.float64)
    prev = step - 1 if direction == 0 else step + 1
    has_prev = 0 <= prev < n_steps
    h_prev = hidden[prev, units] if has_prev else np.zeros(hidden_size)
    w_ih, w_hh, b_ih, b_hh = (
        p.detach().cpu().double().numpy() for p in _direction_params(rnn, layer, direction)
    )
    gi = w_ih @ x_t + b_ih  # (G*H,)
    gh = w_hh @ h_prev + b_hh  # (G*H,)
    out = {"x_t": x_t, "h_prev": h_prev}
    if kind == "lstm":
        c_prev = trace.get("cell", layer)[prev, units].astype(np.float64) if has_prev else np.zeros(hidden_size)
        i, f, g, o = np.split(gi + gh, 4)
        i, f, g, o = _sigmoid(i), _sigmoid(f), np.tanh(g), _sigmoid(o)
        c = f * c_prev + i * g
        out |= {"c_prev": c_prev, "i": i, "f": f, "g": g, "o": o, "f*c_prev": f * c_prev, "i*g": i * g}
        out |= {"c": c, "tanh(c)": np.tanh(c), "h": o * np.tanh(c)}
    elif kind == "gru":
        gi_r, gi_z, gi_n = np.split(gi, 3)
        gh_r, gh_z, gh_n = np.split(gh, 3)
        r, z = _sigmoid(gi_r + gh_r), _sigmoid(gi_z + gh_z)
        n = np.tanh(gi_n + r * gh_n)
        out |= {"r": r, "z": z, "n": n, "(1-z)*n": (1 - z) * n, "z*h_prev": z * h_prev, "h": (1 - z) * n + z * h_prev}
    else:
        pre = gi + gh
        out |= {"pre-activation": pre, "h": np.tanh(pre) if rnn.nonlinearity == "tanh" else np.maximum(pre, 0.0)}
    return out


def _empty(like: torch.Tensor, *shape: int) -> torch.Tensor:
    """An uninitialised tensor of like's dtype and device.

    On CPU it is a NumPy array: NumPy asks Linux for huge pages on large arrays, so writing it
    the first time costs several times less than torch's 4 KiB pages. At 10^4 to 10^5 steps those
    first writes are a large part of the trace's time.
    """
    np_dtype = _NUMPY_DTYPES.get(like.dtype)
    if like.device.type == "cpu" and np_dtype is not None:
        return torch.from_numpy(np.empty(shape, dtype=np_dtype))
    return like.new_empty(shape)


def _sigmoid(v: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-v))


def _directions(rnn: nn.Module) -> int:
    return 2 if rnn.bidirectional else 1


def _check_supported(rnn: nn.Module) -> None:
    if getattr(rnn, "proj_size", 0):
        raise ValueError(f"LSTM with proj_size={rnn.proj_size} is not supported; use proj_size=0")


def _as_sequence(rnn: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """x (T, D) or (1, T, D) -> (T, D) on the module's device and dtype."""
    x = torch.as_tensor(x)
    if x.ndim == 3 and x.shape[0] == 1:
        x = x[0]
    if x.ndim != 2 or x.shape[1] != rnn.input_size or x.shape[0] == 0:
        expected = f"(T, {rnn.input_size}) or (1, T, {rnn.input_size}) with T >= 1"
        raise ValueError(f"x must be {expected}, got {tuple(x.shape)}")
    weight = rnn.weight_ih_l0
    return x.detach().to(device=weight.device, dtype=weight.dtype)


def _direction_params(rnn: nn.Module, layer: int, direction: int) -> list[torch.Tensor]:
    """[w_ih (G*H, D_k), w_hh (G*H, H), b_ih, b_hh] of one layer and direction; zero biases if bias=False."""
    if not 0 <= layer < rnn.num_layers:
        raise ValueError(f"layer {layer} out of range; choose 0..{rnn.num_layers - 1}")
    suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
    w_ih, w_hh = getattr(rnn, "weight_ih" + suffix), getattr(rnn, "weight_hh" + suffix)
    if rnn.bias:
        return [w_ih, w_hh, getattr(rnn, "bias_ih" + suffix), getattr(rnn, "bias_hh" + suffix)]
    zeros = w_ih.new_zeros(w_ih.shape[0])
    return [w_ih, w_hh, zeros, zeros]


def _run_layer(rnn: nn.Module, kind: str, layer: int, layer_in: torch.Tensor) -> torch.Tensor:
    """Hidden sequence (T, dirs*H) of one layer, run alone as the fused op from a zero state."""
    dirs = _directions(rnn)
    params = [p for d in range(dirs) for p in _direction_params(rnn, layer, d)]
    inp = layer_in.unsqueeze(1)  # (T, 1, D_k), time-major
    h0 = inp.new_zeros(dirs, 1, rnn.hidden_size)
    args = (params, True, 1, 0.0, False, dirs == 2, False)  # has_biases, layers, dropout, train, bidir, batch_first
    with warnings.catch_warnings():  # cuDNN asks for one flat weight buffer; per-layer weights are not one
        warnings.filterwarnings("ignore", message=".*contiguous chunk of memory.*")
        if kind == "lstm":
            out = torch.lstm(inp, (h0, h0), *args)[0]
        elif kind == "gru":
            out = torch.gru(inp, h0, *args)[0]
        else:
            out = (torch.rnn_tanh if rnn.nonlinearity == "tanh" else torch.rnn_relu)(inp, h0, *args)[0]
    return out.squeeze(1)  # (T, dirs*H)


def _fill_gates(
    rnn: nn.Module, kind: str, layer: int, direction: int, layer_in: torch.Tensor, hidden: torch.Tensor,
    values: torch.Tensor,
) -> None:
    """Write every gate of every step of one layer and direction into values (Q, T, L, U).

    One matmul per gate over [x_t, h_prev], written straight into its place in ``values``.
    tanh(v) is taken as 2*sigmoid(2v) - 1 with the factor 2 folded into the weights (exact in
    floating point), because torch's CPU tanh is several times slower than its sigmoid.
    """
    size, n_in = rnn.hidden_size, layer_in.shape[1]
    units = slice(direction * size, (direction + 1) * size)
    h = hidden[:, units]  # (T, H)
    joined = _empty(layer_in, layer_in.shape[0], n_in + size)  # (T, D_k+H): [x_t, h_prev]
    joined[:, :n_in] = layer_in
    if direction == 0:  # h_prev of step t is h of t-1, zero at the start
        joined[0, n_in:] = 0
        joined[1:, n_in:] = h[:-1]
    else:  # the reverse direction starts at the end: h_prev of step t is h of t+1
        joined[-1, n_in:] = 0
        joined[:-1, n_in:] = h[1:]
    w_ih, w_hh, b_ih, b_hh = _direction_params(rnn, layer, direction)
    weight, bias = torch.cat([w_ih, w_hh], dim=1), b_ih + b_hh  # (G*H, D_k+H), (G*H,): both biases count
    rows = [slice(q * size, (q + 1) * size) for q in range(4)]
    out = [values[q, :, layer, units] for q in range(len(QUANTITIES[kind]) - 1)]  # (T, H) views
    if kind == "lstm":  # i, f, g, o; g = tanh(v) = 2*sigmoid(2v) - 1
        for q, row in enumerate(rows):
            scale = 2 if q == 2 else 1
            torch.addmm(scale * bias[row], joined, scale * weight[row].T, out=out[q]).sigmoid_()
        out[2].mul_(2).sub_(1)
        return
    # GRU: r, z = sigmoid(W_i x + b_i + W_h h_prev + b_h); n = tanh(W_in x + b_in + r * (W_hn h_prev + b_hn))
    for q in range(2):
        torch.addmm(bias[rows[q]], joined, weight[rows[q]].T, out=out[q]).sigmoid_()
    n_pre = _empty(joined, len(joined), size)  # (T, H): 2 * pre-activation of n
    torch.addmm(2 * b_hh[rows[2]], joined[:, n_in:], 2 * w_hh[rows[2]].T, out=n_pre)
    n_pre.mul_(out[0]).addmm_(layer_in, 2 * w_ih[rows[2]].T).add_(2 * b_ih[rows[2]])
    torch.sigmoid(n_pre, out=out[2]).mul_(2).sub_(1)


def _fill_cell(values: torch.Tensor, dirs: int, hidden_size: int) -> None:
    """LSTM cell state c_t = f_t * c_{t-1} + i_t * g_t for all layers and units, into values[4]."""
    forget, cell = values[1], values[4]  # (T, L, U)
    torch.mul(values[0], values[2], out=cell)  # i * g
    n_steps = len(cell)
    if dirs == 1:
        _scan_in_place(forget.view(n_steps, -1), cell.view(n_steps, -1))
        return
    # scan the reverse units in their own time order: flip them, scan all units at once, flip back
    rev = slice(hidden_size, 2 * hidden_size)
    a, c = forget.clone(), cell.clone()  # (T, L, U)
    a[:, :, rev], c[:, :, rev] = forget[:, :, rev].flip(0), cell[:, :, rev].flip(0)
    _scan_in_place(a.view(n_steps, -1), c.view(n_steps, -1))
    c[:, :, rev] = c[:, :, rev].flip(0)
    cell.copy_(c)
