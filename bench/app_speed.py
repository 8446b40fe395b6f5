"""How quick is the dashboard? Script times measured with streamlit's AppTest.

    python bench/app_speed.py [--repeats 5]

Prints, in one run:
- first load, cold: a fresh interpreter's first run of app.py (imports of torch, statsmodels... included);
- first load, warm: a new session once the modules are imported (what a second browser tab costs);
- view-only reruns after a trained run exists (switching views, toggling baselines): median and max
  per control, after each view has been visited once (the first visit computes the traces);
- the reference: AppTest rerunning an empty app, so the ratio says what our script adds.
Targets: view-only rerun <= 150 ms, first load <= 2 s.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("LSTM_FORECAST_RUNS", tempfile.mkdtemp(prefix="app-speed-runs-"))

from streamlit.testing.v1 import AppTest  # noqa: E402  (not timed: the harness, not the app)

APP = str(ROOT / "app.py")
VIEWS = ("Cell state", "Gates by season", "Gates over time", "Saturation", "One step")


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()

    at = AppTest.from_file(APP, default_timeout=300)
    cold = timed(at.run)
    warm = min(timed(AppTest.from_file(APP, default_timeout=300).run) for _ in range(3))
    numbers = {n.label: n for n in at.sidebar.number_input}
    numbers["Hidden units"].set_value(16)
    numbers["Max epochs"].set_value(5)
    train = timed([b for b in at.sidebar.button if b.label == "Train"][0].click().run)
    assert not at.exception, [e.value for e in at.exception]

    first_visit = {}
    for view in VIEWS:  # the first visit of a view traces / folds once
        first_visit[view] = timed(at.segmented_control(key="inside_view").set_value(view).run)
    reruns: dict[str, list[float]] = {view: [] for view in VIEWS}
    reruns["toggle baselines"] = []
    for i in range(args.repeats):
        for view in VIEWS:
            reruns[view].append(timed(at.segmented_control(key="inside_view").set_value(view).run))
        picked = ["seasonal_naive", "ets"] if i % 2 == 0 else ["seasonal_naive"]
        reruns["toggle baselines"].append(timed(at.multiselect(key="baselines").set_value(picked).run))
    assert not at.exception, [e.value for e in at.exception]

    empty = AppTest.from_string("import streamlit as st\nst.write('hello')", default_timeout=60)
    empty.run()
    reference = statistics.median(timed(empty.run) for _ in range(10))

    every = [t for ts in reruns.values() for t in ts]
    median_all = statistics.median(every)
    print(f"first load, cold (imports included): {cold * 1000:8.0f} ms   (target <= 2000 ms)")
    print(f"first load, warm (new session)     : {warm * 1000:8.0f} ms   (target <= 2000 ms)")
    print(f"train a 16-unit LSTM, 5 epochs     : {train * 1000:8.0f} ms   (not a target; for context)")
    print(f"empty-app rerun (reference)        : {reference * 1000:8.1f} ms")
    print(f"\n{'view-only rerun':<20}{'first visit':>12}{'median':>10}{'max':>10}   (ms, {args.repeats} repeats)")
    for name, ts in reruns.items():
        first = f"{first_visit[name] * 1000:.0f}" if name in first_visit else "-"
        print(f"{name:<20}{first:>12}{statistics.median(ts) * 1000:>10.1f}{max(ts) * 1000:>10.1f}")
    print(f"\nall view-only reruns: median {median_all * 1000:.1f} ms, max {max(every) * 1000:.1f} ms "
          f"(target <= 150 ms); ratio to the empty-app rerun: {median_all / reference:.1f}x")


if __name__ == "__main__":
    main()
