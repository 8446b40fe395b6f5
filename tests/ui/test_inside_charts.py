"""Look inside's charts over time: the strip and the states share its axis, heatmaps, saturation, the walkthrough."""
from __future__ import annotations

import math

import pandas as pd
import pytest

from lstm_forecast import cells
from lstm_forecast.ui import charts, inside_charts
from tests.ui.chart_samples import (times, series_frame, long_frame, saturation_frame, step_frame, BUILDERS,
                                    encodings, colour_scales, subtitle)


# ---------------------------------------------------------------- the series and its states


def test_trajectories_share_the_series_strips_time_axis():
    domain = (times(48)[0], times(48)[-1])
    strip = inside_charts.plot_series_strip(series_frame(48)[["timestamp", "value"]], time_domain=domain).to_dict()
    states = inside_charts.plot_trajectories(long_frame(48, ["cell"], low=-1), time_domain=domain).to_dict()
    domains = [x["scale"]["domain"] for spec in (strip, states) for x in encodings(spec, "x") if "scale" in x]
    assert domains and all(d == domains[0] for d in domains)
    assert {(c["field"], c["type"]) for c in encodings(states, "color")} == {("unit", "nominal")}


# ---------------------------------------------------------------- colour scales


def test_walkthrough_gates_keep_the_fixed_unit_domain():
    assert {"scheme": "viridis", "domain": [0, 1]} in colour_scales(BUILDERS["walkthrough"]().to_dict())


def test_state_heatmaps_give_each_quantity_its_own_legend():
    spec = BUILDERS["state_heatmap"]().to_dict()
    assert spec["resolve"]["scale"]["color"] == "independent"
    assert sorted(c["title"] for c in encodings(spec, "color")) == ["cell", "hidden"]


def test_gate_heatmaps_send_signed_quantities_elsewhere():
    with pytest.raises(ValueError, match=r"\['cell'\].*plot_state_heatmap"):
        inside_charts.plot_gate_heatmaps(pd.concat([long_frame(10, ["forget"]), long_frame(10, ["cell"], low=-1)]))


def test_gate_heatmap_cells_tile_the_time_axis():
    spec = inside_charts.plot_gate_heatmaps(long_frame(5, ["input"], units=1, dates=False, time="step")).to_dict()
    rows = max(spec["datasets"].values(), key=len)
    assert [(r["step"], r["time_end"]) for r in rows] == [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5)]


def test_gate_heatmaps_stack_every_gate_as_a_block_of_rows_in_one_view():
    spec = inside_charts.plot_gate_heatmaps(long_frame(6, ["input", "forget", "output"], units=4)).to_dict()
    y = [e for e in encodings(spec, "y") if e.get("field") == "row" and "sort" in e][0]
    assert y["sort"][:5] == ["input 0", "input 1", "input 2", "input 3", "forget 0"]
    assert {"input 0", "forget 0", "output 0"} <= set(y["axis"]["values"])  # every block's first row is labelled


# ---------------------------------------------------------------- heatmap bins


@pytest.mark.parametrize("period, n_steps, n_lines", [(12, 144, 192), (24, 8_760, 24), (168, 8_760, 3), (7, 700, 12)])
def test_heatmap_bins_are_at_most_a_tenth_of_a_season(period, n_steps, n_lines):
    width, span = inside_charts.heatmap_window(n_steps, n_lines, period)
    assert 1 <= width <= max(1, period // 10)
    assert math.ceil(span / width) * n_lines <= charts.MAX_ROWS and span <= n_steps


def test_heatmap_bins_without_a_season_cover_the_whole_series():
    width, span = inside_charts.heatmap_window(10_000, 8, None)
    assert span == 10_000 and math.ceil(10_000 / width) * 8 <= charts.MAX_ROWS


# ---------------------------------------------------------------- single builders


def test_saturation_cites_karpathy_and_draws_the_triangle_edge():
    spec = BUILDERS["saturation"]().to_dict()
    assert "Karpathy et al. 2015" in subtitle(spec) and "> 0.9" in subtitle(spec)
    edge_rows = [rows for rows in spec["datasets"].values() if "x2" in rows[0]][0]
    assert edge_rows == [{"x": 0, "y": 1, "x2": 1, "y2": 0}]
    assert {c["field"] for c in encodings(spec, "color")} == {"gate"}


def test_saturation_counts_points_on_top_of_each_other_and_says_so():
    """A small model's 192 gates all at (0, 0) were one dot: now one dot per gate, sized by its count."""
    sat = saturation_frame(units=64).assign(frac_low=0.0, frac_high=0.0)
    spec = inside_charts.plot_saturation(sat).to_dict()
    rows = [r for rows in spec["datasets"].values() for r in rows if "count" in r]
    assert sorted(r["count"] for r in rows) == [64, 64, 64]
    assert len({(r["px"], r["py"]) for r in rows}) == 3 and {r["label"] for r in rows} == {"64"}  # nudged apart
    assert [e["field"] for e in encodings(spec, "size")] == ["count"]
    assert "labelled by their count" in subtitle(spec) and "64 of 192" in subtitle(spec)


@pytest.mark.parametrize("cell", list(inside_charts.WALKTHROUGH_ORDER))
def test_walkthrough_labels_every_row_in_equation_order(cell):
    """The GRU showed 4 of its 8 row labels and the RNN 2 of 4: every row now has room and a name."""
    order = inside_charts.WALKTHROUGH_ORDER[cell]
    spec = inside_charts.plot_walkthrough(step_frame(cell), cell=cell).to_dict()
    y = [e for e in encodings(spec, "y") if e.get("field") == "row"][0]
    assert len(y["sort"]) == len(order) == len(set(y["sort"]))
    assert all(label.startswith(symbol + "  ") for symbol, label in zip(order, y["sort"]))
    assert y["axis"]["labelOverlap"] is False
    assert spec["height"] >= 150 + 24 * len(order)
    has_gates = bool(set(cells.get(cell).walkthrough_gates) & set(order))
    assert ({"scheme": "viridis", "domain": [0, 1]} in colour_scales(spec)) is has_gates


def test_walkthrough_refuses_an_unknown_cell():
    with pytest.raises(ValueError, match=r"'transformer'.*'lstm', 'gru', 'rnn'"):
        inside_charts.plot_walkthrough(step_frame("lstm"), cell="transformer")
