"""Saved runs against hostile or unlucky disks: ranges read from files, paths out of the runs folder,
deep JSON, failed writes that must keep the trained run, and the temporary folders of killed writers."""
import copy
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import lstm_forecast.model as model_module
import lstm_forecast.runs as runs_module
from lstm_forecast.config import Config
from lstm_forecast.errors import UserError
from lstm_forecast.pipeline import train_run
from lstm_forecast.runs import MANIFEST, clean_stale, index_runs, load_run, read_entry, run_folder, save_run
from tests.factories import sine_series


@pytest.fixture(scope="module")
def run():
    return train_run(sine_series(n=200), Config(hidden=4, epochs=1))


def _rewrite(folder: Path, name: str, data: bytes) -> None:
    """Change one file and fix the manifest up, as a careful forger would."""
    (folder / name).write_bytes(data)
    manifest = json.loads((folder / MANIFEST).read_text())
    manifest["files"][name] = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    (folder / MANIFEST).write_text(json.dumps(manifest))


def _edit_meta(folder: Path, part: str, changes: dict) -> None:
    meta = json.loads((folder / "config.json").read_text())
    meta[part].update(changes)
    _rewrite(folder, "config.json", json.dumps(meta).encode())


# --- 4: every number read from a file is checked before anything is built ------------------------

@pytest.mark.parametrize("changes, reason", [
    ({"ensemble": 10**6}, "`ensemble`"),
    ({"layers": 20000}, "`layers`"),
    ({"hidden": 20000}, "`hidden`"),
    ({"hidden": 8.5}, "`hidden`"),
    ({"seed": 10**20}, "`seed`"),
    ({"threads": 10**6}, "`threads`"),
    ({"lookback": 10**9}, "`lookback`"),
    ({"dropout": None}, "`dropout`"),
])
def test_a_config_json_out_of_range_is_refused_before_the_model_is_built(run, tmp_path, monkeypatch, changes, reason):
    folder = save_run(copy.deepcopy(run), tmp_path / "runs" / "r")
    _edit_meta(folder, "config", changes)
    entry = read_entry(folder, root=tmp_path / "runs")
    assert not entry.ok and "invalid config" in entry.reason and reason in entry.reason

    def no_build(*args, **kwargs):
        raise AssertionError("build_model was called with an unchecked config")

    monkeypatch.setattr(model_module, "build_model", no_build)
    with pytest.raises(UserError, match="cannot be used") as err:
        load_run(folder)
    assert reason in str(err.value) and "\n" not in str(err.value)


@pytest.mark.parametrize("changes, reason", [
    ({"scale": 0}, "transform.scale"),
    ({"scale": -2.0}, "transform.scale"),
    ({"scale": None}, "transform.scale"),  # NaN, written as null
    ({"scale": "big"}, "transform.scale"),
    ({"base": "prophet"}, "transform.base"),
    ({"base_params": "ets"}, "transform.base_params"),
    ({"base_params": [1, 2]}, "transform.base_params"),
    ({"base": "ets", "base_params": None}, "transform.base_params"),
    ({"base": "ets", "base_params": {"period": 12, "spec": {"trend": "add", "os.system": 1},
                                     "params": {}, "initial_seasons": []}}, "transform.base_params"),
    ({"period": 0}, "transform.period"),
    ({"log": "yes"}, "transform.log"),
    ({"cov_std": [0.0], "cov_mean": [1.0]}, "transform.cov_std"),
    ({"window_ref": -1}, "transform.window_ref"),
    ({"surprise": 1}, "unknown fields"),
])
def test_a_transform_out_of_range_is_a_broken_entry_not_an_internal_error(run, tmp_path, changes, reason):
    folder = save_run(copy.deepcopy(run), tmp_path / "runs" / "r")
    _edit_meta(folder, "transform", changes)
    [entry] = index_runs(tmp_path / "runs")
    assert not entry.ok and reason in entry.reason
    with pytest.raises(UserError, match="cannot be used") as err:
        load_run(folder)
    assert reason in str(err.value)


# --- 2: no way out of the runs folder ------------------------------------------------------------

def test_no_folder_outside_the_runs_folder_is_read_through_it(run, tmp_path):
    root = tmp_path / "runs"
    save_run(copy.deepcopy(run), root / "good")
    outside = save_run(copy.deepcopy(run), tmp_path / "elsewhere")
    os.symlink(outside, root / "link-out")
    os.symlink(root / "good", root / "link-in")
    (root / "sub").mkdir()
    os.symlink(tmp_path, root / "sub" / "up")
    for path in (root / ".." / "elsewhere", outside, root / "sub" / "up" / "elsewhere", root / "link-out"):
        entry = read_entry(path, root=root)
        assert not entry.ok and "outside the runs folder" in entry.reason, path
        with pytest.raises(UserError, match="outside the runs folder"):
            load_run(path, root=root)
    assert not read_entry(root, root=root).ok  # the runs folder itself is not a run in it
    assert read_entry(root / "link-in", root=root).ok  # a link that stays inside is fine
    assert read_entry(outside).ok  # without a root, a folder named directly is read as given
    assert load_run(root / "link-in", root=root).run_id == run.run_id


@pytest.mark.parametrize("run_id", ["../x", "a/b", "/etc", "..", "20260101-000000-abcde-lstm-a/../../x", "", None])
def test_a_run_id_with_separators_names_no_folder(tmp_path, run_id):
    with pytest.raises(UserError, match="not a run ID of ours"):
        run_folder(tmp_path, run_id)


def test_a_run_id_of_ours_names_its_folder(run, tmp_path):
    assert run_folder(tmp_path, run.run_id) == tmp_path / run.run_id


# --- 3: JSON nested 1,000 deep is a broken entry, never a crash ----------------------------------

@pytest.mark.parametrize("name", ["config.json", "metrics.json", MANIFEST])
def test_json_nested_a_thousand_deep_is_a_broken_entry(run, tmp_path, name):
    root = tmp_path / "runs"
    folder = save_run(copy.deepcopy(run), root / "deep")
    deep = b"[" * 1000 + b"]" * 1000
    if name == MANIFEST:
        (folder / MANIFEST).write_bytes(deep)
    else:
        _rewrite(folder, name, deep)
    [entry] = index_runs(root)
    assert not entry.ok and "nests 1000 levels deep" in entry.reason and name in entry.reason
    with pytest.raises(UserError, match="nests 1000 levels"):
        load_run(folder)


# --- 1: a run that fails to save is kept, and the reason is said ----------------------------------

def test_a_failed_write_keeps_the_run_leaves_nothing_and_says_why(run, tmp_path, monkeypatch):
    kept = copy.deepcopy(run)
    root = tmp_path / "runs"
    save_run(copy.deepcopy(run), root / "old")

    def full_disk(path, frame):
        raise OSError(28, "No space left on device", str(path))

    monkeypatch.setattr(runs_module, "_write_csv", full_disk)
    for target in (root / "new", root / "old"):
        with pytest.raises(UserError, match="not saved") as err:
            save_run(kept, target)
        assert "No space left on device" in str(err.value) and "\n" not in str(err.value)
    assert kept.path is None and kept.model is not None and kept.metrics == run.metrics  # still usable in memory
    assert sorted(os.listdir(root)) == [".runs.lock", "old"]  # no partial folder, no temporary left
    assert load_run(root / "old").run_id == run.run_id  # the run that was there is intact


def test_a_folder_that_cannot_be_created_is_a_user_error(run, tmp_path):
    (tmp_path / "a-file").write_text("x")
    with pytest.raises(UserError, match="cannot create the folder"):
        save_run(copy.deepcopy(run), tmp_path / "a-file" / "run")


def test_a_holt_winters_base_without_a_season_saves_and_reopens(tmp_path):
    """The bug: smoothing_seasonal is NaN without a season; config.json raised and the run was lost."""
    from lstm_forecast.data.samples import load_sample
    from lstm_forecast.pipeline import apply_run

    loaded = load_sample("airline")
    trained = train_run(loaded, Config(period=1, base="ets", hidden=4, epochs=1))
    assert trained.transform.base == "ets"
    folder = save_run(trained, tmp_path / "runs" / "hw")
    assert "config.transform.base_params.params.smoothing_seasonal" in trained.info["written_as_null"]
    [entry] = index_runs(tmp_path / "runs")
    assert entry.ok, entry.reason
    back = load_run(folder, root=tmp_path / "runs")
    assert back.transform.base_params["params"]["smoothing_seasonal"] is None
    frame, scores = apply_run(back, loaded)
    assert frame["forecast"].notna().any() and all(v == v for v in scores.values())


def test_null_scores_load_and_show_as_not_applicable(run, tmp_path):
    from lstm_forecast.cli import metrics_table

    odd = copy.deepcopy(run)
    odd.metrics["model"]["mase"] = float("nan")
    odd.metrics["baselines"]["naive"]["rmse"] = float("inf")
    folder = save_run(odd, tmp_path / "runs" / "nulls")
    [entry] = index_runs(tmp_path / "runs")
    assert entry.ok and entry.metrics["model"]["mase"] is None
    back = load_run(folder)
    text = metrics_table(back.metrics, back.config.cell).round(4).to_string(na_rep="n/a")
    assert "n/a" in text


def test_the_dashboard_keeps_a_run_it_cannot_save_and_says_why(run, tmp_path, monkeypatch):
    from lstm_forecast.ui import train_step

    monkeypatch.setenv("LSTM_FORECAST_RUNS", str(tmp_path / "runs"))

    def refuse(*args, **kwargs):
        raise OSError(30, "Read-only file system", str(tmp_path))

    monkeypatch.setattr(runs_module, "_write_csv", refuse)
    reason = train_step.save_or_reason(copy.deepcopy(run))
    assert "not saved" in reason and "Read-only file system" in reason and "kept in this session" in reason
    assert "LSTM_FORECAST_RUNS" in reason and "--out" not in reason  # advice the dashboard's user can follow
    monkeypatch.undo()
    monkeypatch.setenv("LSTM_FORECAST_RUNS", str(tmp_path / "runs"))
    assert train_step.save_or_reason(copy.deepcopy(run)) == ""
    assert load_run(tmp_path / "runs" / run.run_id).run_id == run.run_id


# --- 5: the temporary folders of a killed writer are cleaned at the next save ----------------------

def test_stale_temporary_folders_are_removed_at_the_next_save(run, tmp_path):
    root = tmp_path / "runs"
    root.mkdir()
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = int(gone.stdout)
    names = {
        f".a.tmp-{dead}-0123abcd": False,  # its writer is gone
        f".a.old-{dead}-0123abce": False,
        ".b.tmp-89abcdef": False,  # an older name without a pid, two hours old
        f".c.tmp-{os.getpid()}-00ff00ff": True,  # a live writer's, recent
        ".d.tmp-0badcafe": True,  # recent, without a pid: the age rule keeps it
        ".hidden-notes": True,  # not ours
    }
    for name in names:
        (root / name).mkdir()
        (root / name / "model.pt").write_bytes(b"x")
    two_hours_ago = time.time() - 7200
    os.utime(root / ".b.tmp-89abcdef", (two_hours_ago, two_hours_ago))
    save_run(copy.deepcopy(run), root / "a")
    left = set(os.listdir(root))
    assert {name for name, keep in names.items() if keep} <= left
    assert not {name for name, keep in names.items() if not keep} & left
    assert [e.folder.name for e in index_runs(root)] == ["a"]
    assert clean_stale(root) == []  # nothing stale is left to remove
