import json

import numpy as np
import pytest
import torch

from lstm_forecast.config import Config
from lstm_forecast.errors import UserError
from lstm_forecast.pipeline import apply_run, train_run
from lstm_forecast.runs import FILES, list_runs, load_run, save_run
from tests.factories import sine_series


@pytest.fixture(scope="module")
def run():
    return train_run(sine_series(n=300), Config(hidden=8, epochs=3, bidirectional=True, layers=2))


def test_round_trip_rebuilds_the_same_model(run, tmp_path):
    folder = save_run(run, tmp_path / "r1")
    assert all((folder / name).exists() for name in FILES)
    back = load_run(folder)
    assert back.config == run.config and back.transform == run.transform
    for (k, a), (_, b) in zip(run.model.state_dict().items(), back.model.state_dict().items()):
        assert torch.equal(a, b), k
    assert back.metrics == json.loads(json.dumps(run.metrics))
    data = sine_series(n=200, seed=5)
    f1, _ = apply_run(run, data)
    f2, _ = apply_run(back, data)
    np.testing.assert_array_equal(f1["forecast"].to_numpy(), f2["forecast"].to_numpy())
    assert list(back.forecast.columns) == ["timestamp", "actual", "forecast"]


def test_model_file_is_a_plain_state_dict(run, tmp_path):
    folder = save_run(run, tmp_path / "r2")
    state = torch.load(folder / "model.pt", weights_only=True)
    assert isinstance(state, dict) and all(isinstance(v, torch.Tensor) for v in state.values())


def test_no_temp_files_are_left_behind(run, tmp_path):
    folder = save_run(run, tmp_path / "r3")
    assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_incomplete_folder_is_a_user_error(run, tmp_path):
    folder = save_run(run, tmp_path / "r4")
    (folder / "model.pt").unlink()
    with pytest.raises(UserError, match="missing model.pt"):
        load_run(folder)
    assert list_runs(tmp_path) == [tmp_path / "r1", tmp_path / "r2", tmp_path / "r3"][::-1] or \
        folder not in list_runs(tmp_path)


@pytest.mark.parametrize("breakage", ["no info", "bad transform", "garbage json"])
def test_a_broken_folder_is_one_user_error(run, tmp_path, breakage):
    folder = save_run(run, tmp_path / breakage.replace(" ", "_"))
    meta = json.loads((folder / "config.json").read_text())
    if breakage == "no info":
        del meta["info"]
    elif breakage == "bad transform":
        meta["transform"]["unknown"] = 1
    text = json.dumps(meta) if breakage != "garbage json" else "{not json"
    (folder / "config.json").write_text(text)
    with pytest.raises(UserError, match="cannot be read") as err:
        load_run(folder)
    assert "\n" not in str(err.value)


def test_non_finite_metrics_are_written_as_null(run, tmp_path):
    import copy

    odd = copy.copy(run)
    odd.metrics = {**run.metrics, "model": {**run.metrics["model"], "mase": float("nan")}}
    folder = save_run(odd, tmp_path / "nan")
    text = (folder / "metrics.json").read_text()
    assert "NaN" not in text and json.loads(text)["model"]["mase"] is None
