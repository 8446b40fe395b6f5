"""Is the forecast better than "same as last season"? Rolling-origin backtest on the bundled samples.

    python bench/accuracy.py [--samples airline seattle_hourly_temp ...] [--cells lstm gru rnn]
                             [--origins 3] [--target residual] [--out bench/out/accuracy.csv]

For each sample, each cell is retrained at every origin on the past only (`pipeline.backtest`) and
scored on the next horizon beside the baselines. Prints mean MASE per sample and method (lower is
better; < 1 beats the in-sample seasonal naive), and the model's MASE relative to seasonal naive
on the same origins (the ratio < 1 means the network beats "same as last season").
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lstm_forecast.config import Config  # noqa: E402
from lstm_forecast.data.samples import SAMPLES, load_sample  # noqa: E402
from lstm_forecast.pipeline import backtest  # noqa: E402

DEFAULT_SAMPLES = ["airline", "seattle_hourly_temp", "seattle_daily_weather", "co2_weekly", "sunspots_yearly"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", nargs="*", default=DEFAULT_SAMPLES, choices=list(SAMPLES))
    ap.add_argument("--cells", nargs="*", default=["lstm", "gru", "rnn"])
    ap.add_argument("--origins", type=int, default=3)
    ap.add_argument("--target", default="residual", choices=("residual", "level"))
    ap.add_argument("--out", default="bench/out/accuracy.csv")
    args = ap.parse_args()

    tables = []
    for name in args.samples:
        loaded = load_sample(name)
        horizon = SAMPLES[name].default_horizon
        for cell in args.cells:
            t0 = time.perf_counter()
            table = backtest(loaded, Config(cell=cell, horizon=horizon, target=args.target), origins=args.origins)
            table["sample"], table["seconds"] = name, (time.perf_counter() - t0) / args.origins
            if cell != args.cells[0]:  # baselines do not depend on the cell: keep them once
                table = table[table["method"] == cell]
            tables.append(table)
            print(f"{name:<22} {cell:<5} mean MASE {table.loc[table.method == cell, 'mase'].mean():.3f} "
                  f"({table['seconds'].iloc[0]:.1f}s per fit)", file=sys.stderr, flush=True)
    full = pd.concat(tables, ignore_index=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    full.to_csv(args.out, index=False)
    mase = full.pivot_table(index="sample", columns="method", values="mase", aggfunc="mean")
    order = [c for c in [*args.cells, "seasonal_naive", "ets", "naive", "drift"] if c in mase.columns]
    mase = mase[order].loc[[s for s in args.samples if s in mase.index]]
    print(f"\nmean MASE over {args.origins} rolling origins (target={args.target}; lower is better)")
    print(mase.round(3).to_markdown() if _has_tabulate() else mase.round(3).to_string())
    rel = mase[args.cells].div(mase["seasonal_naive"], axis=0)
    print("\nnetwork MASE / seasonal-naive MASE (< 1: beats 'same as last season')")
    print(rel.round(3).to_markdown() if _has_tabulate() else rel.round(3).to_string())


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401
        return True
    except ImportError:
        return False


if __name__ == "__main__":
    main()
