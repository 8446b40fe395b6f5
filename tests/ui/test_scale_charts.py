"""Panel and sweep charts: valid Vega-Lite, and the frames they draw say what the data says."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lstm_forecast.ui import scale_charts as C


def _trials() -> pd.DataFrame:
    return pd.DataFrame({
        "number": [0, 1, 2, 3], "state": ["complete", "complete", "pruned", "fail"],
        "score": [0.8, 0.6, np.nan, np.nan], "param_cell": ["lstm", "gru", "rnn", "lstm"],
        "param_lookback": [48, 96, 24, 30], "param_hidden": [64, 16, 128, 32], "param_layers": [1, 2, 1, 1],
        "param_dropout": [0.0, 0.1, 0.3, 0.2], "param_lr": [3e-3, 1e-3, 1e-2, 3e-4],
        "epochs_run": [20, 14, 4, 0], "default": [True, False, False, False],
    })


def test_parallel_frame_scales_every_axis_to_the_unit_interval():
    long = C.parallel_frame(_trials())
    assert set(long["trial"]) == {0, 1, 2}  # a failed trial has no line
    assert list(dict.fromkeys(long["axis"])) == [*C.SETTINGS, "score"]
    known = long.dropna(subset=["position"])
    assert known["position"].between(0, 1).all()
    lr = long[long["axis"] == "lr"].set_index("trial")["position"]
    assert lr[2] == 1.0 and lr[1] == 0.0 and 0 < lr[0] < 1  # log scale: 3e-3 lies between 1e-3 and 1e-2
    score = long[long["axis"] == "score"].set_index("trial")
    assert np.isnan(score.loc[2, "position"]) and score.loc[1, "position"] == 0.0  # pruned: no final score
    cells = long[long["axis"] == "cell"].set_index("trial")["label"]
    assert cells.to_dict() == {0: "lstm", 1: "gru", 2: "rnn"}


def test_last_scores_come_from_the_curves():
    curves = pd.DataFrame({"trial": [2, 2, 0], "epoch": [1, 2, 1], "score": [1.5, 1.2, 0.9], "state": "pruned"})
    shown = C.with_last_scores(_trials(), curves)
    assert shown.set_index("number").loc[2, "last_score"] == 1.2


@pytest.mark.parametrize("build", [
    lambda: C.plot_parallel(C.parallel_frame(_trials())),
    lambda: C.plot_score_by_trial(C.with_last_scores(_trials(), pd.DataFrame(
        {"trial": [2], "epoch": [4], "score": [1.1], "state": ["pruned"]}))),
    lambda: C.plot_curves(pd.DataFrame({"trial": [0, 0, 2], "epoch": [1, 2, 1], "score": [1.0, 0.9, 1.3],
                                        "state": ["complete", "complete", "pruned"]})),
    lambda: C.plot_relative_mase(pd.DataFrame({"id": ["a", "b"], "relative_mase": [0.5, 1.4], "verdict": ["beats", "loses to"],
                                               "mase": [0.4, 1.2], "seasonal_naive_mase": [0.8, 0.86]})),
])
def test_charts_are_valid_vega_lite(build):
    spec = build().to_dict()  # validates against the schema
    assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/")


def test_too_many_rows_are_refused_or_capped():
    big = pd.DataFrame({"trial": np.arange(6000), "epoch": 1, "score": 1.0, "state": "complete"})
    with pytest.raises(ValueError, match="more than"):
        C.plot_curves(big)
    capped, note = C.cap_rows(big)
    assert len(capped) <= C.MAX_ROWS and "1 row in 2 of 6,000" in note
