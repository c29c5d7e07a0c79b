"""File-system helpers shared by the writers (reports, SQLite store, CSV and workbook files).

Three promises hold for every file written through this module:

- **Atomic replacement.** A file is written to a temporary file in the target folder and moved
  onto the target with :func:`os.replace`, with the permissions an ordinary file would have: a
  reader sees the old file or the new one, never a half-written one, and a failed write leaves
  the old file intact.
- **Clear failures.** An :class:`OSError` while writing (a full disk, a read-only folder, ...)
  becomes a :class:`WriteError` whose message names the target file, the reason and what to do
  ("no space left on device while writing reports/lv/LV0001000.html; free some space and run
  again"); the temporary file is removed.
- **No leftovers.** Temporary files have one recognisable name,
  ``.<target name>.pid<pid>-<host>.<random>.tmp[<extra suffix>]``, so that
  :func:`remove_stale_temporaries` can remove those a killed process left behind (its pid is no
  longer alive) without ever touching a file a live process is writing. It runs once per process
  for each folder :func:`atomic_target` writes into (and on every ``costing db build``).

Cells a spreadsheet would execute
---------------------------------
A CSV or workbook for people to open in a spreadsheet must not hold a text cell that the
spreadsheet runs as a formula (OWASP "CSV injection"): :func:`safe_text` prefixes text that
starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return with a single quote ``'``.
Numbers are not text and stay as they are; so does text that is a plain number (``"-5"``,
``"+1.5e3"``), which a spreadsheet reads as that number and never as a formula, so that a
problem list still shows a negative amount as ``-5``. :func:`safe_cells` applies the rule to a
whole table (values and column names) and :func:`write_csv` writes a table through it;
:func:`safe_row` is the same for a row of workbook cells. Every CSV or workbook the library
writes for users goes through them (``tests/data/test_safe_cells.py`` checks the source).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import socket
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd

#: First characters that make a spreadsheet read a text cell as a formula (OWASP).
DANGEROUS_FIRST = ("=", "+", "-", "@", "\t", "\r")
#: Text that is a plain number: a spreadsheet reads it as that number, never as a formula.
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")

#: Temporary files older than this [h] are stale when their writer is unknown (no pid in the
#: name, or a pid of another computer).
STALE_AFTER_HOURS = 12.0
_TAIL = r"\.tmp(?:[.-][A-Za-z0-9]+)*"  # .tmp, .tmp.ipynb, .tmp-journal (SQLite)
#: ``.<target>.pid<pid>-<host>.<random>.tmp...``: the temporaries of this module.
TEMPORARY_NAME = re.compile(
    rf"\.(?P<target>.+)\.pid(?P<pid>\d+)-(?P<host>[0-9a-f]{{6}})\.[^.]+{_TAIL}")
#: ``.<target>.<8 random characters>.tmp...``: ``tempfile.mkstemp(prefix=f".{name}.",
#: suffix=".tmp...")`` as earlier versions named them (report batches of earlier versions:
#: ``.<target>.<pid>.<8 characters>.tmp...``, matched too: the pid counts as part of the target).
_UNMARKED_NAME = re.compile(rf"\.(?P<target>.+)\.[a-z0-9_]{{8}}{_TAIL}")
_CLEANED: set[str] = set()  # folders cleaned by this process


class WriteError(OSError):
    """A file could not be written; the message names the file, the reason and what to do.

    An :class:`OSError` (so ``except OSError`` still catches it) with the original ``errno``;
    ``filename`` is the target, ``strerror`` and ``str()`` the whole message.
    """

    def __str__(self) -> str:
        return str(self.strerror)


_REASONS = {
    errno.ENOSPC: ("no space left on device", "free some space and run again"),
    errno.EDQUOT: ("disk quota exceeded", "free some space (or ask for a larger quota) and run "
                   "again"),
    errno.EACCES: ("permission denied", "choose a folder you may write to, or close the program "
                   "that holds the file open"),
    errno.EPERM: ("permission denied", "choose a folder you may write to, or close the program "
                  "that holds the file open"),
    errno.EROFS: ("the file system is read-only", "choose a folder you may write to"),
    errno.ENOTDIR: ("a file stands where a folder is needed", "choose another place"),
    errno.EEXIST: ("a file stands where a folder is needed", "choose another place"),
    errno.EISDIR: ("a folder of that name exists", "choose another file name"),
    errno.ENAMETOOLONG: ("the file name is too long", "choose a shorter name or folder"),
    errno.EFBIG: ("the file is too large for this file system", "write to another disk"),
    errno.EIO: ("input/output error (the disk or network drive failed)", "check the disk and run "
                "again"),
}


def write_error(exc: OSError, path: str | os.PathLike) -> WriteError:
    """The :class:`WriteError` for ``exc`` raised while writing ``path`` (returned, not raised).

    Examples
    --------
    >>> import errno
    >>> str(write_error(OSError(errno.ENOSPC, "No space left on device"), "reports/a.html"))
    'no space left on device while writing reports/a.html; free some space and run again'
    """
    if isinstance(exc, WriteError):
        return exc
    reason, advice = _REASONS.get(exc.errno, (None, "check the folder and run again"))
    if reason is None:
        text = exc.strerror or str(exc) or type(exc).__name__
        reason = text[:1].lower() + text[1:]
    return WriteError(exc.errno, f"{reason} while writing {os.fspath(path)}; {advice}",
                      os.fspath(path))


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def publish(tmp: str | os.PathLike, path: str | os.PathLike) -> None:
    """Move the finished temporary file ``tmp`` onto ``path`` atomically (:func:`os.replace`).

    ``tempfile.mkstemp`` creates files readable by their owner only; a report or database is
    meant to be read by others too, so the file gets the mode a plain ``open(path, "w")`` would
    give (0666 less the umask) before it replaces the old one.
    """
    os.chmod(tmp, 0o666 & ~_umask())
    os.replace(tmp, path)


# --- temporary files -------------------------------------------------------------------------

def _host_tag() -> str:
    return hashlib.sha256(socket.gethostname().encode()).hexdigest()[:6]


def temporary_prefix(path: str | os.PathLike) -> str:
    """The start of a temporary file name for ``path``: ``.<name>.pid<pid>-<host>.``.

    For writers that create their temporary file themselves, e.g.
    ``tempfile.mkstemp(prefix=temporary_prefix(target), suffix=".tmp.ipynb", dir=folder)``: the
    name then matches :data:`TEMPORARY_NAME` and :func:`remove_stale_temporaries` knows whose
    it is. The suffix must start with ``.tmp``.
    """
    return f".{Path(path).name}.pid{os.getpid()}-{_host_tag()}."


def new_temporary(path: str | os.PathLike, suffix: str = ".tmp") -> Path:
    """Create an empty temporary file for ``path`` in its folder (created if needed).

    The folder's stale temporaries are removed first (once per process). The caller writes the
    file, then :func:`publish` es it onto ``path`` or removes it.

    Raises
    ------
    WriteError
        If the folder or the file cannot be created (naming ``path``).
    """
    if not suffix.startswith(".tmp"):
        raise ValueError(f"new_temporary: suffix must start with '.tmp', got {suffix!r}")
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _clean_once(path.parent)
        fd, tmp = tempfile.mkstemp(prefix=temporary_prefix(path), suffix=suffix, dir=path.parent)
    except OSError as exc:
        raise write_error(exc, path) from None
    os.close(fd)
    return Path(tmp)


@contextlib.contextmanager
def atomic_target(path: str | os.PathLike, suffix: str = ".tmp") -> Iterator[Path]:
    """Context manager: a temporary file to write, moved onto ``path`` when the block succeeds.

    If the block raises, the temporary file is removed and ``path`` is left as it was; an
    :class:`OSError` becomes a :class:`WriteError` naming ``path``.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "book.xlsx"
    >>> with atomic_target(target) as tmp:
    ...     _ = tmp.write_bytes(b"...")          # e.g. workbook.save(tmp)
    >>> target.read_bytes()
    b'...'
    """
    tmp = new_temporary(path, suffix)
    try:
        yield tmp
        publish(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise write_error(exc, path) from None
        raise


def _write_file(tmp: Path, data: str | bytes) -> None:
    """Write ``data`` (text as UTF-8) to ``tmp``."""
    if isinstance(data, bytes):
        tmp.write_bytes(data)
    else:
        with tmp.open("w", encoding="utf-8") as f:
            f.write(data)


def atomic_write(path: str | os.PathLike, data: str | bytes) -> None:
    """Write ``data`` to ``path`` atomically: a temporary file in the same folder, then
    :func:`os.replace` (readers see the old file or the new one, never a half-written one).

    Raises
    ------
    WriteError
        If it cannot be written (full disk, no permission, ...): the message names ``path``;
        the old file is intact and no temporary file is left.
    """
    with atomic_target(path) as tmp:
        _write_file(tmp, data)


def _pid_alive(pid: int, written: float) -> bool | None:
    """Whether process ``pid`` of this computer may still be writing a file last written at
    ``written`` (epoch seconds): it exists and (where Linux tells) started before then.
    ``None`` where it cannot be known (Windows, whose ``os.kill`` would stop the process)."""
    if os.name == "nt":
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's process: alive
    except (OSError, OverflowError, ValueError):  # e.g. a pid out of range: no such process
        return False
    start = _process_start(pid)
    return start is None or start <= written + 60  # a pid reused after the write is not it


def _process_start(pid: int) -> float | None:
    """Start time (epoch seconds) of process ``pid`` from ``/proc`` (Linux); ``None`` elsewhere."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        boot = next(int(line.split()[1]) for line in
                    Path("/proc/stat").read_text().splitlines() if line.startswith("btime "))
        ticks = int(stat.rsplit(")", 1)[1].split()[19])  # field 22, starttime
        return boot + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, StopIteration, ValueError, IndexError):
        return None


def remove_stale_temporaries(folder: str | os.PathLike, *,
                             max_age_hours: float = STALE_AFTER_HOURS,
                             now: float | None = None) -> list[Path]:
    """Remove the temporary files that interrupted writes left in ``folder``.

    A file is a temporary if its name matches :data:`TEMPORARY_NAME` (written by this module,
    or by a writer that named it with :func:`temporary_prefix`) or the unmarked
    ``.<name>.<8 characters>.tmp...`` of ``tempfile.mkstemp(prefix=f".{name}.",
    suffix=".tmp...")``. It is stale, and removed, if

    - its writer's pid (in the name, same computer) is no longer alive, or alive but started
      after the file was last written (a reused pid); a file of a live writer is never removed;
    - or its writer is unknown (unmarked name, written from another computer into a shared
      folder, or on Windows, where a pid cannot be checked safely) and it was last modified
      more than ``max_age_hours`` ago.

    Only regular files directly in ``folder`` are considered; nothing else is touched. Removal
    is best effort: a file that cannot be removed is skipped, and a missing folder is no error.

    Parameters
    ----------
    folder : str or os.PathLike
        The folder to clean (e.g. the target folder of a database or of the reports).
    max_age_hours : float
        Age [h] after which a temporary of an unknown writer is stale.
    now : float, optional
        The current time (epoch seconds); default :func:`time.time`.

    Returns
    -------
    list of pathlib.Path
        The files removed.
    """
    now = time.time() if now is None else now
    host = _host_tag()
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        marked = TEMPORARY_NAME.fullmatch(entry.name)
        if marked is None and _UNMARKED_NAME.fullmatch(entry.name) is None:
            continue
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            written = entry.stat(follow_symlinks=False).st_mtime
        except OSError:
            continue
        alive = _pid_alive(int(marked["pid"]), written) \
            if marked is not None and marked["host"] == host else None
        stale = now - written > max_age_hours * 3600 if alive is None else not alive
        if stale:
            try:
                os.unlink(entry.path)
            except OSError:
                continue
            removed.append(Path(entry.path))
    return removed


def _clean_once(folder: Path) -> None:
    """:func:`remove_stale_temporaries` on ``folder`` the first time this process writes there."""
    key = str(folder.resolve())
    if key not in _CLEANED:
        _CLEANED.add(key)
        remove_stale_temporaries(folder)


# --- cells a spreadsheet would execute -------------------------------------------------------

def safe_text(value: Any) -> Any:
    """``value`` with a ``'`` in front if it is text a spreadsheet would run as a formula.

    Text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets the prefix,
    unless it is a plain number (``"-5"``, ``"+1.5e3"``). Anything else (numbers, dates,
    missing values, other text, text already starting with ``'``) is returned unchanged.

    Examples
    --------
    >>> safe_text('=HYPERLINK("http://x","y")')
    '\\'=HYPERLINK("http://x","y")'
    >>> safe_text("-2+3"), safe_text("-5"), safe_text(-5), safe_text("ADMIN")
    ("'-2+3", '-5', -5, 'ADMIN')
    """
    if isinstance(value, str) and value[:1] in DANGEROUS_FIRST and \
            not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    """A row of cells for a workbook (``worksheet.append(safe_row(...))``) through
    :func:`safe_text`: no cell is a formula (openpyxl stores text starting with ``=`` as one)."""
    return [safe_text(v) for v in values]


def _is_text(dtype: Any) -> bool:
    return pd.api.types.is_object_dtype(dtype) or isinstance(
        dtype, pd.StringDtype | pd.CategoricalDtype)


def safe_cells(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` with every text cell and column name passed through :func:`safe_text`.

    Text columns (object, string, categorical) are checked cell by cell; numeric, boolean and
    date columns are left as they are. The index is treated the same way when it holds text.

    Examples
    --------
    >>> import pandas as pd
    >>> safe_cells(pd.DataFrame({"value": ["=1+1", "-5", None], "n": [-5, 2, 3]}))
       value  n
    0  '=1+1 -5
    1     -5  2
    2    NaN  3
    """
    out = df.copy()
    for i in range(out.shape[1]):
        col = out.iloc[:, i]
        if _is_text(col.dtype):
            cells = [safe_text(v) for v in col.to_numpy(dtype=object)]
            out.isetitem(i, pd.Series(cells, index=out.index, dtype=object))
    if not isinstance(out.columns, pd.MultiIndex):
        out.columns = out.columns.map(safe_text)
    if _is_text(out.index.dtype) and not isinstance(out.index, pd.MultiIndex):
        out.index = out.index.map(safe_text)
    return out


def write_csv(df: pd.DataFrame, path: str | os.PathLike, *, index: bool = False,
              encoding: str = "utf-8", **options: Any) -> Path:
    """Write ``df`` as CSV to ``path`` for people to open: atomically, through :func:`safe_cells`.

    Parameters
    ----------
    df : pandas.DataFrame
        The table.
    path : str or os.PathLike
        Target file; its folder is created if needed. Replaced only once fully written.
    index : bool
        Whether to write the index (default no).
    encoding : str
        Text encoding (default UTF-8).
    **options
        Other arguments of :meth:`pandas.DataFrame.to_csv` (``float_format``, ...).

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    WriteError
        If it cannot be written; the message names ``path``, the old file is intact.
    """
    path = Path(path)
    with atomic_target(path) as tmp:
        safe_cells(df).to_csv(tmp, index=index, encoding=encoding, **options)
    return path
