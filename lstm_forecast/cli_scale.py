"""The command line of panels and sweeps: `train --panel PATH --id-col ID ...` and `sweep ...`.

Parses, calls lstm_forecast.scale, prints. cli.py adds these arguments and dispatches here.
"""
from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from .config import Config
from .runs import file_sha256
from .scale.panel import load_panel
from .scale.sweep import DEFAULT_CELLS, run_sweep


def panel_args(p: argparse.ArgumentParser, src) -> None:
    """--panel in the source group, and --id-col."""
    src.add_argument("--panel", help="a long CSV of many series: an id column, a date column, the value and "
                                     "optional covariates, one row per series and time stamp")
    p.add_argument("--id-col", default="id", help="with --panel: the column that tells the series apart (default id)")


def panel_train_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--mode", choices=("global", "per-series"), default="global",
                   help="with --panel: one global model across all series (default), or one model per series")
    p.add_argument("--embedding", type=int, default=0,
                   help="with --panel --mode global: a learned per-series vector of this size (default 0: none)")
    p.add_argument("--backend", choices=("local", "ray"), default="local",
                   help="with --panel --mode per-series: fit the series in this process (default) or as Ray tasks "
                        "(RAY_ADDRESS joins a cluster; needs requirements-scale.txt)")


def sweep_parser(sub, source_args, model_args) -> None:
    sw = sub.add_parser("sweep", help="search cell, lookback, hidden, layers, dropout and learning rate, scored on "
                                      "validation origins; resumable")
    source_args(sw, panel=True)
    model_args(sw)
    sw.add_argument("--trials", type=int, required=True, help="finished (complete or pruned) trials the sweep "
                    "should have in all; a rerun resumes and adds only the missing ones. Failed trials (a setting the "
                    "data cannot take, a killed command's) are not counted, and with --jobs N up to N-1 more can "
                    "finish: each worker ends the trial it started")
    sw.add_argument("--backend", choices=("optuna", "ray"), default="optuna",
                    help="optuna: trials in this machine's processes (default); ray: Ray Tune trials "
                         "(RAY_ADDRESS joins a cluster; needs requirements-scale.txt)")
    sw.add_argument("--jobs", type=int, default=1, help="with the optuna backend: worker processes (default 1)")
    sw.add_argument("--cells", nargs="+", default=list(DEFAULT_CELLS), help="cells to search (default lstm gru rnn)")
    sw.add_argument("--no-prune", action="store_true", help="let every trial run to its end")
    sw.add_argument("--out", required=True, help="the sweep folder (created, or resumed when it holds a sweep)")
    sw.add_argument("--quiet", action="store_true", help="no line per finished trial")


def _load_panel(args):
    return load_panel(args.panel, id_col=args.id_col, date_col=args.date_col, value_col=args.value_col,
                      keep_markers=args.keep_markers)


def _print_panel_report(panel) -> None:
    for note in panel.notes:
        print(f"panel: {note}")
    for sid, loaded in panel.series.items():
        for line in loaded.report:
            print(f"data[{sid}]: {line}")
    for sid, why in panel.problems.items():
        print(f"left out [{sid}]: {why}", file=sys.stderr)


def cmd_train_panel(args, config: Config) -> int:
    from .scale.panels import train_panel  # deferred: scale/panels.py imports statsmodels
    from .scale.store import save_panel  # deferred: scale/store.py imports statsmodels

    panel = _load_panel(args)
    _print_panel_report(panel)
    print(f"panel {panel.source}: {len(panel.series)} series kept, {len(panel.problems)} left out")

    def progress(p) -> None:
        if not args.quiet and p.end_of_epoch and (p.epoch == 1 or p.epoch % 5 == 0):
            print(f"epoch {p.epoch:>3}/{p.epochs}  train {p.train_loss:.4f}  val {p.val_loss:.4f}  "
                  f"best {p.best_val_loss:.4f}", file=sys.stderr, flush=True)

    def each(sid: str, done: int, total: int) -> None:
        if not args.quiet:
            print(f"fitted {done}/{total}: {sid}", file=sys.stderr, flush=True)

    panel_run = train_panel(panel, config, mode=args.mode, embedding=args.embedding, backend=args.backend,
                            threads=args.threads, callback=progress, on_series=each)
    folder = save_panel(panel_run, args.out, panel=panel)
    for sid, why in panel_run.problems.items():
        if sid not in panel.problems:
            print(f"left out [{sid}]: {why}", file=sys.stderr)
    print(scoreboard_text(panel_run.scoreboard(), panel_run.info))
    scores = panel_run.scores().sort_values("relative_mase", ascending=False)
    cols = ["id", "freq", "period", "mase", "seasonal_naive_mase", "relative_mase", "verdict"]
    print(scores[cols].head(10).round(4).to_string(index=False))
    print(f"wrote {folder}")
    return 0


def scoreboard_text(board: dict, info: dict) -> str:
    """Three lines: what was trained, the geometric-mean relative MASE and share beating seasonal naive, the worst."""
    c = info["config"]
    how = f"{info['mode']} ({info['backend']})" + (f", embedding {info['embedding']}" if info.get("embedding") else "")
    lines = [f"{info['n_trained']} of {info['n_series']} series trained {how}: {c['cell']} {c['hidden']}x{c['layers']}, "
             f"lookback {c['lookback']}, horizon {c['horizon']}, in {info['seconds']:.1f}s"]
    lines.append(f"geometric-mean relative MASE (model / seasonal naive) {board['geomean_relative_mase']:.4f}; "
                 f"{board['share_beating_seasonal_naive']:.0%} of series beat seasonal naive "
                 f"(ties within 2%: {board['share_tying_seasonal_naive']:.0%})")
    if board.get("worst"):
        w = board["worst"]
        lines.append(f"worst series: {w['id']} (relative MASE {w['relative_mase']:.3f}, MASE {w['mase']:.3f})")
    return "\n".join(lines)


def cmd_sweep(args, config: Config, load, origin_of) -> int:
    """load(args) -> the series, origin_of(series) -> its record: the CLI's own, handed in (this module sits
    below cli.py)."""
    if args.panel:
        data = _load_panel(args)
        _print_panel_report(data)
        origin = {"panel": str(Path(args.panel).resolve()), "sha256": file_sha256(args.panel), "id_col": args.id_col,
                  "date_col": args.date_col, "value_col": args.value_col}
    else:
        data = load(args)
        origin = origin_of(data)
    summary = run_sweep(data, config, args.out, args.trials, backend=args.backend, jobs=args.jobs,
                        cells=tuple(args.cells), seed=args.seed, pruning=not args.no_prune, origin=origin,
                        verbose=not args.quiet)
    print(sweep_text(summary))
    print(f"wrote {args.out} (trials.csv, study.db, best/, default/)")
    return 0


def sweep_text(s: dict) -> str:
    """What the sweep did and found, in a few lines."""
    load = s.get("load_average") or {}
    busy = f", load average {load['before']} -> {load['after']}" if load.get("before") is not None else ""
    lines = [f"{s['trials']} trials: {s['complete']} complete, {s['pruned']} pruned, {s['failed']} failed "
             f"({s['backend']}, {s['seconds_this_command']:.0f}s this run{busy})"]
    if s["pruned"]:
        lines.append(f"pruning cut trials short: pruned ones ran {s['epochs_pruned_mean']:.1f} epochs on average, "
                     f"complete ones {s['epochs_complete_mean']:.1f}")
    best, default = s.get("best"), s.get("default")
    if best:
        p = best["params"]
        lines.append(f"best: trial {best['number']} ({p['cell']}, lookback {p['lookback']}, hidden {p['hidden']}, "
                     f"layers {p['layers']}, dropout {p['dropout']:.2f}, lr {p['lr']:.2g}): "
                     f"validation MASE {best['score']:.4f}")
    if default and best:
        gain = s.get("validation_gain", math.nan)
        lines.append(f"default settings (trial {default['number']}): validation MASE {default['score']:.4f}; "
                     f"the best is {_better(gain)} on validation")
        if best.get("holdout_mase") is not None and default.get("holdout_mase") is not None:
            measure = best.get("holdout_measure", "MASE on the holdout")
            lines.append(f"holdout ({measure}): best {best['holdout_mase']:.4f}, default {default['holdout_mase']:.4f}: "
                         f"the best is {_better(s.get('holdout_gain', math.nan))} there")
    return "\n".join(lines)


def _better(gain: float) -> str:
    if gain is None or not math.isfinite(gain):
        return "not comparable"
    return f"{gain:.1%} better" if gain >= 0 else f"{-gain:.1%} worse"
