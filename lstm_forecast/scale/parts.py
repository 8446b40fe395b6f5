"""One series' stages around a network: `pipeline.series_part` and `pipeline.finish_run` (the two halves
`train_run` itself is made of), and a sweep trial's score on the part's validation origins
(`validation_mase`). A global model trains one network between many parts.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..evaluation import metrics as M
from ..pipeline import SeriesPart, finish_run, series_part  # noqa: F401  (re-exported)


@dataclass
class ValidationTruth:
    """What the validation windows of one series are scored against, in the original units."""

    actual: np.ndarray  # (N, H) the value at each validation target, NaN where not scored
    scale: float  # the MASE denominator: in-sample seasonal-naive MAE on the training part
    scale_note: str = ""  # how it was obtained (metrics.MaseScale.note), with the differences left out


def validation_truth(part: SeriesPart) -> ValidationTruth:
    """Targets of `part.val_w` inside the selecting part of validation and observed (never the holdout, never filled gaps)."""
    prep, config = part.prep, part.config
    at = part.val_w.origins[:, None] + np.arange(1, config.horizon + 1)[None, :]  # (N, H) positions in u
    inside = (at >= prep.train_end) & (at < prep.select_end)
    seen = part.loaded.observed_mask(config.value_col)  # (n,) in y positions
    observed = seen[part.skip:]  # in u positions
    clipped = np.minimum(at, prep.n - 1)
    keep = inside & observed[clipped]
    actual = np.where(keep, prep.y[clipped], np.nan)
    y = part.loaded.frame[config.value_col].to_numpy(dtype=float)
    end = prep.train_end + part.skip
    scale = M.mase_scale(y[:end], config.period, seen[:end])
    return ValidationTruth(actual, scale.value, scale.note)


def validation_mase(truth: ValidationTruth, forecast: np.ndarray) -> float:
    """MAE over the scored validation targets / the training part's seasonal-naive MAE.

    forecast: (N, H) in the original units, rows as `part.val_w`. NaN when nothing is scored.
    """
    keep = ~np.isnan(truth.actual)
    if not keep.any() or not np.isfinite(truth.scale):
        return float("nan")
    error = np.abs(truth.actual[keep] - forecast[keep])
    return float(np.mean(error) / truth.scale) if np.all(np.isfinite(error)) else float("inf")


def panel_validation(parts: list[SeriesPart]):
    """A scorer for a global model: (model, val PanelWindows) -> geometric mean of the series' validation MASE."""
    import torch  # deferred: torch

    from ..train import predict  # deferred: train.py imports torch

    truths = [validation_truth(p) for p in parts]

    def score(model, val_windows) -> float:
        scaled = predict(model, val_windows, torch.device("cpu"))  # (N_all, H)
        logs = []
        for s, part in enumerate(parts):
            rows = val_windows.rows_of(s)
            value = validation_mase(truths[s], part.val_w.values(scaled[rows]))
            if math.isnan(value):  # nothing scored on this series' validation part
                continue
            if math.isinf(value):  # a forecast that is not finite: the whole model is
                return float("inf")
            logs.append(math.log(max(value, 1e-12)))
        return float(np.exp(np.mean(logs))) if logs else float("nan")

    return score
