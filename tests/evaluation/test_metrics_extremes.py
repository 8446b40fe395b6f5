"""Metrics at the ends of the float range, and the MASE scale over observed points only."""
from __future__ import annotations

import numpy as np
import pytest

from lstm_forecast.evaluation import metrics as M

ACTUAL = np.array([1.0, 2.0, 3.0, 4.0])
FORECAST = np.array([1.5, 2.0, 2.0, 5.0])


@pytest.mark.parametrize("scale", [1e300, 1e-300, 1e-160, 1e160])
def test_point_metrics_scale_with_the_data(scale):
    a, f = ACTUAL * scale, FORECAST * scale
    assert M.mae(a, f) == pytest.approx(0.625 * scale, rel=1e-12)
    assert M.rmse(a, f) == pytest.approx(0.75 * scale, rel=1e-12)
    assert M.rmse(a, f) >= M.mae(a, f)
    assert M.smape(a, f) == pytest.approx(M.smape(ACTUAL, FORECAST), rel=1e-12)
    assert M.mase_scale(a).value == pytest.approx(scale, rel=1e-12)


def test_mase_scale_leaves_out_differences_touching_filled_points():
    y = np.array([1.0, 2.0, 3.0, 100.0, 5.0, 6.0])  # 100 was filled in
    seen = np.array([True, True, True, False, True, True])
    scale = M.mase_scale(y, 1, observed=seen)
    assert scale.value == pytest.approx(1.0)  # |2-1|, |3-2|, |6-5|
    assert "leaving out 2 differences" in scale.note
    assert M.mase_scale(y, 1).value > 10
