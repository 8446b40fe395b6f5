"""Does a long season fit quickly? Holt-Winters on a daily series with a 365-step season, in one run.

    python bench/ets_speed.py [--years 3] [--repeats 3]

Times, best of `--repeats`, on the same series (noisy yearly sine) and the same statsmodels model
(damped additive trend; the additive and, for positive data, multiplicative season,
as Ets().fit tries both): the project's `Ets().fit` (which starts seasons longer than
ETS_ESTIMATED_MAX_PERIOD from the heuristic decomposition) against the same model with every initial
state optimised (`initialization_method="estimated"`, what `Ets` uses for short seasons; one repeat,
it is slow). Prints both and the ratio. Replaces a wall-clock assert that lived in the tests.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lstm_forecast.baselines import ETS_ESTIMATED_MAX_PERIOD, Ets  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--years", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    t = np.arange(args.years * 365)
    y = 10 + 5 * np.sin(2 * np.pi * t / 365) + np.random.default_rng(1).normal(0, 1, len(t))
    ours = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        fitted = Ets().fit(y, 365)
        ours.append(time.perf_counter() - start)
    start = time.perf_counter()
    for seasonal in ["add", "mul"] if np.all(y > 0) else ["add"]:  # the candidates Ets().fit tries too
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ExponentialSmoothing(y, trend="add", damped_trend=True, seasonal=seasonal, seasonal_periods=365,
                                 initialization_method="estimated").fit()
    estimated = time.perf_counter() - start
    print(f"{len(y)} daily points, season 365 (> ETS_ESTIMATED_MAX_PERIOD {ETS_ESTIMATED_MAX_PERIOD}), "
          f"load {os.getloadavg()[0]:.1f}")
    print(f"Ets().fit ({fitted.spec_['initialization_method']}, {fitted.description}): best {min(ours):.2f} s")
    print(f"same model, every state estimated: {estimated:.2f} s")
    print(f"ratio heuristic / estimated: {min(ours) / estimated:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
