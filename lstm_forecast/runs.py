"""Runs on disk: one folder each, atomic writes, state_dict loaded with weights_only=True."""
from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path

import pandas as pd

from .config import Config
from .errors import UserError
from .pipeline import Run
from .prepare import Transform

FILES = ("config.json", "metrics.json", "forecast.csv", "history.csv", "model.pt")
DEFAULT_RUNS_DIR = Path(os.environ.get("LSTM_FORECAST_RUNS", "runs"))


def _atomic_write(path: Path, write) -> None:
    """Write through a temporary file in the same folder, then rename over the target."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _write_text(path: Path, text: str) -> None:
    _atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def _write_csv(path: Path, frame: pd.DataFrame) -> None:
    _atomic_write(path, lambda tmp: frame.to_csv(tmp, index=False))


def _finite(value):
    """NaN/inf (e.g. MASE of a constant history) become null: strict JSON parsers reject NaN."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def save_run(run: Run, folder: Path | str) -> Path:
    """Write the run's folder; the model last, so a folder with model.pt is complete."""
    import torch

    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot create the run folder {str(folder)!r} ({exc.strerror}); choose another --out") from None
    meta = {"config": run.config.to_dict(), "transform": run.transform.to_dict(),
            "feature_names": run.feature_names, "info": run.info}
    _write_text(folder / "config.json", json.dumps(meta, indent=2, default=str))
    _write_text(folder / "metrics.json", json.dumps(_finite(run.metrics), indent=2, allow_nan=False))
    _write_csv(folder / "forecast.csv", run.forecast)
    _write_csv(folder / "baselines.csv", run.baselines)
    _write_csv(folder / "history.csv", run.history)
    _atomic_write(folder / "model.pt", lambda tmp: torch.save(run.model.state_dict(), tmp))
    run.path = folder
    return folder


def load_run(folder: Path | str) -> Run:
    """Rebuild a run from its folder: the model from config.json, weights with weights_only=True."""
    import torch

    from .model import Forecaster

    folder = Path(folder)
    missing = [name for name in FILES if not (folder / name).exists()]
    if missing:
        raise UserError(f"{str(folder)!r} is not a complete run folder (missing {', '.join(missing)}); "
                        "point --run at a folder written by `train`")
    try:
        meta = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        config = Config.from_dict(meta["config"])
        model = Forecaster(len(meta["feature_names"]), config)
        model.load_state_dict(torch.load(folder / "model.pt", map_location="cpu", weights_only=True))
        model.eval()
        dated = bool(meta["info"].get("freq"))
        forecast = pd.read_csv(folder / "forecast.csv", parse_dates=["timestamp"] if dated else False)
        baselines_path = folder / "baselines.csv"
        baselines = pd.read_csv(baselines_path) if baselines_path.exists() else pd.DataFrame()
        if "timestamp" in baselines and dated:
            baselines["timestamp"] = pd.to_datetime(baselines["timestamp"])
        return Run(
            config=config,
            transform=Transform(**meta["transform"]),
            feature_names=meta["feature_names"],
            model=model,
            history=pd.read_csv(folder / "history.csv"),
            forecast=forecast,
            baselines=baselines,
            metrics=json.loads((folder / "metrics.json").read_text(encoding="utf-8")),
            info=meta["info"],
            path=folder,
        )
    except (ValueError, KeyError, TypeError, RuntimeError, OSError, pd.errors.ParserError) as exc:
        reason = (str(exc).splitlines() or [""])[0][:160]
        raise UserError(f"the run in {str(folder)!r} cannot be read ({type(exc).__name__}: {reason}); "
                        "retrain it or remove the folder") from None


def list_runs(runs_dir: Path | str = DEFAULT_RUNS_DIR) -> list[Path]:
    """Complete run folders under `runs_dir`, newest first."""
    root = Path(runs_dir)
    if not root.is_dir():
        return []
    found = [p for p in root.iterdir() if p.is_dir() and all((p / f).exists() for f in FILES)]
    return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)
