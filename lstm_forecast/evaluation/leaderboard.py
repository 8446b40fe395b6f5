"""The leaderboard: one table for the CLI's metrics and the dashboard's comparison, built by one function."""
from __future__ import annotations

import math

import pandas as pd

from .kept import is_kept
from .metrics import POINT_METRICS

INTERVAL_COLUMNS = ("coverage_80", "width_80", "coverage_95", "width_95")
TIE_TOLERANCE = 0.02  # MASEs within 2% of each other tie: a smaller gap is noise on one holdout


def entries_of(metrics: dict, model_name: str) -> list[dict]:
    """One run's metrics.json as leaderboard entries: its model (with whether its network is kept), then every
    baseline."""
    rows = [{"name": model_name, "kind": "model", **metrics.get("model", {}), "kept": is_kept(metrics)}]
    rows += [{"name": name, "kind": "baseline", **scores} for name, scores in metrics.get("baselines", {}).items()]
    return rows


def leaderboard(entries: list[dict]) -> pd.DataFrame:
    """Rows (dicts with name, kind and scores; extra keys are kept) as a table sorted by MASE, best first.

    Columns: name, kind, mae, rmse, smape, mase, then interval coverage and width where any row has
    them, then the extra keys; `best` is True on the lowest MASE (ties included) among the rows that are
    not a model whose network was not kept (`kept` False): such a row is its base under another name.
    """
    if not entries:
        return pd.DataFrame(columns=["name", "kind", *POINT_METRICS, "best"])
    table = pd.DataFrame(entries)
    for col in POINT_METRICS:
        if col not in table:
            table[col] = math.nan
    table[list(POINT_METRICS)] = table[list(POINT_METRICS)].astype(float)
    intervals = [c for c in INTERVAL_COLUMNS if c in table and table[c].notna().any()]
    extra = [c for c in table.columns if c not in ("name", "kind", *POINT_METRICS, *INTERVAL_COLUMNS)]
    table = table[["name", "kind", *POINT_METRICS, *intervals, *extra]]
    table = table.sort_values("mase", ignore_index=True, na_position="last")
    mase = table["mase"]
    if "kept" in table:
        mase = mase.where(table["kept"].map(lambda v: v is not False))
    best = mase.min()
    table["best"] = mase <= best * (1 + 1e-12) if math.isfinite(best) else False
    return table


def verdict(mase: float, other: float, tolerance: float = TIE_TOLERANCE) -> str:
    """'beats', 'ties' or 'loses': MASEs within `tolerance` (relative) of each other tie."""
    if not (math.isfinite(mase) and math.isfinite(other)):
        return "cannot be compared with"
    if abs(mase - other) <= tolerance * max(abs(other), 1e-12):
        return "ties"
    return "beats" if mase < other else "loses to"
