"""A panel run's folder: every series' ordinary run folder, its data, the scores, written whole.

    <panel>/panel.json     info, the series and their folders, the ones left out and why, the scoreboard
    <panel>/scores.csv     one row per series (panels.panel_scores)
    <panel>/report.csv     the loader's report per series (Panel.report)
    <panel>/global.pt      the global model's state_dict (global mode)
    <panel>/series/<name>/ an ordinary run folder per series (runs.save_run): load_run, inspect, forecast read it
    <panel>/data/<name>.csv each series as trained, so `inspect --run <panel>/series/<name>` finds its data
    <panel>/manifest.json  written last: every top-level file's size and SHA-256

The folder is written in a hidden temporary sibling and renamed into place, so a reader never sees
half a panel; a torn or tampered one is refused by its manifest.
"""
from __future__ import annotations

import hashlib
import os
import re
import secrets
import shutil
from dataclasses import replace
from pathlib import Path

import pandas as pd

from ..data.loading import load_csv
from ..data.source import write_series_csv
from ..errors import UserError
from ..export import neutralise
from ..files import check_run_id, dumps, inside, loads
from ..runs import file_sha256, load_run, save_run
from .panels import PanelRun

PANEL_FILES = ("panel.json", "scores.csv", "report.csv")
MANIFEST = "manifest.json"
MAX_JSON_BYTES = 16 * 2**20


def save_panel(panel_run: PanelRun, folder: Path | str, panel=None) -> Path:
    """Write the panel run to `folder` (replacing an older panel run there, never anything else)."""
    import torch  # deferred: torch

    folder = Path(folder)
    _check_replaceable(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    final = folder.resolve()
    tmp = folder.parent / f".{folder.name}.tmp-{secrets.token_hex(4)}"
    try:
        tmp.mkdir()
        (tmp / "series").mkdir()
        (tmp / "data").mkdir()
        names = series_folders(list(panel_run.runs))
        for sid, run in panel_run.runs.items():
            data = tmp / "data" / f"{names[sid]}.csv"
            loaded = panel.series[sid] if panel is not None and sid in panel.series else None
            if loaded is not None:  # the path it will have once the folder is swapped in
                written = write_series_csv(loaded, data, value_col=run.config.value_col)
                run.info["origin"] = replace(written, csv=str(final / "data" / data.name)).to_dict()
            save_run(run, tmp / "series" / names[sid], expect="any")
        info = {**panel_run.info, "series": {sid: {"folder": names[sid], "run_id": r.run_id,
                                                   "freq": r.info.get("freq"),
                                                   "date_col": (panel.series[sid].date_col if panel is not None
                                                                and sid in panel.series else None),
                                                   "value_col": r.config.value_col}
                                             for sid, r in panel_run.runs.items()},
                "problems": panel_run.problems, "feature_names": panel_run.feature_names}
        scores = panel_run.scores()
        info["scoreboard"] = panel_run.scoreboard()
        _write_json(tmp / "panel.json", info)
        neutralise(scores).to_csv(tmp / "scores.csv", index=False)  # ids are user text: no formulas in Excel
        neutralise(panel.report() if panel is not None else pd.DataFrame()).to_csv(tmp / "report.csv", index=False)
        files = list(PANEL_FILES)
        if panel_run.model is not None:
            torch.save(panel_run.model.state_dict(), tmp / "global.pt")
            files.append("global.pt")
        _write_json(tmp / MANIFEST, {"panel_id": panel_run.panel_id, "format": 1,
                                     "files": {n: {"bytes": (tmp / n).stat().st_size, "sha256": file_sha256(tmp / n)}
                                               for n in files}})
        if os.path.lexists(folder):
            old = folder.parent / f".{folder.name}.old-{secrets.token_hex(4)}"
            os.rename(folder, old)
            os.rename(tmp, folder)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp, folder)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    panel_run.path = folder
    return folder


def read_panel_info(folder: Path | str) -> dict:
    """panel.json of a panel folder, after checking the manifest (sizes and hashes of the top files) and
    that every series folder and run ID it names is one of ours, inside the panel folder."""
    folder = Path(folder)
    if not (folder / MANIFEST).is_file():
        raise UserError(f"{str(folder)!r} is not a complete panel folder (no manifest.json); train the panel again")
    manifest = _read_json(folder / MANIFEST)
    files = manifest.get("files", {}) if isinstance(manifest, dict) else None
    if not isinstance(files, dict) or not all(isinstance(v, dict) for v in files.values()):
        raise UserError(f"manifest.json in {str(folder)!r} is not a panel manifest; train the panel again")
    for name, expected in files.items():
        path = folder / name
        inside(folder, path)
        if not path.is_file() or path.is_symlink() or path.stat().st_size != expected.get("bytes") \
                or file_sha256(path) != expected.get("sha256"):
            raise UserError(f"{name} in {str(folder)!r} does not match the manifest: the folder is torn or mixed; "
                            "train the panel again")
    info = _read_json(folder / "panel.json")
    if not isinstance(info, dict) or info.get("panel_id") != manifest.get("panel_id"):
        raise UserError(f"panel.json in {str(folder)!r} belongs to another panel than its manifest")
    series = info.get("series", {})
    if not isinstance(series, dict):
        raise UserError(f"panel.json in {str(folder)!r} has no table of series; train the panel again")
    for sid, entry in series.items():
        _check_entry(folder, sid, entry)
    return info


def _check_entry(folder: Path, sid: str, entry) -> None:
    """A series entry of panel.json: a plain folder name (no separator, no `..`) whose run folder and data
    file resolve inside the panel folder, and a run ID of ours."""
    where = f"panel.json in {str(folder)!r}, series {str(sid)[:40]!r},"
    name = entry.get("folder") if isinstance(entry, dict) else None
    if not isinstance(name, str) or not name or name in (".", "..") or "/" in name or "\\" in name \
            or "\0" in name or os.path.isabs(name):
        raise UserError(f"{where} names the folder {str(name)[:60]!r}, which is not a series folder of ours; "
                        "train the panel again")
    for path in (folder / "series" / name, folder / "data" / f"{name}.csv"):
        inside(folder, path)  # against the panel, not series/ or data/: those may be links out themselves
        inside(path.parent, path)
    check_run_id(entry.get("run_id"), where)


def series_path(folder: Path | str, info: dict, sid: str) -> Path:
    """The run folder of series `sid` of a panel whose panel.json (read_panel_info's) is `info`."""
    folder = Path(folder)
    entry = info["series"][sid]
    _check_entry(folder, sid, entry)
    return folder / "series" / entry["folder"]


def load_panel_run(folder: Path | str) -> PanelRun:
    """Every series' run of a saved panel (models included) and its info; the global model is not rebuilt.

    A series whose run folder holds another run than panel.json names (folders swapped or copied in) is refused."""
    folder = Path(folder)
    info = read_panel_info(folder)
    runs = {}
    for sid, s in info.get("series", {}).items():
        run = load_run(series_path(folder, info, sid), root=folder / "series")
        if run.run_id != s["run_id"]:
            raise UserError(f"the folder of series {str(sid)[:40]!r} in {str(folder)!r} holds the run {run.run_id!r}, "
                            f"not the {s['run_id']!r} panel.json names: the folder is mixed; train the panel again")
        runs[sid] = run
    return PanelRun(runs, dict(info.get("problems", {})), info, None, folder, list(info.get("feature_names", [])))


def panel_scores_of(folder: Path | str) -> tuple[dict, pd.DataFrame]:
    """panel.json and scores.csv, without loading any model (for listing panel runs)."""
    info = read_panel_info(folder)
    scores = pd.read_csv(Path(folder) / "scores.csv", dtype={"id": str, "run_id": str})
    if {"id", "run_id"} <= set(scores.columns):  # ids from panel.json by run ID: the file's are neutralised
        # (=x and '=x are both written '=x) and an id NA reads as NaN
        by_run = {entry["run_id"]: sid for sid, entry in info.get("series", {}).items()}
        scores["id"] = [by_run.get(r, sid) for r, sid in zip(scores["run_id"], scores["id"])]
    return info, scores


def series_data(folder: Path | str, sid: str):
    """The series `sid` of a saved panel, as it was trained (data/<name>.csv read with its freq)."""
    folder = Path(folder)
    info = read_panel_info(folder)
    entry = info.get("series", {}).get(sid)
    if entry is None:
        raise UserError(f"series {sid!r} is not in the panel {str(folder)!r}; choose one of {list(info['series'])[:5]}")
    _check_entry(folder, sid, entry)
    loaded = load_csv(inside(folder / "data", folder / "data" / f"{entry['folder']}.csv"), date_col=entry.get("date_col"),
                      value_col=entry.get("value_col"), na_values=[], freq=entry.get("freq"))
    loaded.source = f"{info.get('source', 'panel')}:{sid}"
    return loaded


def list_panels(root: Path | str, broken: list | None = None) -> list[tuple[Path, dict]]:
    """Good panel folders under `root` with their panel.json, newest first; broken ones are skipped (and,
    when `broken` is a list, appended to it as (folder, why))."""
    root = Path(root)
    out = []
    if not root.is_dir():
        return out
    for name in sorted(os.listdir(root)):
        if name.startswith("."):
            continue
        try:
            out.append((root / name, read_panel_info(root / name)))
        except (UserError, OSError, ValueError, RecursionError) as exc:
            if broken is not None:
                broken.append((root / name, str(exc)))
            continue
    return sorted(out, key=lambda t: str(t[1].get("created", "")), reverse=True)


def series_folders(ids: list[str]) -> dict[str, str]:
    """A safe folder name per series id, unique by construction: its slug alone when that is free, else the
    slug with a hash of the id, else with a counter too. Names are compared ignoring case (macOS and Windows
    folders), and a name taken by an earlier id is never handed out again, whatever ids follow."""
    out, taken = {}, set()
    for sid in ids:
        slug = re.sub(r"[^A-Za-z0-9._-]+", "-", str(sid)).strip("-.")[:60] or "series"
        name = slug
        if name.lower() in taken:
            name = f"{slug}-{hashlib.sha1(str(sid).encode()).hexdigest()[:6]}"
        k = 2
        while name.lower() in taken:
            name, k = f"{slug}-{hashlib.sha1(str(sid).encode()).hexdigest()[:6]}-{k}", k + 1
        taken.add(name.lower())
        out[sid] = name
    return out


def _check_replaceable(folder: Path) -> None:
    if not os.path.lexists(folder):
        return
    if not folder.is_dir() or folder.is_symlink():
        raise UserError(f"{str(folder)!r} exists and is not a folder; choose another --out")
    names = set(os.listdir(folder))
    if names and "panel.json" not in names:
        raise UserError(f"{str(folder)!r} exists and is not a panel folder ({len(names)} other files); "
                        "choose an empty or new --out")


def _write_json(path: Path, obj) -> None:
    path.write_text(dumps(obj)[0], encoding="utf-8")


def _read_json(path: Path):
    if path.is_symlink() or not path.is_file() or path.stat().st_size > MAX_JSON_BYTES:
        raise UserError(f"{path.name} in {str(path.parent)!r} is not a plain JSON file of a panel")
    return loads(path.read_bytes(), f"{path.name} in {str(path.parent)!r}")
