import numpy as np
import pytest

from lstm_forecast.evaluation import metrics as M
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
    assert M.mase_scale(insample, period=3).value == pytest.approx(4.0)
    assert M.mase([10, 10], [12, 6], insample, period=3) == pytest.approx(3.0 / 4.0)
    # period 1: mean |diff| = (1+1+2+1+1)/5 = 1.2
    assert M.mase_scale(insample, period=1).value == pytest.approx(1.2)


def test_score_has_all_four_keys():
    s = M.score([1, 2, 3], [1, 2, 4], [1, 2, 3, 4, 5], period=1)
    assert set(s) == {"mae", "rmse", "smape", "mase"}
    assert s["mase"] == pytest.approx((1 / 3) / 1.0)


@pytest.mark.parametrize("actual, forecast", [([1, 2], [1]), ([], [])])
def test_bad_shapes_raise_user_error(actual, forecast):
    with pytest.raises(UserError, match="forecast|empty"):
        M.mae(actual, forecast)


def test_mase_scale_says_when_it_falls_back_to_lag_one():
    """A history shorter than a season cannot give a seasonal scale: the fallback is recorded, not silent."""
    short = np.array([3.0, 5.0, 4.0, 8.0])
    scale = M.mase_scale(short, period=12)
    assert scale.lag == 1 and "lag 1, not the season (12)" in scale.note
    assert scale.value == pytest.approx((2 + 1 + 4) / 3)
    assert M.mase_scale(np.arange(30.0), period=12).lag == 12


def test_only_observed_points_are_scored():
    actual = np.array([1.0, 100.0, 3.0])  # 100 is a filled-in gap: must not count
    forecast = np.array([1.0, 2.0, 4.0])
    observed = np.array([True, False, True])
    assert M.mae(actual, forecast, observed) == pytest.approx(0.5)
    s = M.score(actual, forecast, [1.0, 2.0, 3.0, 4.0], 1, observed)
    assert s["mae"] == pytest.approx(0.5) and s["mase"] == pytest.approx(0.5)
    with pytest.raises(UserError, match="no observed points"):
        M.mae(actual, forecast, np.zeros(3, bool))


def test_a_non_finite_forecast_never_scores_a_perfect_smape():
    assert np.isnan(M.smape([1.0, 2.0], [np.nan, np.nan]))
    assert np.isnan(M.score([1.0, 2.0], [np.nan, 1.0], [1.0, 2.0, 3.0], 1)["mase"])


def test_interval_scores_by_hand():
    actual = np.array([1.0, 2.0, 3.0, 4.0])
    bands = {"lower_80": np.array([0.0, 2.5, 2.0, 3.0]), "upper_80": np.array([2.0, 3.0, 4.0, 5.0])}
    s = M.interval_scores(actual, bands)
    assert s == {"coverage_80": 0.75, "width_80": pytest.approx((2 + 0.5 + 2 + 2) / 4)}
