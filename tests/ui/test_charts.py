"""What every chart builder shares: a valid Vega-Lite spec of one view, its note, tooltips and legends, the row
limit, the time axis, the colour scales, and no Streamlit (the helpers of ui/charts.py)."""
from __future__ import annotations

import ast
import inspect

import altair as alt
import numpy as np
import pandas as pd
import pytest

from lstm_forecast.ui import charts, forecast_charts, inside_charts, season_charts
from tests.ui.chart_samples import (times, series_frame, forecast_frames, residual_frame, long_frame,
                                    fold_frame, profile_frame, history_frame, saturation_frame, step_frame,
                                    BUILDERS, TIMED, walk, encodings, colour_scales, largest_dataset, subtitle)


NOTE = "mean over 20-step bins"
TOO_MANY = charts.MAX_ROWS + 1


# ---------------------------------------------------------------- every builder


@pytest.mark.parametrize("name", list(BUILDERS))
def test_builds_a_valid_spec_with_the_note_in_its_subtitle(name):
    spec = BUILDERS[name](note=NOTE).to_dict()  # to_dict validates against the Vega-Lite schema
    assert spec["title"]["text"]
    assert NOTE in subtitle(spec)
    assert all(len(line) <= charts.SUBTITLE_CHARS for line in spec["title"]["subtitle"])  # fits a narrow column


@pytest.mark.parametrize("name", list(BUILDERS))
def test_every_chart_is_one_view_that_fits_its_column(name):
    """Vega-Lite fits only single and layered views to their container; a concat overflows at 1000 px."""
    spec = BUILDERS[name]().to_dict()
    assert not {"vconcat", "hconcat", "concat", "facet", "repeat"} & set(spec)
    assert spec["width"] == "container"


@pytest.mark.parametrize("name", list(BUILDERS))
def test_no_y_axis_title_is_longer_than_its_chart(name):
    """A 62-character gate name as the y title squashed the phase profile's plot to a flat line: every titled y
    axis cuts its title (with an ellipsis) at most at the chart's height."""
    spec = BUILDERS[name]().to_dict()
    for y in encodings(spec, "y"):
        if y.get("title") and isinstance(y.get("axis"), dict):
            assert 0 < y["axis"]["titleLimit"] <= spec["height"], (name, y["title"])


@pytest.mark.parametrize("name", list(BUILDERS))
def test_every_chart_has_tooltips(name):
    assert encodings(BUILDERS[name]().to_dict(), "tooltip")


@pytest.mark.parametrize("name", list(BUILDERS))
def test_no_text_or_background_colour_is_hard_coded(name):
    spec = BUILDERS[name]().to_dict()
    colours = {str(d.get(k)).lower() for d in walk(spec) for k in ("color", "fill", "background", "subtitleColor")}
    assert not colours & {"black", "white", "#000", "#fff", "#000000", "#ffffff"}


@pytest.mark.parametrize("name", list(BUILDERS))
def test_legends_never_sit_beside_the_plot(name):
    """A legend on the right takes width from the plot, and charts in one column would not line up."""
    spec = BUILDERS[name]().to_dict()
    legends = [e["legend"] for ch in ("color", "size", "strokeDash", "shape") for e in encodings(spec, ch)
               if isinstance(e.get("legend"), dict)]
    assert all(legend.get("orient") in ("top", "bottom") for legend in legends)


TOO_BIG = {
    "series": lambda: forecast_charts.plot_series(series_frame(TOO_MANY), value_title="load"),
    "losses": lambda: forecast_charts.plot_losses(history_frame(epochs=TOO_MANY)),
    "forecasts, together": lambda: forecast_charts.plot_forecasts(*forecast_frames(n=4_000, horizon=600)),
    "residuals": lambda: forecast_charts.plot_residuals(residual_frame(n=2_501)),
    "series_strip": lambda: inside_charts.plot_series_strip(series_frame(TOO_MANY)[["timestamp", "value"]]),
    "trajectories": lambda: inside_charts.plot_trajectories(long_frame(TOO_MANY, ["cell"], units=1)),
    "phase_profile": lambda: season_charts.plot_phase_profile(profile_frame(TOO_MANY), value_title="g", phase_label="p"),
    "gate_heatmaps": lambda: inside_charts.plot_gate_heatmaps(long_frame(TOO_MANY, ["input"], units=1)),
    "state_heatmap": lambda: inside_charts.plot_state_heatmap(long_frame(TOO_MANY, ["cell"], units=1)),
    "saturation": lambda: inside_charts.plot_saturation(saturation_frame(units=1_667)),
    "walkthrough": lambda: inside_charts.plot_walkthrough(step_frame("lstm", units=417), cell="lstm"),
}


@pytest.mark.parametrize("name", list(TOO_BIG))
def test_more_than_max_rows_asks_the_caller_to_downsample(name):
    with pytest.raises(ValueError, match="downsample") as caught:
        TOO_BIG[name]()
    assert "5,000" in str(caught.value)


def test_exactly_max_rows_is_accepted():
    spec = forecast_charts.plot_series(series_frame(charts.MAX_ROWS), value_title="load").to_dict()
    assert largest_dataset(spec) == charts.MAX_ROWS


def test_a_missing_column_is_named():
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['value'\]"):
        forecast_charts.plot_series(series_frame().drop(columns="value"), value_title="load")


# ---------------------------------------------------------------- colour scales


@pytest.mark.parametrize("build", [
    lambda fixed: season_charts.plot_phase_cycle_heatmap(fold_frame(low=0.4).assign(value=lambda d: d["value"] * 0.5 + 0.2),
                                                  gate_label="f", phase_label="hour", fixed_scale=fixed),
    lambda fixed: inside_charts.plot_gate_heatmaps(long_frame(20, ["forget"]).assign(value=lambda d: 0.4 + d["value"] / 10),
                                            fixed_scale=fixed),
])
def test_gate_colours_fit_the_values_unless_fixed(build):
    """A 0.40-0.50 swing drawn on 0-1 looks flat: fitted by default, 0-1 on request, and said so."""
    fitted, fixed = build(False).to_dict(), build(True).to_dict()
    values = [row["value"] for row in max(fitted["datasets"].values(), key=len)]
    assert colour_scales(fitted)[0]["domain"] == pytest.approx([min(values), max(values)])
    assert "fitted" in subtitle(fitted)
    assert {"scheme": "viridis", "domain": [0.0, 1.0]} in colour_scales(fixed) and "fixed 0-1" in subtitle(fixed)


@pytest.mark.parametrize("build", [
    lambda: inside_charts.plot_state_heatmap(long_frame(20, ["cell"], low=-1)),
    lambda: season_charts.plot_phase_cycle_heatmap(fold_frame(low=-1), gate_label="cell", phase_label="hour"),
])
def test_signed_values_diverge_symmetrically_about_zero(build):
    scale = colour_scales(build().to_dict())[0]
    assert scale["scheme"] == "blueorange" and scale["domain"][0] == -scale["domain"][1] < 0


# ---------------------------------------------------------------- time axis


@pytest.mark.parametrize("name", TIMED)
@pytest.mark.parametrize("dates, vl_type", [(True, "temporal"), (False, "quantitative")])
def test_time_axis_is_temporal_for_dates_and_quantitative_steps_otherwise(name, dates, vl_type):
    spec = BUILDERS[name](dates=dates).to_dict()
    time_x = [x for x in encodings(spec, "x") if x.get("field") in ("timestamp", "step", "start")]
    assert time_x and {x["type"] for x in time_x} == {vl_type}
    if not dates:
        assert {x["title"] for x in time_x} == {"step"}


@pytest.mark.parametrize("values, vl_type, title", [
    (pd.date_range("2024", periods=3, freq="D"), "temporal", "time"),
    (pd.date_range("2024", periods=3, freq="D", tz="UTC"), "temporal", "time"),
    (np.arange(3), "quantitative", "step"),
])
def test_encode_time_picks_the_type_from_the_dtype(values, vl_type, title):
    encoding = charts.encode_time(pd.DataFrame({"timestamp": values}), channel=alt.Tooltip).to_dict()
    assert {k: encoding[k] for k in ("field", "type", "title")} == {"field": "timestamp", "type": vl_type,
                                                                     "title": title}


def test_encode_time_refuses_text():
    with pytest.raises(ValueError, match="datetimes or integer steps"):
        charts.encode_time(pd.DataFrame({"timestamp": ["2024-01-01", "2024-01-02"]}))


def test_a_dated_time_axis_keeps_the_year_on_its_month_labels():
    """Multi-year hourly data showed month names without years: every month tick now carries its year."""
    x = charts.encode_time(pd.DataFrame({"timestamp": times(3)})).to_dict()
    expr = x["axis"]["labelExpr"]
    assert "'%b %Y'" in expr and "'%Y'" in expr and "'%H:%M'" in expr


# ---------------------------------------------------------------- titles


@pytest.mark.parametrize("name, expected", [("0", "value of column 0"), (" 12 ", "value of column 12"),
                                            ("temp_f", "temp_f"), ("Passengers", "Passengers")])
def test_a_bare_number_never_becomes_a_title_on_its_own(name, expected):
    assert charts.column_title(name) == expected
    spec = forecast_charts.plot_series(series_frame(), value_title=name).to_dict()
    assert spec["title"]["text"] == expected


def test_step_mod_is_said_in_words():
    assert charts.plain_phase("step mod 127") == "step within the 127-step season"
    assert charts.plain_phase("month of year") == "month of year"
    spec = season_charts.plot_phase_profile(profile_frame(), value_title="f", phase_label="step mod 24").to_dict()
    assert "step mod" not in str(spec)


# ---------------------------------------------------------------- boundaries


@pytest.mark.parametrize("module", [charts, forecast_charts, season_charts, inside_charts])
def test_charts_module_does_not_import_streamlit(module):
    tree = ast.parse(inspect.getsource(module))
    names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    names += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert not [n for n in names if n.split(".")[0] == "streamlit"]


def test_builders_return_altair_charts():
    kinds = {name: type(build()) for name, build in BUILDERS.items()}
    assert all(issubclass(k, alt.TopLevelMixin) for k in kinds.values()), kinds
