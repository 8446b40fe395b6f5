"""A sweep trial's validation truth: observed targets only, and a MASE scale over observed differences."""
from __future__ import annotations

import pytest

from lstm_forecast.config import Config
from lstm_forecast.scale.parts import series_part, validation_truth
from tests.factories import gappy_two_columns, scale_by_hand


def test_the_validation_scale_leaves_out_filled_points_and_counts_them():
    loaded, written, filled = gappy_two_columns()
    part = series_part(loaded, Config(value_col="b", horizon=12, period=12, hidden=4, epochs=1))
    end = part.prep.train_end + part.skip
    assert end > filled[-1] + 12  # the stretch and both its differences lie in the training part
    truth = validation_truth(part)
    scale, left_out = scale_by_hand(written, end, 12)
    assert truth.scale == pytest.approx(scale, rel=1e-12)
    assert left_out == 24 and "leaving out 24 differences that touch a filled-in point" in truth.scale_note
