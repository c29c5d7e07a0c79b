"""The exact messages for NUL bytes, UTF-16, invisible characters in codes and SQLite files
that are locked or lack a table."""

from __future__ import annotations

import errno
import sqlite3
import time

import pytest

import costing as ct
from costing.data import readers
from costing.errors import DatasetInUseError


def only_problem(folder):
    with pytest.raises(ct.DataValidationError) as info:
        ct.load_dataset(folder)
    errs = info.value.errors
    assert len(errs) == 1, errs.to_string()
    return errs.iloc[0].to_dict()


NUL_MESSAGE = ("the file contains NUL bytes (0x00, a 'nothing' character that is not text), the "
               "first on line 4 at character 6; a program that wrote or repaired the file left "
               "them there: delete them (search for \\0 in a text editor such as Notepad++, or "
               "retype the line) and save as 'CSV UTF-8 (comma delimited)'")


def put_nul(path, line: int = 4, at: int = 5) -> None:
    lines = path.read_bytes().split(b"\n")
    lines[line - 1] = lines[line - 1][:at] + b"\x00" + lines[line - 1][at:]
    path.write_bytes(b"\n".join(lines))


def test_a_stray_nul_byte_is_named_with_its_line(valid_dataset_dir):
    path = valid_dataset_dir / "outputs.csv"
    line4 = path.read_text(encoding="utf-8").split("\n")[3]
    put_nul(path)
    rec = only_problem(valid_dataset_dir)
    assert (rec["table"], rec["file"], rec["row"], rec["column"], rec["rule"]) == (
        "outputs", "outputs.csv", 4, "", "encoding")
    assert rec["message"] == NUL_MESSAGE
    assert "UTF-16" not in rec["message"]
    assert rec["value"] == line4[:5] + "<NUL>" + line4[5:]


def test_a_nul_byte_in_a_file_read_in_blocks(valid_dataset_dir, monkeypatch):
    monkeypatch.setattr(readers, "CHUNK_BYTES", 64)
    path = valid_dataset_dir / "outputs.csv"
    put_nul(path)
    rec = only_problem(valid_dataset_dir)
    assert (rec["row"], rec["message"]) == (4, NUL_MESSAGE)


UTF16_MESSAGE = ("the file is not UTF-8 (it looks like UTF-16); save it as 'CSV UTF-8 (comma "
                 "delimited)'")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_with_or_without_a_byte_order_mark_is_named_utf16(valid_dataset_dir, encoding):
    path = valid_dataset_dir / "outputs.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode(encoding))
    rec = only_problem(valid_dataset_dir)
    assert (rec["file"], rec["row"], rec["rule"], rec["message"]) == (
        "outputs.csv", 1, "encoding", UTF16_MESSAGE)


def set_first(path, old: str, new: str) -> int:
    """Replace the first ``old`` by ``new``; return its line number."""
    lines = path.read_text(encoding="utf-8").split("\n")
    i = next(i for i, ln in enumerate(lines) if old in ln)
    lines[i] = lines[i].replace(old, new, 1)
    path.write_text("\n".join(lines), encoding="utf-8")
    return i + 1


def test_a_zero_width_space_in_a_code(valid_dataset_dir):
    line = set_first(valid_dataset_dir / "expenditure.csv", "LV0026000-ADM",
                     "LV00\u200b26000-ADM")
    rec = only_problem(valid_dataset_dir)
    assert (rec["file"], rec["row"], rec["column"], rec["rule"], rec["value"]) == (
        "expenditure.csv", line, "cost_centre_id", "invisible_character",
        "LV00<U+200B>26000-ADM")
    assert rec["message"] == (
        "cost_centre_id 'LV00<U+200B>26000-ADM' contains an invisible character: U+200B ZERO "
        "WIDTH SPACE at position 5 (after 'LV00'). It looks like 'LV0026000-ADM' but is "
        "another code; such characters come with text copied from a web page, a PDF or a word "
        "processor: delete it or retype the code")


@pytest.mark.parametrize(("char", "name"), [
    ("\u200b", "ZERO WIDTH SPACE"), ("\u200c", "ZERO WIDTH NON-JOINER"),
    ("\u200d", "ZERO WIDTH JOINER"), ("\ufeff", "ZERO WIDTH NO-BREAK SPACE"),
    ("\u2060", "WORD JOINER"), ("\u00a0", "NO-BREAK SPACE"),
    ("\u202f", "NARROW NO-BREAK SPACE"),
])
@pytest.mark.parametrize(("table", "column", "code"), [
    ("expenditure", "cost_centre_id", "LV0026000-ADM"),
    ("cost_centres", "service_code", "HOME_CARE"),
    ("workers", "worker_id", "W1001"),
])
def test_every_invisible_character_in_every_kind_of_code(valid_dataset_dir, char, name, table,
                                                         column, code):
    bad = code[:3] + char + code[3:]
    line = set_first(valid_dataset_dir / f"{table}.csv", code, bad)
    if table == "workers":  # the worker's other lines and years would follow: keep one
        path = valid_dataset_dir / "workers.csv"
        text = path.read_text(encoding="utf-8").split("\n")
        path.write_text("\n".join(ln for ln in text if code not in ln.split(",")), "utf-8")
        for other in ("time_use", "caseloads"):
            p = valid_dataset_dir / f"{other}.csv"
            rows = p.read_text(encoding="utf-8").split("\n")
            p.write_text("\n".join(ln for ln in rows if code not in ln.split(",")), "utf-8")
    rec = only_problem(valid_dataset_dir)
    shown = f"{code[:3]}<U+{ord(char):04X}>{code[3:]}"
    assert (rec["table"], rec["row"], rec["column"], rec["rule"], rec["value"]) == (
        table, line, column, "invisible_character", shown)
    assert rec["message"].startswith(
        f"{column} '{shown}' contains an invisible character: U+{ord(char):04X} {name} at "
        f"position 4 (after '{code[:3]}'). It looks like '{code}' but is another code")


def test_no_break_spaces_around_a_code_are_trimmed_as_spaces(valid_dataset_dir):
    set_first(valid_dataset_dir / "expenditure.csv", "LV0026000-ADM", "\u00a0LV0026000-ADM\u00a0")
    assert len(ct.load_dataset(valid_dataset_dir).expenditure) == 89


@pytest.fixture
def db(mini, tmp_path):
    return ct.write_sqlite(mini, tmp_path / "mini.sqlite")


def test_a_locked_sqlite_file_is_not_a_data_problem(db, monkeypatch):
    monkeypatch.setattr(readers, "SQLITE_TIMEOUT", 0.1)
    other = sqlite3.connect(db, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")
        t0 = time.perf_counter()
        with pytest.raises(DatasetInUseError) as info:
            ct.load_dataset(db)
        assert time.perf_counter() - t0 < 3
    finally:
        other.rollback()
        other.close()
    e = info.value
    assert isinstance(e, OSError) and not isinstance(e, ct.DataValidationError)
    assert (e.errno, e.filename) == (errno.EBUSY, str(db))
    assert str(e) == (
        f"{db} is locked: another program is using it (writing to it, or holding it open with "
        "unsaved changes, e.g. a database browser). Nothing is wrong with the data: close the "
        "file in that program, or wait until it has finished, and try again")
    assert len(ct.load_dataset(db).expenditure) == 89  # once closed, it loads


def test_validate_of_a_locked_file_says_so_without_a_traceback(db, monkeypatch, capsys):
    from costing.cli import main

    monkeypatch.setattr(readers, "SQLITE_TIMEOUT", 0.1)
    other = sqlite3.connect(db, isolation_level=None)
    try:
        other.execute("BEGIN EXCLUSIVE")
        code = main(["validate", str(db)])
    finally:
        other.rollback()
        other.close()
    out = capsys.readouterr()
    assert code == 75  # try again later; 1 would say the data are invalid
    assert out.err.startswith(f"costing: {db} is locked: another program is using it")
    assert "NOT VALID" not in out.out + out.err and "Traceback" not in out.err


def test_a_table_missing_from_sqlite_is_named_as_a_table_of_that_file(db):
    con = sqlite3.connect(db)
    with con:
        con.execute("DROP TABLE outputs")
    con.close()
    rec = only_problem(db)
    assert (rec["table"], rec["file"], rec["rule"], rec["message"]) == (
        "outputs", "mini.sqlite", "missing_table",
        f"required table outputs is missing from the SQLite file {db}")
    assert ".csv" not in rec["message"]


def test_a_table_needed_by_another_missing_from_sqlite(db):
    con = sqlite3.connect(db)
    with con:
        con.execute("DROP TABLE survey_periods")
    con.close()
    rec = only_problem(db)
    assert (rec["table"], rec["file"], rec["rule"], rec["message"]) == (
        "survey_periods", "mini.sqlite", "missing_table",
        f"table time_use is given, so table survey_periods is needed in the SQLite file {db} "
        "to check it")
