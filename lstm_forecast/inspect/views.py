"""What the look-inside summary's views share: the traced network's shape, its checks, empty frames."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import cells
from ..errors import UserError


@dataclass(frozen=True)
class Shape:
    """What a view checks a choice against: arrays are (Q, ..., L, U) like Trace.values."""

    cell: str  # registry name
    quantities: tuple[str, ...]  # the cell's registry quantities, in the arrays' order
    n_steps: int
    n_layers: int
    n_units: int  # per layer, both directions

    @property
    def keep_gate(self) -> str | None:
        """The gate that decides how much of the past is kept: 'forget', 'update', None (RNN)."""
        return cells.get(self.cell).keep_gate

    @property
    def state_quantity(self) -> str:
        """The memory the Cell state view shows: the cell state, or the hidden state of a cell without one."""
        return "cell" if "cell" in self.quantities else "hidden"

    def quantity(self, quantity: str) -> int:
        """Position of `quantity` in the arrays; a UserError names the ones there are."""
        if quantity not in self.quantities:
            raise UserError(f"a {self.cell} has no {quantity!r}; choose one of {list(self.quantities)}")
        return self.quantities.index(quantity)

    def layer(self, layer: int) -> int:
        if not 0 <= layer < self.n_layers:
            raise UserError(f"layer {layer} does not exist; choose one of 0..{self.n_layers - 1}")
        return int(layer)


def empty_frame(columns: list[str]) -> pd.DataFrame:
    """An empty frame with these columns (what a view of a cell without gates gets)."""
    return pd.DataFrame({c: pd.Series(dtype="str" if c == "gate" else np.float64) for c in columns})
