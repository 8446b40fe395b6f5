"""The global model: windows of every series in per-window units that map back exactly, and a network that
folds into one ordinary Forecaster per series."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from lstm_forecast.config import CELLS, Config
from lstm_forecast.data.samples import make_synthetic
from lstm_forecast.pipeline import apply_run, train_run
from lstm_forecast.scale.global_model import GlobalForecaster, PanelWindows, feature_names, fold
from lstm_forecast.scale.panel import panel_from_series
from lstm_forecast.scale.panels import prepare_parts, shared_config, train_panel
from lstm_forecast.scale.store import load_panel_run, save_panel
from lstm_forecast.train import predict
from tests.scale.factories import small_panel

TINY = dict(hidden=8, epochs=2, patience=2, epoch_windows=256, base="seasonal_naive")


def _parts(panel, **config):
    config = {"base": "seasonal_naive", **config}  # no Holt-Winters fits: these tests are about windows
    parts, problems = prepare_parts(panel, shared_config(panel, Config(**config)))
    assert not problems
    plist = list(parts.values())
    return plist, feature_names([p.prep.feature_names for p in plist])


@pytest.mark.parametrize("window_scale", [True, False])
def test_per_window_normalisation_round_trips_across_scales(window_scale):
    """Levels 0.1 and 100,000 reach the network in comparable units, and map back to the exact values."""
    plist, names = _parts(small_panel(levels=(0.1, 10.0, 1e5)), window_scale=window_scale)
    for which in ("train_w", "val_w"):
        panel_windows = PanelWindows(plist, which, names)
        spreads = []
        for s, part in enumerate(plist):
            rows = panel_windows.rows_of(s)
            Y = panel_windows.Y[rows].numpy()  # (N_s, H) scaled targets, NaN where masked
            values = getattr(part, which).values(Y)  # back to the series' own units
            windows = getattr(part, which)
            at = windows.origins[:, None] + np.arange(1, part.config.horizon + 1)[None, :]
            truth = part.prep.y[np.minimum(at, part.prep.n - 1)]
            known = ~np.isnan(Y)
            assert known.sum() > 0
            np.testing.assert_allclose(values[known], truth[known], rtol=2e-5)
            X = panel_windows.inputs(rows[:64]).numpy()
            spreads.append(np.std(X[:, :, :2]))  # level_gap and change
            assert np.all(np.isfinite(X))
        assert max(spreads) / min(spreads) < 5  # raw levels differ by a factor of 1,000,000


def test_panel_windows_gather_what_each_series_windows_give():
    panel = small_panel(k=2)
    flat = make_synthetic(300, freq=None, periods=(), amplitudes=(), trend=0.05, noise=1.0, level=5.0, seed=7)
    panel = panel_from_series({**panel.series, "steps": flat})  # no season: no phase inputs
    plist, names = _parts(panel, window_scale=True)
    assert plist[2].prep.feature_names == ["level_gap", "change"] and len(names) == 4
    panel_windows = PanelWindows(plist, "train_w", names)
    for s, part in enumerate(plist):
        rows = panel_windows.rows_of(s)
        X = panel_windows.inputs(rows).numpy()
        own = part.train_w.inputs(np.arange(len(part.train_w))).numpy()
        columns = [names.index(n) for n in part.prep.feature_names]
        np.testing.assert_array_equal(X[:, :, columns], own)
        missing = [i for i in range(len(names)) if i not in columns]
        assert np.all(X[:, :, missing] == 0) and np.all(X[:, :, -1] == s)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_the_global_model_folds_into_one_forecaster_per_series(cell, bidirectional):
    flat = make_synthetic(300, freq=None, periods=(), amplitudes=(), trend=0.05, noise=1.0, level=5.0, seed=7)
    panel = panel_from_series({**small_panel(k=2).series, "steps": flat})
    plist, names = _parts(panel, cell=cell, hidden=6, layers=2, bidirectional=bidirectional)
    torch.manual_seed(0)
    model = GlobalForecaster(len(names), len(plist), plist[0].config, embedding=3).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0, 0.3)  # weights far from their initial values, embedding included
    val = PanelWindows(plist, "val_w", names)
    together = predict(model, val, torch.device("cpu"))
    for s, part in enumerate(plist):
        own = fold(model, s, names, part.prep.feature_names, part.config)
        assert own.n_features == len(part.prep.feature_names)
        alone = predict(own, part.val_w, torch.device("cpu"))
        np.testing.assert_allclose(alone, together[val.rows_of(s)], atol=2e-5)
        assert not np.allclose(alone, predict(fold(model, (s + 1) % 3, names, part.prep.feature_names, part.config),
                                              part.val_w, torch.device("cpu")), atol=1e-3)  # the embedding matters


def test_a_global_panel_run_is_ordinary_runs_saved_whole(tmp_path):
    panel = small_panel(k=3)
    run = train_panel(panel, Config(**TINY), mode="global", embedding=2)
    assert list(run.runs) == panel.ids and not run.problems
    horizons = {r.config.horizon for r in run.runs.values()}
    assert len(horizons) == 1 and run.info["global"]["n_train_windows"] == sum(r.info["n_train_windows"]
                                                                                for r in run.runs.values())
    scores = run.scores()
    by_hand = [r.metrics["model"]["mase"] / r.metrics["baselines"]["seasonal_naive"]["mase"] for r in run.runs.values()]
    np.testing.assert_allclose(scores["relative_mase"], by_hand)
    board = run.scoreboard()
    assert board["geomean_relative_mase"] == pytest.approx(float(np.exp(np.mean(np.log(by_hand)))))
    assert board["worst"]["relative_mase"] == pytest.approx(max(by_hand))
    folder = save_panel(run, tmp_path / "p", panel=panel)
    again = load_panel_run(folder)
    for sid, r in run.runs.items():
        np.testing.assert_array_equal(again.runs[sid].forecast["forecast"], r.forecast["forecast"])
        frame, scores_new = apply_run(again.runs[sid], panel.series[sid])  # a folded run applies like any run
        np.testing.assert_allclose(frame["forecast"].to_numpy()[: r.config.horizon],
                                   r.forecast["forecast"].to_numpy()[: r.config.horizon], rtol=1e-5)
    # the saved series read back are the same data: the dashboard finds the panel's runs by these keys
    from lstm_forecast.runs import data_key
    from lstm_forecast.scale.store import series_data

    for sid in panel.ids:
        assert data_key(series_data(folder, sid)) == data_key(panel.series[sid]) == run.runs[sid].info["data_key"]
    (folder / "scores.csv").write_text("tampered\n")
    from lstm_forecast.errors import UserError

    with pytest.raises(UserError, match="does not match the manifest"):
        load_panel_run(folder)


def test_series_part_halves_give_train_run_exactly():
    from lstm_forecast.model import Forecaster
    from lstm_forecast.network import cross_split
    from lstm_forecast.scale.parts import finish_run, series_part
    from lstm_forecast.train import fit

    loaded = small_panel(k=1).series["s0"]
    config = Config(**TINY, threads=1)
    whole = train_run(loaded, config, threads=1)
    part = series_part(loaded, config)
    torch.manual_seed(part.config.seed)
    model = Forecaster(len(part.prep.feature_names), part.config)
    halves = finish_run(part, model, fit(model, part.train_w, part.val_w, part.config, torch.device("cpu"), threads=1,
                                         cross_split=cross_split(part.prep, part.config)), "cpu")
    pd.testing.assert_frame_equal(halves.forecast, whole.forecast)
    pd.testing.assert_frame_equal(halves.baselines, whole.baselines)
    assert halves.metrics == whole.metrics
    assert set(halves.info) == set(whole.info)


def test_a_global_run_that_kept_its_untrained_network_saves_and_reopens_its_trained_epoch(tmp_path, monkeypatch):
    """Epoch 0 best, epoch 1 the best trained one: each series' run keeps that epoch's recurrent weights folded
    as its own network is (trained.pt), saves, reopens, and Look inside draws them. (A global model's
    weights are named net.rnn.*: they were once dropped to an empty trained.pt that no longer reopened.)"""
    import itertools

    import lstm_forecast.train as train_module

    losses = itertools.chain([1.0, 1.5, 2.0], itertools.repeat(9.0))
    monkeypatch.setattr(train_module, "evaluate_loss", lambda *a, **k: next(losses))
    panel = small_panel(k=2)
    run = train_panel(panel, Config(**{**TINY, "epochs": 2}), mode="global", embedding=2)
    monkeypatch.undo()
    assert run.info["global"]["best_epoch"] == 0 and not run.problems
    for r in run.runs.values():
        assert r.info["inside_epoch"] == 1 and set(r.inside_state) == set(r.model.rnn.state_dict())
        assert max(float((r.inside_state[k] - v).abs().max()) for k, v in r.model.rnn.state_dict().items()) > 0
    again = load_panel_run(save_panel(run, tmp_path / "p", panel=panel))
    for sid, r in run.runs.items():
        reopened = again.runs[sid].inside_rnn().state_dict()
        for k, v in r.inside_rnn().state_dict().items():
            torch.testing.assert_close(reopened[k], v)
