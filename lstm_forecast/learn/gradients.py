"""Vanishing gradients, measured: how much the loss at the last step still feels the input k steps back.

For a batch of sequences x (B, T, D) and a loss per sequence computed at the last step, the
measure is ||d loss_b / d x_b[T-1-k]||, the Euclidean norm over the D input features, for
k = 1..K, summarised over the batch (mean and median). Training moves a weight by the sum of
such terms, so where the norm has fallen by 10^6, an input k steps back has practically no say.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import torch
from torch import nn

from .. import cells
from ..errors import UserError
from ..train import LOSSES
from .memory import MemoryNet, MemoryTask, hidden_for_budget, test_set

GRADIENT_COLUMNS = ("k", "mean_norm", "median_norm")
FLOOR = 1e-12  # norms below this (float32 has long lost them) are drawn at this floor on a log scale


def gradient_by_distance(loss_of: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, max_k: int) -> pd.DataFrame:
    """Norm of d loss_b / d x_b[T-1-k] for k = 1..max_k, mean and median over the batch: GRADIENT_COLUMNS.

    loss_of: x (B, T, D) -> (B,) loss of each sequence at its last step; sequence b's loss must
    depend on sequence b alone (true of recurrent networks in eval mode). One backward pass.
    """
    if x.ndim != 3:
        raise ValueError(f"x must be (batch, steps, features), got {tuple(x.shape)}")
    n_steps = x.shape[1]
    if not 1 <= max_k <= n_steps - 1:
        raise UserError(f"max_k ({max_k}) must be between 1 and the sequence length - 1 ({n_steps - 1})")
    x = x.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        loss_of(x).sum().backward()  # sum over b: each x_b's gradient is its own loss's
    k = np.arange(1, max_k + 1)
    norms = x.grad[:, n_steps - 1 - k].norm(dim=2).double().numpy()  # (B, K)
    return pd.DataFrame({"k": k, "mean_norm": norms.mean(axis=0), "median_norm": np.median(norms, axis=0)})


def memory_net_gradients(net: MemoryNet, task: MemoryTask, *, n: int = 256, seed: int = 0) -> pd.DataFrame:
    """The measure for a MemoryNet on its task's test sequences, its own loss (BCE at the last step), k = 1..lead+lag."""
    x, label, _ = test_set(task, n, seed)
    loss_fn = nn.BCEWithLogitsLoss(reduction="none")
    net.eval()
    return gradient_by_distance(lambda inputs: loss_fn(net(inputs), label), x, task.n_steps - 1)


def fresh_gradients(names: tuple[str, ...] = ("rnn", "gru", "lstm"), *, lag: int = 100, budget: int = 1300,
                    seed: int = 0, keep_bias: float = 1.0, n: int = 256) -> pd.DataFrame:
    """The measure for freshly initialised MemoryNets of equal parameter budget: cell, label, k, mean_norm, median_norm.

    Untrained, so what it shows is the cell's structure: how a signal fades through it at the start of training.
    """
    task = MemoryTask(lag)
    frames = []
    for name in names:
        net = MemoryNet(name, hidden_for_budget(name, budget), seed=seed, keep_bias=keep_bias)
        frames.append(memory_net_gradients(net, task, n=n, seed=seed).assign(cell=name, label=cells.get(name).label))
    return pd.concat(frames, ignore_index=True)[["cell", "label", *GRADIENT_COLUMNS]]


def forecaster_gradients(model: nn.Module, windows, loss: str = "huber", *, max_windows: int = 256,
                         seed: int = 0) -> pd.DataFrame:
    """The measure for a trained Forecaster on its windows (prepare.Windows): the run's own loss on the
    forecast made at the window's last step, k = 1..lookback-1, over at most max_windows windows."""
    if len(windows) == 0:
        raise UserError("no windows to measure; the series is too short for this run's lookback and horizon")
    rng = np.random.default_rng(seed)
    idx = np.sort(rng.choice(len(windows), min(max_windows, len(windows)), replace=False))
    x, target = windows.batch(idx)  # (B, L, F), (B, H) with NaN where unknown
    known = ~torch.isnan(target)
    keep = known.any(dim=1)
    if not bool(keep.any()):
        raise UserError("none of the windows has a known target; use a longer series")
    x, target, known = x[keep], target[keep], known[keep]
    loss_fn = LOSSES[loss](reduction="none")
    model.eval()

    def per_window(inputs: torch.Tensor) -> torch.Tensor:
        pred = model(inputs)  # (B, H)
        elementwise = loss_fn(pred, torch.where(known, target, pred.detach()))  # unknown steps add 0
        return elementwise.sum(dim=1) / known.sum(dim=1)

    return gradient_by_distance(per_window, x, x.shape[1] - 1)


def run_gradients(run, prepared) -> pd.DataFrame:
    """forecaster_gradients of a Run on its own training windows (prepared: pipeline.prepared_for)."""
    from ..prepare import train_val_windows  # deferred: prepare.py imports statsmodels

    train, _ = train_val_windows(prepared, run.config)
    return forecaster_gradients(run.model, train, run.config.loss, seed=run.config.seed)
