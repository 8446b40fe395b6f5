"""The warning for a target filled a lot (issue 15): share filled, largest gap, gaps over a season;
and keep_markers, which keeps -200-style markers as numbers, through the API and the CLI."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lstm_forecast.data.loading import load_csv
from lstm_forecast.errors import UserError
from tests.data.messy_csv import MESSY_DIR

ROOT = Path(__file__).resolve().parents[2]
START = pd.Timestamp("2004-03-10 18:00")  # the air-quality file's first hour
HOURS = 960  # 40 days


def air_quality_like(gaps: list[tuple[int, int]], n: int = HOURS, temp_gaps: bool = True) -> bytes:
    """Hourly 'Date;Time;CO(GT);T' with decimal commas like the UCI file, -200 on steps [a, b) of
    `gaps` (in T too unless temp_gaps is False)."""
    t = np.arange(n)
    co = 2 + np.sin(2 * np.pi * t / 24) + 0.01 * (t % 7)
    temp = 15 + 5 * np.cos(2 * np.pi * t / 24)
    for a, b in gaps:
        co[a:b] = -200
        if temp_gaps:
            temp[a:b] = -200
    stamps = pd.date_range(START, periods=n, freq="h")
    lines = ["Date;Time;CO(GT);T"] + [
        f"{s:%d/%m/%Y};{s:%H.%M.%S};{c:.2f};{x:.1f}".replace(".", ",").replace(",00,00", ".00.00")
        for s, c, x in zip(stamps, co, temp)
    ]
    return ("\n".join(lines) + "\n").encode()


def fill_warnings(loaded) -> list[str]:
    return [w for w in loaded.warnings if "by interpolation; the largest gap" in w]


# Three runs of markers: 50, 30 and 3 hours (83 of 960 = 8.6%). The largest starts at step 100:
# 18:00 + 100 h = 14 March 22:00, and ends at step 149: 18:00 + 149 h = 16 March 23:00.
LONG_RUNS = [(100, 150), (400, 430), (700, 703)]


def test_long_marker_runs_give_one_warning_with_the_largest_gap_and_its_dates():
    loaded = load_csv(air_quality_like(LONG_RUNS))
    assert loaded.freq == "h" and loaded.value_col == "CO(GT)"
    assert fill_warnings(loaded) == [
        "filled 83 of 960 'CO(GT)' values (8.6%) by interpolation; the largest gap is 50 steps "
        "(2004-03-14 22:00 to 2004-03-16 23:00) and 2 gaps are longer than one season (24 steps): the model "
        "learns from invented values there; load a stretch without long gaps, or fill them at the source"
    ]


@pytest.mark.parametrize("gaps, warned", [
    ([(100 * k, 100 * k + 3) for k in range(1, 6)], False),  # 15 of 960 (1.6%), none over a day
    ([(300, 324)], False),  # 24 steps: exactly one season is not longer than one
    ([(300, 325)], True),  # 25 steps: 2.6% only, but longer than a day
    ([(50 * k, 50 * k + 10) for k in range(1, 7)], True),  # 60 of 960 (6.3%), all short
])
def test_warns_over_five_percent_or_over_a_season(gaps, warned):
    assert bool(fill_warnings(load_csv(air_quality_like(gaps)))) is warned


def test_without_a_season_a_gap_over_two_percent_of_the_series_is_long():
    values = [str(10 + i % 5) for i in range(1000)]
    values[500:525] = [""] * 25  # 25 steps: over 2% of 1,000 (20), under 5%; no dates, so no season
    rows = [f"{v},{i % 3}" for i, v in enumerate(values)]
    [warning] = fill_warnings(load_csv(("value,x\n" + "\n".join(rows) + "\n").encode()))
    assert "(steps 500 to 524)" in warning and "longer than 20 steps (2% of the series, as no season is known)" in warning


def test_choosing_another_target_replaces_the_warning_with_that_columns_own():
    loaded = load_csv(air_quality_like(LONG_RUNS, temp_gaps=False))
    assert len(fill_warnings(loaded)) == 1
    assert fill_warnings(loaded.with_value("T")) == []  # T is complete
    assert fill_warnings(loaded.with_value("T").with_value("CO(GT)")) == fill_warnings(loaded)


def test_marker_advice_names_the_checkbox_and_the_flag():
    loaded = load_csv(air_quality_like(LONG_RUNS))
    [line] = [r for r in loaded.report if "missing-value marker" in r]
    assert "'Keep marker values'" in line and "--keep-markers" in line and "na_values" not in line


def test_keep_markers_keeps_the_values_and_gives_no_warning():
    loaded = load_csv(air_quality_like(LONG_RUNS), keep_markers=True)
    assert int((loaded.series == -200).sum()) == 83
    assert not fill_warnings(loaded) and not any("marker" in r for r in loaded.report)


def test_keep_markers_with_na_values_is_one_clear_error():
    with pytest.raises(UserError, match="pass one of the two"):
        load_csv(air_quality_like(LONG_RUNS), keep_markers=True, na_values=[-200.0])


def _cli(*args):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "lstm_forecast", *map(str, args)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_cli_prints_the_warning_and_keep_markers_keeps_the_values_in_the_run(tmp_path):
    from lstm_forecast.pipeline import training_data
    from lstm_forecast.runs import load_run

    csv = tmp_path / "air.csv"
    csv.write_bytes(air_quality_like(LONG_RUNS))
    tiny = ("--epochs", 1, "--hidden", 4, "--threads", 1, "--horizon", 24, "--quiet")
    warned = _cli("train", "--csv", csv, *tiny, "--out", tmp_path / "filled")
    assert warned.returncode == 0, warned.stderr
    assert "warning: filled 83 of 960 'CO(GT)' values (8.6%)" in warned.stderr
    kept = _cli("train", "--csv", csv, "--keep-markers", *tiny, "--out", tmp_path / "kept")
    assert kept.returncode == 0, kept.stderr
    assert "warning: filled" not in kept.stderr
    run = load_run(tmp_path / "kept", root=tmp_path)
    assert run.info["origin"]["keep_markers"] is True
    assert int((training_data(run).series == -200).sum()) == 83  # reloaded with the same choice


AIR = MESSY_DIR / "air_quality_uci_raw.csv"


@pytest.mark.skipif(not AIR.exists(), reason=f"the real file {AIR} is absent (<repo>/../shared/data/messy)")
def test_real_air_quality_file_warns_with_its_173_hour_gap():
    [warning] = fill_warnings(load_csv(AIR))
    assert warning.startswith("filled 1,683 of 9,357 'CO(GT)' values (18.0%) by interpolation; the largest gap is "
                              "173 steps (2004-10-13 11:00 to 2004-10-20 15:00) and 18 gaps are longer than one season")
    assert int((load_csv(AIR, keep_markers=True).series == -200).sum()) == 1683
