"""What the look-inside measures cost against one fused forward pass of the same network over the same steps.

    python bench/inside_speed.py [--steps 10000] [--hidden 32] [--layers 1] [--cell lstm] [--threads 1] [--repeats 5]

Over one series of --steps steps: the trace (every gate and state), the drivers of every gate of layer 0 (from that
trace, as the dashboard computes them), the memory half-lives of every unit (from the trace's keep gate) and the
trace plus drivers or half-lives, each as a multiple of the fused forward pass. Connectivity is timed against a
forward pass of the same holdout windows (lookback 2 x 24, horizon 24, 500 windows): it is one backward pass per
horizon step. Ablation (every unit of layer 0 knocked out of one holdout window, in one batch) is timed against a
forward pass of that window. Each pair is timed in alternation and the ratio is the median of per-round ratios (bench/trace_speed.py),
so a busy machine slows both alike; the load average is printed beside.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere, no install needed
from bench.trace_speed import time_pair  # noqa: E402
from lstm_forecast import cells  # noqa: E402
from lstm_forecast.config import Config  # noqa: E402
from lstm_forecast.inspect.ablation import knocked_out_outputs  # noqa: E402
from lstm_forecast.inspect.drivers import gate_drivers  # noqa: E402
from lstm_forecast.inspect.memory import connectivity, kept_share, half_lives  # noqa: E402
from lstm_forecast.inspect.traces import compute_trace  # noqa: E402
from lstm_forecast.model import Forecaster  # noqa: E402


NAMES = ("level_gap", "change", "phase_sin", "phase_cos")


def ratio(first, second, repeats: int) -> tuple[float, float, float]:
    """(median seconds of first, of second, median per-round ratio first / second)."""
    a, b = time_pair(first, second, repeats)
    return statistics.median(a), statistics.median(b), statistics.median(x / y for x, y in zip(a, b))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=10_000)
    ap.add_argument("--hidden", type=int, default=32)
    ap.add_argument("--layers", type=int, default=1)
    ap.add_argument("--cell", default="lstm", choices=list(cells.CELLS))
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    features = 4
    rnn = cells.get(args.cell).build(features, args.hidden, num_layers=args.layers, batch_first=True).eval()
    x = torch.randn(args.steps, features)

    def forward():
        with torch.no_grad():
            rnn(x.unsqueeze(0))

    def trace():
        return compute_trace(rnn, x)

    held = trace()
    has_keep = cells.get(args.cell).keep_gate is not None
    rows = [("trace", trace)]
    rows.append(("drivers, from the trace", lambda: gate_drivers(rnn, x, held, layer=0, feature_names=NAMES)))
    rows.append(("trace + drivers", lambda: gate_drivers(rnn, x, trace(), layer=0, feature_names=NAMES)))
    if has_keep:
        rows.append(("half-lives, from the trace", lambda: half_lives(kept_share(held, 0))))
        rows.append(("trace + half-lives", lambda: half_lives(kept_share(trace(), 0))))
    load = os.getloadavg()
    print(f"{args.cell} {args.layers}x{args.hidden}, {args.steps:,} steps, {args.threads} thread(s), torch "
          f"{torch.__version__}, load {load[0]:.2f} {load[1]:.2f}, median of {args.repeats} rounds")
    print(f"{'measure':30s} {'seconds':>9s} {'forward s':>10s} {'x forward':>10s}")
    for name, fn in rows:
        s, f, r = ratio(fn, forward, args.repeats)
        print(f"{name:30s} {s:9.3f} {f:10.3f} {r:10.2f}")
    model = Forecaster(features, Config(cell=args.cell, hidden=args.hidden, layers=args.layers, horizon=24,
                                        lookback=48)).eval()
    with torch.no_grad():
        model.head.weight.normal_()
    windows = torch.randn(500, 48, features)

    def forecast():
        with torch.no_grad():
            model(windows)

    s, f, r = ratio(lambda: connectivity(model, windows), forecast, args.repeats)
    print(f"{'connectivity (500 windows)':30s} {s:9.3f} {f:10.3f} {r:10.2f}")
    one = windows[:1]

    def forecast_one():
        with torch.no_grad():
            model(one)

    s, f, r = ratio(lambda: knocked_out_outputs(model, one, 0), forecast_one, args.repeats)
    print(f"{f'ablation of {args.hidden} units':30s} {s:9.3f} {f:10.3f} {r:10.2f}   (x a forward of the one "
          "holdout window; target: a layer of 32 units in 2 s)")


if __name__ == "__main__":
    main()
