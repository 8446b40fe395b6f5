"""`python -m lstm_forecast train | forecast | backtest | inspect | sweep | demo`: the package without a browser.

User mistakes exit with status 2 and one line `error: <problem>; <fix>`, never a traceback.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

import pandas as pd

from .cells import CELLS as REGISTRY
from .config import CELLS, Config
from .errors import UserError
from .evaluation.kept import base_name, not_kept_note, weight_words
from .evaluation.leaderboard import entries_of, leaderboard
from .export import neutralise
from .inspect.memory import run_connectivity
from .runs import current_run_id, load_run, save_run

YAHOO_PERIODS = ("1d", "5d", "1mo", "3mo", "6mo", "1y", "2y", "5y", "10y", "ytd", "max")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse's own errors, in the project's one-line form
        command = self.prog.split()[-1]  # "lstm_forecast" for the top level, else the subcommand
        where = "" if command == "lstm_forecast" else f" {command}"
        raise UserError(f"{message}; see `python -m lstm_forecast{where} --help`")


def _source_args(p: argparse.ArgumentParser, required: bool = True, panel: bool = False) -> None:
    src = p.add_mutually_exclusive_group(required=required)
    src.add_argument("--csv", help="a CSV file: the date and value columns are detected")
    src.add_argument("--ticker", help="a Yahoo Finance symbol, fetched with yfinance (e.g. AAPL)")
    src.add_argument("--sample", help="a bundled sample by name (see README), e.g. airline")
    if panel:
        # deferred: cli_scale.py loads the scale/ package (0.14 s), for panel and sweep commands only
        from .cli_scale import panel_args

        panel_args(p, src)
    p.add_argument("--date-col", help="the date column, when detection picks the wrong one")
    p.add_argument("--value-col", help="the column to forecast (default: one named OT, target, y or value; else a "
                                       "stock export's Adj Close or Close; else the first numeric column that is "
                                       "not a counter or a date part; the data report says which and why)")
    p.add_argument("--keep-markers", action="store_true",
                   help="with --csv: keep repeated extreme values such as -200 as numbers, not missing-value markers")
    p.add_argument("--interval", default="1d", help="Yahoo bar size: 1d, 1wk, 1mo, 1h, ... (with --ticker)")
    p.add_argument("--field", default="Close", help="Yahoo field: Open, High, Low, Close, Volume")
    p.add_argument("--start", help="Yahoo start date YYYY-MM-DD (instead of a history period)")
    p.add_argument("--end", help="Yahoo end date YYYY-MM-DD")
    p.add_argument("--history", choices=YAHOO_PERIODS, help="Yahoo history span, same as --period 2y")
    p.add_argument("--refresh", action="store_true", help="with --ticker: fetch again, ignoring the cached download")


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m lstm_forecast", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    train = sub.add_parser("train", help="train a model and write its run folder (with --panel: a panel folder)")
    _source_args(train, panel=True)
    _model_args(train)
    train.add_argument("--out", required=True, help="the run folder to write")
    train.add_argument("--quiet", action="store_true", help="no per-epoch progress")
    # deferred: cli_scale.py loads the scale/ package (0.14 s), for panel and sweep commands only
    from .cli_scale import panel_train_args, sweep_parser

    panel_train_args(train)

    back = sub.add_parser("backtest", help="rolling-origin backtest: one model forecasts from many origins, "
                                           "beside every baseline")
    back.add_argument("--run", help="a run folder: its settings (and, without --csv/--ticker/--sample, its data)")
    _source_args(back, required=False)
    _model_args(back)
    back.add_argument("--origins", type=int, default=20, help="how many forecast origins (default 20)")
    back.add_argument("--step", type=int, default=1, help="steps between origins (default 1)")
    back.add_argument("--refit-every", type=int, help="train a new model every K origins (default: once, at the first)")
    back.add_argument("--out", help="write the per-origin, per-step errors to this CSV")
    back.add_argument("--quiet", action="store_true", help="no per-epoch progress")

    fc = sub.add_parser("forecast", help="apply a saved run to new data")
    fc.add_argument("--run", required=True, help="a run folder written by `train` (or saved by the dashboard)")
    _source_args(fc, required=False)  # without one: the data the run was trained on, reopened from its record
    fc.add_argument("--out", required=True, help="CSV to write: timestamp, actual, forecast, lower_80, upper_80, "
                                                 "lower_95, upper_95 (the last horizon of the data, then the future)")

    ins = sub.add_parser("inspect", help="write the gate and state traces of a run")
    ins.add_argument("--run", required=True, help="a run folder written by `train`")
    _source_args(ins, required=False)
    ins.add_argument("--out", required=True, help="CSV to write")
    ins.add_argument("--layer", type=int, help="only this layer, counted from 0 (the dashboard's layer 1 is "
                                                "--layer 0)")
    what = ins.add_mutually_exclusive_group()
    what.add_argument("--season", action="store_true", help="write the seasonal fold instead of the raw traces")
    what.add_argument("--drivers", action="store_true",
                      help="write what drives each gate: its pre-activation split exactly into one part per input "
                           "feature, the recurrent state, the peephole and the bias (rows: timestamp, step, layer, "
                           "unit, gate, source, contribution); layer 0 unless --layer")
    what.add_argument("--connectivity", action="store_true",
                      help="write how far back the run's forecasts look: the gradient norm of each horizon step's "
                           "forecast with respect to each lookback step's inputs, averaged over the holdout origins "
                           "(rows: horizon_step, lag, gradient; lag 0 is the window's last step)")
    what.add_argument("--ablate", action="store_true",
                      help="write what each unit does to the forecast: the holdout forecast with that unit's hidden "
                           "output held at 0 at every step (rows: layer, unit, forecast_change, mase, mase_change; "
                           "largest change first); layer 0 unless --layer")
    ins.add_argument("--memory", action="store_true",
                     help="write each unit's memory half-life in steps (rows: layer, unit, half_life_median, "
                          "half_life_q25, half_life_q75, n_steps); with --season, per phase too")
    ins.add_argument("--unit", type=int, help="with --drivers: only this unit (0-based)")

    sweep_parser(sub, _source_args, _model_args)
    demo = sub.add_parser("demo", help="demonstrations of why LSTMs exist (see docs/LEARN.md)")
    demos = demo.add_subparsers(dest="demo", required=True, parser_class=_Parser)
    mem = demos.add_parser("memory", help="the long-memory race: every cell, equal parameter budgets, several lags")
    mem.add_argument("--lags", default="5,10,20,50,100", help="steps between the event and the answer (default 5,10,20,50,100)")
    mem.add_argument("--cells", default=",".join(CELLS), help=f"cells to race (default {','.join(CELLS)})")
    mem.add_argument("--steps", type=int, default=300, help="Adam steps per network, the same for all (default 300)")
    mem.add_argument("--budget", type=int, default=1300, help="parameters per network (default 1300)")
    mem.add_argument("--seed", type=int, default=0)
    mem.add_argument("--lane-lag", type=int, help="the lag whose networks are traced (default 50 if raced)")
    mem.add_argument("--workers", type=int, help="processes to train in (default: one per core)")
    mem.add_argument("--out", required=True, help="folder to write results.csv, networks.csv, lane.csv, traces.csv")
    mem.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def _model_args(p: argparse.ArgumentParser) -> None:
    d = Config()
    p.add_argument("--model", choices=CELLS, default=d.cell,
                   help=f"recurrent cell (default lstm); {', '.join(n for n, c in REGISTRY.items() if not c.fused)} "
                        "train slower (custom modules)")
    p.add_argument("--horizon", type=int, help="steps to forecast (default: one season)")
    p.add_argument("--lookback", type=int, help="input window (default: two seasons)")
    p.add_argument("--hidden", type=int, default=d.hidden, help=f"units per layer (default {d.hidden})")
    p.add_argument("--layers", type=int, default=d.layers, help=f"stacked layers (default {d.layers})")
    p.add_argument("--dropout", type=float, default=d.dropout,
                   help=f"dropout between stacked layers and before the head, 0 to <1 (default {d.dropout:g})")
    p.add_argument("--bidirectional", action="store_true", help="read each window both ways")
    p.add_argument("--epochs", type=int, default=d.epochs, help=f"at most this many (default {d.epochs})")
    p.add_argument("--batch-size", type=int, default=d.batch_size, help=f"windows per step (default {d.batch_size})")
    p.add_argument("--lr", type=float, default=d.lr,
                   help=f"Adam's learning rate, halved when validation stalls (default {d.lr:g})")
    p.add_argument("--seed", type=int, default=d.seed,
                   help=f"random seed: the same seed, data and device give the same forecast (default {d.seed})")
    p.add_argument("--period", help="season length in steps (an integer), or with --ticker a Yahoo "
                                     "history span such as 2y; see also --season and --history")
    p.add_argument("--season", type=int, help="season length in steps (same as an integer --period)")
    p.add_argument("--target", choices=("residual", "level"), default=d.target,
                   help="residual: the network corrects a base forecast (seasonal naive, naive or Holt-Winters, "
                        "chosen on validation); level: it forecasts the values itself (default residual)")
    p.add_argument("--log", choices=("auto", "on", "off"), default=d.log,
                   help="model the logarithm: auto when every value is > 0 (default auto)")
    p.add_argument("--difference", action="store_true", help="first-difference the series")
    p.add_argument("--shrink", action="store_true",
                   help="weight the network's correction to its base (0, 0.25, 0.5, 0.75 or 1) by what forecasts the "
                        "validation part best, instead of all or nothing (off by default: see the README's results)")
    p.add_argument("--covariates", nargs="*", default=[], help="other numeric columns to feed as inputs")
    p.add_argument("--device", default=d.device, help="auto, cpu, cuda or mps")
    p.add_argument("--threads", type=int, help="CPU threads for training (default: chosen for the model size "
                                               "and the machine's load)")


def _split_period(args) -> tuple[int | None, str | None]:
    """--period is a season length (integer) or, for Yahoo, a history span token."""
    season, history = getattr(args, "season", None), getattr(args, "history", None)
    raw = getattr(args, "period", None)
    if raw is None:
        return season, history
    if str(raw).isdigit():
        return int(raw), history
    if str(raw) in YAHOO_PERIODS:
        if not args.ticker:
            raise UserError(f"--period {raw} is a Yahoo history span, but no --ticker was given; "
                            "give the season length as an integer (e.g. --period 12)")
        return season, str(raw)
    raise UserError(f"--period {raw!r} is neither a season length (an integer such as 12) "
                    f"nor a Yahoo history span ({', '.join(YAHOO_PERIODS)})")


def _load(args, history: str | None = None):
    # deferred: the loaders (0.07 s) load only for commands that read data
    from .data.loading import load_csv
    from .data.samples import load_sample
    from .data.yahoo import fetch_yahoo

    if args.csv:
        if not Path(args.csv).is_file():
            raise UserError(f"file {args.csv!r} not found; check the path passed to --csv")
        return load_csv(args.csv, date_col=args.date_col, value_col=args.value_col,
                        keep_markers=getattr(args, "keep_markers", False))
    if args.ticker:
        loaded = fetch_yahoo(args.ticker, start=args.start, end=args.end, period=history,
                             interval=args.interval, field=args.field, refresh=getattr(args, "refresh", False))
    else:
        loaded = load_sample(args.sample)
    return loaded.with_value(args.value_col) if args.value_col else loaded


def _origin(loaded) -> dict:
    """Where the loaded data came from (data/source.py's record), for a sweep to hand to its runs."""
    return loaded.origin.to_dict() if loaded.origin is not None else {}


def _config(args, season: int | None) -> Config:
    return Config(
        value_col=args.value_col, period=season, horizon=args.horizon, lookback=args.lookback,
        cell=args.model, hidden=args.hidden, layers=args.layers, dropout=args.dropout,
        bidirectional=args.bidirectional, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
        seed=args.seed, target=args.target, log=args.log, difference=args.difference, shrink=args.shrink,
        covariates=list(args.covariates), device=args.device, threads=args.threads,
    )


def _print_progress(p) -> None:
    if p.end_of_epoch and (p.epoch == 1 or p.epoch % 5 == 0):
        print(f"epoch {p.epoch:>3}/{p.epochs}  train {p.train_loss:.4f}  val {p.val_loss:.4f}  "
              f"best {p.best_val_loss:.4f}  at most {p.eta_s:.0f}s left  ({p.threads} thread{'s' * (p.threads > 1)})",
              file=sys.stderr, flush=True)


def metrics_table(metrics: dict, model_name: str) -> pd.DataFrame:
    """The model and every baseline as rows (the dashboard's leaderboard function), best first."""
    table = leaderboard(entries_of(metrics, model_name)).set_index("name")
    return table.drop(columns=["kind", "best", "kept"])


def timing_line(timings: dict) -> str:
    """'2.41 s: load 0.05, prepare 0.12, baselines 0.60, train 1.41, forecast 0.05, write 0.18'."""
    parts = [f"{k} {timings[k]:.2f}" for k in ("load", "prepare", "baselines", "train", "forecast", "write") if k in timings]
    total = timings.get("total", 0) + timings.get("load", 0) + timings.get("write", 0)
    return f"{total:.2f} s: " + ", ".join(parts)


def cmd_train(args) -> int:
    from .pipeline import train_run  # deferred: pipeline.py imports statsmodels

    if getattr(args, "panel", None):
        # deferred: cli_scale.py loads the scale/ package (0.14 s), for panel and sweep commands only
        from .cli_scale import cmd_train_panel

        return cmd_train_panel(args, _config(args, _split_period(args)[0]))

    expect = current_run_id(args.out)  # what --out holds now: another writer replacing it is not silent
    season, history = _split_period(args)
    config = _config(args, season)  # every flag's range is checked before the data is even read
    t0 = time.perf_counter()
    loaded = _load(args, history)
    load_s = time.perf_counter() - t0
    for line in loaded.report:
        print(f"data: {line}")
    for line in getattr(loaded, "warnings", []) or []:
        print(f"warning: {line}", file=sys.stderr)
    run = train_run(loaded, config, callback=None if args.quiet else _print_progress,
                    load_seconds=load_s)
    try:
        folder = save_run(run, args.out, expect=expect)
    except UserError as exc:  # the scores are still worth showing; then the one error line says why
        _print_run(run)
        text = str(exc)
        raise UserError(text if "not saved" in text else f"trained, but not saved: {text}") from None
    _print_run(run)
    print(f"wrote {folder}" + (f" (replacing the earlier run {expect} there)" if expect else ""))
    return 0


def _print_run(run) -> None:
    c, m = run.config, run.metrics
    print(f"{run.info['source']}: {run.info['n_points']} points, {run.info['period_note']}")
    print(f"{c.cell} lookback {c.lookback} horizon {c.horizon}: best epoch {run.info['best_epoch']} "
          f"of {run.info['epochs_run']} ({run.info['stopped']}), {run.info['train_seconds']:.1f}s on "
          f"{run.info['device']} with {run.info['threads']} thread(s)")
    print(f"holdout: {m['holdout']['note']}; MASE scale: {m['mase_scale']['note']}")
    gain = m.get("network_val_gain")
    note = not_kept_note(c.cell, m, run.info)
    print(f"network: {note}" if note else "network: kept" + (f", {gain:.1%} lower validation loss than its base "
                                                              f"{base_name(m['network_base'])}" if gain is not None else ""))
    if weight_words(m):
        print(f"network: its correction to the base is weighted {m['network_weight']:g} (--shrink: the weight "
              "that forecast the validation part best)")
    name = f"{c.cell} (= {base_name(m.get('network_base') or '')})" if note else c.cell
    print(metrics_table(m, name).round(4).to_string(na_rep="n/a"))  # null in metrics.json: not applicable
    print(f"time {timing_line(run.info['timings'])}")


def cmd_backtest(args) -> int:
    from .backtest import backtest  # deferred: backtest.py imports statsmodels

    if args.origins < 1 or args.step < 1 or (args.refit_every is not None and args.refit_every < 1):
        raise UserError(f"--origins ({args.origins}), --step ({args.step}) and --refit-every ({args.refit_every}) "
                        "must be >= 1")
    season, history = _split_period(args)
    if args.run:
        from .pipeline import training_data  # deferred: pipeline.py imports statsmodels

        run = load_run(args.run)
        config = run.config
        loaded = _load(args, history) if (args.csv or args.ticker or args.sample) else training_data(run)
        config = Config.from_dict({**config.to_dict(), "threads": args.threads})
    else:
        if not (args.csv or args.ticker or args.sample):
            raise UserError("give the data (--csv, --ticker or --sample) or a run folder (--run)")
        loaded, config = _load(args, history), _config(args, season)
    result = backtest(loaded, config, origins=args.origins, step=args.step, refit_every=args.refit_every,
                      callback=None if args.quiet else _print_progress)
    print(f"{args.origins} origins, {args.step} step(s) apart; trained in {result.seconds['train']:.1f}s, "
          f"forecast every origin in {result.seconds['forecast']:.2f}s")
    print(result.summary.set_index("method").round(4).to_string())
    print(result.scale_note)
    by_step = result.by_step.pivot(index="step", columns="method", values="mae")
    print("\nMAE by horizon step")
    print(by_step.round(4).to_string())
    if args.out:
        neutralise(result.errors).to_csv(args.out, index=False)
        print(f"wrote {args.out}")
    return 0


def cmd_forecast(args) -> int:
    from .pipeline import apply_run  # deferred: pipeline.py imports statsmodels

    run = load_run(args.run)
    _, history = _split_period(args) if hasattr(args, "period") else (None, args.history)
    if not (args.csv or args.ticker or args.sample):
        from .pipeline import training_data  # deferred: pipeline.py imports statsmodels

        loaded = training_data(run)  # the run's own data, reopened (a CSV only while its SHA-256 matches)
    else:
        loaded = _load(args, history)
    target = run.config.value_col
    if args.value_col and args.value_col != target:  # the user's column plays the run's target
        if target in loaded.frame.columns:
            raise UserError(f"--value-col {args.value_col!r} would replace {target!r}, which this data also has; "
                            f"drop --value-col to use {target!r}")
        rename = {args.value_col: target}
        observed = None if loaded.observed is None else loaded.observed.rename(columns=rename)
        loaded = replace(loaded, frame=loaded.frame.rename(columns=rename), value_col=target, observed=observed).trimmed()
    elif target in loaded.frame.columns:
        loaded = loaded.with_value(target)
    frame, scores = apply_run(run, loaded)
    frame.to_csv(args.out, index=False)
    print(f"last {run.config.horizon} points of the new data: " + ", ".join(f"{k} {v:.4f}" for k, v in scores.items()))
    print(f"wrote {args.out}")
    return 0


def cmd_inspect(args) -> int:
    """Tidy traces, or with --season the fold of the keep gate by phase and cycle (streamed, so any length
    fits; see inspect/summary.py for how that table is stored), with --drivers what moves a gate, with --memory
    each unit's half-life, with --connectivity how far back the forecasts look (inspect/memory.py)."""
    from .inspect.ablation import run_ablation  # deferred: inspect/ablation.py imports torch
    # deferred: inspect/run_traces.py imports statsmodels, torch
    from .inspect.run_traces import run_drivers, run_memory, trace_series
    from .inspect.summary import look_inside  # deferred: inspect/summary.py imports torch
    from .pipeline import training_data  # deferred: pipeline.py imports statsmodels

    run = load_run(args.run)
    if args.layer is not None and not 0 <= args.layer < run.config.layers:
        raise UserError(f"--layer {args.layer} does not exist: this run has layers 0..{run.config.layers - 1}")
    if args.memory and (args.drivers or args.connectivity or args.ablate):
        raise UserError("--memory goes alone or with --season (per phase); leave out --drivers, --connectivity "
                        "and --ablate")
    if args.season and run.config.cell == "rnn" and not args.memory:
        raise UserError("a vanilla RNN has no gates to fold by season; inspect without --season to get its hidden state")
    if args.unit is not None and not args.drivers:
        raise UserError("--unit goes with --drivers; leave it out, or add --drivers")
    loaded = _load(args, args.history) if args.csv or args.ticker or args.sample else training_data(run)
    out = Path(args.out)
    if args.memory:
        table = run_memory(run, loaded, layer=args.layer, by_phase=args.season)
        table.to_csv(out, index=False)
        n_rows = len(table)
    elif args.ablate:
        table = run_ablation(run, loaded, layer=args.layer or 0)
        table.to_csv(out, index=False)
        n_rows = len(table)
    elif args.connectivity:
        table = run_connectivity(run, loaded)
        table.to_csv(out, index=False)
        n_rows = len(table)
    elif args.drivers:
        found = run_drivers(run, loaded, layer=args.layer or 0)
        units = found.parts[next(iter(found.parts))].shape[2]
        if args.unit is not None and not 0 <= args.unit < units:
            raise UserError(f"--unit {args.unit} does not exist: this layer has units 0..{units - 1}")
        table = found.to_frame(unit=args.unit)
        table.to_csv(out, index=False)
        n_rows = len(table)
    elif args.season:  # streamed: the series is traced in chunks and the table written a unit at a time
        n_rows = look_inside(run, loaded).season.write_season_csv(out, layer=args.layer)
    else:
        table = trace_series(run, loaded).to_frame(layer=args.layer)
        table.to_csv(out, index=False)
        n_rows = len(table)
    print(f"wrote {n_rows:,} rows to {out}")
    return 0


def cmd_sweep(args) -> int:
    # deferred: cli_scale.py loads the scale/ package (0.14 s), for panel and sweep commands only
    from .cli_scale import cmd_sweep as sweep

    season, history = _split_period(args)
    return sweep(args, _config(args, season), lambda a: _load(a, history), _origin)


def cmd_demo(args) -> int:
    from .learn.memory import parse_lags  # deferred: learn/memory.py imports torch
    from .learn.race import RaceSettings, race_summary, run_race, write_race  # deferred: learn/race.py imports torch

    names = tuple(c.strip() for c in args.cells.split(",") if c.strip())
    unknown = [c for c in names if c not in CELLS]
    if unknown or not names:
        raise UserError(f"--cells {args.cells!r} names no cell or unknown ones {unknown}; choose from {','.join(CELLS)}")
    base = RaceSettings()
    settings = RaceSettings(lags=parse_lags(args.lags), cells=names, budget=args.budget, lane_lag=args.lane_lag,
                            training=replace(base.training, steps=args.steps, seed=args.seed))

    def bar(p) -> None:
        filled = int(30 * p.fraction)
        print(f"\r[{'#' * filled}{'.' * (30 - filled)}] {p.fraction:4.0%}  {p.finished}/{p.networks} networks  "
              f"{p.elapsed_s:5.1f}s", end="", file=sys.stderr, flush=True)

    result = run_race(settings, callback=None if args.quiet else bar, workers=args.workers)
    if not args.quiet:
        print(file=sys.stderr)
    print(f"accuracy on {settings.test_size} test sequences per lag (the event exactly `lag` steps back; 50% is chance)")
    print(race_summary(result))
    print(result.networks.drop(columns="cell").to_string(index=False))
    print(f"{len(result.results)} networks, {settings.training.steps} steps each, in {result.seconds:.1f}s "
          f"with {result.workers} worker process(es)")
    for path in write_race(result, args.out):
        print(f"wrote {path}")
    return 0


COMMANDS = {"train": cmd_train, "backtest": cmd_backtest, "forecast": cmd_forecast, "inspect": cmd_inspect,
            "sweep": cmd_sweep, "demo": cmd_demo}


def main(argv: list[str] | None = None) -> int:
    try:
        args = _build_parser().parse_args(argv)
        return COMMANDS[args.command](args)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # an --out folder that does not exist, a path that is a directory...
        where = exc.filename or "a file"
        print(f"error: cannot read or write {where!s} ({exc.strerror or exc}); check the path and that its folder exists",
              file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted; nothing was written for the unfinished step", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug of ours: one line, never a traceback (LSTM_FORECAST_DEBUG=1 shows it)
        if os.environ.get("LSTM_FORECAST_DEBUG"):
            raise
        reason = (str(exc).splitlines() or [""])[0][:200]
        print(f"error: internal error ({type(exc).__name__}: {reason}); please report it, with the command, "
              "at the project's issue tracker (LSTM_FORECAST_DEBUG=1 shows the details)", file=sys.stderr)
        return 1
