"""Downsampling a chart's tidy frame by equal time bins (the Data and Compare steps' series)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lstm_forecast.inspect.time_bins import downsample


def tidy_lines(n_steps: int, n_groups: int) -> pd.DataFrame:
    steps = np.arange(n_steps)
    return pd.DataFrame(
        {
            "timestamp": np.tile(pd.date_range("2024-01-01", periods=n_steps, freq="h"), n_groups),
            "step": np.tile(steps, n_groups),
            "layer": 0,
            "unit": np.repeat(np.arange(n_groups), n_steps),
            "quantity": "cell",
            "value": np.tile(steps.astype(float), n_groups),
        }
    )


@pytest.mark.parametrize("n_groups", [1, 3, 70])
def test_downsample_respects_max_rows(n_groups):
    frame = tidy_lines(100_000 // n_groups if n_groups > 3 else 100_000, n_groups)
    out, note = downsample(frame, max_rows=5000)
    assert len(out) <= 5000
    assert list(out.columns) == list(frame.columns)
    assert set(out["unit"]) == set(range(n_groups))
    assert note.startswith("mean over ") and "bins" in note and "→" in note
    one = out[out["unit"] == 0]
    assert one["step"].is_monotonic_increasing
    np.testing.assert_allclose(one["value"], one["step"])  # value == step, so bin means agree
    assert frame["value"].mean() == pytest.approx(out["value"].mean(), rel=0.01)


def test_downsample_note_for_one_line():
    out, note = downsample(tidy_lines(100_000, 1), max_rows=5000)
    assert len(out) == 5000
    assert note == "mean over 20-step bins: 100,000 steps → 5,000 points"


def test_downsample_leaves_small_frames_alone():
    frame = tidy_lines(100, 3)
    out, note = downsample(frame, max_rows=5000)
    assert out is frame and note == ""


def test_downsample_with_range_and_custom_columns():
    frame = pd.DataFrame({"cycle": np.repeat(np.arange(1000), 24), "phase": np.tile(np.arange(24), 1000)})
    frame["value"] = frame["cycle"] * 1.0
    out, note = downsample(frame, max_rows=2400, time_col="cycle", group_cols=["phase"], with_range=True)
    assert len(out) <= 2400 and set(out.columns) == {"phase", "cycle", "value", "value_min", "value_max"}
    assert (out["value_min"] <= out["value"]).all() and (out["value"] <= out["value_max"]).all()
    assert "10-cycle bins" in note


def test_downsample_more_groups_than_rows_keeps_the_first():
    out, note = downsample(tidy_lines(3, 50), max_rows=20)
    assert len(out) == 20 and "only the first 20 of 50 lines" in note
