"""Chart builders for the dashboard: a tidy DataFrame goes in, an Altair chart comes out.

Pure functions (DESIGN decision 7). They never train, load or draw, and never import Streamlit.
Every frame a builder is given may hold at most ``MAX_ROWS`` rows: downsample with
``lstm_forecast.inspect.time_bins.downsample`` first. A builder that aggregates by itself is the
exception, and it says on the chart what it did. Every builder takes ``note``, the caller's own
words for the subtitle (e.g. "mean over 20-step bins").

Layout. Every builder returns one view or a layer of views with width "container", so it fits its
column at any width: Vega-Lite cannot fit a concatenation to its container (it overflows and logs
`Autosize "fit" only works for single views`). Charts read one above the other (the season view,
states along the series, gates and states over time) share their x scale, reserve exactly
``AXIS_EXTENT`` px for the y axis and keep legends above or below the plot, so their plots line up.

Colour, on light and dark themes alike (no text or background colour is hard-coded):
- one colour per method in every chart (`method_colours`): models solid, in Okabe & Ito's
  colour-blind-safe palette (one colour per cell); baselines thinner and dashed, in Paul Tol's
  muted scheme; the actual series gray;
- gates on ``viridis``, fitted to the values shown, or on the fixed domain [0, 1] on request;
- signed states on ``blueorange``, symmetric about 0.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence

import altair as alt
import numpy as np
import pandas as pd

from ..cells import CELLS, by_name

MAX_ROWS = 5_000  # rows per frame; Altair refuses more, and the browser slows down well before
NEUTRAL = "gray"  # the actual series, rules and shading: readable on light and dark themes
AXIS_EXTENT = 64  # px every y axis takes for its ticks and labels, so charts in one column line up
Y_TITLE_LIMIT = 160  # px of a y axis title: no stacked chart is lower than 170 px
SUBTITLE_CHARS = 90  # characters per subtitle line: one line fits a 500-px column in Vega's 11-px font
TABLEAU10 = ("#4c78a8", "#f58518", "#e45756", "#72b7b2", "#54a24b",
             "#eeca3b", "#b279a2", "#ff9da6", "#9d755d", "#bab0ac")  # Vega's "tableau10", for units
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
WALKTHROUGH_ORDER = by_name("walkthrough")  # plot_walkthrough's rows, in order (live)
_STATE_ORDER = ("cell", "hidden")
_GATE_ORDER = ("input", "forget", "candidate", "output", "reset", "update")
_WALK_WORDS = {  # the inputs every walkthrough starts with, in words (each cell's own rows: its row_words)
    "x_t": "input", "h_prev": "previous hidden state", "c_prev": "previous cell state",
}
# A time axis label per tick: the year on 1 January, month and year on other month starts, the day
# on other midnights, the clock time otherwise; so hourly data over years still shows its years.
TIME_LABELS = ("timeFormat(datum.value, hours(datum.value) || minutes(datum.value) ? '%H:%M' : "
               "date(datum.value) !== 1 ? '%d %b' : month(datum.value) ? '%b %Y' : '%Y')")


# ---------------------------------------------------------------- helpers


def encode_time(frame: pd.DataFrame, field: str = "timestamp", *, channel=alt.X, **kwargs):
    """Encode a time column on `channel`: `:T` for datetimes, `:Q` titled "step" for integer steps.

    A datetime axis labels every tick with what a reader needs (TIME_LABELS: years stay visible).
    """
    column = frame[field]
    if pd.api.types.is_datetime64_any_dtype(column):
        kwargs.setdefault("title", "time")
        if channel is alt.Tooltip:
            kwargs.setdefault("format", "%Y-%m-%d %H:%M")
        elif channel is alt.X:
            kwargs.setdefault("axis", alt.Axis(labelExpr=TIME_LABELS, labelOverlap="greedy", labelSeparation=4))
        return channel(f"{field}:T", **kwargs)
    if pd.api.types.is_numeric_dtype(column):
        kwargs.setdefault("title", "step")
        return channel(f"{field}:Q", **kwargs)
    raise ValueError(f"column {field!r} has dtype {column.dtype}; pass datetimes or integer steps")


def time_scale(domain: Sequence | None = None) -> alt.Scale:
    """An x scale over exactly `domain` (first, last time or step), so charts read one above the other align."""
    if domain is None:
        return alt.Scale(nice=False)
    first, last = domain
    if isinstance(first, (pd.Timestamp, np.datetime64)):
        return alt.Scale(domain=[_datetime(first), _datetime(last)], nice=False)
    return alt.Scale(domain=[float(first), float(last)], nice=False)


def _datetime(value) -> alt.DateTime:
    """A Vega-Lite date-time in local time, as Vega reads the data's own time stamps."""
    t = pd.Timestamp(value)
    return alt.DateTime(year=t.year, month=t.month, date=t.day, hours=t.hour, minutes=t.minute, seconds=t.second)


_NAMED_PHASES = {  # calendar phases are 0-based numbers in the data; axes and sentences show what a reader expects
    "month of year": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "day of week": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "weekday": ("Mon", "Tue", "Wed", "Thu", "Fri"),
}
_PHASE_NAMES = {  # the same as Vega label expressions
    **{label: f"{list(names)!r}[datum.value]" for label, names in _NAMED_PHASES.items()},
    "quarter of year": "'Q' + (datum.value + 1)",
    "week of year": "datum.value + 1",
    "day of year": "datum.value + 1",
}


def phase_text(phase_label: str, phase: int) -> str:
    """One phase in words, as its axis shows it: 'Jul' (month of year 6), 'Q3', 'week 5', 'hour 7'."""
    names = _NAMED_PHASES.get(phase_label)
    if names is not None and 0 <= phase < len(names):
        return names[phase]
    if phase_label == "quarter of year":
        return f"Q{phase + 1}"
    if phase_label in ("week of year", "day of year"):
        return f"{phase_label.split()[0]} {phase + 1}"
    unit = phase_label.split(" of ")[0] if " of " in phase_label else "step"
    return f"{unit} {phase}"


def plain_phase(phase_label: str) -> str:
    """The phase axis in words: 'step mod 127' becomes 'step within the 127-step season'."""
    if phase_label.startswith("step mod "):
        return f"step within the {phase_label.removeprefix('step mod ')}-step season"
    return phase_label


def column_title(name: object) -> str:
    """A column name fit for a title: a bare number or symbol ('0') becomes 'value of column 0'."""
    text = str(name).strip()
    return text if any(ch.isalpha() for ch in text) else f"value of column {text or repr(name)}"


def phase_label_expr(phase_label: str):
    """A Vega label expression naming calendar phases (Jan.., Mon..), or Undefined to show the number."""
    return _PHASE_NAMES.get(phase_label, alt.Undefined)


def check_frame(frame: pd.DataFrame, columns: Sequence[str], *, builder: str, arg: str) -> None:
    """Raise ValueError if `frame` lacks a column or holds more than MAX_ROWS rows."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{builder}: {arg} lacks column(s) {missing}; it has {list(frame.columns)}")
    if len(frame) > MAX_ROWS:
        raise ValueError(
            f"{builder}: {arg} has {len(frame):,} rows, more than the {MAX_ROWS:,} a chart may take; "
            "downsample it first with lstm_forecast.inspect.time_bins.downsample"
        )


def chart_title(text: str, *parts: str, note: str = "") -> alt.TitleParams:
    """A left-anchored title whose subtitle lines join the non-empty `parts` and the caller's `note`,
    wrapped at SUBTITLE_CHARS so that a narrow column shows all of it."""
    subtitle = textwrap.wrap(" · ".join(p for p in (*parts, note) if p), SUBTITLE_CHARS, break_on_hyphens=False)
    if subtitle:  # Streamlit's theme colours the title but not the subtitle; gray reads on both
        return alt.Title(text, subtitle=subtitle, subtitleColor=NEUTRAL, anchor="start")
    return alt.Title(text, anchor="start")


def aligned_y_axis(**kwargs) -> alt.Axis:
    """A y axis taking exactly AXIS_EXTENT px, so stacked charts' plots start at the same x; its title is cut
    with an ellipsis at Y_TITLE_LIMIT px (a longer one squashed the plot to a line: a 62-character gate name)."""
    kwargs.setdefault("labelLimit", AXIS_EXTENT - 8)
    kwargs.setdefault("titleLimit", Y_TITLE_LIMIT)
    return alt.Axis(minExtent=AXIS_EXTENT, maxExtent=AXIS_EXTENT, **kwargs)


def top_legend(**kwargs) -> alt.Legend:
    """A legend above the plot, so it never takes width from it (charts in a column stay aligned)."""
    kwargs.setdefault("orient", "top")
    kwargs.setdefault("titleLimit", 400)
    kwargs.setdefault("labelLimit", 260)
    return alt.Legend(**kwargs)


def _gradient_legend(**kwargs) -> alt.Legend:
    return top_legend(direction="horizontal", gradientLength=180, **kwargs)


def _fitted(values: pd.Series, *, fixed: bool) -> tuple[list[float], str]:
    """Domain of a gate's scale: [0, 1] when `fixed`, else the values' range; and words saying which."""
    if fixed:
        return [0.0, 1.0], "fixed 0-1 scale"
    finite = values[np.isfinite(values)] if len(values) else values
    lo, hi = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
    if hi - lo < 1e-6:
        lo, hi = lo - 0.005, hi + 0.005
    return [lo, hi], f"scale fitted to the values shown, {lo:.2f} to {hi:.2f}"


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


def _ordered(values: pd.Series | Sequence, first: Sequence[str]) -> list:
    """Unique `values`: those named in `first` in that order, then the rest as they appear."""
    present = list(pd.unique(pd.Series(list(values), dtype=object)))
    return [v for v in first if v in present] + [v for v in present if v not in first]


def _sparse_labels(values: Sequence, max_labels: int = 12) -> list:
    """Every k-th of `values` so at most `max_labels` axis labels show."""
    step = max(1, math.ceil(len(values) / max_labels))
    return list(values)[::step]


def _label_units(frame: pd.DataFrame) -> tuple[pd.DataFrame, list]:
    """Unit labels as "layer · unit" (layers counted from 1) when several layers are present, and their order."""
    if "layer" in frame.columns and frame["layer"].nunique() > 1:
        keys = frame[["layer", "unit"]].drop_duplicates().sort_values(["layer", "unit"])
        order = [f"{layer + 1} · {unit}" for layer, unit in keys.itertuples(index=False)]
        labels = (frame["layer"] + 1).astype(str) + " · " + frame["unit"].astype(str)
        return frame.assign(unit=labels), order
    return frame, sorted(pd.unique(frame["unit"]))


def _unit_title(frame: pd.DataFrame) -> str:
    return "layer · unit" if "layer" in frame.columns and frame["layer"].nunique() > 1 else "unit"


def _with_bin_end(frame: pd.DataFrame, field: str) -> pd.DataFrame:
    """Add `time_end`: the next time present, so heatmap cells tile; the last cell gets the median width."""
    times = pd.Index(np.sort(pd.unique(frame[field])))
    if len(times) > 1:
        width = pd.Series(times[1:] - times[:-1]).median()
    else:
        width = pd.Timedelta(1, "s") if pd.api.types.is_datetime64_any_dtype(times) else 1
    ends = times[1:].append(pd.Index([times[-1] + width]))
    return frame.assign(time_end=ends[times.get_indexer(frame[field])])


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
             + _ordered([m for m in kinds.index if kinds[m] not in (ACTUAL, "model")], list(BASELINE_COLOURS)))
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
              _hover_points(line, tooltip, fields=["timestamp"], name="hover")]
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
    layers = [lines, _hover_points(base.transform_filter(pick), tooltip, fields=["timestamp"], name="hover")]
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


# ---------------------------------------------------------------- looking inside


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
    unit_title = _unit_title(traj_df)
    traj_df, units = _label_units(traj_df)
    quantity = _ordered(traj_df["quantity"], _STATE_ORDER)[0] if len(traj_df) else "cell"
    tooltip = [encode_time(traj_df, channel=alt.Tooltip), alt.Tooltip("unit:N", title=unit_title), "quantity:N",
               alt.Tooltip("value:Q", format=".3f")]
    base = alt.Chart(traj_df).encode(
        x=encode_time(traj_df, scale=time_scale(time_domain)),
        y=alt.Y("value:Q", title=f"{quantity} state", axis=aligned_y_axis()),
        color=alt.Color("unit:N", title=unit_title, sort=units, legend=top_legend(),
                        scale=alt.Scale(range=list(TABLEAU10))),
    )
    layers = [base.mark_line(clip=True), _hover_points(base, tooltip, fields=["timestamp"], name="hover")]
    title = chart_title(f"{quantity.capitalize()} state of the units that move most",
                   "one line per unit, on the same time axis as the series above", note=note)
    return alt.layer(*layers).properties(title=title, width="container", height=320)


def cycle_names(starts: pd.Series) -> tuple[dict, str]:
    """starts: cycle -> its first time stamp. Each cycle's calendar name and the axis title:
    years for yearly seasons ('1949'), months, week starts or days for shorter ones."""
    if not pd.api.types.is_datetime64_any_dtype(starts) or len(starts) == 0:
        return {c: str(int(c) + 1) for c in starts.index}, "cycle"
    gaps = pd.Series(starts.sort_values().values).diff().dropna()
    gap = gaps.median() if len(gaps) else pd.Timedelta(0)
    for least, fmt, title in ((pd.Timedelta(days=360), "%Y", "year"), (pd.Timedelta(days=28), "%b %Y", "month"),
                              (pd.Timedelta(days=6), "%d %b %Y", "week starting"), (pd.Timedelta(days=1), "%d %b %Y", "day")):
        if gap >= least:
            return {c: t.strftime(fmt) for c, t in starts.items()}, title
    return {c: t.strftime("%d %b %Y %H:%M") for c, t in starts.items()}, "cycle starting"


def _phase_x(frame: pd.DataFrame, phase_label: str, period: int | None, *, start: str = "phase") -> dict:
    """The shared phase axis of the season view: quantitative, one unit per phase, over exactly
    [-0.5, period - 0.5], so a heatmap cell and a profile point of one phase sit at the same x."""
    n = int(period) if period else int(frame["phase"].max()) + 1 if len(frame) else 1
    label = plain_phase(phase_label)
    axis = alt.Axis(values=_sparse_labels(list(range(n)), 24), labelExpr=phase_label_expr(phase_label),
                    labelAngle=0, grid=False, labelOverlap="greedy")
    return {"x": alt.X(f"{start}:Q", title=label, axis=axis, scale=alt.Scale(domain=[-0.5, n - 0.5], nice=False,
                                                                             zero=False))}


def plot_phase_cycle_heatmap(
    fold: pd.DataFrame, *, gate_label: str, phase_label: str, period: int | None = None,
    cycle_labels: Mapping | None = None, cycle_title: str = "cycle", fixed_scale: bool = False, note: str = ""
) -> alt.LayerChart:
    """fold[phase, cycle, value] -> phase (x) by cycle (y) heatmap of the mean value.

    Aggregates by itself, so any number of rows is accepted: duplicates of a (phase, cycle) are
    averaged, and cycles are grouped when phases x cycles would pass MAX_ROWS. A gate's colour is
    fitted to the values shown (`fixed_scale`: [0, 1]); signed values diverge about 0. The x axis is
    `_phase_x`'s, shared with plot_phase_profile. cycle_labels: cycle -> name ('1949'), see cycle_names.
    """
    check_frame(fold.head(0), ["phase", "cycle", "value"], builder="plot_phase_cycle_heatmap", arg="fold")
    cells = fold.groupby(["phase", "cycle"], as_index=False)["value"].mean()
    parts = ["colour: mean per phase and cycle"]
    cycles = np.sort(cells["cycle"].unique())
    n_phases = max(1, cells["phase"].nunique())
    if len(cells) > MAX_ROWS:
        group = math.ceil(len(cycles) / max(1, MAX_ROWS // n_phases))
        first = cycles[(np.searchsorted(cycles, cells["cycle"]) // group) * group]
        cells = cells.assign(cycle=first).groupby(["phase", "cycle"], as_index=False)["value"].mean()
        cycles = np.sort(cells["cycle"].unique())
        parts.append(f"cycles averaged in groups of {group}, each named by its first")
    check_frame(cells, [], builder="plot_phase_cycle_heatmap", arg="fold after averaging")
    names = {c: (cycle_labels or {}).get(c, str(int(c) + 1) if cycle_labels is None else str(c)) for c in cycles}
    cells = cells.assign(cycle_name=cells["cycle"].map(names), start=cells["phase"] - 0.5, end=cells["phase"] + 0.5)
    order = [names[c] for c in cycles]
    if _in_unit_interval(cells["value"]):
        domain, said = _fitted(cells["value"], fixed=fixed_scale)
        scale = alt.Scale(scheme="viridis", domain=domain)
        parts.append(said)
    else:
        scale = _signed_scale(cells["value"])
    plabel = plain_phase(phase_label)
    chart = alt.Chart(cells).mark_rect().encode(
        **_phase_x(cells, phase_label, period, start="start"), x2="end:Q",
        y=alt.Y("cycle_name:O", title=cycle_title, sort=order, axis=aligned_y_axis(values=_sparse_labels(order, 12))),
        color=alt.Color("value:Q", title=gate_label, scale=scale, legend=_gradient_legend()),
        tooltip=[alt.Tooltip("phase:Q", title=plabel), alt.Tooltip("cycle_name:N", title=cycle_title),
                 alt.Tooltip("value:Q", title=gate_label, format=".3f")],
    )
    height = min(480, max(120, 22 * len(order))) + 190  # rows, plus title, legend and axis
    return alt.layer(chart).properties(title=chart_title(f"{gate_label} by {plabel} and {cycle_title}", *parts, note=note),
                                       width="container", height=height)


def plot_phase_profile(
    profile: pd.DataFrame, *, value_title: str, phase_label: str, period: int | None = None, gate: bool = True,
    fixed_scale: bool = False, note: str = ""
) -> alt.LayerChart:
    """profile[phase, mean, q25, q75, (unit)] -> mean line and 25-75% band over the phase.

    gate: a gate's profile (y fitted to the values, or [0, 1] with `fixed_scale`); else the series'
    own (gray). On `_phase_x`'s axis, so it lines up under plot_phase_cycle_heatmap.
    """
    check_frame(profile, ["phase", "mean", "q25", "q75"], builder="plot_phase_profile", arg="profile")
    title_text = column_title(value_title)
    unit_title = _unit_title(profile)
    if "unit" in profile.columns:
        profile, _ = _label_units(profile)
    x = _phase_x(profile, phase_label, period)
    values = profile[["mean", "q25", "q75"]].stack()
    parts = ["line: mean over cycles; band: middle 50% of cycles"]
    if gate and _in_unit_interval(values):
        domain, said = _fitted(values, fixed=fixed_scale)
        scale = alt.Scale(domain=domain, nice=False, zero=False)
        parts.append(said.replace("scale", "y scale"))
    else:
        scale = alt.Scale(zero=False)
    by_unit = "unit" in profile.columns and profile["unit"].nunique() > 1
    if by_unit:
        base = alt.Chart(profile).encode(**x, color=alt.Color("unit:N", title=unit_title, legend=top_legend(),
                                                              scale=alt.Scale(range=list(TABLEAU10))))
        mark = {}
    else:
        base, mark = alt.Chart(profile).encode(**x), {"color": TABLEAU10[0] if gate else NEUTRAL}
    band = base.mark_area(opacity=0.3, **mark).encode(
        y=alt.Y("q25:Q", title=title_text, scale=scale, axis=aligned_y_axis(tickCount=4, titleLimit=240)), y2="q75:Q")
    line = base.mark_line(**mark).encode(y=alt.Y("mean:Q", title=title_text, scale=scale))
    plabel = plain_phase(phase_label)
    tooltip = [alt.Tooltip("phase:Q", title=plabel)] + ([alt.Tooltip("unit:N", title=unit_title)] if by_unit else [])
    tooltip += [alt.Tooltip(f"{c}:Q", format=".4~g") for c in ("mean", "q25", "q75")]
    hover = _hover_points(line, tooltip, fields=["phase"], name="hover", **mark)
    what = f"{title_text} across the season" if gate else f"The series' own season: {title_text}"
    return alt.layer(band, line, hover).properties(
        title=chart_title(f"{what}, by {plabel}", *parts, note=note), width="container", height=250)


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
    quantities = _ordered(frame["quantity"].astype(str), order)
    frame, units = _label_units(frame)
    frame = frame.assign(quantity=frame["quantity"].astype(str))
    frame = frame.assign(row=frame["quantity"] + " " + frame["unit"].astype(str))
    rows = [f"{q} {u}" for q in quantities for u in units]
    firsts = [f"{q} {units[0]}" for q in quantities] if units else []
    labelled = sorted(set(_sparse_labels(rows, 24)) | set(firsts), key=rows.index)
    y = alt.Y("row:O", title="units, by quantity", sort=rows,
              axis=aligned_y_axis(values=labelled, labelFontWeight=alt.ExprRef(
                  f"indexof({firsts!r}, datum.value) >= 0 ? 'bold' : 'normal'")))
    tooltip = [encode_time(frame, field, channel=alt.Tooltip), "unit:N", "quantity:N",
               alt.Tooltip("value:Q", format=".3f")]
    base = alt.Chart(frame).mark_rect().encode(x=encode_time(frame, field, scale=alt.Scale(nice=False)),
                                                x2="time_end", y=y, tooltip=tooltip)
    if shared_colour:
        layers = [base.encode(color=alt.Color("value:Q", title=legend_title, scale=colour(frame["value"]),
                                              legend=_gradient_legend()))]
    else:
        layers = [base.transform_filter(alt.FieldEqualPredicate(field="quantity", equal=q)).encode(
            color=alt.Color("value:Q", title=q, scale=colour(frame.loc[frame["quantity"] == q, "value"]),
                            legend=_gradient_legend()))
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
    domain, said = _fitted(gates["value"], fixed=fixed_scale)
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
    return _time_unit_heatmap(states, order=_STATE_ORDER, colour=_signed_scale, shared_colour=False, title=title,
                              legend_title="value")


SATURATION_NUDGE = 0.03  # share of steps between the gates' points at one spot (along x), so none hides another


def plot_saturation(sat: pd.DataFrame, *, note: str = "") -> alt.LayerChart:
    """sat[layer, unit, gate, frac_low, frac_high] -> share of steps each gate is shut vs wide open.

    Gates at the same spot (to 1%) are drawn as one point sized and labelled by their count, and
    each gate's points are nudged SATURATION_NUDGE apart, so overlapping points stay visible; the
    subtitle says so, and the tooltip gives the exact shares.
    """
    check_frame(sat, ["layer", "unit", "gate", "frac_low", "frac_high"], builder="plot_saturation", arg="sat")
    spots = sat.assign(x=sat["frac_low"].round(2), y=sat["frac_high"].round(2), layer=sat["layer"] + 1)
    gates = _ordered(spots["gate"], _GATE_ORDER)
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
    order = _ordered(step_df["quantity"], WALKTHROUGH_ORDER[cell])
    names = _walk_row_names(cell, order)
    step_df = step_df.assign(row=step_df["quantity"].map(names))
    rows = [names[q] for q in order]
    gates = sorted(set(CELLS[cell].walkthrough_gates) & set(order))
    units = sorted(pd.unique(step_df["unit"]))
    base = alt.Chart(step_df).mark_rect(stroke=NEUTRAL, strokeWidth=0.25).encode(
        x=alt.X("unit:O", title="unit (x_t: input feature)", axis=alt.Axis(labelAngle=0, values=_sparse_labels(units, 32))),
        y=alt.Y("row:O", title=None, sort=rows, axis=alt.Axis(labelOverlap=False, labelLimit=240, labelPadding=6)),
        tooltip=[alt.Tooltip("row:N", title="row"), "unit:O", alt.Tooltip("value:Q", format=".4f")],
    )
    legend = {"orient": "bottom", "direction": "horizontal", "gradientLength": 120, "titleLimit": 300}
    signed = step_df.loc[~step_df["quantity"].isin(gates), "value"]
    is_gate = alt.FieldOneOfPredicate(field="quantity", oneOf=gates)
    layers = [base.transform_filter(alt.LogicalNotPredicate(**{"not": is_gate})).encode(color=alt.Color(
        "value:Q", title="value (blue below 0, orange above)", scale=_signed_scale(signed),
        legend=alt.Legend(**legend)))]
    if gates:
        layers.append(base.transform_filter(is_gate).encode(color=alt.Color(
            "value:Q", title="gate (0 closed, 1 open)", scale=alt.Scale(scheme="viridis", domain=[0, 1]),
            legend=alt.Legend(**legend))))
    return alt.layer(*layers).resolve_scale(color="independent").properties(
        title=chart_title(f"One {CELLS[cell].label} step, row by row", CELLS[cell].summary, note=note),
        width="container", height=190 + 28 * len(order))  # rows, plus title, x axis and legends


def plot_seasonality_scores(scores: pd.DataFrame, *, k: int = 10, note: str = "") -> alt.LayerChart:
    """scores[unit, score, amplitude, (layer)] -> bars of the top-k units by share of variance explained.

    Selects by itself, so any number of rows is accepted.
    """
    check_frame(scores.head(0), ["unit", "score", "amplitude"], builder="plot_seasonality_scores", arg="scores")
    unit_title = _unit_title(scores)
    labelled, _ = _label_units(scores)
    top = labelled.dropna(subset=["score"]).nlargest(k, "score")
    bars = alt.Chart(top).mark_bar().encode(
        x=alt.X("score:Q", title="share of the gate's variance explained by the phase", scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format="%", tickCount=5)),
        y=alt.Y("unit:N", title=unit_title, sort="-x", axis=aligned_y_axis(labelOverlap=False)),
        tooltip=[alt.Tooltip("unit:N", title=unit_title), alt.Tooltip("score:Q", format=".1%"),
                 alt.Tooltip("amplitude:Q", format=".3f")],
    )
    title = chart_title("Most seasonal units", f"top {len(top)} of {len(scores)} units by score", note=note)
    return alt.layer(bars).properties(title=title, width="container", height=110 + 30 * len(top))
