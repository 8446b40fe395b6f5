"""Did the network earn its row? Whether a run's forecast uses its trained network or is exactly its base.

The network's head starts at zero, so before training it forecasts exactly its base (seasonal naive,
naive or Holt-Winters), and training keeps the epoch with the lowest validation loss, epoch 0
included. A run whose best epoch is 0 is its base under the network's name: every place that shows
the run says so in words (`not_kept_note`) and the leaderboard never stars it as the model.
"""
from __future__ import annotations

import math

BASE_NAMES = {"seasonal_naive": "seasonal naive", "naive": "naive", "ets": "Holt-Winters"}


def base_name(base: str) -> str:
    return BASE_NAMES.get(base, base)


def record(best_epochs: list[int], base_val_loss: float, best_val_loss: float, target: str, base: str) -> dict:
    """The entries of metrics.json that say whether the network is kept.

    network_kept: false when every member's best epoch is 0 (the forecast is the base's);
    network_val_gain: 1 - kept validation loss / the untrained (base) one, null where not applicable;
    network_base: the base the network corrects (null for a level target, which has none)."""
    if target == "level":  # a pure network: there is no base to fall back on
        return {"network_kept": True, "network_val_gain": None, "network_base": None}
    gain = None
    if math.isfinite(base_val_loss) and math.isfinite(best_val_loss) and base_val_loss > 0:
        gain = round(1.0 - best_val_loss / base_val_loss, 6)
    return {"network_kept": any(e > 0 for e in best_epochs), "network_val_gain": gain, "network_base": base}


def is_kept(metrics: dict, info: dict | None = None) -> bool:
    """Whether the run's forecast uses a trained network; runs saved before the record are read from their
    best epochs (0 everywhere: not kept) when their target had a base."""
    if "network_kept" in metrics:
        return metrics["network_kept"] is not False
    info = info or {}
    epochs = info.get("best_epochs") or [info.get("best_epoch", 1)]
    return any((e or 0) > 0 for e in epochs)


def not_kept_note(label: str, metrics: dict, info: dict | None = None, base: str | None = None) -> str:
    """'' when the network is kept, else one sentence a user reads beside the run."""
    if is_kept(metrics, info):
        return ""
    name = base_name(metrics.get("network_base") or base or "its base")
    owner = f"{name}'" if name.endswith("s") else f"{name}'s"
    return (f"{label} did not improve on {name} on validation, so its forecast is {owner}: "
            "the network is not used")


def weight_words(metrics: dict) -> str:
    """' (correction × 0.5)' for a run whose network correction was weighted below 1 by validation
    (Config.shrink), '' otherwise: the label says how much of the network the forecast uses."""
    weight = metrics.get("network_weight")
    if weight is None or weight >= 1 or not is_kept(metrics):
        return ""
    return f" (correction × {weight:g})"
