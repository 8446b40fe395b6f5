"""Runs as records: unique IDs, labels that tell runs apart, manifests, atomic folders, hostile folders."""
import copy
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import torch

from lstm_forecast.config import Config
from lstm_forecast.errors import UserError
from lstm_forecast.pipeline import apply_run, train_run
from lstm_forecast.runs import (FILES, MANIFEST, current_run_id, distinct_labels, index_runs, list_runs, load_run,
                                new_run_id, read_entry, relabel, save_run)
from tests.factories import sine_series

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def run():
    return train_run(sine_series(n=300), Config(hidden=8, epochs=3, bidirectional=True, layers=2))


@pytest.fixture(scope="module")
def other():
    return train_run(sine_series(n=300, seed=3), Config(hidden=8, epochs=2, lookback=36))


def _rewrite(folder: Path, name: str, data: bytes) -> None:
    """Change one file and fix the manifest up, as a careful forger would."""
    import hashlib

    (folder / name).write_bytes(data)
    manifest = json.loads((folder / MANIFEST).read_text())
    manifest["files"][name] = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    (folder / MANIFEST).write_text(json.dumps(manifest))


def test_round_trip_rebuilds_the_same_model(run, tmp_path):
    folder = save_run(run, tmp_path / "r1")
    assert sorted(p.name for p in folder.iterdir()) == sorted(FILES)
    back = load_run(folder)
    assert back.config == run.config and back.transform == run.transform
    for (k, a), (_, b) in zip(run.model.state_dict().items(), back.model.state_dict().items()):
        assert torch.equal(a, b), k
    assert back.metrics == json.loads(json.dumps(run.metrics))
    data = sine_series(n=200, seed=5)
    f1, _ = apply_run(run, data)
    f2, _ = apply_run(back, data)
    np.testing.assert_array_equal(f1["forecast"].to_numpy(), f2["forecast"].to_numpy())
    assert list(back.forecast.columns) == ["timestamp", "actual", "forecast", "lower_80", "upper_80", "lower_95",
                                           "upper_95"]


def test_model_file_is_a_plain_state_dict(run, tmp_path):
    folder = save_run(run, tmp_path / "r2")
    state = torch.load(folder / "model.pt", weights_only=True)
    assert isinstance(state, dict) and all(isinstance(v, torch.Tensor) for v in state.values())


def test_no_temporary_folders_are_left_behind(run, tmp_path):
    save_run(run, tmp_path / "r3")
    save_run(run, tmp_path / "r3")  # replacing it swaps a whole new folder in
    assert sorted(p.name for p in tmp_path.iterdir()) == [".runs.lock", "r3"]


def test_run_ids_are_unique_even_within_one_second():
    ids = {new_run_id("lstm", "airline") for _ in range(200)}
    assert len(ids) == 200


def test_labels_tell_apart_runs_that_differ_only_in_a_setting():
    base = Config(lookback=24, horizon=12, period=12).to_dict()
    records = [("a", "LSTM 64×1 · seed 0", {**base, "lr": 0.003}), ("b", "LSTM 64×1 · seed 0", {**base, "lr": 0.01}),
               ("c", "LSTM 64×1 · seed 0", {**base, "lr": 0.01, "target": "level"}), ("d", "GRU 64×1", base)]
    labels = distinct_labels(records)
    assert len(set(labels.values())) == 4
    assert labels["a"].endswith("lr 0.003 · target residual") and labels["d"] == "GRU 64×1"
    twins = distinct_labels([("20261130-101500-00001abcdef-lstm-x", "L", base), ("20261130-101500-00002fedcba-lstm-x", "L", base)])
    assert len(set(twins.values())) == 2  # alike in every setting: the ID's random part


def test_a_label_can_be_edited(run, tmp_path):
    folder = save_run(copy.deepcopy(run), tmp_path / "lab")
    relabel(folder, "  my   best run ")
    assert load_run(folder).label == "my best run"
    with pytest.raises(UserError, match="cannot be empty"):
        relabel(folder, "   ")


@pytest.mark.parametrize("breakage, reason", [
    ("no manifest", "no manifest.json"),
    ("torn model", "model.pt does not match the manifest"),
    ("mixed config", "config.json does not match the manifest"),
    ("metrics is a list", "metrics.json lacks"),
    ("metrics lacks model", "metrics.json lacks"),
    ("config of another run", "belongs to another run"),
    ("garbage json", "not valid JSON"),
    ("no info", "lacks its config, transform or info"),
])
def test_a_broken_folder_is_listed_as_broken_with_its_reason(run, other, tmp_path, breakage, reason):
    folder = save_run(copy.deepcopy(run), tmp_path / "runs" / "x")
    elsewhere = save_run(copy.deepcopy(other), tmp_path / "other")
    if breakage == "no manifest":
        (folder / MANIFEST).unlink()
    elif breakage == "torn model":
        (folder / "model.pt").write_bytes((folder / "model.pt").read_bytes()[:100])
    elif breakage == "mixed config":
        (folder / "config.json").write_bytes((elsewhere / "config.json").read_bytes())
    elif breakage == "metrics is a list":
        _rewrite(folder, "metrics.json", b"[1, 2]")
    elif breakage == "metrics lacks model":
        _rewrite(folder, "metrics.json", json.dumps({"baselines": {}}).encode())
    elif breakage == "config of another run":
        _rewrite(folder, "config.json", (elsewhere / "config.json").read_bytes())
    elif breakage == "garbage json":
        _rewrite(folder, "config.json", b"{not json")
    else:
        meta = json.loads((folder / "config.json").read_text())
        del meta["info"]
        _rewrite(folder, "config.json", json.dumps(meta).encode())
    entries = index_runs(tmp_path / "runs")
    assert [e.ok for e in entries] == [False] and reason in entries[0].reason
    with pytest.raises(UserError, match="cannot be used") as err:
        load_run(folder)
    assert "\n" not in str(err.value) and reason in str(err.value)
    assert list_runs(tmp_path / "runs") == []


def test_weights_that_do_not_match_the_config_or_are_not_finite_are_refused(run, other, tmp_path):
    folder = save_run(copy.deepcopy(run), tmp_path / "w")
    state = {k: v.clone() for k, v in run.model.state_dict().items()}
    key = next(iter(state))
    state[key][0] = float("nan")
    import io

    buffer = io.BytesIO()
    torch.save(state, buffer)
    _rewrite(folder, "model.pt", buffer.getvalue())
    with pytest.raises(UserError, match="NaN or infinite weights"):
        load_run(folder)
    buffer = io.BytesIO()
    torch.save(other.model.state_dict(), buffer)  # another architecture
    _rewrite(folder, "model.pt", buffer.getvalue())
    with pytest.raises(UserError, match="does not match config.json"):
        load_run(folder)
    _rewrite(folder, "model.pt", b"")
    with pytest.raises(UserError, match="cannot be read"):
        load_run(folder)


def test_a_pickle_that_would_run_code_is_refused_and_nothing_runs(run, tmp_path):
    import pickle

    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    folder = save_run(copy.deepcopy(run), tmp_path / "evil")
    payload = pickle.dumps({"rnn.weight_ih_l0": Evil()})
    import io
    import zipfile

    buffer = io.BytesIO()  # torch's own zip layout, with the evil pickle inside
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("archive/data.pkl", payload)
        z.writestr("archive/version", "3\n")
    _rewrite(folder, "model.pt", buffer.getvalue())
    with pytest.raises(UserError, match="cannot be read"):
        load_run(folder)
    assert not marker.exists()
    _rewrite(folder, "model.pt", payload)  # a bare pickle too
    with pytest.raises(UserError):
        load_run(folder)
    assert not marker.exists()


def test_special_files_links_and_huge_json_are_refused_before_reading(run, tmp_path):
    root = tmp_path / "runs"
    fifo = save_run(copy.deepcopy(run), root / "fifo")
    (fifo / "model.pt").unlink()
    os.mkfifo(fifo / "model.pt")
    zero = save_run(copy.deepcopy(run), root / "zero")
    (zero / "config.json").unlink()
    os.symlink("/dev/zero", zero / "config.json")
    huge = save_run(copy.deepcopy(run), root / "huge")
    _rewrite(huge, "metrics.json", b" " * (5 * 2**20) + b"{}")
    outside = save_run(copy.deepcopy(run), tmp_path / "outside")
    os.symlink(outside, root / "linked")
    found: list = []
    reader = threading.Thread(target=lambda: found.extend(index_runs(root)), daemon=True)
    reader.start()
    reader.join(timeout=120)  # a hang guard, not a timing: opening the FIFO or reading /dev/zero never returns
    assert not reader.is_alive(), "index_runs hung on a FIFO or /dev/zero"
    entries = {e.folder.name: e for e in found}
    assert not any(e.ok for e in entries.values())
    assert "link to a folder outside" in entries["linked"].reason
    assert "over the" in entries["huge"].reason
    assert "link" in entries["zero"].reason
    with pytest.raises(UserError, match="not a regular file"):
        load_run(fifo)


def test_a_copied_folder_is_listed_beside_the_original(run, tmp_path):
    import shutil

    root = tmp_path / "runs"
    save_run(copy.deepcopy(run), root / "a")
    shutil.copytree(root / "a", root / "copy_of_a")
    entries = index_runs(root)
    assert sorted(e.folder.name for e in entries if e.ok) == ["a", "copy_of_a"]


def test_replacing_a_run_that_another_writer_changed_is_refused(run, other, tmp_path):
    folder = tmp_path / "shared"
    seen = current_run_id(folder)  # "" - nothing there when this training starts
    save_run(copy.deepcopy(other), folder)  # ...but another training finishes first
    with pytest.raises(UserError, match="another training wrote"):
        save_run(copy.deepcopy(run), folder, expect=seen)
    assert load_run(folder).run_id == other.run_id  # the other run is kept, whole


def test_a_folder_that_is_not_a_run_is_never_replaced(run, tmp_path):
    target = tmp_path / "thesis"
    target.mkdir()
    (target / "chapter1.tex").write_text("precious")
    with pytest.raises(UserError, match="not a run folder"):
        save_run(run, target)
    assert (target / "chapter1.tex").read_text() == "precious"


def test_non_finite_metrics_are_written_as_null(run, tmp_path):
    odd = copy.deepcopy(run)
    odd.metrics = {**run.metrics, "model": {**run.metrics["model"], "mase": float("nan")}}
    folder = save_run(odd, tmp_path / "nan")
    text = (folder / "metrics.json").read_text()
    assert "NaN" not in text and json.loads(text)["model"]["mase"] is None


_WRITER = """
import sys, time, copy
sys.path.insert(0, {root!r})
import lstm_forecast.runs as R
from lstm_forecast.config import Config
from lstm_forecast.pipeline import train_run
from tests.factories import sine_series
run = train_run(sine_series(n=200, seed={seed}), Config(hidden=4, epochs=1))
run.info["run_id"] = {run_id!r}
if {slow}:  # pause inside the write, after some files are on disk
    real = R._write_csv
    def slow_csv(path, frame):
        real(path, frame)
        print("writing", flush=True)
        time.sleep(30)
    R._write_csv = slow_csv
R.save_run(run, {folder!r}, expect={expect!r})
print("saved", flush=True)
"""


def _writer(folder, run_id, seed, slow=False, expect="any"):
    code = _WRITER.format(root=str(ROOT), seed=seed, run_id=run_id, slow=slow, folder=str(folder), expect=expect)
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=ROOT)


def test_a_writer_killed_mid_write_leaves_every_earlier_run_intact(run, tmp_path):
    root = tmp_path / "runs"
    save_run(copy.deepcopy(run), root / "kept")
    victim = _writer(root / "kept", "new-run", seed=1, slow=True)
    assert victim.stdout.readline().strip() == "writing"
    victim.kill()
    victim.wait()
    entries = index_runs(root)
    assert [(e.folder.name, e.ok) for e in entries] == [("kept", True)]
    assert load_run(root / "kept").run_id == run.run_id


def test_two_writers_to_one_name_never_interleave(tmp_path):
    folder = tmp_path / "runs" / "race"
    writers = [_writer(folder, f"writer-{k}", seed=k, expect="") for k in range(2)]
    results = [(w.wait(timeout=300), w.stdout.read(), w.stderr.read()) for w in writers]
    finished = [k for k, (code, out, _) in enumerate(results) if code == 0 and "saved" in out]
    refused = [k for k, (code, _, err) in enumerate(results) if code != 0 and "another training wrote" in err]
    assert len(finished) == 1 and len(refused) == 1, results  # one wins whole, the other says so
    back = load_run(folder)
    assert back.run_id == f"writer-{finished[0]}"
