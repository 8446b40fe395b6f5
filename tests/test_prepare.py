import numpy as np
import pytest
import torch

from lstm_forecast.config import Config
from lstm_forecast.errors import UserError
from lstm_forecast.prepare import base_forecast, prepare, resolve, split_origins, to_values, train_val_windows, windows
from tests.factories import airline, sine_series


def _prepared(loaded, **kw):
    config, _ = resolve(Config(**kw), loaded)
    return config, prepare(loaded, config)


def test_defaults_come_from_the_season():
    config, _ = resolve(Config(), airline())
    assert (config.period, config.horizon) == (12, 12)
    assert config.lookback >= 2 * config.period


def _target_positions(w):
    """Positions of every known (unmasked) target of a Windows."""
    at = w.origins[:, None] + np.arange(1, w.horizon + 1)[None, :]
    return at[~np.isnan(w.targets().numpy())]


def test_split_is_by_time_and_windows_stay_on_their_side():
    config, prep = _prepared(airline(), horizon=12)
    train_w, val_w = train_val_windows(prep, config)
    assert prep.val_end == prep.n - 12
    train_targets, val_targets = _target_positions(train_w), _target_positions(val_w)
    assert train_targets.max() < prep.train_end  # every training target is in the training part
    assert val_targets.min() >= prep.train_end  # early stopping judges only targets never trained on
    assert val_targets.max() < prep.val_end  # validation never reaches the holdout
    # every validation step is judged at every horizon step
    assert len(val_targets) == config.val_size * config.horizon
    assert set(val_targets) == set(range(prep.train_end, prep.val_end))


def test_no_leakage_scaler_and_training_windows_ignore_later_data():
    loaded = airline()
    config, prep = _prepared(loaded, horizon=12)
    changed = loaded.frame.copy()
    changed.iloc[prep.train_end:, 0] *= 3.0  # rewrite validation and holdout
    other = type(loaded)(changed, loaded.value_col, loaded.date_col, loaded.freq)
    prep2 = prepare(other, config)
    assert prep2.transform == prep.transform
    (w1, _), (w2, _) = train_val_windows(prep, config), train_val_windows(prep2, config)
    assert np.array_equal(w1.X.numpy(), w2.X.numpy())
    assert np.array_equal(w1.Y.numpy(), w2.Y.numpy(), equal_nan=True)


@pytest.mark.parametrize("target", ["residual", "level"])
@pytest.mark.parametrize("difference", [False, True])
def test_targets_invert_back_to_the_true_future(target, difference):
    loaded = airline()
    config, prep = _prepared(loaded, horizon=12, target=target, difference=difference)
    train, _ = split_origins(prep, config)
    w = windows(prep, train[:5], config)  # no mask: every target known
    values = to_values(prep, w.origins, w.base(), w.Y.numpy().astype(float))
    y = loaded.series.to_numpy()
    skip = 1 if difference else 0
    truth = np.stack([y[skip + o + 1: skip + o + 13] for o in w.origins])
    np.testing.assert_allclose(values, truth, rtol=1e-4)


def test_residual_base_is_seasonal_naive():
    u = np.arange(30, dtype=float)
    base = base_forecast(u, np.array([23]), horizon=14, period=12, level_window=12, target="residual")
    expected = [u[23 + h - 12 * int(np.ceil(h / 12))] for h in range(1, 15)]
    assert base[0].tolist() == expected


def test_calendar_features_follow_the_phase():
    config, prep = _prepared(sine_series(n=300, period=24), horizon=24)
    assert prep.feature_names[:4] == ["level_gap", "change", "phase_sin", "phase_cos"]
    angle = np.arctan2(prep.features[:, 2], prep.features[:, 3]) % (2 * np.pi)
    assert np.allclose(np.diff(angle[:23]), 2 * np.pi / 24, atol=1e-5)


def test_too_short_series_is_a_user_error():
    loaded = sine_series(n=60, period=24)
    with pytest.raises(UserError, match="usable points"):
        _prepared(loaded, horizon=24, lookback=48)


def test_log_on_with_non_positive_values_is_a_user_error():
    loaded = sine_series(n=300)
    loaded.frame.iloc[5, 0] = -1.0
    with pytest.raises(UserError, match="log"):
        _prepared(loaded, log="on")


def test_auto_log_is_decided_on_the_training_part_only():
    loaded = airline()
    frame = loaded.frame.copy()
    frame.iloc[-3, 0] = 0.0  # a zero in the holdout must not change how the model is trained...
    changed = type(loaded)(frame, loaded.value_col, loaded.date_col, loaded.freq)
    config, _ = resolve(Config(horizon=12), changed)
    with pytest.raises(UserError, match="set log to 'off'"):  # ...so it is reported instead
        prepare(changed, config)
    assert prepare(changed, Config.from_dict({**config.to_dict(), "log": "off"})).transform.log is False


def test_default_period_choice_never_sees_the_holdout(monkeypatch):
    import lstm_forecast.prepare as P

    seen = []
    real = P.infer_period
    monkeypatch.setattr(P, "infer_period", lambda values, *a, **k: seen.append(len(values)) or real(values, *a, **k))
    loaded = sine_series(n=100, period=24)  # the default horizon (24) is more than 20% of the series
    config, _ = resolve(Config(), loaded)
    assert (config.period, config.horizon) == (24, 24)
    assert max(seen) <= 100 - config.horizon  # what chose the period ends before the holdout


def test_windows_are_views_not_copies_per_origin():
    """The windows hold the one feature array; a batch is gathered on demand."""
    config, prep = _prepared(sine_series(n=3000, period=24), horizon=24)
    train_w, _ = train_val_windows(prep, config)
    assert train_w._view.untyped_storage().data_ptr() == torch.from_numpy(prep.features).untyped_storage().data_ptr()
    X, Y = train_w.batch(np.array([0, 5, 9]))
    assert X.shape == (3, config.lookback, prep.features.shape[1]) and Y.shape == (3, config.horizon)
    o = train_w.origins[5]
    np.testing.assert_array_equal(X[1].numpy(), prep.features[o - config.lookback + 1: o + 1])


def test_phases_of_an_undated_series_are_anchored_to_the_run():
    """Two slices of the same dateless data must give the same phase to the same step."""
    loaded = sine_series(n=400, period=17, freq=None)
    config, prep = _prepared(loaded, period=17, horizon=17)
    part = type(loaded)(loaded.frame.iloc[100:], loaded.value_col, None, None)
    again = prepare(part, config, transform=prep.transform)
    cols = [prep.feature_names.index("phase_sin"), prep.feature_names.index("phase_cos")]
    np.testing.assert_allclose(again.features[:, cols], prep.features[100:, cols], atol=1e-6)


def test_a_three_row_series_is_refused_with_its_length():
    loaded = sine_series(n=3)
    with pytest.raises(UserError, match="only 3 points.*at least 16"):
        resolve(Config(), loaded)
