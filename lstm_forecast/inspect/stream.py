"""A long sequence traced chunk by chunk, exactly as in one pass, holding one chunk at a time.

The series is cut into chunks of at most `chunk` steps. Each chunk is traced (`traces.trace_chunk`)
from the states it is entered with: the forward direction's after the previous chunk, the reverse
direction's after the next one. A unidirectional network carries its state forward as it goes. A
bidirectional one first sweeps each layer forward and backward with the fused ops alone, to find
the reverse states at every chunk boundary (a layer's input at a chunk is the layer below, both
directions, recomputed there from its own boundary states). The boundary states are kept, so any
one chunk can be traced again later (`replay`, `StepReplay`) without the rest.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from ..cells import of_module
from ..threads import using_threads
from .traces import CHUNK_STEPS, States, exact_float32, run_direction, step_rows, trace_chunk
from .views import Shape

CHUNK = 8_192  # steps per chunk: its values (Q, n, L, U) stay tens of MB; `replay` costs one chunk
CHUNK_VALUES = 1 << 23  # most float32 values per chunk (32 MB): wide networks get shorter chunks
MIN_CHUNK = 256


@dataclass
class ChunkedSequence:
    """One sequence x (T, D) of a recurrent module, cut into chunks, with each chunk's entry states."""

    rnn: nn.Module
    x: torch.Tensor  # (T, D) on the module's device and in its dtype
    starts: np.ndarray  # (K + 1,) int64: chunk k covers steps [starts[k], starts[k + 1])
    entries: list[States | None] = field(default_factory=list)  # (K,) filled by `sweep`

    @property
    def n_steps(self) -> int:
        return int(self.starts[-1])

    @property
    def n_chunks(self) -> int:
        return len(self.starts) - 1

    def chunk_of(self, step: int) -> int:
        """The chunk that holds `step`."""
        return int(np.searchsorted(self.starts, step, side="right")) - 1


def steps_per_chunk(rnn: nn.Module, chunk: int = CHUNK) -> int:
    """Steps per chunk: `chunk`, shortened so one chunk's values stay under CHUNK_VALUES."""
    cell = of_module(rnn)
    width = len(cell.quantities) * rnn.num_layers * (2 if rnn.bidirectional else 1) * rnn.hidden_size
    return int(max(1, min(chunk, max(MIN_CHUNK, CHUNK_VALUES // width))))


def plan(rnn: nn.Module, x: torch.Tensor, chunk: int = CHUNK) -> ChunkedSequence:
    """x (T, D) on rnn's device, cut into chunks of at most `chunk` steps (at most CHUNK_STEPS)."""
    if not 1 <= chunk <= CHUNK_STEPS:
        raise ValueError(f"chunk must be 1..{CHUNK_STEPS} steps, got {chunk}")
    weight = rnn.weight_ih_l0
    x = torch.as_tensor(x).detach().to(device=weight.device, dtype=weight.dtype)
    if x.ndim != 2 or x.shape[1] != rnn.input_size or x.shape[0] == 0:
        raise ValueError(f"x must be (T, {rnn.input_size}) with T >= 1, got {tuple(x.shape)}")
    n_steps = x.shape[0]
    starts = np.append(np.arange(0, n_steps, chunk, dtype=np.int64), n_steps)
    return ChunkedSequence(rnn, x, starts)


def sweep(seq: ChunkedSequence) -> Iterator[tuple[int, np.ndarray]]:
    """(start, values (Q, n, L, U) float32 on the CPU) of every chunk in time order; fills seq.entries."""
    rnn = seq.rnn
    if rnn.bidirectional:
        seq.entries = _bidirectional_entries(seq)
    else:
        seq.entries = [States.zeros(rnn, seq.x)] + [None] * (seq.n_chunks - 1)
    for k in range(seq.n_chunks):
        values, exit_states = trace_chunk(rnn, seq.x[seq.starts[k]: seq.starts[k + 1]], seq.entries[k])
        if not rnn.bidirectional and k + 1 < seq.n_chunks:
            seq.entries[k + 1] = exit_states
        yield int(seq.starts[k]), _to_numpy(values)


def replay(seq: ChunkedSequence, k: int) -> np.ndarray:
    """The values (Q, n, L, U) of chunk k traced again from its entry states (after a full sweep)."""
    if seq.entries[k] is None:
        raise ValueError(f"chunk {k} has no entry states yet; sweep the sequence first")
    values, _ = trace_chunk(seq.rnn, seq.x[seq.starts[k]: seq.starts[k + 1]], seq.entries[k])
    return _to_numpy(values)


@dataclass
class StepReplay:
    """One step of a swept sequence walked through, from the one chunk that holds it traced again."""

    shape: Shape
    sequence: ChunkedSequence = field(repr=False)  # swept: every chunk has its entry states
    threads: int = 1  # intra-op threads for replaying a chunk
    _replayed: tuple[int, np.ndarray] | None = field(default=None, repr=False)  # the last chunk: (k, values)

    def walkthrough(self, step: int, *, layer: int = 0, direction: int = 0) -> dict[str, np.ndarray]:
        """traces.walkthrough at `step`: its rows (each (H,)) for one layer and direction."""
        seq, quantities, n_steps = self.sequence, self.shape.quantities, self.shape.n_steps
        rnn = seq.rnn
        size, n_directions = rnn.hidden_size, 2 if rnn.bidirectional else 1
        layer = self.shape.layer(layer)
        if not 0 <= step < n_steps:
            raise ValueError(f"step {step} out of range; choose 0..{n_steps - 1}")
        if not 0 <= direction < n_directions:
            raise ValueError(f"direction {direction} out of range; choose 0..{n_directions - 1}")
        k = seq.chunk_of(step)
        if self._replayed is None or self._replayed[0] != k:
            with using_threads(self.threads):
                self._replayed = (k, replay(seq, k))
        values, start, stop = self._replayed[1], int(seq.starts[k]), int(seq.starts[k + 1])
        units = slice(direction * size, (direction + 1) * size)
        hidden = quantities.index("hidden")
        x_t = seq.x[step] if layer == 0 else torch.from_numpy(values[hidden, step - start, layer - 1])
        prev = step - 1 if direction == 0 else step + 1
        entry = seq.entries[k]

        def before(quantity: str) -> torch.Tensor:
            """The state before this step, (H,): in the chunk, at its edge (its entry state), or zero."""
            if quantity not in quantities or not 0 <= prev < n_steps:
                return torch.zeros(size, dtype=torch.float64)
            if start <= prev < stop:
                return torch.from_numpy(values[quantities.index(quantity), prev - start, layer, units])
            held = entry.h if quantity == "hidden" else entry.c
            return held[layer, direction]

        return step_rows(rnn, layer, direction, x_t, before("hidden"), before("cell"))


def _to_numpy(values: torch.Tensor) -> np.ndarray:
    return values.detach().to(device="cpu", dtype=torch.float32).numpy()


def _bidirectional_entries(seq: ChunkedSequence) -> list[States]:
    """Entry states of every chunk of a bidirectional network, from fused passes alone.

    Layer by layer: the forward direction sweeps the chunks left to right and the reverse one right
    to left, each carrying its state; a layer's input at a chunk is recomputed from the layers
    below, whose boundary states are already known. Costs about L(L + 1) layer passes for L layers.
    """
    rnn, cell = seq.rnn, of_module(seq.rnn)
    n_chunks, n_layers, size = seq.n_chunks, rnn.num_layers, rnn.hidden_size
    h = seq.x.new_zeros(n_chunks, n_layers, 2, size)  # entry states of chunk k
    c = seq.x.new_zeros(n_chunks, n_layers, 2, size) if "cell" in cell.quantities else None

    def layer_input(layer: int, k: int) -> torch.Tensor:
        """Input (n, D_layer) of `layer` over chunk k: the chunk's x through the layers below."""
        inp = seq.x[seq.starts[k]: seq.starts[k + 1]]
        for below in range(layer):
            outs = [run_direction(rnn, cell, below, d, inp, h[k, below, d], None if c is None else c[k, below, d])[0]
                    for d in (0, 1)]
            inp = torch.cat(outs, dim=1)  # (n, 2H)
        return inp

    with exact_float32(), torch.no_grad():
        for layer in range(n_layers):
            for direction, order in ((0, range(n_chunks)), (1, range(n_chunks - 1, -1, -1))):
                for k in list(order)[:-1]:  # the last chunk's exit states are never needed
                    c0 = None if c is None else c[k, layer, direction]
                    hs, _, c_last = run_direction(rnn, cell, layer, direction, layer_input(layer, k),
                                                  h[k, layer, direction], c0)
                    nxt = k + 1 if direction == 0 else k - 1
                    h[nxt, layer, direction] = hs[-1] if direction == 0 else hs[0]
                    if c is not None:
                        c[nxt, layer, direction] = c_last
    return [States(h[k], None if c is None else c[k]) for k in range(n_chunks)]
