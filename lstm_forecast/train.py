"""Training: Adam, LR on plateau, clipping, early stopping with best-weight restore, progress callback."""
from __future__ import annotations

import copy
import math
import random
import time
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np
import pandas as pd
import torch
from torch import nn

from .config import Config
from .errors import UserError
from .prepare import Windows

LOSSES = {"huber": nn.HuberLoss, "mse": nn.MSELoss, "mae": nn.L1Loss}


@dataclass
class Progress:
    """What the callback sees after each epoch. Return False from the callback to stop."""

    epoch: int  # 1-based
    epochs: int
    train_loss: float
    val_loss: float
    best_val_loss: float
    lr: float
    elapsed_s: float
    eta_s: float  # upper bound: the remaining epochs at the mean epoch time


ProgressCallback = Callable[[Progress], Optional[bool]]


@dataclass
class FitResult:
    history: pd.DataFrame  # epoch, train_loss, val_loss, lr, seconds
    best_epoch: int
    stopped: str  # "completed" | "early stopping" | "stopped by user"
    seconds: float


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def fit(model: nn.Module, train: Windows, val: Windows, config: Config, device: torch.device,
        callback: ProgressCallback | None = None) -> FitResult:
    """Train in place; on return the model holds the weights of the best validation epoch."""
    seed_everything(config.seed)
    model.to(device)
    X, Y = train.X.to(device), train.Y.to(device)  # moved once
    Xv, Yv = val.X.to(device), val.Y.to(device)
    loss_fn = LOSSES[config.loss]()
    fused = device.type in ("cpu", "cuda")  # one kernel for the whole update: about 3x faster steps on CPU
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay, fused=fused)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=max(2, config.patience // 3))
    generator = torch.Generator().manual_seed(config.seed)
    n, bs = len(X), config.batch_size
    per_epoch = min(n, config.epoch_windows or n)
    best_val, best_epoch, best_state = math.inf, 0, copy.deepcopy(model.state_dict())
    rows, stopped, start = [], "completed", time.perf_counter()
    for epoch in range(1, config.epochs + 1):
        model.train()
        order = torch.randperm(n, generator=generator)[:per_epoch].to(device)
        total = torch.zeros((), device=device)
        for i in range(0, per_epoch, bs):
            idx = order[i:i + bs]
            loss = loss_fn(model(X[idx]), Y[idx])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), config.clip)
            optimizer.step()
            total += loss.detach() * len(idx)
        train_loss = float(total) / per_epoch  # one sync per epoch
        val_loss = evaluate_loss(model, Xv, Yv, loss_fn)
        if not (math.isfinite(train_loss) and math.isfinite(val_loss)):
            model.load_state_dict(best_state)
            raise UserError(
                f"training diverged at epoch {epoch} (loss became {train_loss if not math.isfinite(train_loss) else val_loss}); "
                f"lower the learning rate (now {config.lr}) or check the series for extreme values"
            )
        scheduler.step(val_loss)
        if val_loss < best_val - 1e-9:
            best_val, best_epoch = val_loss, epoch
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        elapsed = time.perf_counter() - start
        lr = optimizer.param_groups[0]["lr"]
        rows.append((epoch, train_loss, val_loss, lr, elapsed))
        eta = elapsed / epoch * (config.epochs - epoch)
        if callback is not None and callback(Progress(epoch, config.epochs, train_loss, val_loss, best_val, lr, elapsed, eta)) is False:
            stopped = "stopped by user"
            break
        if epoch - best_epoch >= config.patience:
            stopped = "early stopping"
            break
    model.load_state_dict(best_state)
    model.eval()
    history = pd.DataFrame(rows, columns=["epoch", "train_loss", "val_loss", "lr", "seconds"])
    return FitResult(history, best_epoch, stopped, time.perf_counter() - start)


@torch.inference_mode()
def evaluate_loss(model: nn.Module, X: torch.Tensor, Y: torch.Tensor, loss_fn, batch: int = 4096) -> float:
    model.eval()
    total = 0.0
    for i in range(0, len(X), batch):
        total += float(loss_fn(model(X[i:i + batch]), Y[i:i + batch])) * len(X[i:i + batch])
    return total / max(len(X), 1)


@torch.inference_mode()
def predict(model: nn.Module, X: torch.Tensor, device: torch.device, batch: int = 4096) -> np.ndarray:
    """(N, L, F) windows -> (N, H) scaled outputs."""
    model.eval()
    outs = [model(X[i:i + batch].to(device)).cpu() for i in range(0, len(X), batch)]
    return torch.cat(outs).numpy().astype(float)
