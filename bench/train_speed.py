"""Does `fit` add anything over a bare PyTorch loop? Same model, data, batch, epochs, optimiser.

    python bench/train_speed.py [--points 4000] [--epochs 5] [--cell lstm] [--hidden 64] [--repeats 3]

Prints samples/second for both and their ratio (ours / bare; target >= 0.95). Both run in this
process, interleaved, best of `repeats`, so machine noise hits both alike. `fit` also validates
every epoch, tracks the best weights and reports progress: that is the overhead being measured.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lstm_forecast.config import Config  # noqa: E402
from lstm_forecast.data.samples import make_synthetic  # noqa: E402
from lstm_forecast.model import Forecaster  # noqa: E402
from lstm_forecast.prepare import prepare, resolve, split_origins, windows  # noqa: E402
from lstm_forecast.train import LOSSES, fit, seed_everything  # noqa: E402


def bare_loop(model: nn.Module, X: torch.Tensor, Y: torch.Tensor, config: Config, per_epoch: int) -> None:
    """The reference: what anyone would hand-write, with the same optimiser, loss, clipping and
    the same number of windows drawn per epoch."""
    seed_everything(config.seed)
    loss_fn = LOSSES[config.loss]()
    opt = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    g = torch.Generator().manual_seed(config.seed)
    model.train()
    for _ in range(config.epochs):
        order = torch.randperm(len(X), generator=g)[:per_epoch]
        for i in range(0, per_epoch, config.batch_size):
            idx = order[i:i + config.batch_size]
            loss = loss_fn(model(X[idx]), Y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), config.clip)
            opt.step()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=4000)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--cell", default="lstm")
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--layers", type=int, default=1)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()

    loaded = make_synthetic(args.points, freq="h", seed=0)
    config, _ = resolve(Config(cell=args.cell, hidden=args.hidden, layers=args.layers, epochs=args.epochs,
                               batch_size=args.batch_size, patience=10 ** 6, period=24), loaded)
    prep = prepare(loaded, config)
    tr, va = split_origins(prep, config)
    train_w, val_w = windows(prep, tr, config), windows(prep, va, config)
    n = len(train_w.X)
    per_epoch = min(n, config.epoch_windows or n)  # what fit draws per epoch; the bare loop does the same
    device = torch.device("cpu")
    best = {"fit": float("inf"), "bare": float("inf")}
    for _ in range(args.repeats):
        for name in ("bare", "fit"):
            torch.manual_seed(0)
            model = Forecaster(len(prep.feature_names), config)
            t0 = time.perf_counter()
            if name == "fit":
                fit(model, train_w, val_w, config, device, callback=lambda p: None)
            else:
                bare_loop(model, train_w.X, train_w.Y, config, per_epoch)
            best[name] = min(best[name], time.perf_counter() - t0)
    sps = {k: per_epoch * config.epochs / v for k, v in best.items()}
    print(f"{config.cell} hidden {config.hidden} x{config.layers}, lookback {config.lookback}, horizon {config.horizon}, "
          f"batch {config.batch_size}, {per_epoch} of {n} training windows per epoch (+{len(val_w.X)} validation), "
          f"{config.epochs} epochs, "
          f"torch {torch.__version__}, {torch.get_num_threads()} threads, best of {args.repeats}")
    print(f"{'loop':<10}{'seconds':>10}{'samples/s':>12}")
    for name, label in (("bare", "bare"), ("fit", "fit")):
        print(f"{label:<10}{best[name]:>10.3f}{sps[name]:>12.0f}")
    print(f"ratio fit/bare (samples/s): {sps['fit'] / sps['bare']:.3f}  (target >= 0.95)")


if __name__ == "__main__":
    main()
