"""One Forecaster over any registered cell: a recurrent encoder and a direct multi-horizon head.

The fused cells are PyTorch's nn.LSTM, nn.GRU and nn.RNN. The LSTM variants no fused op runs
(peephole, coupled input-forget gate) are custom modules below, with nn.LSTM's interface and
parameter names. Their recurrence is a hand-written autograd Function: a step loop forward and
backpropagation through time by hand, so each step costs a handful of tensor ops and the weight
gradients come out of one matmul over all steps. TorchScript and torch.compile did not beat it on
CPU (bench/train_speed.py --cells, README): scripting was no faster than eager autograd and is
deprecated; torch.compile unrolls the step loop and took minutes to warm up.
"""
from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from . import cells
from .config import Config
from .errors import UserError


class Forecaster(nn.Module):
    """(B, L, F) windows -> (B, H) scaled forecasts, all horizons in one forward pass."""

    def __init__(self, n_features: int, config: Config) -> None:
        super().__init__()
        self.n_features = n_features
        self.config = config
        self.rnn = cells.get(config.cell).build(
            n_features,
            config.hidden,
            num_layers=config.layers,
            dropout=config.dropout if config.layers > 1 else 0.0,
            bidirectional=config.bidirectional,
            batch_first=True,
        )
        directions = 2 if config.bidirectional else 1
        self.dropout = nn.Dropout(config.dropout)
        self.head = nn.Linear(directions * config.hidden, config.horizon)
        # Start close to "no correction": the first forecasts equal the base (seasonal naive).
        with torch.no_grad():
            self.head.weight.mul_(0.1)
            self.head.bias.zero_()

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """The summary of each window the head reads: (B, L, F) -> (B, D*hidden)."""
        out, _ = self.rnn(x)  # (B, L, D*hidden)
        if not self.config.bidirectional:
            return out[:, -1]
        h = self.config.hidden
        return torch.cat([out[:, -1, :h], out[:, 0, h:]], dim=1)  # each direction's final state

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.dropout(self.encode(x)))  # (B, H)


# --- custom LSTM variants ---------------------------------------------------------------------


class _LSTMVariant(nn.Module):
    """nn.LSTM's interface and parameter names for an LSTM variant no fused op runs.

    Parameters of layer k (and, with `_reverse`, of its backward direction): weight_ih_l{k}
    (G*H, D_k), weight_hh_l{k} (G*H, H), bias_ih_l{k}, bias_hh_l{k} (G*H,), with the G row blocks
    in the order of the registry's `gate_rows`; subclasses add their own (peephole_l{k}).
    forward(x) returns (output, (h_n, c_n)) like nn.LSTM, from a zero initial state.
    """

    cell = ""  # the registry name
    n_gates = 4

    def __init__(self, input_size: int, hidden_size: int, *, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False) -> None:
        super().__init__()
        if num_layers < 1 or hidden_size < 1:
            raise UserError(f"a {self.cell} needs hidden_size >= 1 and num_layers >= 1 "
                            f"(got {hidden_size}, {num_layers})")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout, self.bidirectional = bias, batch_first, dropout, bidirectional
        self.proj_size = 0
        gates = self.n_gates * hidden_size
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else hidden_size * self.directions
            for suffix in self._suffixes(layer):
                self.register_parameter("weight_ih" + suffix, nn.Parameter(torch.empty(gates, layer_input)))
                self.register_parameter("weight_hh" + suffix, nn.Parameter(torch.empty(gates, hidden_size)))
                if bias:
                    self.register_parameter("bias_ih" + suffix, nn.Parameter(torch.empty(gates)))
                    self.register_parameter("bias_hh" + suffix, nn.Parameter(torch.empty(gates)))
                self._extra_parameters(suffix)
        self.reset_parameters()

    @property
    def directions(self) -> int:
        return 2 if self.bidirectional else 1

    def _suffixes(self, layer: int) -> list[str]:
        return [f"_l{layer}", f"_l{layer}_reverse"][: self.directions]

    def _extra_parameters(self, suffix: str) -> None:
        """Register a subclass's own parameters of one layer and direction."""

    def reset_parameters(self) -> None:
        """Every parameter ~ U(-1/sqrt(H), 1/sqrt(H)), as nn.LSTM."""
        bound = 1 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            nn.init.uniform_(weight, -bound, bound)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """x (B, T, D) if batch_first else (T, B, D) -> output (same layout, dirs*H), (h_n, c_n) (L*dirs, B, H)."""
        if x.ndim != 3 or x.shape[-1] != self.input_size:
            raise ValueError(f"expected input of shape (batch, steps, {self.input_size}), got {tuple(x.shape)}")
        layer_in = x.transpose(0, 1) if self.batch_first else x  # (T, B, D_k)
        last_h, last_c = [], []
        for layer in range(self.num_layers):
            outs = []
            for direction, suffix in enumerate(self._suffixes(layer)):
                hs, cs = self._run(layer_in if direction == 0 else layer_in.flip(0), suffix)  # (T, B, H) each
                outs.append(hs if direction == 0 else hs.flip(0))
                last_h.append(hs[-1])
                last_c.append(cs[-1])
            layer_in = outs[0] if len(outs) == 1 else torch.cat(outs, dim=2)  # (T, B, dirs*H)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_in = F.dropout(layer_in, self.dropout, training=True)
        out = layer_in.transpose(0, 1) if self.batch_first else layer_in
        return out, (torch.stack(last_h), torch.stack(last_c))

    @torch.no_grad()
    def layer_states(self, layer: int, direction: int, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Hidden and cell state of every step (T, H) of one layer and direction run alone from a
        zero state over one sequence x (T, D_k), in x's time order (the traces use this)."""
        suffix = self._suffixes(layer)[direction]
        seq = x.unsqueeze(1) if direction == 0 else x.flip(0).unsqueeze(1)  # (T, 1, D_k)
        hs, cs = self._run(seq, suffix)
        hs, cs = hs.squeeze(1), cs.squeeze(1)
        return (hs, cs) if direction == 0 else (hs.flip(0), cs.flip(0))

    def _run(self, x: torch.Tensor, suffix: str) -> tuple[torch.Tensor, torch.Tensor]:
        """One layer and direction over time-major x (T, B, D): hidden and cell states (T, B, H)."""
        w_ih = getattr(self, "weight_ih" + suffix)
        bias = getattr(self, "bias_ih" + suffix) + getattr(self, "bias_hh" + suffix) if self.bias else None
        projected = F.linear(x, w_ih, bias)  # (T, B, G*H): every step's input term at once
        return self._recurrence(projected, suffix)

    def _recurrence(self, projected: torch.Tensor, suffix: str) -> tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError


class PeepholeLSTM(_LSTMVariant):
    """LSTM whose input and forget gates see c_{t-1} and whose output gate sees c_t (Gers &
    Schmidhuber 2000), through diagonal weights peephole_l{k} (3, H): rows p_i, p_f, p_o."""

    cell = "lstm-peephole"
    n_gates = 4

    def _extra_parameters(self, suffix: str) -> None:
        self.register_parameter("peephole" + suffix, nn.Parameter(torch.empty(3, self.hidden_size)))

    def _recurrence(self, projected, suffix):
        return _PeepholeRecurrence.apply(projected, getattr(self, "weight_hh" + suffix),
                                         getattr(self, "peephole" + suffix))


class CoupledLSTM(_LSTMVariant):
    """LSTM with coupled input and forget gates (CIFG): i = 1 - f. Row blocks f, g, o."""

    cell = "lstm-coupled"
    n_gates = 3

    def _recurrence(self, projected, suffix):
        return _CoupledRecurrence.apply(projected, getattr(self, "weight_hh" + suffix))


def _sigmoid_slope(s: torch.Tensor) -> torch.Tensor:
    """sigmoid'(v) = s * (1 - s) for s = sigmoid(v)."""
    return s - s * s


class _PeepholeRecurrence(torch.autograd.Function):
    """Peephole LSTM steps over projected (T, B, 4H) = x W_ih^T + b from a zero state.

    Returns hidden and cell states (T, B, H). Backward is backpropagation through time by hand:
    per step a few elementwise ops and one matmul, then the weight gradients over all steps at once.
    """

    @staticmethod
    def forward(ctx, projected, w_hh, peephole):
        n_steps, batch, gates = projected.shape
        size = gates // 4
        acts = torch.empty_like(projected)  # (T, B, 4H): i, f, g, o after their activations
        hs = projected.new_zeros(n_steps + 1, batch, size)  # hs[t + 1] = h_t; hs[0] = 0
        cs = projected.new_zeros(n_steps + 1, batch, size)
        tanh_c = projected.new_empty(n_steps, batch, size)
        w_t, p_if, p_o = w_hh.t(), peephole[:2].unsqueeze(0), peephole[2]  # (H, 4H), (1, 2, H), (H,)
        for t in range(n_steps):
            a = torch.addmm(projected[t], hs[t], w_t, out=acts[t])  # (B, 4H)
            i_f, g, o = a[:, : 2 * size], a[:, 2 * size: 3 * size], a[:, 3 * size:]
            i_f.view(batch, 2, size).addcmul_(cs[t].unsqueeze(1), p_if).sigmoid_()
            g.tanh_()
            c = torch.mul(a[:, size: 2 * size], cs[t], out=cs[t + 1]).addcmul_(a[:, :size], g)
            o.addcmul_(c, p_o).sigmoid_()
            torch.mul(o, torch.tanh(c, out=tanh_c[t]), out=hs[t + 1])
        ctx.save_for_backward(w_hh, peephole, acts, hs, cs, tanh_c)
        ctx.set_materialize_grads(False)
        return hs[1:], cs[1:]

    @staticmethod
    def backward(ctx, d_hs, d_cs):
        w_hh, peephole, acts, hs, cs, tanh_c = ctx.saved_tensors
        n_steps, batch, gates = acts.shape
        size = gates // 4
        i, f, g, o = acts.chunk(4, dim=2)  # (T, B, H) each
        # Per-step factors, for all steps at once: d pre_{i,f,g} = dc * [g, c_prev, i] * act', d pre_o = dh * out_o
        to_ifg = torch.cat([g * _sigmoid_slope(i), cs[:-1] * _sigmoid_slope(f), i * (1 - g * g)], dim=2)
        to_o = tanh_c * _sigmoid_slope(o)  # (T, B, H)
        h_to_c = o * (1 - tanh_c * tanh_c)  # dh -> dc through h = o * tanh(c)
        d_pre = torch.empty_like(acts)  # (T, B, 4H)
        p_i, p_f, p_o = peephole.unbind(0)
        dh = d_hs[-1].clone() if d_hs is not None else acts.new_zeros(batch, size)
        dc = d_cs[-1].clone() if d_cs is not None else acts.new_zeros(batch, size)
        for t in range(n_steps - 1, -1, -1):
            d_ifg, d_o = d_pre[t, :, : 3 * size], d_pre[t, :, 3 * size:]
            torch.mul(dh, to_o[t], out=d_o)
            dc.addcmul_(dh, h_to_c[t]).addcmul_(d_o, p_o)  # c_t reaches h_t directly and through o_t
            torch.mul(dc.unsqueeze(1), to_ifg[t].view(batch, 3, size), out=d_ifg.view(batch, 3, size))
            dc.mul_(f[t]).addcmul_(d_ifg[:, :size], p_i).addcmul_(d_ifg[:, size: 2 * size], p_f)
            if t:
                dh = torch.mm(d_pre[t], w_hh) if d_hs is None else torch.addmm(d_hs[t - 1], d_pre[t], w_hh)
                if d_cs is not None:
                    dc.add_(d_cs[t - 1])
        d_w_hh = d_peephole = None
        if ctx.needs_input_grad[1]:
            d_w_hh = d_pre.view(-1, gates).t() @ hs[:-1].reshape(-1, size)  # (4H, H)
        if ctx.needs_input_grad[2]:
            d_peephole = torch.stack([
                (d_pre[..., :size] * cs[:-1]).sum((0, 1)),
                (d_pre[..., size: 2 * size] * cs[:-1]).sum((0, 1)),
                (d_pre[..., 3 * size:] * cs[1:]).sum((0, 1)),
            ])
        return d_pre, d_w_hh, d_peephole


class _CoupledRecurrence(torch.autograd.Function):
    """Coupled-gate LSTM steps over projected (T, B, 3H) = x W_ih^T + b (rows f, g, o) from a zero
    state: c = f*c_prev + (1 - f)*g. Returns hidden and cell states (T, B, H)."""

    @staticmethod
    def forward(ctx, projected, w_hh):
        n_steps, batch, gates = projected.shape
        size = gates // 3
        acts = torch.empty_like(projected)  # (T, B, 3H): f, g, o after their activations
        hs = projected.new_zeros(n_steps + 1, batch, size)
        cs = projected.new_zeros(n_steps + 1, batch, size)
        tanh_c = projected.new_empty(n_steps, batch, size)
        w_t = w_hh.t()
        for t in range(n_steps):
            a = torch.addmm(projected[t], hs[t], w_t, out=acts[t])  # (B, 3H)
            f, g, o = a.chunk(3, dim=1)
            f.sigmoid_()
            g.tanh_()
            o.sigmoid_()
            torch.addcmul(g, f, cs[t] - g, out=cs[t + 1])  # f*c_prev + (1 - f)*g
            torch.mul(o, torch.tanh(cs[t + 1], out=tanh_c[t]), out=hs[t + 1])
        ctx.save_for_backward(w_hh, acts, hs, cs, tanh_c)
        ctx.set_materialize_grads(False)
        return hs[1:], cs[1:]

    @staticmethod
    def backward(ctx, d_hs, d_cs):
        w_hh, acts, hs, cs, tanh_c = ctx.saved_tensors
        n_steps, batch, gates = acts.shape
        size = gates // 3
        f, g, o = acts.chunk(3, dim=2)
        to_fg = torch.cat([(cs[:-1] - g) * _sigmoid_slope(f), (1 - f) * (1 - g * g)], dim=2)  # (T, B, 2H)
        to_o = tanh_c * _sigmoid_slope(o)
        h_to_c = o * (1 - tanh_c * tanh_c)
        d_pre = torch.empty_like(acts)
        dh = d_hs[-1].clone() if d_hs is not None else acts.new_zeros(batch, size)
        dc = d_cs[-1].clone() if d_cs is not None else acts.new_zeros(batch, size)
        for t in range(n_steps - 1, -1, -1):
            d_fg, d_o = d_pre[t, :, : 2 * size], d_pre[t, :, 2 * size:]
            torch.mul(dh, to_o[t], out=d_o)
            dc.addcmul_(dh, h_to_c[t])
            torch.mul(dc.unsqueeze(1), to_fg[t].view(batch, 2, size), out=d_fg.view(batch, 2, size))
            dc.mul_(f[t])
            if t:
                dh = torch.mm(d_pre[t], w_hh) if d_hs is None else torch.addmm(d_hs[t - 1], d_pre[t], w_hh)
                if d_cs is not None:
                    dc.add_(d_cs[t - 1])
        d_w_hh = d_pre.view(-1, gates).t() @ hs[:-1].reshape(-1, size) if ctx.needs_input_grad[1] else None
        return d_pre, d_w_hh


def choose_device(name: str = "auto") -> torch.device:
    """CUDA when present, then Apple MPS, then CPU; an explicit name is honoured if available."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise UserError(f"device {name!r} was asked for but CUDA is not available here; use 'auto' or 'cpu'")
    if name == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise UserError("device 'mps' was asked for but Apple MPS is not available here; use 'auto' or 'cpu'")
    if name not in ("cpu", "mps") and not name.startswith("cuda"):
        raise UserError(f"device {name!r} is not one of auto, cpu, cuda, mps")
    return torch.device(name)
