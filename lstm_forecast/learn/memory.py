"""The long-memory task: does the network still know, `lag` steps later, what it saw?

Every sequence is distractor noise, value ~ U(-0.5, 0.5) on one input channel, with one event:
a pulse of +1 or -1 on that channel, flagged by a 1 on a second (marker) channel. The answer is
the pulse's sign, read from the network's output at the last step.

Test sequences put the event exactly `lag` steps before the last step. Training sequences put it
anywhere from 1 to `lag` steps back: the short gaps give every cell a learning signal to start
from, so what is measured is how far each cell's memory carries, not whether a first gradient
happened to arrive. The race over cells and lags is in race.py.

Why these settings: with noise U(-1, 1) and 300 training steps the LSTM solved lag 50 for only 8
of 10 seeds (two stayed at chance); with U(-0.5, 0.5) it solved it for 20 of 20 seeds (98.6% or
better) while the RNN stayed at chance (46-54%) for all 10 seeds tried. Measured on this task's
defaults, 2026-11-30.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Optional

import numpy as np
import pandas as pd
import torch
from torch import nn

from .. import cells
from ..errors import UserError
from ..inspect.traces import compute_trace

FEATURES = ("value", "marker")  # the input channels, in order
TRACE_COLUMNS = ("cell", "event", "step", "since_event", "layer", "unit", "quantity", "value")  # probe_traces
LANE_COLUMNS = ("cell", "event", "step", "since_event", "unit", "quantity", "role", "value")  # lane


@dataclass(frozen=True)
class MemoryTask:
    """Noise with one marked pulse; the answer, at the last step, is the pulse's sign.

    A sequence has `n_steps` = lead + lag + 1 steps, so even an event `lag` steps back has `lead`
    noise steps before it (the network cannot find it by counting from the start).
    """

    lag: int
    lead: int = 4  # noise steps before the earliest event
    noise: float = 0.5  # distractor amplitude: values ~ U(-noise, noise); the pulse is exactly +-1

    @property
    def n_steps(self) -> int:
        return self.lead + self.lag + 1

    def batch(self, n: int, generator: torch.Generator, *, exact: bool = True
              ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """n sequences: x (n, T, 2) float32, label (n,) 1.0 for a +1 pulse else 0.0, event (n,) its step.

        exact: the event exactly `lag` steps before the last step (tests); else anywhere 1..lag back (training).
        """
        T = self.n_steps
        x = torch.zeros(n, T, len(FEATURES))
        x[:, :, 0] = (torch.rand(n, T, generator=generator) * 2 - 1) * self.noise  # (n, T) distractors
        sign = torch.randint(0, 2, (n,), generator=generator) * 2 - 1  # (n,) +-1
        back = torch.full((n,), self.lag) if exact else torch.randint(1, self.lag + 1, (n,), generator=generator)
        event = (T - 1) - back  # (n,)
        rows = torch.arange(n)
        x[rows, event, 0] = sign.float()
        x[rows, event, 1] = 1.0
        return x, (sign > 0).float(), event

    def probe_pair(self, seed: int) -> tuple[torch.Tensor, torch.Tensor, int]:
        """One noise sequence twice, with a +1 and a -1 event exactly `lag` steps back: (T, 2), (T, 2), event step."""
        x, _, event = self.batch(1, torch.Generator().manual_seed(seed), exact=True)
        plus, minus = x[0].clone(), x[0].clone()
        step = int(event[0])
        plus[step, 0], minus[step, 0] = 1.0, -1.0
        return plus, minus, step


class MemoryNet(nn.Module):
    """One layer of a registered cell and a linear read-out of its last hidden state: (B, T, 2) -> logits (B,).

    Initialised from its own generator (no global RNG, so networks can be built in parallel and
    still be reproducible) with torch's own distributions: every parameter ~ U(-1/sqrt(H), 1/sqrt(H)).
    The keep gate's bias then starts at `keep_bias` (see set_keep_bias).
    """

    def __init__(self, cell: str, hidden: int, *, seed: int = 0, keep_bias: float = 1.0) -> None:
        super().__init__()
        self.cell = cells.get(cell).name
        self.rnn = cells.get(cell).build(len(FEATURES), hidden, batch_first=True)
        self.head = nn.Linear(hidden, 1)
        generator = torch.Generator().manual_seed(seed)
        bound = 1 / math.sqrt(hidden)  # nn.LSTM's init, and nn.Linear's for fan_in = hidden
        with torch.no_grad():
            for param in self.parameters():
                param.uniform_(-bound, bound, generator=generator)
        if keep_bias:
            set_keep_bias(self.rnn, keep_bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(x)  # (B, T, H)
        return self.head(out[:, -1]).squeeze(-1)  # (B,)


def set_keep_bias(rnn: nn.Module, value: float) -> None:
    """Bias of the cell's keep gate (the registry's `keep_gate`) `value` towards keeping (b_i* = value for a gate
    that keeps at 1, -value for one that keeps at 0 like the MGU's; b_h* = 0); no-op without one."""
    cell = cells.of_module(rnn)
    if cell.keep_gate is None or not rnn.bias:
        return
    block = cell.gate_rows.index(cell.symbols[cell.keep_gate])
    rows = slice(block * rnn.hidden_size, (block + 1) * rnn.hidden_size)
    with torch.no_grad():
        for name, param in rnn.named_parameters():
            if name.startswith("bias_ih"):
                param[rows] = value if cell.keeps_at == 1 else -value
            elif name.startswith("bias_hh"):
                param[rows] = 0.0


def parameter_count(cell: str, hidden: int) -> int:
    """Parameters of a MemoryNet(cell, hidden), read-out included."""
    module = cells.get(cell).build(len(FEATURES), hidden, batch_first=True)
    return sum(p.numel() for p in module.parameters()) + hidden + 1


def hidden_for_budget(cell: str, budget: int) -> int:
    """The hidden size whose MemoryNet has the parameter count nearest to `budget` (the smaller on a tie)."""
    low, high = 1, 1
    while parameter_count(cell, high) < budget:
        low, high = high, high * 2
    while high - low > 1:  # count(low) < budget <= count(high)
        mid = (low + high) // 2
        low, high = (mid, high) if parameter_count(cell, mid) < budget else (low, mid)
    return min((low, high), key=lambda h: (abs(parameter_count(cell, h) - budget), h))


@dataclass(frozen=True)
class Training:
    """How one network learns the task: the same for every cell and lag of a race."""

    steps: int = 300  # Adam steps
    batch_size: int = 64  # fresh sequences per step
    lr: float = 1e-2
    clip: float = 1.0  # max gradient norm
    keep_bias: float = 1.0  # initial bias of the keep gate (forget f, GRU update z); 0 leaves torch's init
    seed: int = 0  # initial weights, training batches and test set


def train_network(cell: str, hidden: int, task: MemoryTask, training: Training = Training(),
                  tick: Callable[[int], Optional[bool]] | None = None) -> MemoryNet | None:
    """A MemoryNet trained on `task`; tick(step) after each step may return False to stop (then None)."""
    net = MemoryNet(cell, hidden, seed=training.seed, keep_bias=training.keep_bias)
    optimizer = torch.optim.Adam(net.parameters(), lr=training.lr)
    loss_fn = nn.BCEWithLogitsLoss()
    data = torch.Generator().manual_seed(_stream(training.seed, task.lag, 0))  # the same batches for every cell
    net.train()
    for step in range(1, training.steps + 1):
        x, label, _ = task.batch(training.batch_size, data, exact=False)
        loss = loss_fn(net(x), label)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(net.parameters(), training.clip)
        optimizer.step()
        if tick is not None and tick(step) is False:
            return None
    net.eval()
    return net


def test_set(task: MemoryTask, n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The n test sequences of `task` for `seed`, the event exactly `lag` steps back (the same for every cell)."""
    return task.batch(n, torch.Generator().manual_seed(_stream(seed, task.lag, 1)), exact=True)


@torch.no_grad()
def accuracy(net: MemoryNet, task: MemoryTask, n: int = 500, seed: int = 0) -> float:
    """Share of the n test sequences whose sign the network gets right (0.5 is a coin toss)."""
    x, label, _ = test_set(task, n, seed)
    return float(((net(x) > 0).float() == label).float().mean())


def probe_traces(models: dict[str, MemoryNet], task: MemoryTask, seed: int = 0) -> pd.DataFrame:
    """Every quantity of every unit of each network on one noise sequence run twice, with a +1 and a
    -1 event exactly `lag` steps back (task.probe_pair): cell, event ("+1"/"-1"), step, since_event,
    layer, unit, quantity, value. Whatever differs between the two runs is the network's memory of the event."""
    plus, minus, event = task.probe_pair(seed)
    frames = []
    for name, net in models.items():
        for sign, x in (("+1", plus), ("-1", minus)):
            frame = compute_trace(net.rnn, x).to_frame().drop(columns="timestamp")
            frames.append(frame.assign(cell=name, event=sign, since_event=frame["step"] - event))
    if not frames:
        return pd.DataFrame(columns=TRACE_COLUMNS)
    return pd.concat(frames, ignore_index=True)[list(TRACE_COLUMNS)].astype({"quantity": str})


def memory_quantity(cell: str) -> str:
    """Where a cell keeps its memory: its cell state, or its hidden state when it has none."""
    return "cell" if "cell" in cells.get(cell).quantities else "hidden"


def _both_runs(traces: pd.DataFrame, cell: str, quantity: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """since_event (T,) and the +1 and -1 runs' values (T, U) of one quantity."""
    rows = traces[(traces["cell"] == cell) & (traces["quantity"] == quantity)]
    table = rows.pivot_table(index=["event", "since_event"], columns="unit", values="value")
    return table.loc["+1"].index.to_numpy(), table.loc["+1"].to_numpy(), table.loc["-1"].to_numpy()


def carrier_unit(traces: pd.DataFrame, cell: str) -> int:
    """The unit that carries the event: the one whose memory, as the output sees it (tanh of a
    cell state, a hidden state as it is), differs most between the two runs, on average from the event on."""
    quantity = memory_quantity(cell)
    since, plus, minus = _both_runs(traces, cell, quantity)
    if quantity == "cell":
        plus, minus = np.tanh(plus), np.tanh(minus)
    return int(np.abs(plus - minus)[since >= 0].mean(axis=0).argmax())


def lane(traces: pd.DataFrame, cell: str, unit: int | None = None) -> pd.DataFrame:
    """One unit's memory and keep gate on both runs (default: the carrier unit): LANE_COLUMNS, at most 4T rows."""
    unit = carrier_unit(traces, cell) if unit is None else unit
    keep = cells.get(cell).keep_gate
    wanted = {memory_quantity(cell): "memory", **({keep: "keep gate"} if keep else {})}
    rows = traces[(traces["cell"] == cell) & (traces["unit"] == unit) & traces["quantity"].isin(list(wanted))]
    return rows.assign(role=rows["quantity"].map(wanted))[list(LANE_COLUMNS)].reset_index(drop=True)


def memory_lane(traces: pd.DataFrame) -> pd.DataFrame:
    """The lane of every traced cell's carrier unit, one after the other."""
    names = list(dict.fromkeys(traces["cell"]))
    if not names:
        return pd.DataFrame(columns=LANE_COLUMNS)
    return pd.concat([lane(traces, name) for name in names], ignore_index=True)


def event_gap(traces: pd.DataFrame) -> pd.DataFrame:
    """How much of the event each network still holds: the distance between the two runs' memories
    over all units, ||m(+1) - m(-1)||, at each step from the event on: cell, since_event, gap."""
    frames = []
    for name in dict.fromkeys(traces["cell"]):
        since, plus, minus = _both_runs(traces, name, memory_quantity(name))
        after = since >= 0
        frames.append(pd.DataFrame({"cell": name, "since_event": since[after],
                                    "gap": np.linalg.norm(plus - minus, axis=1)[after]}))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["cell", "since_event", "gap"])


def parse_lags(text: str) -> tuple[int, ...]:
    """'5,10,20' -> (5, 10, 20), with a one-line UserError naming what is wrong."""
    parts = [p.strip() for p in str(text).split(",")]
    if not parts or not all(p.isdigit() for p in parts):
        raise UserError(f"lags {text!r} must be whole numbers separated by commas, e.g. 5,10,20,50,100")
    return tuple(int(p) for p in parts)


def _stream(seed: int, lag: int, purpose: int) -> int:
    """A generator seed for one (seed, lag, purpose): 0 training batches, 1 test set."""
    return (seed * 1_000_003 + lag) * 2 + purpose
