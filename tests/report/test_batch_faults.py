"""Faults in a report batch: a kernel killed mid-report, Ctrl-C, batches sharing an output
folder, refused inputs, excluded municipalities, temporary files of a killed worker.

The batches run a tiny template (the real template's parameters, a cell that writes the
kernel's pid to ``<pids>/<code>`` and, for the municipalities named in it, a cell that sleeps)
on the demo dataset, with the shared results computed once for the module; the module takes
about two minutes on two cores.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest
from paths import MINI_DIR

import costing as ct
import costing.data.files as files
from costing.cli import main
from costing.data.files import TEMPORARY_NAME, new_temporary, remove_stale_temporaries
from costing.report import manifest, runner
from costing.report import shared as rd

YEAR = 2024
A, B, C, D = "LV0002000", "LV0003000", "LV0004000", "LV0005000"
VICTIM = "LV0001000"
COSTING = str(Path(sys.executable).with_name("costing"))


def tiny_template(path: Path, pids: Path, sleepers=(), seconds: float = 300) -> Path:
    """A template with the real parameters that records its kernel's pid, sleeping in
    ``sleepers``."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    params = nbformat.v4.new_code_cell(
        'municipality: str = ""\nyear: int = 2024\nlang: str = "lv"\ndataset: str = ""\n'
        'peer_rule: str = "default"\nshared: str = ""')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [
        params,
        nbformat.v4.new_code_cell(
            f"import os, pathlib, time\npids = pathlib.Path({str(pids)!r})\n"
            "pids.mkdir(parents=True, exist_ok=True)\n"
            "(pids / municipality).write_text(str(os.getpid()))"),
        nbformat.v4.new_code_cell(f"if municipality in {list(sleepers)!r}:\n"
                                  f"    time.sleep({seconds})"),
        nbformat.v4.new_markdown_cell("A tiny report."),
        nbformat.v4.new_code_cell("print('report of', municipality)"),
    ]
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def shared_dir(tmp_path_factory):
    """The demo's shared results for YEAR, computed once for the module."""
    folder = tmp_path_factory.mktemp("shared") / "_shared"
    rd.ensure_shared(ct.demo_dataset(), YEAR, "default", folder)
    return folder


@pytest.fixture
def out(tmp_path, shared_dir):
    """An output folder that already holds the shared results (hard links)."""
    folder = tmp_path / "out"
    (folder / "_shared").mkdir(parents=True)
    for f in shared_dir.glob("*.pkl"):
        os.link(f, folder / "_shared" / f.name)
    return folder


def _entries(out: Path, lang: str = "lv") -> dict:
    path = out / lang / "manifest.json"
    return json.loads(path.read_text(encoding="utf-8"))["entries"] if path.exists() else {}


def _links(out: Path, lang: str = "lv") -> set[str]:
    index = (out / lang / "index.html").read_text(encoding="utf-8")
    return set(re.findall(r'href="(LV\d{7})\.html"', index))


def _state(pid: int) -> str:
    """The process state letter (``Z`` for a zombie), ``""`` when it no longer exists."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[1].split()[0]


def _dead_pid() -> int:
    """The pid of a process that has ended."""
    dead = subprocess.Popen([sys.executable, "-c", ""])
    dead.wait()
    return dead.pid


def _temporary(folder: Path, target: str, pid: int, suffix: str = ".tmp") -> Path:
    """A temporary file for ``folder/target`` as :mod:`costing.data.files` names them, of the
    writer ``pid`` on this computer (``.<target>.pid<pid>-<host>.<random>.tmp...``)."""
    path = folder / f".{target}.pid{pid}-{files._host_tag()}.abcd1234{suffix}"
    assert TEMPORARY_NAME.fullmatch(path.name)["pid"] == str(pid)
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text("{}")
    return path


def _wait_for(predicate, timeout: float, step: float = 0.1):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return None


def test_a_killed_kernel_fails_its_report_and_the_batch_goes_on(tmp_path, out):
    pids = tmp_path / "pids"
    template = tiny_template(tmp_path / "t.ipynb", pids, sleepers=[VICTIM])
    seen = {}

    def killer():
        pid_file = pids / VICTIM
        if not _wait_for(pid_file.exists, 120):
            return
        time.sleep(0.5)  # inside the sleeping cell
        seen["pid"] = int(pid_file.read_text())
        os.kill(seen["pid"], signal.SIGKILL)
        t_kill = time.monotonic()
        if _wait_for(lambda: _entries(out).get(VICTIM), 60, 0.05):
            seen["detected_s"] = time.monotonic() - t_kill
        if _wait_for(lambda: _state(seen["pid"]) == "", 30, 0.05):
            seen["reaped_s"] = time.monotonic() - t_kill

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    t0 = time.monotonic()
    res = ct.run_reports([VICTIM, A, B], year=YEAR, lang="lv", out=out, workers=1,
                         progress=False, template=template)
    elapsed = time.monotonic() - t0
    thread.join(30)
    by_code = {o.code: o for o in res.outcomes}
    victim = by_code[VICTIM]
    assert not victim.ok and victim.status == "failed"
    assert re.match(r"kernel died while running cell 4: killed by signal SIGKILL", victim.reason)
    assert by_code[A].ok and by_code[B].ok, res.summary()  # a new kernel for the next reports
    assert elapsed < 120  # the victim would sleep 300 s: nothing waited for it
    assert seen["detected_s"] < 10, seen  # about a second in practice
    assert seen["reaped_s"] < 10, seen  # the dead kernel was reaped, not left a zombie
    assert f"FAILED {VICTIM}: kernel died while running cell 4" in res.summary()
    # the record shows where it died; the index names it with the reason
    record = nbformat.read(out / "lv" / "notebooks" / f"{VICTIM}.ipynb", as_version=4)
    errors = [o for c in record.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert errors and errors[0].ename == "KernelDied"
    index = (out / "lv" / "index.html").read_text(encoding="utf-8")
    assert "kernel died while running cell 4" in index
    assert _links(out) == {A, B}
    assert not list(out.rglob("*.tmp*"))


def test_ctrl_c_stops_the_batch_cleanly(tmp_path, out):
    pids = tmp_path / "pids"
    template = tiny_template(tmp_path / "t.ipynb", pids, sleepers=[VICTIM, C])
    cmd = [COSTING, "reports", "--municipality", VICTIM, A, B, C, "--workers", "2",
           "--out", str(out), "--template", str(template)]
    # a new session, so the signal goes to the batch's process group as Ctrl-C in a terminal
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        first = _wait_for(lambda: [c for c, e in _entries(out).items() if e["status"] == "ok"],
                          180, 0.1)
        assert first, "no report was written"
        _wait_for((pids / VICTIM).exists, 60)
        t_int = time.monotonic()
        os.killpg(proc.pid, signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
        stop_s = time.monotonic() - t_int
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    assert proc.returncode == 130, (stdout, stderr)
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr, stderr
    written = {c for c, e in _entries(out).items() if e["status"] == "ok"}
    assert set(first) <= written and VICTIM not in written
    assert f"interrupted: {len(written)} of 4 reports written" in stdout
    assert "NOT WRITTEN (interrupted):" in stdout and VICTIM in stdout
    assert _links(out) == written  # the index lists exactly the finished reports
    assert not (out / "lv" / f"{VICTIM}.html").exists()
    assert stop_s < 30
    for f in pids.iterdir():  # every kernel shut down and reaped
        assert _state(int(f.read_text())) == "", f.name
    assert not list(out.rglob("*.tmp*"))


def test_successive_batches_into_one_folder_keep_every_report(tmp_path, out):
    template = tiny_template(tmp_path / "t.ipynb", tmp_path / "pids")
    first = ct.run_reports([A], year=YEAR, out=out, workers=1, progress=False,
                           template=template)
    assert first.ok, first.summary()
    # temporary files of a killed worker (a notebook, a report, shared results) and of a live
    # process (a batch writing into the folder at this moment)
    dead, lang_dir = _dead_pid(), out / "lv"
    stale = [_temporary(lang_dir / "notebooks", f"{B}.ipynb", dead, ".tmp.ipynb"),
             _temporary(lang_dir, f"{B}.html", dead),
             _temporary(out / "_shared", "x.pkl", dead)]
    live = [_temporary(lang_dir / "notebooks", f"{C}.ipynb", os.getppid(), ".tmp.ipynb"),
            _temporary(lang_dir, f"{C}.html", os.getppid())]
    second = ct.run_reports([B], year=YEAR, out=out, workers=1, progress=False,
                            template=template)
    assert second.ok, second.summary()
    assert set(second.removed_temp) == set(stale)
    assert not any(f.exists() for f in stale) and all(f.exists() for f in live)
    for f in live:
        f.unlink()
    assert _links(out) == {A, B}
    entries = _entries(out)
    assert set(entries) == {A, B}
    kf = rd.load_shared(second.shared_path, YEAR, "default").table("key_figures")
    for code in (A, B):  # each entry keeps the key figures of its own batch
        assert entries[code]["figures"]["population"] == pytest.approx(
            kf.loc[code, "population"])
        assert entries[code]["dataset_hash"] == ct.demo_dataset().content_hash()
        assert entries[code]["html"] == f"{code}.html"
    index = (out / "lv" / "index.html").read_text(encoding="utf-8")
    assert ct.format_number(kf.loc[A, "population"], "lv") in index
    # a report removed from the folder leaves the index with the next batch
    (out / "lv" / f"{A}.html").unlink()
    third = ct.run_reports([C], year=YEAR, out=out, workers=1, progress=False,
                           template=template)
    assert third.ok and set(_entries(out)) == {B, C} and _links(out) == {B, C}


def test_concurrent_batches_into_one_folder_keep_every_report(tmp_path, out):
    template = tiny_template(tmp_path / "t.ipynb", tmp_path / "pids")
    procs = [subprocess.Popen([COSTING, "reports", "--municipality", *codes, "--workers", "1",
                               "--out", str(out), "--template", str(template),
                               "--no-progress"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
             for codes in ([A, B], [C, D])]
    results = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    assert set(_entries(out)) == {A, B, C, D}
    assert _links(out) == {A, B, C, D}


def _add_entries(lang_dir: str, worker: int, n: int) -> None:
    for i in range(n):
        code = f"LV{worker:03d}{i:04d}"
        manifest.update(lang_dir, [manifest.entry(code, name=code, year=YEAR,
                                                  status="failed", reason="test")])


def test_manifest_updates_from_many_processes_lose_nothing(tmp_path):
    lang_dir = tmp_path / "lv"
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_add_entries, args=(str(lang_dir), w, 25)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    entries = manifest.read(lang_dir)
    assert len(entries) == 100
    assert not [f for f in lang_dir.iterdir() if ".tmp" in f.name]


def test_manifest_takes_in_reports_it_does_not_know_and_drops_missing_ones(tmp_path):
    lang_dir = tmp_path / "lv"
    (lang_dir / "notebooks").mkdir(parents=True)
    (lang_dir / f"{A}.html").write_text("<html></html>")
    gone = manifest.entry(B, name="B", year=YEAR, status="ok", html=f"{B}.html")
    entries = manifest.update(lang_dir, [gone])
    assert set(entries) == {A}  # B's file does not exist; A's file has no entry yet
    assert entries[A]["status"] == "ok" and entries[A]["figures"]["population"] is None
    (lang_dir / "manifest.json").write_text("{ not json")  # unreadable: rebuilt from files
    assert set(manifest.read(lang_dir)) == {A}


@pytest.fixture
def no_kernels(monkeypatch):
    """Fail the test if a batch starts a worker pool (and so a kernel)."""
    def refuse(*args, **kwargs):
        raise AssertionError("a worker pool was started")

    monkeypatch.setattr(runner, "ProcessPoolExecutor", refuse)


@pytest.fixture
def mini_gap(tmp_path):
    """The mini dataset without any expenditure of LV0054000 in 2024."""
    import shutil

    import pandas as pd

    target = tmp_path / "mini_gap"
    shutil.copytree(MINI_DIR, target)
    path = target / "expenditure.csv"
    exp = pd.read_csv(path, dtype=str)
    keep = ~((exp["year"] == "2024") & exp["cost_centre_id"].str.startswith("LV0054000"))
    exp.loc[keep].to_csv(path, index=False)
    return target


def test_a_year_or_a_municipality_without_data_is_refused_before_any_kernel(
        tmp_path, capsys, no_kernels, mini_gap):
    out = tmp_path / "out"
    with pytest.raises(ct.InputError, match="year 1999 has no expenditure"):
        ct.run_reports([A], year=1999, out=out, progress=False)
    rc = main(["reports", "--dataset", str(mini_gap), "--municipality", "LV0054000",
               "LV0026000", "--year", "2024", "--out", str(out), "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 2 and "Traceback" not in err
    assert "no expenditure in 2024 for LV0054000" in err and "LV0026000" not in err
    assert not out.exists()  # refused before the output folder, the shared results, a kernel


def test_without_municipalities_those_without_data_are_left_out(tmp_path, mini_gap, capsys):
    template = tiny_template(tmp_path / "t.ipynb", tmp_path / "pids")
    out = tmp_path / "out"
    rc = main(["reports", "--dataset", str(mini_gap), "--year", "2024", "--out", str(out),
               "--workers", "1", "--no-progress", "--template", str(template)])
    stdout = capsys.readouterr().out
    assert rc == 0, stdout
    assert "1 of 1 reports written" in stdout
    assert "LEFT OUT LV0054000: no expenditure in 2024" in stdout
    assert _links(out) == {"LV0026000"}


def test_an_excluded_municipality_gets_no_kernel_and_is_marked(tmp_path, out, capsys,
                                                                monkeypatch):
    real = runner.load_shared
    why = "its allocation system is singular (support centres serve only each other)"

    def with_excluded(*args, **kwargs):
        sh = real(*args, **kwargs)
        sh.excluded = {B: why}
        return sh

    monkeypatch.setattr(runner, "load_shared", with_excluded)
    pids = tmp_path / "pids"
    template = tiny_template(tmp_path / "t.ipynb", pids)
    (out / "en").mkdir()
    (out / "en" / f"{B}.html").write_text("<html>an earlier run</html>")  # now stale
    rc = main(["reports", "--municipality", A, B, "--lang", "en", "--out", str(out),
               "--workers", "1", "--no-progress", "--template", str(template)])
    stdout = capsys.readouterr().out
    assert rc == 1
    assert f"EXCLUDED {B}: {why}" in stdout and "1 of 2 reports written" in stdout
    assert not (pids / B).exists() and (pids / A).exists()  # no kernel ran for B
    assert not (out / "en" / f"{B}.html").exists()
    entry = _entries(out, "en")[B]
    assert entry["status"] == "excluded" and entry["reason"] == f"excluded: {why}"
    index = (out / "en" / "index.html").read_text(encoding="utf-8")
    assert ct.label("index.excluded", "en", reason=why) in index
    assert _links(out, "en") == {A}


def test_stale_temporary_files_are_removed_only_when_their_writer_is_gone(tmp_path):
    mine = new_temporary(tmp_path / f"{B}.ipynb", ".tmp.ipynb")  # as run_task makes its record
    stale = _temporary(tmp_path, f"{A}.ipynb", _dead_pid(), ".tmp.ipynb")
    other = _temporary(tmp_path, f"{C}.ipynb", os.getppid(), ".tmp.ipynb")
    # no pid in the name (earlier versions: the pid was not marked): an unknown writer
    unknown = tmp_path / f".{D}.ipynb.abcdefgh.tmp.ipynb"
    earlier = tmp_path / f".{D}.html.{_dead_pid()}.k2j4_x9z.tmp"
    for f in (unknown, earlier):
        f.write_text("{}")
    assert TEMPORARY_NAME.fullmatch(mine.name)["pid"] == str(os.getpid())
    assert remove_stale_temporaries(tmp_path) == [stale]
    assert mine.exists() and other.exists() and unknown.exists() and earlier.exists()
    # an unknown writer's file goes once it is older than 12 hours; a live writer's never
    later = time.time() + 13 * 3600
    assert set(remove_stale_temporaries(tmp_path, now=later)) == {unknown, earlier}
    assert mine.exists() and other.exists()
