"""Hyperparameter sweeps: Optuna's TPE sampler and median pruning, scored on validation origins only.

A sweep folder holds everything, so a sweep stopped at any point resumes where it was:

    <sweep>/sweep.json      what is searched, on which data (its fingerprint), the base config
    <sweep>/study.db        the Optuna study (SQLite): every trial, its settings, per-epoch scores, state
    <sweep>/trials.csv      the trials as a table (trials_table), rewritten at the end of each command
    <sweep>/curves.csv      each trial's validation score after each epoch (where pruning cut it short)
    <sweep>/summary.json    best against default: validation MASE, holdout MASE, the runs below
    <sweep>/best/           the best trial retrained, an ordinary run folder (a panel folder for panels)
    <sweep>/default/        the default settings, trained the same way: the reference the best is judged by

Trial 0 is always the default settings, so "does the sweep beat the defaults" is answered by the
study itself. Trials run in this process (`jobs` 1), in `jobs` worker processes sharing the SQLite
study, or on Ray (ray_tune.run_tune, Ray Tune with Optuna as its search algorithm); the study
file records them all alike. The holdout is read only when best and default are retrained at the end.
"""
from __future__ import annotations

import contextlib
import math
import multiprocessing
import os
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

import pandas as pd

from .. import files
from ..config import CELLS, Config, MAX
from ..data.source import write_series_csv
from ..errors import UserError
from ..runs import data_key, file_sha256, read_entry, save_run
from .panel import Panel, to_long_csv
from .ray_backend import ray_module
from .ray_tune import run_tune
from .search_space import DEFAULT_CELLS, SEARCHED, default_params, distributions, search_space, suggest, trial_config
from .study import (PRUNE_AFTER_TRIALS, PRUNE_WARMUP_EPOCHS, STARTUP_TRIALS, finished, optuna_module,  # noqa: F401
                    sampler_seed, trial_line)

STUDY = "sweep"
DEFAULT_SWEEPS_DIR = Path(os.environ.get("LSTM_FORECAST_SWEEPS", "sweeps"))


# --- the folder ------------------------------------------------------------------------------


@dataclass
class SweepSpec:
    """sweep.json: enough to resume the sweep and to find its data again."""

    data: dict  # kind (series | panel), key (fingerprint), origin (sample / csv / panel path + sha256)
    base: dict  # the base Config
    space: dict
    defaults: dict
    seed: int
    created: str

    def to_dict(self) -> dict:
        return dict(self.__dict__)


MAX_SPEC_BYTES = 1 << 20  # a sweep.json of ours is a few KB
SEED_RANGE = (0, 2**63 - 1)  # Config's; the sampler's seed is taken modulo 2**32 (numpy's RandomState)


def read_spec(out: Path) -> SweepSpec:
    """sweep.json of `out`, read as untrusted (depth-limited) and checked in full before anything uses it:
    its keys, the data fingerprint, the base config (Config.from_dict's ranges), a search space of the
    settings we search with sane ranges, defaults inside that space, a seed in range. A hand-edited or
    torn file gives one UserError naming the file and the fix, never a KeyError deep in a resume."""
    path = out / "sweep.json"
    where = f"sweep.json in {str(out)!r}"
    fix = "restore it, or start the sweep again in another --out"
    if path.is_symlink() or not path.is_file() or path.stat().st_size > MAX_SPEC_BYTES:
        raise UserError(f"{where} is not a plain sweep file of ours; {fix}")
    stored = files.loads(path.read_bytes(), where)
    fields = {"data", "base", "space", "defaults", "seed", "created"}
    if not isinstance(stored, dict) or set(stored) != fields:
        got = sorted(stored) if isinstance(stored, dict) else type(stored).__name__
        raise UserError(f"{where} holds {got}, not the keys of a sweep ({', '.join(sorted(fields))}); {fix}")
    data = stored["data"]
    if not isinstance(data, dict) or not isinstance(data.get("key"), str) or data.get("kind") not in ("series", "panel") \
            or not isinstance(data.get("origin", {}), dict):
        raise UserError(f"{where} has no valid data record (kind series or panel, a fingerprint key); {fix}")
    if not isinstance(stored["base"], dict):
        raise UserError(f"{where} has no base config; {fix}")
    try:
        Config.from_dict(stored["base"])
    except UserError as exc:
        raise UserError(f"{where}: its base config is not usable ({exc}); {fix}") from None
    _check_space(stored["space"], stored["defaults"], where, fix)
    seed = stored["seed"]
    if isinstance(seed, bool) or not isinstance(seed, int) or not SEED_RANGE[0] <= seed <= SEED_RANGE[1]:
        raise UserError(f"{where} has the seed {seed!r:.40}; it must be a whole number from "
                        f"{SEED_RANGE[0]} to {SEED_RANGE[1]}; {fix}")
    if not isinstance(stored["created"], str):
        raise UserError(f"{where} has no creation time; {fix}")
    return SweepSpec(**stored)


def _check_space(space, defaults, where: str, fix: str) -> None:
    """Every searched setting is one of ours, with a well-formed range; the defaults lie inside it."""
    if not isinstance(space, dict) or not space or not set(space) <= set(SEARCHED):
        raise UserError(f"{where} searches {sorted(space) if isinstance(space, dict) else space!r:.80}, "
                        f"not some of {', '.join(SEARCHED)}; {fix}")
    if not isinstance(defaults, dict) or not set(space) | {"horizon"} <= set(defaults):
        raise UserError(f"{where} has no default for every searched setting and the horizon; {fix}")
    horizon = defaults["horizon"]
    if isinstance(horizon, bool) or not isinstance(horizon, int) or not 1 <= horizon <= MAX["horizon"]:
        raise UserError(f"{where} has the horizon {horizon!r:.40}, outside 1 to {MAX['horizon']}; {fix}")
    for name, spec in space.items():
        bad = f"{where} searches {name} over {str(spec)[:80]}, which is not a range of ours; {fix}"
        value = defaults[name]
        if not isinstance(spec, dict):
            raise UserError(bad)
        if spec.get("type") == "categorical":
            choices = spec.get("choices")
            allowed = CELLS if name == "cell" else None
            if not isinstance(choices, list) or not choices or name not in ("cell", "hidden") or any(
                    (c not in allowed) if allowed else (isinstance(c, bool) or not isinstance(c, int)
                                                        or not 1 <= c <= MAX["hidden"]) for c in choices):
                raise UserError(bad)
            if value not in choices:
                raise UserError(f"{where}: the default {name} {value!r:.40} is not one of {choices}; {fix}")
            continue
        low, high = spec.get("low"), spec.get("high")
        kind = {"lookback": "int", "layers": "int", "dropout": "float", "lr": "float"}.get(name)
        number = int if kind == "int" else (int, float)
        if spec.get("type") != kind or not all(isinstance(v, number) and not isinstance(v, bool)
                                               and math.isfinite(v) for v in (low, high)) or low > high:
            raise UserError(bad)
        limits = {"lookback": (1, MAX["lookback"]), "layers": (1, MAX["layers"]), "dropout": (0.0, 0.9),
                  "lr": (1e-7, 1.0)}[name]
        if low < limits[0] or high > limits[1]:
            raise UserError(f"{where} searches {name} from {low} to {high}, outside {limits[0]} to {limits[1]}; {fix}")
        if isinstance(value, bool) or not isinstance(value, number) or not low <= value <= high:
            raise UserError(f"{where}: the default {name} {value!r:.40} lies outside {low} to {high}; {fix}")


def data_fingerprint(data) -> str:
    return data.key() if isinstance(data, Panel) else data_key(data)


def open_spec(out: Path, data, base: Config, cells: tuple[str, ...], seed: int, origin: dict | None) -> SweepSpec:
    """sweep.json of `out`: read and checked against this data, or written for a new sweep."""
    path = out / "sweep.json"
    key = data_fingerprint(data)
    if path.is_file():
        spec = read_spec(out)
        if spec.data["key"] != key:
            raise UserError(f"the sweep in {str(out)!r} was run on other data (fingerprint {spec.data['key']}, "
                            f"this data {key}); resume it with the same data, or choose another --out")
        return spec
    space = search_space(data, base, cells)
    origin = origin or _write_data(out, data)
    spec = SweepSpec({"kind": "panel" if isinstance(data, Panel) else "series", "key": key, "origin": origin or {},
                      "source": getattr(data, "source", "")},
                     base.to_dict(), space, default_params(data, base, cells), seed,
                     datetime.now(timezone.utc).isoformat(timespec="seconds"))
    _write_json(path, spec.to_dict())
    return spec


def _write_data(out: Path, data) -> dict:
    """Data given in memory (no file, sample or ticker to find it by): written into the sweep folder, so the
    best run can be reopened from it (`pipeline.training_data` reads it back, checking its SHA-256)."""
    path = (out / "data.csv").resolve()
    if isinstance(data, Panel):
        path.write_bytes(to_long_csv(data))
        return {"panel": str(path), "sha256": file_sha256(path), "id_col": "id"}

    return write_series_csv(data, path).to_dict()


@contextlib.contextmanager
def _exclusive(out: Path) -> Iterator[None]:
    """One sweep command per folder at a time (its workers share the study, not the folder's files)."""
    fd = os.open(out / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UserError(f"another sweep is running in {str(out)!r}; wait for it or choose another --out") from None
        except ImportError:
            pass
        yield
    finally:
        os.close(fd)


def storage_url(out: Path) -> str:
    return f"sqlite:///{(out / 'study.db').resolve()}"


def open_study(out: Path, spec: SweepSpec, pruning: bool = True, worker: int = 0):
    """The sweep's study, created or loaded from study.db: TPE sampler, median pruner.

    The sampler's seed is the sweep's seed plus the trials already in the study (and the worker's
    number): a resumed sweep, or a second worker, draws new settings rather than the first ones again,
    and the same resume point draws the same ones."""
    optuna = optuna_module()
    from sqlalchemy.exc import SQLAlchemyError  # deferred: sqlalchemy

    path = out / "study.db"
    if path.is_symlink() or (path.exists() and not path.is_file()):
        raise UserError(f"study.db in {str(out)!r} is not a plain file; move it away, or choose another --out")
    try:
        storage = optuna.storages.RDBStorage(storage_url(out), engine_kwargs={"connect_args": {"timeout": 60}})
        study = optuna.create_study(storage=storage, study_name=STUDY, direction="minimize", load_if_exists=True)
        sampler = optuna.samplers.TPESampler(seed=sampler_seed(spec, study, worker),
                                             n_startup_trials=STARTUP_TRIALS, multivariate=True, constant_liar=True)
        pruner = (optuna.pruners.MedianPruner(n_startup_trials=PRUNE_AFTER_TRIALS,
                                              n_warmup_steps=PRUNE_WARMUP_EPOCHS)
                  if pruning else optuna.pruners.NopPruner())
        study = optuna.load_study(study_name=STUDY, storage=storage, sampler=sampler, pruner=pruner)
        trials = study.get_trials(deepcopy=False)
    except UserError:
        raise
    except (SQLAlchemyError, ValueError, KeyError, TypeError) as exc:  # Optuna's schema and version checks
        first = (str(exc).splitlines() or [""])[0][:120]
        raise UserError(f"study.db in {str(out)!r} is not an Optuna study this sweep can resume "
                        f"({type(exc).__name__}: {first}); move it away to start the trials afresh, "
                        "or choose another --out") from None
    check_study(trials, spec, out)
    return study


def check_study(trials, spec: SweepSpec, out: Path) -> None:
    """The study's trials were drawn from sweep.json's search space: a space edited since (or a study.db
    from another sweep) is refused before Optuna mixes two spaces in one model."""
    from optuna.trial import TrialState  # deferred: optuna

    expected = distributions(spec.space)
    for t in trials:
        if t.state not in (TrialState.COMPLETE, TrialState.PRUNED):
            continue
        for name, dist in t.distributions.items():
            if name not in expected or expected[name] != dist:
                raise UserError(f"sweep.json in {str(out)!r} searches {name} over "
                                f"{_range_words(expected.get(name))}, but its study.db ran trial {t.number} over "
                                f"{_range_words(dist)}: the search space was changed after trials ran; restore "
                                "sweep.json, or start the sweep again in another --out")


def _range_words(dist) -> str:
    if dist is None:
        return "nothing (not searched)"
    if hasattr(dist, "choices"):
        return "{" + ", ".join(map(str, dist.choices)) + "}"
    return f"{dist.low:g} to {dist.high:g}"


def recover(study, spec: SweepSpec, queue: bool = True) -> tuple[list[int], list[dict]]:
    """Before trials run: trials left RUNNING by a killed command are failed and their settings run again,
    and the default settings run first when the study has no default trial yet.

    queue True: those settings are queued in the study (Optuna runs them next); False: returned for
    the caller to run (Ray's points to evaluate). Returns the recovered trial numbers and the settings.
    The caller holds the folder's lock, so no live process owns a RUNNING trial here.
    """
    from optuna.trial import TrialState  # deferred: optuna

    recovered, pending = [], []
    alive = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.WAITING)
    if not any(t.user_attrs.get("default") for t in study.get_trials(deepcopy=False, states=alive)):
        pending.append(({k: spec.defaults[k] for k in spec.space}, {"default": True}))
    for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        study.tell(t.number, state=TrialState.FAIL)
        recovered.append(t.number)
        if not _default_attr(t.params, spec):  # a killed default is queued above already
            pending.append((dict(t.params), {"retry_of": t.number}))
    if queue:
        for params, attrs in pending:
            study.enqueue_trial(params, user_attrs=attrs)
    return recovered, [params for params, _ in pending]


def _default_attr(params: dict, spec: SweepSpec) -> dict:
    return {"default": True} if all(params.get(k) == spec.defaults.get(k) for k in spec.space) else {}


# --- running trials --------------------------------------------------------------------------


def objective(data, spec: SweepSpec, pruning: bool = True, on_epoch: Callable | None = None):
    """The Optuna objective: one trial's validation score, reported per epoch, pruned by the median rule."""
    optuna = optuna_module()
    from .trial import train_trial  # deferred: scale/trial.py imports statsmodels

    base = Config.from_dict(spec.base)

    def run(trial) -> float:
        params = suggest(trial, spec.space)
        trial.set_user_attr("horizon", spec.defaults["horizon"])

        def report(score: float, epoch: int) -> None:
            trial.report(score if math.isfinite(score) else 1e9, epoch)
            trial.set_user_attr("epochs_run", epoch)
            if on_epoch is not None:
                on_epoch(trial.number, epoch, score)
            if pruning and trial.should_prune():
                trial.set_user_attr("pruned_at", epoch)
                raise optuna.TrialPruned(f"pruned at epoch {epoch}: worse than the median of earlier trials")

        config = trial_config(base, {**params, "horizon": spec.defaults["horizon"]})
        result = train_trial(data, config, report, threads=1)
        trial.set_user_attr("epochs_run", result.epochs_run)
        trial.set_user_attr("best_epoch", result.best_epoch)
        trial.set_user_attr("stopped", result.stopped)
        trial.set_user_attr("seconds", round(result.seconds, 3))
        return result.score

    return run


def _print_trial(study, trial) -> None:
    epochs = trial.user_attrs.get("epochs_run", len(trial.intermediate_values))
    print(trial_line(trial.number, trial.state.name.lower(), trial.value, trial.params, epochs), flush=True)


def _optimize(study, data, spec: SweepSpec, trials: int, pruning: bool, on_epoch=None, verbose: bool = False) -> None:
    optuna = optuna_module()
    from optuna.trial import TrialState  # deferred: optuna

    done = optuna.study.MaxTrialsCallback(trials, states=(TrialState.COMPLETE, TrialState.PRUNED))
    remaining = trials - finished(study)
    if remaining > 0:  # failures (a setting the data cannot take) do not count; at most as many again
        study.optimize(objective(data, spec, pruning, on_epoch), n_trials=2 * remaining,
                       callbacks=[done, *([_print_trial] if verbose else [])], catch=(UserError,))


def _worker(out: str, data, spec_dict: dict, trials: int, pruning: bool, worker: int, verbose: bool) -> None:
    """A worker process: the same study, the same objective, until the study has `trials` finished."""
    import torch  # deferred: torch

    torch.set_num_threads(1)
    spec = SweepSpec(**spec_dict)
    _optimize(open_study(Path(out), spec, pruning, worker), data, spec, trials, pruning, verbose=verbose)


def run_local(out: Path, study, data, spec: SweepSpec, trials: int, jobs: int, pruning: bool, on_epoch=None,
              verbose: bool = False) -> None:
    """Trials in this process (jobs 1) or in `jobs` spawned processes that share the SQLite study."""
    if jobs <= 1:
        _optimize(study, data, spec, trials, pruning, on_epoch, verbose)
        return
    context = multiprocessing.get_context("spawn")
    procs = [context.Process(target=_worker, args=(str(out), data, spec.to_dict(), trials, pruning, k + 1, verbose))
             for k in range(jobs)]
    for p in procs:
        p.start()
    try:
        for p in procs:
            p.join()
    finally:
        for p in procs:
            if p.is_alive():
                p.terminate()
                p.join()
    bad = [p.exitcode for p in procs if p.exitcode]
    if bad:
        raise UserError(f"{len(bad)} sweep worker(s) failed (exit codes {bad}); run the sweep again to resume it")


# --- the whole sweep -------------------------------------------------------------------------


def run_sweep(data, base: Config, out: Path | str, trials: int, *, backend: str = "optuna", jobs: int = 1,
              cells: tuple[str, ...] = DEFAULT_CELLS, seed: int = 0, pruning: bool = True,
              origin: dict | None = None, on_epoch=None, retrain: bool = True, verbose: bool = False) -> dict:
    """Run (or resume) a sweep in `out` until it has `trials` finished trials; retrain best and default.

    data: a LoadedSeries or a Panel (its global model is swept). Returns summary.json's content.
    """
    if not isinstance(trials, int) or trials < 1:
        raise UserError(f"--trials ({trials!r}) must be a whole number >= 1")
    if backend not in ("optuna", "ray"):
        raise UserError(f"backend {backend!r} must be optuna or ray")
    if not isinstance(jobs, int) or jobs < 1:
        raise UserError(f"--jobs ({jobs!r}) must be a whole number >= 1")
    if backend == "ray":
        ray_module()  # says how to install it, before anything is written
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise UserError(f"{str(out)!r} exists and is not a folder; choose another --out")
    if out.is_dir() and set(os.listdir(out)) - {".lock", "data.csv"} and not (out / "sweep.json").is_file():
        raise UserError(f"{str(out)!r} exists and is not a sweep folder; choose an empty or new --out")
    out.mkdir(parents=True, exist_ok=True)
    start, load_before = time.perf_counter(), _load_average()
    with _exclusive(out):
        spec = open_spec(out, data, base, tuple(cells), seed, origin)
        study = open_study(out, spec, pruning)
        recovered, pending = recover(study, spec, queue=backend != "ray")
        if backend == "ray":
            run_tune(out, study, data, spec, trials, pruning, pending, verbose)
        else:
            run_local(out, study, data, spec, trials, jobs, pruning, on_epoch, verbose)
        table = trials_table(study)
        table.to_csv(out / "trials.csv", index=False)
        curves(study).to_csv(out / "curves.csv", index=False)
        summary = _summarise(out, study, table, data, spec, backend, jobs, time.perf_counter() - start,
                             recovered, retrain)
        summary["load_average"] = {"before": load_before, "after": _load_average()}  # the machine's, not ours
        _write_json(out / "summary.json", summary)
    return summary


def _load_average() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:  # not on every OS
        return None


def trials_table(study) -> pd.DataFrame:
    """One row per trial: number, state, score (validation MASE), the settings, epochs, seconds, default."""
    rows = []
    for t in study.get_trials(deepcopy=False):
        attrs = t.user_attrs
        rows.append({"number": t.number, "state": t.state.name.lower(),
                     "score": t.value if t.value is not None else math.nan,
                     **{f"param_{k}": t.params.get(k) for k in SEARCHED},
                     "epochs_run": attrs.get("epochs_run", len(t.intermediate_values)),
                     "pruned_at": attrs.get("pruned_at"), "best_epoch": attrs.get("best_epoch"),
                     "seconds": attrs.get("seconds", _duration(t)), "default": bool(attrs.get("default")),
                     "backend": attrs.get("backend", "optuna")})
    columns = ["number", "state", "score", *(f"param_{k}" for k in SEARCHED), "epochs_run", "pruned_at",
               "best_epoch", "seconds", "default", "backend"]
    return pd.DataFrame(rows, columns=columns)


def curves(study) -> pd.DataFrame:
    """Each trial's validation score after each epoch: trial, epoch, score, state."""
    rows = [{"trial": t.number, "epoch": int(e), "score": float(v), "state": t.state.name.lower()}
            for t in study.get_trials(deepcopy=False) for e, v in sorted(t.intermediate_values.items())]
    return pd.DataFrame(rows, columns=["trial", "epoch", "score", "state"])


def _duration(t) -> float | None:
    if t.datetime_start and t.datetime_complete:
        return round((t.datetime_complete - t.datetime_start).total_seconds(), 3)
    return None


def _summarise(out: Path, study, table: pd.DataFrame, data, spec: SweepSpec, backend: str, jobs: int,
               seconds: float, recovered: list[int], retrain: bool) -> dict:
    from optuna.trial import TrialState  # deferred: optuna

    complete = table[table["state"] == "complete"]
    summary: dict[str, Any] = {
        "trials": int(len(table)), "complete": int(len(complete)),
        "pruned": int((table["state"] == "pruned").sum()), "failed": int((table["state"] == "fail").sum()),
        "recovered": recovered, "backend": backend, "jobs": jobs, "seconds_this_command": round(seconds, 3),
        "epochs_complete_mean": float(complete["epochs_run"].mean()) if len(complete) else math.nan,
        "epochs_pruned_mean": float(table.loc[table["state"] == "pruned", "epochs_run"].mean())
        if (table["state"] == "pruned").any() else math.nan,
        "kind": spec.data["kind"], "source": spec.data.get("source", ""),
    }
    if not len(complete):
        return summary
    best = study.best_trial
    defaults = [t for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)) if t.user_attrs.get("default")]
    default = defaults[0] if defaults else None
    summary["best"] = _entry(best)
    summary["default"] = _entry(default) if default else None
    if default is not None and default.value:
        summary["validation_gain"] = 1.0 - best.value / default.value  # > 0: the best is better on validation
    if retrain:
        for role, trial in (("best", best), ("default", default)):
            if trial is None:
                continue
            kept = _retrained(out / role, data, trial.params)
            summary[role].update(kept if kept is not None else _retrain(out / role, data, spec, trial.params))
        b, d = summary["best"].get("holdout_mase"), (summary.get("default") or {}).get("holdout_mase")
        if b is not None and d:
            summary["holdout_gain"] = 1.0 - b / d
    return summary


def _entry(trial) -> dict:
    return {"number": trial.number, "score": trial.value, "params": dict(trial.params),
            "epochs_run": trial.user_attrs.get("epochs_run")}


def _retrain(folder: Path, data, spec: SweepSpec, params: dict) -> dict:
    """Train `params` again as the trial did (same seed) and save it as an ordinary run (or panel) folder."""
    from .store import save_panel  # deferred: scale/store.py imports statsmodels
    from .trial import train_trial  # deferred: scale/trial.py imports statsmodels

    config = trial_config(Config.from_dict(spec.base), {**params, "horizon": spec.defaults["horizon"]})
    result = train_trial(data, config, finish=True, threads=1)
    if isinstance(data, Panel):
        panel_run = result.result
        panel_run.info["sweep"] = {"params": params, "validation_score": result.score}
        save_panel(panel_run, folder, panel=data)
        board = panel_run.scoreboard()
        return {"retrained_score": result.score, "holdout_mase": board["geomean_relative_mase"],
                "holdout_measure": "geometric-mean relative MASE over the panel's series", "folder": folder.name}
    run = result.result
    run.info["sweep"] = {"params": params, "validation_mase": result.score}
    if origin := spec.data.get("origin"):
        run.info["origin"] = origin
    save_run(run, folder, expect="any")
    return {"retrained_score": result.score, "holdout_mase": run.metrics["model"]["mase"],
            "seasonal_naive_mase": run.metrics["baselines"]["seasonal_naive"]["mase"],
            "holdout_measure": "MASE on the holdout", "folder": folder.name}


def _retrained(folder: Path, data, params: dict) -> dict | None:
    """The figures of a trial retrained by an earlier command, read from its own run (or panel) folder,
    checked against its manifest and against the trial's settings; None when it must be retrained.
    summary.json is never the source: a hand-edited holdout_mase there is not carried forward."""
    if not folder.is_dir() or folder.is_symlink():
        return None
    try:
        if isinstance(data, Panel):
            from .store import load_panel_run  # deferred: scale/store.py imports statsmodels

            panel_run = load_panel_run(folder)
            sweep = panel_run.info.get("sweep") or {}
            if sweep.get("params") != params:
                return None
            return {"retrained_score": sweep.get("validation_score"),
                    "holdout_mase": panel_run.scoreboard()["geomean_relative_mase"],
                    "holdout_measure": "geometric-mean relative MASE over the panel's series", "folder": folder.name}
        entry = read_entry(folder, root=folder.parent)
        if not entry.ok:
            return None
        sweep = entry.meta["info"].get("sweep") or {}
        model, naive = entry.metrics["model"].get("mase"), entry.metrics["baselines"]["seasonal_naive"].get("mase")
    except (UserError, KeyError, TypeError, AttributeError):
        return None
    if sweep.get("params") != params or not isinstance(model, (int, float)):
        return None
    return {"retrained_score": sweep.get("validation_mase"), "holdout_mase": model, "seasonal_naive_mase": naive,
            "holdout_measure": "MASE on the holdout", "folder": folder.name}


def _read_summary(out: Path) -> dict:
    """summary.json, for showing: {} when missing or not JSON of ours (depth-limited). Nothing read here
    is carried into a new summary: the holdout figures of best/ and default/ are read from those runs."""
    path = out / "summary.json"
    try:
        if path.is_symlink() or path.stat().st_size > MAX_SPEC_BYTES:
            return {}
        summary = files.loads(path.read_bytes(), f"summary.json in {str(out)!r}")
    except (OSError, UserError):
        return {}
    return summary if isinstance(summary, dict) else {}


def read_sweep(out: Path | str) -> tuple[dict, dict, pd.DataFrame, pd.DataFrame]:
    """sweep.json, summary.json, trials.csv and curves.csv of a sweep folder (for the dashboard)."""
    out = Path(out)
    if not (out / "sweep.json").is_file() or not (out / "trials.csv").is_file():
        raise UserError(f"{str(out)!r} is not a finished sweep folder (no sweep.json or trials.csv); run "
                        "`python -m lstm_forecast sweep` into it")
    spec = read_spec(out).to_dict()
    table = pd.read_csv(out / "trials.csv")
    curve = pd.read_csv(out / "curves.csv") if (out / "curves.csv").is_file() else pd.DataFrame()
    return spec, _read_summary(out), table, curve


def list_sweeps(root: Path | str) -> list[Path]:
    root = Path(root)
    if not root.is_dir():
        return []
    found = [root / n for n in sorted(os.listdir(root)) if (root / n / "trials.csv").is_file()]
    return sorted(found, key=lambda p: (p / "trials.csv").stat().st_mtime, reverse=True)


def _write_json(path: Path, obj) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(files.dumps(obj)[0], encoding="utf-8")
    os.replace(tmp, path)
