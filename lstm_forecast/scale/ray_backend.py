"""The same work on Ray: a panel's per-series fits as Ray tasks, a sweep's trials as Ray Tune trials.

Ray is an optional extra (requirements-scale.txt). With RAY_ADDRESS set, `connect` joins that
cluster; without it, it starts a local Ray instance on this machine's cores. The package travels to
the workers with the job (`runtime_env` py_modules), so a cluster's nodes need only the project's
requirements installed, not the project itself (docs/SCALE.md).

Sweeps use Ray Tune with Optuna's TPE as the search algorithm (OptunaSearch) and Ray's median
stopping rule in the role of Optuna's median pruner. The driver writes every finished trial into the
sweep's study.db as it finishes, so the SQLite study stays the one record: the dashboard reads Ray and
Optuna sweeps alike, and a Ray sweep resumes from it (with either backend).
"""
from __future__ import annotations

import math
import os
from pathlib import Path

from ..config import Config
from ..errors import UserError
from .panel import Panel

INSTALL = "pip install -r requirements-scale.txt"


def _ray():
    try:
        import ray
    except ImportError:
        raise UserError(f"--backend ray needs Ray, an optional extra that is not installed; run `{INSTALL}` "
                        "(or use the default backend)") from None
    return ray


def connect(num_cpus: int | None = None) -> dict:
    """Join the cluster at RAY_ADDRESS, or start a local Ray instance; returns its CPU count and address."""
    ray = _ray()
    package = str(Path(__file__).resolve().parents[1])
    runtime_env = {"py_modules": [package], "env_vars": {"OMP_NUM_THREADS": "1"}}
    if not ray.is_initialized():
        address = os.environ.get("RAY_ADDRESS")
        try:
            if address:
                ray.init(address=address, runtime_env=runtime_env, log_to_driver=False)
            else:
                from ..threads import available_cores

                ray.init(num_cpus=num_cpus or available_cores(), include_dashboard=False, log_to_driver=False,
                         runtime_env=runtime_env, configure_logging=False)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            where = f"the cluster at RAY_ADDRESS={address!r}" if address else "a local Ray instance"
            raise UserError(f"cannot start or join {where} ({str(exc).splitlines()[0][:160]}); check the "
                            "address, or unset RAY_ADDRESS to run locally") from None
    cpus = int(ray.cluster_resources().get("CPU", 1))
    return {"cpus": cpus, "address": os.environ.get("RAY_ADDRESS") or "local"}


def shutdown() -> None:
    ray = _ray()
    if ray.is_initialized():
        ray.shutdown()


# --- a panel's per-series fits as Ray tasks --------------------------------------------------


def _fit_series(sid: str, loaded, config_dict: dict):
    """One series' ordinary run, on a worker, with one torch thread."""
    import torch

    from lstm_forecast.config import Config as C
    from lstm_forecast.errors import UserError as U
    from lstm_forecast.pipeline import train_run

    torch.set_num_threads(1)
    try:
        return sid, train_run(loaded, C.from_dict(config_dict), threads=1), None
    except U as exc:
        return sid, None, str(exc)


def train_series_on_ray(panel: Panel, config: Config, on_series=None) -> tuple[dict, dict]:
    """Every series of the panel as one Ray task (1 CPU each); runs in the panel's order, and the problems."""
    ray = _ray()
    connect()
    task = ray.remote(num_cpus=1)(_fit_series)
    config_ref = config.to_dict()
    pending = {task.remote(sid, loaded, config_ref): sid for sid, loaded in panel.series.items()}
    runs, problems, done = {}, {}, 0
    while pending:
        ready, _ = ray.wait(list(pending), num_returns=1)
        for ref in ready:
            pending.pop(ref)
            sid, run, problem = ray.get(ref)
            if run is not None:
                runs[sid] = run
            else:
                problems[sid] = problem
            done += 1
            if on_series is not None:
                on_series(sid, done, len(panel.series))
    order = [sid for sid in panel.series if sid in runs]
    return {sid: runs[sid] for sid in order}, problems


# --- a sweep as Ray Tune trials --------------------------------------------------------------


def _trainable(params: dict, data=None, spec: dict | None = None):
    """One Ray Tune trial: the sweep's own trial, reporting its validation score after every epoch."""
    import torch
    from ray import tune

    from lstm_forecast.config import Config as C
    from lstm_forecast.scale.search_space import trial_config
    from lstm_forecast.scale.trial import train_trial

    torch.set_num_threads(1)
    config = trial_config(C.from_dict(spec["base"]), {**params, "horizon": spec["defaults"]["horizon"]})

    def report(score: float, epoch: int) -> None:
        tune.report({"score": score if math.isfinite(score) else 1e9, "epoch": epoch, "final": False})

    result = train_trial(data, config, report, threads=1)
    tune.report({"score": result.score if math.isfinite(result.score) else 1e9, "epoch": result.epochs_run,
                 "final": True, "best_epoch": result.best_epoch, "seconds": result.seconds,
                 "stopped": result.stopped})


def run_tune(out: Path, study, data, spec, trials: int, pruning: bool = True, first: list[dict] | None = None,
             verbose: bool = False) -> None:
    """Run the sweep's remaining trials on Ray Tune; each finished trial is added to `study` (study.db).

    first: settings to run before the sampler's own (the defaults of a new sweep, interrupted trials)."""
    _ray()
    from optuna.samplers import TPESampler
    from optuna.trial import TrialState
    from ray import tune
    from ray.tune.schedulers import FIFOScheduler, MedianStoppingRule
    from ray.tune.search.optuna import OptunaSearch

    from .search_space import distributions
    from .sweep import PRUNE_AFTER_TRIALS, PRUNE_WARMUP_EPOCHS, STARTUP_TRIALS, finished, sampler_seed

    remaining = trials - finished(study)
    if remaining <= 0:
        return
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")  # Ray Tune's classic reporter: silent at verbose 0
    info = connect()
    space = distributions(spec.space)
    done = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    points = [dict(p) for p in first or []]
    searcher = OptunaSearch(space=space, metric="score", mode="min", points_to_evaluate=points or None,
                            sampler=TPESampler(seed=sampler_seed(spec, study), n_startup_trials=STARTUP_TRIALS,
                                               multivariate=True, constant_liar=True))
    for t in done:  # what the study knows already: TPE starts from it
        searcher.add_evaluated_point(dict(t.params), t.value)
    scheduler = (MedianStoppingRule(time_attr="training_iteration", metric="score", mode="min",
                                    grace_period=PRUNE_WARMUP_EPOCHS, min_samples_required=PRUNE_AFTER_TRIALS)
                 if pruning else FIFOScheduler())
    recorder = _recorder(study, space, spec, verbose)
    trainable = tune.with_resources(tune.with_parameters(_trainable, data=data, spec=spec.to_dict()), {"cpu": 1})
    tuner = tune.Tuner(
        trainable,
        tune_config=tune.TuneConfig(search_alg=searcher, scheduler=scheduler, num_samples=remaining,
                                    max_concurrent_trials=max(1, info["cpus"])),
        run_config=tune.RunConfig(name=f"tune-{out.resolve().name}", storage_path=_storage(out), verbose=0,
                                  callbacks=[recorder]),
    )
    tuner.fit()


def _storage(out: Path) -> str:
    """Where Ray Tune keeps its own trial records: LSTM_FORECAST_RAY_STORAGE (a folder every node can write,
    or a cloud URI, on a multi-node cluster), else <sweep>/ray on this machine."""
    return os.environ.get("LSTM_FORECAST_RAY_STORAGE") or str((out / "ray").resolve())


def _recorder(study, space, spec, verbose: bool = False):
    """A Ray Tune callback (on the driver) that writes each finished trial into the Optuna study."""
    from optuna.trial import TrialState, create_trial
    from ray.tune import Callback

    default_params = {k: spec.defaults[k] for k in spec.space}

    class Recorder(Callback):
        def __init__(self) -> None:
            self.curves: dict[str, dict[int, float]] = {}

        def on_trial_result(self, iteration, trials, trial, result, **info):
            if not result.get("final"):
                self.curves.setdefault(trial.trial_id, {})[int(result["epoch"])] = float(result["score"])

        def on_trial_complete(self, iteration, trials, trial, **info):
            self._record(trial, error=False)

        def on_trial_error(self, iteration, trials, trial, **info):
            self._record(trial, error=True)

        def _record(self, trial, error: bool) -> None:
            last = trial.last_result or {}
            params = {k: trial.config[k] for k in space}
            curve = self.curves.pop(trial.trial_id, {})
            final = bool(last.get("final")) and not error
            state = TrialState.COMPLETE if final else (TrialState.FAIL if error or not curve else TrialState.PRUNED)
            attrs = {"backend": "ray", "epochs_run": int(last.get("epoch", len(curve))) if last else len(curve),
                     "ray_trial": trial.trial_id}
            if final:
                attrs |= {"best_epoch": last.get("best_epoch"), "seconds": round(float(last.get("seconds", 0)), 3),
                          "stopped": last.get("stopped")}
            elif state == TrialState.PRUNED:
                attrs["pruned_at"] = max(curve)
            if all(params.get(k) == v for k, v in default_params.items()):
                attrs["default"] = True
            study.add_trial(create_trial(state=state, value=float(last["score"]) if final else None,
                                         params=params, distributions=space, user_attrs=attrs,
                                         intermediate_values=curve or None))
            if verbose:
                from .sweep import trial_line

                number = len(study.get_trials(deepcopy=False)) - 1
                print(trial_line(number, state.name.lower(), last.get("score") if final else None, params,
                                 attrs["epochs_run"] if final else attrs.get("pruned_at")), flush=True)

    return Recorder()
