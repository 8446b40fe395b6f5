"""Chart builders: each returns a valid Vega-Lite spec with the encodings, selections and guards it promises."""
from __future__ import annotations

import ast
import inspect

import altair as alt
import numpy as np
import pandas as pd
import pytest

from lstm_forecast.ui import charts

NOTE = "mean over 20-step bins"
TOO_MANY = charts.MAX_ROWS + 1


# ---------------------------------------------------------------- small data factories


def times(n: int, dates: bool = True):
    """n hourly timestamps, or integer steps 0..n-1."""
    return pd.date_range("2024-01-01", periods=n, freq="h") if dates else np.arange(n)


def series_frame(n: int = 96, dates: bool = True) -> pd.DataFrame:
    """A daily sine on hourly steps with its cycle number: [timestamp, value, cycle]."""
    steps = np.arange(n)
    return pd.DataFrame({"timestamp": times(n, dates), "value": np.sin(2 * np.pi * steps / 24), "cycle": steps // 24})


def forecast_frames(n: int = 72, horizon: int = 24, dates: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """actual[timestamp, actual] and forecasts[timestamp, method, forecast, kind] for one model and one baseline."""
    actual = series_frame(n, dates).rename(columns={"value": "actual"})[["timestamp", "actual"]]
    tail = actual.tail(horizon)
    forecasts = pd.concat([
        pd.DataFrame({"timestamp": tail["timestamp"], "method": method, "forecast": tail["actual"] + shift,
                      "kind": kind})
        for method, kind, shift in [("lstm #1", "model", 0.1), ("seasonal naive", "baseline", -0.1)]
    ], ignore_index=True)
    return actual, forecasts


def residual_frame(n: int = 24, dates: bool = True) -> pd.DataFrame:
    _, forecasts = forecast_frames(n=max(n, 72), horizon=n, dates=dates)
    return forecasts.rename(columns={"forecast": "residual"})[["timestamp", "method", "residual"]]


def long_frame(n: int, quantities, units: int = 3, dates: bool = True, low: float = 0.0, time: str = "timestamp"):
    """[time, unit, quantity, value] with uniform values in [low, 1)."""
    rng = np.random.default_rng(0)
    rows = [(t, u, q) for t in times(n, dates) for u in range(units) for q in quantities]
    frame = pd.DataFrame(rows, columns=[time, "unit", "quantity"])
    return frame.assign(value=rng.uniform(low, 1.0, len(frame)))


def fold_frame(phases: int = 24, cycles: int = 10, low: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    frame = pd.DataFrame([(p, c) for c in range(cycles) for p in range(phases)], columns=["phase", "cycle"])
    return frame.assign(value=rng.uniform(low, 1.0, len(frame)))


def profile_frame(phases: int = 24, scale: float = 1.0, units: int = 0) -> pd.DataFrame:
    mean = scale * (0.5 + 0.4 * np.sin(2 * np.pi * np.arange(phases) / phases))
    frame = pd.DataFrame({"phase": np.arange(phases), "mean": mean, "q25": mean - 0.05 * scale,
                          "q75": mean + 0.05 * scale})
    if units:
        frame = pd.concat([frame.assign(unit=u) for u in range(units)], ignore_index=True)
    return frame


def history_frame(first: float = 1.0, last: float = 0.1, epochs: int = 6) -> pd.DataFrame:
    train = np.geomspace(first, last, epochs)
    return pd.DataFrame({"epoch": np.arange(1, epochs + 1), "train_loss": train, "val_loss": train * 1.2})


def saturation_frame(units: int = 8) -> pd.DataFrame:
    rng = np.random.default_rng(2)
    rows = [(0, u, g) for u in range(units) for g in ("input", "forget", "output")]
    frame = pd.DataFrame(rows, columns=["layer", "unit", "gate"])
    low = rng.uniform(0, 0.5, len(frame))
    return frame.assign(frac_low=low, frac_high=rng.uniform(0, 1 - low))


def step_frame(cell: str, units: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    rows = [(q, u) for q in charts.WALKTHROUGH_ORDER[cell] for u in range(units)]
    frame = pd.DataFrame(rows, columns=["quantity", "unit"])
    gate = frame["quantity"].isin(charts.WALKTHROUGH_GATES)
    return frame.assign(value=np.where(gate, rng.uniform(0, 1, len(frame)), rng.normal(0, 1, len(frame))))


def score_frame(units: int = 30) -> pd.DataFrame:
    rng = np.random.default_rng(4)
    return pd.DataFrame({"unit": np.arange(units), "score": rng.uniform(0, 1, units),
                         "amplitude": rng.uniform(0, 2, units)})


BUILDERS = {
    "series": lambda note="", dates=True: charts.plot_series(
        series_frame(dates=dates), value_title="load", period=24, phase_label="hour of day", note=note),
    "losses": lambda note="", dates=True: charts.plot_losses(history_frame(), note=note),
    "forecasts": lambda note="", dates=True: charts.plot_forecasts(
        *forecast_frames(dates=dates), holdout_start=times(72, dates)[48], note=note),
    "residuals": lambda note="", dates=True: charts.plot_residuals(residual_frame(dates=dates), note=note),
    "trajectories": lambda note="", dates=True: charts.plot_trajectories(
        series_frame(48, dates)[["timestamp", "value"]], long_frame(48, ["cell", "hidden"], dates=dates, low=-1),
        note=note),
    "phase_cycle": lambda note="", dates=True: charts.plot_phase_cycle_heatmap(
        fold_frame(), gate_label="forget gate", phase_label="hour of day", note=note),
    "phase_profile": lambda note="", dates=True: charts.plot_phase_profile(
        profile_frame(), profile_frame(scale=100.0), gate_label="forget gate", phase_label="hour of day", note=note),
    "gate_heatmaps": lambda note="", dates=True: charts.plot_gate_heatmaps(
        long_frame(40, ["input", "forget"], dates=dates), note=note),
    "state_heatmap": lambda note="", dates=True: charts.plot_state_heatmap(
        long_frame(40, ["cell", "hidden"], dates=dates, low=-1), note=note),
    "saturation": lambda note="", dates=True: charts.plot_saturation(saturation_frame(), note=note),
    "walkthrough": lambda note="", dates=True: charts.plot_walkthrough(step_frame("lstm"), cell="lstm", note=note),
    "seasonality_scores": lambda note="", dates=True: charts.plot_seasonality_scores(score_frame(), k=5, note=note),
}
TIMED = ["series", "forecasts", "residuals", "trajectories", "gate_heatmaps", "state_heatmap"]


# ---------------------------------------------------------------- spec inspection


def walk(node):
    """Every dict inside a spec, depth first."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def encodings(spec: dict, channel: str) -> list[dict]:
    """Every field definition on `channel` anywhere in the spec (a tooltip list counts each entry)."""
    found = [d["encoding"].get(channel) for d in walk(spec) if isinstance(d.get("encoding"), dict)]
    return [e for f in found for e in (f if isinstance(f, list) else [f]) if isinstance(e, dict)]


def mark_types(spec: dict) -> set[str]:
    marks = [d["mark"] for d in walk(spec) if "mark" in d]
    return {m if isinstance(m, str) else m["type"] for m in marks}


def params(spec: dict) -> dict[str, dict]:
    return {p["name"]: p for d in walk(spec) for p in d.get("params", []) if isinstance(p, dict) and "name" in p}


def colour_scales(spec: dict) -> list[dict]:
    return [c["scale"] for c in encodings(spec, "color") if "scale" in c]


def largest_dataset(spec: dict) -> int:
    return max(len(rows) for rows in spec["datasets"].values())


# ---------------------------------------------------------------- every builder


@pytest.mark.parametrize("name", list(BUILDERS))
def test_builds_a_valid_spec_with_the_note_in_its_subtitle(name):
    spec = BUILDERS[name](note=NOTE).to_dict()  # to_dict validates against the Vega-Lite schema
    assert spec["title"]["text"]
    assert NOTE in spec["title"]["subtitle"]


@pytest.mark.parametrize("name", list(BUILDERS))
def test_every_chart_has_tooltips(name):
    assert encodings(BUILDERS[name]().to_dict(), "tooltip")


@pytest.mark.parametrize("name", list(BUILDERS))
def test_no_text_or_background_colour_is_hard_coded(name):
    spec = BUILDERS[name]().to_dict()
    colours = {str(d.get(k)).lower() for d in walk(spec) for k in ("color", "fill", "background", "subtitleColor")}
    assert not colours & {"black", "white", "#000", "#fff", "#000000", "#ffffff"}


TOO_BIG = {
    "series": lambda: charts.plot_series(series_frame(TOO_MANY), value_title="load"),
    "losses": lambda: charts.plot_losses(history_frame(epochs=TOO_MANY)),
    "forecasts, together": lambda: charts.plot_forecasts(*forecast_frames(n=4_000, horizon=600)),
    "residuals": lambda: charts.plot_residuals(residual_frame(n=2_501)),
    "trajectories": lambda: charts.plot_trajectories(series_frame(10)[["timestamp", "value"]],
                                                     long_frame(TOO_MANY, ["cell"], units=1)),
    "phase_profile": lambda: charts.plot_phase_profile(profile_frame(units=1), profile_frame(TOO_MANY),
                                                       gate_label="g", phase_label="p"),
    "gate_heatmaps": lambda: charts.plot_gate_heatmaps(long_frame(TOO_MANY, ["input"], units=1)),
    "state_heatmap": lambda: charts.plot_state_heatmap(long_frame(TOO_MANY, ["cell"], units=1)),
    "saturation": lambda: charts.plot_saturation(saturation_frame(units=1_667)),
    "walkthrough": lambda: charts.plot_walkthrough(step_frame("lstm", units=417), cell="lstm"),
}


@pytest.mark.parametrize("name", list(TOO_BIG))
def test_more_than_max_rows_asks_the_caller_to_downsample(name):
    with pytest.raises(ValueError, match="downsample") as caught:
        TOO_BIG[name]()
    assert "5,000" in str(caught.value)


def test_exactly_max_rows_is_accepted():
    spec = charts.plot_series(series_frame(charts.MAX_ROWS), value_title="load").to_dict()
    assert largest_dataset(spec) == charts.MAX_ROWS


def test_a_missing_column_is_named():
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['value'\]"):
        charts.plot_series(series_frame().drop(columns="value"), value_title="load")


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
    encoding = charts.encode_time(pd.DataFrame({"timestamp": values})).to_dict()
    assert encoding == {"field": "timestamp", "type": vl_type, "title": title}


def test_encode_time_refuses_text():
    with pytest.raises(ValueError, match="datetimes or integer steps"):
        charts.encode_time(pd.DataFrame({"timestamp": ["2024-01-01", "2024-01-02"]}))


# ---------------------------------------------------------------- selections


@pytest.mark.parametrize("name", ["forecasts", "residuals"])
def test_a_legend_click_toggles_a_method(name):
    spec = BUILDERS[name]().to_dict()
    pick = params(spec)["pick"]
    assert pick["bind"] == "legend" and pick["select"] == {"type": "point", "fields": ["method"]}
    opacity_params = [c["param"] for o in encodings(spec, "opacity") for c in o.get("condition", [])]
    assert "pick" in opacity_params
    assert params(spec)["zoom"]["bind"] == "scales"


def test_forecasts_dash_baselines_and_mark_the_holdout():
    spec = BUILDERS["forecasts"]().to_dict()
    dash = encodings(spec, "strokeDash")[0]
    assert dash["field"] == "kind" and dict(zip(dash["scale"]["domain"], map(tuple, dash["scale"]["range"])))[
        "baseline"] != (1, 0)
    assert {"line", "rule", "text"} <= mark_types(spec)
    assert any(row.get("label") == "holdout" for rows in spec["datasets"].values() for row in rows)
    colour = [c for c in encodings(spec, "color") if c["field"] == "method"][0]
    assert colour["scale"]["domain"][0] == "actual" and colour["scale"]["range"][0] == charts.NEUTRAL


def test_residuals_draw_a_zero_rule_and_points():
    spec = BUILDERS["residuals"]().to_dict()
    assert {"rule", "line", "point"} <= mark_types(spec)


def test_trajectory_panels_follow_the_brush_on_the_series():
    spec = BUILDERS["trajectories"]().to_dict()
    series, *panels = spec["vconcat"]
    brush = params(spec)["brush"]
    assert brush["select"] == {"type": "interval", "encodings": ["x"]} and brush["views"] == [series["name"]]
    assert len(panels) == 2
    for panel in panels:
        assert [x["scale"]["domain"] for x in encodings(panel, "x")] == [{"param": "brush"}] * 2
    assert {(c["field"], c["type"]) for c in encodings(spec, "color")} == {("unit", "nominal")}


def test_series_zooms_by_the_brush_and_shades_alternate_cycles():
    spec = BUILDERS["series"]().to_dict()
    detail, overview = spec["vconcat"]
    assert params(spec)["brush"]["views"] == [overview["name"]]
    assert {"param": "brush"} in [x.get("scale", {}).get("domain") for x in encodings(detail, "x")]
    assert "rect" in mark_types(detail) and "24 steps (hour of day)" in spec["title"]["subtitle"]
    bands = [rows for rows in spec["datasets"].values() if "start" in rows[0]][0]
    assert [b["cycle"] for b in bands] == [1, 3]  # of cycles 0..3, the odd ones are shaded


def test_series_without_cycles_has_no_shading():
    spec = charts.plot_series(series_frame().drop(columns="cycle"), value_title="load").to_dict()
    assert "rect" not in mark_types(spec)


# ---------------------------------------------------------------- colour scales


@pytest.mark.parametrize("name", ["phase_cycle", "gate_heatmaps", "walkthrough"])
def test_gates_use_the_fixed_unit_colour_domain(name):
    scales = colour_scales(BUILDERS[name]().to_dict())
    assert {"scheme": "viridis", "domain": [0, 1]} in scales


@pytest.mark.parametrize("build", [
    lambda: charts.plot_state_heatmap(long_frame(20, ["cell"], low=-1)),
    lambda: charts.plot_phase_cycle_heatmap(fold_frame(low=-1), gate_label="cell", phase_label="hour"),
])
def test_signed_values_diverge_symmetrically_about_zero(build):
    scale = colour_scales(build().to_dict())[0]
    assert scale["scheme"] == "blueorange" and scale["domain"][0] == -scale["domain"][1] < 0


def test_gate_heatmaps_send_signed_quantities_elsewhere():
    with pytest.raises(ValueError, match=r"\['cell'\].*plot_state_heatmap"):
        charts.plot_gate_heatmaps(pd.concat([long_frame(10, ["forget"]), long_frame(10, ["cell"], low=-1)]))


def test_gate_heatmap_cells_tile_the_time_axis():
    spec = charts.plot_gate_heatmaps(long_frame(5, ["input"], units=1, dates=False, time="step")).to_dict()
    rows = max(spec["datasets"].values(), key=len)
    assert [(r["step"], r["time_end"]) for r in rows] == [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5)]


# ---------------------------------------------------------------- single builders


@pytest.mark.parametrize("first, last, log", [(100.0, 0.5, True), (1.0, 0.1, False)])
def test_losses_go_log_past_a_hundredfold_range(first, last, log):
    spec = charts.plot_losses(history_frame(first, last)).to_dict()
    y_scale = [y.get("scale", {}) for y in encodings(spec, "y") if y["field"] == "loss"][0]
    assert (y_scale.get("type") == "log") is log


def test_losses_rule_the_best_validation_epoch():
    history = history_frame().assign(val_loss=[5.0, 3.0, 1.0, 2.0, 4.0, 6.0])
    spec = charts.plot_losses(history).to_dict()
    rule_rows = [rows for rows in spec["datasets"].values() if "best" in rows[0]][0]
    assert rule_rows[0]["epoch"] == 3 and "best epoch 3" in spec["title"]["subtitle"]


def test_phase_cycle_heatmap_groups_cycles_to_stay_under_the_row_limit():
    spec = charts.plot_phase_cycle_heatmap(fold_frame(cycles=300), gate_label="f", phase_label="hour").to_dict()
    assert largest_dataset(spec) <= charts.MAX_ROWS
    assert "groups of 2" in spec["title"]["subtitle"]
    assert {(e["field"], e["type"]) for e in encodings(spec, "x") + encodings(spec, "y")} == {
        ("phase", "ordinal"), ("cycle", "ordinal")}
    assert len(encodings(spec, "y")[0]["axis"]["values"]) <= 12


def test_phase_cycle_heatmap_averages_duplicate_cells():
    fold = pd.concat([fold_frame().assign(value=0.2), fold_frame().assign(value=0.6)])
    spec = charts.plot_phase_cycle_heatmap(fold, gate_label="f", phase_label="hour").to_dict()
    values = [row["value"] for row in max(spec["datasets"].values(), key=len)]
    assert len(values) == 240 and np.allclose(values, 0.4)


@pytest.mark.parametrize("units, coloured_by_unit", [(0, False), (3, True)])
def test_phase_profile_stacks_series_over_gate_with_bands(units, coloured_by_unit):
    spec = charts.plot_phase_profile(profile_frame(units=units), profile_frame(scale=50.0),
                                     gate_label="forget gate", phase_label="hour").to_dict()
    top, bottom = spec["vconcat"]
    assert spec["resolve"]["scale"]["x"] == "shared"
    assert {"area", "line"} <= mark_types(bottom)
    assert any(d["encoding"].get("y2", {}).get("field") == "q75" for d in walk(bottom) if "encoding" in d)
    assert any(y.get("scale", {}).get("domain") == [0, 1] for y in encodings(bottom, "y"))
    assert not any(y.get("scale", {}).get("domain") == [0, 1] for y in encodings(top, "y"))
    assert bool(encodings(bottom, "color")) is coloured_by_unit


def test_saturation_cites_karpathy_and_draws_the_triangle_edge():
    spec = BUILDERS["saturation"]().to_dict()
    assert "Karpathy et al. 2015" in spec["title"]["subtitle"] and "> 0.9" in spec["title"]["subtitle"]
    assert [x["scale"]["domain"] for x in encodings(spec, "x") if x["field"] == "frac_low"] == [[0, 1]]
    edge_rows = [rows for rows in spec["datasets"].values() if "x2" in rows[0]][0]
    assert edge_rows == [{"x": 0, "y": 1, "x2": 1, "y2": 0}]
    assert {c["field"] for c in encodings(spec, "color")} == {"gate"}


@pytest.mark.parametrize("cell", list(charts.WALKTHROUGH_ORDER))
def test_walkthrough_rows_follow_the_equations(cell):
    spec = charts.plot_walkthrough(step_frame(cell), cell=cell).to_dict()
    assert encodings(spec, "y")[0]["sort"] == list(charts.WALKTHROUGH_ORDER[cell])
    has_gates = bool(charts.WALKTHROUGH_GATES & set(charts.WALKTHROUGH_ORDER[cell]))
    assert ({"scheme": "viridis", "domain": [0, 1]} in colour_scales(spec)) is has_gates


def test_walkthrough_refuses_an_unknown_cell():
    with pytest.raises(ValueError, match=r"'transformer'.*'lstm', 'gru', 'rnn'"):
        charts.plot_walkthrough(step_frame("lstm"), cell="transformer")


def test_seasonality_scores_keep_the_top_k_of_any_number_of_units():
    scores = score_frame(units=6_000)
    spec = charts.plot_seasonality_scores(scores, k=7).to_dict()
    rows = max(spec["datasets"].values(), key=len)
    assert sorted(r["unit"] for r in rows) == sorted(scores.nlargest(7, "score")["unit"])
    assert encodings(spec, "y")[0]["sort"] == "-x" and "top 7 of 6000" in spec["title"]["subtitle"]


def test_units_of_several_layers_get_distinct_labels():
    scores = pd.concat([score_frame(3).assign(layer=0), score_frame(3).assign(layer=1, score=0.99)])
    rows = max(charts.plot_seasonality_scores(scores, k=6).to_dict()["datasets"].values(), key=len)
    assert {r["unit"] for r in rows} == {"0:0", "0:1", "0:2", "1:0", "1:1", "1:2"}


# ---------------------------------------------------------------- boundaries


def test_charts_module_does_not_import_streamlit():
    tree = ast.parse(inspect.getsource(charts))
    names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    names += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert not [n for n in names if n.split(".")[0] == "streamlit"]

def test_builders_return_altair_charts():
    kinds = {name: type(build()) for name, build in BUILDERS.items()}
    assert all(issubclass(k, alt.TopLevelMixin) for k in kinds.values()), kinds
