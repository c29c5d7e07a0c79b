"""The comparative dataset: loading, the :class:`Dataset` object and the shipped reference tables.

A dataset is a folder of UTF-8 CSV files (one table each) or a SQLite file written by
``costing db build``. Reference tables (municipalities, EKK codes, services, ...) ship inside the
package in ``costing/reference/``; a dataset file of the same name replaces the shipped table.
See ``docs/data-model.md`` for every table, column and rule.
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Mapping
from functools import cache, lru_cache
from pathlib import Path

import pandas as pd

from ..errors import DataValidationError
from .problems import Problems
from .readers import (
    SPREADSHEET_SUFFIXES,
    frame_to_strings,
    is_sqlite,
    read_csv_table,
    read_folder,
    read_sqlite,
)
from .schema import DATASET_TABLES, PROVENANCE, REFERENCE_TABLES, SCHEMAS
from .validation import check_keys, convert_table, finalise_table, validate_tables

#: The installed package folder (``.../costing``).
PACKAGE_DIR = Path(__file__).resolve().parents[1]
#: Shipped reference tables.
REFERENCE_DIR = PACKAGE_DIR / "reference"
#: The embedded default dataset, shipped inside the package (``data/demo`` in a checkout links
#: to it).
DEMO_DIR = PACKAGE_DIR / "data" / "demo" / "dataset"


def _checkout_root() -> Path | None:
    """The project checkout holding this package (``src/costing`` -> root), or ``None`` when the
    package was installed from a wheel."""
    root = PACKAGE_DIR.parents[1]
    return root if PACKAGE_DIR.parent.name == "src" and (root / "pyproject.toml").is_file() \
        else None


#: The project checkout when the package runs from one (notebooks use it to find
#: ``methodology/`` and ``data/``); ``None`` for an installed package.
PROJECT_ROOT = _checkout_root()


class Dataset:
    """A validated comparative dataset: one typed DataFrame per table.

    Every table of the data model is an attribute (``ds.expenditure``, ``ds.municipalities``);
    an optional dataset table that was not given is an empty DataFrame with the right columns.

    Attributes
    ----------
    tables : dict of str to DataFrame
        All tables, dataset and reference, by name.
    present : tuple of str
        The dataset tables that were actually given (not empty stand-ins).
    path : pathlib.Path or None
        Where the dataset was read from.
    metadata : dict
        Contents of ``metadata.json`` (name, illustrative, description, seed, ...).
    provenance : DataFrame
        ``table, column, kind, source`` rows from ``provenance.csv`` (empty when absent).
    sources : dict of str to str
        For each table, the file it came from (reference tables: the shipped file or the override).
    """

    def __init__(self, tables: Mapping[str, pd.DataFrame], *, present=(), path=None,
                 metadata=None, provenance=None, sources=None):
        self.tables = dict(tables)
        self.present = tuple(present)
        self.path = None if path is None else Path(path)
        self.metadata = dict(metadata or {})
        self.provenance = provenance if provenance is not None else pd.DataFrame(
            {c: pd.Series(dtype="str") for c in PROVENANCE.column_names})
        self.sources = dict(sources or {})

    def __getattr__(self, name: str) -> pd.DataFrame:
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        raise AttributeError(f"Dataset has no table {name!r}; tables: {', '.join(tables)}")

    def __dir__(self):
        return [*super().__dir__(), *self.tables]

    def __repr__(self) -> str:
        name = self.metadata.get("name") or (self.path.name if self.path else "in memory")
        sizes = ", ".join(f"{t}={len(self.tables[t])}" for t in self.present)
        flag = " [illustrative data]" if self.is_illustrative else ""
        return f"<Dataset {name}{flag}: {sizes}>"

    @property
    def is_illustrative(self) -> bool:
        """True when ``metadata.json`` says the data are illustrative (synthetic)."""
        return bool(self.metadata.get("illustrative", False))

    @property
    def municipality_codes(self) -> list[str]:
        """ATVK codes of the municipalities that have cost centres in the dataset, sorted."""
        return sorted(self.cost_centres["municipality_code"].unique().tolist())

    @property
    def years(self) -> list[int]:
        """Years with expenditure, sorted."""
        return sorted(int(y) for y in self.expenditure["year"].unique())

    def copy(self) -> Dataset:
        """A new Dataset with copies of the tables (cheap: pandas copy-on-write)."""
        return Dataset({n: df.copy() for n, df in self.tables.items()}, present=self.present,
                       path=self.path, metadata=self.metadata, provenance=self.provenance.copy(),
                       sources=self.sources)

    def content_hash(self) -> str:
        """SHA-256 (hex) of the contents of every table, independent of file format.

        The same data loaded from CSV or from SQLite give the same hash; metadata do not count.
        """
        h = hashlib.sha256()
        for name in sorted(self.tables):
            df = self.tables[name]
            h.update(f"\x00{name}\x00{','.join(df.columns)}\n".encode())
            txt = frame_to_strings(df)
            h.update(txt.to_csv(index=False, header=False, lineterminator="\n").encode())
        return h.hexdigest()


def _near_names(path: Path) -> str:
    """"; did you mean X?" for a mistyped last part of a path whose folder exists."""
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        return ""
    try:
        names = [c.name for c in parent.iterdir()]
    except OSError:
        return ""
    near = difflib.get_close_matches(path.name, names, n=1, cutoff=0.6)
    return f"; did you mean {parent / near[0]}?" if near else ""


def _error(rule: str, message: str, file: str = "") -> DataValidationError:
    p = Problems()
    p.add("", "", rule, message, file=file)
    return DataValidationError(p.frame(), source=file)


@cache
def _shipped_raw(path: Path, name: str, mtime_ns: int) -> tuple[pd.DataFrame | None,
                                                                pd.DataFrame]:
    """Read one shipped reference file once per version of the file (cached)."""
    p = Problems()
    p.files[name] = f"costing/reference/{name}.csv"
    return read_csv_table(path, name, p), p.frame()


def _shipped(name: str, p: Problems) -> pd.DataFrame | None:
    path = REFERENCE_DIR / f"{name}.csv"
    if not path.exists():
        return None
    df, problems = _shipped_raw(path, name, path.stat().st_mtime_ns)
    p.extend(problems)
    return df


def load_dataset(path: str | Path) -> Dataset:
    """Load and validate a dataset from a folder of CSV files or a SQLite file.

    Parameters
    ----------
    path : str or pathlib.Path
        A folder with ``cost_centres.csv``, ``expenditure.csv``, ``outputs.csv`` and any optional
        tables, or a ``.sqlite`` file written by ``costing db build``.

    Returns
    -------
    Dataset
        Every table typed per ``docs/data-model.md``; reference tables from the package unless
        the dataset has a file of the same name.

    Raises
    ------
    DataValidationError
        If anything is wrong; ``.errors`` has one row per problem (table, file, row, column,
        rule, value, message), all of them.
    DatasetInUseError
        (an :class:`OSError`) If the SQLite file is locked by another program: not a problem of
        the data; try again when that program has closed it.
    """
    path = Path(path)
    if not path.exists():
        raise _error("path_not_found", f"{path} does not exist{_near_names(path)}", str(path))
    p = Problems()
    if path.is_dir() and not any(c.suffix.lower() in (".csv", *SPREADSHEET_SUFFIXES)
                                 for c in path.iterdir()):
        inner = sorted(str(c.parent) for c in path.glob("*/cost_centres.csv"))
        hint = f"; did you mean {' or '.join(inner[:3])}?" if inner else ""
        raise _error("not_a_dataset", f"the folder {path} holds no CSV files; a dataset is a "
                     "folder with cost_centres.csv, expenditure.csv, outputs.csv, ..." + hint,
                     str(path))
    if path.is_dir():
        raw, files, prov, meta = read_folder(path, p)
    elif is_sqlite(path):
        raw, files, prov, meta = read_sqlite(path, p)
        if not raw and len(p):  # not a database at all: missing tables would only be noise
            raise DataValidationError(p.frame(), source=str(path))
        return _build(raw, files, prov, meta, p, path=path, store=str(path))
    else:
        hint = (f"; to check {path.name}, pass the folder that holds it ({path.parent})"
                if path.suffix.lower() == ".csv" else "")
        raise _error("not_a_dataset", f"{path} is neither a folder of CSV files nor a SQLite "
                     f"file (.sqlite){hint}", str(path))
    return _build(raw, files, prov, meta, p, path=path)


def _build(raw, files, prov, meta, p: Problems, path=None, source: str | None = None,
           store: str | None = None) -> Dataset:
    present = [t for t in DATASET_TABLES if t in raw or t in files]
    sources = dict(files)
    for name in REFERENCE_TABLES:
        if name not in raw:
            df = _shipped(name, p)
            if df is not None:
                raw[name] = df
                sources[name] = f"costing/reference/{name}.csv"
    p.files.update(sources)
    provenance = _provenance(prov, p) if prov is not None else None
    typed = validate_tables(raw, sources, p, source=source or str(path or ""), present=present,
                            store=store)
    return Dataset(typed, present=present, path=path, metadata=meta, provenance=provenance,
                   sources=sources)


def _provenance(prov: pd.DataFrame, p: Problems) -> pd.DataFrame | None:
    """Check ``provenance.csv``: its columns, kinds, and that it names real tables and columns."""
    p.files.setdefault(PROVENANCE.name, "provenance.csv")
    df = convert_table(prov, PROVENANCE, p)
    if df is None:
        return None
    check_keys(df, PROVENANCE, p)
    table_ok = df["table"].isin(list(SCHEMAS))
    bad = df["table"].notna() & ~table_ok
    p.add(PROVENANCE.name, "table", "foreign_key",
          [f"table '{t}' is not a table of the data model" for t in df.loc[bad, "table"]],
          rows=df.index[bad], values=df.loc[bad, "table"])
    col_ok = [c in SCHEMAS[t].column_names if ok else True
              for t, c, ok in zip(df["table"], df["column"], table_ok, strict=True)]
    bad = df["column"].notna() & ~pd.Series(col_ok, index=df.index)
    p.add(PROVENANCE.name, "column", "foreign_key",
          [f"{t} has no column '{c}'" for t, c in zip(df.loc[bad, "table"], df.loc[bad, "column"],
                                                       strict=True)],
          rows=df.index[bad], values=df.loc[bad, "column"])
    return df.astype("str").reset_index(drop=True)


def dataset_from_frames(frames: Mapping[str, pd.DataFrame], metadata: dict | None = None
                        ) -> Dataset:
    """Build and validate a dataset from DataFrames (tests, notebooks, what-if copies).

    The frames go through exactly the checks of :func:`load_dataset`; reference tables not
    given are taken from the package. A problem's ``row`` is the row's position + 2, the line
    it would have in a CSV file with a header line.

    Parameters
    ----------
    frames : mapping of str to DataFrame
        Tables by name (dataset and/or reference tables), with the data-model columns.
    metadata : dict, optional
        As ``metadata.json`` would give it.

    Returns
    -------
    Dataset

    Raises
    ------
    DataValidationError
        As :func:`load_dataset`.
    """
    p = Problems()
    raw = {}
    for name, df in frames.items():
        if name not in SCHEMAS:
            p.add(name, "", "unknown_table", f"{name} is not a table of the data model")
            continue
        txt = frame_to_strings(df.reset_index(drop=True))
        txt.index = pd.RangeIndex(2, len(txt) + 2)
        raw[name] = txt
    files = {n: f"<{n}>" for n in raw}
    return _build(raw, files, None, metadata or {}, p, source="<frames>")


def demo_dataset() -> Dataset:
    """The embedded default dataset: real municipalities and populations, synthetic costs.

    Shipped inside the package (:data:`DEMO_DIR`); ``costing demo --out DIR`` regenerates it
    from its seed. Loaded once per process and copied for each caller.

    Returns
    -------
    Dataset
        Illustrative (``ds.is_illustrative`` is True): no figure is an official statistic.
    """
    return _demo_cached(_stamp(DEMO_DIR)).copy()


def _stamp(folder: Path) -> tuple:
    return tuple(sorted((f.name, f.stat().st_mtime_ns, f.stat().st_size)
                        for f in folder.iterdir() if f.is_file()))


@lru_cache(maxsize=2)
def _demo_cached(stamp: tuple) -> Dataset:
    return load_dataset(DEMO_DIR)


def reference_table(name: str) -> pd.DataFrame:
    """One shipped reference table, validated and typed (``municipalities``, ``ekk``, ...).

    Cross-table rules are not checked here (they need the whole dataset); use
    :func:`load_dataset` for that.
    """
    if name not in REFERENCE_TABLES:
        raise KeyError(f"{name!r} is not a reference table; "
                       f"choose from {', '.join(REFERENCE_TABLES)}")
    p = Problems()
    p.files[name] = f"costing/reference/{name}.csv"
    df = _shipped(name, p)
    if df is None:
        raise FileNotFoundError(f"reference table {REFERENCE_DIR / (name + '.csv')} is missing")

    typed = convert_table(df, SCHEMAS[name], p)
    if typed is not None:
        check_keys(typed, SCHEMAS[name], p)
    if len(p):
        raise DataValidationError(p.frame(), source=f"costing/reference/{name}.csv")
    return finalise_table(typed, SCHEMAS[name])
