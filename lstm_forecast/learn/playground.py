"""Gate playground: a one-unit LSTM whose forget, input and output gates are set by hand.

The cell is the registry's own LSTM step (cells.CELLS["lstm"].step) with weights chosen so that
each gate takes the value asked for: its weights are zero and its bias is logit(gate) (b_i* =
logit(gate), b_h* = 0, so sigma(pre) = gate exactly, 0 and 1 included). The candidate reads the
input with weight 1 and no bias, g_t = tanh(x_t). So every number shown comes from the same
equations the traces use.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from .. import cells
from ..errors import UserError

SEQUENCES = ("pulse", "step", "sine")
N_STEPS = 24
EVENT_STEP = 4  # where the pulse is and the step begins
SINE_PERIOD = 12
GATES = ("forget", "input", "output")  # the gates a user sets, in the registry's names


def sequence(kind: str, n_steps: int = N_STEPS) -> np.ndarray:
    """Input x (n_steps,): 'pulse' (1 at EVENT_STEP), 'step' (0 then 1 from EVENT_STEP) or 'sine' (period SINE_PERIOD)."""
    t = np.arange(n_steps)
    if kind == "pulse":
        return (t == EVENT_STEP).astype(float)
    if kind == "step":
        return (t >= EVENT_STEP).astype(float)
    if kind == "sine":
        return np.sin(2 * np.pi * t / SINE_PERIOD)
    raise UserError(f"sequence {kind!r} is unknown; choose one of {', '.join(SEQUENCES)}")


def schedule(value: float | Sequence[float], n_steps: int, name: str = "gate") -> np.ndarray:
    """A gate's value at every step (n_steps,) from a constant or one value per step, each in [0, 1]."""
    values = np.broadcast_to(np.asarray(value, dtype=float), (n_steps,)) if np.ndim(value) == 0 \
        else np.asarray(value, dtype=float)
    if values.shape != (n_steps,):
        raise UserError(f"the {name} gate has {values.size} values for {n_steps} steps; give one per step or one for all")
    bad = values[~((values >= 0) & (values <= 1))]
    if bad.size:
        raise UserError(f"the {name} gate must lie in [0, 1] at every step (got {bad[:3].tolist()}); "
                        "a sigmoid gate never leaves that range")
    return values.copy()


def run_cell(x: Sequence[float], forget, input, output) -> pd.DataFrame:
    """The one-unit LSTM over x with hand-set gates (constants or one value per step), from c = h = 0.

    Returns every walkthrough row of the registry's LSTM at every step: step, quantity
    (x_t, h_prev, c_prev, i, f, g, o, f*c_prev, i*g, c, tanh(c), h), value.
    """
    cell = cells.get("lstm")
    x = np.asarray(x, dtype=float)
    n = len(x)
    gates = {cell.symbols[name]: schedule(value, n, name) for name, value in
             (("forget", forget), ("input", input), ("output", output))}
    h = torch.zeros(1, dtype=torch.float64)
    c = torch.zeros(1, dtype=torch.float64)
    rows = []
    for t in range(n):
        x_t = torch.tensor([x[t]], dtype=torch.float64)
        parts = cell.step(_weights(cell, {s: v[t] for s, v in gates.items()}), x_t, h, c)
        values = {"x_t": x_t, "h_prev": h, "c_prev": c, **parts}
        rows += [(t, row, float(values[row][0])) for row in cell.walkthrough]
        h, c = parts["h"], parts["c"]
    return pd.DataFrame(rows, columns=["step", "quantity", "value"])


def _weights(cell: cells.Cell, gate_values: dict[str, float]) -> cells.Weights:
    """One unit's weights that make each sigmoid gate equal its value and g_t = tanh(x_t)."""
    blocks = len(cell.gate_rows)
    w_ih = torch.zeros(blocks, 1, dtype=torch.float64)
    b_ih = torch.zeros(blocks, dtype=torch.float64)
    for k, symbol in enumerate(cell.gate_rows):
        if symbol in gate_values:
            b_ih[k] = torch.logit(torch.tensor(gate_values[symbol], dtype=torch.float64))  # +-inf at 1 and 0
        else:  # the candidate
            w_ih[k, 0] = 1.0
    zeros = torch.zeros(blocks, dtype=torch.float64)
    return cells.Weights(w_ih, torch.zeros(blocks, 1, dtype=torch.float64), b_ih, zeros)


@dataclass(frozen=True)
class Preset:
    name: str
    gates: dict[str, np.ndarray]  # forget, input, output: one value per step
    why: str  # one or two sentences: what to look at


def presets(n_steps: int = N_STEPS) -> dict[str, Preset]:
    """Hand settings that make the cell remember, forget or hide what it read at EVENT_STEP."""
    t = np.arange(n_steps)
    at = (t == EVENT_STEP).astype(float)
    ones = np.ones(n_steps)
    late = (t >= n_steps - 4).astype(float)
    return {p.name: p for p in (
        Preset("remember", {"forget": ones, "input": at, "output": ones},
               f"The input gate opens only at step {EVENT_STEP}, so c takes in g = tanh(x) once; the forget "
               "gate stays at 1, so c_t = 1·c_{t-1} + 0·g_t carries it unchanged to the end, whatever comes after."),
        Preset("forget", {"forget": 0.8 * ones, "input": at, "output": ones},
               f"Same write at step {EVENT_STEP}, but the forget gate is 0.8: each step keeps 80% of c, so "
               "k steps later 0.8^k is left (about 1% after 20 steps). This is how a memory fades."),
        Preset("hide", {"forget": ones, "input": at, "output": late},
               "The memory is written and kept as in 'remember', but the output gate stays shut until the "
               f"last 4 steps: h = o·tanh(c) is 0 while c holds the value, then shows it when o opens."),
        Preset("overwrite", {"forget": 0 * ones, "input": ones, "output": ones},
               "Forget gate 0 and input gate 1: c_t = g_t, the cell keeps nothing from the step before and "
               "just follows its input, like a network without memory."),
    )}


def reactive_unit(values: np.ndarray) -> int:
    """The unit (column of values (T, U)) whose value moves most over the sequence (the largest range)."""
    values = np.asarray(values)
    return int((values.max(axis=0) - values.min(axis=0)).argmax())


def forecaster_inputs(feature_names: Sequence[str], x: Sequence[float]) -> np.ndarray:
    """A forecaster's input features (T, F) carrying the sequence x: its first feature is x, a
    feature named 'change' is the step-to-step change of x, every other feature is held at 0."""
    x = np.asarray(x, dtype=np.float32)
    features = np.zeros((len(x), len(feature_names)), dtype=np.float32)
    features[:, 0] = x
    for j, name in enumerate(feature_names):
        if name == "change" and j:
            features[:, j] = np.diff(x, prepend=0.0)
    return features
