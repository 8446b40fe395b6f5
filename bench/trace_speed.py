"""Time compute_trace against one fused forward pass of the same module over the same sequence.

    python bench/trace_speed.py [--steps 10000] [--layers 2] [--hidden 64] [--cell lstm] [--repeats 5]

DESIGN decision 1 targets trace / forward <= 1.5 (limit about 1). The two are timed in
alternation and the ratio is the median of per-round ratios, robust to a busy machine. Also
prints where the trace's time goes (fused layer passes, gate matmuls, cell scan) and the naive
float64 reference loop on a short prefix, scaled per step, as context.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere, no install needed
from lstm_forecast.inspect.reference import reference_trace  # noqa: E402
from lstm_forecast.inspect import traces  # noqa: E402
from lstm_forecast.inspect.traces import compute_trace  # noqa: E402

CELLS = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}


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


def time_stages(rnn: nn.Module, x: torch.Tensor, repeats: int) -> dict[str, float]:
    """Best seconds of each stage of compute_trace, run by hand through its private steps."""
    kind, seq = traces.cell_kind(rnn), x[0]
    dirs, size, n_layers = 2 if rnn.bidirectional else 1, rnn.hidden_size, rnn.num_layers
    best = {"fused layer passes": float("inf"), "gate matmuls": float("inf"), "cell scan": float("inf")}
    with torch.no_grad():
        for _ in range(repeats + 1):
            values = traces._empty(seq, len(traces.QUANTITIES[kind]), len(seq), n_layers, dirs * size)
            spent = dict.fromkeys(best, 0.0)
            layer_in = seq
            for layer in range(n_layers):
                start = time.perf_counter()
                hidden = traces._run_layer(rnn, kind, layer, layer_in)
                spent["fused layer passes"] += time.perf_counter() - start
                start = time.perf_counter()
                for direction in range(dirs if kind != "rnn" else 0):
                    traces._fill_gates(rnn, kind, layer, direction, layer_in, hidden, values)
                spent["gate matmuls"] += time.perf_counter() - start
                layer_in = hidden
            start = time.perf_counter()
            if kind == "lstm":
                traces._fill_cell(values, dirs, size)
            spent["cell scan"] += time.perf_counter() - start
            best = {name: min(best[name], spent[name]) for name in best}
    return best


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=10_000, help="sequence length T")
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--hidden", type=int, default=64, help="hidden units per direction")
    parser.add_argument("--features", type=int, default=3, help="input features D")
    parser.add_argument("--cell", choices=sorted(CELLS), default="lstm")
    parser.add_argument("--bidirectional", action="store_true")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--reference-steps", type=int, default=300, help="T for the naive reference; 0 skips it")
    parser.add_argument("--threads", type=int, default=0, help="torch threads; 0 keeps the machine's default")
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rnn = CELLS[args.cell](
        args.features, args.hidden, num_layers=args.layers, batch_first=True, bidirectional=args.bidirectional
    ).eval()
    x = torch.randn(1, args.steps, args.features)  # (1, T, D)

    def forward() -> None:
        with torch.no_grad():
            rnn(x)

    fwd_times, trace_times = time_pair(forward, lambda: compute_trace(rnn, x), args.repeats)
    fwd_best, fwd_med = min(fwd_times), statistics.median(fwd_times)
    trace_best, trace_med = min(trace_times), statistics.median(trace_times)
    ratio = statistics.median(t / f for t, f in zip(trace_times, fwd_times))

    print(
        f"{args.cell} layers={args.layers} hidden={args.hidden} features={args.features} "
        f"bidirectional={args.bidirectional} T={args.steps} threads={torch.get_num_threads()} "
        f"repeats={args.repeats} torch={torch.__version__}"
    )
    print(f"{'route':<28}{'best s':>10}{'median s':>10}{'x forward':>11}")
    print(f"{'fused forward':<28}{fwd_best:>10.4f}{fwd_med:>10.4f}{1.0:>11.2f}")
    print(f"{'compute_trace':<28}{trace_best:>10.4f}{trace_med:>10.4f}{ratio:>11.2f}")
    for name, seconds in time_stages(rnn, x, args.repeats).items():
        label = f"  of which {name}"
        print(f"{label:<28}{seconds:>10.4f}{'':>10}{seconds / fwd_best:>11.2f}")
    if args.reference_steps > 0:
        n_ref = min(args.reference_steps, args.steps)
        start = time.perf_counter()
        reference_trace(rnn, x[:, :n_ref])
        scaled = (time.perf_counter() - start) * args.steps / n_ref
        label = f"naive reference (T={n_ref}, scaled)"
        print(f"{label:<28}{scaled:>10.4f}{'':>10}{scaled / fwd_med:>11.2f}")
    print(f"ratio trace / forward: {ratio:.2f} (median of per-round ratios; best/best {trace_best / fwd_best:.2f})")


if __name__ == "__main__":
    main()
