"""The race against the tools people would pick instead: Darts, NeuralForecast, and Holt-Winters.

    python bench/peers.py [--series NAME ...] [--all] [--synthetic-hourly] [--seeds 5] [--threads 1]
                          [--variants defaults matched] [--peer-epoch-cap N] [--out bench/out/peers.csv]

Run with any Python: it creates bench/.venv-peers (once), installs bench/requirements-peers.txt
there and re-executes itself inside it. The project is imported from this checkout, not installed.

Every method sees the same series, lookback L (what our `resolve` picks), horizon H and holdout
(the last H points), and is scored with the project's own metrics (MASE on the in-sample
seasonal-naive scale, sMAPE). Ours runs with the project's default Config; each neural peer runs
with its library's defaults and again with settings matched to ours (bench/PEERS.md lists them).
Two times per method, in-process wall seconds after a warm-up, with torch's threads set before every
fit to --threads or, without it, to torch's own default (one per core):
- "total s", the span a user waits, the same for all: from the series handed over to the holdout
  forecast in hand. Ours: `train_run` whole (prepare with its Holt-Winters base, baselines, training,
  forecast, scores). Darts: scaler, model, fit, predict, inverse scaling. NeuralForecast: its frame,
  model, fit, predict. Holt-Winters: fit and forecast. The comparison of speed is on this time.
- "fit s", the fit call alone (ours: the training loop, `run.info["train_seconds"]`), beside it.
--group tune|holdout races the bench corpus' tuning or held-out series (bench/series.py).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
VENV = BENCH / ".venv-peers"
REQUIREMENTS = BENCH / "requirements-peers.txt"
STAMP = VENV / ".installed-requirements"


# --- the environment: one command from a fresh clone ---------------------------------------------

def in_venv() -> bool:
    return Path(sys.prefix).resolve() == VENV.resolve()


def requirements_hash() -> str:
    h = hashlib.sha256()
    for path in (REQUIREMENTS, ROOT / "requirements.txt"):
        h.update(path.read_bytes())
    return h.hexdigest()


def ensure_venv() -> Path:
    """Create the venv and install the peers into it when missing or stale; return its python."""
    python = VENV / "bin" / "python"
    if not python.exists():
        print(f"creating {VENV.relative_to(ROOT)} ...", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    if not STAMP.exists() or STAMP.read_text() != requirements_hash():
        check_no_cuda_wheels(python)
        print(f"installing {REQUIREMENTS.relative_to(ROOT)} (a few minutes, once) ...", file=sys.stderr, flush=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "-r", str(REQUIREMENTS)], check=True)
        STAMP.write_text(requirements_hash())
    return python


def check_no_cuda_wheels(python: Path) -> None:
    """Resolve without installing; refuse when torch is not 2.13.0 or CUDA wheels would come (GBs)."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        subprocess.run([str(python), "-m", "pip", "install", "-q", "--dry-run", "--report", str(report),
                        "-r", str(REQUIREMENTS)], check=True)
        planned = {item["metadata"]["name"].lower(): item["metadata"]["version"]
                   for item in json.loads(report.read_text())["install"]}
    heavy = sorted(name for name in planned if name.startswith(("nvidia-", "triton", "cuda-")))
    torch_version = planned.get("torch", "")
    if heavy or (torch_version and not torch_version.startswith("2.13.0")):
        sys.exit(f"error: installing the peers would bring torch {torch_version or '?'} with {heavy or 'no'} "
                 "CUDA packages; keep torch==2.13.0 in bench/requirements-peers.txt and a CPU wheel reachable")


if __name__ == "__main__" and not in_venv():
    venv_python = ensure_venv()
    os.execv(str(venv_python), [str(venv_python), __file__, *sys.argv[1:]])

# --- inside the venv from here on -----------------------------------------------------------------

import logging  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

from lstm_forecast.config import Config  # noqa: E402
from lstm_forecast.data.samples import SAMPLES, load_sample, make_synthetic  # noqa: E402
from lstm_forecast.data.series import LoadedSeries  # noqa: E402
from lstm_forecast.errors import UserError  # noqa: E402
from lstm_forecast.pipeline import train_run  # noqa: E402
from lstm_forecast.prepare import resolve  # noqa: E402

try:  # metrics sit in evaluation/ from issue 5 on; the baselines moved back below prepare in issue 16
    from lstm_forecast.evaluation import metrics as M  # noqa: E402
except ImportError:
    from lstm_forecast import metrics as M  # noqa: E402
try:
    from lstm_forecast.baselines import seasonal_naive  # noqa: E402
except ImportError:
    from lstm_forecast.evaluation.baselines import seasonal_naive  # noqa: E402

DEFAULT_SERIES = ["airline", "sunspots_yearly", "co2_weekly"]  # monthly, yearly, weekly: 19 min on 2 busy cores (--threads 1)
NEURAL_PEERS = ("darts RNNModel", "darts BlockRNNModel", "neuralforecast LSTM")


@dataclass
class Case:
    """One series and the lengths every method shares."""

    name: str
    loaded: LoadedSeries
    y: np.ndarray  # (n,) the target
    horizon: int  # H: the holdout is y[-H:]
    lookback: int  # L: input window, as our resolve() picks it
    period: int  # P: the season, for seasonal naive, MASE and ETS
    val_size: int  # V: validation steps before the holdout (for early stopping)
    observed: np.ndarray  # (n,) bool: True where the point was read, False where the loader filled a gap
    group: str = "series"  # "series" or "synthetic-hourly"

    def score(self, forecast: np.ndarray) -> tuple[float, float]:
        """(MASE, sMAPE) of a holdout forecast (H,), as the project scores: on the observed holdout points,
        scaled by the seasonal-naive error between observed in-sample points only."""
        H = self.horizon
        actual, insample = self.y[-H:], self.y[:-H]
        if self.observed.all():
            return M.mase(actual, forecast, insample, self.period), M.smape(actual, forecast)
        seen, seen_before = self.observed[-H:], self.observed[:-H]
        return (M.mase(actual, forecast, insample, self.period, seen, seen_before),
                M.smape(actual, forecast, seen))


@dataclass
class Outcome:
    forecast: np.ndarray  # (H,) over the holdout, original units
    fit_s: float  # wall seconds of the fit call
    total_s: float  # wall seconds from the series handed over to the holdout forecast (the same span for all)
    trained: str  # what the fit did: epochs or steps run
    threads: int  # torch intra-op threads during the fit
    args: dict  # the arguments that differ from the library's defaults


def make_case(name: str, loaded: LoadedSeries, horizon: int | None, group: str = "series") -> Case:
    config, _ = resolve(Config(horizon=horizon), loaded)
    y = loaded.frame[config.value_col].to_numpy(dtype=float)
    seen = getattr(loaded, "observed", None)  # the loader's record of filled gaps, where it keeps one
    observed = (seen[config.value_col].to_numpy(dtype=bool) if seen is not None and config.value_col in seen.columns
                else np.ones(len(y), dtype=bool))
    return Case(name, loaded, y, config.horizon, config.lookback, config.period, config.val_size, observed, group)


# --- ours -------------------------------------------------------------------------------------------

def run_ours(case: Case, threads: int | None) -> Outcome:
    """The project's default Config; only horizon and lookback are given (the lookback it would pick).

    threads: passed on to train_run where it takes them (None: our fit chooses, as it does by default).
    """
    import inspect

    import torch

    extra = {"threads": threads} if threads and "threads" in inspect.signature(train_run).parameters else {}
    start = time.perf_counter()
    run = train_run(case.loaded, Config(horizon=case.horizon, lookback=case.lookback), **extra)
    forecast = run.forecast["forecast"].to_numpy()[:case.horizon]
    total_s = time.perf_counter() - start
    if not math.isclose(case.score(forecast)[0], run.metrics["model"]["mase"], rel_tol=1e-9):
        raise RuntimeError("our holdout forecast does not match the run's own score: the holdouts differ")
    info = run.info
    threads = info.get("threads") or torch.get_num_threads()  # what our fit chose, where it records it
    trained = f"{info['epochs_run']} ep, {info['epochs_run'] * our_epoch_steps(case)} steps (best ep {info['best_epoch']})"
    return Outcome(forecast, info["train_seconds"], total_s, trained, threads,
                   {"horizon": case.horizon, "lookback": case.lookback})


def our_epoch_steps(case: Case) -> int:
    """Gradient steps in one of our epochs on this series (epoch_windows caps the windows drawn)."""
    from lstm_forecast.prepare import prepare, split_origins

    config, _ = resolve(Config(horizon=case.horizon, lookback=case.lookback), case.loaded)
    n_train = len(split_origins(prepare(case.loaded, config), config)[0])
    return math.ceil(min(n_train, config.epoch_windows or n_train) / config.batch_size)


# --- Darts --------------------------------------------------------------------------------------------

def run_darts(case: Case, block: bool, matched: bool, cap: int | None, seed: int, extra: dict | None = None
              ) -> Outcome:
    """RNNModel (autoregressive, one step) or BlockRNNModel (direct H steps), model="LSTM".

    Darts does not scale: its Scaler (min-max) is fitted on the training part, as in Darts' examples.
    Series are float32, which Darts recommends for speed.
    """
    import torch
    from darts import TimeSeries
    from darts.dataprocessing.transformers import Scaler
    from darts.models import BlockRNNModel, RNNModel
    from pytorch_lightning.callbacks import EarlyStopping

    H, L, V, ours = case.horizon, case.lookback, case.val_size, Config()
    begin = time.perf_counter()
    train_end = len(case.y) - H - (V if matched else 0)
    series = TimeSeries.from_values(case.y[:-H].astype(np.float32))  # everything before the holdout
    scaler = Scaler().fit(series[:train_end])
    scaled = scaler.transform(series)
    args: dict = {"input_chunk_length": L, "model": "LSTM"}
    if block:
        args["output_chunk_length"] = H
    else:
        args["training_length"] = L + H if matched else max(24, L)  # must be >= input_chunk_length
    trainer: dict = {}
    if matched:
        args.update(hidden_dim=ours.hidden, n_rnn_layers=ours.layers, n_epochs=ours.epochs,
                    batch_size=ours.batch_size, optimizer_kwargs={"lr": ours.lr}, save_checkpoints=True)
        if ours.epoch_windows:
            trainer["limit_train_batches"] = math.ceil(ours.epoch_windows / ours.batch_size)
        trainer["callbacks"] = [EarlyStopping(monitor="val_loss", patience=ours.patience, mode="min")]
    if cap is not None and matched:
        args["n_epochs"] = min(args["n_epochs"], cap)
    args.update(extra or {})  # the warm-up's tiny budget
    shown = {**args, **({"pl_trainer_kwargs": {k: v if k != "callbacks" else "[EarlyStopping(val_loss)]"
                                               for k, v in trainer.items()}} if trainer else {})}
    with tempfile.TemporaryDirectory() as work_dir:
        cls = BlockRNNModel if block else RNNModel
        model = cls(**args, random_state=seed, pl_trainer_kwargs=trainer, work_dir=work_dir,
                    model_name=f"peer-{os.getpid()}-{time.time_ns()}")
        context = args.get("training_length", L)
        val = scaled[train_end - context:] if matched else None
        threads = torch.get_num_threads()
        start = time.perf_counter()
        model.fit(scaled[:train_end], val_series=val, verbose=False, load_best=matched)
        fit_s = time.perf_counter() - start
        trained = f"{model.trainer.current_epoch} ep, {model.trainer.global_step} steps"
        predicted = model.predict(n=H, series=scaled, verbose=False, show_warnings=False)
    forecast = scaler.inverse_transform(predicted).values().reshape(-1).astype(float)
    return Outcome(forecast, fit_s, time.perf_counter() - begin, trained, threads, shown)


# --- NeuralForecast -------------------------------------------------------------------------------------

def run_neuralforecast(case: Case, matched: bool, cap: int | None, seed: int, extra: dict | None = None
                       ) -> Outcome:
    """LSTM encoder + MLP decoder, direct H steps; NeuralForecast scales each window itself (robust)."""
    import torch
    from neuralforecast import NeuralForecast
    from neuralforecast.models import LSTM

    H, L, V, ours = case.horizon, case.lookback, case.val_size, Config()
    begin = time.perf_counter()
    frame = pd.DataFrame({"unique_id": "s", "ds": np.arange(len(case.y) - H), "y": case.y[:-H]})
    args: dict = {"h": H, "input_size": L}
    steps = our_epoch_steps(case)
    if matched:
        args.update(encoder_hidden_size=ours.hidden, encoder_n_layers=ours.layers, decoder_layers=1,
                    max_steps=ours.epochs * steps, windows_batch_size=ours.batch_size, learning_rate=ours.lr,
                    early_stop_patience_steps=ours.patience, val_check_steps=steps, random_seed=seed)
    if cap is not None and matched:
        args["max_steps"] = min(args["max_steps"], cap * steps)
    args.update(extra or {})  # the warm-up's tiny budget
    quiet = {"enable_progress_bar": False, "enable_model_summary": False, "logger": False}
    nf = NeuralForecast(models=[LSTM(**args, **quiet)], freq=1)
    threads = torch.get_num_threads()
    start = time.perf_counter()
    nf.fit(frame, val_size=V if matched else 0)
    fit_s = time.perf_counter() - start
    trained = f"{len(nf.models[0].train_trajectories)} steps"
    forecast = nf.predict(df=frame)["LSTM"].to_numpy(dtype=float)
    return Outcome(forecast, fit_s, time.perf_counter() - begin, trained, threads, args)


# --- the classical reference ----------------------------------------------------------------------------------

def run_holt_winters(case: Case) -> Outcome:
    """The classical reference: Holt-Winters as the project fits it (statsmodels, damped trend, additive or
    multiplicative season by AIC). statsforecast's AutoETS was the reference until the project's pandas floor
    rose to 3.0: statsforecast 2.1.1, its newest release, requires pandas < 3."""
    from lstm_forecast.baselines import fitted_baselines

    start = time.perf_counter()
    ets = fitted_baselines(case.y[:-case.horizon], case.period)["ets"]
    fit_s = time.perf_counter() - start
    origin = np.array([len(case.y) - case.horizon - 1])
    forecast = ets.forecast_from(case.y, origin, case.horizon)[0]
    return Outcome(np.asarray(forecast, dtype=float), fit_s, time.perf_counter() - start, getattr(ets, "description", "ets"), 0,
                   {"season_length": case.period})


# --- the race -----------------------------------------------------------------------------------------------

def methods(cap: int | None, seed: int, variants: tuple[str, ...], threads: int | None
            ) -> list[tuple[str, str, object]]:
    """(method, settings, runner) in running order; the peers' `variants` among defaults, matched."""
    out = [("ours (lstm_forecast)", "defaults", lambda c: run_ours(c, threads))]
    for settings in variants:
        m = settings == "matched"
        out += [
            ("darts RNNModel", settings, lambda c, m=m: run_darts(c, False, m, cap, seed)),
            ("darts BlockRNNModel", settings, lambda c, m=m: run_darts(c, True, m, cap, seed)),
            ("neuralforecast LSTM", settings, lambda c, m=m: run_neuralforecast(c, m, cap, seed)),
        ]
    return out + [("Holt-Winters (statsmodels)", "defaults", run_holt_winters)]


def race(case: Case, cap: int | None, seed: int, threads: int, variants: tuple[str, ...],
         forced: int | None) -> list[dict]:
    """Every method on one case: one row each, plus seasonal naive; errors become a row, not a crash.

    threads: torch intra-op threads set before every fit, so a library that changed them does not
    pass that on; what each fit then ran with is recorded. forced: --threads, passed to ours too.
    """
    import torch

    H, P = case.horizon, case.period
    common = {"series": case.name, "group": case.group, "n": len(case.y), "H": H, "L": case.lookback,
              "P": P, "V": case.val_size, "scored": int(case.observed[-H:].sum())}
    snaive_mase, snaive_smape = case.score(seasonal_naive(case.y[:-H], H, P))
    rows = [{**common, "method": "seasonal naive", "settings": "-", "mase": snaive_mase,
             "smape": snaive_smape, "rel_mase": 1.0, "fit_s": 0.0, "total_s": 0.0, "trained": "", "threads": 0,
             "args": "", "error": ""}]
    for method, settings, runner in methods(cap, seed, variants, forced):
        torch.set_num_threads(threads)
        try:
            out = runner(case)
            mase, smape = case.score(out.forecast)
            row = {"mase": mase, "smape": smape, "rel_mase": mase / snaive_mase,
                   "fit_s": out.fit_s, "total_s": out.total_s, "trained": out.trained, "threads": out.threads,
                   "args": json.dumps(out.args, default=str), "error": ""}
        except Exception as exc:  # a peer failing on one series is a result to report, not a crash
            row = {"mase": np.nan, "smape": np.nan, "rel_mase": np.nan, "fit_s": np.nan, "total_s": np.nan,
                   "trained": "",
                   "threads": 0, "args": "", "error": f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}"}
        rows.append({**common, "method": method, "settings": settings, **row})
        print(f"  {case.name:<24} {method:<22} {settings:<8} MASE {row['mase']:.3f}  total {row['total_s']:.2f}s "
              f"(fit {row['fit_s']:.2f}s) "
              f"{row['trained']} {row['error']}", file=sys.stderr, flush=True)
    return rows


def warm_up() -> None:
    """One tiny fit per library so imports, JIT and first-call costs stay out of the timings."""
    loaded = make_synthetic(400, freq="h", seed=99)
    case = make_case("warm-up", loaded, 12)
    train_run(loaded, Config(horizon=12, epochs=1))
    run_darts(case, False, False, None, 0, {"n_epochs": 1})
    run_darts(case, True, True, None, 0, {"n_epochs": 1})
    run_neuralforecast(case, True, None, 0, {"max_steps": 5})
    run_holt_winters(case)


# --- series -----------------------------------------------------------------------------------------------------

def corpus():
    """The project's bench corpus module (bench/series.py: SERIES, load_series, available), or None."""
    try:
        import series
    except ImportError:
        return None
    return series


def load_named(name: str) -> Case:
    """A corpus series (with its registered horizon) or, failing that, a bundled sample."""
    bench = corpus()
    if bench is not None and name in bench.SERIES:
        try:
            loaded = bench.load_series(name)
        except LookupError as exc:  # SeriesUnavailable: its data package or file is missing here
            raise UserError(f"series {name!r} cannot load here: {exc}") from exc
        return make_case(name, loaded, bench.SERIES[name].horizon)
    if name in SAMPLES:
        return make_case(name, load_sample(name), SAMPLES[name].default_horizon)
    known = sorted(set(SAMPLES) | set(bench.SERIES if bench else []))
    raise UserError(f"unknown series {name!r}; choose from {known}")


def all_names(group: str | None = None) -> list[str]:
    """Every corpus series (of `group`, tune or holdout, when given) that loads here (the others are named
    on stderr), or every sample."""
    bench = corpus()
    if bench is None:
        if group:
            raise UserError("--group needs the bench corpus (bench/series.py)")
        return list(SAMPLES)
    names, skipped = bench.available([n for n, s in bench.SERIES.items() if group in (None, s.group)])
    for name, why in skipped.items():
        print(f"skipped {name}: {why}", file=sys.stderr)
    return names


def synthetic_cases(seeds: int) -> list[Case]:
    """1,000 hourly points, horizon 48, one series per seed."""
    return [make_case(f"synthetic-1000h seed {s}", make_synthetic(1000, freq="h", seed=s), 48, "synthetic-hourly")
            for s in range(seeds)]


# --- report ---------------------------------------------------------------------------------------------------

def series_table(rows: pd.DataFrame) -> str:
    first = rows.iloc[0]
    gaps = f", {first['scored']} of {first['H']} holdout points scored (the rest were filled gaps)" \
        if first["scored"] < first["H"] else ""
    head = f"\n### {first['series']}  (n={first['n']}, H={first['H']}, L={first['L']}, P={first['P']}, V={first['V']}{gaps})\n"
    table = rows[["method", "settings", "mase", "smape", "rel_mase", "total_s", "fit_s", "trained", "threads", "error"]]
    return head + table.to_markdown(index=False, floatfmt=".3f")


def summary(frame: pd.DataFrame) -> str:
    """Geometric mean of MASE / seasonal naive, median total and fit seconds, our speed-up over the fastest
    neural peer on the total (the same span for all)."""
    ok = frame[frame["method"] != "seasonal naive"]
    grouped = ok.groupby(["method", "settings"], sort=False)
    table = pd.DataFrame({
        "geomean MASE/snaive": grouped["rel_mase"].apply(lambda r: float(np.exp(np.log(r.dropna()).mean()))),
        "median total s": grouped["total_s"].median(),
        "median fit s": grouped["fit_s"].median(),
        "series ok": grouped["rel_mase"].count(),
        "failed": grouped["error"].apply(lambda e: int((e != "").sum())),
    }).reset_index()
    ours = table[table["method"].str.startswith("ours")].iloc[0]
    neural = table[table["method"].isin(NEURAL_PEERS)].dropna(subset=["geomean MASE/snaive", "median total s"])
    if neural.empty:
        return table.to_markdown(index=False, floatfmt=".3f") + "\n\n- no neural peer finished: nothing to compare"
    fastest = neural.loc[neural["median total s"].idxmin()]
    best = neural.loc[neural["geomean MASE/snaive"].idxmin()]
    speedup = fastest["median total s"] / ours["median total s"]
    fit_speedup = fastest["median fit s"] / ours["median fit s"]
    lines = [table.to_markdown(index=False, floatfmt=".3f"), "",
             f"- accuracy: ours {ours['geomean MASE/snaive']:.3f} vs best neural peer "
             f"{best['geomean MASE/snaive']:.3f} ({best['method']}, {best['settings']}) -> target "
             f"{'met' if ours['geomean MASE/snaive'] <= best['geomean MASE/snaive'] else 'NOT met'}",
             f"- speed, the same span for all (series in, forecast out): ours {ours['median total s']:.2f}s vs "
             f"fastest neural peer {fastest['median total s']:.2f}s ({fastest['method']}, {fastest['settings']}): "
             f"{speedup:.1f}x -> target (>= 3x) {'met' if speedup >= 3 else 'NOT met'}; fit call alone "
             f"{ours['median fit s']:.2f}s vs {fastest['median fit s']:.2f}s, {fit_speedup:.1f}x"]
    return "\n".join(lines)


def versions() -> str:
    from importlib.metadata import version

    import torch

    names = ["torch", "darts", "neuralforecast", "statsmodels", "pytorch-lightning", "pandas", "numpy"]
    return ", ".join(f"{n} {version(n)}" for n in names) + f"; torch threads {torch.get_num_threads()}, " \
        f"{os.cpu_count()} CPUs"


def quiet_libraries() -> None:
    """Import the peers, then silence their INFO chatter (Lightning sets its loggers' levels on import)."""
    import darts.models  # noqa: F401
    import neuralforecast  # noqa: F401
    import pytorch_lightning  # noqa: F401

    warnings.filterwarnings("ignore")
    prefixes = ("pytorch_lightning", "lightning", "lightning_fabric", "darts", "neuralforecast")
    for name in list(logging.root.manager.loggerDict):
        if name.startswith(prefixes):
            logging.getLogger(name).setLevel(logging.ERROR)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--series", nargs="*", default=None, help=f"corpus or sample names (default {DEFAULT_SERIES})")
    ap.add_argument("--all", action="store_true", help="every series of the bench corpus (or every sample)")
    ap.add_argument("--group", choices=("tune", "holdout"), default=None,
                    help="every corpus series of that group (bench/series.py): holdout ones were never tuned on")
    ap.add_argument("--synthetic-hourly", action="store_true", help="add 1,000-point hourly H=48 over --seeds seeds")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--peer-epoch-cap", type=int, default=None,
                    help="cap the matched neural peers at N epochs (NeuralForecast: N of our epochs, in steps); "
                         "the defaults runs keep their libraries' budgets")
    ap.add_argument("--threads", type=int, default=None,
                    help="torch threads for every fit alike (default: torch's own, one per core); "
                         "1 on a busy machine, where 2 threads can be 100x slower")
    ap.add_argument("--variants", nargs="+", default=["defaults", "matched"], choices=["defaults", "matched"],
                    help="which runs of each neural peer")
    ap.add_argument("--seed", type=int, default=0, help="peers' random seed where we set one")
    ap.add_argument("--out", default=str(BENCH / "out" / "peers.csv"))
    args = ap.parse_args()

    try:
        if args.all or args.group:
            names = all_names(args.group)
        else:
            names = args.series if args.series is not None else DEFAULT_SERIES
        cases = [load_named(n) for n in names]
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    if args.synthetic_hourly:
        cases += synthetic_cases(args.seeds)

    import torch

    threads = args.threads or torch.get_num_threads()  # read before any peer library is imported
    quiet_libraries()
    torch.set_num_threads(threads)
    print(f"# peers race\n\n{versions()} ({'set by --threads' if args.threads else 'torch default'}); "
          f"peer epoch cap {args.peer_epoch_cap or 'none'}")
    warm_up()
    rows = []
    for case in cases:
        rows += race(case, args.peer_epoch_cap, args.seed, threads, tuple(args.variants), args.threads)
        frame = pd.DataFrame(rows)
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(args.out, index=False)  # after every series: a long run keeps what it has
        print(series_table(frame[frame["series"] == case.name]), flush=True)
    frame = pd.DataFrame(rows)
    for group, part in frame.groupby("group", sort=False):
        print(f"\n## summary: {group} ({part['series'].nunique()} series)\n\n{summary(part)}")
        if group == "synthetic-hourly":
            ours = part[part["method"].str.startswith("ours")]
            print(f"- 1,000-point hourly H=48: our median total {ours['total_s'].median():.2f}s (fit "
                  f"{ours['fit_s'].median():.2f}s) -> target (<= 3 s) "
                  f"{'met' if ours['total_s'].median() <= 3 else 'NOT met'}")
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
