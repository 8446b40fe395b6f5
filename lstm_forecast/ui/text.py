"""Text from users (file names, column headers, cell values, run labels) made safe for Streamlit's Markdown."""
from __future__ import annotations

import re
from ..cells import get

_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation mark may be backslash-escaped


def escape_markdown(text: object) -> str:
    """`text` rendered literally by st.markdown, st.warning, st.caption...: every ASCII punctuation
    mark is backslash-escaped (so `![t](http://x)` stays text, not an image; `*`, `_`, `$`, `:red[...]`
    and `<b>` lose their meaning), and line breaks become spaces (no new block can start)."""
    return _PUNCTUATION.sub(r"\\\1", " ".join(str(text).splitlines()))


def cell_label(cell: str) -> str:
    """What people call a cell: 'LSTM', 'Peephole LSTM' (from the cell registry)."""
    return get(cell).label
