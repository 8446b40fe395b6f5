"""What every sweep backend shares about the Optuna study: the import (with the fix when it is missing), the
sampler's start-up and the pruner's rule, the sampler seed of a worker, and the count of finished trials. Below
both `sweep` (local and process workers) and `ray_tune` (Ray Tune), which use it alike."""
from __future__ import annotations

from ..errors import UserError

STARTUP_TRIALS = 6  # random trials before TPE models the good ones
PRUNE_AFTER_TRIALS = 4  # the median pruner compares a trial with this many finished ones at least
PRUNE_WARMUP_EPOCHS = 4  # and never stops a trial before this epoch


def optuna_module():
    """optuna, quiet; a UserError saying how to install it when it is missing."""
    try:
        import optuna  # heavy (0.5 s) and only for sweeps: imported when a sweep starts
    except ImportError:
        raise UserError("sweeps need Optuna: pip install -r requirements.txt (it lists optuna)") from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


def sampler_seed(spec, study, worker: int = 0) -> int:
    """The TPE seed of `worker` now: the sweep's seed moved on by the trials so far (a resume samples anew)."""
    return (spec.seed + len(study.get_trials(deepcopy=False)) + 100_003 * worker) % 2**32


def finished(study) -> int:
    """Trials that count towards --trials: complete or pruned."""
    from optuna.trial import TrialState  # deferred: optuna

    return len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED)))


def trial_line(number: int, state: str, score: float | None, params: dict, epochs) -> str:
    """'trial 3 complete: validation MASE 0.5123 after 14 epochs (gru, lookback 96, ...)'."""
    what = ", ".join(f"{k} {v:.3g}" if isinstance(v, float) else (str(v) if k == "cell" else f"{k} {v}")
                     for k, v in params.items())
    if state == "complete":
        return f"trial {number} complete: validation MASE {score:.4f} after {epochs} epochs ({what})"
    if state == "pruned":
        return f"trial {number} pruned at epoch {epochs}: worse than the median of earlier trials ({what})"
    return f"trial {number} {state} ({what})"
