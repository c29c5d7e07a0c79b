"""The manifest of a report folder: what ``<out>/<lang>/`` holds, one entry per municipality.

``<out>/<lang>/manifest.json`` records, for every municipality a batch has written into the
folder, the outcome of its latest report: status (``ok``, ``failed`` or ``excluded``), the
reason, the key figures the index shows, the file names, when and from which dataset. The batch
updates it after each report, so the index (:func:`costing.report.index.write_index`) lists
every report in the folder, whichever batch wrote it: a second batch into the same folder, or
two at once, add to the index instead of replacing it.

Every read-modify-write holds an exclusive lock (:func:`fcntl.flock` on
``<out>/<lang>/.manifest.lock``) and replaces the file atomically, so concurrent batches never
lose each other's entries and a reader never sees half a file. An ``ok`` entry whose HTML file
is gone is dropped; a report in the folder without an entry (written by an older version, or by
a batch killed before it could record it) is taken in with what its file name tells.

Entry fields: ``code, name, year, status, reason, html, notebook, figures`` (``population,
full_cost_eur, full_cost_per_capita_eur``; ``None`` when unknown), ``time`` (UTC),
``dataset_hash, peer_rule, illustrative, seconds``.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import fcntl
import json
import math
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path

from ..data.files import atomic_write

MANIFEST_NAME = "manifest.json"
LOCK_NAME = ".manifest.lock"
FORMAT = 1
#: Key figures kept per municipality (columns of the shared ``key_figures`` table).
FIGURES = ("population", "full_cost_eur", "full_cost_per_capita_eur")
#: Statuses an entry can have.
STATUSES = ("ok", "failed", "excluded")

_REPORT = re.compile(r"^(?P<code>LV\d{7})\.html$")


@contextlib.contextmanager
def locked(lang_dir: str | os.PathLike) -> Iterator[None]:
    """Hold the folder's manifest lock (exclusive, blocking) for the ``with`` block."""
    lang_dir = Path(lang_dir)
    lang_dir.mkdir(parents=True, exist_ok=True)
    with open(lang_dir / LOCK_NAME, "a+b") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def _number(value) -> float | None:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def figures_of(key_figures, code: str) -> dict[str, float | None]:
    """The key figures of ``code`` from the shared ``key_figures`` table (``None`` if absent)."""
    row = None
    if key_figures is not None and code in key_figures.index:
        row = key_figures.loc[code]
    return {name: _number(row.get(name)) if row is not None else None for name in FIGURES}


def entry(code: str, *, name: str, year: int | None, status: str, reason: str = "", html: str = "",
          notebook: str = "", figures: Mapping[str, float | None] | None = None,
          dataset_hash: str = "", peer_rule: str = "", illustrative: bool = False,
          seconds: float = 0.0, time: str = "") -> dict:
    """One manifest entry (plain JSON data); ``html`` and ``notebook`` relative to the folder."""
    if status not in STATUSES:
        raise ValueError(f"manifest entry {code}: status must be one of {STATUSES}, "
                         f"got {status!r}")
    return {"code": code, "name": name, "year": None if year is None else int(year),
            "status": status, "reason": reason, "html": html, "notebook": notebook,
            "figures": {k: _number((figures or {}).get(k)) for k in FIGURES},
            "time": time or _now(), "dataset_hash": dataset_hash, "peer_rule": peer_rule,
            "illustrative": bool(illustrative), "seconds": round(float(seconds), 2)}


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _mtime(path: Path) -> str:
    stamp = _dt.datetime.fromtimestamp(path.stat().st_mtime, _dt.UTC).replace(microsecond=0)
    return stamp.isoformat().replace("+00:00", "Z")


def read(lang_dir: str | os.PathLike) -> dict[str, dict]:
    """The folder's entries by code, reconciled with the files present (no lock taken).

    An unreadable manifest counts as empty: the reports present are taken in again.
    """
    lang_dir = Path(lang_dir)
    entries: dict[str, dict] = {}
    with contextlib.suppress(OSError, ValueError, TypeError, AttributeError):
        blob = json.loads((lang_dir / MANIFEST_NAME).read_text(encoding="utf-8"))
        if blob.get("format") == FORMAT:
            entries = {str(k): dict(v) for k, v in blob["entries"].items()
                       if isinstance(v, dict) and v.get("status") in STATUSES}
    return _reconcile(lang_dir, entries)


def _reconcile(lang_dir: Path, entries: dict[str, dict]) -> dict[str, dict]:
    """Drop ok entries whose report is gone, take in reports without an entry; sorted."""
    # an ok entry whose report is gone is dropped
    entries = {code: e for code, e in entries.items()
               if e["status"] != "ok" or (lang_dir / str(e.get("html", ""))).is_file()}
    # a report present without an entry is taken in
    if lang_dir.is_dir():
        for f in sorted(lang_dir.iterdir()):
            m = _REPORT.match(f.name)
            if m and m["code"] not in entries and f.is_file():
                nb = Path("notebooks") / f"{m['code']}.ipynb"
                entries[m["code"]] = entry(
                    m["code"], name=m["code"], year=None, status="ok", html=f.name,
                    notebook=str(nb) if (lang_dir / nb).is_file() else "", time=_mtime(f))
    return dict(sorted(entries.items()))


def _write(lang_dir: Path, entries: Mapping[str, dict]) -> None:
    blob = {"format": FORMAT, "entries": dict(sorted(entries.items()))}
    atomic_write(lang_dir / MANIFEST_NAME, json.dumps(blob, ensure_ascii=False, indent=1) + "\n")


def update(lang_dir: str | os.PathLike, new: Iterable[dict] = (),
           then: Callable[[dict[str, dict]], object] | None = None) -> dict[str, dict]:
    """Add or replace ``new`` entries, under the lock; ``then(entries)`` runs under it too.

    Returns every entry of the folder after the update (see :func:`read`).
    """
    lang_dir = Path(lang_dir)
    with locked(lang_dir):
        entries = read(lang_dir)
        for e in new:
            entries[e["code"]] = e
        entries = _reconcile(lang_dir, entries)
        _write(lang_dir, entries)
        if then is not None:
            then(entries)
    return entries
