"""Per-unit statistics over every step of a streamed trace: rankings, seasonality scores, saturation."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .views import Shape, empty_frame

SCORE_COLUMNS = ["layer", "unit", "score", "amplitude"]
SATURATION_COLUMNS = ["layer", "unit", "gate", "frac_low", "frac_high"]


@dataclass
class UnitStats:
    """Moments, phase sums and saturation counts of every quantity, layer and unit (running.RunningStats')."""

    shape: Shape
    mean: np.ndarray  # (Q, L, U) float64 over steps
    m2: np.ndarray  # (Q, L, U) float64: sum of squared deviations from the mean
    phases: np.ndarray  # (P,) the phases present, sorted
    phase_count: np.ndarray  # (P,) steps per phase
    phase_sum: np.ndarray  # (Q, P, L, U) float64
    saturated: dict[str, tuple[np.ndarray, np.ndarray]]  # sigmoid gate -> steps < 0.1, > 0.9, (L, U) each

    def top_units(self, *, layer: int, k: int = 5, by: str = "variance", quantity: str | None = None) -> list[int]:
        """The k units of a layer with the largest variance over steps or seasonality score, largest first.

        quantity: default the cell state (the hidden state of a cell without one).
        """
        quantity = quantity or self.shape.state_quantity
        if by == "seasonality":
            return self.seasonality_scores(layer=layer, quantity=quantity)["unit"].head(k).tolist()
        if by != "variance":
            raise ValueError(f"by must be 'variance' or 'seasonality', got {by!r}")
        q = self.shape.quantity(quantity)
        return largest(self.m2[q, self.shape.layer(layer)] / self.shape.n_steps, k)

    def seasonality_scores(self, *, layer: int, quantity: str | None = None) -> pd.DataFrame:
        """How seasonal each unit is: columns layer, unit, score, amplitude, best first.

        score: share of the unit's variance over steps explained by the phase (eta squared, between-
        phase over total sum of squares, 0 for a constant unit); amplitude: max - min of its phase
        means. `quantity` defaults to the keep gate; empty for an RNN with no quantity given.
        """
        quantity = quantity or self.shape.keep_gate
        if quantity is None:
            return empty_frame(SCORE_COLUMNS)
        q, layer = self.shape.quantity(quantity), self.shape.layer(layer)
        phase_means = self.phase_sum[q, :, layer] / self.phase_count[:, None]  # (P, U)
        return scores_frame(layer, phase_means, self.phase_count, self.mean[q, layer], self.m2[q, layer])

    def saturation(self, *, layer: int | None = None) -> pd.DataFrame:
        """Share of steps each sigmoid gate spends saturated (Karpathy, Johnson & Fei-Fei 2015).

        Columns layer, unit, gate, frac_low (< 0.1: left-saturated), frac_high (> 0.9: right-saturated),
        rows by layer then unit; empty for an RNN.
        """
        if not self.saturated:
            return empty_frame(SATURATION_COLUMNS)
        n_steps = self.shape.n_steps
        layers = np.arange(self.shape.n_layers) if layer is None else np.array([self.shape.layer(layer)])
        fractions = {gate: (low[layers] / n_steps, high[layers] / n_steps)
                     for gate, (low, high) in self.saturated.items()}
        return saturation_frame(layers, fractions)


def largest(variance: np.ndarray, k: int) -> list[int]:
    """Positions of the k largest of variance (U,), largest first, ties by position."""
    return np.argsort(-variance, kind="stable")[:k].tolist()


def scores_frame(layer: int, phase_means: np.ndarray, counts: np.ndarray, grand: np.ndarray,
                 total: np.ndarray) -> pd.DataFrame:
    """seasonality_scores' frame from phase means (P, U), steps per phase (P,), the grand mean (U,)
    and the total sum of squared deviations (U,)."""
    between = counts @ (phase_means - grand) ** 2  # (U,)
    score = np.divide(between, total, out=np.zeros_like(total), where=total > 0)
    frame = pd.DataFrame(
        {
            "layer": layer,
            "unit": np.arange(phase_means.shape[1]),
            "score": np.clip(score, 0.0, 1.0),
            "amplitude": phase_means.max(axis=0) - phase_means.min(axis=0),
        },
        columns=SCORE_COLUMNS,
    )
    return frame.sort_values(["score", "unit"], ascending=[False, True], ignore_index=True)


def saturation_frame(layers: np.ndarray, fractions: dict[str, tuple[np.ndarray, np.ndarray]]) -> pd.DataFrame:
    """saturation's frame from each gate's (frac_low, frac_high), each (L', U) over `layers` (L',)."""
    parts = []
    for gate, (frac_low, frac_high) in fractions.items():
        n_l, n_u = frac_low.shape
        parts.append(
            pd.DataFrame(
                {
                    "layer": np.repeat(layers, n_u),
                    "unit": np.tile(np.arange(n_u), n_l),
                    "gate": gate,
                    "frac_low": frac_low.ravel(),
                    "frac_high": frac_high.ravel(),
                }
            )
        )
    return pd.concat(parts, ignore_index=True).sort_values(["layer", "unit"], kind="stable", ignore_index=True)
