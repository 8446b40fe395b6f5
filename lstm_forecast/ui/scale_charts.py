"""Chart builders for panels and sweeps: a tidy DataFrame in, an Altair chart out (pure, no Streamlit).

Same conventions as charts.py: typed encodings, at most MAX_ROWS rows, a `note` for the subtitle.
"""
from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from .charts import MAX_ROWS, NEUTRAL, TABLEAU10, chart_title, check_frame

VERDICT_COLOURS = {"beats": TABLEAU10[4], "ties": TABLEAU10[5], "loses to": TABLEAU10[2],
                   "cannot be compared with": TABLEAU10[9]}
STATE_COLOURS = {"complete": TABLEAU10[0], "pruned": TABLEAU10[1], "fail": TABLEAU10[2]}
SETTINGS = ("cell", "lookback", "hidden", "layers", "dropout", "lr")


def plot_relative_mase(scores: pd.DataFrame, *, note: str = "") -> alt.LayerChart:
    """One bar per series: its model's MASE over seasonal naive's (log scale, 1 = a tie), worst on top.

    scores: id, relative_mase, verdict, mase, seasonal_naive_mase (panels.panel_scores).
    """
    check_frame(scores, ["id", "relative_mase", "verdict", "mase", "seasonal_naive_mase"], builder="plot_relative_mase",
           arg="scores")
    frame = scores[np.isfinite(scores["relative_mase"]) & (scores["relative_mase"] > 0)]
    order = frame.sort_values("relative_mase", ascending=False)["id"].tolist()
    height = max(200, min(26 * len(order) + 70, 1800))
    verdicts = [v for v in VERDICT_COLOURS if v in set(frame["verdict"])]
    bars = alt.Chart(frame).mark_bar().encode(
        y=alt.Y("id:N", sort=order, title=None, axis=alt.Axis(labelLimit=220, labelOverlap=False)),
        x=alt.X("relative_mase:Q", scale=alt.Scale(type="log"), title="MASE / seasonal naive's MASE (log)"),
        x2=alt.X2(datum=1.0),  # bars grow from 1, the tie: left is better, right is worse
        color=alt.Color("verdict:N", title="against seasonal naive",
                        scale=alt.Scale(domain=verdicts, range=[VERDICT_COLOURS[v] for v in verdicts])),
        tooltip=[alt.Tooltip("id:N"), alt.Tooltip("relative_mase:Q", format=".3f", title="relative MASE"),
                 alt.Tooltip("mase:Q", format=".3f", title="MASE"),
                 alt.Tooltip("seasonal_naive_mase:Q", format=".3f", title="seasonal naive MASE")],
    )
    one = alt.Chart(pd.DataFrame({"x": [1.0]})).mark_rule(color=NEUTRAL, strokeDash=[4, 3]).encode(x="x:Q")
    return alt.layer(bars, one).properties(
        height=height, title=chart_title("Every series against its own seasonal naive", "left of the dashed line: better",
                                    note=note))


def parallel_frame(trials: pd.DataFrame) -> pd.DataFrame:
    """Trials (sweep.trials_table) as long rows for parallel coordinates: one row per trial and axis.

    Each axis is scaled to [0, 1] over the trials shown (categories by their order, lr on a log scale);
    `label` keeps the real value for the tooltip. The last axis is the validation score.
    """
    shown = trials[trials["state"].isin(["complete", "pruned"])].copy()
    rows = []
    axes = [s for s in SETTINGS if f"param_{s}" in shown] + ["score"]
    for axis in axes:
        column = "score" if axis == "score" else f"param_{axis}"
        values = shown[column]
        if axis == "score" and shown["state"].eq("pruned").any():  # a pruned trial has no final score
            values = values.where(shown["state"] == "complete")
        if pd.api.types.is_numeric_dtype(values) and axis != "cell":
            numbers = np.log10(values.astype(float)) if axis == "lr" else values.astype(float)
            low, high = np.nanmin(numbers), np.nanmax(numbers)
            position = (numbers - low) / (high - low) if high > low else numbers * 0 + 0.5
            labels = values.map(lambda v: "" if pd.isna(v) else (f"{v:.3g}" if isinstance(v, float) else str(v)))
        else:
            order = sorted(values.dropna().astype(str).unique())
            codes = values.astype(str).map({v: i for i, v in enumerate(order)})
            position = codes / (len(order) - 1) if len(order) > 1 else codes * 0 + 0.5
            labels = values.astype(str)
        for number, state, score, pos, label in zip(shown["number"], shown["state"], shown["score"], position, labels):
            rows.append({"trial": int(number), "state": state, "axis": axis, "position": pos, "label": label,
                         "score": score if state == "complete" else np.nan})
    return pd.DataFrame(rows, columns=["trial", "state", "axis", "position", "label", "score"])


def plot_parallel(long: pd.DataFrame, *, note: str = "") -> alt.LayerChart:
    """Parallel coordinates: one line per trial across its settings and its score; colour = score.

    long: parallel_frame's rows. Pruned trials are thin grey lines that stop before the score axis.
    """
    check_frame(long, ["trial", "state", "axis", "position", "label", "score"], builder="plot_parallel", arg="long")
    axes = list(dict.fromkeys(long["axis"]))
    x = alt.X("axis:N", sort=axes, title=None, axis=alt.Axis(labelAngle=0, domain=False, ticks=False))
    y = alt.Y("position:Q", axis=None, scale=alt.Scale(domain=[-0.05, 1.05]))
    tooltip = [alt.Tooltip("trial:Q"), alt.Tooltip("axis:N", title="setting"), alt.Tooltip("label:N", title="value"),
               alt.Tooltip("score:Q", format=".4f", title="validation MASE")]
    complete = long[long["state"] == "complete"]
    pruned = long[(long["state"] == "pruned") & long["position"].notna()]
    rules = alt.Chart(pd.DataFrame({"axis": axes})).mark_rule(color=NEUTRAL, opacity=0.4).encode(x=alt.X("axis:N", sort=axes))
    grey = alt.Chart(pruned).mark_line(color=NEUTRAL, opacity=0.35, strokeWidth=1).encode(
        x=x, y=y, detail="trial:N", tooltip=tooltip)
    lines = alt.Chart(complete).mark_line(strokeWidth=2).encode(
        x=x, y=y, detail="trial:N", tooltip=tooltip,
        color=alt.Color("score:Q", scale=alt.Scale(scheme="viridis", reverse=True), title="validation MASE"))
    ends = long.dropna(subset=["position"]).sort_values("position").groupby("axis").agg(
        low=("label", "first"), high=("label", "last")).reset_index()
    ticks = pd.concat([ends.assign(position=-0.05, label=ends["low"]), ends.assign(position=1.05, label=ends["high"])])
    text = alt.Chart(ticks[["axis", "position", "label"]]).mark_text(color=NEUTRAL, fontSize=10).encode(
        x=alt.X("axis:N", sort=axes), y=y, text="label:N")
    return alt.layer(rules, grey, lines, text).properties(
        height=320, title=chart_title("Settings of every trial", "one line per trial, darker = lower validation MASE",
                                 "grey: pruned", note=note))


def plot_score_by_trial(trials: pd.DataFrame, *, note: str = "") -> alt.LayerChart:
    """Each trial's validation score against its number (pruned: its last score), and the best so far."""
    check_frame(trials, ["number", "state", "score"], builder="plot_score_by_trial", arg="trials")
    frame = trials[trials["state"].isin(["complete", "pruned"])].copy()
    frame["best so far"] = frame["score"].where(frame["state"] == "complete").cummin()
    states = [s for s in STATE_COLOURS if s in set(frame["state"])]
    points = alt.Chart(frame).mark_point(filled=True, size=70).encode(
        x=alt.X("number:Q", title="trial", axis=alt.Axis(tickMinStep=1, format="d")), y=alt.Y("shown:Q", title="validation MASE", scale=alt.Scale(zero=False)),
        color=alt.Color("state:N", scale=alt.Scale(domain=states, range=[STATE_COLOURS[s] for s in states])),
        shape=alt.Shape("default:N", title="default settings"),
        tooltip=[alt.Tooltip("number:Q", title="trial"), "state:N", alt.Tooltip("shown:Q", format=".4f",
                                                                               title="validation MASE"),
                 alt.Tooltip("epochs_run:Q", title="epochs")],
    ).transform_calculate(shown="isValid(datum.score) ? datum.score : datum.last_score")
    best = alt.Chart(frame.dropna(subset=["best so far"])).mark_line(interpolate="step-after", color=NEUTRAL).encode(
        x="number:Q", y="best so far:Q")
    return alt.layer(best, points).properties(
        height=260, title=chart_title("Score against trial", "line: the best so far", "pruned: last score before it stopped",
                                 note=note))


def with_last_scores(trials: pd.DataFrame, curves: pd.DataFrame) -> pd.DataFrame:
    """trials plus `last_score`: each trial's last per-epoch score (what a pruned trial is shown at)."""
    last = curves.sort_values("epoch").groupby("trial")["score"].last() if len(curves) else pd.Series(dtype=float)
    return trials.assign(last_score=trials["number"].map(last))


def plot_curves(curves: pd.DataFrame, *, note: str = "") -> alt.Chart:
    """Validation score after each epoch, one line per trial: pruned trials stop early."""
    check_frame(curves, ["trial", "epoch", "score", "state"], builder="plot_curves", arg="curves")
    states = [s for s in STATE_COLOURS if s in set(curves["state"])]
    return alt.Chart(curves).mark_line(point=alt.OverlayMarkDef(size=14)).encode(
        x=alt.X("epoch:Q", axis=alt.Axis(tickMinStep=1, format="d")),
        y=alt.Y("score:Q", title="validation MASE", scale=alt.Scale(zero=False)),
        detail="trial:N",
        color=alt.Color("state:N", scale=alt.Scale(domain=states, range=[STATE_COLOURS[s] for s in states])),
        tooltip=["trial:Q", "epoch:Q", alt.Tooltip("score:Q", format=".4f"), "state:N"],
    ).properties(height=260, title=chart_title("Where pruning cut trials short",
                                          "validation MASE after each epoch", note=note))


def cap_rows(frame: pd.DataFrame, limit: int = MAX_ROWS) -> tuple[pd.DataFrame, str]:
    """At most `limit` rows (every k-th), and a note saying so when rows were dropped."""
    if len(frame) <= limit:
        return frame, ""
    step = int(np.ceil(len(frame) / limit))
    return frame.iloc[::step], f"1 row in {step} of {len(frame):,} shown"
