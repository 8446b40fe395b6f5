"""A sweep's trials as Ray Tune trials.

Sweeps use Ray Tune with Optuna's TPE as the search algorithm (OptunaSearch) and Ray's median
stopping rule in the role of Optuna's median pruner. The driver writes every finished trial into the
sweep's study.db as it finishes, so the SQLite study stays the one record: the dashboard reads Ray and
Optuna sweeps alike, and a Ray sweep resumes from it (with either backend).
"""
from __future__ import annotations

import math
import os
from pathlib import Path

from .ray_backend import connect, ray_module
from .search_space import distributions
from .study import PRUNE_AFTER_TRIALS, PRUNE_WARMUP_EPOCHS, STARTUP_TRIALS, finished, sampler_seed, trial_line
from lstm_forecast.config import Config as C
from lstm_forecast.scale.search_space import trial_config


# --- a sweep as Ray Tune trials --------------------------------------------------------------


def _trainable(params: dict, data=None, spec: dict | None = None):
    """One Ray Tune trial: the sweep's own trial, reporting its validation score after every epoch."""
    import torch  # deferred: torch
    from ray import tune  # deferred: ray

    from lstm_forecast.scale.trial import train_trial  # deferred: scale/trial.py imports statsmodels

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
    ray_module()
    from optuna.samplers import TPESampler  # deferred: optuna
    from optuna.trial import TrialState  # deferred: optuna
    from ray import tune  # deferred: ray
    from ray.tune.schedulers import FIFOScheduler, MedianStoppingRule  # deferred: ray
    from ray.tune.search.optuna import OptunaSearch  # deferred: ray

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
    from optuna.trial import TrialState, create_trial  # deferred: optuna
    from ray.tune import Callback  # deferred: ray

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
                number = len(study.get_trials(deepcopy=False)) - 1
                print(trial_line(number, state.name.lower(), last.get("score") if final else None, params,
                                 attrs["epochs_run"] if final else attrs.get("pruned_at")), flush=True)

    return Recorder()
