import numpy as np
import pytest

from lstm_forecast.evaluation import intervals as I


@pytest.mark.parametrize("n_cal", [50, 400])
def test_conformal_coverage_lands_near_nominal_on_known_noise(n_cal):
    """Forecast = the true mean; the errors are Gaussian with sd growing with h. Over many
    independent calibration/test draws, coverage must land near the nominal levels."""
    rng = np.random.default_rng(0)
    H = 6
    sd = np.linspace(1.0, 3.0, H)
    hits = {80: [], 95: []}
    for _ in range(200):
        cal = rng.normal(0, sd, size=(n_cal, H))  # residuals actual - forecast
        calibration = I.calibrate(cal)
        test = rng.normal(0, sd, size=(200, H))
        band = I.bounds(np.zeros((200, H)), calibration)
        for level in (80, 95):
            hits[level].append(np.mean((test >= band[f"lower_{level}"]) & (test <= band[f"upper_{level}"])))
    for level in (80, 95):
        coverage = np.mean(hits[level])
        assert level / 100 - 0.01 <= coverage <= level / 100 + (0.03 if n_cal == 50 else 0.015), (level, coverage)
    assert calibration.pooled == {80: 0, 95: 0}


def test_widths_grow_with_the_noise_of_each_step():
    rng = np.random.default_rng(1)
    cal = rng.normal(0, [1.0, 5.0], size=(500, 2))
    widths = I.calibrate(cal).halfwidths[80]
    assert widths[1] > 3 * widths[0]


def test_too_few_points_at_a_step_borrow_from_neighbours_and_say_so():
    rng = np.random.default_rng(2)
    cal = rng.normal(0, 1, size=(12, 8))  # 12 residuals per step: too few for 95% (needs 19)
    c = I.calibrate(cal)
    assert c.pooled[95] == 8 and c.pooled[80] == 0
    assert np.all(np.isfinite(c.halfwidths[95])) and np.all(c.halfwidths[95] >= c.halfwidths[80])


def test_residual_matrix_keeps_only_targets_inside_the_calibration_part():
    actual = np.arange(20, dtype=float)
    forecasts = np.zeros((3, 4))
    r = I.residual_matrix(actual, forecasts, np.array([8, 10, 13]), start=10, limit=15, log=False)
    # origin 8: targets 9..12 -> 9 is before the part; origin 13: targets 14..17 -> only 14 inside
    assert np.isnan(r[0, 0]) and r[0, 1] == 10
    assert r[1].tolist() == [11, 12, 13, 14]
    assert r[2, 0] == 14 and np.isnan(r[2, 1:]).all()


def test_log_scale_intervals_are_multiplicative():
    c = I.Calibration({80: np.array([np.log(2.0)])}, log=True, points=[100])
    b = I.bounds(np.array([[10.0], [100.0]]), c)
    np.testing.assert_allclose(b["lower_80"][:, 0], [5.0, 50.0])
    np.testing.assert_allclose(b["upper_80"][:, 0], [20.0, 200.0])

