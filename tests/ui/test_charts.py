"""Chart builders: each returns a valid Vega-Lite spec with the encodings, selections and guards it promises."""
from __future__ import annotations

import ast
import inspect
import math

import altair as alt
import numpy as np
import pandas as pd
import pytest

from lstm_forecast import cells
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
        for method, kind, shift in [("LSTM #1", "model", 0.1), ("seasonal_naive", "baseline", -0.1)]
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
    gate = frame["quantity"].isin(cells.get(cell).walkthrough_gates)
    return frame.assign(value=np.where(gate, rng.uniform(0, 1, len(frame)), rng.normal(0, 1, len(frame))))


def score_frame(units: int = 30) -> pd.DataFrame:
    rng = np.random.default_rng(4)
    return pd.DataFrame({"unit": np.arange(units), "score": rng.uniform(0, 1, units),
                         "amplitude": rng.uniform(0, 2, units)})


def by_step_frame(steps: int = 6) -> pd.DataFrame:
    """Backtest errors per step for two runs and two baselines: [method, step, mae, kind]."""
    rows = [(m, k, s, 1.0 + 0.1 * s + i) for i, (m, k) in enumerate(METHODS) for s in range(1, steps + 1)]
    return pd.DataFrame(rows, columns=["method", "kind", "step", "mae"])


METHODS = [("LSTM 8x1 · seed 0", "model"), ("GRU 8x1 · seed 0", "model"), ("seasonal_naive", "baseline"),
           ("ets", "baseline")]


def method_frames(order=None):
    """actual, forecasts, residuals and by_step frames over METHODS (optionally listed in another order)."""
    methods = [METHODS[i] for i in (order or range(len(METHODS)))]
    actual = series_frame(72).rename(columns={"value": "actual"})[["timestamp", "actual"]]
    tail = actual.tail(24)
    forecasts = pd.concat([pd.DataFrame({"timestamp": tail["timestamp"], "method": m, "forecast": tail["actual"] + i,
                                         "kind": k}) for i, (m, k) in enumerate(methods)], ignore_index=True)
    residuals = forecasts.rename(columns={"forecast": "residual"})[["timestamp", "method", "residual", "kind"]]
    by_step = by_step_frame()
    by_step = pd.concat([by_step[by_step["method"] == m] for m, _ in methods], ignore_index=True)
    return actual, forecasts, residuals, by_step


BUILDERS = {
    "series": lambda note="", dates=True: charts.plot_series(
        series_frame(dates=dates), value_title="load", period=24, phase_label="hour of day", note=note),
    "losses": lambda note="", dates=True: charts.plot_losses(history_frame(), note=note),
    "forecasts": lambda note="", dates=True: charts.plot_forecasts(
        *forecast_frames(dates=dates), holdout_start=times(72, dates)[48], note=note),
    "residuals": lambda note="", dates=True: charts.plot_residuals(residual_frame(dates=dates), note=note),
    "error_by_step": lambda note="", dates=True: charts.plot_error_by_step(by_step_frame(), note=note),
    "series_strip": lambda note="", dates=True: charts.plot_series_strip(
        series_frame(48, dates)[["timestamp", "value"]], note=note),
    "trajectories": lambda note="", dates=True: charts.plot_trajectories(
        long_frame(48, ["cell"], dates=dates, low=-1), note=note),
    "phase_cycle": lambda note="", dates=True: charts.plot_phase_cycle_heatmap(
        fold_frame(), gate_label="forget gate", phase_label="hour of day", note=note),
    "phase_profile": lambda note="", dates=True: charts.plot_phase_profile(
        profile_frame(), value_title="forget gate", phase_label="hour of day", note=note),
    "gate_heatmaps": lambda note="", dates=True: charts.plot_gate_heatmaps(
        long_frame(40, ["input", "forget"], dates=dates), note=note),
    "state_heatmap": lambda note="", dates=True: charts.plot_state_heatmap(
        long_frame(40, ["cell", "hidden"], dates=dates, low=-1), note=note),
    "saturation": lambda note="", dates=True: charts.plot_saturation(saturation_frame(), note=note),
    "walkthrough": lambda note="", dates=True: charts.plot_walkthrough(step_frame("lstm"), cell="lstm", note=note),
    "seasonality_scores": lambda note="", dates=True: charts.plot_seasonality_scores(score_frame(), k=5, note=note),
}
TIMED = ["series", "forecasts", "residuals", "series_strip", "trajectories", "gate_heatmaps", "state_heatmap"]


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


def subtitle(spec: dict) -> str:
    """The subtitle's lines joined back into one text."""
    return " ".join(spec["title"].get("subtitle", []))


def method_colour_map(spec: dict) -> dict[str, str]:
    """method -> colour from every colour scale on the `method` field of a spec."""
    found = {}
    for enc in encodings(spec, "color"):
        if enc.get("field") == "method" and "domain" in enc.get("scale", {}):
            for method, colour in zip(enc["scale"]["domain"], enc["scale"]["range"]):
                assert found.setdefault(method, colour) == colour, f"{method} has two colours in one chart"
    return found


def method_dashes(spec: dict) -> dict[str, list]:
    dash = [e for e in encodings(spec, "strokeDash") if e.get("field") == "method"][0]
    return dict(zip(dash["scale"]["domain"], dash["scale"]["range"]))


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
    "series": lambda: charts.plot_series(series_frame(TOO_MANY), value_title="load"),
    "losses": lambda: charts.plot_losses(history_frame(epochs=TOO_MANY)),
    "forecasts, together": lambda: charts.plot_forecasts(*forecast_frames(n=4_000, horizon=600)),
    "residuals": lambda: charts.plot_residuals(residual_frame(n=2_501)),
    "series_strip": lambda: charts.plot_series_strip(series_frame(TOO_MANY)[["timestamp", "value"]]),
    "trajectories": lambda: charts.plot_trajectories(long_frame(TOO_MANY, ["cell"], units=1)),
    "phase_profile": lambda: charts.plot_phase_profile(profile_frame(TOO_MANY), value_title="g", phase_label="p"),
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


# ---------------------------------------------------------------- one colour per method


def test_every_chart_of_a_fixed_set_of_methods_gives_each_method_the_same_colour():
    """Forecasts, residuals and the backtest's errors, with the app's mapping and without one, and
    with the methods listed in another order: one colour per method throughout."""
    runs = [(m, charts._cell_of(m)) for m, kind in METHODS if kind == "model"]
    mapping = charts.method_colours(runs)
    seen: dict[str, set] = {}
    for order in (None, [3, 2, 1, 0], [1, 3, 0, 2]):
        actual, forecasts, residuals, by_step = method_frames(order)
        for colours in (mapping, None):
            specs = [charts.plot_forecasts(actual, forecasts, colours=colours).to_dict(),
                     charts.plot_residuals(residuals, colours=colours).to_dict(),
                     charts.plot_error_by_step(by_step, colours=colours).to_dict()]
            for spec in specs:
                found = method_colour_map(spec)
                assert {m for m, _ in METHODS} <= set(found)
                for method, colour in found.items():
                    seen.setdefault(method, set()).add(colour)
    assert all(len(colours) == 1 for colours in seen.values()), seen
    assert len({next(iter(c)) for c in seen.values()}) == len(seen)  # and no two methods share one


def test_method_colours_are_fixed_by_the_runs_on_the_data_never_by_the_runs_shown():
    runs = [("LSTM a", "lstm"), ("GRU a", "gru"), ("LSTM b", "lstm"), ("RNN a", "rnn"), ("LSTM c", "lstm")]
    everything = charts.method_colours(runs)
    assert charts.method_colours(runs[:2])["GRU a"] == everything["GRU a"] == charts.MODEL_COLOURS["gru"]
    assert everything["LSTM c"] == charts.MODEL_COLOURS["lstm"]  # the newest run of a cell: the cell's colour
    assert everything["LSTM b"] == charts.SIBLING_COLOURS["lstm"]  # the one before: the same hue, lighter
    assert everything["LSTM a"] == charts.EXTRA_MODEL_COLOURS[0]
    assert everything["RNN a"] == charts.MODEL_COLOURS["rnn"]
    assert len(set(everything.values())) == len(everything)
    for name, colour in charts.BASELINE_COLOURS.items():
        assert everything[name] == colour
    assert everything[charts.ACTUAL] == charts.NEUTRAL


def test_method_palettes_are_distinct_and_not_the_themes_text_colours():
    palette = [*charts.MODEL_COLOURS.values(), *charts.SIBLING_COLOURS.values(), *charts.BASELINE_COLOURS.values(),
               *charts.EXTRA_MODEL_COLOURS]
    assert len(set(palette)) == len(palette)
    assert set(charts.MODEL_COLOURS) == set(charts.SIBLING_COLOURS) == set(charts.CELLS)


@pytest.mark.parametrize("name", ["forecasts", "residuals", "error_by_step"])
def test_baselines_are_dashed_and_thinner_models_solid(name):
    spec = BUILDERS[name]().to_dict()
    dashes = method_dashes(spec)
    kinds = {"seasonal_naive": "baseline", "ets": "baseline"}
    for method, dash in dashes.items():
        solid = dash in ([1, 0], (1, 0))
        assert solid is (kinds.get(method, "model") != "baseline"), (method, dash)
    width = [e for e in encodings(spec, "strokeWidth") if e.get("field") == "kind"][0]["scale"]
    widths = dict(zip(width["domain"], width["range"]))
    assert widths["baseline"] < widths["model"]


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


def test_a_long_series_binned_with_its_range_draws_an_envelope():
    frame = series_frame(400).assign(value_min=lambda d: d["value"] - 0.2, value_max=lambda d: d["value"] + 0.2)
    spec = charts.plot_series(frame, value_title="load").to_dict()
    assert "area" in mark_types(spec)
    assert any(e.get("field") == "value_max" for e in encodings(spec, "y2"))
    assert "lowest to highest" in subtitle(spec)


@pytest.mark.parametrize("name, expected", [("0", "value of column 0"), (" 12 ", "value of column 12"),
                                            ("temp_f", "temp_f"), ("Passengers", "Passengers")])
def test_a_bare_number_never_becomes_a_title_on_its_own(name, expected):
    assert charts.column_title(name) == expected
    spec = charts.plot_series(series_frame(), value_title=name).to_dict()
    assert spec["title"]["text"] == expected


def test_step_mod_is_said_in_words():
    assert charts.plain_phase("step mod 127") == "step within the 127-step season"
    assert charts.plain_phase("month of year") == "month of year"
    spec = charts.plot_phase_profile(profile_frame(), value_title="f", phase_label="step mod 24").to_dict()
    assert "step mod" not in str(spec)


# ---------------------------------------------------------------- selections


@pytest.mark.parametrize("name", ["forecasts", "residuals", "error_by_step"])
def test_a_legend_click_isolates_a_method_and_the_subtitle_says_so(name):
    spec = BUILDERS[name]().to_dict()
    pick = params(spec)["pick"]
    assert pick["bind"] == "legend" and pick["select"] == {"type": "point", "fields": ["method"]}
    opacity_params = [c["param"] for o in encodings(spec, "opacity") for c in o.get("condition", [])]
    assert "pick" in opacity_params
    assert "a click shows one method, shift-click adds another" in subtitle(spec)


@pytest.mark.parametrize("name", ["forecasts", "residuals", "series"])
def test_scrolling_zooms_the_time_axis(name):
    assert params(BUILDERS[name]().to_dict())["zoom"]["bind"] == "scales"


def test_forecasts_mark_the_holdout_and_the_future_and_draw_the_actual_gray():
    actual, forecasts = forecast_frames()
    future = forecasts.assign(timestamp=forecasts["timestamp"] + pd.Timedelta(hours=24))
    spec = charts.plot_forecasts(actual, pd.concat([forecasts, future]), holdout_start=times(72)[48]).to_dict()
    assert {"line", "rule", "text"} <= mark_types(spec)
    labels = {row.get("label") for rows in spec["datasets"].values() for row in rows}
    assert {"holdout", "future"} <= labels
    assert method_colour_map(spec)[charts.ACTUAL] == charts.NEUTRAL


def test_forecast_bands_take_their_methods_colour():
    actual, forecasts = forecast_frames()
    bands = forecasts.assign(lower=forecasts["forecast"] - 1, upper=forecasts["forecast"] + 1)[
        ["timestamp", "method", "lower", "upper"]]
    spec = charts.plot_forecasts(actual, forecasts, bands=bands).to_dict()
    assert "area" in mark_types(spec) and "80% interval" in subtitle(spec)
    scales = [e["scale"] for e in encodings(spec, "color") if e.get("field") == "method"]
    assert all(s == scales[0] for s in scales)


def test_residuals_draw_a_zero_rule_and_points():
    spec = BUILDERS["residuals"]().to_dict()
    assert {"rule", "line", "point"} <= mark_types(spec)


def test_trajectories_share_the_series_strips_time_axis():
    domain = (times(48)[0], times(48)[-1])
    strip = charts.plot_series_strip(series_frame(48)[["timestamp", "value"]], time_domain=domain).to_dict()
    states = charts.plot_trajectories(long_frame(48, ["cell"], low=-1), time_domain=domain).to_dict()
    domains = [x["scale"]["domain"] for spec in (strip, states) for x in encodings(spec, "x") if "scale" in x]
    assert domains and all(d == domains[0] for d in domains)
    assert {(c["field"], c["type"]) for c in encodings(states, "color")} == {("unit", "nominal")}


def test_series_shades_alternate_cycles():
    spec = BUILDERS["series"]().to_dict()
    assert "rect" in mark_types(spec) and "24 steps (hour of day)" in subtitle(spec)
    bands = [rows for rows in spec["datasets"].values() if "start" in rows[0]][0]
    assert [b["cycle"] for b in bands] == [1, 3]  # of cycles 0..3, the odd ones are shaded


def test_series_without_cycles_has_no_shading():
    spec = charts.plot_series(series_frame().drop(columns="cycle"), value_title="load").to_dict()
    assert "rect" not in mark_types(spec)


# ---------------------------------------------------------------- colour scales


@pytest.mark.parametrize("build", [
    lambda fixed: charts.plot_phase_cycle_heatmap(fold_frame(low=0.4).assign(value=lambda d: d["value"] * 0.5 + 0.2),
                                                  gate_label="f", phase_label="hour", fixed_scale=fixed),
    lambda fixed: charts.plot_gate_heatmaps(long_frame(20, ["forget"]).assign(value=lambda d: 0.4 + d["value"] / 10),
                                            fixed_scale=fixed),
])
def test_gate_colours_fit_the_values_unless_fixed(build):
    """A 0.40-0.50 swing drawn on 0-1 looks flat: fitted by default, 0-1 on request, and said so."""
    fitted, fixed = build(False).to_dict(), build(True).to_dict()
    values = [row["value"] for row in max(fitted["datasets"].values(), key=len)]
    assert colour_scales(fitted)[0]["domain"] == pytest.approx([min(values), max(values)])
    assert "fitted" in subtitle(fitted)
    assert {"scheme": "viridis", "domain": [0.0, 1.0]} in colour_scales(fixed) and "fixed 0-1" in subtitle(fixed)


def test_a_gate_profile_fits_its_y_axis_unless_fixed():
    profile = profile_frame().assign(mean=0.45, q25=0.42, q75=0.48)
    fitted = charts.plot_phase_profile(profile, value_title="f", phase_label="hour").to_dict()
    fixed = charts.plot_phase_profile(profile, value_title="f", phase_label="hour", fixed_scale=True).to_dict()
    assert [y["scale"]["domain"] for y in encodings(fitted, "y") if "domain" in y.get("scale", {})][0] == \
        pytest.approx([0.42, 0.48])
    assert any(y.get("scale", {}).get("domain") == [0.0, 1.0] for y in encodings(fixed, "y"))


def test_walkthrough_gates_keep_the_fixed_unit_domain():
    assert {"scheme": "viridis", "domain": [0, 1]} in colour_scales(BUILDERS["walkthrough"]().to_dict())


@pytest.mark.parametrize("build", [
    lambda: charts.plot_state_heatmap(long_frame(20, ["cell"], low=-1)),
    lambda: charts.plot_phase_cycle_heatmap(fold_frame(low=-1), gate_label="cell", phase_label="hour"),
])
def test_signed_values_diverge_symmetrically_about_zero(build):
    scale = colour_scales(build().to_dict())[0]
    assert scale["scheme"] == "blueorange" and scale["domain"][0] == -scale["domain"][1] < 0


def test_state_heatmaps_give_each_quantity_its_own_legend():
    spec = BUILDERS["state_heatmap"]().to_dict()
    assert spec["resolve"]["scale"]["color"] == "independent"
    assert sorted(c["title"] for c in encodings(spec, "color")) == ["cell", "hidden"]


def test_gate_heatmaps_send_signed_quantities_elsewhere():
    with pytest.raises(ValueError, match=r"\['cell'\].*plot_state_heatmap"):
        charts.plot_gate_heatmaps(pd.concat([long_frame(10, ["forget"]), long_frame(10, ["cell"], low=-1)]))


def test_gate_heatmap_cells_tile_the_time_axis():
    spec = charts.plot_gate_heatmaps(long_frame(5, ["input"], units=1, dates=False, time="step")).to_dict()
    rows = max(spec["datasets"].values(), key=len)
    assert [(r["step"], r["time_end"]) for r in rows] == [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5)]


def test_gate_heatmaps_stack_every_gate_as_a_block_of_rows_in_one_view():
    spec = charts.plot_gate_heatmaps(long_frame(6, ["input", "forget", "output"], units=4)).to_dict()
    y = [e for e in encodings(spec, "y") if e.get("field") == "row" and "sort" in e][0]
    assert y["sort"][:5] == ["input 0", "input 1", "input 2", "input 3", "forget 0"]
    assert {"input 0", "forget 0", "output 0"} <= set(y["axis"]["values"])  # every block's first row is labelled


# ---------------------------------------------------------------- gates by season


@pytest.mark.parametrize("period, n_steps, n_lines", [(12, 144, 192), (24, 8_760, 24), (168, 8_760, 3), (7, 700, 12)])
def test_heatmap_bins_are_at_most_a_tenth_of_a_season(period, n_steps, n_lines):
    width, span = charts.heatmap_window(n_steps, n_lines, period)
    assert 1 <= width <= max(1, period // 10)
    assert math.ceil(span / width) * n_lines <= charts.MAX_ROWS and span <= n_steps


def test_heatmap_bins_without_a_season_cover_the_whole_series():
    width, span = charts.heatmap_window(10_000, 8, None)
    assert span == 10_000 and math.ceil(10_000 / width) * 8 <= charts.MAX_ROWS


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
    names, axis_title = charts.cycle_names(starts)
    assert list(names.values()) == expected and axis_title == title


def test_the_heatmap_shows_cycle_names_and_the_profile_lines_up_under_it():
    names = {c: str(1949 + c) for c in range(10)}
    heat = charts.plot_phase_cycle_heatmap(fold_frame(phases=12), gate_label="f", phase_label="month of year",
                                           period=12, cycle_labels=names, cycle_title="year").to_dict()
    profile = charts.plot_phase_profile(profile_frame(phases=12), value_title="f", phase_label="month of year",
                                        period=12).to_dict()
    y = [e for e in encodings(heat, "y") if e.get("field") == "cycle_name"][0]
    assert y["sort"] == [str(1949 + c) for c in range(10)] and y["title"] == "year"
    scales = [x["scale"] for spec in (heat, profile) for x in encodings(spec, "x") if "scale" in x]
    assert scales and all(s["domain"] == [-0.5, 11.5] for s in scales)  # one shared phase axis
    extents = [(a["minExtent"], a["maxExtent"]) for spec in (heat, profile) for e in encodings(spec, "y")
               for a in [e.get("axis")] if isinstance(a, dict) and "minExtent" in a]
    assert extents and set(extents) == {(charts.AXIS_EXTENT, charts.AXIS_EXTENT)}


def test_a_long_gate_legend_title_is_never_cut():
    spec = charts.plot_phase_cycle_heatmap(fold_frame(), gate_label="update gate z (keep-the-past gate)",
                                           phase_label="hour of day").to_dict()
    legend = [c["legend"] for c in encodings(spec, "color")][0]
    assert legend["orient"] == "top" and legend["titleLimit"] >= 300


def test_phase_cycle_heatmap_groups_cycles_to_stay_under_the_row_limit():
    spec = charts.plot_phase_cycle_heatmap(fold_frame(cycles=300), gate_label="f", phase_label="hour").to_dict()
    assert largest_dataset(spec) <= charts.MAX_ROWS
    assert "groups of 2" in subtitle(spec)
    y = [e for e in encodings(spec, "y") if e.get("field") == "cycle_name"][0]
    assert y["type"] == "ordinal" and len(y["axis"]["values"]) <= 12


def test_phase_cycle_heatmap_averages_duplicate_cells():
    fold = pd.concat([fold_frame().assign(value=0.2), fold_frame().assign(value=0.6)])
    spec = charts.plot_phase_cycle_heatmap(fold, gate_label="f", phase_label="hour").to_dict()
    values = [row["value"] for row in max(spec["datasets"].values(), key=len)]
    assert len(values) == 240 and np.allclose(values, 0.4)


@pytest.mark.parametrize("units, coloured_by_unit", [(0, False), (1, False), (3, True)])
def test_phase_profile_draws_a_band_and_colours_by_unit_only_for_several(units, coloured_by_unit):
    spec = charts.plot_phase_profile(profile_frame(units=units), value_title="forget gate",
                                     phase_label="hour").to_dict()
    assert {"area", "line"} <= mark_types(spec)
    assert any(d["encoding"].get("y2", {}).get("field") == "q75" for d in walk(spec) if "encoding" in d)
    assert bool(encodings(spec, "color")) is coloured_by_unit


def test_the_series_profile_is_gray_and_keeps_its_own_scale():
    spec = charts.plot_phase_profile(profile_frame(scale=100.0), value_title="load", phase_label="hour",
                                     gate=False).to_dict()
    assert {d["mark"].get("color") for d in walk(spec) if isinstance(d.get("mark"), dict)} & {charts.NEUTRAL}
    assert not any(y.get("scale", {}).get("domain") for y in encodings(spec, "y"))


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
    assert rule_rows[0]["epoch"] == 3 and "best epoch 3" in subtitle(spec)


def test_saturation_cites_karpathy_and_draws_the_triangle_edge():
    spec = BUILDERS["saturation"]().to_dict()
    assert "Karpathy et al. 2015" in subtitle(spec) and "> 0.9" in subtitle(spec)
    edge_rows = [rows for rows in spec["datasets"].values() if "x2" in rows[0]][0]
    assert edge_rows == [{"x": 0, "y": 1, "x2": 1, "y2": 0}]
    assert {c["field"] for c in encodings(spec, "color")} == {"gate"}


def test_saturation_counts_points_on_top_of_each_other_and_says_so():
    """A small model's 192 gates all at (0, 0) were one dot: now one dot per gate, sized by its count."""
    sat = saturation_frame(units=64).assign(frac_low=0.0, frac_high=0.0)
    spec = charts.plot_saturation(sat).to_dict()
    rows = [r for rows in spec["datasets"].values() for r in rows if "count" in r]
    assert sorted(r["count"] for r in rows) == [64, 64, 64]
    assert len({(r["px"], r["py"]) for r in rows}) == 3 and {r["label"] for r in rows} == {"64"}  # nudged apart
    assert [e["field"] for e in encodings(spec, "size")] == ["count"]
    assert "labelled by their count" in subtitle(spec) and "64 of 192" in subtitle(spec)


@pytest.mark.parametrize("cell", list(charts.WALKTHROUGH_ORDER))
def test_walkthrough_labels_every_row_in_equation_order(cell):
    """The GRU showed 4 of its 8 row labels and the RNN 2 of 4: every row now has room and a name."""
    order = charts.WALKTHROUGH_ORDER[cell]
    spec = charts.plot_walkthrough(step_frame(cell), cell=cell).to_dict()
    y = [e for e in encodings(spec, "y") if e.get("field") == "row"][0]
    assert len(y["sort"]) == len(order) == len(set(y["sort"]))
    assert all(label.startswith(symbol + "  ") for symbol, label in zip(order, y["sort"]))
    assert y["axis"]["labelOverlap"] is False
    assert spec["height"] >= 150 + 24 * len(order)
    has_gates = bool(set(cells.get(cell).walkthrough_gates) & set(order))
    assert ({"scheme": "viridis", "domain": [0, 1]} in colour_scales(spec)) is has_gates


def test_walkthrough_refuses_an_unknown_cell():
    with pytest.raises(ValueError, match=r"'transformer'.*'lstm', 'gru', 'rnn'"):
        charts.plot_walkthrough(step_frame("lstm"), cell="transformer")


def test_seasonality_scores_keep_the_top_k_of_any_number_of_units():
    scores = score_frame(units=6_000)
    spec = charts.plot_seasonality_scores(scores, k=7).to_dict()
    rows = max(spec["datasets"].values(), key=len)
    assert sorted(r["unit"] for r in rows) == sorted(scores.nlargest(7, "score")["unit"])
    assert encodings(spec, "y")[0]["sort"] == "-x" and "top 7 of 6000" in subtitle(spec)


def test_units_of_several_layers_get_distinct_labels_with_layers_counted_from_one():
    scores = pd.concat([score_frame(3).assign(layer=0), score_frame(3).assign(layer=1, score=0.99)])
    spec = charts.plot_seasonality_scores(scores, k=6).to_dict()
    rows = max(spec["datasets"].values(), key=len)
    assert {r["unit"] for r in rows} == {"1 · 0", "1 · 1", "1 · 2", "2 · 0", "2 · 1", "2 · 2"}
    assert encodings(spec, "y")[0]["title"] == "layer · unit"


# ---------------------------------------------------------------- boundaries


def test_charts_module_does_not_import_streamlit():
    tree = ast.parse(inspect.getsource(charts))
    names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    names += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert not [n for n in names if n.split(".")[0] == "streamlit"]


def test_builders_return_altair_charts():
    kinds = {name: type(build()) for name, build in BUILDERS.items()}
    assert all(issubclass(k, alt.TopLevelMixin) for k in kinds.values()), kinds
