"""The Ray backend on a local Ray instance with 2 CPUs: a tiny sweep and a tiny panel, shaped (and valued)
like the default backend's. Needs the optional extra: pip install -r requirements-scale.txt."""
from __future__ import annotations

import pandas as pd
import pytest

ray = pytest.importorskip("ray", reason="Ray is the optional extra: pip install -r requirements-scale.txt")
pytest.importorskip("optuna", reason="pip install -r requirements.txt")

from lstm_forecast.config import Config  # noqa: E402
from lstm_forecast.scale import ray_backend  # noqa: E402
from lstm_forecast.scale.panels import train_panel  # noqa: E402
from lstm_forecast.scale.sweep import run_sweep  # noqa: E402
from tests.factories import sine_series  # noqa: E402
from tests.scale.factories import small_panel  # noqa: E402

BASE = dict(epochs=3, patience=3, epoch_windows=256, base="seasonal_naive")


@pytest.fixture(scope="module")
def local_ray(monkeypatch_module):
    monkeypatch_module.delenv("RAY_ADDRESS", raising=False)  # a local instance, never a cluster from the env
    info = ray_backend.connect(num_cpus=2)
    yield info
    ray_backend.shutdown()


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


def test_connect_starts_a_local_instance_with_two_cpus(local_ray):
    assert local_ray == {"cpus": 2, "address": "local"}


def test_a_sweep_on_ray_has_the_optuna_backends_shape(local_ray, tmp_path):
    data = sine_series(n=300)
    on_ray = run_sweep(data, Config(**BASE), tmp_path / "ray", 2, backend="ray", cells=("lstm", "gru"), retrain=False)
    local = run_sweep(data, Config(**BASE), tmp_path / "optuna", 2, backend="optuna", cells=("lstm", "gru"),
                      retrain=False)
    assert set(on_ray) == set(local) and on_ray["backend"] == "ray"
    a, b = (pd.read_csv(tmp_path / name / "trials.csv") for name in ("ray", "optuna"))
    assert list(a.columns) == list(b.columns) and list(a.dtypes) == list(b.dtypes)
    assert len(a) == len(b) == 2 and set(a["state"]) <= {"complete", "pruned"} and set(a["backend"]) == {"ray"}
    # trial 0 is the default settings on both: same config, seed and thread, so the same score
    default_ray, default_local = a[a["default"]].iloc[0], b[b["default"]].iloc[0]
    assert default_ray["score"] == pytest.approx(default_local["score"], rel=1e-9)
    assert on_ray["default"]["params"] == local["default"]["params"]
    curves = pd.read_csv(tmp_path / "ray" / "curves.csv")
    assert set(curves["trial"]) == set(a["number"])  # per-epoch scores reached the study from the workers


def test_a_panels_per_series_fits_on_ray_match_one_process(local_ray):
    panel = small_panel(k=2, n=240)
    on_ray = train_panel(panel, Config(**BASE), mode="per-series", backend="ray")
    local = train_panel(panel, Config(**BASE), mode="per-series", backend="local")
    assert list(on_ray.runs) == list(local.runs) == panel.ids
    pd.testing.assert_frame_equal(on_ray.scores().drop(columns=["run_id"]), local.scores().drop(columns=["run_id"]))
