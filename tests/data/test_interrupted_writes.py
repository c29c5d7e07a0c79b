"""Interrupted writes: a full disk gives a clear message naming the file and leaves the old file
intact; a killed process leaves no half-written file in place of the target, and the next run
removes its temporary file (never one a live process is writing)."""

from __future__ import annotations

import errno
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

import costing as ct
import costing.data.files as files
import costing.data.store as store
from costing.cli import main
from costing.data.files import (
    TEMPORARY_NAME,
    WriteError,
    atomic_write,
    new_temporary,
    remove_stale_temporaries,
    temporary_prefix,
    write_csv,
)

FULL = "no space left on device while writing {}; free some space and run again"


def _disk_full(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def _half_then_full(tmp, data):
    """A write that gets half-way, then meets a full disk."""
    Path(tmp).write_bytes((data.encode() if isinstance(data, str) else data)[: len(data) // 2])
    _disk_full()


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _leftover(folder: Path, target: str, pid: int, suffix: str = ".tmp") -> Path:
    path = folder / f".{target}.pid{pid}-{files._host_tag()}.k3j4h5g6{suffix}"
    path.write_bytes(b"half-written")
    return path


# --- full disk ---------------------------------------------------------------------------------

def test_full_disk_names_the_file_keeps_the_old_one_and_no_temporary(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    target = Path("reports/lv/LV0001000.html")
    atomic_write(target, "<p>old report</p>")
    monkeypatch.setattr(files, "_write_file", _half_then_full)
    with pytest.raises(WriteError) as info:
        atomic_write(target, "<p>new report</p>" * 1000)
    assert str(info.value) == FULL.format("reports/lv/LV0001000.html")
    assert isinstance(info.value, OSError) and info.value.errno == errno.ENOSPC
    assert info.value.filename == "reports/lv/LV0001000.html"
    assert target.read_text() == "<p>old report</p>"
    assert [p.name for p in target.parent.iterdir()] == ["LV0001000.html"]


def test_a_failing_rename_is_named_too(tmp_path, monkeypatch):
    target = tmp_path / "x.html"
    monkeypatch.setattr(files.os, "replace", lambda *a: (_ for _ in ()).throw(
        PermissionError(errno.EACCES, "Permission denied")))
    with pytest.raises(WriteError, match=r"permission denied while writing .*x\.html; choose"):
        atomic_write(target, "x")
    assert list(tmp_path.iterdir()) == []


def test_an_interrupt_removes_the_temporary_and_passes_through(tmp_path, monkeypatch):
    def interrupted(tmp, data):
        Path(tmp).write_text("half")
        raise KeyboardInterrupt

    monkeypatch.setattr(files, "_write_file", interrupted)
    with pytest.raises(KeyboardInterrupt):
        atomic_write(tmp_path / "x.html", "x")
    assert list(tmp_path.iterdir()) == []


def test_write_csv_on_a_full_disk(tmp_path, monkeypatch):
    target = tmp_path / "problems.csv"
    target.write_text("old\n")

    def full(self, path, **kwargs):
        Path(path).write_text("table,file\n")
        _disk_full()

    monkeypatch.setattr(pd.DataFrame, "to_csv", full)
    with pytest.raises(WriteError, match="no space left on device while writing .*problems.csv"):
        write_csv(pd.DataFrame({"a": [1]}), target)
    assert target.read_text() == "old\n" and [p.name for p in tmp_path.iterdir()] == [
        "problems.csv"]


def test_errors_csv_on_a_full_disk_is_one_clear_line(capsys, valid_dataset_dir, tmp_path,
                                                     monkeypatch):
    (valid_dataset_dir / "outputs.csv").unlink()
    target = tmp_path / "problems.csv"
    target.write_text("old\n")
    monkeypatch.setattr(pd.DataFrame, "to_csv", _disk_full)
    code = main(["validate", str(valid_dataset_dir), "--errors-csv", str(target)])
    out = capsys.readouterr()
    assert code == 1 and "Traceback" not in out.out + out.err
    assert f"Could not save the list: {FULL.format(target)}" in out.out
    assert target.read_text() == "old\n"


def test_diary_workbook_on_a_full_disk(tmp_path, monkeypatch):
    from openpyxl import Workbook

    monkeypatch.setattr(Workbook, "save", lambda self, path: _disk_full())
    target = tmp_path / "diary.xlsx"
    with pytest.raises(WriteError, match="no space left on device while writing .*diary.xlsx"):
        ct.write_diary_template(target)
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def old_db(tmp_path, mini):
    return ct.write_sqlite(mini, tmp_path / "db" / "mini.sqlite")


def test_database_on_a_full_disk(old_db, mini, monkeypatch):
    before = old_db.read_bytes()
    monkeypatch.setattr(store, "_write_table", lambda con, df, schema: _disk_full())
    with pytest.raises(ct.InputError) as info:
        ct.write_sqlite(mini, old_db)
    assert str(info.value) == (f"cannot write the database: {FULL.format(old_db)} (the previous "
                               "file is unchanged)")
    assert old_db.read_bytes() == before
    assert [p.name for p in old_db.parent.iterdir()] == ["mini.sqlite"]


def test_database_full_as_sqlite_reports_it(old_db, mini, monkeypatch):
    """SQLite's own 'database or disk is full' (SQLITE_FULL), not an OSError, is named too."""
    before = old_db.read_bytes()
    real = store._write_table

    def filling(con, df, schema):
        con.execute("PRAGMA max_page_count = 1")  # no page more: as if the disk were full
        real(con, df, schema)

    monkeypatch.setattr(store, "_write_table", filling)
    with pytest.raises(ct.InputError, match="no space left on device while writing .*mini.sqlite"):
        ct.write_sqlite(mini, old_db)
    assert old_db.read_bytes() == before
    assert [p.name for p in old_db.parent.iterdir()] == ["mini.sqlite"]


def test_db_build_on_a_full_disk_is_one_clear_line(capsys, valid_dataset_dir, tmp_path,
                                                   monkeypatch):
    monkeypatch.setattr(store, "_write_table", lambda con, df, schema: _disk_full())
    target = tmp_path / "out.sqlite"
    code = main(["db", "build", str(valid_dataset_dir), "--db", str(target)])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert err.strip() == (f"costing: cannot write the database: {FULL.format(target)} (nothing "
                           "was written)")
    assert list(tmp_path.iterdir()) == [valid_dataset_dir]


def test_db_build_interrupted_with_ctrl_c(capsys, valid_dataset_dir, old_db, monkeypatch):
    before = old_db.read_bytes()

    def interrupted(con, df, schema):
        raise KeyboardInterrupt

    monkeypatch.setattr(store, "_write_table", interrupted)
    code = main(["db", "build", str(valid_dataset_dir), "--db", str(old_db)])
    assert code == 130 and "interrupted; nothing written" in capsys.readouterr().err
    assert old_db.read_bytes() == before
    assert [p.name for p in old_db.parent.iterdir()] == ["mini.sqlite"]


# --- leftovers of killed writers -----------------------------------------------------------------

def test_temporaries_are_named_with_the_writer_pid(tmp_path):
    tmp = new_temporary(tmp_path / "LV0001000.html")
    m = TEMPORARY_NAME.fullmatch(tmp.name)
    assert m and m["target"] == "LV0001000.html" and int(m["pid"]) == os.getpid()
    assert tmp.name.startswith(temporary_prefix(tmp_path / "LV0001000.html"))
    with pytest.raises(ValueError, match="must start with '.tmp'"):
        new_temporary(tmp_path / "x.ipynb", suffix=".ipynb")


def test_a_dead_writers_temporary_is_removed_a_live_ones_kept(tmp_path):
    mine = new_temporary(tmp_path / "mini.sqlite")  # this process is alive
    dead = _leftover(tmp_path, "mini.sqlite", _dead_pid())
    journal = _leftover(tmp_path, "mini.sqlite", _dead_pid(), ".tmp-journal")
    notebook = _leftover(tmp_path, "LV0001000.ipynb", _dead_pid(), ".tmp.ipynb")
    others = [tmp_path / n for n in ("mini.sqlite", "data.csv", ".hidden", "x.tmp",
                                     ".mini.sqlite.tmp", "LV0001000.html")]
    for p in others:
        p.write_text("keep me")
    removed = remove_stale_temporaries(tmp_path, max_age_hours=0)
    assert sorted(removed) == sorted([dead, journal, notebook])
    assert mine.exists() and all(p.exists() for p in others)


def test_unknown_writers_temporaries_go_by_age(tmp_path):
    """Unmarked names (``mkstemp(prefix=f".{name}.", suffix=".tmp")``, as earlier versions and
    report/kernels.py write them) and those of another computer: only when old."""
    young = tmp_path / ".LV0001000.html.k3j4h5g6.tmp"
    old = tmp_path / ".LV0001000.ipynb.a_b1c2d3.tmp.ipynb"
    remote = tmp_path / f".mini.sqlite.pid{os.getpid()}-000000.k3j4h5g6.tmp"
    for p in (young, old, remote):
        p.write_text("x")
    day_ago = time.time() - 24 * 3600
    os.utime(old, (day_ago, day_ago))
    assert remove_stale_temporaries(tmp_path) == [old]
    os.utime(remote, (day_ago, day_ago))
    assert remove_stale_temporaries(tmp_path) == [remote]
    assert remove_stale_temporaries(tmp_path, now=time.time() + 13 * 3600) == [young]
    assert remove_stale_temporaries(tmp_path / "no-such-folder") == []


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_a_reused_pid_does_not_keep_a_leftover(tmp_path):
    """A file named with a live pid, but last written before that process started, is not
    that process's: here our own pid, on a file written a day ago."""
    path = _leftover(tmp_path, "mini.sqlite", os.getpid())
    day_ago = time.time() - 24 * 3600
    os.utime(path, (day_ago, day_ago))
    assert remove_stale_temporaries(tmp_path) == [path]


LIVE_WRITER = textwrap.dedent("""
    import sys, time
    from costing.data.files import new_temporary
    print(new_temporary(sys.argv[1]), flush=True)
    time.sleep(120)
""")


def test_a_live_writer_in_another_process_is_never_disturbed(tmp_path):
    child = subprocess.Popen([sys.executable, "-c", LIVE_WRITER, str(tmp_path / "big.sqlite")],
                             stdout=subprocess.PIPE, text=True)
    try:
        tmp = Path(child.stdout.readline().strip())
        assert tmp.exists() and f"pid{child.pid}-" in tmp.name
        assert remove_stale_temporaries(tmp_path, max_age_hours=0) == []
        atomic_write(tmp_path / "other.html", "x")  # cleans the folder: the live file stays
        assert tmp.exists()
    finally:
        child.kill()
        child.wait()
        child.stdout.close()
    assert remove_stale_temporaries(tmp_path) == [tmp]


def test_atomic_write_removes_leftovers_in_its_folder(tmp_path):
    leftover = _leftover(tmp_path, "LV0001000.html", _dead_pid())
    atomic_write(tmp_path / "LV0001000.html", "<p>report</p>")
    assert [p.name for p in tmp_path.iterdir()] == ["LV0001000.html"]
    assert not leftover.exists()


# a db build that blocks once it has written some tables, so it can be killed mid-way
KILLED_BUILD = textwrap.dedent("""
    import sys, time
    import costing.data.store as store
    from costing.cli import main

    real, done = store._write_table, []

    def slow(con, df, schema):
        real(con, df, schema)
        done.append(schema.name)
        if len(done) == 4:
            print("writing", flush=True)
            time.sleep(120)

    store._write_table = slow
    sys.exit(main(["db", "build", sys.argv[1], "--db", sys.argv[2]]))
""")


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
@pytest.mark.parametrize("existing", [True, False], ids=["over-a-database", "new-file"])
def test_db_build_killed_mid_way(capsys, valid_dataset_dir, tmp_path, mini, existing):
    folder = tmp_path / "db"
    target = folder / "mini.sqlite"
    folder.mkdir()
    before = ct.write_sqlite(mini, target).read_bytes() if existing else None
    child = subprocess.Popen([sys.executable, "-c", KILLED_BUILD, str(valid_dataset_dir),
                              str(target)], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "writing"
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    finally:
        child.kill()
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    # no half-written database in place of the target; the killed build left its temporary
    if existing:
        assert target.read_bytes() == before
        ct.load_dataset(target)
    else:
        assert not target.exists()
    left = [p for p in folder.iterdir() if p != target]
    assert len(left) == 1 and f".mini.sqlite.pid{child.pid}-" in left[0].name
    # the next build removes it and writes the database
    assert main(["db", "build", str(valid_dataset_dir), "--db", str(target)]) == 0
    assert "Wrote" in capsys.readouterr().out
    assert [p.name for p in folder.iterdir()] == ["mini.sqlite"]
    assert ct.load_dataset(target).content_hash() == mini.content_hash()
    con = sqlite3.connect(target)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        con.close()
