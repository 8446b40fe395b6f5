"""Chart builders for the series, the training and the forecasts: Data, Train and Compare.

Pure, no Streamlit; the conventions (MAX_ROWS, `note`, layout, colour) are charts.py's. Every method
keeps one colour in all of them: `method_colours`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import altair as alt
import numpy as np
import pandas as pd

from ..cells import CELLS, by_name
from .charts import (NEUTRAL, TABLEAU10, aligned_y_axis, chart_title, check_frame, column_title, encode_time,
                     hover_points, ordered_unique, plain_phase, top_legend)

ACTUAL = "actual"  # the method name of the actual series in the forecast chart
MODEL_COLOURS = by_name("colour")  # the registry's, live (Okabe & Ito 2008 for the built-in cells)
SIBLING_COLOURS = by_name("light_colour")  # a cell's run before its newest: the same hue, lighter
EXTRA_MODEL_COLOURS = ("#228833", "#CCBB44", "#EE6677", "#4477AA", "#66CCEE")  # Tol's bright: older runs still
BASELINE_COLOURS = {  # Paul Tol's muted scheme, mid-lightness: muted beside the models on both themes
    "seasonal_naive": "#999933", "naive": "#AA4499", "drift": "#CC6677", "ets": "#6699CC",
}
BASELINE_DASHES = {"seasonal_naive": [6, 3], "naive": [2, 3], "drift": [8, 3, 2, 3], "ets": [4, 2]}
OTHER_DASH = [5, 3]
KIND_WIDTHS = {ACTUAL: 2.0, "model": 2.4, "baseline": 1.5}  # px: models stand out, baselines recede


# ---------------------------------------------------------------- one colour per method


def _cell_of(method: str) -> str:
    """The registered cell a method names ('lstm', or a run label starting 'LSTM '), else ''."""
    for cell in sorted(CELLS.values(), key=lambda c: -len(c.label)):
        if method in (cell.name, cell.label) or method.startswith(cell.label + " "):
            return cell.name
    return ""


def method_colours(runs: Sequence[tuple[str, str]] = ()) -> dict[str, str]:
    """Method -> colour for every chart: the actual series, every baseline, and `runs`.

    runs: (label, cell) of the model runs, oldest first. A cell's newest run gets the cell's colour
    (the run just trained is the LSTM's blue), the one before it the same hue lighter, older runs the
    extra colours in turn. Give every run on the data, not only those shown: a run keeps its colour in
    every chart, across reruns and sessions, until a newer run of its cell is trained.
    """
    colours = {ACTUAL: NEUTRAL, **BASELINE_COLOURS}
    seen: dict[str, int] = {}  # cell -> runs of it coloured so far, newest first
    extra = 0
    for label, cell in reversed(runs):
        if label in colours:
            continue
        rank = seen.get(cell, 0)
        seen[cell] = rank + 1
        if cell in MODEL_COLOURS and rank < 2:
            colours[label] = (MODEL_COLOURS if rank == 0 else SIBLING_COLOURS)[cell]
        else:
            colours[label] = EXTRA_MODEL_COLOURS[extra % len(EXTRA_MODEL_COLOURS)]
            extra += 1
    return colours


def _method_styles(frame: pd.DataFrame, colours: Mapping[str, str] | None) -> dict:
    """Colour, dash and width encodings of frame[method, kind] (kind: actual, model or baseline).

    Without `colours`, the methods present decide them (models sorted by name), never their order.
    """
    kinds = frame.drop_duplicates("method").set_index("method")["kind"].astype(str)
    models = [m for m in kinds.index if kinds[m] == "model"]
    order = ([m for m in kinds.index if kinds[m] == ACTUAL] + models
             + ordered_unique([m for m in kinds.index if kinds[m] not in (ACTUAL, "model")], list(BASELINE_COLOURS)))
    known = dict(colours) if colours is not None else method_colours([(m, _cell_of(m)) for m in sorted(models)])
    unknown = sorted(m for m in order if m not in known)
    known |= {m: EXTRA_MODEL_COLOURS[-1 - i % len(EXTRA_MODEL_COLOURS)] for i, m in enumerate(unknown)}
    dashes = [[1, 0] if kinds[m] in (ACTUAL, "model") else BASELINE_DASHES.get(m, OTHER_DASH) for m in order]
    legend = top_legend(orient="bottom", columns=1, symbolType="stroke", symbolStrokeWidth=2.5, symbolOpacity=1,
                     title="method")
    scale = alt.Scale(domain=order, range=[known[m] for m in order])
    return {
        "order": order,
        "scale": scale,
        "color": alt.Color("method:N", title="method", sort=order, legend=legend, scale=scale),
        "strokeDash": alt.StrokeDash("method:N", title="method", sort=order, legend=legend,
                                     scale=alt.Scale(domain=order, range=dashes)),
        "strokeWidth": alt.StrokeWidth("kind:O", legend=None, sort=list(KIND_WIDTHS), scale=alt.Scale(
            domain=list(KIND_WIDTHS), range=list(KIND_WIDTHS.values()))),
    }


def _with_kind(frame: pd.DataFrame) -> pd.DataFrame:
    """frame with a `kind` column: baseline for the baselines' names, model otherwise, unless it has one."""
    if "kind" in frame.columns:
        return frame
    return frame.assign(kind=np.where(frame["method"].isin(list(BASELINE_COLOURS)), "baseline", "model"))


LEGEND_HINT = "legend: a click shows one method, shift-click adds another, a double-click on the plot shows all"


# ---------------------------------------------------------------- the series and the training


def plot_series(
    df: pd.DataFrame, *, value_title: str, period: int | None = None, phase_label: str | None = None,
    note: str = "",
) -> alt.LayerChart:
    """df[timestamp, value, (cycle), (value_min, value_max)] -> the series; scrolling zooms, dragging pans.

    With a `cycle` column every other cycle is shaded lightly, so the season shows. With
    `value_min`/`value_max` (a binned series) the band spans each bin, so a long series reads as
    its envelope instead of a solid block of zig-zags.
    """
    check_frame(df, ["timestamp", "value"], builder="plot_series", arg="df")
    value_title = column_title(value_title)
    zoom = alt.selection_interval(name="zoom", bind="scales", encodings=["x"])
    tooltip = [encode_time(df, channel=alt.Tooltip), alt.Tooltip("value:Q", title=value_title, format=",.4~g")]
    tooltip += [alt.Tooltip(f"{c}:Q", title=c) for c in ("cycle", "phase") if c in df.columns]
    y = alt.Y("value:Q", title=value_title, scale=alt.Scale(zero=False), axis=aligned_y_axis())
    line = alt.Chart(df).encode(x=encode_time(df, scale=alt.Scale(nice=False)), y=y)
    layers = [line.mark_line(clip=True).add_params(zoom),
              hover_points(line, tooltip, fields=["timestamp"], name="hover")]
    parts = []
    if period:
        parts.append(f"season: {period} steps" + (f" ({plain_phase(phase_label)})" if phase_label else ""))
    if {"value_min", "value_max"} <= set(df.columns):
        band = alt.Chart(df).mark_area(opacity=0.3, clip=True).encode(
            x=encode_time(df), y=alt.Y("value_min:Q", title=value_title), y2="value_max:Q")
        layers.insert(0, band)
        parts.append("line: mean of each bin; band: its lowest to highest value")
    if "cycle" in df.columns and df["cycle"].nunique() > 1:
        starts = df.groupby("cycle", sort=True)["timestamp"].min()
        bands = pd.DataFrame({"cycle": starts.index, "start": starts.values,
                              "end": list(starts.values[1:]) + [df["timestamp"].max()]}).iloc[1::2]
        shading = alt.Chart(bands).mark_rect(color=NEUTRAL, opacity=0.12, clip=True).encode(
            x=encode_time(bands, "start"), x2="end", tooltip=[alt.Tooltip("cycle:Q", title="cycle")]
        )
        layers.insert(0, shading)
        parts.append("shading marks every other cycle")
    parts.append("scroll to zoom, drag to pan, double-click to reset")
    return alt.layer(*layers).properties(title=chart_title(value_title, *parts, note=note), width="container",
                                         height=320)


def plot_losses(history: pd.DataFrame, *, note: str = "") -> alt.LayerChart:
    """history[epoch, train_loss, val_loss] -> two loss lines (log y past a 100x range), best epoch ruled."""
    check_frame(history, ["epoch", "train_loss"], builder="plot_losses", arg="history")
    splits = {"train_loss": "train", "val_loss": "validation"}
    long = history.melt(id_vars="epoch", value_vars=[c for c in splits if c in history.columns],
                        var_name="split", value_name="loss").dropna(subset=["loss"])
    long["split"] = long["split"].map(splits)
    loss = long["loss"]
    log = bool(len(loss)) and loss.min() > 0 and loss.max() > 100 * loss.min()
    y = alt.Y("loss:Q", title="loss (log scale)" if log else "loss", axis=aligned_y_axis(),
              scale=alt.Scale(type="log") if log else alt.Scale(zero=False))
    tooltip = ["epoch:Q", "split:N", alt.Tooltip("loss:Q", format=".4~g")]
    lines = alt.Chart(long).mark_line(point=True).encode(
        x=alt.X("epoch:Q", title="epoch", axis=alt.Axis(tickMinStep=1)), y=y,
        color=alt.Color("split:N", title=None, legend=top_legend(),
                        scale=alt.Scale(domain=["train", "validation"], range=[NEUTRAL, TABLEAU10[1]])),
        tooltip=tooltip,
    )
    by = "val_loss" if "val_loss" in history.columns and history["val_loss"].notna().any() else "train_loss"
    if history[by].notna().any():
        best = history.loc[history[by].idxmin()]
        label = f"best epoch {int(best['epoch'])} ({splits[by]} loss {best[by]:.4g})"
        rule = alt.Chart(pd.DataFrame({"epoch": [best["epoch"]], "best": [label]})).mark_rule(
            color=NEUTRAL, strokeDash=[4, 3], size=2).encode(x="epoch:Q", tooltip=["best:N"])
        return alt.layer(lines, rule).properties(
            title=chart_title("Training and validation loss", label, note=note), width="container", height=320)
    return lines.properties(title=chart_title("Training and validation loss", "no epochs yet", note=note),
                            width="container", height=320)


# ---------------------------------------------------------------- forecasts


def plot_forecasts(
    actual: pd.DataFrame, forecasts: pd.DataFrame, *, bands: pd.DataFrame | None = None, holdout_start=None,
    colours: Mapping[str, str] | None = None, value_title: str = "value", note: str = ""
) -> alt.LayerChart:
    """actual[timestamp, actual, (actual_min, actual_max)] + forecasts[timestamp, method, forecast, kind].

    One line per method in its colour from `colours` (see `method_colours`): models ("model")
    solid, baselines ("baseline") thinner and dashed, the actual series gray. A legend click shows
    one method, shift-click adds another, a double-click shows all; scrolling zooms the time axis.
    bands[timestamp, method, lower, upper]: each method's interval, shaded in its colour. With
    `actual_min`/`actual_max` (a binned history) the actual's band spans each bin.
    """
    check_frame(actual, ["timestamp", "actual"], builder="plot_forecasts", arg="actual")
    check_frame(forecasts, ["timestamp", "method", "forecast", "kind"], builder="plot_forecasts", arg="forecasts")
    columns = ["timestamp", "method", "kind", "value"]
    frame = pd.concat([
        actual.rename(columns={"actual": "value"}).assign(method=ACTUAL, kind=ACTUAL)[columns],
        forecasts.rename(columns={"forecast": "value"})[columns],
    ], ignore_index=True)
    check_frame(frame, [], builder="plot_forecasts", arg="actual and forecasts together")
    value_title = column_title(value_title)
    style = _method_styles(frame, colours)
    pick = alt.selection_point(name="pick", fields=["method"], bind="legend")
    zoom = alt.selection_interval(name="zoom", bind="scales", encodings=["x"])
    base = alt.Chart(frame).encode(
        x=encode_time(frame, scale=alt.Scale(nice=False)),
        y=alt.Y("value:Q", title=value_title, scale=alt.Scale(zero=False), axis=aligned_y_axis()),
        color=style["color"],
    )
    lines = base.mark_line(clip=True).encode(
        strokeDash=style["strokeDash"], strokeWidth=style["strokeWidth"],
        opacity=alt.when(pick).then(alt.value(1)).otherwise(alt.value(0.12)),
    ).add_params(pick, zoom)
    tooltip = [encode_time(frame, channel=alt.Tooltip), "method:N", "kind:N",
               alt.Tooltip("value:Q", title=value_title, format=",.4~g")]
    layers = [lines, hover_points(base.transform_filter(pick), tooltip, fields=["timestamp"], name="hover")]
    parts = [LEGEND_HINT, "solid: models, dashed: baselines", "scroll to zoom, drag to pan"]
    if bands is not None and len(bands):
        check_frame(bands, ["timestamp", "method", "lower", "upper"], builder="plot_forecasts", arg="bands")
        band = alt.Chart(bands).mark_area(clip=True).encode(
            x=encode_time(bands), y="lower:Q", y2="upper:Q",
            color=style["color"],  # the lines' legend: one with legend=None would disable it
            opacity=alt.when(pick).then(alt.value(0.16)).otherwise(alt.value(0.03)),
        )
        layers.insert(0, band)
        parts.append("shaded: each model's 80% interval")
    if {"actual_min", "actual_max"} <= set(actual.columns):
        envelope = alt.Chart(actual).mark_area(color=NEUTRAL, opacity=0.25, clip=True).encode(
            x=encode_time(actual), y="actual_min:Q", y2="actual_max:Q")
        layers.insert(0, envelope)
        parts.append("gray band: the actual's lowest to highest value in each bin")
    dated = pd.api.types.is_datetime64_any_dtype(frame["timestamp"])
    markers = []
    if holdout_start is not None:
        markers.append((pd.Timestamp(holdout_start) if dated else holdout_start, "holdout"))
    last_actual, last_forecast = actual["timestamp"].max(), forecasts["timestamp"].max()
    if len(forecasts) and last_forecast > last_actual:
        markers.append((last_actual, "future"))
    if markers:
        marker = pd.DataFrame({"timestamp": [t for t, _ in markers], "label": [lab for _, lab in markers]})
        rule = alt.Chart(marker).mark_rule(color=NEUTRAL, strokeDash=[2, 2]).encode(x=encode_time(frame))
        text = alt.Chart(marker).mark_text(align="left", baseline="top", dx=4, dy=4, color=NEUTRAL).encode(
            x=encode_time(frame), y=alt.value(0), text="label:N")
        layers += [rule, text]
    return alt.layer(*layers).properties(
        title=chart_title("Forecasts against the actual series", *parts, note=note), width="container", height=500)


def plot_error_by_step(by_step: pd.DataFrame, *, colours: Mapping[str, str] | None = None,
                       note: str = "") -> alt.LayerChart:
    """by_step[method, step, mae, kind] -> mean absolute error against horizon step, one line per method."""
    check_frame(by_step, ["method", "step", "mae", "kind"], builder="plot_error_by_step", arg="by_step")
    style = _method_styles(by_step, colours)
    pick = alt.selection_point(name="pick", fields=["method"], bind="legend")
    base = alt.Chart(by_step).encode(
        x=alt.X("step:Q", title="steps ahead", axis=alt.Axis(tickMinStep=1)),
        y=alt.Y("mae:Q", title="mean absolute error", scale=alt.Scale(zero=True), axis=aligned_y_axis()),
        color=style["color"], strokeDash=style["strokeDash"], strokeWidth=style["strokeWidth"],
        opacity=alt.when(pick).then(alt.value(1)).otherwise(alt.value(0.15)),
        tooltip=["method:N", "step:Q", alt.Tooltip("mae:Q", format=",.4~g")],
    )
    return alt.layer(base.mark_line(point=True).add_params(pick)).properties(
        title=chart_title("Error against horizon step", "averaged over the backtest's origins",
                     "solid: models, dashed: baselines", LEGEND_HINT, note=note), width="container", height=400)


def plot_residuals(residuals: pd.DataFrame, *, colours: Mapping[str, str] | None = None,
                   note: str = "") -> alt.LayerChart:
    """residuals[timestamp, method, residual, (kind)] -> points and lines per method around a zero rule."""
    check_frame(residuals, ["timestamp", "method", "residual"], builder="plot_residuals", arg="residuals")
    residuals = _with_kind(residuals)
    style = _method_styles(residuals, colours)
    pick = alt.selection_point(name="pick", fields=["method"], bind="legend")
    zoom = alt.selection_interval(name="zoom", bind="scales", encodings=["x"])
    shown = alt.when(pick).then(alt.value(1)).otherwise(alt.value(0.12))
    base = alt.Chart(residuals).encode(
        x=encode_time(residuals, scale=alt.Scale(nice=False)),
        y=alt.Y("residual:Q", title="actual - forecast", axis=aligned_y_axis()),
        color=style["color"], opacity=shown,
    )
    tooltip = [encode_time(residuals, channel=alt.Tooltip), "method:N",
               alt.Tooltip("residual:Q", format=",.4~g")]
    zero = alt.Chart(pd.DataFrame({"zero": [0]})).mark_rule(color=NEUTRAL).encode(y="zero:Q")
    return alt.layer(
        zero, base.mark_line(clip=True).encode(strokeDash=style["strokeDash"], strokeWidth=style["strokeWidth"])
        .add_params(pick, zoom),
        base.mark_point(filled=True, size=25, clip=True).encode(tooltip=tooltip),
    ).properties(title=chart_title("Residuals on the holdout", "above 0: the forecast was too low", LEGEND_HINT,
                              note=note), width="container", height=380)
