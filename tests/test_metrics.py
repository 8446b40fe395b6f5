import numpy as np
import pytest

from lstm_forecast import metrics as M
from lstm_forecast.errors import UserError

# actual, forecast, expected by hand
CASES = [
    # errors 1, -2, 0 -> |e| = 1, 2, 0
    ([1.0, 2.0, 3.0], [0.0, 4.0, 3.0], {"mae": 1.0, "rmse": np.sqrt(5 / 3)}),
    ([10.0, 10.0], [10.0, 10.0], {"mae": 0.0, "rmse": 0.0}),
    ([2.0, -2.0], [-2.0, 2.0], {"mae": 4.0, "rmse": 4.0}),
]


@pytest.mark.parametrize("actual, forecast, expected", CASES)
def test_mae_rmse_by_hand(actual, forecast, expected):
    assert M.mae(actual, forecast) == pytest.approx(expected["mae"])
    assert M.rmse(actual, forecast) == pytest.approx(expected["rmse"])


def test_smape_by_hand():
    # step 1: 2*|100-110|/(100+110) = 20/210; step 2: 2*|50-40|/90 = 20/90; step 3: both 0 -> 0
    expected = 100 * (20 / 210 + 20 / 90 + 0) / 3
    assert M.smape([100, 50, 0], [110, 40, 0]) == pytest.approx(expected)
    assert M.smape([1, 2], [1, 2]) == 0.0
    assert M.smape([1.0], [-1.0]) == pytest.approx(200.0)


def test_mase_uses_in_sample_seasonal_naive_scale():
    insample = np.array([1.0, 2.0, 3.0, 5.0, 6.0, 7.0])  # period 3: |5-1|, |6-2|, |7-3| -> scale 4
    assert M.mase_scale(insample, period=3) == pytest.approx(4.0)
    assert M.mase([10, 10], [12, 6], insample, period=3) == pytest.approx(3.0 / 4.0)
    # period 1: mean |diff| = (1+1+2+1+1)/5 = 1.2
    assert M.mase_scale(insample, period=1) == pytest.approx(1.2)


def test_score_has_all_four_keys():
    s = M.score([1, 2, 3], [1, 2, 4], [1, 2, 3, 4, 5], period=1)
    assert set(s) == {"mae", "rmse", "smape", "mase"}
    assert s["mase"] == pytest.approx((1 / 3) / 1.0)


@pytest.mark.parametrize("actual, forecast", [([1, 2], [1]), ([], [])])
def test_bad_shapes_raise_user_error(actual, forecast):
    with pytest.raises(UserError, match="forecast|empty"):
        M.mae(actual, forecast)
