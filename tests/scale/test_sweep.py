"""Sweeps: scored on validation only, pruned by the median rule, resumed from their SQLite study."""
from __future__ import annotations

import json
import math
import sys

import pytest

optuna = pytest.importorskip("optuna", reason="optuna is in requirements.txt: pip install -r requirements.txt")

from optuna.trial import TrialState, create_trial  # noqa: E402

from lstm_forecast.cli import main  # noqa: E402
from lstm_forecast.config import Config  # noqa: E402
from lstm_forecast.errors import UserError  # noqa: E402
from lstm_forecast.scale import sweep as S  # noqa: E402
from lstm_forecast.scale.search_space import distributions  # noqa: E402
from lstm_forecast.scale.trial import train_trial  # noqa: E402
from tests.factories import sine_series  # noqa: E402

BASE = dict(epochs=3, patience=3, epoch_windows=256, base="seasonal_naive")


def _trials(out):
    study = optuna.load_study(study_name=S.STUDY, storage=S.storage_url(out))
    return {t.number: t for t in study.get_trials()}


def test_a_sweep_resumes_from_its_sqlite_file(tmp_path):
    data, out = sine_series(n=300), tmp_path / "sweep"
    first = S.run_sweep(data, Config(**BASE), out, 2, cells=("lstm", "gru"), retrain=False)
    assert first["complete"] + first["pruned"] == 2 and (out / "study.db").is_file()
    before = _trials(out)
    assert before[0].user_attrs.get("default") and before[0].params["hidden"] == Config().hidden and before[0].params["cell"] == "lstm"

    second = S.run_sweep(data, Config(**BASE), out, 3, cells=("lstm", "gru"), retrain=False)
    after = _trials(out)
    assert second["trials"] == 3 and set(after) == {0, 1, 2}
    for number, trial in before.items():  # kept as they were: not trained again
        assert after[number].datetime_start == trial.datetime_start and after[number].value == trial.value

    # a command killed mid-trial leaves it RUNNING: the next one fails it and runs its settings again
    study = optuna.load_study(study_name=S.STUDY, storage=S.storage_url(out))
    killed = study.ask()
    spec = S.SweepSpec(**json.loads((out / "sweep.json").read_text()))
    params = S.suggest(killed, spec.space)
    third = S.run_sweep(data, Config(**BASE), out, 4, cells=("lstm", "gru"), retrain=True)
    final = _trials(out)
    assert final[killed.number].state == TrialState.FAIL and third["recovered"] == [killed.number]
    retry = [t for t in final.values() if t.user_attrs.get("retry_of") == killed.number]
    assert len(retry) == 1 and retry[0].params == params and retry[0].state in (TrialState.COMPLETE, TrialState.PRUNED)
    assert S.finished(study) == 4
    # the best trial is saved as an ordinary run, retrained to the same validation score
    assert third["best"]["retrained_score"] == pytest.approx(third["best"]["score"], rel=1e-9)
    assert (out / "best" / "manifest.json").is_file() and (out / "default" / "manifest.json").is_file()
    assert third["default"]["number"] == 0 and math.isfinite(third["holdout_gain"])
    with pytest.raises(UserError, match="other data"):
        S.run_sweep(sine_series(n=300, seed=5), Config(**BASE), out, 4)


def test_the_median_rule_prunes_a_trial_worse_than_finished_ones(tmp_path):
    data, out = sine_series(n=300), tmp_path / "sweep"
    out.mkdir()
    spec = S.open_spec(out, data, Config(**{**BASE, "epochs": 8, "patience": 8}), ("lstm",), 0, None)
    study = S.open_study(out, spec)
    space = distributions(spec.space)
    for k in range(S.PRUNE_AFTER_TRIALS):  # earlier trials that were excellent at every epoch
        study.add_trial(create_trial(state=TrialState.COMPLETE, value=1e-3, params={**{n: spec.defaults[n] for n in space}},
                                     distributions=space, intermediate_values={e: 1e-3 for e in range(1, 9)}))
    S._optimize(study, data, spec, trials=S.PRUNE_AFTER_TRIALS + 1, pruning=True)
    trial = study.get_trials()[-1]
    assert trial.state == TrialState.PRUNED
    assert trial.user_attrs["pruned_at"] == S.PRUNE_WARMUP_EPOCHS  # the first epoch the rule may act on
    assert max(trial.intermediate_values) == S.PRUNE_WARMUP_EPOCHS < 8


def test_trial_scores_never_read_the_holdout():
    data = sine_series(n=300)
    config = Config(**BASE, horizon=24)
    frame = data.frame.copy()
    frame.iloc[-24:, 0] *= 5  # the holdout changes...
    changed = type(data)(frame, data.value_col, data.date_col, data.freq, data.source)
    scores = [train_trial(d, config).score for d in (data, changed)]
    assert scores[0] == scores[1] and math.isfinite(scores[0])  # ...the validation score does not


def test_cli_sweep_prints_the_verdict_and_resumes(tmp_path, capsys):
    path = tmp_path / "series.csv"
    sine_series(n=300).frame.reset_index().to_csv(path, index=False)
    args = ["sweep", "--csv", str(path), "--trials", "2", "--epochs", "2", "--cells", "gru", "--out", str(tmp_path / "s")]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "2 trials:" in out and "best: trial" in out and "holdout" in out and "trial 0 complete" in out
    assert main(args) == 0  # nothing left to do: no trial runs again
    again = capsys.readouterr().out
    assert "2 trials:" in again and "trial 0 complete" not in again


def test_cli_ray_backend_without_ray_says_how_to_install(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # as if Ray were not installed
    path = tmp_path / "series.csv"
    sine_series(n=300).frame.reset_index().to_csv(path, index=False)
    code = main(["sweep", "--csv", str(path), "--trials", "1", "--backend", "ray", "--out", str(tmp_path / "s")])
    err = capsys.readouterr().err
    assert code == 2 and "pip install -r requirements-scale.txt" in err and err.count("\n") == 1
