"""What a sweep searches: cell, lookback, hidden size, layers, dropout and learning rate, with ranges
chosen from the data, as plain dicts (saved in sweep.json) and as Optuna distributions (both backends)."""
from __future__ import annotations

import numpy as np

from ..config import CELLS, Config
from ..errors import UserError
from .panel import Panel
from .study import optuna_module

DEFAULT_CELLS = ("lstm", "gru", "rnn")
HIDDEN = (16, 32, 64, 128)
MAX_LOOKBACK = 336
SEARCHED = ("cell", "lookback", "hidden", "layers", "dropout", "lr")


def search_space(data, base: Config, cells: tuple[str, ...] = DEFAULT_CELLS) -> dict[str, dict]:
    """The ranges searched, as plain dicts (saved in sweep.json): cell, lookback, hidden, layers, dropout, lr.

    Lookback runs from the horizon to four seasons (at most MAX_LOOKBACK and what the shortest
    series leaves room for), and always includes the default lookback.
    """
    unknown = [c for c in cells if c not in CELLS]
    if unknown or not cells:
        raise UserError(f"cells {list(cells)} must be some of {', '.join(CELLS)}")
    default = default_params(data, base, cells)
    periods, rooms = [], []
    for loaded in _series_of(data):
        try:
            config = _resolve(loaded, base, default)
        except UserError:
            continue
        periods.append(config.period)
        rooms.append(len(loaded.frame) - (config.horizon + config.val_size + max(config.period, 1) + 8))
    horizon = default["horizon"]
    period = int(np.median(periods)) if periods else horizon
    high = min(MAX_LOOKBACK, 4 * max(period, horizon), max(min(rooms, default=horizon), horizon))
    low = min(max(horizon, 8), default["lookback"])
    high = max(high, default["lookback"], low)
    return {
        "cell": {"type": "categorical", "choices": list(cells)},
        "lookback": {"type": "int", "low": int(low), "high": int(high)},
        "hidden": {"type": "categorical", "choices": list(HIDDEN)},
        "layers": {"type": "int", "low": 1, "high": 2},
        "dropout": {"type": "float", "low": 0.0, "high": 0.3},
        "lr": {"type": "float", "low": 3e-4, "high": 1e-2, "log": True},
    }


def distributions(space: dict[str, dict]) -> dict:
    """The space as Optuna distributions (the Ray backend's OptunaSearch takes these too)."""
    d = optuna_module().distributions
    out = {}
    for name, spec in space.items():
        if spec["type"] == "categorical":
            out[name] = d.CategoricalDistribution(spec["choices"])
        elif spec["type"] == "int":
            out[name] = d.IntDistribution(spec["low"], spec["high"])
        else:
            out[name] = d.FloatDistribution(spec["low"], spec["high"], log=bool(spec.get("log")))
    return out


def default_params(data, base: Config, cells: tuple[str, ...] = DEFAULT_CELLS) -> dict:
    """The default settings in the searched names (trial 0), and the horizon every trial shares.

    The cell is the base config's, or the first searched one when the base's is not searched."""
    config = _shared(data, base)
    cell = base.cell if base.cell in cells else cells[0]
    return {"cell": cell, "lookback": int(config.lookback), "hidden": base.hidden, "layers": base.layers,
            "dropout": float(base.dropout), "lr": float(base.lr), "horizon": int(config.horizon)}


def trial_config(base: Config, params: dict) -> Config:
    """The base config with a trial's settings (and the shared horizon)."""
    known = {k: params[k] for k in (*SEARCHED, "horizon") if k in params}
    return Config.from_dict({**base.to_dict(), **known})


def suggest(trial, space: dict[str, dict]) -> dict:
    """Ask an Optuna trial for one value of every searched setting."""
    out = {}
    for name, spec in space.items():
        if spec["type"] == "categorical":
            out[name] = trial.suggest_categorical(name, spec["choices"])
        elif spec["type"] == "int":
            out[name] = trial.suggest_int(name, spec["low"], spec["high"])
        else:
            out[name] = trial.suggest_float(name, spec["low"], spec["high"], log=bool(spec.get("log")))
    return out


def _series_of(data) -> list:
    return list(data.series.values()) if isinstance(data, Panel) else [data]


def _shared(data, base: Config) -> Config:
    from ..prepare import resolve  # deferred: prepare.py imports statsmodels
    from .panels import shared_config  # deferred: scale/panels.py imports statsmodels

    if isinstance(data, Panel):
        return shared_config(data, base)
    return resolve(base, data)[0]


def _resolve(loaded, base: Config, default: dict) -> Config:
    from ..prepare import resolve  # deferred: prepare.py imports statsmodels

    return resolve(Config.from_dict({**base.to_dict(), "horizon": default["horizon"]}), loaded)[0]
