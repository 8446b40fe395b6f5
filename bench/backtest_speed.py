"""Is a batched backtest cheap? 50 origins without refits against one training epoch, in one run.

    python bench/backtest_speed.py [--sample seattle_hourly_temp] [--origins 50] [--repeats 5]

Trains the default model once on the data before the first origin, then times, best of `--repeats`:
- one training epoch of that model (the same `fit`, one epoch, same windows and batch size);
- the batched forecast of the model from every origin (`backtest.forecast_origins`:
  one pass, the baselines applied from their one fit, per-step errors and intervals for all).
Prints both and their ratio (target: the 50 origins cost less than one epoch).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lstm_forecast.config import Config  # noqa: E402
from lstm_forecast.data.samples import load_sample  # noqa: E402
from lstm_forecast.backtest import forecast_origins  # noqa: E402
from lstm_forecast.model import build_model  # noqa: E402
from lstm_forecast.pipeline import train_run  # noqa: E402
from lstm_forecast.prepare import prepare, train_val_windows  # noqa: E402
from lstm_forecast.train import fit  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sample", default="seattle_hourly_temp")
    ap.add_argument("--origins", type=int, default=50)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    loaded = load_sample(args.sample)
    n = len(loaded.frame)
    probe = train_run(loaded.head(n // 2), Config(epochs=1), threads=args.threads)  # the resolved horizon
    H = probe.config.horizon
    positions = n - 1 - H - np.arange(args.origins - 1, -1, -1)
    run = train_run(loaded.head(int(positions[0]) + 1), Config(horizon=H), threads=args.threads)
    config = run.config
    prep = prepare(loaded.head(int(positions[0]) + 1), config)
    train_w, val_w = train_val_windows(prep, config)
    one_epoch = Config.from_dict({**config.to_dict(), "epochs": 1, "patience": 1})

    def epoch() -> None:
        model = build_model(len(prep.feature_names), one_epoch)
        fit(model, train_w, val_w, one_epoch, torch.device("cpu"), threads=args.threads)

    def origins() -> None:
        forecast_origins(run, loaded, positions)

    epoch(), origins()  # warm-up
    best = {"epoch": float("inf"), "origins": float("inf")}
    for _ in range(args.repeats):
        for name, fn in (("epoch", epoch), ("origins", origins)):
            t0 = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - t0)
    per_epoch = min(len(train_w), config.epoch_windows or len(train_w))
    print(f"{args.sample}: {n:,} points, horizon {H}, lookback {config.lookback}, hidden {config.hidden}, "
          f"ensemble {config.ensemble}; {args.threads} thread(s); best of {args.repeats}; {time.strftime('%Y-%m-%d')}")
    print(f"| what | seconds |\n|---|---|")
    print(f"| one training epoch ({per_epoch:,} windows, batch {config.batch_size}, + validation) | {best['epoch']:.3f} |")
    print(f"| {args.origins} origins: model in one batched pass + every baseline + errors and intervals | "
          f"{best['origins']:.3f} |")
    print(f"ratio origins / epoch: {best['origins'] / best['epoch']:.2f} (target < 1)")


if __name__ == "__main__":
    main()
