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
    assert val_targets.max() < prep.select_end  # choices never read the calibration part, nor the holdout
    # every selecting step is judged at every horizon step
    assert prep.select_end == prep.val_end - (config.calibration_size or 0)
    assert len(val_targets) == (prep.select_end - prep.train_end) * config.horizon
    assert set(val_targets) == set(range(prep.train_end, prep.select_end))


def test_no_leakage_scaler_and_training_windows_ignore_later_data():
    loaded = airline()
    config, prep = _prepared(loaded, horizon=12, base="ets")  # base fixed: with "auto" it is chosen on validation
    changed = loaded.frame.copy()
    changed.iloc[prep.train_end:, 0] *= 3.0  # rewrite validation and holdout
    other = type(loaded)(changed, loaded.value_col, loaded.date_col, loaded.freq)
    prep2 = prepare(other, config)
    fitted = lambda t: {k: v for k, v in t.to_dict().items() if k not in ("base", "base_params")}  # noqa: E731
    assert fitted(prep2.transform) == fitted(prep.transform)  # the base is chosen on validation, the rest on training
    holdout_only = loaded.frame.copy()
    holdout_only.iloc[prep.val_end:, 0] *= 3.0
    prep3 = prepare(type(loaded)(holdout_only, loaded.value_col, loaded.date_col, loaded.freq), config)
    assert prep3.transform == prep.transform  # nothing at all reads the holdout
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
    values = w.values(w.Y.numpy().astype(float))
    y = loaded.series.to_numpy()
    skip = 1 if difference else 0
    truth = np.stack([y[skip + o + 1: skip + o + 13] for o in w.origins])
    np.testing.assert_allclose(values, truth, rtol=1e-4)


def test_residual_base_is_seasonal_naive():
    u = np.arange(30, dtype=float)
    base = base_forecast(u, np.array([23]), horizon=14, period=12, level_window=12, kind="seasonal_naive")
    expected = [u[23 + h - 12 * int(np.ceil(h / 12))] for h in range(1, 15)]
    assert base[0].tolist() == expected
    assert base_forecast(u, np.array([23]), 3, 12, 12, kind="naive")[0].tolist() == [23.0] * 3


def _base_errors(prep, config):
    """Mean absolute error of each base on the validation part, as choose_base measures it."""
    start, end, H = prep.train_end, prep.val_end, config.horizon
    origins = np.arange(max(max(config.lookback, config.period) - 1, start - H), end - 1)
    at = origins[:, None] + np.arange(1, H + 1)[None, :]
    truth = prep.u[np.minimum(at, end - 1)]
    known = (at >= start) & (at < end)
    return {k: np.mean(np.abs(truth - prep.base(origins, H, k))[known]) for k in ("seasonal_naive", "naive", "ets")}


def test_the_base_is_the_one_that_forecasts_the_validation_part_best():
    """Daily temperature-like data: yesterday beats the same day last year, so the base is not seasonal naive."""
    rng = np.random.default_rng(0)
    t = np.arange(4 * 365)
    walk = np.cumsum(rng.normal(0, 1.0, len(t)))  # weather: persistent anomalies
    values = 15 + 8 * np.sin(2 * np.pi * t / 365) + walk - np.convolve(walk, np.ones(60) / 60, "same")
    from lstm_forecast.data.series import LoadedSeries
    import pandas as pd

    frame = pd.DataFrame({"t": values}, index=pd.date_range("2010-01-01", periods=len(t), freq="D"))
    daily = LoadedSeries(frame, "t", "date", "D")
    for loaded, kw in ((daily, dict(period=365, horizon=14)), (airline(), dict(horizon=12))):
        config, prep = _prepared(loaded, **kw)
        errors = _base_errors(prep, config)
        assert prep.transform.base == min(errors, key=errors.get), errors
    assert _prepared(daily, period=365, horizon=14)[1].transform.base != "seasonal_naive"
    for forced in ("seasonal_naive", "naive", "ets"):
        assert _prepared(daily, period=365, horizon=14, base=forced)[1].transform.base == forced


def test_an_ets_base_is_rebuilt_from_the_run_and_reads_no_later_data():
    config, prep = _prepared(airline(), horizon=12, base="ets")
    assert prep.transform.base == "ets" and prep.transform.base_params["period"] == 12
    again = prepare(airline(), config, transform=prep.transform)  # as apply_run and backtests rebuild it
    origins = np.arange(30, prep.n - 13)
    np.testing.assert_allclose(again.base(origins, 12, "ets"), prep.base(origins, 12, "ets"))
    loaded = airline()
    frame = loaded.frame.copy()
    frame.iloc[100:, 0] *= 2.0  # rewrite everything after step 99
    changed = prepare(type(loaded)(frame, loaded.value_col, loaded.date_col, loaded.freq), config, transform=prep.transform)
    early = np.arange(30, 100)
    np.testing.assert_allclose(changed.base(early, 12, "ets"), prep.base(early, 12, "ets"))


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
    window = prep.features[o - config.lookback + 1: o + 1]
    np.testing.assert_array_equal(X[1].numpy()[:, 2:], window[:, 2:])  # phase: as is
    ratio = train_w.scales([5])[0] / prep.transform.scale  # level_gap, change: in the window's own unit
    np.testing.assert_allclose(X[1].numpy()[:, :2], window[:, :2] / ratio, rtol=1e-6)


def test_each_window_is_measured_in_its_own_unit():
    """A series whose wiggles grow 10x: late windows get a 10x larger unit, so targets stay comparable."""
    from lstm_forecast.data.series import LoadedSeries
    import pandas as pd

    t = np.arange(2000)
    amplitude = np.where(t < 1000, 1.0, 10.0)
    values = 100 + amplitude * np.sin(2 * np.pi * t / 24) + amplitude * np.random.default_rng(0).normal(0, 0.3, 2000)
    frame = pd.DataFrame({"v": values}, index=pd.date_range("2020-01-01", periods=2000, freq="h"))
    loaded = LoadedSeries(frame, "v", "time", "h")
    config, prep = _prepared(loaded, horizon=24, log="off", window_scale=True)
    train_w, _ = train_val_windows(prep, config)
    early, late = np.searchsorted(train_w.origins, [500, 1500])
    assert 7 < train_w.scales([late])[0] / train_w.scales([early])[0] < 13
    Y = train_w.targets([early, late]).numpy()
    assert 0.3 < np.nanstd(Y[1]) / np.nanstd(Y[0]) < 3  # comparable in each window's unit
    config_off, prep_off = _prepared(loaded, horizon=24, log="off", window_scale=False)
    assert prep_off.transform.window_ref is None


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
