"""One flat, typed configuration for a run. It goes to JSON with `asdict` and back with `Config(**d)`."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from .cells import CELLS as _REGISTRY
from .errors import UserError

CELLS = tuple(_REGISTRY)  # names of the cells registered at import (lstm_forecast/cells.py): the CLI's choices
TARGETS = ("residual", "level")
LOSSES = ("huber", "mse", "mae")
# Upper bounds, checked before anything is built (a config.json or a flag may hold any number):
# each lies far beyond any useful setting here, and well below what would exhaust memory or time
# before a message could say why.
CALIBRATIONS = ("cross", "part", "selection")  # see Config.calibration
MAX = {
    "hidden": 4096,  # 4 x 4096^2 weights = 67M per LSTM layer (256 MB): the bench corpus needs 32
    "layers": 16,  # deep stacks of recurrent layers stop training well long before 16
    "ensemble": 32,  # the median of 32 networks is as stable as it gets; each one trains in full
    "epochs": 100_000,  # early stopping ends training long before
    "patience": 100_000,
    "batch_size": 1_000_000,
    "epoch_windows": 100_000_000,
    # steps: checked against the series' length once it is known; these keep an absurd number out before
    "period": 10_000_000, "horizon": 10_000_000, "lookback": 10_000_000, "val_size": 10_000_000,
    "calibration_size": 10_000_000,
    "threads": 1024,  # more than any machine's cores; torch.set_num_threads with 10^6 would try to start them
    "seed": 2**63 - 1 - 32,  # torch's and numpy's seeds are 64-bit; the ensemble uses seed .. seed + 31
}


@dataclass
class Config:
    # --- data -----------------------------------------------------------------------------
    value_col: str | None = None  # target column; None = the loader's default (first numeric)
    period: int | None = None  # season length in steps; None = from the frequency, checked by ACF
    horizon: int | None = None  # steps forecast at once; None = one season (at most 96)
    lookback: int | None = None  # input window; None = two seasons (at most 120), >= 2*horizon
    val_size: int | None = None  # validation steps before the holdout; None = max(horizon, 10%)
    # Which residuals calibrate the intervals: those of the chosen model on the targets that chose it are
    # optimistic (issue 17). "cross": the whole validation part selects; the network best on its first half
    # forecasts the second half's residuals and the one best on the second half the first's. "part": the last
    # calibration_size steps (None = half) calibrate and no choice reads them. "selection": as runs before.
    calibration: str = "cross"
    calibration_size: int | None = None  # for calibration "part" only
    log: str = "auto"  # "auto" = log when every value > 0: multiplicative seasons become additive
    difference: bool = False  # first-difference before windowing (off: the residual target de-trends)
    target: str = "residual"  # "residual" over a base forecast (DESIGN 11) or "level" (window-relative)
    base: str = "auto"  # the residual's base: "seasonal_naive", "naive", "ets", or "auto" = the best on the validation part
    covariates: list[str] = field(default_factory=list)  # other numeric columns, fed as past inputs
    window_scale: bool = False  # measure each window in its own unit (tried: worse on the bench corpus)
    calendar: bool = True  # sin/cos of the phase in the season as two input features
    shrink: bool = False  # weight the network's correction to its base by the share validation trusts (0..1)
    # --- model ----------------------------------------------------------------------------
    cell: str = "lstm"  # "lstm" | "gru" | "rnn"
    hidden: int = 32  # units per layer and direction (64 was no more accurate on the bench corpus, at 2.5x the time)
    layers: int = 1  # stacked recurrent layers
    dropout: float = 0.0  # between stacked layers and before the head
    bidirectional: bool = False  # valid here: the whole lookback window lies in the past
    ensemble: int = 1  # networks trained from seeds seed, seed+1, ...; the forecast is their median
    # --- training -------------------------------------------------------------------------
    epochs: int = 40  # upper bound; early stopping usually ends sooner (60 was no more accurate on the corpus)
    batch_size: int = 64
    epoch_windows: int | None = 2048  # windows drawn per epoch (None = all); neighbours overlap, so a sample suffices
    lr: float = 3e-3  # Adam; halved when the validation loss stalls
    weight_decay: float = 1e-4
    clip: float = 1.0  # max gradient norm
    patience: int = 8  # epochs without validation improvement before stopping
    loss: str = "huber"  # robust to the odd spike; "mse" | "mae" also available
    seed: int = 0
    device: str = "auto"  # "auto" = cuda, then mps, then cpu
    threads: int | None = None  # CPU threads for tensor work; None = chosen for the work and the machine's load

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        _one_of("cell", self.cell, tuple(_REGISTRY))  # the live registry: a cell registered later counts
        _one_of("target", self.target, TARGETS)
        _one_of("base", self.base, ("auto", "seasonal_naive", "naive", "ets"))
        _one_of("loss", self.loss, LOSSES)
        _one_of("log", self.log, ("auto", "on", "off"))
        _one_of("calibration", self.calibration, CALIBRATIONS)
        for name in ("period", "horizon", "lookback", "val_size", "epoch_windows", "threads"):
            value = getattr(self, name)
            if value is not None and not _whole(value, 1, MAX[name]):
                raise UserError(f"`{name}` ({_show(value)}) must be a whole number from 1 to {MAX[name]:,}, "
                                "or left empty to choose it from the data")
        for name in ("hidden", "layers", "epochs", "batch_size", "patience", "ensemble"):
            if not _whole(getattr(self, name), 1, MAX[name]):
                raise UserError(f"`{name}` ({_show(getattr(self, name))}) must be a whole number from 1 to {MAX[name]:,}")
        if not _whole(self.seed, 0, MAX["seed"]):
            raise UserError(f"`seed` ({_show(self.seed)}) must be a whole number from 0 to {MAX['seed']:,}")
        for name, low, high, low_open in (("lr", 0.0, 10.0, True), ("weight_decay", 0.0, 10.0, False),
                                          ("clip", 0.0, math.inf, True), ("dropout", 0.0, 1.0, False)):
            value = getattr(self, name)
            ok = _number(value) and (value > low if low_open else value >= low) and value < high
            if not ok:
                bound = f"{'>' if low_open else '>='} {low:g} and < {high:g}"
                raise UserError(f"`{name}` ({value!r}) must be a number {bound}")
        for name in ("difference", "calendar", "bidirectional", "window_scale", "shrink"):
            if not isinstance(getattr(self, name), bool):
                raise UserError(f"`{name}` ({getattr(self, name)!r}) must be true or false")
        if self.calibration_size is not None and self.calibration != "part":
            raise UserError(f"`calibration_size` ({_show(self.calibration_size)}) sets the calibration part: use it with "
                            "calibration 'part', or leave it empty")
        if self.calibration_size is not None and not _whole(self.calibration_size, 0, MAX["calibration_size"]):
            raise UserError(f"`calibration_size` ({_show(self.calibration_size)}) must be a whole number from 0 to "
                            f"{MAX['calibration_size']:,}, or left empty for half the validation part")
        if not isinstance(self.covariates, list) or not all(isinstance(c, str) for c in self.covariates):
            raise UserError(f"`covariates` ({self.covariates!r}) must be a list of column names")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Config":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})


def _whole(value: Any, low: int, high: int) -> bool:
    """An int (not a bool) from low to high."""
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _show(value: Any) -> str:
    """A value for a message, cut short (a config.json may hold a 10,000-digit number)."""
    try:
        text = repr(value)
    except ValueError:  # an int past Python's 4,300-digit limit for str()
        return "a number too long to print"
    return text if len(text) <= 40 else text[:37] + "..."


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _one_of(name: str, value: Any, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise UserError(f"`{name}` ({value!r}) must be one of {', '.join(allowed)}")
