"""Files the package writes and reads back, which a user (or an attacker) may have edited.

One writer for every JSON file (non-finite numbers become null, and the keys that held one are
named), one depth-limited reader for untrusted JSON, one check that a path read from a file stays
inside its root, and one test of the run-ID format. Runs, panels and sweeps all go through these.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from .errors import UserError

MAX_JSON_DEPTH = 32  # our files nest 4 or 5 deep; 1,000 nested brackets would overflow Python's parser
RUN_ID = re.compile(r"^[0-9]{8}-[0-9]{6}-[0-9a-f]{5,16}-[a-z0-9-]{1,80}$")  # runs.new_run_id's shape
_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)


def json_safe(value: Any, _path: str = "", _found: list[str] | None = None) -> Any:
    """NaN/inf become null, numpy numbers plain ones, keys strings (strict JSON parsers reject NaN).

    _found, when given, collects the dotted key path of every non-finite number met."""
    if isinstance(value, dict):
        return {str(k): json_safe(v, f"{_path}.{k}" if _path else str(k), _found) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v, f"{_path}[{i}]", _found) for i, v in enumerate(value)]
    if isinstance(value, (float, np.floating)):
        if math.isfinite(value):
            return float(value)
        if _found is not None:
            _found.append(_path or "(top)")
        return None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def dumps(obj: Any) -> tuple[str, list[str]]:
    """(strict JSON text, the keys whose non-finite numbers were written as null)."""
    found: list[str] = []
    text = json.dumps(json_safe(obj, _found=found), indent=2, default=str, allow_nan=False)
    return text, found


def json_depth(data: bytes) -> int:
    """The deepest nesting of [ and { in JSON bytes, strings left out (linear time, no recursion)."""
    bare = np.frombuffer(_STRINGS.sub(b'""', data), dtype=np.uint8)
    step = np.zeros(bare.shape, dtype=np.int64)
    step[(bare == ord("[")) | (bare == ord("{"))] = 1
    step[(bare == ord("]")) | (bare == ord("}"))] = -1
    return int(np.cumsum(step).max(initial=0))


def loads(data: bytes | str, name: str, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Parse untrusted JSON: UserError naming the file when it is not JSON or nests too deeply."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    depth = json_depth(raw)
    if depth > max_depth:
        raise UserError(f"{name} nests {depth} levels deep, more than the {max_depth} a file of ours has: "
                        "it was not written by lstm-forecast; remove or replace it")
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise UserError(f"{name} is not valid JSON ({str(exc)[:80]}); remove or replace it") from None


def file_sha256(path) -> str:
    """The SHA-256 of a file's bytes, read in 1 MB blocks (hex)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def inside(root: Path | str, path: Path | str) -> Path:
    """`path` resolved (links followed, `..` applied); UserError unless it lies within `root`."""
    real_root = Path(os.path.realpath(root))
    real = Path(os.path.realpath(path))
    if real != real_root and real_root not in real.parents:
        raise UserError(f"{str(path)!r} points outside {str(root)!r}; a file there may only name folders "
                        "inside it: remove the entry or the folder")
    return real


def check_run_id(run_id: Any, where: str) -> str:
    """A run ID read from a file, checked against the format new_run_id writes (no separators, no `..`)."""
    text = str(run_id)
    if not isinstance(run_id, str) or not RUN_ID.fullmatch(text) or ".." in text:  # match: "$" lets a final \n by
        raise UserError(f"{where} names the run {text[:60]!r}, which is not a run ID of ours; "
                        "remove or replace the file")
    return text
