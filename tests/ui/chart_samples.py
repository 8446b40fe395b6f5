"""What the chart tests share: small data factories, one sample chart per builder, and readers of a Vega-Lite spec."""
from __future__ import annotations

import numpy as np
import pandas as pd

from lstm_forecast import cells
from lstm_forecast.ui import forecast_charts, inside_charts, season_charts


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
    rows = [(q, u) for q in inside_charts.WALKTHROUGH_ORDER[cell] for u in range(units)]
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


# ---------------------------------------------------------------- one sample chart per builder


BUILDERS = {
    "series": lambda note="", dates=True: forecast_charts.plot_series(
        series_frame(dates=dates), value_title="load", period=24, phase_label="hour of day", note=note),
    "losses": lambda note="", dates=True: forecast_charts.plot_losses(history_frame(), note=note),
    "forecasts": lambda note="", dates=True: forecast_charts.plot_forecasts(
        *forecast_frames(dates=dates), holdout_start=times(72, dates)[48], note=note),
    "residuals": lambda note="", dates=True: forecast_charts.plot_residuals(residual_frame(dates=dates), note=note),
    "error_by_step": lambda note="", dates=True: forecast_charts.plot_error_by_step(by_step_frame(), note=note),
    "series_strip": lambda note="", dates=True: inside_charts.plot_series_strip(
        series_frame(48, dates)[["timestamp", "value"]], note=note),
    "trajectories": lambda note="", dates=True: inside_charts.plot_trajectories(
        long_frame(48, ["cell"], dates=dates, low=-1), note=note),
    "phase_cycle": lambda note="", dates=True: season_charts.plot_phase_cycle_heatmap(
        fold_frame(), gate_label="forget gate", phase_label="hour of day", note=note),
    "phase_profile": lambda note="", dates=True: season_charts.plot_phase_profile(
        profile_frame(), value_title="forget gate", phase_label="hour of day", note=note),
    "gate_heatmaps": lambda note="", dates=True: inside_charts.plot_gate_heatmaps(
        long_frame(40, ["input", "forget"], dates=dates), note=note),
    "state_heatmap": lambda note="", dates=True: inside_charts.plot_state_heatmap(
        long_frame(40, ["cell", "hidden"], dates=dates, low=-1), note=note),
    "saturation": lambda note="", dates=True: inside_charts.plot_saturation(saturation_frame(), note=note),
    "walkthrough": lambda note="", dates=True: inside_charts.plot_walkthrough(step_frame("lstm"), cell="lstm", note=note),
    "seasonality_scores": lambda note="", dates=True: season_charts.plot_seasonality_scores(score_frame(), k=5, note=note),
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
