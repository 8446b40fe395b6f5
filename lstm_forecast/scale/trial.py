"""One sweep trial: train with a config, score the network on validation origins after every epoch.

The score is the validation MASE: the mean absolute error of the forecasts made at the validation
origins, over the targets inside the validation part, divided by the training part's in-sample
seasonal-naive error. The holdout is never read. For a panel it is the geometric mean of the
series' validation MASEs of one global model. `report(score, epoch)` sees it after each epoch (the
pruner's input) and may raise to stop the trial.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable


from ..config import Config
from ..errors import UserError
from ..network import NetworkForecaster, cross_split
from .panel import Panel
from .panels import train_panel
from .parts import SeriesPart, finish_run, series_part, validation_mase, validation_truth

Report = Callable[[float, int], None]


@dataclass
class TrialResult:
    score: float  # validation MASE (geometric mean over series for a panel) of the kept weights
    best_epoch: int
    epochs_run: int
    stopped: str
    seconds: float
    result: object | None = None  # the Run (or PanelRun) when asked to finish


def series_score(part: SeriesPart, model, truth=None) -> float:
    """Validation MASE of `model` on one series' validation origins (forecast on the network's contract)."""
    truth = truth or validation_truth(part)
    y = part.loaded.frame[part.config.value_col].to_numpy(dtype=float)
    network = NetworkForecaster.trained(part.prep, part.config, model)
    values = network.forecast_from(y, part.val_w.origins + part.skip, part.config.horizon)  # (N, H) original units
    return validation_mase(truth, values)


def train_trial(data, config: Config, report: Report | None = None, *, finish: bool = False,
                threads: int | None = 1) -> TrialResult:
    """Train one trial on a LoadedSeries (one Forecaster) or a Panel (one global model)."""
    if isinstance(data, Panel):
        return _panel_trial(data, config, report, finish, threads)
    return _series_trial(data, config, report, finish, threads)


def _series_trial(loaded, config: Config, report: Report | None, finish: bool, threads) -> TrialResult:
    import torch  # deferred: torch

    from ..model import Forecaster  # deferred: model.py imports torch
    from ..train import fit  # deferred: train.py imports torch

    start = time.perf_counter()
    part = series_part(loaded, config)
    truth = validation_truth(part)
    torch.manual_seed(part.config.seed)
    model = Forecaster(len(part.prep.feature_names), part.config)

    def each_epoch(p):
        if p.end_of_epoch and report is not None:
            report(series_score(part, model, truth), p.epoch)

    result = fit(model, part.train_w, part.val_w, part.config, torch.device("cpu"), each_epoch, threads=threads,
                 cross_split=cross_split(part.prep, part.config))  # calibrated as train_run calibrates
    model.cpu()
    score = series_score(part, model, truth)
    run = finish_run(part, model, result, "cpu") if finish else None
    if run is not None:
        run.info["validation_mase"] = score
    return TrialResult(score, result.best_epoch, int(len(result.history)), result.stopped,
                       time.perf_counter() - start, run)


def _panel_trial(panel: Panel, config: Config, report: Report | None, finish: bool, threads) -> TrialResult:
    start = time.perf_counter()
    each_epoch = None if report is None else (lambda score, p: report(score, p.epoch))
    panel_run = train_panel(panel, config, mode="global", threads=threads, epoch_callback=each_epoch,
                            finish=finish)
    g = panel_run.info["global"]
    if not math.isfinite(g.get("validation_score", math.nan)):
        raise UserError("the global model's validation score is not finite; lower the learning rate")
    return TrialResult(g["validation_score"], g["best_epoch"], g["epochs_run"], g["stopped"],
                       time.perf_counter() - start, panel_run if finish else None)
