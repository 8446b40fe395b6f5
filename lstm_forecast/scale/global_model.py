"""One network across a panel: windows of every series in one array, an optional per-series embedding.

Scales never clash because nothing reaches the network in a series' own units. Per window the level
is taken out (inputs are gaps to the window's recent level and step changes; targets are corrections
to the window's base forecast); per series everything is divided by the series' own unit, fitted on
its training part, on a log scale where positive (`prepare`). With `window_scale` each window is also
measured in its own unit (`prepare.window_ratios`; worse on the bench panel, so off by default).
`Windows.values` maps outputs back to each series' values.

The embedding is a learned vector per series, fed as extra inputs at every step. For one series it
is a constant, so it folds exactly into the first layer's input bias: `fold` turns the global model
into an ordinary `Forecaster` per series (bias_ih += W_ih[:, F:] @ e), which every other part of
the package (runs, traces, the dashboard) reads as it reads any run.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..config import Config
from ..errors import UserError
from ..model import Forecaster
from ..prepare import N_SCALED_FEATURES, window_ratios

FIRST_LAYER_INPUT = ("rnn.weight_ih_l0", "rnn.weight_ih_l0_reverse")  # what reads x_t (nn.LSTM naming)


class GlobalForecaster(nn.Module):
    """(B, L, F + 1) windows whose last column is the series' number -> (B, H) scaled forecasts."""

    def __init__(self, n_features: int, n_series: int, config: Config, embedding: int = 0) -> None:
        super().__init__()
        self.n_features, self.n_series, self.embedding_dim = n_features, n_series, embedding
        self.config = config
        self.net = Forecaster(n_features + embedding, config)
        self.embedding = nn.Embedding(n_series, embedding) if embedding else None
        if self.embedding is not None:
            with torch.no_grad():
                self.embedding.weight.normal_(0.0, 0.1)  # small: the series start alike and drift apart

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = x[..., :-1]  # (B, L, F)
        if self.embedding is not None:
            ids = x[:, -1, -1].long()  # (B,)
            e = self.embedding(ids)  # (B, E)
            features = torch.cat([features, e[:, None, :].expand(-1, x.shape[1], -1)], dim=2)  # (B, L, F+E)
        return self.net(features)  # (B, H)


def fold(model: GlobalForecaster, series: int, global_names: list[str], names: list[str],
         config: Config) -> Forecaster:
    """The global model as one series sees it: an ordinary Forecaster over that series' own inputs.

    Columns the series lacks (its inputs are zero there) are dropped; its embedding is a constant
    input, added to the first layer's input bias. Outputs equal the global model's for that series.
    """
    missing = [n for n in names if n not in global_names]
    if missing:
        raise UserError(f"series inputs {missing} are not among the global model's {global_names}; retrain the panel")
    columns = [global_names.index(n) for n in names]
    F = len(global_names)
    state = {k: v.detach().clone() for k, v in model.net.state_dict().items()}
    e = model.embedding.weight[series].detach() if model.embedding is not None else None
    for key in FIRST_LAYER_INPUT:
        if key not in state:
            continue
        weight = state[key]  # (G*hidden, F + E)
        bias = key.replace("weight_ih", "bias_ih")
        if e is not None:
            state[bias] = state[bias] + weight[:, F:] @ e
        state[key] = weight[:, columns].contiguous()
    out = Forecaster(len(names), config)
    out.load_state_dict(state)
    return out.eval()


def feature_names(parts_names: list[list[str]]) -> list[str]:
    """Every input any series has, in the order `prepare` makes them (level_gap, change, phase, covariates)."""
    order: list[str] = []
    for names in parts_names:
        for n in names:
            if n not in order:
                order.append(n)
    return order


class PanelWindows:
    """The windows of many series drawn per batch from one array, for `train.fit` and `train.predict`.

    Inputs are gathered from one feature array (sum of T_s, F + 1) by start row, as `prepare.Windows`
    gathers from one series; targets are the series' own scaled targets, computed once (N, H).
    A window never crosses from one series into the next: its rows all lie in its series' block.
    """

    def __init__(self, parts: list, which: str, names: list[str]) -> None:
        """parts: `parts.SeriesPart`s; which: "train_w" or "val_w"; names: the global input names."""
        self.lookback = parts[0].config.lookback
        self.horizon = parts[0].config.horizon
        F = len(names)
        blocks, starts, inverse, targets, series = [], [], [], [], []
        offset = 0
        for s, part in enumerate(parts):
            w, prep = getattr(part, which), part.prep
            if (part.config.lookback, part.config.horizon) != (self.lookback, self.horizon):
                raise UserError("every series of a global model needs the same lookback and horizon; "
                                f"series {s} has {part.config.lookback} and {part.config.horizon}")
            block = np.zeros((prep.n, F + 1), np.float32)  # (T_s, F + 1)
            block[:, [names.index(n) for n in prep.feature_names]] = prep.features
            block[:, F] = s
            blocks.append(block)
            starts.append(offset + w.origins - self.lookback + 1)
            ratio = window_ratios(prep, self.lookback)
            inverse.append(np.ones(len(w)) if ratio is None else 1.0 / ratio[w.origins])
            targets.append(w.targets() if len(w) else torch.zeros((0, self.horizon)))
            series.append(np.full(len(w), s))
            offset += prep.n
        self.features = torch.from_numpy(np.concatenate(blocks))  # (sum T_s, F + 1)
        self._view = self.features.unfold(0, self.lookback, 1)  # (rows - L + 1, F + 1, L)
        self.starts = np.concatenate(starts).astype(np.int64)  # (N,)
        self.inverse = torch.from_numpy(np.concatenate(inverse).astype(np.float32))  # (N,)
        self.Y = torch.cat(targets)  # (N, H) NaN = masked
        self.series = np.concatenate(series)  # (N,) which part each window belongs to
        self.origins = np.concatenate([getattr(p, which).origins for p in parts])  # (N,) within its series
        self.scaled_inputs = N_SCALED_FEATURES

    def __len__(self) -> int:
        return len(self.starts)

    def to(self, device) -> "PanelWindows":
        self._view, self.Y, self.inverse = self._view.to(device), self.Y.to(device), self.inverse.to(device)
        return self

    def inputs(self, idx) -> torch.Tensor:
        """(B, L, F + 1) float32: the series' inputs (per-window scaled) and its number in the last column."""
        idx = np.asarray(idx)
        starts = torch.as_tensor(self.starts[idx], device=self._view.device)
        X = self._view[starts].transpose(1, 2).contiguous()  # (B, L, F + 1), a copy of these B windows
        X[:, :, : self.scaled_inputs] *= self.inverse[torch.as_tensor(idx, device=X.device)][:, None, None]
        return X

    def batch(self, idx) -> tuple[torch.Tensor, torch.Tensor]:
        return self.inputs(idx), self.Y[torch.as_tensor(np.asarray(idx), device=self.Y.device)]

    def rows_of(self, s: int) -> np.ndarray:
        """The window numbers of series `s`, in its own windows' order."""
        return np.flatnonzero(self.series == s)
