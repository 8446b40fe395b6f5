"""The cell registry (DESIGN decision 12): every fact about each recurrent cell, in one entry.

Model building, traces, the reference cell, folding, charts and the inspection views all read
`CELLS`. A new cell is one `Cell` entry here plus its gate maths (`gates` for the trace engine,
`step` for the float64 reference), and, when no fused torch op runs it, its module in model.py.

Importing this module does not import torch (the dashboard's first page needs none); the maths
import it when first called.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple

from .errors import UserError

if TYPE_CHECKING:
    from torch import Tensor, dtype, nn


class Weights(NamedTuple):
    """One layer and direction's parameters; the bias rows are zeros when the module has none."""

    w_ih: Tensor  # (G*H, D): row blocks in the order of Cell.gate_rows
    w_hh: Tensor  # (G*H, H)
    b_ih: Tensor  # (G*H,)
    b_hh: Tensor  # (G*H,)
    peephole: Tensor | None = None  # (3, H): p_i, p_f, p_o of a peephole LSTM
    nonlinearity: str = "tanh"  # a vanilla RNN's: "tanh" or "relu"


class Steps(NamedTuple):
    """n consecutive steps of one layer and direction, for the trace engine's gate maths."""

    x: Tensor  # (n, D): the layer's input at each step
    h_prev: Tensor  # (n, H): hidden state before each step (zeros before the first)
    c_prev: Tensor | None  # (n, H): cell state before each step, for cells whose module returns it
    c: Tensor | None  # (n, H): cell state after each step, likewise


# (row symbol, W_h* of the row (H, H), b_h* of the row (H,), h_prev (T, H), traced quantities (T, H) by name) ->
# (the recurrent part, the bias left to add) of that row's pre-activation, float64 NumPy; None: the plain split
RecurrentPart = Callable[[str, Any, Any, Any, Mapping[str, Any]], "tuple[Any, Any] | None"]
GateMaths = Callable[[Weights, Steps, Mapping[str, "Tensor"]], None]
StepMaths = Callable[[Weights, "Tensor", "Tensor", "Tensor"], dict[str, "Tensor"]]


@dataclass(frozen=True)
class Cell:
    """Everything the package knows about one recurrent cell."""

    name: str  # the config value and CLI choice
    label: str  # what users read
    module: str  # "package.module:Class" of its torch module, imported when first built
    gate_rows: tuple[str, ...]  # symbols of the row blocks of weight_ih / weight_hh, in order
    quantities: tuple[str, ...]  # traced at every step, in this order; "hidden" last
    symbols: Mapping[str, str]  # quantity -> its symbol in the equations and the walkthrough
    sigmoid_gates: tuple[str, ...]  # quantities in [0, 1]: drawn on the gate scale, checked for saturation
    keep_gate: str | None  # the gate that decides how much of the past is kept
    keeps_at: int | None  # where that gate keeps the past: 1 (LSTM f, GRU z) or 0 (MGU f: 1 replaces); None: no gate
    keep_label: str  # its name for people, or why there is none
    equations: str  # Markdown with LaTeX, PyTorch's form with both biases b_i* and b_h*
    summary: str  # one plain-text line of the state update, for chart titles
    walkthrough: tuple[str, ...]  # rows of one step, in the order of the equations
    gates: GateMaths | None  # trace engine: every gate of n steps, batched; None when there are none
    step: StepMaths  # reference: one step in float64 -> every walkthrough row after the inputs
    help: str  # one sentence for the model chooser
    colour: str  # its line in the forecast chart (Okabe & Ito 2008: distinct for colour-vision deficiencies)
    light_colour: str  # the same hue, lighter: its runs before the newest
    recurrent_part: RecurrentPart | None = None  # the drivers' split where h_prev enters a row other than W_h* h_prev
    row_words: Mapping[str, str] = field(default_factory=dict)  # walkthrough rows that are no quantity, in words
    driver_notes: Mapping[str, str] = field(default_factory=dict)  # gate ("*": any) -> a caption for its drivers view

    @property
    def fused(self) -> bool:
        """True when a fused torch op (nn.LSTM, nn.GRU, nn.RNN) runs the cell."""
        return self.module.startswith("torch.nn:")

    @property
    def has_cell_state(self) -> bool:
        """True when the cell carries a cell state c beside its hidden state (the LSTM family)."""
        return "cell" in self.quantities

    @property
    def keep_words(self) -> str:
        """How to read the keep gate's value: 'near 1 the unit keeps its memory, near 0 it forgets' or
        its reverse; '' without a keep gate."""
        if self.keep_gate is None:
            return ""
        drop = "forgets" if self.has_cell_state else "replaces it with the new candidate"
        return (f"near {self.keeps_at} the unit keeps its memory, near {1 - self.keeps_at} it {drop}")

    def kept_share(self, gate_value):
        """The share of the past the keep gate keeps, from its value (the value itself, or 1 - it)."""
        return gate_value if self.keeps_at == 1 else 1 - gate_value

    @property
    def gate_quantities(self) -> tuple[str, ...]:
        """The quantities `gates` writes: all but the states."""
        return tuple(q for q in self.quantities if q not in ("cell", "hidden"))

    @property
    def walkthrough_gates(self) -> tuple[str, ...]:
        """Walkthrough rows in [0, 1]."""
        return tuple(self.symbols[q] for q in self.sigmoid_gates)

    def module_class(self) -> type[nn.Module]:
        path, name = self.module.split(":")
        return getattr(importlib.import_module(path), name)

    def build(self, input_size: int, hidden_size: int, *, num_layers: int = 1, bias: bool = True,
              dropout: float = 0.0, bidirectional: bool = False, batch_first: bool = True) -> nn.Module:
        """Its torch module with nn.LSTM's arguments; dropout acts between stacked layers only."""
        return self.module_class()(input_size, hidden_size, num_layers=num_layers, bias=bias, dropout=dropout,
                                   bidirectional=bidirectional, batch_first=batch_first)


def get(name: str) -> Cell:
    """The registered cell called `name`."""
    if name not in CELLS:
        raise UserError(f"cell {name!r} is unknown; choose one of {', '.join(CELLS)}")
    return CELLS[name]


def of_module(module: nn.Module) -> Cell:
    """The registered cell a torch recurrent module runs (nn.RNN with either nonlinearity is 'rnn')."""
    for cell in CELLS.values():
        if type(module) is cell.module_class():
            return cell
    for cell in CELLS.values():
        if isinstance(module, cell.module_class()):
            return cell
    modules = ", ".join(c.module.replace("torch.nn:", "nn.").split(":")[-1] for c in CELLS.values())
    raise TypeError(f"expected one of {modules}, got {type(module).__name__}")


def weights(module: nn.Module, layer: int, direction: int, dtype: dtype | None = None,
            device: str | None = None) -> Weights:
    """Parameters of one layer and direction (detached), optionally cast; zero biases if bias=False."""
    if not 0 <= layer < module.num_layers:
        raise ValueError(f"layer {layer} out of range; choose 0..{module.num_layers - 1}")
    suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")

    def param(name: str) -> Tensor:
        return getattr(module, name + suffix).detach().to(dtype=dtype, device=device)

    w_ih, w_hh = param("weight_ih"), param("weight_hh")
    if module.bias:
        b_ih, b_hh = param("bias_ih"), param("bias_hh")
    else:
        b_ih = b_hh = w_ih.new_zeros(w_ih.shape[0])
    peephole = param("peephole") if hasattr(module, "peephole" + suffix) else None
    return Weights(w_ih, w_hh, b_ih, b_hh, peephole, getattr(module, "nonlinearity", "tanh"))


# --- gate maths for the trace engine ---------------------------------------------------------
# Each fills `out[q]` (n, H views into the trace) for its gate quantities from n steps at once:
# one affine map into a (n, G*H) scratch, then activations written straight to their places.
# tanh(v) is taken as 2*sigmoid(2v) - 1 (doubling is exact in floating point): torch's CPU tanh
# is several times slower than its sigmoid.


def _affine(w: Weights, at: Steps) -> Tensor:
    """x W_ih^T + b_ih + h_prev W_hh^T + b_hh: (n, G*H)."""
    import torch  # deferred: torch

    pre = torch.addmm(w.b_ih + w.b_hh, at.x, w.w_ih.T)
    return pre.addmm_(at.h_prev, w.w_hh.T)


def _tanh_into(v: Tensor, out: Tensor) -> None:
    """out = tanh(v) as 2*sigmoid(2v) - 1; v is scratch and is overwritten."""
    import torch  # deferred: torch

    torch.sigmoid(v.mul_(2), out=out).mul_(2).sub_(1)


def _lstm_gates(w: Weights, at: Steps, out: Mapping[str, Tensor]) -> None:
    import torch  # deferred: torch

    i, f, g, o = _affine(w, at).chunk(4, dim=1)
    torch.sigmoid(i, out=out["input"])
    torch.sigmoid(f, out=out["forget"])
    _tanh_into(g, out["candidate"])
    torch.sigmoid(o, out=out["output"])


def _gru_gates(w: Weights, at: Steps, out: Mapping[str, Tensor]) -> None:
    import torch  # deferred: torch

    gi = torch.addmm(w.b_ih, at.x, w.w_ih.T)  # (n, 3H): W_i* x + b_i*
    gh = torch.addmm(w.b_hh, at.h_prev, w.w_hh.T)  # (n, 3H): W_h* h_prev + b_h*
    (gi_r, gi_z, gi_n), (gh_r, gh_z, gh_n) = gi.chunk(3, dim=1), gh.chunk(3, dim=1)
    torch.sigmoid(gi_r.add_(gh_r), out=out["reset"])
    torch.sigmoid(gi_z.add_(gh_z), out=out["update"])
    _tanh_into(gi_n.addcmul_(out["reset"], gh_n), out["candidate"])  # n = tanh(W_in x + b_in + r*(W_hn h + b_hn))


def _peephole_gates(w: Weights, at: Steps, out: Mapping[str, Tensor]) -> None:
    import torch  # deferred: torch

    i, f, g, o = _affine(w, at).chunk(4, dim=1)
    p_i, p_f, p_o = w.peephole.unbind(0)
    torch.sigmoid(i.addcmul_(at.c_prev, p_i), out=out["input"])
    torch.sigmoid(f.addcmul_(at.c_prev, p_f), out=out["forget"])
    _tanh_into(g, out["candidate"])
    torch.sigmoid(o.addcmul_(at.c, p_o), out=out["output"])  # the output gate sees the new cell state


def _coupled_gates(w: Weights, at: Steps, out: Mapping[str, Tensor]) -> None:
    import torch  # deferred: torch

    f, g, o = _affine(w, at).chunk(3, dim=1)
    torch.sigmoid(f, out=out["forget"])
    torch.neg(out["forget"], out=out["input"]).add_(1)  # i = 1 - f
    _tanh_into(g, out["candidate"])
    torch.sigmoid(o, out=out["output"])


def _mgu_gates(w: Weights, at: Steps, out: Mapping[str, Tensor]) -> None:
    import torch  # deferred: torch

    size = w.w_hh.shape[1]
    rows_f, rows_n = slice(0, size), slice(size, 2 * size)
    pre_f = torch.addmm(w.b_ih[rows_f] + w.b_hh[rows_f], at.x, w.w_ih[rows_f].T).addmm_(at.h_prev, w.w_hh[rows_f].T)
    torch.sigmoid(pre_f, out=out["forget"])
    pre_n = torch.addmm(w.b_ih[rows_n] + w.b_hh[rows_n], at.x, w.w_ih[rows_n].T)
    _tanh_into(pre_n.addmm_(out["forget"] * at.h_prev, w.w_hh[rows_n].T), out["candidate"])  # n sees f*h_prev


def _gru_recurrent(row, w_h, b_h, h_prev, traced):
    if row != "n":
        return None
    return traced["reset"] * (h_prev @ w_h.T + b_h), 0.0  # r * (W_hn h + b_hn): the reset product, bias included


def _mgu_recurrent(row, w_h, b_h, h_prev, traced):
    if row != "n":
        return None
    return (traced["forget"] * h_prev) @ w_h.T, b_h  # W_hn (f * h_prev): the forget gate gates what n reads


# --- reference steps: one step in float64, straight from the equations ------------------------


def _blocks(w: Weights, n: int) -> list[tuple[Tensor, Tensor, Tensor, Tensor]]:
    """(W_i*, W_h*, b_i*, b_h*) of each of the n gate row blocks."""
    return list(zip(w.w_ih.chunk(n), w.w_hh.chunk(n), w.b_ih.chunk(n), w.b_hh.chunk(n)))


def _pre(block: tuple[Tensor, Tensor, Tensor, Tensor], x: Tensor, h: Tensor) -> Tensor:
    w_i, w_h, b_i, b_h = block
    return w_i @ x + b_i + w_h @ h + b_h


def _lstm_step(w: Weights, x: Tensor, h: Tensor, c: Tensor) -> dict[str, Tensor]:
    import torch  # deferred: torch

    rows_i, rows_f, rows_g, rows_o = _blocks(w, 4)
    i = torch.sigmoid(_pre(rows_i, x, h))
    f = torch.sigmoid(_pre(rows_f, x, h))
    g = torch.tanh(_pre(rows_g, x, h))
    o = torch.sigmoid(_pre(rows_o, x, h))
    c_new = f * c + i * g
    return {"i": i, "f": f, "g": g, "o": o, "f*c_prev": f * c, "i*g": i * g, "c": c_new,
            "tanh(c)": torch.tanh(c_new), "h": o * torch.tanh(c_new)}


def _gru_step(w: Weights, x: Tensor, h: Tensor, c: Tensor) -> dict[str, Tensor]:
    import torch  # deferred: torch

    (w_ir, w_hr, b_ir, b_hr), (w_iz, w_hz, b_iz, b_hz), (w_in, w_hn, b_in, b_hn) = _blocks(w, 3)
    r = torch.sigmoid(w_ir @ x + b_ir + w_hr @ h + b_hr)
    z = torch.sigmoid(w_iz @ x + b_iz + w_hz @ h + b_hz)
    n = torch.tanh(w_in @ x + b_in + r * (w_hn @ h + b_hn))
    return {"r": r, "z": z, "n": n, "(1-z)*n": (1 - z) * n, "z*h_prev": z * h, "h": (1 - z) * n + z * h}


def _rnn_step(w: Weights, x: Tensor, h: Tensor, c: Tensor) -> dict[str, Tensor]:
    import torch  # deferred: torch

    pre = w.w_ih @ x + w.b_ih + w.w_hh @ h + w.b_hh
    return {"pre-activation": pre, "h": torch.tanh(pre) if w.nonlinearity == "tanh" else torch.relu(pre)}


def _peephole_step(w: Weights, x: Tensor, h: Tensor, c: Tensor) -> dict[str, Tensor]:
    import torch  # deferred: torch

    rows_i, rows_f, rows_g, rows_o = _blocks(w, 4)
    p_i, p_f, p_o = w.peephole
    i = torch.sigmoid(_pre(rows_i, x, h) + p_i * c)
    f = torch.sigmoid(_pre(rows_f, x, h) + p_f * c)
    g = torch.tanh(_pre(rows_g, x, h))
    c_new = f * c + i * g
    o = torch.sigmoid(_pre(rows_o, x, h) + p_o * c_new)
    return {"i": i, "f": f, "g": g, "f*c_prev": f * c, "i*g": i * g, "c": c_new, "o": o,
            "tanh(c)": torch.tanh(c_new), "h": o * torch.tanh(c_new)}


def _coupled_step(w: Weights, x: Tensor, h: Tensor, c: Tensor) -> dict[str, Tensor]:
    import torch  # deferred: torch

    rows_f, rows_g, rows_o = _blocks(w, 3)
    f = torch.sigmoid(_pre(rows_f, x, h))
    i = 1 - f
    g = torch.tanh(_pre(rows_g, x, h))
    o = torch.sigmoid(_pre(rows_o, x, h))
    c_new = f * c + i * g
    return {"f": f, "i": i, "g": g, "o": o, "f*c_prev": f * c, "i*g": i * g, "c": c_new,
            "tanh(c)": torch.tanh(c_new), "h": o * torch.tanh(c_new)}


def _mgu_step(w: Weights, x: Tensor, h: Tensor, c: Tensor) -> dict[str, Tensor]:
    import torch  # deferred: torch

    (w_if, w_hf, b_if, b_hf), (w_in, w_hn, b_in, b_hn) = _blocks(w, 2)
    f = torch.sigmoid(w_if @ x + b_if + w_hf @ h + b_hf)
    n = torch.tanh(w_in @ x + b_in + w_hn @ (f * h) + b_hn)
    return {"f": f, "f*h_prev": f * h, "n": n, "(1-f)*h_prev": (1 - f) * h, "f*n": f * n, "h": (1 - f) * h + f * n}


# --- the registry ----------------------------------------------------------------------------

_LSTM_SYMBOLS = MappingProxyType(
    {"input": "i", "forget": "f", "candidate": "g", "output": "o", "cell": "c", "hidden": "h"})
_LSTM_QUANTITIES = ("input", "forget", "candidate", "output", "cell", "hidden")
_LSTM_GATES = ("input", "forget", "output")
_LSTM_WORDS = MappingProxyType({"f*c_prev": "memory kept", "i*g": "new content", "tanh(c)": "squashed cell state"})
_CANDIDATE = r"$g_t = \tanh(W_{ig}x_t + b_{ig} + W_{hg}h_{t-1} + b_{hg})$ (candidate)"
_LSTM_UPDATE = (r"$c_t = f_t \odot c_{t-1} + i_t \odot g_t$ (keep part of the old memory, add part of the "
                r"candidate) · $h_t = o_t \odot \tanh(c_t)$ (show part of the memory)")

_ENTRIES: dict[str, Cell] = {cell.name: cell for cell in (
    Cell(
        name="lstm",
        label="LSTM",
        module="torch.nn:LSTM",
        gate_rows=("i", "f", "g", "o"),
        quantities=_LSTM_QUANTITIES,
        symbols=_LSTM_SYMBOLS,
        sigmoid_gates=_LSTM_GATES,
        keep_gate="forget",
        keeps_at=1,
        keep_label="forget gate f",
        equations="\n".join([
            r"$i_t = \sigma(W_{ii}x_t + b_{ii} + W_{hi}h_{t-1} + b_{hi})$ (input gate) ·",
            r"$f_t = \sigma(W_{if}x_t + b_{if} + W_{hf}h_{t-1} + b_{hf})$ (forget gate) ·",
            _CANDIDATE + " ·",
            r"$o_t = \sigma(W_{io}x_t + b_{io} + W_{ho}h_{t-1} + b_{ho})$ (output gate)",
            "",
            _LSTM_UPDATE,
        ]),
        summary="c = f*c_prev + i*g,  h = o*tanh(c)",
        walkthrough=("x_t", "h_prev", "c_prev", "i", "f", "g", "o", "f*c_prev", "i*g", "c", "tanh(c)", "h"),
        gates=_lstm_gates,
        step=_lstm_step,
        help="gated, with a separate cell state (PyTorch's fused nn.LSTM)",
        colour="#0072B2",
        light_colour="#56B4E9",
        row_words=_LSTM_WORDS,
    ),
    Cell(
        name="gru",
        label="GRU",
        module="torch.nn:GRU",
        gate_rows=("r", "z", "n"),
        quantities=("reset", "update", "candidate", "hidden"),
        symbols=MappingProxyType({"reset": "r", "update": "z", "candidate": "n", "hidden": "h"}),
        sigmoid_gates=("reset", "update"),
        keep_gate="update",
        keeps_at=1,
        keep_label="update gate z (keep-the-past gate)",
        equations="\n".join([
            r"$r_t = \sigma(W_{ir}x_t + b_{ir} + W_{hr}h_{t-1} + b_{hr})$ (reset gate) ·",
            r"$z_t = \sigma(W_{iz}x_t + b_{iz} + W_{hz}h_{t-1} + b_{hz})$ (update gate: keep the past) ·",
            r"$n_t = \tanh(W_{in}x_t + b_{in} + r_t \odot (W_{hn}h_{t-1} + b_{hn}))$ (candidate)",
            "",
            r"$h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}$",
        ]),
        summary="h = (1 - z)*n + z*h_prev,  n = tanh(W_in x_t + b_in + r*(W_hn h_prev + b_hn))",
        walkthrough=("x_t", "h_prev", "r", "z", "n", "(1-z)*n", "z*h_prev", "h"),
        gates=_gru_gates,
        step=_gru_step,
        help="fewer gates and no cell state (PyTorch's fused nn.GRU)",
        colour="#D55E00",
        light_colour="#EE8866",
        recurrent_part=_gru_recurrent,
        row_words=MappingProxyType({"(1-z)*n": "new content", "z*h_prev": "memory kept"}),
        driver_notes=MappingProxyType({"candidate": "The GRU's candidate is tanh(W x + b + r ⊙ (W h + b)): the reset gate's "
                                              "product, its bias included, is the recurrent part."}),
    ),
    Cell(
        name="rnn",
        label="RNN",
        module="torch.nn:RNN",
        gate_rows=("h",),
        quantities=("hidden",),
        symbols=MappingProxyType({"hidden": "h"}),
        sigmoid_gates=(),
        keep_gate=None,
        keeps_at=None,
        keep_label="no gates: a vanilla RNN has only its hidden state",
        equations=r"$h_t = \tanh(W_{ih}x_t + b_{ih} + W_{hh}h_{t-1} + b_{hh})$ — no gates: every step "
                  r"rewrites the whole state.",
        summary="h = tanh(pre-activation),  pre-activation = W_ih x_t + b_ih + W_hh h_prev + b_hh",
        walkthrough=("x_t", "h_prev", "pre-activation", "h"),
        gates=None,
        step=_rnn_step,
        help="no gates at all: every step rewrites the state (PyTorch's fused nn.RNN, tanh)",
        colour="#009E73",
        light_colour="#44BB99",
        row_words=MappingProxyType({"pre-activation": "before tanh"}),
    ),
    Cell(
        name="lstm-peephole",
        label="Peephole LSTM",
        module="lstm_forecast.model:PeepholeLSTM",
        gate_rows=("i", "f", "g", "o"),
        quantities=_LSTM_QUANTITIES,
        symbols=_LSTM_SYMBOLS,
        sigmoid_gates=_LSTM_GATES,
        keep_gate="forget",
        keeps_at=1,
        keep_label="forget gate f",
        equations="\n".join([
            r"$i_t = \sigma(W_{ii}x_t + b_{ii} + W_{hi}h_{t-1} + b_{hi} + p_i \odot c_{t-1})$ (input gate) ·",
            r"$f_t = \sigma(W_{if}x_t + b_{if} + W_{hf}h_{t-1} + b_{hf} + p_f \odot c_{t-1})$ (forget gate) ·",
            _CANDIDATE,
            "",
            r"$c_t = f_t \odot c_{t-1} + i_t \odot g_t$ ·",
            r"$o_t = \sigma(W_{io}x_t + b_{io} + W_{ho}h_{t-1} + b_{ho} + p_o \odot c_t)$ (output gate) ·",
            r"$h_t = o_t \odot \tanh(c_t)$",
            "",
            r"The gates also peek at the cell state through diagonal weights $p_i, p_f, p_o$ "
            r"(Gers & Schmidhuber 2000).",
        ]),
        summary="c = f*c_prev + i*g,  h = o*tanh(c);  i, f also see c_prev, o sees c",
        walkthrough=("x_t", "h_prev", "c_prev", "i", "f", "g", "f*c_prev", "i*g", "c", "o", "tanh(c)", "h"),
        gates=_peephole_gates,
        step=_peephole_step,
        help="an LSTM whose gates also see the cell state (Gers & Schmidhuber 2000); a custom module, "
             "slower to train than the fused cells",
        colour="#CC79A7",
        light_colour="#AA3377",
        row_words=_LSTM_WORDS,
    ),
    Cell(
        name="lstm-coupled",
        label="Coupled-gate LSTM (CIFG)",
        module="lstm_forecast.model:CoupledLSTM",
        gate_rows=("f", "g", "o"),
        quantities=_LSTM_QUANTITIES,
        symbols=_LSTM_SYMBOLS,
        sigmoid_gates=_LSTM_GATES,  # i = 1 - f = sigmoid(-pre_f) is a sigmoid gate too
        keep_gate="forget",
        keeps_at=1,
        keep_label="forget gate f (the input gate is 1 - f)",
        equations="\n".join([
            r"$f_t = \sigma(W_{if}x_t + b_{if} + W_{hf}h_{t-1} + b_{hf})$ (forget gate) ·",
            r"$i_t = 1 - f_t$ (input gate, coupled: no weights of its own) ·",
            _CANDIDATE + " ·",
            r"$o_t = \sigma(W_{io}x_t + b_{io} + W_{ho}h_{t-1} + b_{ho})$ (output gate)",
            "",
            _LSTM_UPDATE,
        ]),
        summary="c = f*c_prev + (1 - f)*g,  h = o*tanh(c)",
        walkthrough=("x_t", "h_prev", "c_prev", "f", "i", "g", "o", "f*c_prev", "i*g", "c", "tanh(c)", "h"),
        gates=_coupled_gates,
        step=_coupled_step,
        help="an LSTM whose input gate is 1 - forget gate (CIFG): a quarter fewer weights; a custom "
             "module, slower to train than the fused cells",
        colour="#E69F00",
        light_colour="#DDCC77",
        row_words=_LSTM_WORDS,
        driver_notes=MappingProxyType({"*": "The input gate is 1 − f: its drivers are the forget gate's, with the sign "
                                             "turned."}),
    ),
    Cell(
        name="mgu",
        label="MGU",
        module="lstm_forecast.model:MGU",
        gate_rows=("f", "n"),
        quantities=("forget", "candidate", "hidden"),
        symbols=MappingProxyType({"forget": "f", "candidate": "n", "hidden": "h"}),
        sigmoid_gates=("forget",),
        keep_gate="forget",
        keeps_at=0,
        keep_label="forget gate f (1 replaces)",
        equations="\n".join([
            r"$f_t = \sigma(W_{if}x_t + b_{if} + W_{hf}h_{t-1} + b_{hf})$ (forget gate: how much to replace) ·",
            r"$n_t = \tanh(W_{in}x_t + b_{in} + W_{hn}(f_t \odot h_{t-1}) + b_{hn})$ (candidate) ·",
            "",
            r"$h_t = (1 - f_t) \odot h_{t-1} + f_t \odot n_t$",
            "",
            r"One gate and no cell state (the minimal gated unit, Zhou et al. 2016): at $f = 1$ the state is "
            r"replaced by the candidate, at $f = 0$ it is kept as it was.",
        ]),
        summary="h = (1 - f)*h_prev + f*n,  n = tanh(W_in x_t + b_in + W_hn (f*h_prev) + b_hn)",
        walkthrough=("x_t", "h_prev", "f", "f*h_prev", "n", "(1-f)*h_prev", "f*n", "h"),
        gates=_mgu_gates,
        step=_mgu_step,
        help="one gate and no cell state (minimal gated unit, Zhou et al. 2016); a custom module, slower to "
             "train than the fused cells",
        colour="#882255",
        light_colour="#C27BA0",
        recurrent_part=_mgu_recurrent,
        row_words=MappingProxyType({"f*h_prev": "the memory the candidate reads", "(1-f)*h_prev": "memory kept",
                                    "f*n": "new content"}),
        driver_notes=MappingProxyType({"candidate": "The MGU's candidate is tanh(W x + b + W (f ⊙ h) + b): the "
                                                    "forget gate's product with the last state is its recurrent "
                                                    "part."}),
    ),
)}
CELLS: Mapping[str, Cell] = MappingProxyType(_ENTRIES)  # a live read-only view: register() adds to it


def register(cell: Cell) -> None:
    """Add `cell` to the registry (a cell of one's own, or a scratch entry in a test): every reader of CELLS
    and `by_name` sees it at once. A name already registered is refused."""
    if cell.name in _ENTRIES:
        raise ValueError(f"a cell called {cell.name!r} is registered already")
    _ENTRIES[cell.name] = cell


def unregister(name: str) -> None:
    """Remove a cell `register` added; the built-in cells stay."""
    if name in _BUILT_IN:
        raise ValueError(f"{name!r} is a built-in cell and stays registered")
    _ENTRIES.pop(name, None)


class _ByName(Mapping):
    def __init__(self, attribute: str) -> None:
        self._attribute = attribute

    def __getitem__(self, name: str):
        return getattr(CELLS[name], self._attribute)

    def __iter__(self):
        return iter(CELLS)

    def __len__(self) -> int:
        return len(CELLS)


def by_name(attribute: str) -> Mapping[str, Any]:
    """A live read-only map of cell name -> that attribute of its entry (`by_name("colour")["gru"]`)."""
    return _ByName(attribute)


_BUILT_IN = frozenset(_ENTRIES)
