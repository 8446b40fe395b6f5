"""The season is found whatever the magnitude of the values (overflow at 1e300, underflow at 1e-300)."""
from __future__ import annotations

import numpy as np
import pytest

from lstm_forecast.seasonality import infer_period


@pytest.mark.parametrize("scale", [1e300, 1e-300, 1.0])
def test_weekly_season_at_any_magnitude(scale):
    steps = np.arange(210)
    y = 10 + np.sin(steps * 2 * np.pi / 7) + np.random.default_rng(0).normal(0, 0.1, len(steps))
    choice = infer_period(y * scale, "D")
    assert choice.period == 7
    assert np.isfinite(choice.acf) and choice.acf > 0.5
