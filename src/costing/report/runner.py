"""Per-municipality reports: run the papermill template once per municipality, in parallel.

``costing reports`` (and :func:`run_reports`) does, for one dataset, year and language:

1. validates every requested municipality code (strict pattern and present in the dataset)
   before it becomes part of a file name, and refuses a year without expenditure, or a
   requested municipality without expenditure in that year, before any kernel starts (with no
   ``--municipality`` such a municipality is left out and named in the summary);
2. computes what every report shares (full and unit costs, indicators, peer statistics, models,
   efficiency) **once**, into ``<out>/_shared/<dataset hash>_<year>_<peer rule>.pkl``; a
   municipality the shared results exclude (data the method refuses) gets no kernel: it is
   reported as excluded, with the reason;
3. executes the template (:data:`TEMPLATE`, shipped in the package) for each municipality in a
   process pool (warm kernels, see :mod:`costing.report.kernels`) with a progress bar; one
   municipality's failure never stops the others, a kernel that dies fails its report only,
   and a worker process that dies is replaced (its reports are run again once);
4. writes, atomically, ``<out>/<lang>/<CODE>.html`` (self-contained, code hidden),
   ``<out>/<lang>/notebooks/<CODE>.ipynb`` (the executed record, kept for failures too), and
   after each report the folder's manifest and ``<out>/<lang>/index.html`` (every
   municipality in the folder with key figures and a link, whichever batch wrote it: see
   :mod:`costing.report.manifest`).

Ctrl-C (SIGINT) or SIGTERM stops the batch: queued reports are cancelled, running kernels are
shut down, the reports already written stay and the index lists them ("interrupted: N of M
reports written"; ``costing reports`` exits with 130, or 143 for SIGTERM).

Output layout::

    <out>/index.html                 links to each language's index
    <out>/<lang>/index.html          municipalities, key figures, links, failures
    <out>/<lang>/manifest.json       one entry per municipality (status, figures, files)
    <out>/<lang>/<CODE>.html         one report
    <out>/<lang>/notebooks/<CODE>.ipynb   its executed notebook (the record)
    <out>/_shared/<hash>_<year>_<rule>.pkl  shared results of the batch
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

from ..data.dataset import demo_dataset, load_dataset
from ..data.files import remove_stale_temporaries
from ..data.municipalities import municipality_names, validate_codes
from ..errors import CostingError, DataValidationError, InputError
from . import kernels, manifest
from .index import write_index
from .kernels import KERNEL_NAME, Outcome, Task, init_worker, run_task
from .labels import LANGUAGES, label
from .shared import ensure_shared, load_shared

#: The papermill template, shipped inside the package.
TEMPLATE = Path(__file__).resolve().parent / "template" / "municipality_report.ipynb"

#: Seconds the batch waits, once stopped, for its workers to hand back the reports they run.
STOP_WAIT = 20.0


@dataclass
class BatchResult:
    """Outcome of a batch: one :class:`costing.report.kernels.Outcome` per municipality.

    ``skipped`` names the municipalities left out because they have no data in the year (only
    when no municipality was requested); ``interrupted`` is the signal number that stopped the
    batch, 0 if none did; ``removed_temp`` the temporary files of killed writers removed from
    the output folders at the start
    (:func:`costing.data.files.remove_stale_temporaries`).
    """

    out_dir: Path
    lang: str
    year: int
    peer_rule: str = "default"
    outcomes: list[Outcome] = field(default_factory=list)
    index_path: Path | None = None
    shared_path: Path | None = None
    seconds: float = 0.0
    skipped: dict[str, str] = field(default_factory=dict)
    interrupted: int = 0
    removed_temp: list[Path] = field(default_factory=list)

    @property
    def failed(self) -> list[Outcome]:
        """Reports that failed or were excluded (not those the interruption stopped)."""
        return [o for o in self.outcomes if not o.ok and o.status != "interrupted"]

    @property
    def written(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.ok]

    @property
    def ok(self) -> bool:
        return not self.failed and not self.interrupted

    def summary(self) -> str:
        """Plain-text summary naming every failed or excluded municipality with its reason."""
        n, done = len(self.outcomes), len(self.written)
        where = f"{self.out_dir / self.lang} in {self.seconds:.1f} s; index: {self.index_path}"
        if self.interrupted:
            lines = [f"interrupted: {done} of {n} reports written to {where}"]
        else:
            lines = [f"{done} of {n} reports written to {where}"]
        for o in self.failed:
            if o.status == "excluded":
                lines.append(f"EXCLUDED {o.code}: {o.reason.removeprefix('excluded: ')}")
            else:
                record = f" (notebook kept: {o.notebook_path})" if o.notebook_path else ""
                lines.append(f"FAILED {o.code}: {o.reason}{record}")
        stopped = [o.code for o in self.outcomes if o.status == "interrupted"]
        if stopped:
            lines.append(f"NOT WRITTEN (interrupted): {', '.join(stopped)}")
        for code, why in self.skipped.items():
            lines.append(f"LEFT OUT {code}: {why}")
        return "\n".join(lines)

    @property
    def exit_code(self) -> int:
        """What ``costing reports`` exits with: 128 + signal, 1 if any failed or was excluded."""
        if self.interrupted:
            return 128 + self.interrupted
        return 0 if self.ok else 1


def default_workers() -> int:
    """Number of CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


PEER_RULES = ("default", "cluster")


def _check_out(out: str | os.PathLike) -> Path:
    """The output folder, created if needed; an :class:`InputError` if it cannot be."""
    out_dir = Path(out).resolve()
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"costing reports: --out {out} is a file, not a folder; give a folder "
                         "name (it is created if needed)")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        probe = out_dir / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as e:
        raise InputError(f"costing reports: cannot write to --out {out}: {e.strerror or e}; "
                         "choose a folder you can write to") from None
    return out_dir


def _load(dataset: str):
    return load_dataset(dataset) if dataset else demo_dataset()


def codes_with_data(ds, year: int) -> set[str]:
    """Municipalities with at least one expenditure row in ``year``."""
    exp, cc = ds.expenditure, ds.cost_centres
    centres = set(exp.loc[exp["year"].astype(int) == int(year), "cost_centre_id"])
    return set(cc.loc[cc["cost_centre_id"].isin(centres), "municipality_code"].astype(str))


def check_year_data(ds, year: int, codes: list[str], requested: bool,
                    names: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """The codes to report on in ``year`` and those left out for lack of data.

    Raises
    ------
    InputError
        The year has no expenditure at all, or a requested municipality has none in it.
    """
    year = int(year)
    if year not in ds.years:
        raise InputError(f"costing reports: year {year} has no expenditure in this dataset "
                         f"(years: {', '.join(map(str, ds.years))}); no report written")
    have = codes_with_data(ds, year)
    missing = [c for c in codes if c not in have]
    if missing and requested:
        listed = ", ".join(f"{c} ({names.get(c, c)})" for c in missing)
        raise InputError(f"costing reports: no expenditure in {year} for {listed}; they have "
                         "cost centres but no expenditure row that year; leave them out or "
                         "choose another --year; no report written")
    why = f"no expenditure in {year}"
    return [c for c in codes if c in have], {c: why for c in missing}


class Interrupted(KeyboardInterrupt):
    """A batch stopped by a signal before any report started (``signum``: which)."""

    def __init__(self, signum: int = signal.SIGINT):
        super().__init__(signum)
        self.signum = signum


class _Stop:
    """SIGINT and SIGTERM handlers for the duration of a batch (main thread only).

    Before the workers start, a signal interrupts at once (:class:`Interrupted`); while they
    run it only records the signal, and the batch loop stops the workers in order. A worker
    forked before its own handlers are set stops itself (:func:`kernels.request_stop`).
    """

    def __init__(self):
        self.signum = 0
        self.raising = True
        self._pid = os.getpid()
        self._old: dict = {}

    def __enter__(self) -> _Stop:
        if threading.current_thread() is threading.main_thread():
            for s in (signal.SIGINT, signal.SIGTERM):
                self._old[s] = signal.signal(s, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        for s, old in self._old.items():
            signal.signal(s, old if old is not None else signal.SIG_DFL)

    def _handle(self, signum, frame) -> None:
        if os.getpid() != self._pid:  # a worker between fork and init_worker
            kernels.request_stop()
            return
        self.signum = self.signum or signum
        if self.raising:
            raise Interrupted(signum)


def run_reports(municipalities=None, *, year: int = 2024, lang: str = "lv", dataset: str = "",
                out: str | os.PathLike = "reports", workers: int | None = None,
                peer_rule: str = "default", execution_timeout: float = 600.0,
                start_timeout: float = 60.0, template: str | os.PathLike | None = None,
                progress: bool = True) -> BatchResult:
    """Produce the report of each municipality (see the module docstring for the layout).

    Parameters
    ----------
    municipalities : list of str, optional
        ATVK codes; default every municipality of the dataset with expenditure in ``year``.
    year : int
        Report year.
    lang : {"lv", "en"}
        Report language.
    dataset : str
        Dataset folder or SQLite file; ``""`` = the embedded demo dataset.
    out : path
        Output folder.
    workers : int, optional
        Parallel worker processes; default the number of CPUs.
    peer_rule : str
        Peer-group rule passed to the template.
    execution_timeout, start_timeout : float
        Seconds a cell may run, and a kernel may take to start. [s]
    template : path, optional
        Another template with the same parameters (default: the shipped one).
    progress : bool
        Show a tqdm progress bar on stderr.

    Returns
    -------
    BatchResult
        Never raises for a failing municipality: see ``.failed`` and ``.summary()``; a batch
        stopped by SIGINT or SIGTERM returns with ``.interrupted`` set.

    Raises
    ------
    InputError
        A bad argument, code, year, or a requested municipality without data in the year.
    Interrupted
        SIGINT or SIGTERM before any report started (a ``KeyboardInterrupt``).
    """
    t0 = time.perf_counter()
    if lang not in LANGUAGES:
        raise InputError(f"costing reports: --lang must be one of {', '.join(LANGUAGES)}, "
                         f"got {lang!r}")
    if peer_rule not in PEER_RULES:
        raise InputError(f"costing reports: --peer-rule must be one of {', '.join(PEER_RULES)}, "
                         f"got {peer_rule!r}")
    if not execution_timeout > 0:
        raise InputError(f"costing reports: --timeout must be > 0 seconds, got "
                         f"{execution_timeout}")
    template = Path(template or TEMPLATE)
    if not template.exists():
        raise InputError(f"costing reports: template {template} does not exist")
    if municipalities is not None:
        validate_codes(municipalities)  # refuse a malformed code before loading anything
    with _Stop() as stop:
        ds = _load(dataset)
        codes = validate_codes(municipalities, ds)
        names = municipality_names(ds)
        codes, skipped = check_year_data(ds, year, codes, municipalities is not None, names)
        out_dir = _check_out(out)
        lang_dir = out_dir / lang
        # temporary files of killed writers (never one of a live writer: data.files)
        removed = [f for d in (lang_dir / "notebooks", lang_dir, out_dir, out_dir / "_shared")
                   for f in remove_stale_temporaries(d)]
        digest = ds.content_hash()
        shared = ensure_shared(ds, year, peer_rule, out_dir / "_shared", digest)
        sh = load_shared(shared, year, peer_rule)
        excluded = dict(getattr(sh, "excluded", None) or {})
        dataset_arg = str(Path(dataset).resolve()) if dataset else ""
        result = BatchResult(out_dir=out_dir, lang=lang, year=int(year), peer_rule=peer_rule,
                             shared_path=shared, skipped=skipped, removed_temp=removed)
        book = _Recorder(lang_dir, lang, int(year), peer_rule, digest, ds.is_illustrative,
                         names, sh.table("key_figures"))
        tasks, first = [], []
        for code in codes:
            if code in excluded:
                first.append(Outcome(code, ok=False, reason=f"excluded: {excluded[code]}",
                                     status="excluded"))
                continue
            params = {"municipality": code, "year": int(year), "lang": lang,
                      "dataset": dataset_arg, "peer_rule": peer_rule, "shared": str(shared)}
            title = label("report.title", lang, ds.labels if "labels" in ds.tables else None,
                          name=names.get(code, code), year=year)
            tasks.append(Task(code=code, title=title, parameters=params, template=str(template),
                              notebook_path=str(lang_dir / "notebooks" / f"{code}.ipynb"),
                              html_path=str(lang_dir / f"{code}.html"), lang=lang))
        for o in first:  # no kernel runs for them; an earlier run's report would be stale
            for stale in (lang_dir / f"{o.code}.html", lang_dir / "notebooks" / f"{o.code}.ipynb"):
                with contextlib.suppress(OSError):
                    stale.unlink()
        book.record(first)
        stop.raising = False
        done: dict[str, Outcome] = {o.code: o for o in first}
        if tasks:
            n_workers = max(1, min(workers or default_workers(), len(tasks)))
            _execute(tasks, n_workers, execution_timeout, start_timeout, progress, stop,
                     lambda o: (done.__setitem__(o.code, o), book.record([o])))
        result.interrupted = stop.signum
        result.outcomes = [done.get(c) or Outcome(c, ok=False, reason=kernels.INTERRUPTED,
                                                  status="interrupted") for c in codes]
        result.index_path = book.finish()
    result.seconds = time.perf_counter() - t0
    return result


class _Recorder:
    """Puts each outcome into the folder's manifest and rewrites the index (under the lock)."""

    def __init__(self, lang_dir: Path, lang: str, year: int, peer_rule: str, digest: str,
                 illustrative: bool, names: dict[str, str], key_figures):
        self.lang_dir, self.lang, self.year = lang_dir, lang, year
        self.peer_rule, self.digest, self.illustrative = peer_rule, digest, illustrative
        self.names, self.key_figures = names, key_figures
        self.index_path = lang_dir / "index.html"

    def _entry(self, o: Outcome) -> dict:
        notebook = (str(Path(o.notebook_path).relative_to(self.lang_dir))
                    if o.notebook_path else "")
        return manifest.entry(
            o.code, name=self.names.get(o.code, o.code), year=self.year, status=o.status,
            reason=o.reason, html=Path(o.html_path).name if o.ok else "", notebook=notebook,
            figures=manifest.figures_of(self.key_figures, o.code), dataset_hash=self.digest,
            peer_rule=self.peer_rule, illustrative=self.illustrative, seconds=o.seconds)

    def _index(self, entries: dict) -> None:
        self.index_path = write_index(self.lang_dir.parent, self.lang, year=self.year,
                                      illustrative=self.illustrative, entries=entries)

    def record(self, outcomes: list[Outcome]) -> None:
        """Record finished outcomes (an interrupted one leaves the folder's entry as it was)."""
        new = [self._entry(o) for o in outcomes if o.status != "interrupted"]
        if new:
            manifest.update(self.lang_dir, new, then=self._index)

    def finish(self) -> Path:
        """Reconcile the manifest with the folder and write the index once more."""
        manifest.update(self.lang_dir, (), then=self._index)
        return self.index_path


def _execute(tasks: list[Task], n_workers: int, execution_timeout: float, start_timeout: float,
             progress: bool, stop: _Stop, done: Callable[[Outcome], object]) -> None:
    """Run ``tasks``; ``done(outcome)`` for each as it finishes (never for an interrupted one
    that was not started)."""
    # the last n_workers tasks need no next kernel; earlier ones start it during their run
    for i, task in enumerate(tasks):
        task.prefetch = i < len(tasks) - n_workers
    from tqdm.auto import tqdm  # here, not at import: in a kernel it warns without ipywidgets

    bar = tqdm(total=len(tasks), desc="reports", unit="report", disable=not progress,
               file=sys.stderr)

    def finished(o: Outcome) -> None:
        if o.status == "interrupted":
            return
        done(o)
        bar.update(1)
        if not o.ok:
            bar.write(f"FAILED {o.code}: {o.reason}")

    lost_before: set[str] = set()
    remaining = tasks
    initargs = (KERNEL_NAME, execution_timeout, start_timeout)
    while remaining and not stop.signum:
        lost = _run_pool(remaining, min(n_workers, len(remaining)), initargs, stop, finished)
        if lost:  # the dead worker's temporary files, and its reports once more
            for folder in {Path(p).parent for t in tasks for p in (t.html_path,
                                                                   t.notebook_path)}:
                remove_stale_temporaries(folder)
            again = [t.code for t in lost if t.code not in lost_before]
            bar.write("a worker process died; "
                      + (f"running again: {', '.join(again)}" if again else "giving up"))
        remaining = []
        for task in lost:
            if task.code in lost_before:  # its worker died twice: the report is the cause
                finished(Outcome(task.code, ok=False, reason="worker process died twice "
                                 "while this report was running or queued"))
            else:
                lost_before.add(task.code)
                remaining.append(task)
    bar.close()


def _workers_of(pool: ProcessPoolExecutor) -> list[int]:
    procs = getattr(pool, "_processes", None) or {}
    return [p.pid for p in list(procs.values()) if p.pid]


def _signal(pids: list[int], signum: int) -> None:
    for pid in pids:
        with contextlib.suppress(OSError):
            os.kill(pid, signum)


def _run_pool(tasks: list[Task], n_workers: int, initargs: tuple, stop: _Stop,
              finished: Callable[[Outcome], None]) -> list[Task]:
    """Run ``tasks`` in one process pool; the tasks lost to a worker that died.

    Waits in short steps so a stop signal is acted on at once: queued reports are cancelled,
    the workers get SIGTERM (they kill their kernels: the reports running end as
    "interrupted"), and after :data:`STOP_WAIT` seconds any worker still there is killed.
    """
    # fork (Linux): workers start at once, share the parent's imports and need no __main__
    # guard in the caller's script; init_worker gives each its own signal handlers and loop
    method = "fork" if sys.platform.startswith("linux") else "spawn"
    pool = ProcessPoolExecutor(max_workers=n_workers, mp_context=get_context(method),
                               initializer=init_worker, initargs=initargs)
    lost: list[Task] = []
    stopped_at = None
    try:
        futures = {pool.submit(run_task, t): t for t in tasks}
        pending = set(futures)
        while pending:
            ready, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
            for fut in ready:
                task = futures[fut]
                if fut.cancelled():
                    continue
                exc = fut.exception()
                if exc is None:
                    finished(fut.result())
                elif isinstance(exc, BrokenProcessPool):
                    lost.append(task)
                else:
                    finished(Outcome(task.code, ok=False, reason=f"worker failed: "
                                     f"{type(exc).__name__}: {exc}"))
            if stop.signum and stopped_at is None:
                stopped_at = time.monotonic()
                pending = {f for f in pending if not f.cancel()}
                _signal(_workers_of(pool), signal.SIGTERM)
            elif stopped_at is not None and time.monotonic() - stopped_at > STOP_WAIT:
                _signal(_workers_of(pool), signal.SIGKILL)
                break
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return [] if stop.signum else lost


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add the ``reports`` command to the ``costing`` command line."""
    p = subparsers.add_parser(
        "reports", help="write every municipality's report (HTML + executed notebook)",
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--municipality", nargs="+", metavar="CODE",
                   help="ATVK code(s), e.g. LV0001000 (default: all in the dataset)")
    p.add_argument("--year", type=int, default=2024, help="report year (default 2024)")
    p.add_argument("--lang", choices=LANGUAGES, default="lv", help="language (default lv)")
    p.add_argument("--dataset", default="", metavar="PATH",
                   help="dataset folder or SQLite file (default: the demo dataset)")
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help=f"parallel workers (default: number of CPUs, here {default_workers()})")
    p.add_argument("--out", default="reports", metavar="DIR",
                   help="output folder (default reports)")
    p.add_argument("--peer-rule", default="default", choices=PEER_RULES,
                   help="peer-group rule (default: default)")
    p.add_argument("--timeout", type=float, default=600.0, metavar="S",
                   help="seconds one notebook cell may run (default 600)")
    p.add_argument("--template", default=None, metavar="IPYNB",
                   help="another report template with the same parameters")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_command)
    return p


def _command(args: argparse.Namespace) -> int:
    if args.workers is not None and args.workers < 1:
        print("costing reports: --workers must be >= 1", file=sys.stderr)
        return 2
    try:
        result = run_reports(args.municipality, year=args.year, lang=args.lang,
                             dataset=args.dataset, out=args.out, workers=args.workers,
                             peer_rule=args.peer_rule, execution_timeout=args.timeout,
                             template=args.template, progress=not args.no_progress)
    except DataValidationError as exc:
        errs = exc.errors
        if len(errs) == 1 and errs["rule"].iloc[0] in ("path_not_found", "not_a_dataset"):
            print(f"error: --dataset {errs['message'].iloc[0]}", file=sys.stderr)
            return 2
        text = str(exc).replace("(see .errors)", f"(run 'costing validate {args.dataset}' for "
                                "the full list)")
        print(f"error: the dataset is not valid, no report written.\n{text}", file=sys.stderr)
        return 2
    except (CostingError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:  # a signal before any report started
        print("interrupted: no report written", file=sys.stderr)
        return 128 + getattr(exc, "signum", signal.SIGINT)
    print(result.summary())
    return result.exit_code
