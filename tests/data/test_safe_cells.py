"""No file the library writes for people holds a cell a spreadsheet would execute (OWASP CSV
injection): the rule itself, the writers that use it, and a scan of the source that fails when
a new CSV or workbook writer bypasses it."""

from __future__ import annotations

import ast
import csv
import math
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook
from paths import ROOT

import costing as ct
from costing.cli import main
from costing.data.files import DANGEROUS_FIRST, safe_cells, safe_row, safe_text, write_csv

SRC = ROOT / "src" / "costing"
LINK = '=HYPERLINK("http://x","y")'


# --- the rule ------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [LINK, "=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)",
                                  "\t=1+1", "\r=1+1", "-", "+", "=", "@", "-inf", "-5 "])
def test_text_a_spreadsheet_would_execute_gets_a_quote(text):
    assert safe_text(text) == "'" + text


@pytest.mark.parametrize("first", DANGEROUS_FIRST)
def test_each_dangerous_first_character(first):
    assert safe_text(first + "cmd") == "'" + first + "cmd"
    assert safe_text("x" + first + "cmd") == "x" + first + "cmd"  # only the first character


@pytest.mark.parametrize("value", [-5, -5.5, 3, 0.0, True, pd.Timestamp("2024-01-01"), None,
                                   "-5", "+5", "-0.25", "-.5", "-5.", "-1.5e3", "+2E-4",
                                   "'=1+1", "ADMIN", "", " =1+1", "LV0026000"])
def test_numbers_plain_numbers_quoted_and_ordinary_text_stay(value):
    assert safe_text(value) is value or safe_text(value) == value


def test_missing_values_stay_missing():
    assert math.isnan(safe_text(float("nan")))
    assert safe_text(pd.NA) is pd.NA
    df = pd.DataFrame({"a": ["=1", None, float("nan")], "b": pd.array(["-1+1", pd.NA, "x"],
                                                                       dtype="string")})
    out = safe_cells(df)
    assert out.loc[0, "a"] == "'=1" and out["a"].isna().tolist() == [False, True, True]
    assert out.loc[0, "b"] == "'-1+1" and out["b"].isna().tolist() == [False, True, False]


def test_safe_cells_leaves_numbers_and_the_input_alone():
    df = pd.DataFrame({"amount": [-5.0, 2.0], "n": [-1, 2], "ok": [True, False],
                       "date": pd.to_datetime(["2024-01-01", "2024-02-01"]),
                       "code": pd.Categorical(["@x", "y"]), "=col": ["-5", "-x"]})
    out = safe_cells(df)
    pd.testing.assert_frame_equal(out[["amount", "n", "ok", "date"]],
                                  df[["amount", "n", "ok", "date"]])
    assert out["code"].tolist() == ["'@x", "y"]
    assert list(out.columns)[-1] == "'=col" and out["'=col"].tolist() == ["-5", "'-x"]
    assert df.columns[-1] == "=col" and df.loc[1, "=col"] == "-x"  # the input is not changed


@given(st.text(max_size=12))
def test_any_text_comes_out_safe_and_recoverable(text):
    out = safe_text(text)
    assert out in (text, "'" + text)
    if out[:1] in DANGEROUS_FIRST:  # only a plain number may start like that
        assert float(out) == float(text)
    assert safe_text(out) == out  # applying it twice changes nothing


def test_safe_row():
    assert safe_row(["=A1", -5, "-5", None, "ok"]) == ["'=A1", -5, "-5", None, "ok"]


# --- the writers ---------------------------------------------------------------------------

def _cells(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def test_write_csv_writes_neutralised_cells(tmp_path):
    df = pd.DataFrame({"value": [LINK, "-5", "@SUM(A1)"], "amount": [-5, 1, 2]})
    path = write_csv(df, tmp_path / "sub" / "out.csv")
    assert _cells(path) == [["value", "amount"], ["'" + LINK, "-5"], ["-5", "1"],
                            ["'@SUM(A1)", "2"]]
    assert [p.name for p in path.parent.iterdir()] == ["out.csv"]


def _with_link(dataset: Path) -> None:
    """Put the formula into the clients column of outputs.csv, line 2."""
    p = dataset / "outputs.csv"
    lines = p.read_text(encoding="utf-8").splitlines()
    parts = lines[1].split(",")
    parts[4] = '"' + LINK.replace('"', '""') + '"'
    lines[1] = ",".join(parts)
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_errors_csv_of_validate_holds_the_formula_neutralised(capsys, valid_dataset_dir,
                                                               tmp_path):
    _with_link(valid_dataset_dir)
    target = tmp_path / "problems.csv"
    code = main(["validate", str(valid_dataset_dir), "--errors-csv", str(target)])
    out = capsys.readouterr().out
    assert code == 1 and "Full list written" in out
    rows = _cells(target)
    header, body = rows[0], rows[1:]
    rec = dict(zip(header, body[0], strict=True))
    assert (rec["file"], rec["row"], rec["column"], rec["rule"]) == (
        "outputs.csv", "2", "clients", "not_a_number")
    assert rec["value"] == "'" + LINK  # shown as text, never run
    assert all(c[:1] not in DANGEROUS_FIRST for r in rows for c in r)
    # read back as data it is still the offending value, with the quote in front
    assert pd.read_csv(target, dtype=str).loc[0, "value"] == "'" + LINK


def test_diary_workbook_has_no_formula_cells(tmp_path):
    acts = ct.reference_table("activities").copy()
    acts.loc[0, "name_lv"] = LINK
    acts.loc[1, "name_en"] = "@SUM(1+1)"
    acts.loc[2, "name_en"] = "-2+3"
    path = ct.write_diary_template(tmp_path / "d.xlsx", activities=acts)
    wb = load_workbook(path)
    sheet = wb["activities"]
    assert sheet["B2"].value == "'" + LINK and sheet["B2"].data_type == "s"
    assert sheet["C3"].value == "'@SUM(1+1)" and sheet["C4"].value == "'-2+3"
    for ws in wb:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{ws.title}!{cell.coordinate} is a formula"
    # the drop-down list is a data validation, not a cell: it keeps its reference
    assert wb["diary"].data_validations.dataValidation[0].formula1.startswith("=activities!")
    assert [p.name for p in tmp_path.iterdir()] == ["d.xlsx"]


# --- the source: every CSV or workbook writer goes through the helpers -----------------------

#: Writers allowed to bypass write_csv / safe_row, with how many calls each, and why.
ALLOWED = {
    ("to_csv", "data/files.py"): 1,           # write_csv itself, on safe_cells(df)
    ("to_csv", "data/demo/generator.py"): 2,  # the demo tables: numbers and codes only
    ("to_csv", "data/dataset.py"): 1,         # content_hash: text to hash, not a file
    ("workbook_save", "workload/diary.py"): 1,  # the diary template, into atomic_target
}


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return node.id if isinstance(node, ast.Name) else ""


def _is_call_to(node: ast.AST, name: str) -> bool:
    return isinstance(node, ast.Call) and _dotted(node.func).split(".")[-1] == name


def writer_problems(source: str, rel: str) -> tuple[list[str], dict[tuple[str, str], int]]:
    """Problems in one module's source, and its count of allow-listed writer calls."""
    tree = ast.parse(source)
    problems, counts = [], {}
    imports_openpyxl = any(
        (isinstance(n, ast.ImportFrom) and (n.module or "").startswith("openpyxl")) or
        (isinstance(n, ast.Import) and any(a.name.startswith("openpyxl") for a in n.names))
        for n in ast.walk(tree))
    imports_csv = any(isinstance(n, ast.Import) and any(a.name == "csv" for a in n.names)
                      for n in ast.walk(tree))
    temporaries = {item.optional_vars.id for n in ast.walk(tree) if isinstance(n, ast.With)
                   for item in n.items if _is_call_to(item.context_expr, "atomic_target")
                   and isinstance(item.optional_vars, ast.Name)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and imports_openpyxl:
            for t in node.targets:
                if isinstance(t, ast.Attribute) and t.attr == "value" and \
                        not _is_call_to(node.value, "safe_text"):
                    problems.append(f"{rel}:{node.lineno}: cell .value set without safe_text")
        if not isinstance(node, ast.Call):
            continue
        name = _dotted(node.func)
        last = name.split(".")[-1]
        where = f"{rel}:{node.lineno}"
        if last == "to_csv":
            counts[("to_csv", rel)] = counts.get(("to_csv", rel), 0) + 1
            if rel == "data/files.py" and not _is_call_to(node.func.value, "safe_cells"):
                problems.append(f"{where}: write_csv must write safe_cells(df)")
        elif last in ("to_excel", "ExcelWriter"):
            problems.append(f"{where}: {last}: write workbooks with openpyxl and safe_row")
        elif imports_csv and name in ("csv.writer", "csv.DictWriter"):
            problems.append(f"{where}: {name}: write CSV with costing.data.files.write_csv")
        elif imports_openpyxl and last == "save":
            counts[("workbook_save", rel)] = counts.get(("workbook_save", rel), 0) + 1
            arg = node.args[0] if node.args else None
            if not (isinstance(arg, ast.Name) and arg.id in temporaries):
                problems.append(f"{where}: a workbook must be saved into "
                                "'with atomic_target(path) as tmp'")
        elif imports_openpyxl and last == "append" and node.args and \
                not _is_call_to(node.args[0], "safe_row"):
            problems.append(f"{where}: worksheet.append(...) without safe_row(...)")
        elif imports_openpyxl and last == "cell" and \
                (len(node.args) > 2 or any(k.arg == "value" for k in node.keywords)):
            value = node.args[2] if len(node.args) > 2 else \
                next(k.value for k in node.keywords if k.arg == "value")
            if not _is_call_to(value, "safe_text"):
                problems.append(f"{where}: worksheet.cell(value=...) without safe_text(...)")
    return problems, counts


def test_every_csv_and_workbook_writer_goes_through_the_helpers():
    problems, counts = [], {}
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        found, n = writer_problems(path.read_text(encoding="utf-8"), rel)
        problems += found
        for key, k in n.items():
            counts[key] = counts.get(key, 0) + k
    for key, k in counts.items():
        if k > ALLOWED.get(key, 0):
            problems.append(f"{key[1]}: {k} {key[0]} call(s), {ALLOWED.get(key, 0)} allowed; "
                            "write CSV with costing.data.files.write_csv (workbooks: "
                            "safe_row and atomic_target), or allow-list it here with the "
                            "reason")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("snippet, expected", [
    ("errs.to_csv(out, index=False)\n", "to_csv"),
    ("import openpyxl\nws.append(['=1'])\n", "without safe_row"),
    ("import openpyxl\nws.cell(1, 1, value)\n", "without safe_text"),
    ("import openpyxl\nws['A1'].value = v\n", "without safe_text"),
    ("import openpyxl\nwb.save(path)\n", "atomic_target"),
    ("import csv\nw = csv.writer(f)\n", "csv.writer"),
    ("df.to_excel('x.xlsx')\n", "to_excel"),
])
def test_the_scan_catches_a_writer_that_bypasses_the_helpers(snippet, expected):
    problems, counts = writer_problems(snippet, "report/new.py")
    over = [f"{k[0]} not allowed" for k, n in counts.items() if n > ALLOWED.get(k, 0)]
    assert any(expected in p for p in problems + over), (problems, counts)


def test_the_scan_accepts_the_helpers():
    ok = ("import openpyxl\nfrom costing.data.files import atomic_target, safe_row\n"
          "ws.append(safe_row(values))\nws.cell(1, 1, safe_text(v))\n"
          "with atomic_target(path) as tmp:\n    wb.save(tmp)\n")
    assert writer_problems(ok, "workload/diary.py")[0] == []
