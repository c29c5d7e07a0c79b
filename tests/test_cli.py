"""The costing command line: validate, db build, demo, help — readable output, no tracebacks."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

import costing as ct
from costing.cli import build_parser, main


def run(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out + out.err


def test_valid_dataset_exits_0_with_a_summary(capsys, valid_dataset_dir):
    code, out = run(capsys, "validate", str(valid_dataset_dir))
    assert code == 0
    assert "is valid" in out
    assert "Municipalities: 2 (LV0026000 Cēsu novads, LV0054000 Valmieras novads)" in out
    assert "Years: 2023, 2024" in out
    assert "expenditure 89" in out
    assert "Illustrative data" in out
    # the printed total is the sum of expenditure.amount_eur for the year
    ds = ct.load_dataset(valid_dataset_dir)
    total_2023 = ds.expenditure.loc[ds.expenditure["year"] == 2023, "amount_eur"].sum()
    assert f"2023 {total_2023:,.0f}" in out


def test_broken_dataset_exits_1_and_names_file_line_column_rule_value(capsys,
                                                                      valid_dataset_dir):
    path = valid_dataset_dir / "workers.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace(",1.0,", ",1.2,")  # line 2
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, out = run(capsys, "validate", str(valid_dataset_dir))
    assert code == 1
    assert "NOT VALID" in out and "Traceback" not in out
    assert "workers.csv: 1 problem" in out
    row = next(ln for ln in out.splitlines() if "above_maximum" in ln)
    assert row.split()[:4] == ["2", "fte", "above_maximum", "1.2"]
    assert "fte must be ≤ 1, found 1.2" in row


@pytest.mark.parametrize("breakage", ["missing", "cp1257", "utf16", "empty", "extra_column",
                                      "text_in_number", "not_sqlite"])
def test_bad_input_never_gives_a_traceback(capsys, valid_dataset_dir, tmp_path, breakage):
    target = valid_dataset_dir
    if breakage == "missing":
        target = tmp_path / "does-not-exist"
    elif breakage == "cp1257":
        p = valid_dataset_dir / "municipalities.csv"
        p.write_bytes(p.read_text(encoding="utf-8").encode("cp1257"))
    elif breakage == "utf16":
        p = valid_dataset_dir / "outputs.csv"
        p.write_bytes(p.read_text(encoding="utf-8").encode("utf-16"))
    elif breakage == "empty":
        (valid_dataset_dir / "expenditure.csv").write_text("")
    elif breakage == "extra_column":
        p = valid_dataset_dir / "tariffs.csv"
        p.write_text(p.read_text(encoding="utf-8").replace("revenue_eur", "revenue_eur,x"))
    elif breakage == "text_in_number":
        p = valid_dataset_dir / "outputs.csv"
        p.write_text(p.read_text(encoding="utf-8").replace(",13500,", ",lots,"))
    elif breakage == "not_sqlite":
        target = tmp_path / "x.sqlite"
        target.write_text("hello")
    code, out = run(capsys, "validate", str(target))
    assert code == 1
    assert "Traceback" not in out
    expected = {"missing": "does not exist", "cp1257": "not UTF-8: byte 0xE7 on line 2",
                "utf16": "UTF-16", "empty": "the file is empty", "extra_column": "unexpected "
                "column 'x'", "text_in_number": "found 'lots'", "not_sqlite": "SQLite"}
    assert expected[breakage] in out


def test_a_single_csv_file_gets_a_hint(capsys, valid_dataset_dir):
    code, out = run(capsys, "validate", str(valid_dataset_dir / "outputs.csv"))
    assert code == 1 and "pass the folder that holds it" in out


def test_the_same_in_a_real_process(valid_dataset_dir):
    (valid_dataset_dir / "outputs.csv").unlink()
    res = subprocess.run([sys.executable, "-m", "costing.cli", "validate",
                          str(valid_dataset_dir)], capture_output=True, text=True, check=False)
    assert res.returncode == 1
    assert "required table outputs.csv is missing" in res.stdout
    assert "Traceback" not in res.stderr


def test_errors_csv_holds_every_problem(capsys, valid_dataset_dir, tmp_path):
    p = valid_dataset_dir / "expenditure.csv"
    lines = p.read_text(encoding="utf-8").splitlines()
    p.write_text("\n".join([lines[0]] + [ln.rsplit(",", 1)[0] + ",x" for ln in lines[1:]]) + "\n")
    target = tmp_path / "problems.csv"
    code, out = run(capsys, "validate", str(valid_dataset_dir), "--max", "5", "--errors-csv",
                    str(target))
    assert code == 1
    assert "84 more not shown" in out  # 89 bad rows, 5 shown
    errs = pd.read_csv(target, dtype=str)
    assert len(errs) == 89 and set(errs["rule"]) == {"not_a_number"}


def test_db_build_writes_a_database_equal_to_the_folder(capsys, valid_dataset_dir, tmp_path):
    target = tmp_path / "out" / "mini.sqlite"
    code, out = run(capsys, "db", "build", str(valid_dataset_dir), "--db", str(target))
    assert code == 0 and "Wrote" in out and target.exists()
    assert ct.load_dataset(target).content_hash() == \
        ct.load_dataset(valid_dataset_dir).content_hash()
    code, out = run(capsys, "validate", str(target))
    assert code == 0 and "is valid" in out


def test_db_build_of_an_invalid_dataset_writes_nothing(capsys, valid_dataset_dir, tmp_path):
    (valid_dataset_dir / "cost_centres.csv").unlink()
    target = tmp_path / "never.sqlite"
    code, out = run(capsys, "db", "build", str(valid_dataset_dir), "--db", str(target))
    assert code == 1 and "Nothing written" in out and not target.exists()


@pytest.mark.parametrize("argv", [["--help"], ["validate", "--help"], ["db", "build", "--help"],
                                  ["demo", "--help"]])
def test_help(capsys, argv):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 0
    assert "usage: costing" in capsys.readouterr().out


def test_every_command_is_on_the_command_line():
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    assert {"validate", "db", "demo", "reports"} <= set(sub.choices)


def test_demo_command_writes_a_valid_dataset(capsys, tmp_path):
    code, out = run(capsys, "demo", "--out", str(tmp_path / "demo"), "--seed", "7")
    assert code == 0, out
    assert "is valid" in out and "Illustrative data" in out
    assert ct.load_dataset(tmp_path / "demo").is_illustrative




@pytest.mark.parametrize("name", ["expenditure.csv", "folder.sqlite", "blocked/x.sqlite"])
def test_db_build_refuses_a_bad_target_before_validating(capsys, valid_dataset_dir, tmp_path,
                                                         name):
    (tmp_path / "folder.sqlite").mkdir()
    (tmp_path / "blocked").write_text("a file where a folder should be")
    target = valid_dataset_dir / name if name.endswith(".csv") else tmp_path / name
    before = target.read_bytes() if target.is_file() else None
    code, out = run(capsys, "db", "build", str(valid_dataset_dir), "--db", str(target))
    assert code == 1 and "Traceback" not in out and out.startswith("costing: ")
    if before is not None:
        assert target.read_bytes() == before  # the dataset's own CSV is untouched


def test_errors_csv_never_lands_in_the_dataset_or_gives_a_traceback(capsys, valid_dataset_dir,
                                                                    tmp_path):
    (valid_dataset_dir / "outputs.csv").unlink()
    before = sorted(p.name for p in valid_dataset_dir.iterdir())
    inside = valid_dataset_dir / "expenditure.csv"  # a slip that would destroy a table
    code, out = run(capsys, "validate", str(valid_dataset_dir), "--errors-csv", str(inside))
    assert code == 1 and "Not saved" in out and "Traceback" not in out
    assert sorted(p.name for p in valid_dataset_dir.iterdir()) == before
    assert inside.read_text(encoding="utf-8").startswith("year,cost_centre_id")
    blocked = tmp_path / "a-file"
    blocked.write_text("x")
    code, out = run(capsys, "validate", str(valid_dataset_dir), "--errors-csv",
                    str(blocked / "problems.csv"))
    assert code == 1 and "Could not save the list" in out and "Traceback" not in out


def test_max_must_not_be_negative(capsys, valid_dataset_dir):
    with pytest.raises(SystemExit):
        main(["validate", str(valid_dataset_dir), "--max", "-1"])
    assert "must be 0 or more" in capsys.readouterr().err


def test_demo_never_overwrites_someone_elses_data(capsys, valid_dataset_dir, tmp_path):
    # the mini dataset stands for a municipality's own folder (metadata not "illustrative")
    meta = valid_dataset_dir / "metadata.json"
    meta.write_text('{"name": "Ogres novads 2024", "illustrative": false}', encoding="utf-8")
    before = {p.name: p.read_bytes() for p in valid_dataset_dir.iterdir()}
    code, out = run(capsys, "demo", "--out", str(valid_dataset_dir))
    assert code == 1 and "not a demo dataset" in out and "Traceback" not in out
    assert {p.name: p.read_bytes() for p in valid_dataset_dir.iterdir()} == before
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    code, out = run(capsys, "demo", "--out", str(a_file))
    assert code == 1 and "is a file, not a folder" in out


def _edit_csv(folder, name, change):
    path = folder / f"{name}.csv"
    change(pd.read_csv(path, dtype=str, keep_default_na=False)).to_csv(path, index=False)


def test_what_the_method_refuses_is_an_error_with_file_and_line(capsys, valid_dataset_dir):
    def loop(d):  # ADM and SUP1 of LV0026000 serve only each other in 2023
        keep = ~((d["year"] == "2023") & d["from_centre_id"].str.startswith("LV0026000"))
        pair = pd.DataFrame({"year": ["2023", "2023"],
                             "from_centre_id": ["LV0026000-ADM", "LV0026000-SUP1"],
                             "to_centre_id": ["LV0026000-SUP1", "LV0026000-ADM"],
                             "driver": ["fte", "hours"], "quantity": ["1", "1"]})
        return pd.concat([d[keep], pair], ignore_index=True)
    _edit_csv(valid_dataset_dir, "drivers", loop)
    code, out = run(capsys, "validate", str(valid_dataset_dir))
    assert code == 1 and "NOT VALID for the method" in out
    assert "cannot compute 1 municipality (LV0026000)" in out
    n = len(pd.read_csv(valid_dataset_dir / "drivers.csv"))
    assert "drivers.csv: 2 problems" in out and "allocation_singular" in out
    assert f"\n  {n}  " in out and f"\n  {n + 1}  " in out  # the two looping rows' lines


def test_plausibility_warnings_leave_exit_0_unless_strict(capsys, valid_dataset_dir, tmp_path):
    _edit_csv(valid_dataset_dir, "assets", lambda a: a.assign(
        useful_life_years=["0.001"] + list(a["useful_life_years"][1:])))
    code, out = run(capsys, "validate", str(valid_dataset_dir))
    assert code == 0 and "is valid" in out
    assert "1 plausibility warning — not errors" in out and "useful_life_short" in out
    assert "[checked against: useful life ≥ 1 year]" in out and "\n  2  " in out
    target = tmp_path / "problems.csv"
    code, out = run(capsys, "validate", str(valid_dataset_dir), "--strict",
                    "--errors-csv", str(target))
    assert code == 1 and "--strict: counted as errors" in out
    saved = pd.read_csv(target, dtype=str)
    assert list(saved["severity"]) == ["warning"] and list(saved["row"]) == ["2"]
