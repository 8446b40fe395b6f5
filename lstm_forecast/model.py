"""One Forecaster over any registered cell: a recurrent encoder and a direct multi-horizon head.

The fused cells are PyTorch's nn.LSTM, nn.GRU and nn.RNN. The cells no fused op runs (peephole
and coupled input-forget gate LSTMs, the minimal gated unit) are custom modules below, with the
fused ops' interface and parameter names. Their recurrence is a hand-written autograd Function: a step loop forward and
backpropagation through time by hand, so each step costs a handful of tensor ops and the weight
gradients come out of one matmul over all steps.

Why by hand (bench/train_speed.py --recurrence, one layer, batch 64, 48 steps, 64 units, 1 CPU
thread, forward + backward as a multiple of the fused nn.LSTM): peephole 1.5-1.7x, coupled
1.2-1.3x by hand; the same step loop left to autograd 3.2-4.5x (peephole) and 2.6-3.2x (coupled);
under torch.jit.script 3.1-4.1x and 2.7x, and TorchScript is deprecated; under torch.compile
1.9x and 1.65x after a first call of 40-70 s that unrolls the loop and recompiles for every new
batch size or lookback.
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
        # Start at "no correction": the untrained model forecasts exactly its base, and training (with
        # the validation check at epoch 0) only moves away from it when that helps.
        with torch.no_grad():
            self.head.weight.zero_()
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


class Ensemble(nn.Module):
    """Members trained apart, from seeds seed, seed+1, ...: the forecast is their median (the mean of
    the middle two for an even count). Looking inside shows the first member (`rnn`)."""

    def __init__(self, members: list[Forecaster]) -> None:
        super().__init__()
        self.members = nn.ModuleList(members)
        self.config = members[0].config

    @property
    def rnn(self) -> nn.Module:
        return self.members[0].rnn

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        outs = torch.stack([member(x) for member in self.members])  # (K, B, H)
        return outs.quantile(0.5, dim=0) if len(self.members) > 1 else outs[0]  # (B, H)


def build_model(n_features: int, config: Config) -> nn.Module:
    """A Forecaster, or an Ensemble of `config.ensemble` of them (member k seeded with seed + k)."""
    if config.ensemble <= 1:
        return Forecaster(n_features, config)
    members = []
    for k in range(config.ensemble):
        torch.manual_seed(config.seed + k)
        members.append(Forecaster(n_features, _member_config(config, k)))
    return Ensemble(members)


def _member_config(config: Config, k: int) -> Config:
    return Config.from_dict({**config.to_dict(), "seed": config.seed + k, "ensemble": 1})


# --- custom cells ----------------------------------------------------------------------------


class CustomCell(nn.Module):
    """The fused ops' interface and parameter names for a registered cell no fused op runs.

    Parameters of layer k (and, with `_reverse`, of its backward direction): weight_ih_l{k}
    (G*H, D_k), weight_hh_l{k} (G*H, H), bias_ih_l{k}, bias_hh_l{k} (G*H,), with the G row blocks
    in the order of the registry's `gate_rows`; subclasses add their own (peephole_l{k}).
    forward(x) returns (output, (h_n, c_n)) like nn.LSTM for a cell with a cell state, and
    (output, h_n) like nn.GRU for one without, from a zero initial state. A subclass names its registry
    entry (`cell`) and its recurrence, an autograd Function (x, w_ih, b_ih, b_hh, w_hh, extra, h0, c0) ->
    hidden states (T, B, H), and cell states too when the cell has them.
    """

    cell = ""  # the registry name

    @property
    def n_gates(self) -> int:
        return len(cells.get(self.cell).gate_rows)

    @property
    def has_cell_state(self) -> bool:
        return cells.get(self.cell).has_cell_state

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

    def forward(self, x: torch.Tensor):
        """x (B, T, D) if batch_first else (T, B, D) -> output (same layout, dirs*H), and (h_n, c_n)
        (L*dirs, B, H) each, or h_n alone for a cell without a cell state."""
        if x.ndim != 3 or x.shape[-1] != self.input_size:
            layout = "(batch, steps, features)" if self.batch_first else "(steps, batch, features)"
            raise ValueError(f"expected input {layout} with {self.input_size} features, got {tuple(x.shape)}")
        layer_in = x.transpose(0, 1) if self.batch_first else x  # (T, B, D_k)
        last_h, last_c = [], []
        for layer in range(self.num_layers):
            outs = []
            for direction, suffix in enumerate(self._suffixes(layer)):
                hs, cs = self._run(layer_in if direction == 0 else layer_in.flip(0), suffix)  # (T, B, H) each
                outs.append(hs if direction == 0 else hs.flip(0))
                last_h.append(hs[-1])
                if cs is not None:
                    last_c.append(cs[-1])
            layer_in = outs[0] if len(outs) == 1 else torch.cat(outs, dim=2)  # (T, B, dirs*H)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_in = F.dropout(layer_in, self.dropout, training=True)
        out = layer_in.transpose(0, 1) if self.batch_first else layer_in
        if not self.has_cell_state:
            return out, torch.stack(last_h)
        return out, (torch.stack(last_h), torch.stack(last_c))

    @torch.no_grad()
    def layer_states(self, layer: int, direction: int, x: torch.Tensor,
                     state: tuple[torch.Tensor, torch.Tensor | None] | None = None,
                     ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Hidden and cell state of every step (T, H) of one layer and direction run alone over one
        sequence x (T, D_k), in x's time order (the traces use this); the cell states are None for a
        cell without them. state: (h, c) (H,) each before the direction's first step (the reverse
        direction's first is x's last); None, or c None, is zero."""
        suffix = self._suffixes(layer)[direction]
        seq = x.unsqueeze(1) if direction == 0 else x.flip(0).unsqueeze(1)  # (T, 1, D_k)
        hs, cs = self._run(seq, suffix, state)
        hs, cs = hs.squeeze(1), None if cs is None else cs.squeeze(1)
        if direction == 1:
            hs, cs = hs.flip(0), None if cs is None else cs.flip(0)
        return hs, cs

    def steps(self, x: torch.Tensor, layer: int, direction: int,
              state: tuple[torch.Tensor, torch.Tensor | None] | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """One layer and direction over time-major x (T, B, D_k) in the order given, from `state` (h, c) (B, H)
        each, or zero: hidden and cell states (T, B, H) (None without a cell state). Ablation steps with it."""
        return self._run(x, self._suffixes(layer)[direction], state)

    def _run(self, x: torch.Tensor, suffix: str,
             state: tuple[torch.Tensor, torch.Tensor | None] | None = None,
             ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """One layer and direction over time-major x (T, B, D): hidden and cell states (T, B, H) (None
        without a cell state), from `state` (h, c), each broadcast to (B, H), or from zero."""
        def param(name: str) -> torch.Tensor | None:
            return getattr(self, name + suffix) if hasattr(self, name + suffix) else None

        h0, c0 = state if state is not None else (None, None)
        out = self._recurrence.apply(x, param("weight_ih"), param("bias_ih"), param("bias_hh"),
                                     param("weight_hh"), param("peephole"), h0, c0)
        return out if self.has_cell_state else (out, None)


class PeepholeLSTM(CustomCell):
    """LSTM whose input and forget gates see c_{t-1} and whose output gate sees c_t (Gers &
    Schmidhuber 2000), through diagonal weights peephole_l{k} (3, H): rows p_i, p_f, p_o."""

    cell = "lstm-peephole"

    def _extra_parameters(self, suffix: str) -> None:
        self.register_parameter("peephole" + suffix, nn.Parameter(torch.empty(3, self.hidden_size)))

    @property
    def _recurrence(self):
        return _PeepholeRecurrence


class CoupledLSTM(CustomCell):
    """LSTM with coupled input and forget gates (CIFG): i = 1 - f. Row blocks f, g, o."""

    cell = "lstm-coupled"

    @property
    def _recurrence(self):
        return _CoupledRecurrence


class MGU(CustomCell):
    """Minimal gated unit (Zhou et al. 2016): one forget gate, no cell state. Row blocks f, n;
    forward(x) returns (output, h_n) like nn.GRU."""

    cell = "mgu"

    @property
    def _recurrence(self):
        return _MGURecurrence


# --- the recurrences: forward step loop, backpropagation through time by hand ------------------
# Forward: one matmul projects every step's input, then per step one addmm and a few in-place
# elementwise ops into preallocated buffers. Backward: the per-step factors for all steps at once,
# then per step a few elementwise ops and one matmul, then the weight gradients over all steps in
# one matmul each. Skinny matmuls are written in the orientation MKL runs fast (measured: d^T x
# with x (T*B, 5) took 8x longer than (x^T d)^T).


def _project(x: torch.Tensor, w_ih: torch.Tensor, b_ih: torch.Tensor | None, b_hh: torch.Tensor | None) -> torch.Tensor:
    """x (T, B, D) -> x W_ih^T + b_ih + b_hh (T, B, G*H)."""
    n_steps, batch, n_in = x.shape
    flat = x.reshape(n_steps * batch, n_in)
    w_t = w_ih.t().contiguous()  # (D, G*H)
    out = torch.mm(flat, w_t) if b_ih is None else torch.addmm(b_ih + b_hh, flat, w_t)
    return out.view(n_steps, batch, -1)


def _project_backward(ctx, d_pre: torch.Tensor, x: torch.Tensor, w_ih: torch.Tensor) -> tuple:
    """Gradients of x, w_ih, b_ih, b_hh from d_pre (T, B, G*H), the gradient of the projection."""
    n_steps, batch, n_in = x.shape
    d_flat = d_pre.view(n_steps * batch, -1)  # (T*B, G*H)
    need = ctx.needs_input_grad
    d_x = (w_ih.t() @ d_flat.t()).t().reshape(n_steps, batch, n_in) if need[0] else None
    d_w_ih = (x.reshape(n_steps * batch, n_in).t() @ d_flat).t() if need[1] else None
    d_bias = d_flat.sum(0) if need[2] or need[3] else None
    return d_x, d_w_ih, d_bias if need[2] else None, d_bias if need[3] else None


def _recurrent_weight_grad(d_pre: torch.Tensor, hs: torch.Tensor) -> torch.Tensor:
    """sum over steps of d_pre_t^T h_{t-1}: (G*H, H); hs (T + 1, B, H) with hs[0] = 0."""
    size = hs.shape[-1]
    return d_pre.view(-1, d_pre.shape[-1]).t() @ hs[:-1].reshape(-1, size)


def _doubled(w_t: torch.Tensor, projected: torch.Tensor, rows: slice) -> torch.Tensor:
    """A contiguous copy of w_t (H, G*H) with the columns of `rows` doubled, and the same block of
    projected (T, B, G*H) doubled in place: the candidate's tanh(v) is then 2 sigmoid(2v) - 1, and
    sigmoid runs several times faster than tanh on CPU. Doubling is exact in floating point."""
    w_t = w_t.contiguous()  # twice as fast in addmm as the transposed view
    w_t[:, rows].mul_(2)
    projected[..., rows].mul_(2)
    return w_t


def _start_from(hs: torch.Tensor, cs: torch.Tensor, h0: torch.Tensor | None, c0: torch.Tensor | None) -> None:
    """Put an initial state (broadcast to (B, H)) in row 0 of hs and cs (T + 1, B, H); None leaves zeros.
    Only inference passes one (the traces, chunk by chunk): no gradient flows to it."""
    if h0 is not None:
        hs[0] = h0
    if c0 is not None:
        cs[0] = c0


def _sigmoid_slope(s: torch.Tensor) -> torch.Tensor:
    """sigmoid'(v) = s * (1 - s) for s = sigmoid(v)."""
    return s - s * s


class _PeepholeRecurrence(torch.autograd.Function):
    """Peephole LSTM over time-major x (T, B, D) from a zero state -> hidden and cell states (T, B, H)."""

    @staticmethod
    def forward(ctx, x, w_ih, b_ih, b_hh, w_hh, peephole, h0=None, c0=None):
        acts = _project(x, w_ih, b_ih, b_hh)  # (T, B, 4H); becomes i, f, g, o after their activations
        n_steps, batch, gates = acts.shape
        size = gates // 4
        hs = acts.new_zeros(n_steps + 1, batch, size)  # hs[t + 1] = h_t; hs[0] = h0 (default 0)
        cs = acts.new_zeros(n_steps + 1, batch, size)
        _start_from(hs, cs, h0, c0)
        tanh_c = acts.new_empty(n_steps, batch, size)
        w_t = _doubled(w_hh.t(), acts, slice(2 * size, 3 * size))  # (H, 4H), g columns doubled
        p_if, p_o = peephole[:2].unsqueeze(0), peephole[2]  # (1, 2, H), (H,)
        # per-step views made once: slicing inside the loop costs as much as the maths at this size
        a, i_f_g = acts.unbind(0), acts[..., : 3 * size].unbind(0)
        i_f = acts[..., : 2 * size].view(n_steps, batch, 2, size).unbind(0)
        i, f, g, o = (part.unbind(0) for part in acts.chunk(4, dim=2))
        h, c, c_wide, tc = hs.unbind(0), cs.unbind(0), cs.unsqueeze(2).unbind(0), tanh_c.unbind(0)
        for t in range(n_steps):
            a[t].addmm_(h[t], w_t)  # (B, 4H) pre-activations, g doubled
            i_f[t].addcmul_(c_wide[t], p_if)  # i and f see c_{t-1}
            i_f_g[t].sigmoid_()
            g[t].mul_(2).sub_(1)  # tanh(v) = 2 sigmoid(2v) - 1
            torch.mul(f[t], c[t], out=c[t + 1]).addcmul_(i[t], g[t])
            o[t].addcmul_(c[t + 1], p_o).sigmoid_()  # o sees c_t
            torch.mul(o[t], torch.tanh(c[t + 1], out=tc[t]), out=h[t + 1])
        ctx.save_for_backward(x, w_ih, w_hh, peephole, acts, hs, cs, tanh_c)
        ctx.set_materialize_grads(False)
        return hs[1:], cs[1:]

    @staticmethod
    def backward(ctx, d_hs, d_cs):
        x, w_ih, w_hh, peephole, acts, hs, cs, tanh_c = ctx.saved_tensors
        n_steps, batch, gates = acts.shape
        size = gates // 4
        i, f, g, o = acts.chunk(4, dim=2)  # (T, B, H) each
        # Per-step factors, for all steps at once: d pre_{i,f,g} = dc * [g, c_prev, i] * act', d pre_o = dh * to_o
        to_ifg = torch.cat([g * _sigmoid_slope(i), cs[:-1] * _sigmoid_slope(f), i * (1 - g * g)], dim=2)
        to_o = tanh_c * _sigmoid_slope(o)  # (T, B, H)
        h_to_c = o * (1 - tanh_c * tanh_c)  # dh -> dc through h = o * tanh(c)
        d_pre = torch.empty_like(acts)  # (T, B, 4H)
        p_i, p_f, p_o = peephole.unbind(0)
        dh = d_hs[-1].clone() if d_hs is not None else acts.new_zeros(batch, size)
        dc = d_cs[-1].clone() if d_cs is not None else acts.new_zeros(batch, size)
        d_step, d_ifg = d_pre.unbind(0), d_pre[..., : 3 * size].view(n_steps, batch, 3, size).unbind(0)
        d_i, d_f, d_o = (d_pre[..., k * size: (k + 1) * size].unbind(0) for k in (0, 1, 3))
        to_ifg = to_ifg.view(n_steps, batch, 3, size).unbind(0)
        to_o, h_to_c, f = to_o.unbind(0), h_to_c.unbind(0), f.unbind(0)
        dc_wide = dc.unsqueeze(1).expand(batch, 3, size)  # (B, 3, H) view of dc
        for t in range(n_steps - 1, -1, -1):
            torch.mul(dh, to_o[t], out=d_o[t])
            dc.addcmul_(dh, h_to_c[t]).addcmul_(d_o[t], p_o)  # c_t reaches h_t directly and through o_t
            torch.mul(dc_wide, to_ifg[t], out=d_ifg[t])
            dc.mul_(f[t]).addcmul_(d_i[t], p_i).addcmul_(d_f[t], p_f)
            if t:
                dh = torch.mm(d_step[t], w_hh) if d_hs is None else torch.addmm(d_hs[t - 1], d_step[t], w_hh)
                if d_cs is not None:
                    dc.add_(d_cs[t - 1])
        need = ctx.needs_input_grad
        d_w_hh = _recurrent_weight_grad(d_pre, hs) if need[4] else None
        d_peephole = None
        if need[5]:
            d_peephole = torch.stack([
                (d_pre[..., :size] * cs[:-1]).sum((0, 1)),
                (d_pre[..., size: 2 * size] * cs[:-1]).sum((0, 1)),
                (d_pre[..., 3 * size:] * cs[1:]).sum((0, 1)),
            ])
        return (*_project_backward(ctx, d_pre, x, w_ih), d_w_hh, d_peephole, None, None)


class _CoupledRecurrence(torch.autograd.Function):
    """Coupled-gate LSTM over time-major x (T, B, D) from a zero state, rows f, g, o:
    c = f*c_prev + (1 - f)*g -> hidden and cell states (T, B, H)."""

    @staticmethod
    def forward(ctx, x, w_ih, b_ih, b_hh, w_hh, peephole, h0=None, c0=None):
        acts = _project(x, w_ih, b_ih, b_hh)  # (T, B, 3H); becomes f, g, o after their activations
        n_steps, batch, gates = acts.shape
        size = gates // 3
        hs = acts.new_zeros(n_steps + 1, batch, size)
        cs = acts.new_zeros(n_steps + 1, batch, size)
        _start_from(hs, cs, h0, c0)
        tanh_c = acts.new_empty(n_steps, batch, size)
        w_t = _doubled(w_hh.t(), acts, slice(size, 2 * size))  # (H, 3H), g columns doubled
        a, (f, g, o) = acts.unbind(0), (part.unbind(0) for part in acts.chunk(3, dim=2))
        h, c, tc = hs.unbind(0), cs.unbind(0), tanh_c.unbind(0)
        for t in range(n_steps):
            a[t].addmm_(h[t], w_t).sigmoid_()  # f, g, o at once: g's pre-activation is doubled
            g[t].mul_(2).sub_(1)  # tanh(v) = 2 sigmoid(2v) - 1
            torch.addcmul(g[t], f[t], c[t] - g[t], out=c[t + 1])  # f*c_prev + (1 - f)*g
            torch.mul(o[t], torch.tanh(c[t + 1], out=tc[t]), out=h[t + 1])
        ctx.save_for_backward(x, w_ih, w_hh, acts, hs, cs, tanh_c)
        ctx.set_materialize_grads(False)
        return hs[1:], cs[1:]

    @staticmethod
    def backward(ctx, d_hs, d_cs):
        x, w_ih, w_hh, acts, hs, cs, tanh_c = ctx.saved_tensors
        n_steps, batch, gates = acts.shape
        size = gates // 3
        f, g, o = acts.chunk(3, dim=2)
        to_fg = torch.cat([(cs[:-1] - g) * _sigmoid_slope(f), (1 - f) * (1 - g * g)], dim=2)  # (T, B, 2H)
        to_o = tanh_c * _sigmoid_slope(o)
        h_to_c = o * (1 - tanh_c * tanh_c)
        d_pre = torch.empty_like(acts)
        dh = d_hs[-1].clone() if d_hs is not None else acts.new_zeros(batch, size)
        dc = d_cs[-1].clone() if d_cs is not None else acts.new_zeros(batch, size)
        d_step, d_fg = d_pre.unbind(0), d_pre[..., : 2 * size].view(n_steps, batch, 2, size).unbind(0)
        d_o, to_fg = d_pre[..., 2 * size:].unbind(0), to_fg.view(n_steps, batch, 2, size).unbind(0)
        to_o, h_to_c, f = to_o.unbind(0), h_to_c.unbind(0), f.unbind(0)
        dc_wide = dc.unsqueeze(1).expand(batch, 2, size)  # (B, 2, H) view of dc
        for t in range(n_steps - 1, -1, -1):
            torch.mul(dh, to_o[t], out=d_o[t])
            dc.addcmul_(dh, h_to_c[t])
            torch.mul(dc_wide, to_fg[t], out=d_fg[t])
            dc.mul_(f[t])
            if t:
                dh = torch.mm(d_step[t], w_hh) if d_hs is None else torch.addmm(d_hs[t - 1], d_step[t], w_hh)
                if d_cs is not None:
                    dc.add_(d_cs[t - 1])
        d_w_hh = _recurrent_weight_grad(d_pre, hs) if ctx.needs_input_grad[4] else None
        return (*_project_backward(ctx, d_pre, x, w_ih), d_w_hh, None, None, None)


class _MGURecurrence(torch.autograd.Function):
    """Minimal gated unit over time-major x (T, B, D), rows f, n:
    f = sigmoid(W_f x + U_f h + b_f), n = tanh(W_n x + U_n (f*h) + b_n), h' = (1 - f)*h + f*n -> hidden states (T, B, H)."""

    @staticmethod
    def forward(ctx, x, w_ih, b_ih, b_hh, w_hh, extra=None, h0=None, c0=None):
        acts = _project(x, w_ih, b_ih, b_hh)  # (T, B, 2H); becomes f, n after their activations
        n_steps, batch, gates = acts.shape
        size = gates // 2
        hs = acts.new_zeros(n_steps + 1, batch, size)
        if h0 is not None:  # only inference passes one (the traces, chunk by chunk)
            hs[0] = h0
        gated = acts.new_empty(n_steps, batch, size)  # f * h_prev: what U_n reads
        u_f = w_hh[:size].t().contiguous()  # (H, H)
        u_n = w_hh[size:].t().mul(2).contiguous()  # doubled: tanh(v) = 2 sigmoid(2v) - 1
        acts[..., size:].mul_(2)
        f, n = (part.unbind(0) for part in acts.chunk(2, dim=2))
        h, r = hs.unbind(0), gated.unbind(0)
        for t in range(n_steps):
            f[t].addmm_(h[t], u_f).sigmoid_()
            torch.mul(f[t], h[t], out=r[t])
            n[t].addmm_(r[t], u_n).sigmoid_().mul_(2).sub_(1)
            torch.addcmul(h[t], f[t], n[t] - h[t], out=h[t + 1])  # (1 - f)*h + f*n
        ctx.save_for_backward(x, w_ih, w_hh, acts, hs, gated)
        ctx.set_materialize_grads(False)
        return hs[1:]

    @staticmethod
    def backward(ctx, d_hs):
        x, w_ih, w_hh, acts, hs, gated = ctx.saved_tensors
        n_steps, batch, gates = acts.shape
        size = gates // 2
        f, n = acts.chunk(2, dim=2)
        h_prev = hs[:-1]
        to_n = f * (1 - n * n)  # dh'/d(pre_n)
        to_f = n - h_prev  # dh'/df, the direct part
        slope_f = _sigmoid_slope(f)
        u_f, u_n = w_hh[:size], w_hh[size:]
        d_pre = torch.empty_like(acts)
        d_f, d_n = (part.unbind(0) for part in d_pre.chunk(2, dim=2))
        dh = d_hs[-1].clone() if d_hs is not None else acts.new_zeros(batch, size)
        to_n, to_f, slope_f, fs, hp = to_n.unbind(0), to_f.unbind(0), slope_f.unbind(0), f.unbind(0), h_prev.unbind(0)
        for t in range(n_steps - 1, -1, -1):
            torch.mul(dh, to_n[t], out=d_n[t])
            d_r = torch.mm(d_n[t], u_n)  # gradient of f*h_prev
            torch.mul(torch.addcmul(dh * to_f[t], d_r, hp[t]), slope_f[t], out=d_f[t])
            if t:
                nxt = torch.addcmul(dh - dh * fs[t], d_r, fs[t]).addmm_(d_f[t], u_f)
                dh = nxt if d_hs is None else nxt.add_(d_hs[t - 1])
        d_w_hh = None
        if ctx.needs_input_grad[4]:
            flat = d_pre.view(-1, gates)
            d_w_hh = torch.cat([flat[:, :size].t() @ h_prev.reshape(-1, size),
                                flat[:, size:].t() @ gated.reshape(-1, size)])
        return (*_project_backward(ctx, d_pre, x, w_ih), d_w_hh, None, None, None)


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


def scale_correction(model: nn.Module, weight: float) -> None:
    """Multiply what the network adds to its base by `weight`: the head is linear and reads the encoder's
    summary, so scaling its weights and bias scales every forecast's correction (each ensemble member's,
    so their median too), and the saved model.pt carries it like any other weight."""
    heads = [m.head for m in model.members] if hasattr(model, "members") else [model.head]
    with torch.no_grad():
        for head in heads:
            head.weight.mul_(weight)
            head.bias.mul_(weight)
