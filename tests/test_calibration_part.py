"""Calibration "part" (issue 17, item 3): the intervals are calibrated on a part of the validation data that
no choice reads. The epoch, keeping the network and its base are chosen on the selecting part
[train_end, select_end); the conformal residuals come from [select_end, val_end) only, so they are
residuals of a model that was not chosen on them. (The default, "cross", is tested in test_cross_calibration.)
"""
from dataclasses import replace

import numpy as np
import pytest

from lstm_forecast.config import Config
from lstm_forecast.errors import UserError
from lstm_forecast.pipeline import series_part, train_run
from tests.factories import sine_series

SMALL = dict(hidden=8, epochs=6, patience=6, horizon=12, seed=1, calibration="part")


def _with_spike(loaded, at: int, size: float):
    frame = loaded.frame.copy()
    frame.iloc[at, frame.columns.get_loc(loaded.value_col)] += size
    return replace(loaded, frame=frame)


def test_by_default_half_the_validation_part_calibrates_and_the_rest_selects():
    part = series_part(sine_series(n=400, period=12), Config(**SMALL))
    prep, config = part.prep, part.config
    assert config.calibration_size == config.val_size // 2 > 0
    assert prep.select_end == prep.val_end - config.calibration_size == prep.calibration_start
    window_targets = part.val_w.origins[:, None] + np.arange(1, config.horizon + 1)
    judged = ~np.isnan(part.val_w.Y.numpy())
    assert window_targets[judged].max() < prep.select_end  # validation windows never judge the calibration part
    at = part.origins.calibration[:, None] + np.arange(1, config.horizon + 1)
    assert ((at >= prep.select_end) & (at < prep.val_end)).any(axis=1).all()  # each calibration origin scores there


def test_a_spike_in_the_calibration_part_changes_the_band_and_no_choice():
    """Only the intervals read the calibration part: a spike there leaves the fit's every number alone."""
    loaded = sine_series(n=400, period=12)
    config = Config(**SMALL)
    clean = train_run(loaded, config, threads=1)
    spot = len(loaded.frame) - config.horizon - 2  # inside [select_end, val_end): the last validation steps
    part = series_part(loaded, config)
    assert part.prep.select_end <= spot < part.prep.val_end
    spiked = train_run(_with_spike(loaded, spot, 50.0), config, threads=1)
    assert spiked.info["best_epoch"] == clean.info["best_epoch"]
    np.testing.assert_array_equal(spiked.history["val_loss"], clean.history["val_loss"])
    assert spiked.transform.base == clean.transform.base
    assert spiked.metrics["network_kept"] == clean.metrics["network_kept"]
    wide, narrow = spiked.metrics["intervals"]["halfwidths"]["95"], clean.metrics["intervals"]["halfwidths"]["95"]
    assert max(wide) > 5 * max(narrow)  # the band did read it
    assert "chose neither the epoch" in clean.metrics["intervals"]["residuals"]


def test_a_spike_in_the_selecting_part_does_change_the_choices():
    """The counter-check: the same spike one part earlier reaches the validation losses."""
    loaded = sine_series(n=400, period=12)
    config = Config(**SMALL)
    part = series_part(loaded, config)
    spot = part.prep.train_end + 1
    clean = train_run(loaded, config, threads=1)
    spiked = train_run(_with_spike(loaded, spot, 50.0), config, threads=1)
    assert not np.array_equal(spiked.history["val_loss"], clean.history["val_loss"])


def test_calibration_selection_calibrates_on_the_whole_validation_part_as_before():
    part = series_part(sine_series(n=400, period=12), Config(**{**SMALL, "calibration": "selection"}))
    prep = part.prep
    assert prep.select_end == prep.val_end and prep.calibration_start == prep.train_end
    np.testing.assert_array_equal(part.origins.calibration, part.val_w.origins[-len(part.origins.calibration):])


@pytest.mark.parametrize("calibration, size, words", [
    ("part", 40, "must be smaller than the validation part"),
    ("part", -1, "must be a whole number from 0"),
    ("cross", 5, "sets the calibration part: use it with calibration 'part'"),
    ("anything", None, "must be one of cross, part, selection"),
])
def test_a_calibration_part_that_leaves_nothing_to_select_on_is_refused(calibration, size, words):
    with pytest.raises(UserError, match=words):
        series_part(sine_series(n=400, period=12), Config(**{**SMALL, "calibration": calibration}, val_size=40,
                                                          calibration_size=size))
