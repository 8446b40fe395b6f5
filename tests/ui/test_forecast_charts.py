"""The series, training and forecast charts: one colour per method, legend selections, zoom, markers and bands."""
from __future__ import annotations

import pandas as pd
import pytest

from lstm_forecast import cells
from lstm_forecast.ui import charts, forecast_charts
from tests.ui.chart_samples import (times, series_frame, forecast_frames, history_frame, METHODS,
                                    method_frames, BUILDERS, encodings, mark_types, params, subtitle,
                                    method_colour_map, method_dashes)


# ---------------------------------------------------------------- one colour per method


def test_every_chart_of_a_fixed_set_of_methods_gives_each_method_the_same_colour():
    """Forecasts, residuals and the backtest's errors, with the app's mapping and without one, and
    with the methods listed in another order: one colour per method throughout."""
    runs = [(m, forecast_charts._cell_of(m)) for m, kind in METHODS if kind == "model"]
    mapping = forecast_charts.method_colours(runs)
    seen: dict[str, set] = {}
    for order in (None, [3, 2, 1, 0], [1, 3, 0, 2]):
        actual, forecasts, residuals, by_step = method_frames(order)
        for colours in (mapping, None):
            specs = [forecast_charts.plot_forecasts(actual, forecasts, colours=colours).to_dict(),
                     forecast_charts.plot_residuals(residuals, colours=colours).to_dict(),
                     forecast_charts.plot_error_by_step(by_step, colours=colours).to_dict()]
            for spec in specs:
                found = method_colour_map(spec)
                assert {m for m, _ in METHODS} <= set(found)
                for method, colour in found.items():
                    seen.setdefault(method, set()).add(colour)
    assert all(len(colours) == 1 for colours in seen.values()), seen
    assert len({next(iter(c)) for c in seen.values()}) == len(seen)  # and no two methods share one


def test_method_colours_are_fixed_by_the_runs_on_the_data_never_by_the_runs_shown():
    runs = [("LSTM a", "lstm"), ("GRU a", "gru"), ("LSTM b", "lstm"), ("RNN a", "rnn"), ("LSTM c", "lstm")]
    everything = forecast_charts.method_colours(runs)
    assert forecast_charts.method_colours(runs[:2])["GRU a"] == everything["GRU a"] == forecast_charts.MODEL_COLOURS["gru"]
    assert everything["LSTM c"] == forecast_charts.MODEL_COLOURS["lstm"]  # the newest run of a cell: the cell's colour
    assert everything["LSTM b"] == forecast_charts.SIBLING_COLOURS["lstm"]  # the one before: the same hue, lighter
    assert everything["LSTM a"] == forecast_charts.EXTRA_MODEL_COLOURS[0]
    assert everything["RNN a"] == forecast_charts.MODEL_COLOURS["rnn"]
    assert len(set(everything.values())) == len(everything)
    for name, colour in forecast_charts.BASELINE_COLOURS.items():
        assert everything[name] == colour
    assert everything[forecast_charts.ACTUAL] == charts.NEUTRAL


def test_method_palettes_are_distinct_and_not_the_themes_text_colours():
    palette = [*forecast_charts.MODEL_COLOURS.values(), *forecast_charts.SIBLING_COLOURS.values(), *forecast_charts.BASELINE_COLOURS.values(),
               *forecast_charts.EXTRA_MODEL_COLOURS]
    assert len(set(palette)) == len(palette)
    assert set(forecast_charts.MODEL_COLOURS) == set(forecast_charts.SIBLING_COLOURS) == set(cells.CELLS)


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
    spec = forecast_charts.plot_forecasts(actual, pd.concat([forecasts, future]), holdout_start=times(72)[48]).to_dict()
    assert {"line", "rule", "text"} <= mark_types(spec)
    labels = {row.get("label") for rows in spec["datasets"].values() for row in rows}
    assert {"holdout", "future"} <= labels
    assert method_colour_map(spec)[forecast_charts.ACTUAL] == charts.NEUTRAL


def test_forecast_bands_take_their_methods_colour():
    actual, forecasts = forecast_frames()
    bands = forecasts.assign(lower=forecasts["forecast"] - 1, upper=forecasts["forecast"] + 1)[
        ["timestamp", "method", "lower", "upper"]]
    spec = forecast_charts.plot_forecasts(actual, forecasts, bands=bands).to_dict()
    assert "area" in mark_types(spec) and "80% interval" in subtitle(spec)
    scales = [e["scale"] for e in encodings(spec, "color") if e.get("field") == "method"]
    assert all(s == scales[0] for s in scales)


def test_residuals_draw_a_zero_rule_and_points():
    spec = BUILDERS["residuals"]().to_dict()
    assert {"rule", "line", "point"} <= mark_types(spec)


# ---------------------------------------------------------------- the series


def test_series_shades_alternate_cycles():
    spec = BUILDERS["series"]().to_dict()
    assert "rect" in mark_types(spec) and "24 steps (hour of day)" in subtitle(spec)
    bands = [rows for rows in spec["datasets"].values() if "start" in rows[0]][0]
    assert [b["cycle"] for b in bands] == [1, 3]  # of cycles 0..3, the odd ones are shaded


def test_series_without_cycles_has_no_shading():
    spec = forecast_charts.plot_series(series_frame().drop(columns="cycle"), value_title="load").to_dict()
    assert "rect" not in mark_types(spec)


def test_a_long_series_binned_with_its_range_draws_an_envelope():
    frame = series_frame(400).assign(value_min=lambda d: d["value"] - 0.2, value_max=lambda d: d["value"] + 0.2)
    spec = forecast_charts.plot_series(frame, value_title="load").to_dict()
    assert "area" in mark_types(spec)
    assert any(e.get("field") == "value_max" for e in encodings(spec, "y2"))
    assert "lowest to highest" in subtitle(spec)


# ---------------------------------------------------------------- the training


@pytest.mark.parametrize("first, last, log", [(100.0, 0.5, True), (1.0, 0.1, False)])
def test_losses_go_log_past_a_hundredfold_range(first, last, log):
    spec = forecast_charts.plot_losses(history_frame(first, last)).to_dict()
    y_scale = [y.get("scale", {}) for y in encodings(spec, "y") if y["field"] == "loss"][0]
    assert (y_scale.get("type") == "log") is log


def test_losses_rule_the_best_validation_epoch():
    history = history_frame().assign(val_loss=[5.0, 3.0, 1.0, 2.0, 4.0, 6.0])
    spec = forecast_charts.plot_losses(history).to_dict()
    rule_rows = [rows for rows in spec["datasets"].values() if "best" in rows[0]][0]
    assert rule_rows[0]["epoch"] == 3 and "best epoch 3" in subtitle(spec)
