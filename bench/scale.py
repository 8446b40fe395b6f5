"""Does memory stay flat, and time per epoch constant, as the series grows? Train, forecast and trace.

    python bench/scale.py [--points 10000 30000 100000 1000000] [--epochs 3] [--stages train forecast inspect]

Each stage runs in a fresh process (so its peak RSS is its own) on a synthetic hourly series of each
length: `train` is `pipeline.train_run` with the default model (a fixed number of epochs), `forecast`
applies the saved run to the whole series (`pipeline.apply_run`), `inspect` computes what the
dashboard's look-inside views need (`inspect.summary.look_inside`). Prints wall time, peak RSS and,
for training, the seconds per epoch, with how each grows from the shortest series (an import-only
process is the reference for RSS). Targets: under 1 GB at 1M points for training and forecasting,
under 2 GB for the look-inside views, time per epoch independent of the length.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

STAGE = r'''
import json, resource, sys, time
sys.path.insert(0, {root!r})
import torch
from lstm_forecast.config import Config
from lstm_forecast.data.samples import make_synthetic
stage, n, folder, epochs = {stage!r}, {n}, {folder!r}, {epochs}
loaded = make_synthetic(n, freq="h", seed=0)
start = time.perf_counter()
out = {{}}
if stage == "imports":
    import lstm_forecast.pipeline, lstm_forecast.inspect.traces  # noqa: F401
elif stage == "train":
    from lstm_forecast.pipeline import train_run
    from lstm_forecast.runs import save_run
    run = train_run(loaded, Config(epochs=epochs, patience=10**6))
    save_run(run, folder)
    out = {{"per_epoch": run.info["train_seconds"] / max(run.info["epochs_run"], 1), "timings": run.info["timings"]}}
elif stage == "forecast":
    from lstm_forecast.pipeline import apply_run
    from lstm_forecast.runs import load_run
    frame, scores = apply_run(load_run(folder), loaded)
elif stage == "inspect":
    from lstm_forecast.inspect.summary import look_inside
    from lstm_forecast.runs import load_run
    look_inside(load_run(folder), loaded)
out["seconds"] = time.perf_counter() - start
out["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print("RESULT " + json.dumps(out))
'''


def run_stage(stage: str, n: int, folder: str, epochs: int) -> dict:
    code = STAGE.format(root=str(ROOT), stage=stage, n=n, folder=folder, epochs=epochs)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    line = next((l for l in done.stdout.splitlines() if l.startswith("RESULT ")), None)
    if line is None:
        return {"error": (done.stderr.strip().splitlines() or ["no output"])[-1][:200]}
    return json.loads(line[len("RESULT "):])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, nargs="*", default=[10_000, 30_000, 100_000, 1_000_000])
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--stages", nargs="*", default=["train", "forecast", "inspect"])
    args = ap.parse_args()
    reference = run_stage("imports", 1000, "", 0)
    print(f"reference: a process that imports the package and torch and makes a 1,000-point series: "
          f"{reference['rss_mb']:.0f} MB; {time.strftime('%Y-%m-%d')}")
    print("| points | stage | seconds | peak RSS MB | s / epoch | RSS vs shortest | s / epoch vs shortest |")
    print("|---|---|---|---|---|---|---|")
    first: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.points:
            folder = str(Path(tmp) / f"run-{n}")
            for stage in args.stages:
                r = run_stage(stage, n, folder, args.epochs)
                if "error" in r:
                    print(f"| {n:,} | {stage} | failed: {r['error']} | | | | |")
                    continue
                base = first.setdefault(stage, r)
                epoch = f"{r['per_epoch']:.3f}" if "per_epoch" in r else ""
                epoch_growth = f"{r['per_epoch'] / base['per_epoch']:.2f}x" if "per_epoch" in r else ""
                print(f"| {n:,} | {stage} | {r['seconds']:.2f} | {r['rss_mb']:.0f} | {epoch} | "
                      f"{r['rss_mb'] / base['rss_mb']:.2f}x | {epoch_growth} |", flush=True)


if __name__ == "__main__":
    main()
