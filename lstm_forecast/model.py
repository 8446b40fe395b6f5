"""One Forecaster for LSTM, GRU and vanilla RNN: a recurrent encoder and a direct multi-horizon head."""
from __future__ import annotations

import torch
from torch import nn

from .config import Config

RNN_CLASSES = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}


class Forecaster(nn.Module):
    """(B, L, F) windows -> (B, H) scaled forecasts, all horizons in one forward pass."""

    def __init__(self, n_features: int, config: Config) -> None:
        super().__init__()
        self.n_features = n_features
        self.config = config
        self.rnn = RNN_CLASSES[config.cell](
            input_size=n_features,
            hidden_size=config.hidden,
            num_layers=config.layers,
            dropout=config.dropout if config.layers > 1 else 0.0,
            bidirectional=config.bidirectional,
            batch_first=True,
        )
        directions = 2 if config.bidirectional else 1
        self.dropout = nn.Dropout(config.dropout)
        self.head = nn.Linear(directions * config.hidden, config.horizon)
        # Start close to "no correction": the first forecasts equal the base (seasonal naive).
        with torch.no_grad():
            self.head.weight.mul_(0.1)
            self.head.bias.zero_()

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """The summary of each window the head reads: (B, L, F) -> (B, D*hidden)."""
        out, _ = self.rnn(x)  # (B, L, D*hidden)
        if not self.config.bidirectional:
            return out[:, -1]
        h = self.config.hidden
        return torch.cat([out[:, -1, :h], out[:, 0, h:]], dim=1)  # each direction's final state

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.dropout(self.encode(x)))  # (B, H)


def choose_device(name: str = "auto") -> torch.device:
    """CUDA when present, then Apple MPS, then CPU; an explicit name is honoured if available."""
    from .errors import UserError

    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise UserError(f"device {name!r} was asked for but CUDA is not available here; use 'auto' or 'cpu'")
    if name == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise UserError("device 'mps' was asked for but Apple MPS is not available here; use 'auto' or 'cpu'")
    if name not in ("cpu", "mps") and not name.startswith("cuda"):
        raise UserError(f"device {name!r} is not one of auto, cpu, cuda, mps")
    return torch.device(name)
