"""Training: Adam, LR on plateau, clipping, early stopping with best-weight restore, progress callback.

Every way a fit can end leaves a clear state: completed, early stopping, stopped by the user (also
mid-epoch), diverged (a NaN/inf loss or gradient), or out of memory. Except when nothing was
learnt yet, the model keeps the best validation weights so far and `FitResult.stopped` says why.
"""
from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Callable, Optional

import numpy as np
import pandas as pd
import torch
from torch import nn

from .config import Config
from .errors import UserError
from .threads import Governor, fit_work, most_threads, thread_plan, using_threads

if TYPE_CHECKING:
    from .prepare import TensorWindows, Windows

LOSSES = {"huber": nn.HuberLoss, "mse": nn.MSELoss, "mae": nn.L1Loss}
VAL_MAX_WINDOWS = 4096  # validation windows scored per epoch: a fixed sample, so an epoch costs the same at any length
TICK_S = 0.25  # seconds between in-epoch progress calls (they carry the stop request and keep the ETA live)
MAX_BAD_STEPS = 20  # consecutive non-finite gradients before the fit counts as diverged


@dataclass
class Progress:
    """What the callback sees, at the end of each epoch and every TICK_S within one.

    Return False from the callback to stop: the fit ends with the best weights so far.
    """

    epoch: int  # 1-based; within an epoch, the one under way
    epochs: int
    train_loss: float  # the last finished epoch's (nan before the first)
    val_loss: float
    best_val_loss: float
    lr: float
    elapsed_s: float
    eta_s: float  # remaining epochs at the recent pace (upper bound: early stopping may end sooner)
    fraction: float = 1.0  # of the current epoch done; 1.0 at the end of an epoch
    threads: int = 1
    member: int = 1  # which network of an ensemble is training (1-based)
    members: int = 1

    @property
    def end_of_epoch(self) -> bool:
        return self.fraction >= 1.0


ProgressCallback = Callable[[Progress], Optional[bool]]


@dataclass
class FitResult:
    history: pd.DataFrame  # epoch, train_loss, val_loss, lr, seconds (and member, for an ensemble)
    best_epoch: int  # the last member's, for an ensemble (see best_epochs)
    stopped: str  # "completed" | "early stopping" | "stopped by user" | "diverged ..." | "out of memory ..."
    seconds: float
    threads: int = 1
    best_epochs: list[int] | None = None  # per member of an ensemble
    # Validation loss of the untrained network (epoch 0: exactly its base, the head starts at zero) and of
    # the weights kept; the last member's, for an ensemble. NaN without a validation part.
    base_val_loss: float = math.nan
    best_val_loss: float = math.nan
    # When no epoch beat the untrained network (best_epoch 0), the recurrent layers' weights of the best
    # epoch after it, for Look inside to show what training learned (the forecast does not use them).
    trained_rnn: dict | None = None
    trained_epoch: int | None = None
    # With a cross split: the weights best on the validation targets before it and on those from it on (epoch 0
    # included), for intervals calibrated on residuals that did not choose their network (Config.calibration).
    cross_states: tuple[dict, dict] | None = None
    trained_state: dict | None = None  # the whole module's state at trained_epoch (a global model folds it per series)


def fit_model(model: nn.Module, train, val, config: Config, device: torch.device,
              callback: ProgressCallback | None = None, threads: int | None = None,
              cross_split: int | None = None) -> FitResult:
    """`fit` for a Forecaster, or each member of an Ensemble in turn (each with its own seed and early
    stopping). A stop request ends the ensemble with the members trained so far (the one stopped
    keeps its best weights)."""
    members = getattr(model, "members", None)
    if members is None:
        return fit(model, train, val, config, device, callback, threads, cross_split=cross_split)
    results, start = [], time.perf_counter()
    for k, member in enumerate(members):
        report = None if callback is None else (
            lambda p, k=k: callback(replace(p, member=k + 1, members=len(members), eta_s=p.eta_s + _rest(results, k, len(members)))))
        results.append(fit(member, train, val, member.config, device, report, threads, cross_split=cross_split))
        if results[-1].stopped == "stopped by user":
            del members[k + 1:]
            break
    history = pd.concat([r.history.assign(member=k + 1) for k, r in enumerate(results)], ignore_index=True)
    last = results[-1]
    stopped = last.stopped if len(results) == len(members) and last.stopped == "stopped by user" else \
        "; ".join(sorted({r.stopped for r in results}))
    cross = None
    if all(r.cross_states is not None for r in results) and len(results) == len(members):
        cross = tuple({f"members.{k}.{key}": v for k, r in enumerate(results) for key, v in r.cross_states[half].items()}
                      for half in (0, 1))
    return FitResult(history, last.best_epoch, stopped, time.perf_counter() - start, last.threads,
                     [r.best_epoch for r in results], last.base_val_loss, last.best_val_loss,
                     results[0].trained_rnn, results[0].trained_epoch,  # Look inside shows the first member
                     cross_states=cross)


def _rest(done: list[FitResult], k: int, total: int) -> float:
    """Seconds the members after member k will take, at the pace of those already trained."""
    if not done:
        return 0.0
    return (total - k - 1) * sum(r.seconds for r in done) / len(done)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def masked_loss(loss_fn: nn.Module, pred: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean elementwise loss over the known targets (NaN = masked) and how many there were."""
    elementwise, known = _elementwise(loss_fn, pred, target)
    n = known.sum()
    return elementwise.sum() / n.clamp(min=1), n


def _elementwise(loss_fn: nn.Module, pred: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, H) loss per target, exactly 0 where the target is masked (NaN), and the mask of known ones."""
    known = ~torch.isnan(target)
    return loss_fn(pred, torch.where(known, target, pred.detach())), known


def fit(model: nn.Module, train, val, config: Config, device: torch.device,
        callback: ProgressCallback | None = None, threads: int | None = None,
        cross_split: int | None = None) -> FitResult:
    """Train in place; on return the model holds the weights of the best validation epoch.

    train, val: `prepare.Windows` (or `TensorWindows`): anything with len() and batch(idx) -> (X, Y).
    threads: intra-op threads; None chooses them for the work (see threads.thread_plan).
    cross_split: a position in model space inside the validation part (val must be `prepare.Windows`, whose
    origins say where each target lies): also keep the weights best on the targets before it and on those
    from it on (`FitResult.cross_states`). The choice of the weights the model ends with is unchanged.
    """
    seed_everything(config.seed)
    model.to(device)
    train, val = train.to(device), val.to(device)  # the feature array moves once
    if len(train) == 0:
        raise UserError("no training windows: the series is too short for this lookback and horizon; "
                        "shorten them or use a longer series")
    override = threads if threads is not None else config.threads
    plan = thread_plan(model, config, device, override=override)
    governor = Governor(plan, auto=override is None and device.type == "cpu", cores=most_threads(fit_work(config)))
    with using_threads(plan):
        return _fit(_Job(model, train, val, config, device, governor, callback, cross_split))


@dataclass
class _Job:
    """One network's fit, as `fit` set it up: windows on the device, threads chosen."""

    model: nn.Module
    train: Windows | TensorWindows  # len() > 0
    val: Windows | TensorWindows  # may be empty: then no epoch beats epoch 0 and the untrained network is kept
    config: Config
    device: torch.device
    governor: Governor
    callback: ProgressCallback | None = None
    cross_split: int | None = None  # see fit

    def report(self, progress: Progress) -> bool:
        """Tell the callback; False when it asks to stop."""
        return self.callback is None or self.callback(progress) is not False


class _Best:
    """The weights to keep: the best validation epoch, epoch 0 (the untrained network) included, and the
    best epoch from 1 on, which Look inside shows when epoch 0 stays best."""

    def __init__(self, model: nn.Module, val_loss: float) -> None:
        self.val = val_loss if math.isfinite(val_loss) else math.inf
        self.base_val, self.epoch, self.state = self.val, 0, _snapshot(model)
        self.trained_val, self.trained_epoch, self.trained_state = math.inf, None, None

    def update(self, model: nn.Module, epoch: int, val_loss: float) -> None:
        if val_loss < self.trained_val:
            self.trained_val, self.trained_epoch = val_loss, epoch
            self.trained_state = _snapshot(model) if val_loss >= self.val - 1e-9 else None  # else self.state is it
        if val_loss < self.val - 1e-9:
            self.val, self.epoch, self.state = val_loss, epoch, _snapshot(model)

    def trained(self) -> dict | None:
        """The whole state of the best trained epoch, when the untrained network is kept."""
        return self.trained_state if self.epoch == 0 else None


def rnn_part(state: dict | None) -> dict | None:
    """A Forecaster's recurrent layers' weights out of its whole state (None when it has none: another module)."""
    rnn = {k[len("rnn."):]: v for k, v in (state or {}).items() if k.startswith("rnn.")}
    return rnn or None


def _fit(job: _Job) -> FitResult:
    model, train, val, config, device, governor = job.model, job.train, job.val, job.config, job.device, job.governor
    n, bs = len(train), config.batch_size
    loss_fn = LOSSES[config.loss](reduction="none")
    fused = device.type in ("cpu", "cuda")  # one kernel for the whole update: about 3x faster steps on CPU
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay, fused=fused)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=max(2, config.patience // 3))
    generator = torch.Generator().manual_seed(config.seed)
    per_epoch = min(n, config.epoch_windows or n)
    val_idx = _val_sample(len(val), config.seed)
    # Epoch 0: the untrained model (its head starts near zero, so it is about its base forecast). A fit
    # that never beats it on validation keeps it: the network never does worse than its own base there.
    halves = _Halves(job) if job.cross_split is not None and len(val) else None
    best = _Best(model, evaluate_loss(model, val, loss_fn, val_idx, halves=halves) if len(val) else math.inf)
    rows: list[tuple] = []
    stopped, start = "completed", time.perf_counter()
    last_tick, epoch_times = start, []
    train_loss = val_loss = math.nan
    for epoch in range(1, config.epochs + 1):
        model.train()
        epoch_start = time.perf_counter()
        order = torch.randperm(n, generator=generator)[:per_epoch]
        total, count, bad_steps = torch.zeros((), device=device), torch.zeros((), device=device), 0
        try:
            for i in range(0, per_epoch, bs):
                X, Y = train.batch(order[i:i + bs].numpy())
                loss, known = masked_loss(loss_fn, model(X), Y.to(device))
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                norm = nn.utils.clip_grad_norm_(model.parameters(), config.clip)
                if not torch.isfinite(norm):  # an exploding or NaN gradient: skip this step, never apply it
                    bad_steps += 1
                    if bad_steps >= MAX_BAD_STEPS or not torch.isfinite(loss):
                        raise _Diverged(float(loss.detach()))
                    continue
                bad_steps = 0
                optimizer.step()
                total += loss.detach() * known
                count += known
                now = time.perf_counter()
                if now - last_tick >= TICK_S:
                    last_tick = now
                    governor.check()  # another process took a core: one thread from now on (and back)
                    fraction = min((i + bs) / per_epoch, 0.999)
                    eta = _eta(epoch_times, now - epoch_start, fraction, config.epochs - epoch + 1)
                    if not job.report(Progress(epoch, config.epochs, train_loss, val_loss, best.val, _lr(optimizer),
                                               now - start, eta, fraction, governor.threads)):
                        raise _Stopped()
            train_loss = float(total) / max(float(count), 1.0)  # one sync per epoch
            val_loss = evaluate_loss(model, val, loss_fn, val_idx, halves=halves)
        except _Stopped:
            stopped = "stopped by user"
            break
        except _Diverged as why:
            stopped = _give_up(f"diverged at epoch {epoch} (loss {why.loss:g})", best, config, model)
            break
        except (torch.OutOfMemoryError, MemoryError):
            stopped = _give_up(f"out of memory at epoch {epoch}", best, config, model)
            break
        if not (math.isfinite(train_loss) and math.isfinite(val_loss)):
            loss = train_loss if not math.isfinite(train_loss) else val_loss
            stopped = _give_up(f"diverged at epoch {epoch} (loss {loss:g})", best, config, model)
            break
        scheduler.step(val_loss)
        best.update(model, epoch, val_loss)
        now = time.perf_counter()
        epoch_times.append(now - epoch_start)
        elapsed, lr = now - start, _lr(optimizer)
        rows.append((epoch, train_loss, val_loss, lr, elapsed))
        eta = _eta(epoch_times, 0.0, 0.0, config.epochs - epoch)
        if not job.report(Progress(epoch, config.epochs, train_loss, val_loss, best.val, lr, elapsed, eta, 1.0,
                                   governor.threads)):
            stopped = "stopped by user"
            break
        if epoch - best.epoch >= config.patience:
            stopped = "early stopping"
            break
    model.load_state_dict(best.state)
    model.eval()
    history = pd.DataFrame(rows, columns=["epoch", "train_loss", "val_loss", "lr", "seconds"])
    finite = (lambda v: v if math.isfinite(v) else math.nan)
    trained_state = best.trained()
    trained_rnn = rnn_part(trained_state)
    return FitResult(history, best.epoch, stopped, time.perf_counter() - start, governor.threads,
                     base_val_loss=finite(best.base_val), best_val_loss=finite(best.val), trained_rnn=trained_rnn,
                     trained_epoch=best.trained_epoch if trained_state is not None else None,
                     cross_states=halves.states() if halves else None, trained_state=trained_state)


class _Halves:
    """Beside the validation loss, the loss on the targets before and from `cross_split`, with the weights
    best on each (epoch 0 included); `evaluate_loss` feeds it from its own forward passes."""

    def __init__(self, job: _Job) -> None:
        self.windows, self.split = job.val, job.cross_split
        self.best = [math.inf, math.inf]
        self.state: list[dict | None] = [None, None]
        self._sum, self._count = [0.0, 0.0], [0, 0]

    def add(self, rows: np.ndarray, elementwise: torch.Tensor, known: torch.Tensor) -> None:
        """One batch: `rows` of the validation windows, their (B, H) losses and known targets."""
        at = torch.as_tensor(self.windows.origins[rows][:, None] + np.arange(1, known.shape[1] + 1)[None, :],
                             device=known.device)  # (B, H) target positions
        for k, side in enumerate((at < self.split, at >= self.split)):
            self._sum[k] += float(elementwise[known & side].sum())
            self._count[k] += int((known & side).sum())

    def close(self, model: nn.Module) -> None:
        """The epoch's losses are in: keep the weights that are best on a half so far."""
        for k in (0, 1):
            value = self._sum[k] / self._count[k] if self._count[k] else math.nan
            if math.isfinite(value) and value < self.best[k] - 1e-9:
                self.best[k], self.state[k] = value, _snapshot(model)
        self._sum, self._count = [0.0, 0.0], [0, 0]

    def states(self) -> tuple[dict, dict] | None:
        return None if self.state[0] is None or self.state[1] is None else (self.state[0], self.state[1])


class _Stopped(Exception):
    pass


class _Diverged(Exception):
    def __init__(self, loss: float) -> None:
        self.loss = loss


def _give_up(what: str, best: _Best, config: Config, model: nn.Module) -> str:
    """The stop reason, keeping the best weights; a UserError when no epoch finished well."""
    if what.split(" at epoch ")[1].startswith("1 ") or what.endswith(" at epoch 1"):
        raise UserError(f"training {what} before any epoch finished; lower the learning rate (now {config.lr}), "
                        "use a smaller model, or check the series for extreme values")
    model.load_state_dict(best.state)
    return f"{what}: kept the best weights, from epoch {best.epoch}"


def _snapshot(model: nn.Module) -> dict:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def _lr(optimizer) -> float:
    return optimizer.param_groups[0]["lr"]


def _eta(epoch_times: list[float], in_epoch: float, fraction: float, remaining: int) -> float:
    """Seconds left at the recent pace: the slower of the last epoch and the one under way.

    A machine that becomes busy slows the current epoch first; reading the recent pace (not the
    mean since the start) keeps the estimate honest under load.
    """
    if remaining <= 0:
        return 0.0
    recent = epoch_times[-1] if epoch_times else 0.0
    current = in_epoch / fraction if fraction > 0 else 0.0
    per_epoch = max(recent, current)
    return per_epoch * remaining - (in_epoch if fraction > 0 else 0.0)


def _val_sample(n: int, seed: int) -> np.ndarray:
    """A fixed sample of at most VAL_MAX_WINDOWS validation windows, the same every epoch."""
    if n <= VAL_MAX_WINDOWS:
        return np.arange(n)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n, VAL_MAX_WINDOWS, replace=False))


@torch.inference_mode()
def evaluate_loss(model: nn.Module, windows, loss_fn, idx: np.ndarray | None = None, batch: int = 1024,
                  halves: _Halves | None = None) -> float:
    """Mean masked loss over windows `idx` (default: all), in chunks; `halves` also gets each chunk's losses."""
    model.eval()
    idx = np.arange(len(windows)) if idx is None else idx
    total, count = 0.0, 0
    for i in range(0, len(idx), batch):
        X, Y = windows.batch(idx[i:i + batch])
        Y = Y.to(X.device)
        elementwise, mask = _elementwise(loss_fn, model(X), Y)
        known = mask.sum()
        loss = elementwise.sum() / known.clamp(min=1)  # masked_loss's number
        total += float(loss) * int(known)
        count += int(known)
        if halves is not None:
            halves.add(idx[i:i + batch], elementwise, mask)
    if halves is not None:
        halves.close(model)
    return total / count if count else math.nan


SHRINK_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)  # the correction weights validation chooses among


def correction_weight(model: nn.Module, val_windows, device: torch.device) -> float:
    """The weight of the network's correction that forecasts the validation part best (mean absolute error
    on its known targets, in model space); ties go to the smaller weight, the base alone included (0)."""
    if val_windows is None or not len(val_windows):
        return 1.0
    predicted = predict(model, val_windows, device)  # (N, H) the correction
    targets = val_windows.Y.numpy().astype(float)  # (N, H) NaN where unknown
    known = np.isfinite(targets)
    if not known.any():
        return 1.0
    errors = [float(np.abs(targets[known] - w * predicted[known]).mean()) for w in SHRINK_WEIGHTS]
    best = min(errors)
    return next(w for w, e in zip(SHRINK_WEIGHTS, errors) if e <= best * (1 + 1e-9))


@torch.inference_mode()
def predict(model: nn.Module, windows, device: torch.device, batch: int = 1024) -> np.ndarray:
    """Scaled outputs (N, H) of every window, in chunks of `batch`."""
    model.eval()
    outs = []
    for i in range(0, len(windows), batch):
        idx = np.arange(i, min(i + batch, len(windows)))
        X = windows.inputs(idx) if hasattr(windows, "inputs") else windows.X[idx]
        outs.append(model(X.to(device)).cpu())
    if not outs:
        return np.zeros((0, getattr(windows, "horizon", 0)))
    return torch.cat(outs).numpy().astype(float)
