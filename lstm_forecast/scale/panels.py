"""Train a panel, one global model or one model per series, and score every series against its own baselines.

Every series of a panel gets the same horizon and lookback (so one network can read them all, and
the two modes score the same holdout), and its own season, split, transform and baselines. Each
series ends as an ordinary `Run`: in global mode its model is the global network folded for it
(`global_model.fold`), so forecasts, intervals, traces and the dashboard work per series unchanged.
"""
from __future__ import annotations

import copy
import math
import os
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from ..config import Config
from ..errors import UserError
from ..evaluation.leaderboard import verdict
from ..pipeline import train_run
from ..prepare import resolve
from ..runs import Run, new_run_id
from .panel import Panel
from .parts import finish_run, panel_validation, series_part
from .ray_backend import train_series_on_ray

MODES = ("global", "per-series")
GLOBAL_EPOCH_WINDOWS = 8192  # windows per epoch of a global model: more series, more to learn from per epoch
DEFAULT_PANELS_DIR = Path(os.environ.get("LSTM_FORECAST_PANELS", "panels"))

SeriesCallback = Callable[[str, int, int], None]  # (series id, done, total) after each per-series fit


@dataclass
class PanelRun:
    """Every series' run, the series left out and why, and what was trained how."""

    runs: dict[str, Run]  # id -> ordinary run (model, forecast, metrics, info)
    problems: dict[str, str]  # id -> why this series has no run
    info: dict  # panel_id, mode, embedding, config, seconds, backend, source, notes...
    model: object | None = None  # the GlobalForecaster in global mode
    path: Path | None = None
    feature_names: list[str] = field(default_factory=list)  # the global model's inputs

    @property
    def panel_id(self) -> str:
        return self.info.get("panel_id", "")

    def scores(self) -> pd.DataFrame:
        return panel_scores(self.runs)

    def scoreboard(self) -> dict:
        return scoreboard(self.scores(), self.problems)


def shared_config(panel: Panel, config: Config) -> Config:
    """The config every series shares: the horizon and lookback given, else the median of what each series'
    data would choose (lookback at least twice the horizon). Season, validation size stay per series."""
    if config.horizon and config.lookback:
        return config
    chosen = []
    for loaded in panel.series.values():
        try:
            chosen.append(resolve(config, loaded)[0])
        except UserError:
            continue  # the series is reported when it is trained
    if not chosen:
        raise UserError("no series of the panel is long enough to train; use longer series or set --horizon "
                        "and --lookback")
    horizon = config.horizon or int(np.median([c.horizon for c in chosen]))
    lookback = config.lookback or max(int(np.median([c.lookback for c in chosen])), 2 * horizon)
    return Config.from_dict({**config.to_dict(), "horizon": horizon, "lookback": lookback})


def train_panel(panel: Panel, config: Config, *, mode: str = "global", embedding: int = 0, backend: str = "local",
                threads: int | None = 1, callback=None, on_series: SeriesCallback | None = None,
                epoch_callback=None, finish: bool = True) -> PanelRun:
    """Train `panel` as one global model or one model per series; bad series are reported, not fatal.

    backend "ray" runs the per-series fits as Ray tasks (see ray_backend). callback: the global fit's
    progress (train.Progress); on_series: after each per-series fit. epoch_callback(score, progress):
    the global model's validation score (trial.panel_validation) after each epoch, for sweeps.
    finish False: a global model is only trained and scored on validation (no per-series runs).
    """
    if mode not in MODES:
        raise UserError(f"panel mode {mode!r} must be one of {', '.join(MODES)}")
    if backend not in ("local", "ray"):
        raise UserError(f"backend {backend!r} must be local or ray")
    if embedding and mode != "global":
        raise UserError(f"an embedding ({embedding}) belongs to a global model; drop --embedding or use --mode global")
    if not isinstance(embedding, int) or embedding < 0:
        raise UserError(f"embedding ({embedding!r}) must be a whole number >= 0 (0: none)")
    start = time.perf_counter()
    shared = shared_config(panel, config)
    if mode == "global":
        if backend == "ray":
            raise UserError("one global model trains in one process; --backend ray runs per-series fits and "
                            "sweeps: use --mode per-series, or drop --backend ray")
        runs, problems, model, names, extra = _train_global(panel, shared, embedding, threads, callback,
                                                            epoch_callback, finish)
    else:
        if backend == "ray":
            runs, problems = train_series_on_ray(panel, shared, on_series=on_series)
        else:
            runs, problems = _train_each(panel, shared, threads, on_series)
        model, names, extra = None, [], {}
    problems = {**panel.problems, **problems}
    if not runs and (finish or model is None):
        why = "; ".join(f"{k}: {v}" for k, v in list(problems.items())[:3])
        raise UserError(f"no series of the panel could be trained ({why}); check the series' lengths against "
                        f"horizon {shared.horizon} and lookback {shared.lookback}")
    created = datetime.now(timezone.utc)
    info = {
        "panel_id": new_run_id(f"panel-{mode}", panel.source, created),
        "created": created.isoformat(timespec="seconds"),
        "mode": mode,
        "embedding": embedding,
        "backend": backend,
        "source": panel.source,
        "panel_key": panel.key(),
        "id_col": panel.id_col,
        "config": shared.to_dict(),
        "n_series": len(panel.series) + len(panel.problems),
        "n_trained": len(runs),
        "notes": list(panel.notes),
        "seconds": round(time.perf_counter() - start, 3),
        **extra,
    }
    for sid, run in runs.items():
        run.info["panel"] = {"panel_id": info["panel_id"], "series": sid, "mode": mode}
        if mode == "global":
            run.info["label"] = f"global {run.info['label']}"
    return PanelRun(runs, problems, info, model, None, names)


def _train_each(panel: Panel, config: Config, threads: int | None,
                on_series: SeriesCallback | None) -> tuple[dict[str, Run], dict[str, str]]:
    runs, problems = {}, {}
    for i, (sid, loaded) in enumerate(panel.series.items()):
        try:
            runs[sid] = train_run(loaded, config, threads=threads)
        except UserError as exc:
            problems[sid] = str(exc)
        if on_series is not None:
            on_series(sid, i + 1, len(panel.series))
    return runs, problems


def prepare_parts(panel: Panel, config: Config) -> tuple[dict, dict[str, str]]:
    """Each series' `SeriesPart` with the shared config; those that cannot be trained, with the reason."""
    parts, problems = {}, {}
    for sid, loaded in panel.series.items():
        try:
            parts[sid] = series_part(loaded, config)
        except UserError as exc:
            problems[sid] = str(exc)
    covariates = set(config.covariates)
    for sid, part in list(parts.items()):
        lacking = covariates - set(part.prep.feature_names)
        if lacking:
            problems[sid] = f"lacks the covariate(s) {sorted(lacking)} the other series feed the global model"
            del parts[sid]
    return parts, problems


def global_fit_config(config: Config, n_series: int) -> Config:
    """The fit settings of a global model: more windows per epoch than one series needs."""
    per_epoch = config.epoch_windows
    if per_epoch is not None and per_epoch == Config().epoch_windows:  # the default: scale with the panel
        per_epoch = min(GLOBAL_EPOCH_WINDOWS, per_epoch * max(1, n_series))
    return Config.from_dict({**config.to_dict(), "epoch_windows": per_epoch})


def _train_global(panel: Panel, config: Config, embedding: int, threads: int | None, callback, epoch_callback,
                  finish: bool = True):
    import torch  # deferred: torch

    from ..train import fit  # deferred: train.py imports torch
    # deferred: scale/global_model.py imports torch
    from .global_model import GlobalForecaster, PanelWindows, feature_names, fold

    t0 = time.perf_counter()
    parts, problems = prepare_parts(panel, config)
    if not parts:
        return {}, problems, None, [], {}
    ids = list(parts)
    plist = [parts[i] for i in ids]
    names = feature_names([p.prep.feature_names for p in plist])
    train_w, val_w = PanelWindows(plist, "train_w", names), PanelWindows(plist, "val_w", names)
    score = panel_validation(plist)
    prepare_s = time.perf_counter() - t0
    fit_config = global_fit_config(plist[0].config, len(plist))
    torch.manual_seed(fit_config.seed)
    model = GlobalForecaster(len(names), len(plist), fit_config, embedding)
    def each(p):
        if p.end_of_epoch and epoch_callback is not None:
            epoch_callback(score(model, val_w), p)
        return None if callback is None else callback(p)

    result = fit(model, train_w, val_w, fit_config, torch.device("cpu"), each, threads=threads)
    model.cpu().eval()
    runs = {}
    trained = None
    if result.trained_state is not None:  # no epoch beat the untrained network: Look inside shows the best trained one
        trained = copy.deepcopy(model)
        trained.load_state_dict(result.trained_state)
    for s, sid in enumerate(ids if finish else []):
        part = parts[sid]
        net = fold(model, s, names, part.prep.feature_names, part.config)
        own = result
        if trained is not None:  # that epoch's weights as this series sees them (folded like the model's)
            folded = fold(trained, s, names, part.prep.feature_names, part.config)
            own = replace(result, trained_rnn=folded.rnn.state_dict())
        try:
            runs[sid] = finish_run(part, net, own, "cpu", {"n_train_windows_panel": len(train_w)})
        except UserError as exc:
            problems[sid] = str(exc)
    extra = {"global": {"inputs": names, "n_train_windows": len(train_w), "n_val_windows": len(val_w),
                        "best_epoch": result.best_epoch, "epochs_run": int(len(result.history)),
                        "stopped": result.stopped, "train_seconds": round(result.seconds, 3),
                        "prepare_seconds": round(prepare_s, 3), "epoch_windows": fit_config.epoch_windows,
                        "threads": result.threads, "validation_score": score(model, val_w)},
             "history": result.history.to_dict(orient="list")}
    return runs, problems, model, names, extra


# --- scoring ---------------------------------------------------------------------------------


def panel_scores(runs: dict[str, Run]) -> pd.DataFrame:
    """One row per series: its model's and baselines' holdout MASE, relative MASE against seasonal naive."""
    rows = []
    for sid, run in runs.items():
        m = run.metrics
        model, base = m["model"], m["baselines"]
        snaive = base.get("seasonal_naive", {}).get("mase", math.nan)
        best_name = min(base, key=lambda k: _finite_or_inf(base[k].get("mase")))
        mase = _num(model.get("mase"))
        rel = mase / snaive if _num(snaive) > 0 else math.nan
        rows.append({
            "id": sid, "points": run.info.get("n_points"), "freq": run.info.get("freq") or "steps",
            "period": run.config.period, "horizon": run.config.horizon,
            "mase": mase, "seasonal_naive_mase": _num(snaive), "relative_mase": rel,
            "verdict": verdict(mase, _num(snaive)), "best_baseline": best_name,
            "best_baseline_mase": _num(base[best_name].get("mase")),
            "smape": _num(model.get("smape")), "coverage_80": _num(model.get("coverage_80")),
            "run_id": run.run_id,
        })
    return pd.DataFrame(rows)


def scoreboard(scores: pd.DataFrame, problems: dict[str, str] | None = None) -> dict:
    """Geometric-mean relative MASE, the share of series beating seasonal naive, the worst series.

    A series beats seasonal naive when its MASE is more than 2% lower (leaderboard.TIE_TOLERANCE);
    series with no finite relative MASE (a perfect seasonal naive, a constant history) are counted
    apart, never averaged in.
    """
    rel = scores["relative_mase"].to_numpy(dtype=float) if len(scores) else np.array([])
    ok = np.isfinite(rel) & (rel > 0)
    worst = scores.loc[scores.index[ok]].sort_values("relative_mase").iloc[-1] if ok.any() else None
    best = scores.loc[scores.index[ok]].sort_values("relative_mase").iloc[0] if ok.any() else None
    return {
        "n_scored": int(ok.sum()),
        "n_unscorable": int((~ok).sum()),
        "n_left_out": len(problems or {}),
        "geomean_relative_mase": float(np.exp(np.mean(np.log(rel[ok])))) if ok.any() else math.nan,
        "share_beating_seasonal_naive": float(np.mean(scores["verdict"].to_numpy() == "beats")) if len(scores) else math.nan,
        "share_tying_seasonal_naive": float(np.mean(scores["verdict"].to_numpy() == "ties")) if len(scores) else math.nan,
        "mean_mase": float(np.nanmean(scores["mase"])) if len(scores) else math.nan,
        "worst": None if worst is None else {"id": worst["id"], "relative_mase": float(worst["relative_mase"]),
                                             "mase": float(worst["mase"])},
        "best": None if best is None else {"id": best["id"], "relative_mase": float(best["relative_mase"]),
                                           "mase": float(best["mase"])},
    }


def _num(value) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return math.nan
    return out


def _finite_or_inf(value) -> float:
    out = _num(value)
    return out if math.isfinite(out) else math.inf
