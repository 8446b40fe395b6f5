"""Chart builders for the dashboard: a tidy DataFrame goes in, an Altair chart comes out.

Pure functions (DESIGN decision 7). They never train, load or draw, and never import Streamlit.
Every frame a builder is given may hold at most ``MAX_ROWS`` rows: downsample with
``lstm_forecast.inspect.fold.downsample`` first. A builder that aggregates by itself is the
exception, and it says on the chart what it did. Every builder takes ``note``, the caller's own
words for the subtitle (e.g. "mean over 20-step bins").

Colours read on light and dark themes: ``tableau10`` for categories, ``viridis`` on the fixed
domain [0, 1] for gates, so a colour means the same value in every chart, and ``blueorange``
centred at 0 for signed states. No text or background colour is hard-coded.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from ..cells import CELLS

MAX_ROWS = 5_000  # rows per frame; Altair refuses more, and the browser slows down well before
CONCAT_WIDTH = 760  # px: stacked charts keep a fixed width (Vega-Lite cannot fit concats to a container)
# Heights of single and layered charts are totals (title and axes included): Streamlit fits them.
NEUTRAL = "gray"  # the actual series, rules and shading: readable on light and dark themes
TABLEAU10 = ("#4c78a8", "#f58518", "#e45756", "#72b7b2", "#54a24b",
             "#eeca3b", "#b279a2", "#ff9da6", "#9d755d", "#bab0ac")  # Vega's "tableau10"
WALKTHROUGH_ORDER = {name: cell.walkthrough for name, cell in CELLS.items()}  # plot_walkthrough's rows, in order
WALKTHROUGH_GATES = frozenset(s for cell in CELLS.values() for s in cell.walkthrough_gates)  # rows on the [0, 1] scale
_STATE_ORDER = ("cell", "hidden")
_GATE_ORDER = ("input", "forget", "candidate", "output", "reset", "update")


# ---------------------------------------------------------------- helpers


def encode_time(frame: pd.DataFrame, field: str = "timestamp", *, channel=alt.X, **kwargs):
    """Encode a time column on `channel`: `:T` for datetimes, `:Q` titled "step" for integer steps."""
    column = frame[field]
    if pd.api.types.is_datetime64_any_dtype(column):
        kwargs.setdefault("title", "time")
        if channel is alt.Tooltip:
            kwargs.setdefault("format", "%Y-%m-%d %H:%M")
        return channel(f"{field}:T", **kwargs)
    if pd.api.types.is_numeric_dtype(column):
        kwargs.setdefault("title", "step")
        return channel(f"{field}:Q", **kwargs)
    raise ValueError(f"column {field!r} has dtype {column.dtype}; pass datetimes or integer steps")


_PHASE_NAMES = {  # calendar phases are 0-based numbers in the data; axes show what a reader expects
    "month of year": "['Jan','Feb','Mar','Apr','May','Jun','Jul','Aug','Sep','Oct','Nov','Dec'][datum.value]",
    "day of week": "['Mon','Tue','Wed','Thu','Fri','Sat','Sun'][datum.value]",
    "weekday": "['Mon','Tue','Wed','Thu','Fri'][datum.value]",
    "quarter of year": "'Q' + (datum.value + 1)",
    "week of year": "datum.value + 1",
    "day of year": "datum.value + 1",
}


def _phase_label_expr(phase_label: str):
    """A Vega label expression naming calendar phases (Jan.., Mon..), or Undefined to show the number."""
    return _PHASE_NAMES.get(phase_label, alt.Undefined)


def _check(frame: pd.DataFrame, columns: Sequence[str], *, builder: str, arg: str) -> None:
    """Raise ValueError if `frame` lacks a column or holds more than MAX_ROWS rows."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{builder}: {arg} lacks column(s) {missing}; it has {list(frame.columns)}")
    if len(frame) > MAX_ROWS:
        raise ValueError(
            f"{builder}: {arg} has {len(frame):,} rows, more than the {MAX_ROWS:,} a chart may take; "
            "downsample it first with lstm_forecast.inspect.fold.downsample"
        )


def _title(text: str, *parts: str, note: str = "") -> alt.TitleParams:
    """A left-anchored title whose subtitle joins the non-empty `parts` and the caller's `note`."""
    subtitle = " · ".join(p for p in (*parts, note) if p)
    if subtitle:  # Streamlit's theme colours the title but not the subtitle; gray reads on both
        return alt.Title(text, subtitle=subtitle, subtitleColor=NEUTRAL, anchor="start")
    return alt.Title(text, anchor="start")


def _gate_scale(values: pd.Series | None = None) -> alt.Scale:
    """Sequential colour on the fixed domain [0, 1], the same in every chart."""
    return alt.Scale(scheme="viridis", domain=[0, 1])


def _signed_scale(values: pd.Series) -> alt.Scale:
    """Diverging colour on a domain symmetric about 0, so 0 is the neutral middle."""
    reach = float(np.nanmax(np.abs(values))) if len(values) else 0.0
    reach = reach if np.isfinite(reach) and reach > 0 else 1.0
    return alt.Scale(scheme="blueorange", domain=[-reach, reach])


def _in_unit_interval(values: pd.Series) -> bool:
    return bool(values.dropna().between(-1e-6, 1 + 1e-6).all())


def _hover_points(base: alt.Chart, tooltip: list, *, fields: Sequence[str], name: str, **mark) -> alt.Chart:
    """Points that appear at the pointer's nearest x and carry the tooltip; the line stays clean."""
    hover = alt.selection_point(
        name=name, nearest=True, on="pointerover", clear="pointerout", fields=list(fields), empty=False
    )
    return (
        base.mark_point(filled=True, size=50, clip=True, **mark)
        .encode(opacity=alt.when(hover).then(alt.value(1)).otherwise(alt.value(0)), tooltip=tooltip)
        .add_params(hover)
    )


def _ordered(values: pd.Series, first: Sequence[str]) -> list:
    """Unique `values`: those named in `first` in that order, then the rest as they appear."""
    present = list(pd.unique(values))
    return [v for v in first if v in present] + [v for v in present if v not in first]


def _sparse_labels(values: Sequence, max_labels: int = 12) -> list:
    """Every k-th of `values` so at most `max_labels` axis labels show."""
    step = max(1, math.ceil(len(values) / max_labels))
    return list(values)[::step]


def _label_units(frame: pd.DataFrame) -> tuple[pd.DataFrame, list]:
    """Unit labels as "layer:unit" when several layers are present, and their numeric order."""
    if "layer" in frame.columns and frame["layer"].nunique() > 1:
        keys = frame[["layer", "unit"]].drop_duplicates().sort_values(["layer", "unit"])
        order = [f"{layer}:{unit}" for layer, unit in keys.itertuples(index=False)]
        return frame.assign(unit=frame["layer"].astype(str) + ":" + frame["unit"].astype(str)), order
    return frame, sorted(pd.unique(frame["unit"]))


def _with_bin_end(frame: pd.DataFrame, field: str) -> pd.DataFrame:
    """Add `time_end`: the next time present, so heatmap cells tile; the last cell gets the median width."""
    times = pd.Index(np.sort(pd.unique(frame[field])))
    if len(times) > 1:
        width = pd.Series(times[1:] - times[:-1]).median()
    else:
        width = pd.Timedelta(1, "s") if pd.api.types.is_datetime64_any_dtype(times) else 1
    ends = times[1:].append(pd.Index([times[-1] + width]))
    return frame.assign(time_end=ends[times.get_indexer(frame[field])])


# ---------------------------------------------------------------- the series and the training


def plot_series(
    df: pd.DataFrame, *, value_title: str, period: int | None = None, phase_label: str | None = None,
    note: str = "",
) -> alt.VConcatChart:
    """df[timestamp, value, (cycle)] -> detail line over an overview strip; brushing the strip zooms.

    With a `cycle` column, every other cycle is shaded lightly so the season shows.
    """
    _check(df, ["timestamp", "value"], builder="plot_series", arg="df")
    brush = alt.selection_interval(name="brush", encodings=["x"])
    tooltip = [encode_time(df, channel=alt.Tooltip), alt.Tooltip("value:Q", title=value_title, format=",.4~g")]
    tooltip += [alt.Tooltip(f"{c}:Q", title=c) for c in ("cycle", "phase") if c in df.columns]
    y = alt.Y("value:Q", title=value_title, scale=alt.Scale(zero=False))
    line = alt.Chart(df).encode(x=encode_time(df, scale=alt.Scale(domain=brush)), y=y)
    layers = [line.mark_line(clip=True), _hover_points(line, tooltip, fields=["timestamp"], name="hover")]
    parts = []
    if period:
        parts.append(f"season: {period} steps" + (f" ({phase_label})" if phase_label else ""))
    if "cycle" in df.columns and df["cycle"].nunique() > 1:
        starts = df.groupby("cycle", sort=True)["timestamp"].min()
        bands = pd.DataFrame({"cycle": starts.index, "start": starts.values,
                              "end": list(starts.values[1:]) + [df["timestamp"].max()]}).iloc[1::2]
        shading = alt.Chart(bands).mark_rect(color=NEUTRAL, opacity=0.12, clip=True).encode(
            x=encode_time(bands, "start"), x2="end", tooltip=[alt.Tooltip("cycle:Q", title="cycle")]
        )
        layers.insert(0, shading)
        parts.append("shading marks every other cycle")
    parts.append("drag across the lower strip to zoom")
    detail = alt.layer(*layers).properties(height=260, width=CONCAT_WIDTH)
    overview = (
        alt.Chart(df).mark_line(color=NEUTRAL)
        .encode(x=encode_time(df), y=alt.Y("value:Q", title=None, scale=alt.Scale(zero=False), axis=None))
        .add_params(brush).properties(height=60, width=CONCAT_WIDTH)
    )
    return alt.vconcat(detail, overview).properties(title=_title(value_title, *parts, note=note))


def plot_losses(history: pd.DataFrame, *, note: str = "") -> alt.LayerChart:
    """history[epoch, train_loss, val_loss] -> two loss lines (log y past a 100x range), best epoch ruled."""
    _check(history, ["epoch", "train_loss"], builder="plot_losses", arg="history")
    splits = {"train_loss": "train", "val_loss": "validation"}
    long = history.melt(id_vars="epoch", value_vars=[c for c in splits if c in history.columns],
                        var_name="split", value_name="loss").dropna(subset=["loss"])
    long["split"] = long["split"].map(splits)
    loss = long["loss"]
    log = bool(len(loss)) and loss.min() > 0 and loss.max() > 100 * loss.min()
    y = alt.Y("loss:Q", title="loss (log scale)" if log else "loss",
              scale=alt.Scale(type="log") if log else alt.Scale(zero=False))
    tooltip = ["epoch:Q", "split:N", alt.Tooltip("loss:Q", format=".4~g")]
    lines = alt.Chart(long).mark_line(point=True).encode(
        x=alt.X("epoch:Q", title="epoch", axis=alt.Axis(tickMinStep=1)), y=y,
        color=alt.Color("split:N", title=None, scale=alt.Scale(scheme="tableau10")), tooltip=tooltip,
    )
    by = "val_loss" if "val_loss" in history.columns and history["val_loss"].notna().any() else "train_loss"
    if history[by].notna().any():
        best = history.loc[history[by].idxmin()]
        label = f"best epoch {int(best['epoch'])} ({splits[by]} loss {best[by]:.4g})"
        rule = alt.Chart(pd.DataFrame({"epoch": [best["epoch"]], "best": [label]})).mark_rule(
            color=NEUTRAL, strokeDash=[4, 3], size=2).encode(x="epoch:Q", tooltip=["best:N"])
        return alt.layer(lines, rule).properties(
            title=_title("Training and validation loss", label, note=note), width="container", height=320)
    return lines.properties(title=_title("Training and validation loss", "no epochs yet", note=note),
                            width="container", height=320)


# ---------------------------------------------------------------- forecasts


def plot_forecasts(
    actual: pd.DataFrame, forecasts: pd.DataFrame, *, bands: pd.DataFrame | None = None, holdout_start=None,
    note: str = ""
) -> alt.LayerChart:
    """actual[timestamp, actual] + forecasts[timestamp, method, forecast, kind] -> one line per method.

    `kind` is "model" (solid) or "baseline" (dashed); the actual series is the gray line. A legend
    click shows one method (shift-click for more); scrolling zooms the time axis. bands[timestamp,
    method, lower, upper]: each method's interval, shaded in its colour.
    """
    _check(actual, ["timestamp", "actual"], builder="plot_forecasts", arg="actual")
    _check(forecasts, ["timestamp", "method", "forecast", "kind"], builder="plot_forecasts", arg="forecasts")
    columns = ["timestamp", "method", "kind", "value"]
    frame = pd.concat([
        actual.rename(columns={"actual": "value"}).assign(method="actual", kind="actual")[columns],
        forecasts.rename(columns={"forecast": "value"})[columns],
    ], ignore_index=True)
    _check(frame, [], builder="plot_forecasts", arg="actual and forecasts together")
    methods = ["actual"] + _ordered(forecasts["method"], [])
    palette = [NEUTRAL] + [TABLEAU10[i % len(TABLEAU10)] for i in range(len(methods) - 1)]
    pick = alt.selection_point(name="pick", fields=["method"], bind="legend")
    zoom = alt.selection_interval(name="zoom", bind="scales", encodings=["x"])
    base = alt.Chart(frame).encode(
        x=encode_time(frame), y=alt.Y("value:Q", title="value", scale=alt.Scale(zero=False)),
        color=alt.Color("method:N", title="method", scale=alt.Scale(domain=methods, range=palette)),
    )
    lines = base.mark_line().encode(
        strokeDash=alt.StrokeDash("kind:N", legend=None, scale=alt.Scale(
            domain=["actual", "model", "baseline"], range=[[1, 0], [1, 0], [6, 4]])),
        opacity=alt.when(pick).then(alt.value(1)).otherwise(alt.value(0.12)),
    ).add_params(pick, zoom)
    tooltip = [encode_time(frame, channel=alt.Tooltip), "method:N", "kind:N",
               alt.Tooltip("value:Q", format=",.4~g")]
    layers = [lines, _hover_points(base.transform_filter(pick), tooltip, fields=["timestamp"], name="hover")]
    if bands is not None and len(bands):
        _check(bands, ["timestamp", "method", "lower", "upper"], builder="plot_forecasts", arg="bands")
        band = alt.Chart(bands).mark_area(opacity=0.18).encode(
            x=encode_time(bands), y="lower:Q", y2="upper:Q",
            color=alt.Color("method:N", scale=alt.Scale(domain=methods, range=palette), legend=None),
            opacity=alt.when(pick).then(alt.value(0.18)).otherwise(alt.value(0.03)),
        )
        layers.insert(0, band)
    if holdout_start is not None:
        if pd.api.types.is_datetime64_any_dtype(frame["timestamp"]):
            holdout_start = pd.Timestamp(holdout_start)
        marker = pd.DataFrame({"timestamp": [holdout_start], "label": ["holdout"]})
        rule = alt.Chart(marker).mark_rule(color=NEUTRAL, strokeDash=[2, 2]).encode(x=encode_time(frame))
        text = alt.Chart(marker).mark_text(align="left", baseline="top", dx=4, dy=4, color=NEUTRAL).encode(
            x=encode_time(frame), y=alt.value(0), text="label:N")
        layers += [rule, text]
    parts = ["click a legend entry to show one method (shift-click for more)", "dashed: baselines",
             "scroll to zoom"]
    return alt.layer(*layers).properties(
        title=_title("Forecasts against the actual series", *parts, note=note), width="container", height=400)


def plot_error_by_step(by_step: pd.DataFrame, *, note: str = "") -> alt.LayerChart:
    """by_step[method, step, mae, kind] -> mean absolute error against horizon step, one line per method."""
    _check(by_step, ["method", "step", "mae", "kind"], builder="plot_error_by_step", arg="by_step")
    pick = alt.selection_point(name="pick", fields=["method"], bind="legend")
    base = alt.Chart(by_step).encode(
        x=alt.X("step:Q", title="steps ahead", axis=alt.Axis(tickMinStep=1)),
        y=alt.Y("mae:Q", title="mean absolute error", scale=alt.Scale(zero=True)),
        color=alt.Color("method:N", title="method", scale=alt.Scale(scheme="tableau10")),
        strokeDash=alt.StrokeDash("kind:N", legend=None, scale=alt.Scale(domain=["model", "baseline"],
                                                                         range=[[1, 0], [6, 4]])),
        opacity=alt.when(pick).then(alt.value(1)).otherwise(alt.value(0.15)),
        tooltip=["method:N", "step:Q", alt.Tooltip("mae:Q", format=",.4~g")],
    )
    return alt.layer(base.mark_line(point=True).add_params(pick)).properties(
        title=_title("Error against horizon step", "averaged over the backtest's origins", "dashed: baselines",
                     note=note), width="container", height=300)


def plot_residuals(residuals: pd.DataFrame, *, note: str = "") -> alt.LayerChart:
    """residuals[timestamp, method, residual] -> points and lines per method around a zero rule."""
    _check(residuals, ["timestamp", "method", "residual"], builder="plot_residuals", arg="residuals")
    pick = alt.selection_point(name="pick", fields=["method"], bind="legend")
    zoom = alt.selection_interval(name="zoom", bind="scales", encodings=["x"])
    shown = alt.when(pick).then(alt.value(1)).otherwise(alt.value(0.12))
    base = alt.Chart(residuals).encode(
        x=encode_time(residuals), y=alt.Y("residual:Q", title="residual"),
        color=alt.Color("method:N", title="method", scale=alt.Scale(scheme="tableau10")), opacity=shown,
    )
    tooltip = [encode_time(residuals, channel=alt.Tooltip), "method:N",
               alt.Tooltip("residual:Q", format=",.4~g")]
    zero = alt.Chart(pd.DataFrame({"zero": [0]})).mark_rule(color=NEUTRAL).encode(y="zero:Q")
    return alt.layer(
        zero, base.mark_line(strokeWidth=1).add_params(pick, zoom),
        base.mark_point(filled=True, size=25).encode(tooltip=tooltip),
    ).properties(title=_title("Residuals", "click a legend entry to show one method", note=note),
                 width="container", height=300)


# ---------------------------------------------------------------- looking inside


def plot_trajectories(series_df: pd.DataFrame, traj_df: pd.DataFrame, *, note: str = "") -> alt.VConcatChart:
    """series_df[timestamp, value] over traj_df[timestamp, unit, quantity, value]: one panel per quantity.

    Dragging across the series selects a stretch; every state panel zooms to it.
    """
    _check(series_df, ["timestamp", "value"], builder="plot_trajectories", arg="series_df")
    _check(traj_df, ["timestamp", "unit", "quantity", "value"], builder="plot_trajectories", arg="traj_df")
    traj_df, units = _label_units(traj_df)
    brush = alt.selection_interval(name="brush", encodings=["x"])
    series = alt.Chart(series_df).mark_line(color=NEUTRAL).encode(
        x=encode_time(series_df), y=alt.Y("value:Q", title="series", scale=alt.Scale(zero=False)),
        tooltip=[encode_time(series_df, channel=alt.Tooltip), alt.Tooltip("value:Q", format=",.4~g")],
    ).add_params(brush).properties(height=110, width=CONCAT_WIDTH)
    tooltip = [encode_time(traj_df, channel=alt.Tooltip), "unit:N", "quantity:N",
               alt.Tooltip("value:Q", format=".3f")]
    panels = []
    for i, quantity in enumerate(_ordered(traj_df["quantity"], _STATE_ORDER)):
        only = alt.FieldEqualPredicate(field="quantity", equal=quantity)
        base = alt.Chart(traj_df).transform_filter(only).encode(
            x=encode_time(traj_df, scale=alt.Scale(domain=brush)), y=alt.Y("value:Q", title=f"{quantity} state"),
            color=alt.Color("unit:N", title="unit", sort=units, scale=alt.Scale(scheme="tableau10")),
        )
        hover = _hover_points(base, tooltip, fields=["timestamp"], name=f"hover_{i}")
        panels.append(alt.layer(base.mark_line(clip=True), hover).properties(height=160, width=CONCAT_WIDTH))
    title = _title("States along the series", "drag across the series to zoom; the panels below follow",
                   note=note)
    return alt.vconcat(series, *panels).resolve_scale(color="shared").properties(title=title)


def plot_phase_cycle_heatmap(
    fold: pd.DataFrame, *, gate_label: str, phase_label: str, note: str = ""
) -> alt.Chart:
    """fold[phase, cycle, value] -> phase (x) by cycle (y) heatmap of the mean value.

    Aggregates by itself, so any number of rows is accepted: duplicates of a (phase, cycle) are
    averaged, and cycles are grouped when phases x cycles would pass MAX_ROWS. Values in [0, 1]
    get the gate scale with domain [0, 1]; anything signed gets the diverging scale.
    """
    _check(fold.head(0), ["phase", "cycle", "value"], builder="plot_phase_cycle_heatmap", arg="fold")
    cells = fold.groupby(["phase", "cycle"], as_index=False)["value"].mean()
    parts = ["colour: mean per phase and cycle"]
    cycles = np.sort(cells["cycle"].unique())
    n_phases = cells["phase"].nunique()
    if len(cells) > MAX_ROWS:
        group = math.ceil(len(cycles) / max(1, MAX_ROWS // n_phases))
        first = cycles[(np.searchsorted(cycles, cells["cycle"]) // group) * group]
        cells = cells.assign(cycle=first).groupby(["phase", "cycle"], as_index=False)["value"].mean()
        cycles = np.sort(cells["cycle"].unique())
        parts.append(f"cycles averaged in groups of {group}")
    _check(cells, [], builder="plot_phase_cycle_heatmap", arg="fold after averaging")
    scale = _gate_scale() if _in_unit_interval(cells["value"]) else _signed_scale(cells["value"])
    phases = np.sort(cells["phase"].unique())
    chart = alt.Chart(cells).mark_rect().encode(
        x=alt.X("phase:O", title=phase_label, axis=alt.Axis(values=_sparse_labels(phases, 24), labelAngle=0,
                                                             labelExpr=_phase_label_expr(phase_label))),
        y=alt.Y("cycle:O", title="cycle", axis=alt.Axis(values=_sparse_labels(cycles, 12))),
        color=alt.Color("value:Q", title=gate_label, scale=scale),
        tooltip=[alt.Tooltip("phase:O", title=phase_label), alt.Tooltip("cycle:O", title="cycle"),
                 alt.Tooltip("value:Q", title=gate_label, format=".3f")],
    )
    return chart.properties(title=_title(f"{gate_label} by {phase_label} and cycle", *parts, note=note),
                            width="container", height=440)


def _profile_panel(frame: pd.DataFrame, *, y_title: str, phase_label: str, colour: str, name: str,
                   gate: bool) -> alt.LayerChart:
    """Mean line and 25-75% band over phase; colour by unit when a `unit` column is present."""
    if pd.api.types.is_numeric_dtype(frame["phase"]):
        x = alt.X("phase:Q", title=phase_label, scale=alt.Scale(nice=False),
                  axis=alt.Axis(format="d", tickMinStep=1, labelExpr=_phase_label_expr(phase_label)))
    else:
        x = alt.X("phase:O", title=phase_label, sort=None)
    fixed = gate and _in_unit_interval(frame[["mean", "q25", "q75"]].stack())
    scale = alt.Scale(domain=[0, 1]) if fixed else alt.Scale(zero=False)
    by_unit = "unit" in frame.columns
    if by_unit:
        base = alt.Chart(frame).encode(
            x=x, color=alt.Color("unit:N", title="unit", scale=alt.Scale(scheme="tableau10")))
        mark = {}
    else:
        base, mark = alt.Chart(frame).encode(x=x), {"color": colour}
    band = base.mark_area(opacity=0.3, **mark).encode(y=alt.Y("q25:Q", title=y_title, scale=scale), y2="q75:Q")
    line = base.mark_line(**mark).encode(y=alt.Y("mean:Q", title=y_title, scale=scale))
    tooltip = [alt.Tooltip("phase", title=phase_label)] + (["unit:N"] if by_unit else []) + [
        alt.Tooltip(f"{c}:Q", format=".3f") for c in ("mean", "q25", "q75")]
    hover = _hover_points(line, tooltip, fields=["phase"], name=name, **mark)
    return alt.layer(band, line, hover).properties(height=150, width=CONCAT_WIDTH)


def plot_phase_profile(
    profile: pd.DataFrame, series_profile: pd.DataFrame, *, gate_label: str, phase_label: str, note: str = ""
) -> alt.VConcatChart:
    """series_profile and profile [phase, mean, q25, q75, (unit)] -> two rows sharing the phase axis.

    Top: the series' own seasonal shape; below: the gate, so a reader sees where it opens or closes.
    """
    cols = ["phase", "mean", "q25", "q75"]
    _check(profile, cols, builder="plot_phase_profile", arg="profile")
    _check(series_profile, cols, builder="plot_phase_profile", arg="series_profile")
    if "unit" in profile.columns:
        profile, _ = _label_units(profile)
    top = _profile_panel(series_profile, y_title="series", phase_label=phase_label,
                         colour=TABLEAU10[0], name="hover_series", gate=False)
    bottom = _profile_panel(profile, y_title=gate_label, phase_label=phase_label,
                            colour=TABLEAU10[1], name="hover_gate", gate=True)
    title = _title(f"{gate_label} across the season, by {phase_label}",
                   "line: mean over cycles; band: middle 50% of cycles", note=note)
    return alt.vconcat(top, bottom).resolve_scale(x="shared").properties(title=title)


def _time_unit_heatmap(frame: pd.DataFrame, *, order: Sequence[str], scale, shared_colour: bool,
                       title: alt.TitleParams) -> alt.VConcatChart:
    """One time (x) by unit (y) heatmap panel per quantity, stacked; `frame` is already checked."""
    field = "timestamp" if "timestamp" in frame.columns else "step"
    frame, units = _label_units(_with_bin_end(frame, field))
    height = min(240, max(60, 6 * len(units)))
    tooltip = [encode_time(frame, field, channel=alt.Tooltip), "unit:N", "quantity:N",
               alt.Tooltip("value:Q", format=".3f")]
    panels = [
        alt.Chart(frame).transform_filter(alt.FieldEqualPredicate(field="quantity", equal=quantity))
        .mark_rect().encode(
            x=encode_time(frame, field), x2="time_end",
            y=alt.Y("unit:O", title=f"{quantity}: unit", sort=units,
                    axis=alt.Axis(values=_sparse_labels(units, 16))),
            color=alt.Color("value:Q", title="gate" if shared_colour else quantity,
                            scale=scale(frame.loc[frame["quantity"] == quantity, "value"])),
            tooltip=tooltip,
        ).properties(height=height, width=CONCAT_WIDTH)
        for quantity in _ordered(frame["quantity"], order)
    ]
    resolve = "shared" if shared_colour else "independent"
    return alt.vconcat(*panels).resolve_scale(x="shared", color=resolve).properties(title=title)


def plot_gate_heatmaps(gates: pd.DataFrame, *, note: str = "") -> alt.VConcatChart:
    """gates[timestamp or step, unit, quantity, value] (values in [0, 1]) -> one time x unit panel per gate.

    Signed quantities (cell, hidden, candidate) belong in plot_state_heatmap.
    """
    time = "timestamp" if "timestamp" in gates.columns else "step"
    _check(gates, [time, "unit", "quantity", "value"], builder="plot_gate_heatmaps", arg="gates")
    outside = gates.loc[~gates["value"].between(-1e-6, 1 + 1e-6), "quantity"]
    if len(outside):
        raise ValueError(
            f"plot_gate_heatmaps: quantities {sorted(pd.unique(outside))} have values outside [0, 1]; "
            "draw signed quantities with plot_state_heatmap"
        )
    title = _title("Gate activity over time", "colour: 0 closed, 1 open; rows: units", note=note)
    return _time_unit_heatmap(gates, order=_GATE_ORDER, scale=_gate_scale, shared_colour=True, title=title)


def plot_state_heatmap(states: pd.DataFrame, *, note: str = "") -> alt.VConcatChart:
    """states[timestamp or step, unit, quantity, value] (signed) -> time x unit panels, diverging at 0."""
    time = "timestamp" if "timestamp" in states.columns else "step"
    _check(states, [time, "unit", "quantity", "value"], builder="plot_state_heatmap", arg="states")
    title = _title("States over time", "colour: blue below 0, orange above; rows: units", note=note)
    return _time_unit_heatmap(states, order=_STATE_ORDER, scale=_signed_scale, shared_colour=False, title=title)


def plot_saturation(sat: pd.DataFrame, *, note: str = "") -> alt.LayerChart:
    """sat[layer, unit, gate, frac_low, frac_high] -> share of steps each gate is shut vs wide open."""
    _check(sat, ["layer", "unit", "gate", "frac_low", "frac_high"], builder="plot_saturation", arg="sat")
    share = alt.Scale(domain=[0, 1])
    shape = {"shape": alt.Shape("layer:N", title="layer")} if sat["layer"].nunique() > 1 else {}
    points = alt.Chart(sat).mark_point(filled=True, size=60, opacity=0.8).encode(
        x=alt.X("frac_low:Q", title="share of steps left-saturated (< 0.1)", scale=share,
                axis=alt.Axis(format="%", tickCount=5)),
        y=alt.Y("frac_high:Q", title="share of steps right-saturated (> 0.9)", scale=share,
                axis=alt.Axis(format="%", tickCount=5)),
        color=alt.Color("gate:N", title="gate", scale=alt.Scale(scheme="tableau10")),
        tooltip=["layer:N", "unit:N", "gate:N", alt.Tooltip("frac_low:Q", format=".1%"),
                 alt.Tooltip("frac_high:Q", format=".1%")],
        **shape,
    )
    edge = alt.Chart(pd.DataFrame({"x": [0], "y": [1], "x2": [1], "y2": [0]})).mark_rule(
        color=NEUTRAL, strokeDash=[4, 4]).encode(x="x:Q", y="y:Q", x2="x2", y2="y2")
    parts = ["after Karpathy et al. 2015: left-saturated < 0.1, right-saturated > 0.9",
             "points lie on or below the edge x + y = 1"]
    return alt.layer(edge, points).properties(title=_title("Gate saturation", *parts, note=note),
                                              width=380, height=380)


def plot_walkthrough(step_df: pd.DataFrame, *, cell: str, note: str = "") -> alt.LayerChart:
    """step_df[quantity, unit, value] for one step -> one heat-strip per quantity in equation order.

    Quantity names follow WALKTHROUGH_ORDER[cell]; gate rows use [0, 1], the rest diverge at 0.
    """
    if cell not in WALKTHROUGH_ORDER:
        raise ValueError(
            f"plot_walkthrough: cell {cell!r} is unknown; choose one of {list(WALKTHROUGH_ORDER)}")
    _check(step_df, ["quantity", "unit", "value"], builder="plot_walkthrough", arg="step_df")
    order = _ordered(step_df["quantity"], WALKTHROUGH_ORDER[cell])
    gates = sorted(set(CELLS[cell].walkthrough_gates) & set(order))
    units = sorted(pd.unique(step_df["unit"]))
    base = alt.Chart(step_df).mark_rect(stroke=NEUTRAL, strokeWidth=0.25).encode(
        x=alt.X("unit:O", title="unit", axis=alt.Axis(labelAngle=0, values=_sparse_labels(units, 32))),
        y=alt.Y("quantity:O", title=None, sort=order),
        tooltip=["quantity:N", "unit:O", alt.Tooltip("value:Q", format=".4f")],
    )
    legend = {"orient": "bottom", "direction": "horizontal", "gradientLength": 160}
    signed = step_df.loc[~step_df["quantity"].isin(gates), "value"]
    is_gate = alt.FieldOneOfPredicate(field="quantity", oneOf=gates)
    layers = [base.transform_filter(alt.LogicalNotPredicate(**{"not": is_gate})).encode(color=alt.Color(
        "value:Q", title="value (signed)", scale=_signed_scale(signed), legend=alt.Legend(**legend)))]
    if gates:
        layers.append(base.transform_filter(is_gate).encode(color=alt.Color(
            "value:Q", title="gate (0 closed, 1 open)", scale=_gate_scale(), legend=alt.Legend(**legend))))
    return alt.layer(*layers).resolve_scale(color="independent").properties(
        title=_title(f"One {CELLS[cell].label} step, row by row", CELLS[cell].summary, note=note),
        width="container", height=180 + 24 * len(order))


def plot_seasonality_scores(scores: pd.DataFrame, *, k: int = 10, note: str = "") -> alt.Chart:
    """scores[unit, score, amplitude, (layer)] -> bars of the top-k units by share of variance explained.

    Selects by itself, so any number of rows is accepted.
    """
    _check(scores.head(0), ["unit", "score", "amplitude"], builder="plot_seasonality_scores", arg="scores")
    labelled, _ = _label_units(scores)
    top = labelled.dropna(subset=["score"]).nlargest(k, "score")
    bars = alt.Chart(top).mark_bar().encode(
        x=alt.X("score:Q", title="share of variance explained by phase", scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format="%", tickCount=5)),
        y=alt.Y("unit:N", title="unit", sort="-x", axis=alt.Axis(labelOverlap=False)),
        tooltip=["unit:N", alt.Tooltip("score:Q", format=".1%"), alt.Tooltip("amplitude:Q", format=".3f")],
    )
    title = _title("Most seasonal units", f"top {len(top)} of {len(scores)} units by score", note=note)
    return bars.properties(title=title, width="container", height=110 + 30 * len(top))
