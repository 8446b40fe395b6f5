"""Step 4: forecasts over the actuals, a leaderboard with the baselines as rows, residuals, downloads."""
from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from ..baselines import BASELINES
from ..data.series import LoadedSeries
from ..pipeline import Run, data_key
from . import charts
from .render import show_chart
from .state import all_runs, memo, session_runs

METRICS = ["mae", "rmse", "smape", "mase"]


def runs_for(loaded: LoadedSeries) -> dict[str, Run]:
    """Runs (this session's and saved ones) trained on exactly this data, oldest first."""
    key = data_key(loaded)
    found = [r for r in all_runs().values() if r.info.get("data_key") == key]
    return {r.run_id: r for r in sorted(found, key=lambda r: r.info.get("created", ""))}


def _setting(run: Run) -> tuple[int, int]:
    """Runs compare only on the same holdout (horizon) and MASE scale (period)."""
    return run.config.horizon, run.config.period


def leaderboard(runs: dict[str, Run], setting: tuple[int, int]) -> pd.DataFrame:
    """One row per run with this horizon and period, then one per baseline (scored on the same holdout)."""
    mine = session_runs()
    rows = []
    chosen = [r for r in runs.values() if _setting(r) == setting]
    for r in chosen:
        rows.append({"name": r.label, "kind": "model", "where": "this session" if r.run_id in mine else "runs folder",
                     **{m: r.metrics["model"][m] for m in METRICS}, "run_id": r.run_id})
    if chosen:
        for name, scores in chosen[-1].metrics["baselines"].items():
            rows.append({"name": name, "kind": "baseline", "where": "", **{m: scores[m] for m in METRICS}, "run_id": ""})
    table = pd.DataFrame(rows)
    return table.sort_values("mase", ignore_index=True) if len(table) else table


def show_comparison(loaded: LoadedSeries, runs: dict[str, Run]) -> None:
    """`runs`: those trained on this data (`runs_for`), listed once per rerun by the caller."""
    st.header("4. Forecast and compare")
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
    _comparison_views(loaded, {k: r for k, r in runs.items() if _setting(r) == setting}, setting)


@st.fragment
def _comparison_views(loaded: LoadedSeries, runs: dict[str, Run], setting: tuple[int, int]) -> None:
    horizon = setting[0]
    table = leaderboard(runs, setting)
    st.subheader("Leaderboard")
    st.caption(f"Scored on the last {horizon} points, which no model saw while training. MASE divides the error by "
               "the in-sample error of 'same as last season': below 1 is better than that on the history.")
    st.dataframe(table.drop(columns=["run_id"]), hide_index=True, width="stretch",
                 column_config={m: st.column_config.NumberColumn(m.upper(), format="%.4f") for m in METRICS})
    labels = {r.run_id: r.label for r in runs.values()}
    default = [rid for rid in labels][-3:]
    c1, c2 = st.columns([3, 2])
    picked = c1.multiselect("Runs to overlay", list(labels), default=default, format_func=lambda k: labels[k],
                            key=f"overlay::{setting}")
    baselines = c2.multiselect("Baselines", list(BASELINES), default=["seasonal_naive"], key="baselines")
    if not picked:
        st.info("Pick at least one run to overlay.")
        return
    chosen = [runs[rid] for rid in picked]
    key = (data_key(loaded), tuple(picked), tuple(baselines))
    frames = lambda: memo(("forecast_frames", *key), lambda: _forecast_frames(loaded, chosen, baselines))  # noqa: E731
    show_chart(("forecasts", *key), lambda: charts.plot_forecasts(
        frames()[0], frames()[1], holdout_start=frames()[3], note=f"last {len(frames()[0]):,} points of the series shown"))
    show_chart(("residuals", *key), lambda: charts.plot_residuals(frames()[2]))
    _downloads(chosen[-1])


def _forecast_frames(loaded: LoadedSeries, chosen: list[Run], baselines: list[str]):
    horizon = chosen[0].config.horizon
    y = loaded.series
    tail = min(len(y), max(8 * horizon, 200))
    actual = pd.DataFrame({"timestamp": y.index[-tail:], "actual": y.to_numpy()[-tail:]})
    frames, residuals = [], []
    for r in chosen:
        f = r.forecast
        frames.append(pd.DataFrame({"timestamp": f["timestamp"], "method": r.label, "forecast": f["forecast"], "kind": "model"}))
        hold = f.iloc[:horizon]
        residuals.append(pd.DataFrame({"timestamp": hold["timestamp"], "method": r.label,
                                       "residual": hold["actual"] - hold["forecast"]}))
    b = chosen[-1].baselines
    for name in baselines:
        if name in b.columns:
            frames.append(pd.DataFrame({"timestamp": b["timestamp"], "method": name, "forecast": b[name], "kind": "baseline"}))
            hold = chosen[-1].forecast.iloc[:horizon]
            residuals.append(pd.DataFrame({"timestamp": hold["timestamp"], "method": name,
                                           "residual": hold["actual"].to_numpy() - b[name].to_numpy()[:horizon]}))
    forecasts = pd.concat(frames, ignore_index=True)
    if pd.api.types.is_datetime64_any_dtype(actual["timestamp"]):
        forecasts["timestamp"] = pd.to_datetime(forecasts["timestamp"])
    residual_frame = pd.concat(residuals, ignore_index=True)
    if pd.api.types.is_datetime64_any_dtype(actual["timestamp"]):
        residual_frame["timestamp"] = pd.to_datetime(residual_frame["timestamp"])
    return actual, forecasts, residual_frame, chosen[-1].forecast["timestamp"].iloc[0]


def _downloads(run: Run) -> None:
    st.subheader(f"Download · {run.label}")
    c = st.columns(4)
    c[0].download_button("Forecast CSV", run.forecast.to_csv(index=False), f"{run.run_id}-forecast.csv", "text/csv")
    c[1].download_button("Metrics JSON", json.dumps(run.metrics, indent=2), f"{run.run_id}-metrics.json", "application/json")
    c[2].download_button("Config JSON", json.dumps({"config": run.config.to_dict(), "transform": run.transform.to_dict(),
                                                    "feature_names": run.feature_names, "info": run.info},
                                                   indent=2, default=str),
                         f"{run.run_id}-config.json", "application/json")
    model_path = run.path / "model.pt" if run.path else None
    if model_path and model_path.exists():
        c[3].download_button("Model (state_dict)", memo(("model_bytes", str(model_path)), model_path.read_bytes),
                             f"{run.run_id}-model.pt", "application/octet-stream")
    else:
        c[3].caption("model file not saved")
