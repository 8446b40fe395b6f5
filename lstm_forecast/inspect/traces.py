"""Gate and state traces of a trained recurrent module, recomputed from its weights (DESIGN decision 1).

Every cell comes from the registry (lstm_forecast.cells). The fused ops (nn.LSTM, nn.GRU, nn.RNN)
hide their gates, so each layer runs alone as the fused op to get its hidden sequence (in chunks
of at most CHUNK_STEPS steps, carrying the state across), then the cell's gate maths computes
every gate of every step in batched blocks from x_t and h_{t-1}, and the LSTM's cell state comes
from a two-level chunked scan of c_t = f_t * c_{t-1} + i_t * g_t. The custom variants' modules
return their cell states as well, so their gates follow from x_t, h_{t-1}, c_{t-1} and c_t.

Traces are exact on every device: TF32 is switched off while tracing (see `exact_float32`).
Cost: one forward pass plus the gates' matmuls, which hold as many flops as the forward pass but
run batched (bench/trace_speed.py measures it).
"""

from __future__ import annotations

import math
import threading
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn

from ..cells import Cell, Steps, by_name, of_module, weights

QUANTITIES = by_name("quantities")  # the registry's, by cell name (live)
FRAME_COLUMNS = ("timestamp", "step", "layer", "unit", "quantity", "value")
CHUNK_STEPS = 32_768  # most steps per fused call: cuDNN refuses one 100,000-step sequence (NOT_SUPPORTED)
BLOCK_STEPS = 512  # steps per block of gate maths: its (n, 4H) scratch stays in cache
_NUMPY_DTYPES = {torch.float32: np.float32, torch.float64: np.float64}


@dataclass
class Trace:
    """Every quantity of every step, layer and unit of one sequence run from a zero state."""

    cell: str  # registry name: "lstm", "gru", "rnn", "lstm-peephole", "lstm-coupled", "mgu", ...
    quantities: tuple[str, ...]  # the cell's registry quantities
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


@dataclass
class States:
    """The recurrent state of every layer and direction where a stretch of steps begins.

    The forward direction's is its state before the stretch's first step; the reverse direction's
    (units [H, 2H)) is its state before the stretch's last step, i.e. after every later step.
    """

    h: torch.Tensor  # (L, dirs, H) hidden states
    c: torch.Tensor | None  # (L, dirs, H) cell states of cells that have one, else None

    @classmethod
    def zeros(cls, rnn: nn.Module, like: torch.Tensor) -> "States":
        """The zero state of rnn, in like's dtype and on its device."""
        shape = (rnn.num_layers, _directions(rnn), rnn.hidden_size)
        has_cell = "cell" in of_module(rnn).quantities
        return cls(like.new_zeros(shape), like.new_zeros(shape) if has_cell else None)

    def to(self, like: torch.Tensor) -> "States":
        """The same states in like's dtype and on its device."""
        move = dict(dtype=like.dtype, device=like.device)
        return States(self.h.to(**move), None if self.c is None else self.c.to(**move))


def cell_kind(rnn: nn.Module) -> str:
    """The registry name of a torch recurrent module's cell ('lstm', 'gru', 'rnn', ...)."""
    return of_module(rnn).name


@contextmanager
def exact_float32() -> Iterator[None]:
    """TF32 (and bf16) off for matmuls, cuDNN and oneDNN inside; the caller's settings back after, also on error.

    cuDNN's RNNs and cuBLAS matmuls default to TF32 on recent GPUs, which moves traces about 4e-4
    away from the float64 reference; with it off they agree to about 1e-5. PyTorch has two sets of
    switches: the legacy flags (`torch.backends.cuda.matmul.allow_tf32`, `torch.backends.cudnn.allow_tf32`)
    and, since 2.9, a `fp32_precision` per backend and op. Both are turned off and both restored.
    The switches are global: overlapping uses (nested, or traces in several dashboard sessions'
    threads) share one entry, and the last to leave restores what the first found.
    """
    global _exact_users, _exact_saved
    with _EXACT_LOCK:
        if _exact_users == 0:
            _exact_saved = _float32_settings()
            torch.backends.cuda.matmul.allow_tf32 = False
            torch.backends.cudnn.allow_tf32 = False
            for path in _EXACT_PATHS:  # an op's own setting wins over the legacy flags and its parents
                _set_precision(path, "ieee")
        _exact_users += 1
    try:
        yield
    finally:
        with _EXACT_LOCK:
            _exact_users -= 1
            if _exact_users == 0:
                _restore_float32_settings(_exact_saved)


_EXACT_LOCK = threading.Lock()
_exact_users = 0  # callers inside exact_float32 now
_exact_saved: dict[str, object] = {}  # the settings the first of them found


# fp32_precision settings under torch.backends, coarse before fine: setting one sets those below it
_PRECISION_PATHS = ("", "cuda.matmul", "cudnn", "cudnn.rnn", "cudnn.conv", "mkldnn", "mkldnn.matmul",
                    "mkldnn.rnn", "mkldnn.conv")
_EXACT_PATHS = ("cuda.matmul", "cudnn.rnn", "cudnn.conv", "mkldnn.matmul", "mkldnn.rnn", "mkldnn.conv")


def _backend(path: str) -> object:
    obj = torch.backends
    for name in filter(None, path.split(".")):
        obj = getattr(obj, name)
    return obj


def _set_precision(path: str, value: object) -> None:
    try:
        backend = _backend(path)
        if hasattr(backend, "fp32_precision"):  # a torch before 2.9 has none (and must not get one)
            backend.fp32_precision = value
    except (AttributeError, RuntimeError):
        pass


def _float32_settings() -> dict[str, object]:
    """Everything exact_float32 changes, as it is now."""
    saved: dict[str, object] = {}
    legacy = {"matmul_precision": torch.get_float32_matmul_precision,  # what the legacy matmul flag stands for
              "cudnn.allow_tf32": lambda: torch.backends.cudnn.allow_tf32}
    for name, read in legacy.items():
        try:
            saved[name] = read()
        except RuntimeError:  # reading a legacy setting fails once the newer API has set a different value
            pass
    for path in _PRECISION_PATHS:
        try:
            saved[path] = _backend(path).fp32_precision
        except (AttributeError, RuntimeError):
            pass
    return saved


def _restore_float32_settings(saved: dict[str, object]) -> None:
    if "matmul_precision" in saved:
        torch.set_float32_matmul_precision(saved["matmul_precision"])
    if "cudnn.allow_tf32" in saved:
        torch.backends.cudnn.allow_tf32 = saved["cudnn.allow_tf32"]
    for path in _PRECISION_PATHS:
        if path in saved:
            _set_precision(path, saved[path])


def compute_trace(rnn: nn.Module, x: torch.Tensor, index: pd.Index | None = None, *,
                  chunk_steps: int = CHUNK_STEPS) -> Trace:
    """Trace of one sequence x (T, D) or (1, T, D) from a zero initial state, without grad or dropout.

    chunk_steps: most steps per fused call (the state is carried across calls; smaller only for tests).
    """
    cell = of_module(rnn)
    _check_supported(rnn)
    seq = _as_sequence(rnn, x)  # (T, D)
    n_steps = seq.shape[0]
    index = pd.RangeIndex(n_steps) if index is None else pd.Index(index)
    if len(index) != n_steps:
        raise ValueError(f"index has {len(index)} entries but x has {n_steps} steps; pass one label per step")
    with exact_float32(), torch.no_grad():
        values = _trace_values(rnn, cell, seq, chunk_steps, None)
    return Trace(
        cell=cell.name,
        quantities=cell.quantities,
        values=values.detach().to(device="cpu", dtype=torch.float32).numpy(),
        index=index,
        hidden_size=rnn.hidden_size,
        bidirectional=_directions(rnn) == 2,
    )


def trace_chunk(rnn: nn.Module, x: torch.Tensor, entry: States | None = None) -> tuple[torch.Tensor, States]:
    """Every quantity of a stretch of n steps x (n, D) run from `entry` (None: the zero state).

    Returns the values (Q, n, L, U) on the module's device and dtype, laid out as Trace.values, and
    the states where the stretch ends: the forward direction's after its last step, the reverse
    direction's after its first (so a long sequence traces chunk by chunk, exactly as in one pass,
    when each chunk starts from the states its neighbours end with). At most CHUNK_STEPS per fused call.
    """
    cell = of_module(rnn)
    _check_supported(rnn)
    seq = _as_sequence(rnn, x)  # (n, D)
    entry = None if entry is None else entry.to(seq)
    with exact_float32(), torch.no_grad():
        values = _trace_values(rnn, cell, seq, CHUNK_STEPS, entry)
    return values, _exit_states(values, cell, _directions(rnn), rnn.hidden_size)


def _trace_values(rnn: nn.Module, cell: Cell, seq: torch.Tensor, chunk_steps: int,
                  entry: States | None) -> torch.Tensor:
    """Values (Q, T, L, U) of seq (T, D) from `entry` (None: zero); TF32 off and no grad around it."""
    n_steps, dirs, size = seq.shape[0], _directions(rnn), rnn.hidden_size
    position = {q: k for k, q in enumerate(cell.quantities)}
    # (Q, T, L, U), filled in place; on CPU in float32 this is the returned array without a copy
    values = _empty(seq, len(cell.quantities), n_steps, rnn.num_layers, dirs * size)
    layer_in = seq  # (T, D_k)
    for layer in range(rnn.num_layers):
        # (T + 2, dirs*H): row t + 1 holds the state after step t; row 0 the forward state before
        # step 0 and row T + 1 the reverse state before step T - 1 (zero without an entry)
        hidden, cell_states = _run_layer(rnn, cell, layer, layer_in, chunk_steps, entry)
        values[position["hidden"], :, layer] = hidden[1:-1]
        if cell_states is not None:
            values[position["cell"], :, layer] = cell_states[1:-1]
        if cell.gates is not None:
            for direction in range(dirs):
                _fill_gates(rnn, cell, layer, direction, layer_in, hidden, cell_states, values)
        layer_in = hidden[1:-1]
    if "cell" in position and cell.fused:  # the fused op returns no cell states: scan them
        _fill_cell(values, position, dirs, size, None if entry is None else entry.c)
    return values


def _exit_states(values: torch.Tensor, cell: Cell, dirs: int, size: int) -> States:
    """States where a traced stretch (Q, n, L, U) ends: forward after its last step, reverse after its first."""
    def ends(quantity: str) -> torch.Tensor:
        states = values[cell.quantities.index(quantity)]  # (n, L, U)
        parts = [states[-1, :, :size]] + ([states[0, :, size:]] if dirs == 2 else [])
        return torch.stack(parts, dim=1).clone()  # (L, dirs, H)

    return States(ends("hidden"), ends("cell") if "cell" in cell.quantities else None)


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

    Keys, in reading order: the cell's registry `walkthrough` rows, e.g. for an LSTM x_t (layer
    input), h_prev, c_prev, i, f, g, o, f*c_prev, i*g, c, tanh(c), h. The maths is the cell's
    reference step. Pass ``trace`` (from compute_trace on the same rnn and x) to skip recomputing it.
    """
    cell = of_module(rnn)
    trace = compute_trace(rnn, x) if trace is None else trace
    if trace.cell != cell.name:
        raise ValueError(f"trace is of a {trace.cell} but rnn is a {cell.name}; pass the trace of this rnn")
    n_steps, dirs, size = trace.n_steps, _directions(rnn), rnn.hidden_size
    if not 0 <= step < n_steps:
        raise ValueError(f"step {step} out of range; choose 0..{n_steps - 1}")
    if not 0 <= direction < dirs:
        raise ValueError(f"direction {direction} out of range; choose 0..{dirs - 1}")
    units = slice(direction * size, (direction + 1) * size)
    if layer == 0:
        x_t = _as_sequence(rnn, x)[step].detach().cpu().double()
    else:
        x_t = torch.from_numpy(trace.get("hidden", layer - 1)[step]).double()
    prev = step - 1 if direction == 0 else step + 1
    has_prev = 0 <= prev < n_steps

    def before(quantity: str) -> torch.Tensor:
        """The state `quantity` before this step (zero at the start), float64 (H,)."""
        if not has_prev:
            return torch.zeros(size, dtype=torch.float64)
        return torch.from_numpy(trace.get(quantity, layer)[prev, units]).double()

    h_prev = before("hidden")
    c_prev = before("cell") if "cell" in cell.quantities else torch.zeros(size, dtype=torch.float64)
    return step_rows(rnn, layer, direction, x_t, h_prev, c_prev)


def step_rows(rnn: nn.Module, layer: int, direction: int, x_t: torch.Tensor, h_prev: torch.Tensor,
              c_prev: torch.Tensor) -> dict[str, np.ndarray]:
    """The walkthrough rows of one step of one layer and direction, in float64 from the weights:
    x_t (D_k,), h_prev and c_prev (H,) (zeros for a cell without a cell state)."""
    cell = of_module(rnn)
    x_t, h_prev, c_prev = (torch.as_tensor(v).detach().cpu().double() for v in (x_t, h_prev, c_prev))
    parts = cell.step(weights(rnn, layer, direction, torch.float64, "cpu"), x_t, h_prev, c_prev)
    inputs = {"x_t": x_t, "h_prev": h_prev, "c_prev": c_prev}
    return {row: (inputs[row] if row in inputs else parts[row]).numpy() for row in cell.walkthrough}


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


def _padded_states(like: torch.Tensor, n_steps: int, width: int) -> torch.Tensor:
    """(T + 2, width) with zero first and last rows, the rest to be filled."""
    states = _empty(like, n_steps + 2, width)
    states[0], states[-1] = 0, 0
    return states


def _run_layer(rnn: nn.Module, cell: Cell, layer: int, layer_in: torch.Tensor, chunk_steps: int,
               entry: States | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Hidden states (T + 2, dirs*H) of one layer run alone from `entry` (None: zero), row t + 1
    after step t, row 0 (forward units) and row T + 1 (reverse units) the entry states; and the
    cell states in the same layout for a custom module with a cell state (None otherwise)."""
    n_steps, size = len(layer_in), rnn.hidden_size
    hidden = _padded_states(layer_in, n_steps, _directions(rnn) * size)
    own_cell_states = cell.has_cell_state and not cell.fused  # a custom module returns them; a fused op does not
    cell_states = _padded_states(layer_in, n_steps, _directions(rnn) * size) if own_cell_states else None
    for direction in range(_directions(rnn)):
        units = slice(direction * size, (direction + 1) * size)
        h0 = None if entry is None else entry.h[layer, direction]  # (H,)
        c0 = None if entry is None or entry.c is None else entry.c[layer, direction]
        if h0 is not None:
            hidden[0 if direction == 0 else -1, units] = h0
            if cell_states is not None and c0 is not None:
                cell_states[0 if direction == 0 else -1, units] = c0
        states = run_direction(rnn, cell, layer, direction, layer_in, h0, c0, chunk_steps=chunk_steps)
        hidden[1:-1, units] = states[0]
        if cell_states is not None:
            cell_states[1:-1, units] = states[1]
    return hidden, cell_states


def run_direction(rnn: nn.Module, cell: Cell, layer: int, direction: int, layer_in: torch.Tensor,
                  h0: torch.Tensor | None = None, c0: torch.Tensor | None = None, *,
                  chunk_steps: int = CHUNK_STEPS) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
    """One layer and direction over layer_in (T, D_k) from (h0, c0) (H,) each, None: zero.

    Returns the hidden states (T, H) in layer_in's time order, the cell states likewise for a custom
    module with a cell state (None otherwise), and the cell state after the direction's last step (the reverse
    direction's last is step 0; None for a cell without one). The fused op runs at most chunk_steps
    per call. No grad, no TF32 switch: the caller holds them.
    """
    if not cell.fused:
        if h0 is None:
            hs, cs = rnn.layer_states(layer, direction, layer_in)
        else:
            start = torch.zeros_like(h0) if c0 is None and cell.has_cell_state else c0
            hs, cs = rnn.layer_states(layer, direction, layer_in, (h0, start))
        return hs, cs, None if cs is None else cs[-1 if direction == 0 else 0]
    return _run_fused(rnn, layer, direction, layer_in, chunk_steps, h0, c0)


def _run_fused(rnn: nn.Module, layer: int, direction: int, layer_in: torch.Tensor, chunk_steps: int,
               h0: torch.Tensor | None = None, c0: torch.Tensor | None = None,
               ) -> tuple[torch.Tensor, None, torch.Tensor | None]:
    """Hidden states (T, H) of one layer and direction as the fused op, at most chunk_steps per call,
    from (h0, c0) (H,) or zero; None and the final cell state (an LSTM's; None otherwise)."""
    w = weights(rnn, layer, direction)
    params = [w.w_ih, w.w_hh, w.b_ih, w.b_hh]
    if isinstance(rnn, nn.LSTM):
        op = torch.lstm
    elif isinstance(rnn, nn.GRU):
        op = torch.gru
    else:
        op = torch.rnn_tanh if rnn.nonlinearity == "tanh" else torch.rnn_relu
    seq = layer_in if direction == 0 else layer_in.flip(0)  # the reverse direction reads from the end
    zeros = seq.new_zeros(1, 1, rnn.hidden_size)
    h = zeros if h0 is None else h0.reshape(1, 1, -1)
    c = zeros if c0 is None else c0.reshape(1, 1, -1)
    state = (h, c) if op is torch.lstm else h
    outs = []
    with warnings.catch_warnings():  # cuDNN asks for one flat weight buffer; per-layer weights are not one
        warnings.filterwarnings("ignore", message=".*contiguous chunk of memory.*")
        for start in range(0, len(seq), chunk_steps):
            inp = seq[start: start + chunk_steps].unsqueeze(1)  # (n, 1, D_k), time-major
            # has_biases, num_layers, dropout, train, bidirectional, batch_first
            result = op(inp, state, params, True, 1, 0.0, False, False, False)
            outs.append(result[0].squeeze(1))
            state = (result[1], result[2]) if op is torch.lstm else result[1]
    out = outs[0] if len(outs) == 1 else torch.cat(outs)
    c_last = state[1].reshape(-1) if op is torch.lstm else None
    return (out if direction == 0 else out.flip(0)), None, c_last


def _fill_gates(rnn: nn.Module, cell: Cell, layer: int, direction: int, layer_in: torch.Tensor,
                hidden: torch.Tensor, cell_states: torch.Tensor | None, values: torch.Tensor) -> None:
    """Every gate of every step of one layer and direction into values (Q, T, L, U), in blocks of
    BLOCK_STEPS steps: the cell's gate maths writes each block straight into its place."""
    size, n_steps = rnn.hidden_size, len(layer_in)
    units = slice(direction * size, (direction + 1) * size)
    w = weights(rnn, layer, direction)
    slots = {q: values[cell.quantities.index(q), :, layer, units] for q in cell.gate_quantities}  # (T, H) views
    before = 0 if direction == 0 else 2  # padded row of the state before step t: t forward, t + 2 reverse
    for start in range(0, n_steps, BLOCK_STEPS):
        stop = min(start + BLOCK_STEPS, n_steps)
        at = Steps(
            x=layer_in[start:stop],
            h_prev=hidden[start + before: stop + before, units],
            c_prev=None if cell_states is None else cell_states[start + before: stop + before, units],
            c=None if cell_states is None else cell_states[start + 1: stop + 1, units],
        )
        cell.gates(w, at, {q: slot[start:stop] for q, slot in slots.items()})


def _fill_cell(values: torch.Tensor, position: dict[str, int], dirs: int, hidden_size: int,
               entry_c: torch.Tensor | None = None) -> None:
    """LSTM cell state c_t = f_t * c_{t-1} + i_t * g_t for all layers and units, into its slot;
    c before the first step (the reverse units': before the last) is entry_c (L, dirs, H), or zero."""
    forget, cell = values[position["forget"]], values[position["cell"]]  # (T, L, U)
    torch.mul(values[position["input"]], values[position["candidate"]], out=cell)  # i * g
    if entry_c is not None:  # the first step of each direction also keeps f * c_entry
        cell[0, :, :hidden_size].addcmul_(forget[0, :, :hidden_size], entry_c[:, 0])
        if dirs == 2:
            cell[-1, :, hidden_size:].addcmul_(forget[-1, :, hidden_size:], entry_c[:, 1])
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
