"""A saved panel folder someone edited: deep JSON, folders and run IDs that point elsewhere, ids that collide
as folder names or read as spreadsheet formulas. Each is refused with a UserError or written harmlessly."""
from __future__ import annotations

import csv
import json
import shutil
from itertools import permutations
from pathlib import Path

import numpy as np
import pytest

import lstm_forecast.data.loading as loading
import lstm_forecast.scale.store as store
from lstm_forecast.config import Config
from lstm_forecast.data.samples import make_synthetic
from lstm_forecast.errors import UserError
from lstm_forecast.export import FORMULA_START
from lstm_forecast.runs import file_sha256
from lstm_forecast.scale.panel import panel_from_series
from lstm_forecast.scale.panels import train_panel
from lstm_forecast.scale.store import (MANIFEST, list_panels, load_panel_run, panel_scores_of, read_panel_info,
                                       save_panel, series_data, series_folders)
from lstm_forecast.ui.panel_step import PanelEntry, _series_views

COLLIDING = ["x-d4379c", "x", "x/", "X", "a b", "a-b", "a_b", "..", "series"]  # sha1("x/") starts d4379c
FORMULAS = ['=HYPERLINK("http://x")', "+SUM(A1)", "-1", "@cmd", "=x", "'=x", "NA"]  # "'=x": "=x" as written
NESTED = "[" * 1000 + "]" * 1000


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """(folder, panel, run) of one tiny per-series panel whose ids collide as folder names or look like formulas."""
    series = {}
    for i, sid in enumerate(COLLIDING + FORMULAS):
        loaded = make_synthetic(120, periods=(12,), amplitudes=(1.0,), trend=0.0, noise=0.05, level=10.0 * (i + 1),
                                seed=i)  # a level per series: its data tells which series it is
        series[sid] = loaded
    panel = panel_from_series(series, source="hostile ids")
    config = Config(hidden=4, epochs=1, patience=1, epoch_windows=32, base="seasonal_naive", threads=1)
    run = train_panel(panel, config, mode="per-series", threads=1)
    assert not run.problems
    return save_panel(run, tmp_path_factory.mktemp("saved") / "p", panel=panel), panel, run


def _copy(saved, to: Path) -> Path:
    return Path(shutil.copytree(saved[0], to, symlinks=True))


def _rewrite(folder: Path, name: str, text: str) -> None:
    """Replace a top file and its manifest entry, so the manifest passes and what follows is tested."""
    (folder / name).write_text(text, encoding="utf-8")
    manifest = json.loads((folder / MANIFEST).read_text())
    manifest["files"][name] = {"bytes": (folder / name).stat().st_size, "sha256": file_sha256(folder / name)}
    (folder / MANIFEST).write_text(json.dumps(manifest))


def _edit_info(folder: Path, change) -> dict:
    info = json.loads((folder / "panel.json").read_text())
    change(info)
    _rewrite(folder, "panel.json", json.dumps(info))
    return info


# --- 1. deep JSON ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["panel.json", MANIFEST])
def test_a_file_of_a_thousand_nested_brackets_is_a_broken_panel_not_a_recursion_error(saved, tmp_path, name):
    good, bad = _copy(saved, tmp_path / "panels" / "good"), _copy(saved, tmp_path / "panels" / "bad")
    if name == MANIFEST:
        (bad / MANIFEST).write_text(NESTED)
    else:
        _rewrite(bad, name, NESTED)
    broken = []
    assert [folder for folder, _ in list_panels(tmp_path / "panels", broken)] == [good]
    assert [folder for folder, _ in broken] == [bad] and "nests 1000 levels deep" in broken[0][1]
    for read in (load_panel_run, read_panel_info, panel_scores_of):
        with pytest.raises(UserError, match="nests 1000 levels deep"):
            read(bad)


# --- 2. folders and files named in panel.json stay inside the panel -----------------------------


def _plant_outside(panel_folder: Path) -> Path:
    """A valid copy of the first series' run and data beside the panel: what an unchecked path would read."""
    entry = read_panel_info(panel_folder)["series"][COLLIDING[0]]
    outside = panel_folder.parent / "outside"
    shutil.copytree(panel_folder / "series" / entry["folder"], outside)
    shutil.copy(panel_folder / "data" / f"{entry['folder']}.csv", panel_folder.parent / "outside.csv")
    return outside


def _name_as(name):
    return lambda folder, outside: _edit_info(folder, lambda info: info["series"][COLLIDING[0]].update(folder=name))


def _link(part: str):
    """Replace the first series' run folder (or data file, or the whole series/ or data/ folder) by a link out."""
    def tamper(folder, outside):
        name = read_panel_info(folder)["series"][COLLIDING[0]]["folder"]
        path, target = {"run": (folder / "series" / name, outside),
                        "data": (folder / "data" / f"{name}.csv", outside.parent / "outside.csv"),
                        "series": (folder / "series", outside.parent / "series-out"),
                        "data folder": (folder / "data", outside.parent / "data-out")}[part]
        if part in ("series", "data folder"):
            shutil.copytree(path, target)
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()
        path.symlink_to(target)
    return tamper


def _manifest_names_outside(folder, outside):
    manifest = json.loads((folder / MANIFEST).read_text())
    csv_out = outside.parent / "outside.csv"
    manifest["files"]["../outside.csv"] = {"bytes": csv_out.stat().st_size, "sha256": file_sha256(csv_out)}
    (folder / MANIFEST).write_text(json.dumps(manifest))


def _spy(function, read: list):
    def spied(path, *args, **kwargs):
        read.append(Path(path))
        return function(path, *args, **kwargs)
    return spied


ESCAPES = {
    "dot-dot": _name_as(".."),
    "dot": _name_as("."),
    "empty": _name_as(""),
    "dot-dot path": _name_as("../../outside"),
    "absolute": lambda folder, outside: _name_as(str(outside))(folder, outside),
    "separator": _name_as("sub/x"),
    "backslash": _name_as("..\\..\\outside"),
    "not text": _name_as(["x"]),
    "run folder a link out": _link("run"),
    "data file a link out": _link("data"),
    "series/ a link out": _link("series"),
    "data/ a link out": _link("data folder"),
    "manifest names a file outside": _manifest_names_outside,
}


@pytest.mark.parametrize("kind", list(ESCAPES))
def test_a_path_out_of_the_panel_is_refused_before_anything_outside_is_read(saved, tmp_path, monkeypatch, kind):
    folder = _copy(saved, tmp_path / "panels" / "p")
    outside = _plant_outside(folder)
    ESCAPES[kind](folder, outside)
    read = []
    for module, name in ((store, "load_run"), (store, "file_sha256"), (loading, "load_csv")):
        monkeypatch.setattr(module, name, _spy(getattr(module, name), read))
    for load in (load_panel_run, panel_scores_of, lambda f: series_data(f, COLLIDING[0])):
        with pytest.raises(UserError, match="not a series folder of ours|points outside"):
            load(folder)
    real_panel = folder.resolve()
    assert read and all(real_panel in p.resolve().parents for p in read)  # nothing beside the panel was opened
    assert list_panels(tmp_path / "panels") == []


# --- 3. run IDs -------------------------------------------------------------------------------


@pytest.mark.parametrize("run_id", ["../x", "20240101-000000-abcde-a/b", "20240101-000000-abcde-x\n", "", None, 5,
                                    "20240101-000000-abcde-..", "/tmp/20240101-000000-abcde-x"])
def test_a_run_id_not_of_ours_in_panel_json_is_refused(saved, tmp_path, run_id):
    folder = _copy(saved, tmp_path / "p")
    _edit_info(folder, lambda info: info["series"][COLLIDING[1]].update(run_id=run_id))
    with pytest.raises(UserError, match="which is not a run ID of ours"):
        load_panel_run(folder)


@pytest.mark.parametrize("how", ["folders swapped", "another run ID of our format"])
def test_a_series_folder_holding_another_run_than_panel_json_names_is_refused(saved, tmp_path, how):
    folder = _copy(saved, tmp_path / "p")
    first, second = COLLIDING[:2]

    def change(info):
        a, b = info["series"][first], info["series"][second]
        if how == "folders swapped":
            a["folder"], b["folder"] = b["folder"], a["folder"]
        else:
            a["run_id"] = "20240101-000000-abcde-gru"
    info = _edit_info(folder, change)
    with pytest.raises(UserError, match=f"not the '{info['series'][first]['run_id']}' panel.json names"):
        load_panel_run(folder)
    entry = PanelEntry(info["panel_id"], info, panel_scores_of(folder)[1], folder=folder)
    assert _series_views({"p": entry}, first) == {}  # the dashboard shows no run copied in from elsewhere
    assert len(_series_views({"p": entry}, COLLIDING[2])) == 1


# --- 4. folder names unique by construction -----------------------------------------------------


@pytest.mark.parametrize("ids", list(permutations(["x-d4379c", "x", "x/"])) + [COLLIDING, COLLIDING[::-1]])
def test_series_folder_names_differ_ignoring_case_whatever_the_order(ids):
    names = series_folders(list(ids))
    assert len({n.lower() for n in names.values()}) == len(ids)
    assert all(n and "/" not in n and n not in (".", "..") for n in names.values())


def test_colliding_ids_round_trip_each_to_its_own_run_and_data(saved):
    folder, panel, run = saved
    info = read_panel_info(folder)
    assert len({e["folder"].lower() for e in info["series"].values()}) == len(panel.ids)
    again = load_panel_run(folder)
    assert list(again.runs) == panel.ids
    for sid in panel.ids:
        assert again.runs[sid].run_id == run.runs[sid].run_id and again.runs[sid].info["panel"]["series"] == sid
        np.testing.assert_allclose(series_data(folder, sid).frame.iloc[:, 0].to_numpy(),
                                   panel.series[sid].frame.iloc[:, 0].to_numpy(), rtol=1e-9)


# --- 5. formulas in the CSV files ---------------------------------------------------------------


@pytest.mark.parametrize("name", ["scores.csv", "report.csv"])
def test_ids_that_read_as_formulas_are_text_in_the_csv_files(saved, name):
    with open(saved[0] / name, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    ids = [row[rows[0].index("id")] for row in rows[1:]]
    assert all(not cell.startswith(FORMULA_START) for row in rows for cell in row)
    assert "'=HYPERLINK(\"http://x\")" in ids and "'@cmd" in ids and "'+SUM(A1)" in ids


def test_the_scores_read_back_give_the_original_ids(saved):
    folder, panel, run = saved
    info, scores = panel_scores_of(folder)
    assert list(scores["id"]) == panel.ids  # "=x" and "'=x" both come back as themselves, "NA" as text
    assert list(scores["run_id"]) == [run.runs[sid].run_id for sid in panel.ids]
