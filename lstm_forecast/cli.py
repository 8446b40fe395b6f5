"""`python -m lstm_forecast train | forecast | backtest | inspect`: the package without a browser.

User mistakes exit with status 2 and one line `error: <problem>; <fix>`, never a traceback.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from .config import CELLS, Config
from .data.series import LoadedSeries
from .errors import UserError

YAHOO_PERIODS = ("1d", "5d", "1mo", "3mo", "6mo", "1y", "2y", "5y", "10y", "ytd", "max")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse's own errors, in the project's one-line form
        raise UserError(f"{message}; see `python -m lstm_forecast {self.prog.split()[-1]} --help`")


def _source_args(p: argparse.ArgumentParser, required: bool = True) -> None:
    src = p.add_mutually_exclusive_group(required=required)
    src.add_argument("--csv", help="a CSV file: the date and value columns are detected")
    src.add_argument("--ticker", help="a Yahoo Finance symbol, fetched with yfinance (e.g. AAPL)")
    src.add_argument("--sample", help="a bundled sample by name (see README), e.g. airline")
    p.add_argument("--date-col", help="the date column, when detection picks the wrong one")
    p.add_argument("--value-col", help="the column to forecast (default: the first numeric one)")
    p.add_argument("--interval", default="1d", help="Yahoo bar size: 1d, 1wk, 1mo, 1h, ... (with --ticker)")
    p.add_argument("--field", default="Close", help="Yahoo field: Open, High, Low, Close, Volume")
    p.add_argument("--start", help="Yahoo start date YYYY-MM-DD (instead of a history period)")
    p.add_argument("--end", help="Yahoo end date YYYY-MM-DD")
    p.add_argument("--history", choices=YAHOO_PERIODS, help="Yahoo history span, same as --period 2y")


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m lstm_forecast", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    train = sub.add_parser("train", help="train a model and write its run folder")
    _source_args(train)
    _model_args(train)
    train.add_argument("--out", required=True, help="the run folder to write")
    train.add_argument("--quiet", action="store_true", help="no per-epoch progress")

    back = sub.add_parser("backtest", help="rolling-origin backtest: retrain at each origin, score model and baselines")
    _source_args(back)
    _model_args(back)
    back.add_argument("--origins", type=int, default=3, help="how many forecast origins (default 3)")
    back.add_argument("--step", type=int, help="steps between origins (default: the horizon)")
    back.add_argument("--out", help="also write the table to this CSV")

    fc = sub.add_parser("forecast", help="apply a saved run to new data")
    fc.add_argument("--run", required=True, help="a run folder written by `train`")
    _source_args(fc)
    fc.add_argument("--out", required=True, help="CSV to write: timestamp,actual,forecast")

    ins = sub.add_parser("inspect", help="write the gate and state traces of a run")
    ins.add_argument("--run", required=True, help="a run folder written by `train`")
    _source_args(ins, required=False)
    ins.add_argument("--out", required=True, help="CSV to write")
    ins.add_argument("--layer", type=int, help="only this layer (0-based)")
    ins.add_argument("--season", action="store_true", help="write the seasonal fold instead of the raw traces")
    return parser


def _model_args(p: argparse.ArgumentParser) -> None:
    d = Config()
    p.add_argument("--model", choices=CELLS, default=d.cell,
                   help="recurrent cell (default lstm); lstm-peephole and lstm-coupled train slower (custom modules)")
    p.add_argument("--horizon", type=int, help="steps to forecast (default: one season)")
    p.add_argument("--lookback", type=int, help="input window (default: two seasons)")
    p.add_argument("--hidden", type=int, default=d.hidden, help=f"units per layer (default {d.hidden})")
    p.add_argument("--layers", type=int, default=d.layers, help=f"stacked layers (default {d.layers})")
    p.add_argument("--dropout", type=float, default=d.dropout)
    p.add_argument("--bidirectional", action="store_true", help="read each window both ways")
    p.add_argument("--epochs", type=int, default=d.epochs, help=f"at most this many (default {d.epochs})")
    p.add_argument("--batch-size", type=int, default=d.batch_size)
    p.add_argument("--lr", type=float, default=d.lr)
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--period", help="season length in steps (an integer), or with --ticker a Yahoo "
                                     "history span such as 2y; see also --season and --history")
    p.add_argument("--season", type=int, help="season length in steps (same as an integer --period)")
    p.add_argument("--target", choices=("residual", "level"), default=d.target)
    p.add_argument("--log", choices=("auto", "on", "off"), default=d.log)
    p.add_argument("--difference", action="store_true", help="first-difference the series")
    p.add_argument("--covariates", nargs="*", default=[], help="other numeric columns to feed as inputs")
    p.add_argument("--device", default=d.device, help="auto, cpu, cuda or mps")


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
    from .data.loading import load_csv
    from .data.samples import load_sample
    from .data.yahoo import fetch_yahoo

    if args.csv:
        if not Path(args.csv).is_file():
            raise UserError(f"file {args.csv!r} not found; check the path passed to --csv")
        return load_csv(args.csv, date_col=args.date_col, value_col=args.value_col)
    if args.ticker:
        loaded = fetch_yahoo(args.ticker, start=args.start, end=args.end, period=history,
                             interval=args.interval, field=args.field)
    else:
        loaded = load_sample(args.sample)
    return loaded.with_value(args.value_col) if args.value_col else loaded


def _origin(args, history: str | None) -> dict:
    """Where the training data came from, so `inspect` can reload it without --csv."""
    if args.csv:
        return {"csv": str(Path(args.csv).resolve()), "date_col": args.date_col, "value_col": args.value_col}
    if args.ticker:
        return {"ticker": args.ticker, "start": args.start, "end": args.end, "period": history,
                "interval": args.interval, "field": args.field}
    return {"sample": args.sample}


def _config(args, season: int | None) -> Config:
    return Config(
        value_col=args.value_col, period=season, horizon=args.horizon, lookback=args.lookback,
        cell=args.model, hidden=args.hidden, layers=args.layers, dropout=args.dropout,
        bidirectional=args.bidirectional, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
        seed=args.seed, target=args.target, log=args.log, difference=args.difference,
        covariates=list(args.covariates), device=args.device,
    )


def _print_progress(p) -> None:
    if p.epoch == 1 or p.epoch % 5 == 0:
        print(f"epoch {p.epoch:>3}/{p.epochs}  train {p.train_loss:.4f}  val {p.val_loss:.4f}  "
              f"best {p.best_val_loss:.4f}  eta <= {p.eta_s:.0f}s", file=sys.stderr, flush=True)


def metrics_table(metrics: dict, model_name: str) -> pd.DataFrame:
    """The model and every baseline as rows, metrics as columns."""
    rows = {model_name: metrics["model"], **metrics["baselines"]}
    return pd.DataFrame(rows).T[["mae", "rmse", "smape", "mase"]]


def cmd_train(args) -> int:
    from .pipeline import train_run
    from .runs import save_run

    season, history = _split_period(args)
    loaded = _load(args, history)
    run = train_run(loaded, _config(args, season), callback=None if args.quiet else _print_progress)
    run.info["origin"] = _origin(args, history)
    folder = save_run(run, args.out)
    c = run.config
    print(f"{run.info['source']}: {run.info['n_points']} points, {run.info['period_note']}")
    print(f"{c.cell} lookback {c.lookback} horizon {c.horizon}: best epoch {run.info['best_epoch']} "
          f"of {run.info['epochs_run']} ({run.info['stopped']}), {run.info['train_seconds']:.1f}s on {run.info['device']}")
    print(metrics_table(run.metrics, c.cell).round(4).to_string())
    print(f"wrote {folder}")
    return 0


def cmd_backtest(args) -> int:
    from .pipeline import backtest

    if args.origins < 1 or (args.step is not None and args.step < 1):
        raise UserError(f"--origins ({args.origins}) and --step ({args.step}) must be >= 1")
    season, history = _split_period(args)
    table = backtest(_load(args, history), _config(args, season), origins=args.origins, step=args.step)
    summary = table.groupby("method")[["mae", "rmse", "smape", "mase"]].mean().sort_values("mase")
    print(summary.round(4).to_string())
    if args.out:
        table.to_csv(args.out, index=False)
        print(f"wrote {args.out}")
    return 0


def cmd_forecast(args) -> int:
    from .pipeline import apply_run
    from .runs import load_run

    run = load_run(args.run)
    _, history = _split_period(args) if hasattr(args, "period") else (None, args.history)
    loaded = _load(args, history)
    target = run.config.value_col
    if args.value_col and args.value_col != target:  # the user's column plays the run's target
        if target in loaded.frame.columns:
            raise UserError(f"--value-col {args.value_col!r} would replace {target!r}, which this data also has; "
                            f"drop --value-col to use {target!r}")
        loaded = LoadedSeries(loaded.frame.rename(columns={args.value_col: target}), target, loaded.date_col,
                              loaded.freq, loaded.source, list(loaded.report))
    elif target in loaded.frame.columns:
        loaded = loaded.with_value(target)
    frame, scores = apply_run(run, loaded)
    frame.to_csv(args.out, index=False)
    print(f"last {run.config.horizon} points of the new data: " + ", ".join(f"{k} {v:.4f}" for k, v in scores.items()))
    print(f"wrote {args.out}")
    return 0


def cmd_inspect(args) -> int:
    from .inspect.run_traces import inspect_to_csv

    inspect_to_csv(args)
    return 0


COMMANDS = {"train": cmd_train, "backtest": cmd_backtest, "forecast": cmd_forecast, "inspect": cmd_inspect}


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
