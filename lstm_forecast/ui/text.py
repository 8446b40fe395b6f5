"""User text (column and file names, tickers, labels) shown where Markdown renders: escaped first."""
from __future__ import annotations

import re

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=&])")


def escape_markdown(text: object) -> str:
    """`text` with every character Markdown (or Streamlit's extensions: $math$, :colour[]) would act on
    backslash-escaped, and line breaks folded, so it shows as typed."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def cell_label(cell: str) -> str:
    """What people call a cell: 'LSTM', 'Peephole LSTM' (from the cell registry)."""
    from ..cells import get

    return get(cell).label
