"""Training speed: does `fit` add anything over a bare PyTorch loop, and what do the custom cells cost?

    python bench/train_speed.py [--points 4000] [--epochs 10] [--cell lstm] [--hidden 64] [--repeats 5]
    python bench/train_speed.py --cells lstm lstm-peephole lstm-coupled [--threads 1]

Default mode: `fit` against a bare loop on the same model, data, batch, epochs and optimiser
(Adam with the same settings `fit` uses, fused on CPU and CUDA), and their samples/second ratio
(ours / bare; target >= 0.95). `fit` also validates every epoch, tracks the best weights and reports
progress: that is the overhead being measured.

--cells mode: `fit` on each cell over the same data and config (only the cell differs), and each
one's samples/second against the first (the fused LSTM by default).

--recurrence mode: how to run a custom cell's recurrence. One layer's forward + backward on a
(batch, lookback, features) batch, for the fused nn.LSTM, the hand-written autograd Function of
lstm_forecast.model, the same step loop left to autograd (eager), that loop under torch.jit.script,
and with --compile under torch.compile (its first call compiles: minutes here). The first call is
wall-clock seconds; the steady-state times are CPU seconds of this process, robust to other
processes on the machine (use --threads 1).

Every contestant runs in this process, interleaved round by round, best of `repeats`, so machine
noise hits all alike.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lstm_forecast.config import CELLS, Config  # noqa: E402
from lstm_forecast.data.samples import make_synthetic  # noqa: E402
from lstm_forecast.model import Forecaster  # noqa: E402
from lstm_forecast.prepare import prepare, resolve, train_val_windows  # noqa: E402
from lstm_forecast.train import LOSSES, fit, masked_loss, seed_everything  # noqa: E402


def bare_loop(model: nn.Module, train, config: Config, per_epoch: int, device: torch.device) -> None:
    """The reference: what anyone would hand-write, with the same optimiser settings, the same batches
    (gathered from the same windows), the same masked loss, clipping and windows drawn per epoch."""
    seed_everything(config.seed)
    loss_fn = LOSSES[config.loss](reduction="none")
    fused = device.type in ("cpu", "cuda")  # as fit: one kernel for the whole Adam update
    opt = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay, fused=fused)
    g = torch.Generator().manual_seed(config.seed)
    model.train()
    for _ in range(config.epochs):
        order = torch.randperm(len(train), generator=g)[:per_epoch]
        for i in range(0, per_epoch, config.batch_size):
            Xb, Yb = train.batch(order[i:i + config.batch_size].numpy())
            loss, _ = masked_loss(loss_fn, model(Xb), Yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), config.clip)
            opt.step()


def _autograd_peephole(x, w_ih, b, w_hh, peephole):
    """The peephole LSTM as a plain step loop left to autograd: x (T, B, D) -> hidden states (T, B, H)."""
    projected = torch.nn.functional.linear(x, w_ih, b)  # (T, B, 4H)
    h = c = x.new_zeros(x.shape[1], w_hh.shape[1])
    outs = []
    for t in range(projected.shape[0]):
        i, f, g, o = (projected[t] + h @ w_hh.t()).chunk(4, 1)
        i = torch.sigmoid(i + peephole[0] * c)
        f = torch.sigmoid(f + peephole[1] * c)
        c = f * c + i * torch.tanh(g)
        h = torch.sigmoid(o + peephole[2] * c) * torch.tanh(c)
        outs.append(h)
    return torch.stack(outs)


def _autograd_coupled(x, w_ih, b, w_hh, peephole):
    """The coupled-gate LSTM as a plain step loop left to autograd (peephole unused)."""
    projected = torch.nn.functional.linear(x, w_ih, b)  # (T, B, 3H)
    h = c = x.new_zeros(x.shape[1], w_hh.shape[1])
    outs = []
    for t in range(projected.shape[0]):
        f, g, o = (projected[t] + h @ w_hh.t()).chunk(3, 1)
        f = torch.sigmoid(f)
        c = f * c + (1 - f) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        outs.append(h)
    return torch.stack(outs)


def time_recurrences(cell: str, batch: int, steps: int, features: int, hidden: int, repeats: int,
                     compile_too: bool) -> None:
    """CPU seconds of one layer's forward + backward for each way to run `cell`'s recurrence."""
    import warnings

    from lstm_forecast import cells

    torch.manual_seed(0)
    module = cells.get(cell).build(features, hidden, batch_first=False)
    fused = nn.LSTM(features, hidden)
    p = dict(module.named_parameters())
    args = (p["weight_ih_l0"], p["bias_ih_l0"] + p["bias_hh_l0"], p["weight_hh_l0"],
            p.get("peephole_l0", torch.zeros(3, hidden)))
    loop = _autograd_peephole if cell == "lstm-peephole" else _autograd_coupled
    x = torch.randn(steps, batch, features)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # torch.jit.script is deprecated: that is a finding
        scripted = torch.jit.script(loop)
    routes = {
        "fused nn.LSTM": lambda: fused(x)[0],
        f"{cell}, hand-written backward": lambda: module(x)[0],
        f"{cell}, autograd step loop": lambda: loop(x, *args),
        f"{cell}, torch.jit.script": lambda: scripted(x, *args),
    }
    if compile_too:
        compiled = torch.compile(loop)
        routes[f"{cell}, torch.compile"] = lambda: compiled(x, *args)
    print(f"one layer, batch {batch}, {steps} steps, {features} features, {hidden} units, "
          f"{torch.get_num_threads()} thread(s), torch {torch.__version__}; CPU ms, best of {repeats}")
    print(f"{'route':<44}{'first call s':>13}{'fwd+bwd ms':>12}{'x fused':>9}")  # first call: wall clock
    best = {}
    for name, run in routes.items():
        start = time.perf_counter()  # wall clock: torch.compile's compiler workers are other processes
        run()[-1].sum().backward()  # the first call: scripting profiles, torch.compile compiles
        first = time.perf_counter() - start
        for _ in range(3):
            run()[-1].sum().backward()
        times = []
        for _ in range(repeats):
            start = time.process_time()
            run()[-1].sum().backward()
            times.append(time.process_time() - start)
        best[name] = min(times)
        print(f"{name:<44}{first:>13.2f}{best[name] * 1e3:>12.2f}{best[name] / best['fused nn.LSTM']:>9.2f}")


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--points", type=int, default=4000)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--cell", default="lstm", choices=CELLS)
    ap.add_argument("--cells", nargs="+", choices=CELLS, help="compare fit's speed across these cells instead")
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--layers", type=int, default=1)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1, help="torch threads, the same for every loop (default 1)")
    ap.add_argument("--recurrence", choices=("lstm-peephole", "lstm-coupled"),
                    help="time the ways to run this custom cell's recurrence instead")
    ap.add_argument("--compile", action="store_true", help="with --recurrence: also torch.compile (slow first call)")
    return ap.parse_args()


def main() -> None:
    args = parse_args()
    torch.set_num_threads(args.threads)
    if args.recurrence:
        time_recurrences(args.recurrence, args.batch_size, 48, 3, args.hidden, args.repeats, args.compile)
        return
    loaded = make_synthetic(args.points, freq="h", seed=0)
    config, _ = resolve(Config(cell=args.cell, hidden=args.hidden, layers=args.layers, epochs=args.epochs,
                               batch_size=args.batch_size, patience=100_000, period=24), loaded)
    prep = prepare(loaded, config)
    train_w, val_w = train_val_windows(prep, config)
    n = len(train_w)
    per_epoch = min(n, config.epoch_windows or n)  # what fit draws per epoch; the bare loop does the same
    device = torch.device("cpu")

    def run_fit(cell: str) -> None:
        cfg = Config.from_dict({**config.to_dict(), "cell": cell})
        torch.manual_seed(0)
        fit(Forecaster(len(prep.feature_names), cfg), train_w, val_w, cfg, device, callback=lambda p: None,
            threads=args.threads)

    def run_bare() -> None:
        torch.manual_seed(0)
        bare_loop(Forecaster(len(prep.feature_names), config), train_w, config, per_epoch, device)

    if args.cells:
        contestants = {cell: (lambda cell=cell: run_fit(cell)) for cell in args.cells}
    else:
        contestants = {"bare": run_bare, "fit": lambda: run_fit(config.cell)}
    best = dict.fromkeys(contestants, float("inf"))
    for _ in range(args.repeats):
        for name, run in contestants.items():
            t0 = time.perf_counter()
            run()
            best[name] = min(best[name], time.perf_counter() - t0)
    sps = {k: per_epoch * config.epochs / v for k, v in best.items()}
    cell_text = "cells " + ", ".join(args.cells) if args.cells else config.cell
    print(f"{cell_text}: hidden {config.hidden} x{config.layers}, lookback {config.lookback}, "
          f"horizon {config.horizon}, batch {config.batch_size}, {per_epoch} of {n} training windows per epoch "
          f"(+{len(val_w)} validation), {config.epochs} epochs, torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads, best of {args.repeats}")
    first = next(iter(contestants))
    print(f"{'loop':<16}{'seconds':>10}{'samples/s':>12}{f'x {first}':>14}")
    for name in contestants:
        print(f"{name:<16}{best[name]:>10.3f}{sps[name]:>12.0f}{sps[name] / sps[first]:>14.2f}")
    if not args.cells:
        print(f"ratio fit/bare (samples/s): {sps['fit'] / sps['bare']:.3f}  (target >= 0.95)")


if __name__ == "__main__":
    main()
