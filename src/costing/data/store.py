"""SQLite store of a validated dataset (``costing db build DATASET --db FILE.sqlite``).

The database holds one table per data-model table (dataset tables that were given, and every
reference table, so the file is self-contained), plus

``_schema_version``  version of the table layout, library version and build time (UTC);
``_metadata``        the dataset's ``metadata.json`` as one JSON text;
``provenance``       the dataset's ``provenance.csv`` when there is one.

Writing is all or nothing: the database is written to a temporary file in the target folder in
one transaction and moved into place with :func:`os.replace`; a failure, or a build killed
mid-way, leaves any previous file untouched, and the next build removes the temporary file a
killed one left behind (:func:`costing.data.files.remove_stale_temporaries`).
:func:`costing.load_dataset` reads the file back through the same validation as CSV.
"""

from __future__ import annotations

import errno
import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from .._version import __version__
from ..errors import InputError
from .dataset import Dataset, load_dataset
from .files import atomic_target, remove_stale_temporaries, write_error
from .readers import SQLITE_MAGIC, SQLITE_SUFFIXES
from .schema import PROVENANCE, SCHEMA_VERSION, SCHEMAS, TableSchema

_SQL_TYPES = {"int": "INTEGER", "float": "REAL", "bool": "INTEGER", "date": "TEXT",
              "str": "TEXT", "code": "TEXT"}


def _ddl(schema: TableSchema) -> str:
    cols = ", ".join(f'"{c.name}" {_SQL_TYPES[c.kind]}{" NOT NULL" if c.required else ""}'
                     for c in schema.columns)
    key = ", ".join(f'"{k}"' for k in schema.key)
    return f'CREATE TABLE "{schema.name}" ({cols}, PRIMARY KEY ({key}))'


def _records(df: pd.DataFrame, schema: TableSchema) -> list[tuple]:
    """Rows as tuples of plain Python values (dates as ISO text, bools as 0/1, NaN as NULL)."""
    cols = {}
    for c in schema.columns:
        s = df[c.name]
        if c.kind == "date":
            s = s.dt.strftime("%Y-%m-%d")
        elif c.kind == "bool":
            s = s.astype("Int64")
        obj = s.astype(object)
        cols[c.name] = obj.where(s.notna(), None).tolist()
    return list(zip(*cols.values(), strict=True)) if cols else []


def write_sqlite(ds: Dataset, db: str | Path) -> Path:
    """Write a validated dataset to a SQLite file atomically.

    The database is written to a temporary file next to ``db`` (named as
    :func:`costing.data.files.new_temporary` names them) and moved onto ``db`` only when
    complete: a failure, or a process killed mid-way, never leaves a half-written database in
    place of ``db``. Temporary files that killed builds left in the folder are removed first.

    Parameters
    ----------
    ds : Dataset
        A dataset returned by :func:`costing.load_dataset` (hence already valid).
    db : str or pathlib.Path
        Target file; replaced only when the whole database has been written.

    Returns
    -------
    pathlib.Path
        The database path.

    Raises
    ------
    InputError
        If the file cannot be written (full disk, no permission, ...): the message names the
        file, the reason and what to do; the previous file, if any, is unchanged.
    """
    db = check_target(db)
    kept = "the previous file is unchanged" if db.exists() else "nothing was written"
    remove_stale_temporaries(db.parent)
    try:
        with atomic_target(db) as tmp:
            _fill(tmp, ds)
    except OSError as exc:  # a WriteError from atomic_target, naming the file
        raise InputError(f"cannot write the database: {exc} ({kept})") from None
    except sqlite3.Error as exc:
        code = _SQLITE_ERRNO.get(getattr(exc, "sqlite_errorcode", -1) & 0xFF)
        if code is None:
            raise
        err = write_error(OSError(code, str(exc)), db)
        raise InputError(f"cannot write the database: {err} ({kept})") from None
    return db


#: SQLite primary result codes that are the file system's doing, as errno values.
_SQLITE_ERRNO = {sqlite3.SQLITE_FULL: errno.ENOSPC, sqlite3.SQLITE_IOERR: errno.EIO,
                 sqlite3.SQLITE_READONLY: errno.EROFS, sqlite3.SQLITE_CANTOPEN: errno.EACCES,
                 sqlite3.SQLITE_PERM: errno.EACCES}


def _fill(tmp: Path, ds: Dataset) -> None:
    """Write the whole database into the empty file ``tmp``."""
    con = sqlite3.connect(tmp)
    try:
        # the rollback journal in memory: no second temporary file, and the file is thrown
        # away on failure anyway
        con.execute("PRAGMA journal_mode = MEMORY")
        with con:  # one transaction: commit on success, roll back on error
            con.execute("CREATE TABLE _schema_version (version INTEGER NOT NULL, "
                        "library_version TEXT NOT NULL, built_utc TEXT NOT NULL)")
            con.execute("INSERT INTO _schema_version VALUES (?, ?, ?)",
                        (SCHEMA_VERSION, __version__,
                         datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")))
            con.execute("CREATE TABLE _metadata (json TEXT NOT NULL)")
            con.execute("INSERT INTO _metadata VALUES (?)",
                        (json.dumps(ds.metadata, ensure_ascii=False, sort_keys=True),))
            names = [n for n, s in SCHEMAS.items() if s.reference or n in ds.present]
            for name in names:
                _write_table(con, ds.tables[name], SCHEMAS[name])
            if len(ds.provenance):
                _write_table(con, ds.provenance, PROVENANCE)
    finally:
        con.close()


def check_target(db: str | Path) -> Path:
    """Refuse a database path that would destroy something.

    The target must be named ``*.sqlite`` (``.sqlite3``, ``.db``) and, if it exists, be a SQLite
    file: never a folder, nor a CSV file of the dataset given by mistake.

    Raises
    ------
    InputError
        With the reason and what to pass instead.
    """
    db = Path(db)
    if db.suffix.lower() not in SQLITE_SUFFIXES:
        raise InputError(f"--db {db}: a database file name must end in .sqlite (e.g. "
                         f"{db.with_suffix('.sqlite').name}); refusing to write {db.name}")
    if db.is_dir():
        raise InputError(f"--db {db} is a folder; give a file name such as {db / 'data.sqlite'}")
    if db.exists() and not is_sqlite_file(db):
        raise InputError(f"--db {db} exists and is not a SQLite database; refusing to overwrite "
                         "it (delete it or choose another name)")
    return db


def is_sqlite_file(path: Path) -> bool:
    """Whether ``path`` starts with the SQLite header (an empty file counts: nothing to lose)."""
    try:
        with path.open("rb") as fh:
            head = fh.read(16)
    except OSError:
        return False
    return head in (SQLITE_MAGIC, b"")


def _write_table(con: sqlite3.Connection, df: pd.DataFrame, schema: TableSchema) -> None:
    con.execute(_ddl(schema))
    marks = ", ".join("?" * len(schema.columns))
    con.executemany(f'INSERT INTO "{schema.name}" VALUES ({marks})', _records(df, schema))


def build_database(dataset: str | Path, db: str | Path) -> Path:
    """Validate the dataset at ``dataset`` and write it to the SQLite file ``db``.

    Raises :class:`~costing.errors.DataValidationError` (and writes nothing) if it is invalid.
    """
    return write_sqlite(load_dataset(dataset), db)
