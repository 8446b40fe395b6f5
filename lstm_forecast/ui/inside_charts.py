"""Chart builders for Look inside over time: the series strip, states along it, gate and state
heatmaps, gate saturation and the one-step walkthrough (the season view is season_charts.py's).

Pure, no Streamlit; the conventions (MAX_ROWS, `note`, layout, colour) are charts.py's. The strip,
the trajectories and the heatmaps share their time axis, so they line up one above the other.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import numpy as np
import pandas as pd

from ..cells import CELLS, by_name
from .charts import (MAX_ROWS, NEUTRAL, TABLEAU10, aligned_y_axis, chart_title, check_frame, column_title,
                     encode_time, fitted_domain, gradient_legend, hover_points, label_units, ordered_unique,
                     signed_scale, sparse_labels, time_scale, top_legend, unit_axis_title)

WALKTHROUGH_ORDER = by_name("walkthrough")  # plot_walkthrough's rows, in order (live)
_STATE_ORDER = ("cell", "hidden")
_GATE_ORDER = ("input", "forget", "candidate", "output", "reset", "update")
_WALK_WORDS = {  # the inputs every walkthrough starts with, in words (each cell's own rows: its row_words)
    "x_t": "input", "h_prev": "previous hidden state", "c_prev": "previous cell state",
}


def _with_bin_end(frame: pd.DataFrame, field: str) -> pd.DataFrame:
    """Add `time_end`: the next time present, so heatmap cells tile; the last cell gets the median width."""
    times = pd.Index(np.sort(pd.unique(frame[field])))
    if len(times) > 1:
        width = pd.Series(times[1:] - times[:-1]).median()
    else:
        width = pd.Timedelta(1, "s") if pd.api.types.is_datetime64_any_dtype(times) else 1
    ends = times[1:].append(pd.Index([times[-1] + width]))
    return frame.assign(time_end=ends[times.get_indexer(frame[field])])


# ---------------------------------------------------------------- the series and its states


def plot_series_strip(series_df: pd.DataFrame, *, value_title: str = "series", time_domain: Sequence | None = None,
                      note: str = "") -> alt.Chart:
    """series_df[timestamp, value] -> a low strip of the series, for context above states that share its x."""
    check_frame(series_df, ["timestamp", "value"], builder="plot_series_strip", arg="series_df")
    value_title = column_title(value_title)
    return alt.Chart(series_df).mark_line(color=NEUTRAL, clip=True).encode(
        x=encode_time(series_df, scale=time_scale(time_domain)),
        y=alt.Y("value:Q", title=value_title, scale=alt.Scale(zero=False), axis=aligned_y_axis(tickCount=3)),
        tooltip=[encode_time(series_df, channel=alt.Tooltip), alt.Tooltip("value:Q", format=",.4~g")],
    ).properties(title=chart_title("The series", note=note), width="container", height=170)


def plot_trajectories(traj_df: pd.DataFrame, *, time_domain: Sequence | None = None, note: str = "") -> alt.LayerChart:
    """traj_df[timestamp, unit, quantity, value] (one quantity) -> one line per unit over time.

    Give the `time_domain` of the series strip drawn above it, and the two line up.
    """
    check_frame(traj_df, ["timestamp", "unit", "quantity", "value"], builder="plot_trajectories", arg="traj_df")
    unit_title = unit_axis_title(traj_df)
    traj_df, units = label_units(traj_df)
    quantity = ordered_unique(traj_df["quantity"], _STATE_ORDER)[0] if len(traj_df) else "cell"
    tooltip = [encode_time(traj_df, channel=alt.Tooltip), alt.Tooltip("unit:N", title=unit_title), "quantity:N",
               alt.Tooltip("value:Q", format=".3f")]
    base = alt.Chart(traj_df).encode(
        x=encode_time(traj_df, scale=time_scale(time_domain)),
        y=alt.Y("value:Q", title=f"{quantity} state", axis=aligned_y_axis()),
        color=alt.Color("unit:N", title=unit_title, sort=units, legend=top_legend(),
                        scale=alt.Scale(range=list(TABLEAU10))),
    )
    layers = [base.mark_line(clip=True), hover_points(base, tooltip, fields=["timestamp"], name="hover")]
    title = chart_title(f"{quantity.capitalize()} state of the units that move most",
                   "one line per unit, on the same time axis as the series above", note=note)
    return alt.layer(*layers).properties(title=title, width="container", height=320)


# ---------------------------------------------------------------- gates and states over time


def heatmap_window(n_steps: int, n_lines: int, period: int | None, max_rows: int = MAX_ROWS) -> tuple[int, int]:
    """(bin width, span) in steps for a time x line heatmap of `n_lines` rows in `max_rows` cells.

    With a season, bins are at most a tenth of it (so the season stays visible), and the span is as
    long as that allows: the caller shows a stretch of the series when it is shorter than n_steps.
    Without one, bins are as narrow as fits the whole series.
    """
    bins = max(1, max_rows // max(1, n_lines))
    if period and period > 1:
        width = max(1, period // 10)
        return width, min(n_steps, bins * width)
    return max(1, -(-n_steps // bins)), n_steps


def _time_unit_heatmap(frame: pd.DataFrame, *, order: Sequence[str], colour, shared_colour: bool,
                       title: alt.TitleParams, legend_title: str) -> alt.LayerChart:
    """Time (x) by unit (y) heatmap, one block of rows per quantity, in one view; `frame` is already checked.

    colour: values -> alt.Scale, per quantity unless `shared_colour`.
    """
    field = "timestamp" if "timestamp" in frame.columns else "step"
    frame = _with_bin_end(frame, field)
    quantities = ordered_unique(frame["quantity"].astype(str), order)
    frame, units = label_units(frame)
    frame = frame.assign(quantity=frame["quantity"].astype(str))
    frame = frame.assign(row=frame["quantity"] + " " + frame["unit"].astype(str))
    rows = [f"{q} {u}" for q in quantities for u in units]
    firsts = [f"{q} {units[0]}" for q in quantities] if units else []
    labelled = sorted(set(sparse_labels(rows, 24)) | set(firsts), key=rows.index)
    y = alt.Y("row:O", title="units, by quantity", sort=rows,
              axis=aligned_y_axis(values=labelled, labelFontWeight=alt.ExprRef(
                  f"indexof({firsts!r}, datum.value) >= 0 ? 'bold' : 'normal'")))
    tooltip = [encode_time(frame, field, channel=alt.Tooltip), "unit:N", "quantity:N",
               alt.Tooltip("value:Q", format=".3f")]
    base = alt.Chart(frame).mark_rect().encode(x=encode_time(frame, field, scale=alt.Scale(nice=False)),
                                                x2="time_end", y=y, tooltip=tooltip)
    if shared_colour:
        layers = [base.encode(color=alt.Color("value:Q", title=legend_title, scale=colour(frame["value"]),
                                              legend=gradient_legend()))]
    else:
        layers = [base.transform_filter(alt.FieldEqualPredicate(field="quantity", equal=q)).encode(
            color=alt.Color("value:Q", title=q, scale=colour(frame.loc[frame["quantity"] == q, "value"]),
                            legend=gradient_legend()))
            for q in quantities]
    if len(quantities) > 1:  # a line between the blocks of rows
        edges = pd.DataFrame({"row": firsts[1:]})
        layers.append(alt.Chart(edges).mark_rule(color=NEUTRAL, strokeWidth=2).encode(
            y=alt.Y("row:O", sort=rows, bandPosition=0)))
    height = min(600, max(120, 10 * len(rows))) + 200  # rows, plus title, legend and axis
    chart = alt.layer(*layers)
    if not shared_colour:
        chart = chart.resolve_scale(color="independent")
    return chart.properties(title=title, width="container", height=height)


def plot_gate_heatmaps(gates: pd.DataFrame, *, fixed_scale: bool = False, note: str = "") -> alt.LayerChart:
    """gates[timestamp or step, unit, quantity, value] (values in [0, 1]) -> time x unit rows, a block per gate.

    One colour scale for all gates: fitted to the values shown, or [0, 1] with `fixed_scale`.
    Quantities that can be negative (cell, hidden, candidate) belong in plot_state_heatmap.
    """
    time = "timestamp" if "timestamp" in gates.columns else "step"
    check_frame(gates, [time, "unit", "quantity", "value"], builder="plot_gate_heatmaps", arg="gates")
    outside = gates.loc[~gates["value"].between(-1e-6, 1 + 1e-6), "quantity"]
    if len(outside):
        raise ValueError(
            f"plot_gate_heatmaps: quantities {sorted(pd.unique(outside.astype(str)))} have values outside [0, 1]; "
            "draw signed quantities with plot_state_heatmap"
        )
    domain, said = fitted_domain(gates["value"], fixed=fixed_scale)
    title = chart_title("Gates over time", "colour: low = closed, high = open", f"{said}", "rows: units, a block per gate",
                   note=note)
    return _time_unit_heatmap(gates, order=_GATE_ORDER, shared_colour=True, title=title, legend_title="gate",
                              colour=lambda _: alt.Scale(scheme="viridis", domain=domain))


def plot_state_heatmap(states: pd.DataFrame, *, note: str = "") -> alt.LayerChart:
    """states[timestamp or step, unit, quantity, value] (signed) -> time x unit rows, diverging at 0 per quantity."""
    time = "timestamp" if "timestamp" in states.columns else "step"
    check_frame(states, [time, "unit", "quantity", "value"], builder="plot_state_heatmap", arg="states")
    title = chart_title("States over time", "colour: blue below 0, orange above", "rows: units, a block per quantity",
                   note=note)
    return _time_unit_heatmap(states, order=_STATE_ORDER, colour=signed_scale, shared_colour=False, title=title,
                              legend_title="value")


# ---------------------------------------------------------------- saturation and one step


SATURATION_NUDGE = 0.03  # share of steps between the gates' points at one spot (along x), so none hides another


def plot_saturation(sat: pd.DataFrame, *, note: str = "") -> alt.LayerChart:
    """sat[layer, unit, gate, frac_low, frac_high] -> share of steps each gate is shut vs wide open.

    Gates at the same spot (to 1%) are drawn as one point sized and labelled by their count, and
    each gate's points are nudged SATURATION_NUDGE apart, so overlapping points stay visible; the
    subtitle says so, and the tooltip gives the exact shares.
    """
    check_frame(sat, ["layer", "unit", "gate", "frac_low", "frac_high"], builder="plot_saturation", arg="sat")
    spots = sat.assign(x=sat["frac_low"].round(2), y=sat["frac_high"].round(2), layer=sat["layer"] + 1)
    gates = ordered_unique(spots["gate"], _GATE_ORDER)
    merged = spots.groupby(["gate", "x", "y"], as_index=False, sort=False).agg(
        count=("unit", "size"),
        units=("unit", lambda u: ", ".join(map(str, sorted(u)[:12])) + (" …" if len(u) > 12 else "")),
        layers=("layer", lambda v: ", ".join(map(str, sorted(set(v))))))
    nudge = {g: (i - (len(gates) - 1) / 2) * SATURATION_NUDGE for i, g in enumerate(gates)}
    merged = merged.assign(px=merged["x"] + merged["gate"].map(nudge), py=merged["y"],
                           label=np.where(merged["count"] > 1, merged["count"].astype(str), ""))
    share = alt.Scale(domain=[-0.04, 1.04], nice=False)
    most = int(merged["count"].max()) if len(merged) else 1
    position = {
        "x": alt.X("px:Q", title="share of steps almost shut (< 0.1)", scale=share,
                   axis=alt.Axis(format="%", values=[0, 0.25, 0.5, 0.75, 1])),
        "y": alt.Y("py:Q", title="share of steps almost fully open (> 0.9)", scale=share,
                   axis=aligned_y_axis(format="%", values=[0, 0.25, 0.5, 0.75, 1])),
    }
    points = alt.Chart(merged).mark_circle(opacity=0.7, stroke=NEUTRAL, strokeWidth=0.5).encode(
        **position,
        color=alt.Color("gate:N", title="gate", sort=gates, legend=top_legend(), scale=alt.Scale(range=list(TABLEAU10))),
        size=alt.Size("count:Q", title="gates at this spot", scale=alt.Scale(domain=[1, max(most, 2)], range=[30, 360]),
                      legend=top_legend(values=sorted({1, most}), symbolFillColor=NEUTRAL)),
        tooltip=["gate:N", alt.Tooltip("count:Q", title="gates at this spot"), alt.Tooltip("units:N", title="units"),
                 alt.Tooltip("layers:N", title="layer"), alt.Tooltip("x:Q", title="almost shut", format=".0%"),
                 alt.Tooltip("y:Q", title="almost open", format=".0%")],
    )
    counts = alt.Chart(merged).mark_text(baseline="bottom", dy=-11, fontSize=10, color=NEUTRAL).encode(
        **position, text="label:N")
    edge = alt.Chart(pd.DataFrame({"x": [0], "y": [1], "x2": [1], "y2": [0]})).mark_rule(
        color=NEUTRAL, strokeDash=[4, 4]).encode(x="x:Q", y="y:Q", x2="x2", y2="y2")
    parts = ["after Karpathy et al. 2015: almost shut < 0.1, almost fully open > 0.9",
             "points lie on or below the edge x + y = 1",
             f"gates at the same spot (to 1%) are one point sized and labelled by their count, each gate's "
             f"nudged {SATURATION_NUDGE:.0%} right of the one before"]
    top = merged.loc[merged["count"].idxmax()] if len(merged) else None
    if top is not None and top["count"] > 1:
        parts.append(f"largest: {int(top['count'])} of {len(sat)} {top['gate']} gates at "
                     f"({top['x']:.0%}, {top['y']:.0%})")
    return alt.layer(edge, points, counts).properties(title=chart_title("Gate saturation", *parts, note=note),
                                                      width="container", height=560)


def _walk_row_names(cell: str, order: Sequence[str]) -> dict[str, str]:
    """Each walkthrough row's symbol with its meaning in words: 'f  forget gate', 'x_t  input'."""
    quantities = {symbol: quantity for quantity, symbol in CELLS[cell].symbols.items()}
    gates = set(CELLS[cell].sigmoid_gates)
    named = {}
    for symbol in order:
        quantity = quantities.get(symbol, "")
        words = _WALK_WORDS.get(symbol) or CELLS[cell].row_words.get(symbol) or (
            f"{quantity} gate" if quantity in gates else f"{quantity} state" if quantity in _STATE_ORDER else quantity)
        named[symbol] = f"{symbol}  {words}".rstrip()
    return named


def plot_walkthrough(step_df: pd.DataFrame, *, cell: str, note: str = "") -> alt.LayerChart:
    """step_df[quantity, unit, value] for one step -> one heat-strip per quantity in equation order.

    Quantity names follow WALKTHROUGH_ORDER[cell]; every row is labelled with its symbol and its
    meaning; gate rows use [0, 1], the rest diverge at 0.
    """
    if cell not in WALKTHROUGH_ORDER:
        raise ValueError(
            f"plot_walkthrough: cell {cell!r} is unknown; choose one of {list(WALKTHROUGH_ORDER)}")
    check_frame(step_df, ["quantity", "unit", "value"], builder="plot_walkthrough", arg="step_df")
    order = ordered_unique(step_df["quantity"], WALKTHROUGH_ORDER[cell])
    names = _walk_row_names(cell, order)
    step_df = step_df.assign(row=step_df["quantity"].map(names))
    rows = [names[q] for q in order]
    gates = sorted(set(CELLS[cell].walkthrough_gates) & set(order))
    units = sorted(pd.unique(step_df["unit"]))
    base = alt.Chart(step_df).mark_rect(stroke=NEUTRAL, strokeWidth=0.25).encode(
        x=alt.X("unit:O", title="unit (x_t: input feature)", axis=alt.Axis(labelAngle=0, values=sparse_labels(units, 32))),
        y=alt.Y("row:O", title=None, sort=rows, axis=alt.Axis(labelOverlap=False, labelLimit=240, labelPadding=6)),
        tooltip=[alt.Tooltip("row:N", title="row"), "unit:O", alt.Tooltip("value:Q", format=".4f")],
    )
    legend = {"orient": "bottom", "direction": "horizontal", "gradientLength": 120, "titleLimit": 300}
    signed = step_df.loc[~step_df["quantity"].isin(gates), "value"]
    is_gate = alt.FieldOneOfPredicate(field="quantity", oneOf=gates)
    layers = [base.transform_filter(alt.LogicalNotPredicate(**{"not": is_gate})).encode(color=alt.Color(
        "value:Q", title="value (blue below 0, orange above)", scale=signed_scale(signed),
        legend=alt.Legend(**legend)))]
    if gates:
        layers.append(base.transform_filter(is_gate).encode(color=alt.Color(
            "value:Q", title="gate (0 closed, 1 open)", scale=alt.Scale(scheme="viridis", domain=[0, 1]),
            legend=alt.Legend(**legend))))
    return alt.layer(*layers).resolve_scale(color="independent").properties(
        title=chart_title(f"One {CELLS[cell].label} step, row by row", CELLS[cell].summary, note=note),
        width="container", height=190 + 28 * len(order))  # rows, plus title, x axis and legends
