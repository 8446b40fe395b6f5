"""How long a unit remembers, and how far back a forecast looks.

**Half-life.** A gated cell keeps a share k of its memory at every step: the LSTM's forget gate f, the GRU's
update gate z, the coupled cell's f, and 1 - f for the MGU, whose forget gate keeps at 0 (the registry's
`keeps_at`). What a unit holds at step t is still there, times k_{t+1} k_{t+2} ... k_{t+j}, j steps later.
Its half-life at t is the j where that product reaches 1/2: where the running sum of ln k falls by ln 2,
read between two steps by linear interpolation of that sum (so a constant k gives exactly ln 0.5 / ln k).
A step whose memory has not halved by the end of the series has no half-life yet (censored, left out).
A vanilla RNN has no keep gate and so no half-life.

**Connectivity** (Madsen 2019, Distill): the gradient norm of each horizon step's forecast with respect to
each lookback step's inputs, averaged over the holdout origins; large far back means the forecast reads far
back. It exists for every cell, the RNN included.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .. import cells
from ..errors import UserError

if TYPE_CHECKING:
    from ..data.series import LoadedSeries
    from ..runs import Run
    from .traces import Trace

LN_HALF = math.log(0.5)
MEMORY_COLUMNS = ["layer", "unit", "half_life_median", "half_life_q25", "half_life_q75", "n_steps"]
CONNECTIVITY_COLUMNS = ["horizon_step", "lag", "gradient"]
TINY = 1e-12  # a kept share is floored here before its log: a gate at exactly 0 forgets at once, not at -inf


def half_lives(kept: np.ndarray) -> np.ndarray:
    """Half-life in steps (T, U) of the memory held at each step, from the kept share (T, U) at each step.

    NaN where it has not halved by the last step. Vectorised: the running sum of ln k is non-increasing,
    so each start's crossing is one binary search (np.searchsorted) per unit.
    """
    kept = np.asarray(kept, dtype=np.float64)
    if kept.ndim != 2:
        raise ValueError(f"kept must be (steps, units), got shape {kept.shape}")
    logs = np.log(np.clip(kept, TINY, 1.0))
    n_steps, n_units = logs.shape
    total = np.concatenate([np.zeros((1, n_units)), np.cumsum(logs, axis=0)])  # total[j] = sum of logs[:j]
    out = np.full((n_steps, n_units), np.nan)
    for u in range(n_units):
        falling = -total[:, u]  # non-decreasing
        target = falling[1:] - LN_HALF  # the memory held after step t has halved where -total passes this
        # first j > t + 1 with falling[j] >= target[t]: the step j - 1 that completes the halving
        end = np.searchsorted(falling, target, side="left")
        ok = end <= n_steps
        t = np.flatnonzero(ok)
        j = end[ok]
        before, after = falling[j - 1], falling[j]
        step = np.where(after > before, (target[t] - before) / np.where(after > before, after - before, 1), 1.0)
        out[t, u] = (j - 1 - (t + 1)) + step  # whole steps before the crossing step, plus its fraction
    return out


def kept_share(trace: Trace, layer: int) -> np.ndarray:
    """The share of its memory each unit of `layer` keeps at each step (T, U): the keep gate, or 1 - it."""
    cell = cells.get(trace.cell)
    if cell.keep_gate is None:
        raise UserError(f"a {cell.label} has no keep gate, so its memory has no half-life; "
                        "--connectivity shows how far back its forecasts look")
    return cell.kept_share(trace.get(cell.keep_gate, layer).astype(np.float64))


def memory_table(trace: Trace, *, layer: int | None = None, phase: np.ndarray | None = None) -> pd.DataFrame:
    """MEMORY_COLUMNS per layer and unit (and `phase` after layer, unit when phases are given): the median and
    quartiles of the half-life over the steps whose memory halved before the series ended."""
    layers = range(trace.n_layers) if layer is None else [layer]
    frames = []
    for k in layers:
        lives = half_lives(kept_share(trace, k))  # (T, U)
        n_units = lives.shape[1]
        keys = {"layer": k, "unit": np.tile(np.arange(n_units), len(lives))}
        long = pd.DataFrame({**keys, "half_life": lives.ravel()})
        by = ["layer", "unit"]
        if phase is not None:
            long["phase"] = np.repeat(np.asarray(phase), n_units)
            by.append("phase")
        grouped = long.dropna().groupby(by, sort=True)["half_life"]
        frame = pd.DataFrame({"half_life_median": grouped.median(), "half_life_q25": grouped.quantile(0.25),
                              "half_life_q75": grouped.quantile(0.75), "n_steps": grouped.size()}).reset_index()
        frames.append(frame)
    columns = MEMORY_COLUMNS[:2] + (["phase"] if phase is not None else []) + MEMORY_COLUMNS[2:]
    return pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)


def connectivity(model, windows_x) -> pd.DataFrame:
    """CONNECTIVITY_COLUMNS: for each horizon step h and lag (0 = the window's last step), the mean over the
    windows of the norm of d forecast[h] / d inputs[lag]. windows_x: (N, L, F) float tensor."""
    import torch  # deferred: torch

    x = windows_x.detach().clone().requires_grad_(True)
    model.eval()
    out = model(x)  # (N, H)
    lookback = x.shape[1]
    grads = np.empty((out.shape[1], lookback))
    for h in range(out.shape[1]):
        (g,) = torch.autograd.grad(out[:, h].sum(), x, retain_graph=h < out.shape[1] - 1)
        grads[h] = g.norm(dim=2).mean(dim=0).flip(0).double().numpy()  # (L,), lag 0 first
    return pd.DataFrame({"horizon_step": np.repeat(np.arange(1, out.shape[1] + 1), lookback),
                         "lag": np.tile(np.arange(lookback), out.shape[1]), "gradient": grads.ravel()})


def run_connectivity(run: Run, loaded: LoadedSeries) -> pd.DataFrame:
    """connectivity of the run's forecasting network over its holdout origins (every origin whose targets reach
    into the holdout, the last one included), on its own inputs."""
    import torch  # deferred: torch

    from ..pipeline import prepared_for  # deferred: pipeline.py imports statsmodels
    from ..prepare import windows  # deferred: prepare.py imports statsmodels

    prep = prepared_for(run, loaded)
    config = run.config
    first = max(prep.first_origin(config), prep.val_end - config.horizon)
    origins = np.arange(first, prep.n)
    if len(origins) == 0:
        raise UserError("the series has no holdout origin to measure the forecast's reach from; pass more data")
    x = windows(prep, origins, config).inputs(np.arange(len(origins)))  # (N, L, F)
    with torch.enable_grad():
        return connectivity(run.model, x.float())
