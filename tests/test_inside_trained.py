"""Look inside a run whose forecast kept the untrained network: the pictures show the best trained epoch's
recurrent layers (saved as trained.pt), not the initial weights, and say the forecast does not use them."""
import copy
import hashlib
import json
import itertools

import pytest
import streamlit as st
import torch

import lstm_forecast.train as train_module
from lstm_forecast.config import Config
from lstm_forecast.errors import UserError
from lstm_forecast.pipeline import train_run
from lstm_forecast.runs import MANIFEST, load_run, save_run
from tests.factories import app_over_saved_run, inside_over_sine, sine_series

# Validation losses the fit sees: epoch 0 (untrained) is best, epoch 2 the best after it
VAL_LOSSES = [1.0, 2.0, 1.5, 3.0, 4.0]


@pytest.fixture(scope="module")
def unkept():
    losses = itertools.chain(VAL_LOSSES, itertools.repeat(9.0))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(train_module, "evaluate_loss", lambda *a, **k: next(losses))
        return train_run(sine_series(n=300), Config(hidden=4, epochs=4, patience=10, threads=1, lr=0.05))


def test_the_best_trained_epoch_is_kept_for_look_inside_when_the_forecast_uses_epoch_0(unkept):
    assert unkept.info["best_epoch"] == 0 and unkept.metrics["network_kept"] is False
    assert unkept.info["inside_epoch"] == 2  # the lowest validation loss after epoch 0
    untrained, trained = unkept.model.rnn.state_dict(), unkept.inside_rnn().state_dict()
    assert set(trained) == set(untrained)
    assert max(float((trained[k] - untrained[k]).abs().max()) for k in trained) > 1e-3  # training moved them
    assert unkept.inside_rnn() is not unkept.model.rnn  # the forecast's own network is untouched


def test_a_kept_network_is_looked_inside_as_it_is(tmp_path, monkeypatch):
    losses = iter([1.0, 0.5, 0.4, 0.45])
    monkeypatch.setattr(train_module, "evaluate_loss", lambda *a, **k: next(losses))
    run = train_run(sine_series(n=300), Config(hidden=4, epochs=3, threads=1))
    assert run.info["best_epoch"] == 2 and run.metrics["network_kept"] is True
    assert run.inside_state is None and run.inside_rnn() is run.model.rnn and "inside_epoch" not in run.info
    folder = save_run(copy.deepcopy(run), tmp_path / "k")
    assert not (folder / "trained.pt").exists() and load_run(folder).inside_state is None


def test_trained_pt_round_trips_and_a_forged_one_is_refused(unkept, tmp_path):
    folder = save_run(copy.deepcopy(unkept), tmp_path / "runs" / "u")
    manifest = json.loads((folder / MANIFEST).read_text())
    assert "trained.pt" in manifest["files"]
    back = load_run(folder)
    for key, value in unkept.inside_state.items():
        assert torch.equal(back.inside_state[key], value)
    assert back.info["inside_epoch"] == 2
    bad = {k: torch.zeros(3) for k in unkept.inside_state}  # wrong shapes
    torch.save(bad, folder / "trained.pt")
    data = (folder / "trained.pt").read_bytes()
    manifest["files"]["trained.pt"] = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    (folder / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(UserError, match="trained.pt does not match config.json"):
        load_run(folder)


def test_look_inside_says_it_draws_the_trained_epoch_the_forecast_does_not_use(unkept, tmp_path, monkeypatch):
    at = app_over_saved_run(unkept, tmp_path, monkeypatch, inside_over_sine)
    text = " ".join(w.value.replace("\\", "") for w in at.warning)
    assert "its best trained epoch (2), which the forecast does not use" in text
    st.cache_data.clear()
