"""What a picture of a gate would look like without learning: references to read the trained network against.

- The untrained reference: the same architecture at its initial weights, rebuilt from the run's seed
  (training seeds torch with config.seed right before building the model, so nothing extra is stored;
  for a run that kept epoch 0, its weights are these exactly).
- The control: the trained network on the same input steps in a random order, each step keeping its
  phase label: the seasonality score a unit gets by chance on this many steps and phases.

An untrained network's gates follow the season too, because its inputs do; what training added is the
trained score minus the untrained one ("learned").
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import torch

from .. import cells
from ..model import build_model
from . import summary as streamed  # called through the module, so a patched look_inside is the one used
from .views import empty_frame

if TYPE_CHECKING:
    from torch import nn

    from ..data.series import LoadedSeries
    from ..runs import Run
    from .summary import LookInside

CONTROL_SEED = 0
COLUMNS = ["unit", "trained", "untrained", "shuffled", "learned"]


def initial_rnn(run: Run) -> nn.Module:
    """The run's recurrent layers (the first member's, for an ensemble) at their initial weights."""
    with torch.random.fork_rng(devices=[]):  # leaves the caller's random state as it was
        torch.manual_seed(run.config.seed)
        model = build_model(len(run.feature_names), run.config)
    return model.rnn.eval()


def seasonality_against_references(run: Run, loaded: LoadedSeries, *, layer: int, trained: LookInside | None = None,
                                   quantity: str | None = None) -> pd.DataFrame:
    """Per unit of `layer`: the keep gate's seasonality score (share of its variance the phase explains)
    for the trained network, the untrained reference and the shuffled control, and learned = trained -
    untrained; sorted by learned, largest first. `trained`: the run's summary, when already traced."""
    quantity = quantity or cells.get(run.config.cell).keep_gate
    if quantity is None:
        return empty_frame(COLUMNS)
    trained = trained if trained is not None else streamed.look_inside(run, loaded)
    untrained = streamed.look_inside(run, loaded, rnn=initial_rnn(run))
    shuffled = streamed.look_inside(run, loaded, shuffle_seed=CONTROL_SEED)
    scores = [s.units.seasonality_scores(layer=layer, quantity=quantity).set_index("unit")["score"]
              for s in (trained, untrained, shuffled)]
    frame = pd.concat(scores, axis=1, keys=COLUMNS[1:4]).rename_axis("unit").reset_index()
    frame["learned"] = frame["trained"] - frame["untrained"]
    return frame[COLUMNS].sort_values(["learned", "unit"], ascending=[False, True], ignore_index=True)
