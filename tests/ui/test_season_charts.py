"""The season view's charts: cycles named by the calendar, one shared phase axis, fitted scales, top units."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lstm_forecast.ui import charts, season_charts
from tests.ui.chart_samples import (fold_frame, profile_frame, score_frame, walk, encodings, mark_types,
                                    largest_dataset, subtitle)


# ---------------------------------------------------------------- gates by season


def test_a_gate_profile_fits_its_y_axis_unless_fixed():
    profile = profile_frame().assign(mean=0.45, q25=0.42, q75=0.48)
    fitted = season_charts.plot_phase_profile(profile, value_title="f", phase_label="hour").to_dict()
    fixed = season_charts.plot_phase_profile(profile, value_title="f", phase_label="hour", fixed_scale=True).to_dict()
    assert [y["scale"]["domain"] for y in encodings(fitted, "y") if "domain" in y.get("scale", {})][0] == \
        pytest.approx([0.42, 0.48])
    assert any(y.get("scale", {}).get("domain") == [0.0, 1.0] for y in encodings(fixed, "y"))


@pytest.mark.parametrize("freq, expected, title", [
    ("MS", ["1949", "1950", "1951"], "year"),
    ("D", ["03 Jan 2022", "10 Jan 2022", "17 Jan 2022"], "week starting"),
    ("h", ["01 Jan 2010", "02 Jan 2010", "03 Jan 2010"], "day"),
])
def test_cycles_are_named_by_their_calendar_period(freq, expected, title):
    start = {"MS": "1949-01-01", "D": "2022-01-03", "h": "2010-01-01"}[freq]
    period = {"MS": 12, "D": 7, "h": 24}[freq]
    index = pd.date_range(start, periods=3 * period, freq=freq)
    starts = pd.Series(index).groupby(np.arange(len(index)) // period).min()
    names, axis_title = season_charts.cycle_names(starts)
    assert list(names.values()) == expected and axis_title == title


def test_the_heatmap_shows_cycle_names_and_the_profile_lines_up_under_it():
    names = {c: str(1949 + c) for c in range(10)}
    heat = season_charts.plot_phase_cycle_heatmap(fold_frame(phases=12), gate_label="f", phase_label="month of year",
                                           period=12, cycle_labels=names, cycle_title="year").to_dict()
    profile = season_charts.plot_phase_profile(profile_frame(phases=12), value_title="f", phase_label="month of year",
                                        period=12).to_dict()
    y = [e for e in encodings(heat, "y") if e.get("field") == "cycle_name"][0]
    assert y["sort"] == [str(1949 + c) for c in range(10)] and y["title"] == "year"
    scales = [x["scale"] for spec in (heat, profile) for x in encodings(spec, "x") if "scale" in x]
    assert scales and all(s["domain"] == [-0.5, 11.5] for s in scales)  # one shared phase axis
    extents = [(a["minExtent"], a["maxExtent"]) for spec in (heat, profile) for e in encodings(spec, "y")
               for a in [e.get("axis")] if isinstance(a, dict) and "minExtent" in a]
    assert extents and set(extents) == {(charts.AXIS_EXTENT, charts.AXIS_EXTENT)}


def test_a_long_gate_legend_title_is_never_cut():
    spec = season_charts.plot_phase_cycle_heatmap(fold_frame(), gate_label="update gate z (keep-the-past gate)",
                                           phase_label="hour of day").to_dict()
    legend = [c["legend"] for c in encodings(spec, "color")][0]
    assert legend["orient"] == "top" and legend["titleLimit"] >= 300


def test_phase_cycle_heatmap_groups_cycles_to_stay_under_the_row_limit():
    spec = season_charts.plot_phase_cycle_heatmap(fold_frame(cycles=300), gate_label="f", phase_label="hour").to_dict()
    assert largest_dataset(spec) <= charts.MAX_ROWS
    assert "groups of 2" in subtitle(spec)
    y = [e for e in encodings(spec, "y") if e.get("field") == "cycle_name"][0]
    assert y["type"] == "ordinal" and len(y["axis"]["values"]) <= 12


def test_phase_cycle_heatmap_averages_duplicate_cells():
    fold = pd.concat([fold_frame().assign(value=0.2), fold_frame().assign(value=0.6)])
    spec = season_charts.plot_phase_cycle_heatmap(fold, gate_label="f", phase_label="hour").to_dict()
    values = [row["value"] for row in max(spec["datasets"].values(), key=len)]
    assert len(values) == 240 and np.allclose(values, 0.4)


@pytest.mark.parametrize("units, coloured_by_unit", [(0, False), (1, False), (3, True)])
def test_phase_profile_draws_a_band_and_colours_by_unit_only_for_several(units, coloured_by_unit):
    spec = season_charts.plot_phase_profile(profile_frame(units=units), value_title="forget gate",
                                     phase_label="hour").to_dict()
    assert {"area", "line"} <= mark_types(spec)
    assert any(d["encoding"].get("y2", {}).get("field") == "q75" for d in walk(spec) if "encoding" in d)
    assert bool(encodings(spec, "color")) is coloured_by_unit


def test_the_series_profile_is_gray_and_keeps_its_own_scale():
    spec = season_charts.plot_phase_profile(profile_frame(scale=100.0), value_title="load", phase_label="hour",
                                     gate=False).to_dict()
    assert {d["mark"].get("color") for d in walk(spec) if isinstance(d.get("mark"), dict)} & {charts.NEUTRAL}
    assert not any(y.get("scale", {}).get("domain") for y in encodings(spec, "y"))


# ---------------------------------------------------------------- most seasonal units


def test_seasonality_scores_keep_the_top_k_of_any_number_of_units():
    scores = score_frame(units=6_000)
    spec = season_charts.plot_seasonality_scores(scores, k=7).to_dict()
    rows = max(spec["datasets"].values(), key=len)
    assert sorted(r["unit"] for r in rows) == sorted(scores.nlargest(7, "score")["unit"])
    assert encodings(spec, "y")[0]["sort"] == "-x" and "top 7 of 6000" in subtitle(spec)


def test_units_of_several_layers_get_distinct_labels_with_layers_counted_from_one():
    scores = pd.concat([score_frame(3).assign(layer=0), score_frame(3).assign(layer=1, score=0.99)])
    spec = season_charts.plot_seasonality_scores(scores, k=6).to_dict()
    rows = max(spec["datasets"].values(), key=len)
    assert {r["unit"] for r in rows} == {"1 · 0", "1 · 1", "1 · 2", "2 · 0", "2 · 1", "2 · 2"}
    assert encodings(spec, "y")[0]["title"] == "layer · unit"
