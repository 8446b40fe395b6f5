"""Hand-edited sweep folders: every file a resume reads is checked before use, and a bad one gives one
UserError naming the file and the fix (the CLI's `error:` line), never an internal error or a figure
carried forward unchecked."""
from __future__ import annotations

import json
import shutil

import pytest

optuna = pytest.importorskip("optuna", reason="optuna is in requirements.txt: pip install -r requirements.txt")

from lstm_forecast.cli import main  # noqa: E402
from lstm_forecast.config import Config  # noqa: E402
from lstm_forecast.errors import UserError  # noqa: E402
from lstm_forecast.scale import sweep as S  # noqa: E402
from tests.factories import sine_series  # noqa: E402

BASE = dict(epochs=2, patience=2, epoch_windows=256, base="seasonal_naive")
DATA = sine_series(n=300)


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A 2-trial sweep, best and default retrained: copied afresh for each test."""
    out = tmp_path_factory.mktemp("sweep") / "s"
    summary = S.run_sweep(DATA, Config(**BASE), out, 2, cells=("gru",))
    return out, summary


@pytest.fixture
def sweep(finished, tmp_path):
    out = tmp_path / "s"
    shutil.copytree(finished[0], out)
    return out


def _resume(out, trials=2):
    return S.run_sweep(DATA, Config(**BASE), out, trials, cells=("gru",))


def _spec(out) -> dict:
    return json.loads((out / "sweep.json").read_text())


def _edit(out, change) -> None:
    spec = _spec(out)
    change(spec)
    (out / "sweep.json").write_text(json.dumps(spec))


@pytest.mark.parametrize("text, words", [
    ('{"data": {"kind": "series", "key": "ab', "not valid JSON"),  # truncated
    ("[1, 2, 3]", "not the keys of a sweep"),  # a list
    ("{}", "not the keys of a sweep"),
    ("[" * 1000 + "]" * 1000, "nests 1000 levels deep"),
    ('"text"', "not the keys of a sweep"),
])
def test_a_torn_or_foreign_sweep_json_is_refused_on_resume(sweep, text, words):
    (sweep / "sweep.json").write_text(text)
    with pytest.raises(UserError, match=words) as err:
        _resume(sweep)
    assert "sweep.json" in str(err.value)
    with pytest.raises(UserError, match="sweep.json"):  # the dashboard's reader says the same
        S.read_sweep(sweep)


@pytest.mark.parametrize("change, words", [
    (lambda s: s.pop("space"), "not the keys of a sweep"),
    (lambda s: s.pop("defaults"), "not the keys of a sweep"),
    (lambda s: s.update(extra=1), "not the keys of a sweep"),
    (lambda s: s["data"].pop("key"), "no valid data record"),
    (lambda s: s.update(data=[1]), "no valid data record"),
    (lambda s: s["base"].update(hidden=10**9), "base config is not usable"),
    (lambda s: s["base"].update(cell="transformer"), "base config is not usable"),
    (lambda s: s.update(seed=-1), "seed"),
    (lambda s: s.update(seed="7"), "seed"),
    (lambda s: s.update(seed=10**30), "seed"),
    (lambda s: s["space"].update(epochs={"type": "int", "low": 1, "high": 9}), "not some of"),
    (lambda s: s["space"].update(cell={"type": "categorical", "choices": ["gru", "nope"]}), "not a range of ours"),
    (lambda s: s["space"].update(hidden={"type": "categorical", "choices": [32, 10**7]}), "not a range of ours"),
    (lambda s: s["space"].update(lookback={"type": "int", "low": 50, "high": 8}), "not a range of ours"),
    (lambda s: s["space"].update(lookback={"type": "float", "low": 8, "high": 50}), "not a range of ours"),
    (lambda s: s["space"].update(lookback={"type": "int", "low": 8, "high": 10**9}), "outside 1 to"),
    (lambda s: s["space"].update(dropout={"type": "float", "low": 0.0, "high": 5.0}), "outside 0.0 to 0.9"),
    (lambda s: s["space"].update(lr="fast"), "not a range of ours"),
    (lambda s: s["defaults"].update(cell="lstm"), "default cell 'lstm' is not one of"),
    (lambda s: s["defaults"].update(layers=7), "default layers 7 lies outside"),
    (lambda s: s["defaults"].update(horizon=0), "horizon 0"),
    (lambda s: s["defaults"].pop("lr"), "no default for every searched setting"),
])
def test_a_hand_edited_sweep_json_is_refused_before_anything_runs(sweep, change, words):
    _edit(sweep, change)
    before = (sweep / "study.db").read_bytes()
    with pytest.raises(UserError, match=words):
        _resume(sweep, trials=3)
    assert (sweep / "study.db").read_bytes() == before  # no trial ran, nothing was written


def test_a_search_space_changed_after_trials_ran_is_refused(sweep):
    def widen(spec):
        spec["space"]["lookback"]["high"] += 7

    high = _spec(sweep)["space"]["lookback"]["high"]
    _edit(sweep, widen)
    with pytest.raises(UserError, match=f"searches lookback over .* to {high + 7}, but its study.db ran trial 0 over "
                                        f".* to {high}: the search space was changed"):
        _resume(sweep, trials=3)


def test_a_study_db_of_random_bytes_is_refused_with_the_fix(sweep):
    (sweep / "study.db").write_bytes(bytes(range(256)) * 64)
    with pytest.raises(UserError, match="study.db in .* is not an Optuna study this sweep can resume .*move it away"):
        _resume(sweep, trials=3)


def test_a_study_db_link_is_refused(sweep, tmp_path):
    elsewhere = tmp_path / "other.db"
    shutil.move(sweep / "study.db", elsewhere)
    (sweep / "study.db").symlink_to(elsewhere)
    with pytest.raises(UserError, match="study.db in .* is not a plain file"):
        _resume(sweep, trials=3)


def test_a_faked_holdout_mase_in_summary_json_is_not_carried_forward(sweep, finished):
    true = finished[1]["best"]["holdout_mase"]
    summary = json.loads((sweep / "summary.json").read_text())
    summary["best"]["holdout_mase"] = 0.0001
    summary["default"]["holdout_mase"] = 99.0
    (sweep / "summary.json").write_text(json.dumps(summary))
    again = _resume(sweep)
    assert again["best"]["holdout_mase"] == pytest.approx(true, rel=1e-12)
    metrics = json.loads((sweep / "best" / "metrics.json").read_text())
    assert again["best"]["holdout_mase"] == metrics["model"]["mase"]  # read from the run itself
    assert again["default"]["holdout_mase"] == finished[1]["default"]["holdout_mase"]


def test_a_best_run_whose_settings_differ_from_its_trial_is_retrained(sweep, finished):
    config = json.loads((sweep / "best" / "config.json").read_text())
    config["info"]["sweep"]["params"]["hidden"] = 999  # best/ no longer holds the best trial's settings
    (sweep / "best" / "config.json").write_text(json.dumps(config))
    again = _resume(sweep)
    assert again["best"]["holdout_mase"] == pytest.approx(finished[1]["best"]["holdout_mase"], rel=1e-9)
    config = json.loads((sweep / "best" / "config.json").read_text())
    assert config["info"]["sweep"]["params"] == finished[1]["best"]["params"]  # written again, whole


def test_a_hostile_summary_json_reads_as_empty_for_the_dashboard(sweep):
    (sweep / "summary.json").write_text("[" * 5000)
    spec, summary, table, _ = S.read_sweep(sweep)
    assert summary == {} and len(table) == 2 and spec["data"]["kind"] == "series"


def test_the_cli_says_one_error_line_for_a_hand_edited_sweep(tmp_path, capsys):
    path = tmp_path / "series.csv"
    DATA.frame.reset_index().to_csv(path, index=False)
    args = ["sweep", "--csv", str(path), "--trials", "1", "--epochs", "2", "--cells", "gru", "--out", str(tmp_path / "s")]
    assert main(args) == 0
    capsys.readouterr()
    (tmp_path / "s" / "sweep.json").write_text('{"data": [')
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: sweep.json in") and "not valid JSON" in err and err.count("\n") == 1
    assert "internal error" not in err


def test_a_seed_beyond_32_bits_still_seeds_the_sampler(tmp_path):
    out = tmp_path / "s"
    summary = S.run_sweep(DATA, Config(**BASE), out, 1, cells=("gru",), seed=2**40 + 3, retrain=False)
    assert summary["complete"] + summary["pruned"] == 1 and S.read_spec(out).seed == 2**40 + 3
