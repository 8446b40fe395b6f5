"""Panels: a long CSV split by id, each series through the project's loader; bad series reported, not fatal."""
from __future__ import annotations

import numpy as np
import pytest

from lstm_forecast.cli import main
from lstm_forecast.errors import UserError
from lstm_forecast.scale.panel import load_panel, load_panel_files, to_long_csv
from tests.scale.factories import long_csv


def _with_bad_series(text: str) -> str:
    lines = text.splitlines()
    header, body = lines[0], lines[1:]
    body = [line for line in body if not line.startswith("a,2024-01-03 0")]  # a 10-hour gap in series a
    body += ["bad,2024-01-01 00:00,x", "bad,2024-01-01 01:00,y", "bad,2024-01-01 02:00,z"]  # no numbers at all
    body += ["tiny,2024-01-01 00:00,1.0", "tiny,2024-01-01 01:00,2.0"]  # too few rows
    body += [",2024-01-01 00:00,5.0"]  # no id
    return "\n".join([header, *body]) + "\n"


def test_a_bad_series_among_good_ones_is_reported_not_fatal():
    panel = load_panel(_with_bad_series(long_csv()).encode(), id_col="id")
    assert panel.ids == ["a", "b", "c"]
    assert set(panel.problems) == {"bad", "tiny"}
    assert "'bad'" in panel.problems["bad"] and "numeric" in panel.problems["bad"]
    assert "'tiny'" in panel.problems["tiny"] and "at least 3" in panel.problems["tiny"]
    assert all("\n" not in why for why in panel.problems.values())
    assert any("without an id" in note for note in panel.notes)
    # the loader's repairs run per series: only series a had a gap, and only its report says so
    assert any("filled 10 missing steps" in line for line in panel.series["a"].report)
    assert not any("filled" in line for line in panel.series["b"].report)
    assert len(panel.series["a"].frame) == 240 and not panel.series["a"].observed["value"].all()
    report = panel.report().set_index("id")
    assert report.loc["bad", "status"] == "left out" and report.loc["a", "status"] == "ok"
    assert report.loc["a", "repairs"] >= 1 and report.loc["b", "points"] == 240


def test_semicolons_and_decimal_commas_read_as_the_same_numbers():
    plain = load_panel(long_csv().encode())
    european = load_panel(long_csv(sep=";", decimal=",").encode())
    for sid in plain.ids:
        np.testing.assert_allclose(european.series[sid].series.to_numpy(), plain.series[sid].series.to_numpy())
    assert european.key() == plain.key()


def test_a_long_csv_round_trips_through_to_long_csv():
    panel = load_panel(long_csv().encode())
    again = load_panel(to_long_csv(panel))
    assert again.ids == panel.ids and again.key() == panel.key()


@pytest.mark.parametrize("text, id_col, message", [
    ("series,time,value\na,2024-01-01,1\n", "id", "no id column 'id'"),
    ("id,time,value\na,2024-01-01,x\na,2024-01-02,y\na,2024-01-03,z\n", "id", "no usable series"),
])
def test_unusable_panels_say_what_to_fix(text, id_col, message):
    with pytest.raises(UserError, match=message):
        load_panel(text.encode(), id_col=id_col)


def test_several_files_make_a_panel_named_by_file(tmp_path):
    good = tmp_path / "store_1.csv"
    good.write_text("date,sales\n" + "\n".join(f"2024-01-{d:02d},{d * 1.5}" for d in range(1, 29)) + "\n")
    bad = tmp_path / "store_2.csv"
    bad.write_text("just one line of text\n")
    panel = load_panel_files([good, bad])
    assert panel.ids == ["store_1"] and list(panel.problems) == ["store_2"]


def test_cli_trains_a_panel_and_leaves_out_the_bad_series(tmp_path, capsys):
    path = tmp_path / "panel.csv"
    path.write_text(_with_bad_series(long_csv()))
    out = tmp_path / "panel_run"
    code = main(["train", "--panel", str(path), "--id-col", "id", "--epochs", "2", "--hidden", "8", "--quiet",
                 "--out", str(out)])
    printed = capsys.readouterr()
    assert code == 0, printed.err
    assert "left out [bad]" in printed.err and "left out [tiny]" in printed.err
    assert "data[a]: filled 10 missing steps" in printed.out
    assert "geometric-mean relative MASE" in printed.out and "worst series:" in printed.out
    assert sorted(p.name for p in (out / "series").iterdir() if not p.name.startswith(".")) == ["a", "b", "c"]
    # each series is an ordinary run folder: `inspect` finds its data again from the panel folder
    assert main(["inspect", "--run", str(out / "series" / "b"), "--out", str(tmp_path / "traces.csv")]) == 0
    assert (tmp_path / "traces.csv").stat().st_size > 0


def test_cli_panel_errors_are_one_line(tmp_path, capsys):
    path = tmp_path / "panel.csv"
    path.write_text(long_csv())
    code = main(["train", "--panel", str(path), "--id-col", "store", "--out", str(tmp_path / "x")])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: ") and err.count("\n") == 1 and "--id-col" in err


def test_keep_markers_reaches_every_series_of_a_panel():
    lines = long_csv().splitlines()
    header, body = lines[0], lines[1:]
    # -9999 in every 10th row: a repeated extreme the loader takes for a missing-value marker
    body = [",".join(line.split(",")[:2] + ["-9999"]) if i % 10 == 5 else line for i, line in enumerate(body)]
    text = ("\n".join([header, *body]) + "\n").encode()
    masked, kept = load_panel(text, id_col="id"), load_panel(text, id_col="id", keep_markers=True)
    assert all(s.series.min() > -9999 for s in masked.series.values())
    assert all((s.series == -9999).sum() == 24 for s in kept.series.values())
