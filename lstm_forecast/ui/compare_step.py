"""Step 4: a leaderboard with the baselines as rows, forecasts with their intervals over the actuals,
residuals, a batched backtest, labels and downloads."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import streamlit as st

from ..baselines import BASELINES
from ..data.series import LoadedSeries
from ..errors import UserError
from ..evaluation.kept import base_name, is_kept, weight_words
from ..evaluation.leaderboard import leaderboard
from ..export import neutralise
from ..inspect.time_bins import downsample
from ..runs import Run, RunEntry, data_key, distinct_labels, relabel
from . import forecast_charts
from .render import show_chart
from .state import RunView, all_runs, forecast_frames, memo, open_run, session_runs
from .text import escape_markdown

METRICS = ["mae", "rmse", "smape", "mase"]
MAX_DEFAULT_OVERLAY = 3  # lines a reader can follow; more are one click away
BACKTEST_ORIGINS = 20
ENVELOPE_FROM = 1_600  # points of history: more are drawn as ENVELOPE_BINS bins (mean line, min-max band)
ENVELOPE_BINS = 800


def runs_for(loaded: LoadedSeries) -> tuple[dict[str, RunView], list[RunEntry]]:
    """Runs (this session's and saved ones) trained on exactly this data, oldest first, with labels
    that tell them apart; and the run folders that could not be read."""
    key = data_key(loaded)
    views, broken = all_runs()
    found = sorted((v for v in views if v.data_key == key), key=lambda v: v.info.get("created", ""))
    labels = distinct_labels([(v.run_id, v.label, v.config.to_dict()) for v in found])
    for v in found:
        # a run whose network was not kept is its base: its label says so in the table, the legend and headings
        v.label = labels[v.run_id] + (f" (= {base_name(v.metrics.get('network_base') or '')}, network not used)"
                                      if not is_kept(v.metrics, v.info) else weight_words(v.metrics))
    return {v.run_id: v for v in found}, broken


def _setting(run: RunView) -> tuple[int, int]:
    """Runs compare only on the same holdout (horizon) and MASE scale (period)."""
    return run.config.horizon, run.config.period


def leaderboard_rows(runs: dict[str, RunView], setting: tuple[int, int]) -> pd.DataFrame:
    """One row per run with this horizon and period, then one per baseline, through the CLI's table function."""
    chosen = [r for r in runs.values() if _setting(r) == setting]
    entries = [{"name": r.label, "kind": "model", **r.metrics["model"], "kept": is_kept(r.metrics, r.info),
                "where": r.where, "run_id": r.run_id} for r in chosen]
    if chosen:
        newest = chosen[-1]
        entries += [{"name": name, "kind": "baseline", **scores, "where": "", "run_id": ""}
                    for name, scores in newest.metrics["baselines"].items()]
    return leaderboard(entries)


def show_comparison(loaded: LoadedSeries, runs: dict[str, RunView], broken: list[RunEntry]) -> None:
    """`runs`: those trained on this data (`runs_for`), listed once per rerun by the caller."""
    st.header("4. Forecast and compare")
    if broken:
        with st.expander(f"{len(broken)} run folder(s) in the runs folder cannot be used"):
            st.markdown("\n".join(f"- **{escape_markdown(e.folder.name)}**: {escape_markdown(e.reason)}" for e in broken))
    if not runs:
        st.info("No model trained on this series yet. Press **Train** in the sidebar (a small model takes "
                "seconds), or **Train LSTM, GRU and RNN** to compare the three cells.")
        return
    settings = sorted({_setting(r) for r in runs.values()})
    setting = _setting(list(runs.values())[-1])  # the newest run's
    if len(settings) > 1:
        setting = st.selectbox("Compare runs with", settings, index=settings.index(setting),
                               format_func=lambda s: f"horizon {s[0]}, season {s[1]}",
                               help="Runs compare only on the same holdout (horizon) and MASE scale (season length).")
    # every run on the data, oldest first, so a run keeps its colour
    colours = forecast_charts.method_colours([(r.label, r.config.cell) for r in runs.values()])
    _comparison_views(loaded, {k: r for k, r in runs.items() if _setting(r) == setting}, setting, colours)


@st.fragment
def _comparison_views(loaded: LoadedSeries, runs: dict[str, RunView], setting: tuple[int, int],
                      colours: dict[str, str]) -> None:
    horizon = setting[0]
    table = leaderboard_rows(runs, setting)
    newest = list(runs.values())[-1]
    st.subheader("Leaderboard")
    scale, holdout = newest.metrics.get("mase_scale", {}), newest.metrics.get("holdout", {})
    st.caption(f"Scored on the last {horizon} points, which no model saw while training "
               f"({escape_markdown(holdout.get('note', 'all scored'))}). MASE divides the error by the in-sample error of "
               f"'same as last season' ({escape_markdown(scale.get('note', 'the seasonal difference'))}): below 1 is better than "
               "that on the history. Coverage: the share of holdout points inside the 80% and 95% intervals"
               + _calibration_words(newest) + ".")
    shown = table.drop(columns=["run_id", "kept"], errors="ignore").assign(best=table["best"].map({True: "★ best", False: ""}))
    shown = shown[["best", *[c for c in shown.columns if c != "best"]]]  # first: a wide table hides its last columns
    config = {m: st.column_config.NumberColumn(m.upper(), format="%.4f") for m in METRICS}
    config |= {c: st.column_config.NumberColumn(c.replace("_", " "), format="%.2f")
               for c in shown.columns if c.startswith(("coverage", "width"))}
    st.dataframe(shown, hide_index=True, width="stretch", column_config=config)
    labels = {r.run_id: r.label for r in runs.values()}
    key = f"overlay::{setting}"
    _seed_overlay(key, runs, table)
    # each on its own row: in a column, a 1000-px window cut the second run's label and hid the third
    picked = st.multiselect("Runs to overlay", list(labels), format_func=lambda k: labels[k], key=key,
                            help="The runs just trained, else the best three by MASE. Each model's 80% interval "
                                 "is the shaded band.")
    baselines = st.multiselect("Baselines", list(BASELINES), default=["seasonal_naive"], key="baselines",
                               help="Drawn dashed and thinner than the models, each in its own colour.")
    if not picked:
        st.info("Pick at least one run to overlay.")
        return
    chosen = [runs[rid] for rid in picked]
    span = st.radio("Show", ("holdout and future", "full history"), horizontal=True, key="forecast_span",
                    help="The holdout and the future with a stretch of context, or the whole series.")
    key = (data_key(loaded), tuple(picked), tuple(labels[p] for p in picked), tuple(baselines), span)
    try:
        frames = memo(("forecast_frames", *key), lambda: _forecast_frames(loaded, chosen, baselines, span))
    except UserError as exc:
        st.error(f"**Cannot show these forecasts.** {escape_markdown(exc)}")
        return
    actual, forecasts, bands, residuals, holdout_start, shown_note = frames
    show_chart(("forecasts", *key), lambda: forecast_charts.plot_forecasts(
        actual, forecasts, bands=bands, holdout_start=holdout_start, colours=colours,
        value_title=loaded.value_col, note=shown_note))
    show_chart(("residuals", *key), lambda: forecast_charts.plot_residuals(residuals, colours=colours))
    _backtest(loaded, chosen[-1], colours)
    _label_and_downloads(chosen[-1])


def _calibration_words(run: Run) -> str:
    """How the newest run's band was calibrated, for the leaderboard's caption ("" for runs that do not say)."""
    residuals = (run.metrics.get("intervals") or {}).get("residuals")
    return f"; the network's are calibrated on {escape_markdown(residuals)}" if residuals else ""


def _seed_overlay(key: str, runs: dict[str, RunView], table: pd.DataFrame) -> None:
    """Set the overlay widget's state: the default on first show, and the new runs after each training
    (a keyed widget would otherwise keep the runs it showed before)."""
    just_trained = tuple(rid for rid in st.session_state.get("training", {}).get("selected", []) if rid in runs)
    seen = st.session_state.get(f"{key}::trained")
    if key not in st.session_state or (just_trained and just_trained != seen):
        st.session_state[key] = _default_overlay(runs, table)
        st.session_state[f"{key}::trained"] = just_trained


def _default_overlay(runs: dict[str, RunView], table: pd.DataFrame) -> list[str]:
    just_trained = [rid for rid in st.session_state.get("training", {}).get("selected", []) if rid in runs]
    if just_trained:
        return just_trained
    best = [rid for rid in table.loc[table["kind"] == "model", "run_id"] if rid in runs]
    return best[:MAX_DEFAULT_OVERLAY]


def _forecast_frames(loaded: LoadedSeries, chosen: list[RunView], baselines: list[str], span: str):
    horizon, period = chosen[0].config.horizon, chosen[0].config.period
    y = loaded.series
    context = max(3 * horizon, 2 * period, 48) if span == "holdout and future" else len(y)
    tail = min(len(y), context + horizon)
    actual = pd.DataFrame({"timestamp": y.index[-tail:], "actual": y.to_numpy()[-tail:]})
    shown = f"the last {tail:,} of {len(y):,} points" if tail < len(y) else f"all {len(y):,} points"
    if len(actual) > ENVELOPE_FROM:  # more points than pixels: each bin's mean and its min-max band
        binned, how = downsample(actual.assign(step=np.arange(len(actual))), max_rows=ENVELOPE_BINS,
                                 time_col="step", group_cols=[], value_cols=("actual",), with_range=True)
        actual, shown = binned.drop(columns="step"), f"{shown}, {how}"
    lines, bands, residuals = [], [], []
    newest_forecast, newest_baselines = forecast_frames(chosen[-1])
    for r in chosen:
        f, _ = forecast_frames(r)
        lines.append(pd.DataFrame({"timestamp": f["timestamp"], "method": r.label, "forecast": f["forecast"],
                                   "kind": "model"}))
        if "lower_80" in f:
            bands.append(pd.DataFrame({"timestamp": f["timestamp"], "method": r.label,
                                       "lower": f["lower_80"], "upper": f["upper_80"]}))
        hold = f.iloc[:horizon]
        residuals.append(pd.DataFrame({"timestamp": hold["timestamp"], "method": r.label, "kind": "model",
                                       "residual": hold["actual"] - hold["forecast"]}))
    b = newest_baselines
    hold = newest_forecast.iloc[:horizon]
    for name in baselines:
        if name in b.columns:
            lines.append(pd.DataFrame({"timestamp": b["timestamp"], "method": name, "forecast": b[name],
                                       "kind": "baseline"}))
            residuals.append(pd.DataFrame({"timestamp": hold["timestamp"], "method": name, "kind": "baseline",
                                           "residual": hold["actual"].to_numpy() - b[name].to_numpy()[:horizon]}))
    dated = pd.api.types.is_datetime64_any_dtype(actual["timestamp"])
    out = []
    for frame in (pd.concat(lines, ignore_index=True),
                  pd.concat(bands, ignore_index=True) if bands else None,
                  pd.concat(residuals, ignore_index=True).dropna()):
        if frame is not None and dated:
            frame["timestamp"] = pd.to_datetime(frame["timestamp"])
        out.append(frame)
    return actual, out[0], out[1], out[2], newest_forecast["timestamp"].iloc[0], f"shown: {shown}"


def _backtest(loaded: LoadedSeries, view: RunView, colours: dict[str, str]) -> None:
    """Error against horizon step, the model beside every baseline, over many origins."""
    st.subheader(f"Backtest · {escape_markdown(view.label)}")
    key = ("backtest", view.run_id, data_key(loaded))
    result = st.session_state.get("_backtests", {}).get(key)
    if result is None:
        st.caption(f"Trains this run's settings once, on the data before the first of {BACKTEST_ORIGINS} origins, "
                   "then forecasts from every origin in one batched pass beside every baseline (nothing is refitted, "
                   "and no forecast reads data after its origin).")
        if st.button(f"Run a backtest over {BACKTEST_ORIGINS} origins", key=f"bt::{view.run_id}"):
            from ..backtest import backtest  # deferred: backtest.py imports statsmodels

            try:
                with st.spinner("Training once and forecasting from every origin…"):
                    result = backtest(loaded, open_run(view).config, origins=BACKTEST_ORIGINS, step=1)
            except UserError as exc:
                st.error(f"**Cannot backtest this run.** {escape_markdown(exc)}")
                return
            st.session_state.setdefault("_backtests", {})[key] = result
        else:
            return
    model = result.by_step["method"] == view.config.cell
    by_step = result.by_step.assign(kind=np.where(model, "model", "baseline"),
                                    method=result.by_step["method"].where(~model, view.label))
    show_chart(("bt_steps", *key, view.label), lambda: forecast_charts.plot_error_by_step(by_step, colours=colours))
    summary = result.summary.rename(columns={"origins": "origins scored"})
    st.dataframe(summary, hide_index=True, width="stretch",
                 column_config={m: st.column_config.NumberColumn(m.upper(), format="%.4f") for m in METRICS})
    st.caption(escape_markdown(result.scale_note))
    st.download_button("Backtest errors CSV", neutralise(result.errors).to_csv(index=False),
                       f"{view.run_id}-backtest.csv", "text/csv")


def _label_and_downloads(view: RunView) -> None:
    st.subheader(f"Download · {escape_markdown(view.label)}")
    with st.form(f"label::{view.run_id}", border=False):
        c1, c2 = st.columns([4, 1], vertical_alignment="bottom")
        text = c1.text_input("Label", value=view.label, max_chars=120,
                             help="A name for this run, shown in the leaderboard and the charts.")
        if c2.form_submit_button("Rename") and text.strip() != view.label:
            try:
                _rename(view, text)
                st.rerun()
            except UserError as exc:
                st.error(escape_markdown(exc))
    row = st.container(horizontal=True)  # buttons sized to their labels: none is cut at 1000 px
    forecast, _ = forecast_frames(view)
    row.download_button("Forecast CSV", neutralise(forecast).to_csv(index=False), f"{view.run_id}-forecast.csv",
                        "text/csv")
    row.download_button("Metrics JSON", json.dumps(view.metrics, indent=2, default=str),
                        f"{view.run_id}-metrics.json", "application/json")
    row.download_button("Config JSON", json.dumps({"config": view.config.to_dict(), "info": view.info},
                                                  indent=2, default=str),
                        f"{view.run_id}-config.json", "application/json")
    model_path = view.folder / "model.pt" if view.folder else None
    if model_path and model_path.exists():
        row.download_button("Model (state_dict)", memo(("model_bytes", str(model_path)), model_path.read_bytes),
                            f"{view.run_id}-model.pt", "application/octet-stream")
    else:
        row.caption("model file not saved")


def _rename(view: RunView, label: str) -> None:
    if view.folder is not None:
        relabel(view.folder, label)
    mine = session_runs().get(view.run_id)
    if mine is not None:
        mine.info["label"] = " ".join(label.split())[:120]
