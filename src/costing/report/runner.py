"""Per-municipality reports: run the papermill template once per municipality, in parallel.

``costing reports`` (and :func:`run_reports`) does, for one dataset, year and language:

1. validates every requested municipality code (strict pattern and present in the dataset)
   before it becomes part of a file name; a bad code stops the batch before anything runs;
2. computes what every report shares (full and unit costs, indicators, peer statistics, models,
   efficiency) **once**, into ``<out>/_shared/<dataset hash>_<year>_<peer rule>.pkl``;
3. executes the template (:data:`TEMPLATE`, shipped in the package) for each municipality in a
   process pool (warm kernels, see :mod:`costing.report.kernels`) with a progress bar; one
   municipality's failure never stops the others;
4. writes, atomically, ``<out>/<lang>/<CODE>.html`` (self-contained, code hidden),
   ``<out>/<lang>/notebooks/<CODE>.ipynb`` (the executed record, kept for failures too) and
   ``<out>/<lang>/index.html`` (every municipality with key figures and a link).

Output layout::

    <out>/index.html                 links to each language's index
    <out>/<lang>/index.html          municipalities, key figures, links, failures
    <out>/<lang>/<CODE>.html         one report
    <out>/<lang>/notebooks/<CODE>.ipynb   its executed notebook (the record)
    <out>/_shared/<hash>_<year>_<rule>.pkl  shared results of the batch
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

from tqdm.auto import tqdm

from ..data.dataset import demo_dataset, load_dataset
from ..data.municipalities import municipality_names, validate_codes
from ..errors import CostingError, DataValidationError, InputError
from .index import write_index
from .kernels import KERNEL_NAME, Outcome, Task, init_worker, run_task
from .labels import LANGUAGES, label
from .shared import ensure_shared

#: The papermill template, shipped inside the package.
TEMPLATE = Path(__file__).resolve().parent / "template" / "municipality_report.ipynb"
@dataclass
class BatchResult:
    """Outcome of a batch: one :class:`costing.report.kernels.Outcome` per municipality."""

    out_dir: Path
    lang: str
    year: int
    peer_rule: str = "default"
    outcomes: list[Outcome] = field(default_factory=list)
    index_path: Path | None = None
    shared_path: Path | None = None
    seconds: float = 0.0

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok]

    @property
    def ok(self) -> bool:
        return not self.failed

    def summary(self) -> str:
        """Plain-text summary naming every failed municipality with its reason."""
        n, bad = len(self.outcomes), self.failed
        lines = [f"{n - len(bad)} of {n} reports written to {self.out_dir / self.lang} "
                 f"in {self.seconds:.1f} s; index: {self.index_path}"]
        for o in bad:
            record = f" (notebook kept: {o.notebook_path})" if o.notebook_path else ""
            lines.append(f"FAILED {o.code}: {o.reason}{record}")
        return "\n".join(lines)


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


def run_reports(municipalities=None, *, year: int = 2024, lang: str = "lv", dataset: str = "",
                out: str | os.PathLike = "reports", workers: int | None = None,
                peer_rule: str = "default", execution_timeout: float = 600.0,
                start_timeout: float = 60.0, template: str | os.PathLike | None = None,
                progress: bool = True) -> BatchResult:
    """Produce the report of each municipality (see the module docstring for the layout).

    Parameters
    ----------
    municipalities : list of str, optional
        ATVK codes; default every municipality of the dataset.
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
        Never raises for a failing municipality: see ``.failed`` and ``.summary()``.
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
    ds = _load(dataset)
    codes = validate_codes(municipalities, ds)
    out_dir = _check_out(out)
    lang_dir = out_dir / lang
    shared = ensure_shared(ds, year, peer_rule, out_dir / "_shared",
                                       ds.content_hash())
    dataset_arg = str(Path(dataset).resolve()) if dataset else ""
    names = municipality_names(ds)
    tasks = []
    for code in codes:
        params = {"municipality": code, "year": int(year), "lang": lang, "dataset": dataset_arg,
                  "peer_rule": peer_rule, "shared": str(shared)}
        title = label("report.title", lang, ds.labels if "labels" in ds.tables else None,
                      name=names.get(code, code), year=year)
        tasks.append(Task(code=code, title=title, parameters=params, template=str(template),
                          notebook_path=str(lang_dir / "notebooks" / f"{code}.ipynb"),
                          html_path=str(lang_dir / f"{code}.html"), lang=lang))
    n_workers = max(1, min(workers or default_workers(), len(tasks)))
    result = BatchResult(out_dir=out_dir, lang=lang, year=int(year), peer_rule=peer_rule,
                         shared_path=shared)
    result.outcomes = _execute(tasks, n_workers, execution_timeout, start_timeout, progress)
    result.index_path = write_index(ds, shared, result, names)
    result.seconds = time.perf_counter() - t0
    return result


def _execute(tasks: list[Task], n_workers: int, execution_timeout: float, start_timeout: float,
             progress: bool) -> list[Outcome]:
    # the last n_workers tasks need no next kernel; earlier ones start it during their run
    for i, task in enumerate(tasks):
        task.prefetch = i < len(tasks) - n_workers
    outcomes: dict[str, Outcome] = {}
    bar = tqdm(total=len(tasks), desc="reports", unit="report", disable=not progress,
               file=sys.stderr)
    # fork (Linux): workers start at once, share the parent's imports and need no __main__ guard
    # in the caller's script; the parent holds no kernel, socket or thread at this point
    method = "fork" if sys.platform.startswith("linux") else "spawn"
    with ProcessPoolExecutor(max_workers=n_workers, mp_context=get_context(method),
                             initializer=init_worker,
                             initargs=(KERNEL_NAME, execution_timeout, start_timeout)) as pool:
        futures = {pool.submit(run_task, t): t for t in tasks}
        for fut in as_completed(futures):
            task = futures[fut]
            try:
                outcomes[task.code] = fut.result()
            except Exception as exc:  # the worker process itself died
                outcomes[task.code] = Outcome(task.code, ok=False,
                                              reason=f"worker failed: {type(exc).__name__}: {exc}")
            bar.update(1)
            if not outcomes[task.code].ok:
                bar.write(f"FAILED {task.code}: {outcomes[task.code].reason}")
    bar.close()
    return [outcomes[t.code] for t in tasks]


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
    print(result.summary())
    return 0 if result.ok else 1
