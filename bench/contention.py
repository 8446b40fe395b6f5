"""Does training collapse when another process keeps a core busy? The same fit, quiet and contended.

    python bench/contention.py [--points 8784] [--epochs 18] [--repeats 3]

The fit of issue 10: an 8,784-point hourly series, lookback 48, horizon 24, a fixed number of
epochs (no early stopping), the default model. Timed with three thread settings: the project's
choice (`threads=None`, see lstm_forecast/threads.py), 1 thread, and every core (torch's own default,
what the project did before). Each is timed with the machine quiet and with one competing busy
process (a CPU-bound Python loop this benchmark starts and stops itself), interleaved, best of
`--repeats`. Prints each time and the contended/quiet ratio (target for the project's choice: at
most 1.5), and the quiet time against torch's default (target: no slower).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lstm_forecast.config import Config  # noqa: E402
from lstm_forecast.data.samples import make_synthetic  # noqa: E402
from lstm_forecast.model import Forecaster  # noqa: E402
from lstm_forecast.prepare import prepare, resolve, train_val_windows  # noqa: E402
from lstm_forecast.threads import available_cores  # noqa: E402
from lstm_forecast.train import fit  # noqa: E402

BUSY_LOOP = "while True: pass"


def one_fit(prep, config, threads) -> tuple[float, int]:
    train_w, val_w = train_val_windows(prep, config)
    torch.manual_seed(config.seed)
    model = Forecaster(len(prep.feature_names), config)
    seen = []
    start = time.perf_counter()
    fit(model, train_w, val_w, config, torch.device("cpu"), callback=lambda p: seen.append(p.threads), threads=threads)
    return time.perf_counter() - start, seen[-1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=8784)
    ap.add_argument("--epochs", type=int, default=18)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    cores = available_cores()
    loaded = make_synthetic(args.points, freq="h", seed=0)
    config, _ = resolve(Config(lookback=48, horizon=24, epochs=args.epochs, patience=10**6), loaded)
    prep = prepare(loaded, config)
    settings = {"project (auto)": None, "1 thread": 1, f"{cores} threads (torch default)": cores}
    best = {(name, busy): float("inf") for name in settings for busy in (False, True)}
    used = {}
    one_fit(prep, config, 1)  # warm-up: first-call costs (imports, allocator) are not the fit's
    for _ in range(args.repeats):
        for busy in (False, True):
            hog = subprocess.Popen([sys.executable, "-c", BUSY_LOOP]) if busy else None
            try:
                if hog is not None:
                    time.sleep(0.5)  # let it take its core
                for name, threads in settings.items():
                    seconds, chosen = one_fit(prep, config, threads)
                    print(f"  {name:<28} {'busy ' if busy else 'quiet'} {seconds:7.2f} s ({chosen} thread(s) at the end)",
                          file=sys.stderr, flush=True)
                    best[(name, busy)] = min(best[(name, busy)], seconds)
                    used[(name, busy)] = chosen
            finally:
                if hog is not None:
                    hog.kill()
                    hog.wait()
    print(f"fit of {args.points:,} hourly points, lookback {config.lookback}, horizon {config.horizon}, "
          f"{args.epochs} epochs, hidden {config.hidden}; {cores} cores; torch {torch.__version__}; "
          f"best of {args.repeats}; {time.strftime('%Y-%m-%d')}")
    print(f"| threads | quiet s | one core busy s | busy / quiet | threads used (quiet, busy) |")
    print("|---|---|---|---|---|")
    for name in settings:
        quiet, loaded_s = best[(name, False)], best[(name, True)]
        print(f"| {name} | {quiet:.2f} | {loaded_s:.2f} | {loaded_s / quiet:.2f} | "
              f"{used[(name, False)]}, {used[(name, True)]} |")
    ours, default = settings and ("project (auto)", f"{cores} threads (torch default)")
    print(f"\nproject quiet / torch default quiet: {best[(ours, False)] / best[(default, False)]:.2f} (target <= 1.0); "
          f"project busy / project quiet: {best[(ours, True)] / best[(ours, False)]:.2f} (target <= 1.5); "
          f"load average now {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
