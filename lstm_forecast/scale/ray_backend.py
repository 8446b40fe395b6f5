"""The same work on Ray: a panel's per-series fits as Ray tasks (a sweep's trials as Ray Tune trials: ray_tune).

Ray is an optional extra (requirements-scale.txt). With RAY_ADDRESS set, `connect` joins that
cluster; without it, it starts a local Ray instance on this machine's cores. The package travels to
the workers with the job (`runtime_env` py_modules), so a cluster's nodes need only the project's
requirements installed, not the project itself (docs/SCALE.md).
"""
from __future__ import annotations

import os
from pathlib import Path

from ..config import Config
from ..errors import UserError
from ..threads import available_cores
from .panel import Panel
from lstm_forecast.config import Config as C
from lstm_forecast.errors import UserError as U

INSTALL = "pip install -r requirements-scale.txt"


def ray_module():
    try:
        import ray
    except ImportError:
        raise UserError(f"--backend ray needs Ray, an optional extra that is not installed; run `{INSTALL}` "
                        "(or use the default backend)") from None
    return ray


def connect(num_cpus: int | None = None) -> dict:
    """Join the cluster at RAY_ADDRESS, or start a local Ray instance; returns its CPU count and address."""
    ray = ray_module()
    package = str(Path(__file__).resolve().parents[1])
    runtime_env = {"py_modules": [package], "env_vars": {"OMP_NUM_THREADS": "1"}}
    if not ray.is_initialized():
        address = os.environ.get("RAY_ADDRESS")
        try:
            if address:
                ray.init(address=address, runtime_env=runtime_env, log_to_driver=False)
            else:
                ray.init(num_cpus=num_cpus or available_cores(), include_dashboard=False, log_to_driver=False,
                         runtime_env=runtime_env, configure_logging=False)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            where = f"the cluster at RAY_ADDRESS={address!r}" if address else "a local Ray instance"
            raise UserError(f"cannot start or join {where} ({str(exc).splitlines()[0][:160]}); check the "
                            "address, or unset RAY_ADDRESS to run locally") from None
    cpus = int(ray.cluster_resources().get("CPU", 1))
    return {"cpus": cpus, "address": os.environ.get("RAY_ADDRESS") or "local"}


def shutdown() -> None:
    ray = ray_module()
    if ray.is_initialized():
        ray.shutdown()


# --- a panel's per-series fits as Ray tasks --------------------------------------------------


def _fit_series(sid: str, loaded, config_dict: dict):
    """One series' ordinary run, on a worker, with one torch thread."""
    import torch  # deferred: torch

    from lstm_forecast.pipeline import train_run  # deferred: pipeline.py imports statsmodels

    torch.set_num_threads(1)
    try:
        return sid, train_run(loaded, C.from_dict(config_dict), threads=1), None
    except U as exc:
        return sid, None, str(exc)


def train_series_on_ray(panel: Panel, config: Config, on_series=None) -> tuple[dict, dict]:
    """Every series of the panel as one Ray task (1 CPU each); runs in the panel's order, and the problems."""
    ray = ray_module()
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
