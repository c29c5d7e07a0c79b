"""Validation of a dataset: column types and values, keys, foreign keys and cross-table rules.

The input is one DataFrame of *strings* per table, indexed by the line number in its file (header =
line 1), exactly as read from CSV or SQLite. :func:`validate_tables` converts every column to its
schema type, checks every rule and returns the typed tables, or raises
:class:`~costing.errors.DataValidationError` listing **every** problem at once. Rules specific to
the meaning of the data (amounts, FTE, survey periods, drivers, ...) live in
:mod:`costing.validation_rules`; this module holds the generic, schema-driven ones.

Rule names (the ``rule`` column of ``DataValidationError.errors``)
------------------------------------------------------------------
File level: ``path_not_found``, ``not_a_dataset``, ``encoding``, ``empty_file``, ``delimiter``,
``field_count``, ``unknown_table``, ``missing_table``, ``empty_table``, ``missing_column``,
``extra_column``, ``duplicate_column``, ``unreadable``, ``schema_version``, ``invalid_json``.
Values: ``required``, ``not_a_number``, ``not_a_whole_number``, ``not_a_date``, ``not_a_boolean``,
``not_allowed``, ``pattern``, ``below_minimum``, ``above_maximum``.
Keys: ``duplicate_key``, ``foreign_key``. Cross-table: see :mod:`costing.validation_rules`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from .errors import ERROR_COLUMNS, DataValidationError
from .schema import REQUIRED_TABLES, SCHEMAS, TABLE_NEEDS, Column, TableSchema

_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}


class Problems:
    """Collector of validation problems; :meth:`frame` returns them as one DataFrame."""

    def __init__(self) -> None:
        self._parts: list[pd.DataFrame] = []
        self.files: dict[str, str] = {}

    def add(self, table: str, column: str, rule: str, message, *, rows=None, values=None,
            file: str | None = None) -> None:
        """Record one problem, or one per element of ``rows`` (line numbers).

        ``message`` and ``values`` may be scalars or sequences aligned with ``rows``.
        """
        file = self.files.get(table, "") if file is None else file
        if rows is None:
            rows_arr = pd.array([pd.NA], dtype="Int64")
        else:
            rows_arr = pd.array(np.asarray(rows, dtype="int64"), dtype="Int64")
        n = len(rows_arr)
        if n == 0:
            return
        def col(v):
            if isinstance(v, str) or v is None or np.ndim(v) == 0:
                return ["" if v is None else str(v)] * n
            return ["" if (x is None or (isinstance(x, float) and np.isnan(x))) else str(x)
                    for x in v]
        self._parts.append(pd.DataFrame({
            "table": [table] * n, "file": [file] * n, "row": rows_arr, "column": [column] * n,
            "rule": [rule] * n, "value": col(values), "message": col(message),
        }))

    def __len__(self) -> int:
        return sum(len(p) for p in self._parts)

    def frame(self) -> pd.DataFrame:
        """All problems, one per row: ``table, file, row, column, rule, value, message``."""
        if not self._parts:
            return pd.DataFrame({c: pd.Series(dtype="Int64" if c == "row" else "str")
                                 for c in ERROR_COLUMNS})
        return pd.concat(self._parts, ignore_index=True)[ERROR_COLUMNS]


def _quote(values: pd.Series) -> list[str]:
    return [f"'{v}'" for v in values]


def _convert_column(s: pd.Series, col: Column, table: str, p: Problems) -> pd.Series:
    """Convert one column of strings to its kind, recording every bad value in ``p``."""
    s = s.str.strip()
    empty = s == ""
    if col.required and empty.any():
        rows = s.index[empty]
        p.add(table, col.name, "required", f"{col.name} is empty; a value is required",
              rows=rows, values="")
    filled = s[~empty]
    if col.kind in ("int", "float"):
        num = pd.to_numeric(filled, errors="coerce")
        bad = num.isna() | ~np.isfinite(num.fillna(0.0))
        if bad.any():
            what = "a whole number" if col.kind == "int" else "a number"
            vals = filled[bad]
            hint = np.where(vals.str.fullmatch(r"-?[\d ]+,\d+"),
                            " (use a point '.' as the decimal separator, no spaces)", "")
            p.add(table, col.name, "not_a_number",
                  [f"{col.name} must be {what}, found '{v}'{h}"
                   for v, h in zip(vals, hint, strict=True)],
                  rows=vals.index, values=vals)
        num = num[~bad]
        if col.kind == "int":
            frac = num % 1 != 0
            if frac.any():
                vals = filled[frac[frac].index]
                p.add(table, col.name, "not_a_whole_number",
                      [f"{col.name} must be a whole number, found '{v}'" for v in vals],
                      rows=vals.index, values=vals)
                num = num[~frac]
        out = pd.Series(np.nan, index=s.index, dtype="float64")
        out[num.index] = num.astype("float64")
        _check_bounds(out, filled, col, table, p)
        if col.kind == "int":
            out = out.astype("Int64")
        return out
    if col.kind == "date":
        d = pd.to_datetime(filled, format="%Y-%m-%d", errors="coerce")
        bad = d.isna()
        if bad.any():
            vals = filled[bad]
            p.add(table, col.name, "not_a_date",
                  [f"{col.name} must be a date written YYYY-MM-DD, found '{v}'" for v in vals],
                  rows=vals.index, values=vals)
        out = pd.Series(pd.NaT, index=s.index, dtype=d.dtype if len(d) else "datetime64[us]")
        out[d.index] = d
        return out
    if col.kind == "bool":
        low = filled.str.lower()
        is_t, is_f = low.isin(_TRUE), low.isin(_FALSE)
        bad = ~(is_t | is_f)
        if bad.any():
            vals = filled[bad]
            p.add(table, col.name, "not_a_boolean",
                  [f"{col.name} must be true or false, found '{v}'" for v in vals],
                  rows=vals.index, values=vals)
        out = pd.Series(pd.NA, index=s.index, dtype="boolean")
        out[is_t[is_t].index] = True
        out[is_f[is_f].index] = False
        return out
    # str / code
    out = s.where(~empty)
    if col.allowed is not None:
        bad = ~filled.isin(col.allowed)
        if bad.any():
            vals = filled[bad]
            allowed = ", ".join(col.allowed)
            p.add(table, col.name, "not_allowed",
                  [f"{col.name} '{v}' is not one of: {allowed}" for v in vals],
                  rows=vals.index, values=vals)
    if col.pattern is not None:
        bad = ~filled.str.fullmatch(col.pattern)
        if bad.any():
            vals = filled[bad]
            p.add(table, col.name, "pattern",
                  [f"{col.name} '{v}' is not in the expected form ({col.pattern})" for v in vals],
                  rows=vals.index, values=vals)
    return out


def _check_bounds(num: pd.Series, raw: pd.Series, col: Column, table: str, p: Problems) -> None:
    if col.min is not None:
        low = (num <= col.min) if col.min_open else (num < col.min)
        if low.any():
            vals = raw[low[low].index]
            op = ">" if col.min_open else "≥"
            p.add(table, col.name, "below_minimum",
                  [f"{col.name} must be {op} {col.min:g}, found {v}" for v in vals],
                  rows=vals.index, values=vals)
    if col.max is not None:
        high = (num >= col.max) if col.max_open else (num > col.max)
        if high.any():
            vals = raw[high[high].index]
            op = "<" if col.max_open else "≤"
            p.add(table, col.name, "above_maximum",
                  [f"{col.name} must be {op} {col.max:g}, found {v}" for v in vals],
                  rows=vals.index, values=vals)


def convert_table(raw: pd.DataFrame, schema: TableSchema, p: Problems) -> pd.DataFrame | None:
    """Check the columns of one table of strings and convert it to typed columns.

    Returns ``None`` when required columns are missing (the table cannot be checked further).
    """
    t = schema.name
    cols = list(raw.columns)
    dup = sorted({c for c in cols if cols.count(c) > 1})
    for c in dup:
        p.add(t, c, "duplicate_column", f"column {c} appears more than once in the header",
              rows=[1], values=c)
    for c in dict.fromkeys(cols):
        if c not in schema.column_names:
            p.add(t, c, "extra_column",
                  f"unexpected column '{c}'; the columns of {t} are: "
                  + ", ".join(schema.column_names), rows=[1], values=c)
    missing = [c for c in schema.column_names if c not in cols]
    for c in missing:
        p.add(t, c, "missing_column", f"column {c} is missing from the header", rows=[1])
    if missing or dup:
        return None
    out = {c.name: _convert_column(raw[c.name], c, t, p) for c in schema.columns}
    return pd.DataFrame(out, index=raw.index)


def check_keys(df: pd.DataFrame, schema: TableSchema, p: Problems) -> None:
    """Report every row whose key repeats an earlier row's key (rule ``duplicate_key``)."""
    key = list(schema.key)
    sub = df[key].dropna()
    dup = sub.duplicated(keep="first")
    if not dup.any():
        return
    first = sub.index.to_series().groupby([sub[k] for k in key], sort=False).transform("min")
    rows = sub.index[dup]
    vals = sub.loc[dup].astype(str).agg(" / ".join, axis=1)
    p.add(schema.name, ", ".join(key), "duplicate_key",
          [f"the same {', '.join(key)} ({v}) is already on line {f}"
           for v, f in zip(vals, first[dup], strict=True)], rows=rows, values=vals)


def check_foreign_keys(tables: Mapping[str, pd.DataFrame], p: Problems) -> None:
    """Every column with a ``ref`` must hold values that exist in the referenced table."""
    for name, df in tables.items():
        for col in SCHEMAS[name].columns:
            if col.ref is None or col.ref[0] not in tables:
                continue
            target = tables[col.ref[0]][col.ref[1]].dropna().unique()
            s = df[col.name].dropna()
            bad = ~s.isin(target)
            if bad.any():
                vals = s[bad]
                where = p.files.get(col.ref[0], col.ref[0])
                p.add(name, col.name, "foreign_key",
                      [f"{col.name} '{v}' does not exist in {where} ({col.ref[1]})" for v in vals],
                      rows=vals.index, values=vals)


def _finalise(df: pd.DataFrame, schema: TableSchema) -> pd.DataFrame:
    """Give validated columns their final dtypes (int64/bool when required) and a RangeIndex."""
    out = {}
    for col in schema.columns:
        s = df[col.name]
        if col.required and col.kind == "int":
            s = s.astype("int64")
        elif col.required and col.kind == "bool":
            s = s.astype("bool")
        elif col.kind in ("str", "code"):
            s = s.astype("str")
        out[col.name] = s.reset_index(drop=True)
    return pd.DataFrame(out, columns=list(schema.column_names))


def empty_table(name: str) -> pd.DataFrame:
    """An empty typed table with the schema's columns and final dtypes."""
    schema = SCHEMAS[name]
    raw = pd.DataFrame({c: pd.Series(dtype="str") for c in schema.column_names})
    return _finalise(convert_table(raw, schema, Problems()), schema)


def validate_tables(raw: Mapping[str, pd.DataFrame], files: Mapping[str, str],
                    problems: Problems | None = None, source: str = "",
                    present: Iterable[str] | None = None) -> dict[str, pd.DataFrame]:
    """Convert and validate all tables; return typed tables or raise with every problem.

    Parameters
    ----------
    raw : mapping of str to DataFrame
        Tables of strings indexed by line number, by table name (dataset and reference tables).
    files : mapping of str to str
        The file each table was read from (used in the problem list).
    problems : Problems, optional
        Problems found while reading (encoding, field counts, ...); more are added here.
    source : str
        The dataset path, used in the exception message.
    present : iterable of str, optional
        Dataset tables that were given (default: the keys of ``raw``).

    Returns
    -------
    dict of str to DataFrame
        Every table in :data:`~costing.schema.SCHEMAS`, typed, absent optional tables empty.

    Raises
    ------
    DataValidationError
        If any problem was found; ``.errors`` lists all of them.
    """
    from .validation_rules import check_cross_table

    p = problems if problems is not None else Problems()
    p.files.update(files)
    present = set(raw) if present is None else set(present)
    for name in REQUIRED_TABLES:
        if name not in present:
            p.add(name, "", "missing_table", f"required table {name}.csv is missing", file="")
    for name, needs in TABLE_NEEDS.items():
        for other in needs:
            if name in present and other not in present:
                p.add(other, "", "missing_table",
                      f"{name} is given, so {other}.csv is needed to check it", file="")
    typed: dict[str, pd.DataFrame] = {}
    for name, schema in SCHEMAS.items():
        if name not in raw:
            if schema.reference:
                p.add(name, "", "missing_table", f"reference table {name}.csv is missing",
                      file="")
            continue
        df = convert_table(raw[name], schema, p)
        if df is None:
            continue
        if len(df) == 0 and (schema.reference or name in REQUIRED_TABLES):
            p.add(name, "", "empty_table", f"{name} has a header but no rows")
        check_keys(df, schema, p)
        typed[name] = df
    check_foreign_keys(typed, p)
    check_cross_table(typed, p)
    if len(p):
        raise DataValidationError(p.frame(), source=source)
    return {name: (_finalise(typed[name], s) if name in typed else empty_table(name))
            for name, s in SCHEMAS.items()}
