"""Time compute_trace against one forward pass of the same module over the same sequence.

    python bench/trace_speed.py [--steps 10000 100000] [--threads 1 2] [--layers 2] [--hidden 64]
                                [--cell lstm] [--repeats 5]

DESIGN decision 1 targets trace / forward <= 1.5 (limit about 1), at every thread count. For each
thread count and length, the two are timed in alternation and the ratio is the median of per-round
ratios, robust to a busy machine. Also prints where the trace's time goes (layer passes, gate
maths, cell scan, copies) and the naive float64 reference loop on a short prefix, scaled per step.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere, no install needed
from lstm_forecast import cells  # noqa: E402
from lstm_forecast.inspect import traces  # noqa: E402
from lstm_forecast.inspect.reference import reference_trace  # noqa: E402
from lstm_forecast.inspect.traces import compute_trace  # noqa: E402


def time_pair(first: Callable[[], object], second: Callable[[], object], repeats: int) -> tuple[list, list]:
    """Seconds of each call over ``repeats`` rounds after one warm-up round.

    The two calls alternate within each round, so a busy machine slows both alike and the
    per-round ratio stays meaningful.
    """
    first(), second()
    times_first, times_second = [], []
    for _ in range(repeats):
        for fn, times in ((first, times_first), (second, times_second)):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
    return times_first, times_second


class StageClock:
    """Wraps compute_trace's private stages to add up the seconds each takes."""

    STAGES = {"_run_layer": "layer passes", "_fill_gates": "gate maths", "_fill_cell": "cell scan"}

    def __init__(self) -> None:
        self.spent = dict.fromkeys(self.STAGES.values(), 0.0)
        self.originals = {name: getattr(traces, name) for name in self.STAGES}

    def __enter__(self) -> "StageClock":
        for name, label in self.STAGES.items():
            setattr(traces, name, self._timed(self.originals[name], label))
        return self

    def __exit__(self, *exc) -> None:
        for name, original in self.originals.items():
            setattr(traces, name, original)

    def _timed(self, fn: Callable, label: str) -> Callable:
        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.spent[label] += time.perf_counter() - start
        return timed


def time_stages(rnn: torch.nn.Module, x: torch.Tensor, repeats: int) -> tuple[float, dict[str, float]]:
    """Best total seconds of compute_trace, and the seconds of each stage in that best run."""
    best_total, best_stages = float("inf"), {}
    for _ in range(repeats):
        with StageClock() as clock:
            start = time.perf_counter()
            compute_trace(rnn, x)
            total = time.perf_counter() - start
        if total < best_total:
            best_total, best_stages = total, dict(clock.spent)
    best_stages["the rest (allocation, copies)"] = best_total - sum(best_stages.values())
    return best_total, best_stages


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, nargs="+", default=[10_000, 100_000], help="sequence lengths T")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="torch thread counts to time")
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--hidden", type=int, default=64, help="hidden units per direction")
    parser.add_argument("--features", type=int, default=3, help="input features D")
    parser.add_argument("--cell", choices=list(cells.CELLS), default="lstm")
    parser.add_argument("--bidirectional", action="store_true")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--reference-steps", type=int, default=300, help="T for the naive reference; 0 skips it")
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    torch.manual_seed(args.seed)
    rnn = cells.get(args.cell).build(args.features, args.hidden, num_layers=args.layers,
                                     bidirectional=args.bidirectional).eval()
    print(f"{args.cell} layers={args.layers} hidden={args.hidden} features={args.features} "
          f"bidirectional={args.bidirectional} repeats={args.repeats} torch={torch.__version__}")
    summary = []
    for n_steps in args.steps:
        x = torch.randn(1, n_steps, args.features)  # (1, T, D)

        def forward() -> None:
            with torch.no_grad():
                rnn(x)

        for threads in args.threads:
            torch.set_num_threads(threads)
            fwd_times, trace_times = time_pair(forward, lambda: compute_trace(rnn, x), args.repeats)
            fwd_best, fwd_med = min(fwd_times), statistics.median(fwd_times)
            trace_best, trace_med = min(trace_times), statistics.median(trace_times)
            ratio = statistics.median(t / f for t, f in zip(trace_times, fwd_times))
            summary.append((n_steps, threads, ratio, trace_best / fwd_best))
            print(f"\nT={n_steps:,} threads={threads}")
            print(f"{'route':<34}{'best s':>10}{'median s':>10}{'x forward':>11}")
            print(f"{'forward (no grad)':<34}{fwd_best:>10.4f}{fwd_med:>10.4f}{1.0:>11.2f}")
            print(f"{'compute_trace':<34}{trace_best:>10.4f}{trace_med:>10.4f}{ratio:>11.2f}")
            _, stages = time_stages(rnn, x, args.repeats)
            for name, seconds in stages.items():
                label = f"  of which {name}"
                print(f"{label:<34}{seconds:>10.4f}{'':>10}{seconds / fwd_best:>11.2f}")
    if args.reference_steps > 0:
        n_ref = min(args.reference_steps, min(args.steps))
        x = torch.randn(1, n_ref, args.features)
        start = time.perf_counter()
        reference_trace(rnn, x)
        per_step = (time.perf_counter() - start) / n_ref
        print(f"\nnaive float64 reference: {per_step * 1e6:.0f} us per step (T={n_ref}), "
              f"{per_step * min(args.steps):.2f} s at T={min(args.steps):,}")
    print("\nratio trace / forward (median of per-round ratios; best/best in brackets)")
    for n_steps, threads, ratio, best_ratio in summary:
        print(f"  T={n_steps:>7,} threads={threads}: {ratio:.2f} ({best_ratio:.2f})")


if __name__ == "__main__":
    main()
