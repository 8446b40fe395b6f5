"""Files a user downloads and opens in a spreadsheet: text cells that a spreadsheet would run are defused."""
from __future__ import annotations

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # OWASP's CSV-injection triggers


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy where every text cell (labels, names: user text) that starts like a formula gets a leading
    apostrophe, so Excel or LibreOffice shows it as text instead of running it. Numbers are untouched."""
    text_cols = [c for c in frame.columns if pd.api.types.is_object_dtype(frame[c]) or pd.api.types.is_string_dtype(frame[c])]
    if not text_cols:
        return frame
    out = frame.copy()
    for col in text_cols:
        cells = out[col]
        risky = cells.map(lambda v: isinstance(v, str) and v.startswith(FORMULA_START))
        if risky.any():
            out[col] = cells.astype(object).where(~risky, "'" + cells.astype(str))
    renamed = {c: "'" + c for c in out.columns if isinstance(c, str) and c.startswith(FORMULA_START)}
    return out.rename(columns=renamed) if renamed else out
