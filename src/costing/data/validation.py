"""Validation of a dataset: column types and values, keys, foreign keys and cross-table rules.

The input is one DataFrame of *strings* per table, indexed by the line number in its file (header =
line 1), exactly as read from CSV or SQLite. :func:`validate_tables` converts every column to its
schema type, checks every rule and returns the typed tables, or raises
:class:`~costing.errors.DataValidationError` listing **every** problem at once. Rules specific to
the meaning of the data (amounts, FTE, survey periods, drivers, ...) live in
:mod:`costing.data.rules`; this module holds the generic, schema-driven ones.

Rule names (the ``rule`` column of ``DataValidationError.errors``)
------------------------------------------------------------------
File level: ``path_not_found``, ``not_a_dataset``, ``encoding``, ``empty_file``, ``delimiter``,
``csv_syntax``, ``field_count``, ``unknown_table``, ``missing_table``, ``empty_table``,
``missing_column``, ``extra_column``, ``duplicate_column``, ``unreadable``, ``schema_version``,
``invalid_json``.
Values: ``required``, ``not_a_number``, ``not_a_whole_number``, ``not_a_date``, ``not_a_boolean``,
``not_allowed``, ``pattern``, ``below_minimum``, ``above_maximum``, ``invisible_character`` (a
zero-width or no-break space inside a code, shown as ``<U+200B>``; the other rules then check the
code without it).
Keys: ``duplicate_key``, ``foreign_key``. Cross-table: see :mod:`costing.data.rules`.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataValidationError
from .problems import Problems
from .rules import check_cross_table
from .schema import REQUIRED_TABLES, SCHEMAS, TABLE_NEEDS, Column, TableSchema

_MAX_EXACT_INT = 2**53  # larger whole numbers are not exact in float64
_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}


class _Column:
    """One raw column factorised into its distinct values, so each check runs once per value."""

    def __init__(self, s: pd.Series, col: Column, table: str, p: Problems):
        if isinstance(s.dtype, pd.CategoricalDtype):  # a big file, read in blocks
            codes, uniq = s.cat.codes.to_numpy(), s.cat.categories.to_numpy(dtype=object)
        else:
            codes, uniq = pd.factorize(np.asarray(s, dtype=object))
        self.codes, self.index, self.col, self.table, self.p = codes, s.index, col, table, p
        self.u = np.array([str(v).strip() for v in uniq], dtype=object)

    def report(self, rule: str, bad_u: np.ndarray, message, show=None) -> None:
        """Record one problem per row whose value is flagged in ``bad_u`` (per distinct value).

        ``message`` is a text or a function of the value; ``show`` (optional) turns the value
        into the text listed in the problem's ``value``.
        """
        bad_u = np.asarray(bad_u, dtype=bool)
        if not bad_u.any():
            return
        rows = bad_u[self.codes]
        vals = self.u[self.codes[rows]]
        msgs = message if isinstance(message, str) else [message(v) for v in vals]
        shown = vals if show is None else [show(v) for v in vals]
        self.p.add(self.table, self.col.name, rule, msgs, rows=self.index[rows], values=shown)

    def expand(self, u_values, dtype) -> pd.Series:
        """Per-distinct values spread back to one per row."""
        arr = pd.array(u_values, dtype=dtype)
        return pd.Series(arr.take(self.codes), index=self.index, dtype=dtype)


def _convert_column(s: pd.Series, col: Column, table: str, p: Problems) -> pd.Series:
    """Convert one column of strings to its kind, recording every bad value in ``p``."""
    c = _Column(s, col, table, p)
    u, name = c.u, col.name
    empty = u == ""
    if col.required:
        c.report("required", empty, f"{name} is empty; a value is required")
    if col.kind in ("int", "float"):
        num = pd.to_numeric(pd.Series(np.where(empty, "nan", u), dtype=object),
                            errors="coerce").to_numpy(dtype="float64", copy=True)
        bad = ~empty & ~np.isfinite(num)
        what = "a whole number" if col.kind == "int" else "a number"
        c.report("not_a_number", bad,
                 lambda v: f"{name} must be {what}, found '{v}'" + number_hint(v))
        num[bad] = np.nan
        if col.kind == "int":
            huge = np.isfinite(num) & (np.abs(num) > _MAX_EXACT_INT)
            c.report("not_a_whole_number", huge, lambda v: f"{name} must be a whole number "
                     f"between -{_MAX_EXACT_INT:,} and {_MAX_EXACT_INT:,}, found '{v}'")
            num[huge] = np.nan
            frac = np.isfinite(num) & (num % 1 != 0)
            c.report("not_a_whole_number", frac, lambda v: f"{name} must be a whole number, "
                     f"found '{v}'")
            num[frac] = np.nan
        _check_bounds(c, num)
        return c.expand(num, "Int64" if col.kind == "int" else "float64")
    if col.kind == "date":
        d = pd.to_datetime(pd.Series(np.where(empty, None, u), dtype=object),
                           format="%Y-%m-%d", errors="coerce")
        c.report("not_a_date", ~empty & d.isna().to_numpy(),
                 lambda v: f"{name} must be a date written YYYY-MM-DD, found '{v}'"
                 + date_hint(v))
        return c.expand(d.to_numpy(dtype="datetime64[us]"), "datetime64[us]")
    if col.kind == "bool":
        low = np.array([v.lower() for v in u], dtype=object)
        is_t, is_f = np.isin(low, list(_TRUE)), np.isin(low, list(_FALSE))
        c.report("not_a_boolean", ~empty & ~is_t & ~is_f,
                 lambda v: f"{name} must be true or false, found '{v}'")
        return c.expand([True if t else False if f else None for t, f in zip(is_t, is_f,
                                                                             strict=True)],
                        "boolean")
    # str / code
    if col.kind == "code":  # a hidden character makes a code differ from the one it shows
        hidden = np.array([_INVISIBLE_RX.search(v) is not None for v in u], dtype=bool)
        if hidden.any():
            c.report("invisible_character", hidden, lambda v: invisible_message(name, v),
                     show=show_invisible)
            # checked further as the code it looks like, so one mistake is reported once
            u = c.u = np.array([_INVISIBLE_RX.sub("", v) if h else v
                                for v, h in zip(u, hidden, strict=True)], dtype=object)
            empty = u == ""
    if col.allowed is not None:
        allowed = ", ".join(col.allowed)
        c.report("not_allowed", ~empty & ~np.isin(u, list(col.allowed)),
                 lambda v: f"{name} '{v}' is not one of: {allowed}")
    if col.pattern is not None:
        rx = re.compile(col.pattern)
        nomatch = np.array([rx.fullmatch(v) is None for v in u], dtype=bool)
        c.report("pattern", ~empty & nomatch,
                 lambda v: f"{name} '{v}' is not in the expected form ({col.pattern})")
    out = np.where(empty, np.nan, u).astype(object)
    return pd.Series(out[c.codes], index=s.index, dtype=object)


_SPACES = " \u00a0\u202f'"  # thousands separators: space, no-break spaces, apostrophe

#: Characters that do not show (zero-width spaces and joiners, direction marks, a byte-order mark,
#: a soft hyphen) or look like a plain space (no-break spaces): inside a code they make it differ
#: from the code it looks like.
INVISIBLE_CHARACTERS = ("\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff"
                        "\u00ad\u00a0\u2007\u202f")
_INVISIBLE_RX = re.compile(f"[{INVISIBLE_CHARACTERS}]")


def show_invisible(v: str) -> str:
    """``v`` with each invisible character written as ``<U+XXXX>`` (``LV00<U+200B>01000``)."""
    return _INVISIBLE_RX.sub(lambda m: f"<U+{ord(m.group()):04X}>", v)


def invisible_message(name: str, v: str) -> str:
    """Which invisible characters a code holds, where, and what it reads as without them."""
    hits = [f"U+{ord(ch):04X} {unicodedata.name(ch, 'CONTROL CHARACTER')} at position {i + 1}"
            + (f" (after '{v[:i]}')" if i else " (at the start)")
            for i, ch in enumerate(v) if ch in INVISIBLE_CHARACTERS]
    clean = _INVISIBLE_RX.sub("", v)
    return (f"{name} '{show_invisible(v)}' contains an invisible character: "
            + "; ".join(hits) + f". It looks like '{clean}' but is another code; such "
            "characters come with text copied from a web page, a PDF or a word processor: "
            "delete it or retype the code")


def number_hint(v: str) -> str:
    """Why a cell is not a number as written in the data model, and the value to write instead."""
    t = v.strip()
    for unit in ("EUR", "eur", "€", "Ls", "LVL"):
        t = t.replace(unit, "")
    t = t.strip().replace("\u2212", "-").replace("\u2013", "-")  # typographic minus, en dash
    if re.fullmatch(r"[-+]?\d+([.,]\d+)?\s*%", t):
        frac = float(t.rstrip("% ").replace(",", ".")) / 100
        return f" (write {frac:g}: shares and rates are fractions, 100% = 1)"
    m = re.fullmatch(r"(\d{1,3}):([0-5]\d)(:00)?", t)
    if m:
        return (f" (a time h:mm is not a number: write {int(m[1]) * 60 + int(m[2])} for "
                f"{m[1]}:{m[2]} in minutes)")
    if re.fullmatch(r"\(.*\)", t):  # accountants' negative: (1 234,56)
        t = "-" + t[1:-1].strip()
    suggestion = None
    plain = "".join(ch for ch in t if ch not in _SPACES)
    if re.fullmatch(r"[-+]?\d+,\d+", plain):  # 1 234,56 or 1234,56: decimal comma
        suggestion = plain.replace(",", ".")
    elif re.fullmatch(r"[-+]?\d{1,3}(,\d{3})+(\.\d+)?", plain):  # 1,234.56: thousands comma
        suggestion = plain.replace(",", "")
    elif re.fullmatch(r"[-+]?\d+(\.\d+)?", plain):  # only spaces or a unit were in the way
        suggestion = plain
    elif re.fullmatch(r"[-+]?\d{1,3}(\.\d{3})+,\d+", plain):  # 1.234,56
        suggestion = plain.replace(".", "").replace(",", ".")
    if suggestion is None or suggestion == v.strip():
        return ""
    return (f" (write {suggestion}: numbers use a point '.' for decimals and no thousands "
            "separator, spaces or currency)")


def date_hint(v: str) -> str:
    """The ISO form of a date written day.month.year (or day/month/year), if it is one."""
    m = re.fullmatch(r"(\d{1,2})[./-](\d{1,2})[./-](\d{4})\.?", v.strip())
    if m:
        d, mo, y = (int(x) for x in m.groups())
        if 1 <= mo <= 12 and 1 <= d <= 31:
            return f" (write {y:04d}-{mo:02d}-{d:02d}: year-month-day)"
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}[ T]\d{1,2}:\d{2}(:\d{2})?", v.strip()):
        return f" (write {v.strip()[:10]}, without the time of day)"
    if re.fullmatch(r"\d{5}", v.strip()):
        return (" (a spreadsheet turned the date into a day number: format the column as a "
                "date YYYY-MM-DD before saving)")
    return ""


def _check_bounds(c: _Column, num: np.ndarray) -> None:
    col = c.col
    with np.errstate(invalid="ignore"):
        if col.min is not None:
            low = (num <= col.min) if col.min_open else (num < col.min)
            op = ">" if col.min_open else "≥"
            c.report("below_minimum", low,
                     lambda v: f"{col.name} must be {op} {col.min:g}, found {v}")
        if col.max is not None:
            high = (num >= col.max) if col.max_open else (num > col.max)
            op = "<" if col.max_open else "≤"
            c.report("above_maximum", high,
                     lambda v: f"{col.name} must be {op} {col.max:g}, found {v}")


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
            near = difflib.get_close_matches(str(c).lower(), schema.column_names, n=1)
            hint = f" (did you mean '{near[0]}'?)" if near else ""
            p.add(t, c, "extra_column",
                  f"unexpected column '{c}'{hint}; the columns of {t} are: "
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
    repeats = sub.duplicated(keep=False)
    if not repeats.any():
        return
    # only the rows whose key repeats: the first of each is on the line named, the others are
    # reported
    many = sub[repeats]
    dup = many.duplicated(keep="first")
    first = many.index.to_series().groupby([many[k] for k in key], sort=False).transform("min")
    rows = many.index[dup]
    vals = many.loc[dup].astype(str).agg(" / ".join, axis=1)
    p.add(schema.name, ", ".join(key), "duplicate_key",
          [f"the same {', '.join(key)} ({v}) is already on line {f}"
           for v, f in zip(vals, first[dup], strict=True)], rows=rows, values=vals)


def check_foreign_keys(tables: dict[str, pd.DataFrame], p: Problems) -> None:
    """Every column with a ``ref`` must hold values that exist in the referenced table.

    Reported values are then blanked in ``tables`` so that no other rule trips over them again.
    """
    for name, df in list(tables.items()):
        for col in SCHEMAS[name].columns:
            if col.ref is None or col.ref[0] not in tables:
                continue
            target = tables[col.ref[0]][col.ref[1]].dropna().unique()
            s = df[col.name].dropna()
            bad = ~s.isin(target)
            if bad.any():
                vals = s[bad]
                where = p.files.get(col.ref[0], col.ref[0])
                hints = code_hints(vals.unique(), target)
                p.add(name, col.name, "foreign_key",
                      [f"{col.name} '{v}' does not exist in {where} ({col.ref[1]})"
                       + hints.get(v, "") for v in vals],
                      rows=vals.index, values=vals)
                df = df.copy()
                df.loc[vals.index, col.name] = np.nan
                tables[name] = df


def code_hints(values, target) -> dict:
    """Suggest the code meant for codes a spreadsheet or a typist has likely changed.

    Parameters
    ----------
    values : iterable
        Codes that were not found.
    target : iterable
        The codes that exist.

    Returns
    -------
    dict
        ``{value: " (did you mean 'X'? ...)"}`` for each value that equals an existing code up to
        letter case, spaces, a lost leading zero, a ``.0`` added by a spreadsheet or (for ATVK
        codes) the missing ``LV`` prefix; values without a likely match are left out.
    """
    known = [str(t) for t in target]
    by_key: dict[str, str] = {}
    for t in known:
        by_key.setdefault(t.upper().replace(" ", ""), t)
        by_key.setdefault("Z" + t.lstrip("0").upper(), t)
    out = {}
    for v in values:
        sv = str(v).strip()
        base = sv[:-2] if sv.endswith(".0") else sv
        hit = (by_key.get(base.upper().replace(" ", ""))
               or by_key.get("Z" + base.lstrip("0").upper()))
        if hit is None and not base.upper().startswith("LV"):
            hit = by_key.get("LV" + base.zfill(7)) if base.isdigit() else None
        if hit is not None and hit != sv:
            out[v] = (f" (did you mean '{hit}'? codes are text and must be written exactly; in a "
                      "spreadsheet format the column as Text so leading zeros and letters stay)")
    return out


def finalise_table(df: pd.DataFrame, schema: TableSchema) -> pd.DataFrame:
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
    return finalise_table(convert_table(raw, schema, Problems()), schema)


def validate_tables(raw: Mapping[str, pd.DataFrame], files: Mapping[str, str],
                    problems: Problems | None = None, source: str = "",
                    present: Iterable[str] | None = None,
                    store: str | None = None) -> dict[str, pd.DataFrame]:
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
    store : str, optional
        The SQLite file the tables were read from (messages then name a missing table as a
        table of that file, not as a CSV file).

    Returns
    -------
    dict of str to DataFrame
        Every table in :data:`~costing.data.schema.SCHEMAS`, typed, absent optional tables empty.

    Raises
    ------
    DataValidationError
        If any problem was found; ``.errors`` lists all of them.
    """

    p = problems if problems is not None else Problems()
    p.files.update(files)
    present = set(raw) if present is None else set(present)
    file = "" if store is None else Path(store).name
    for name in REQUIRED_TABLES:
        if name not in present:
            p.add(name, "", "missing_table", f"required table {name}.csv is missing"
                  if store is None else f"required table {name} is missing from the SQLite "
                  f"file {store}", file=file)
    for name, needs in TABLE_NEEDS.items():
        for other in needs:
            if name in present and other not in present:
                p.add(other, "", "missing_table",
                      f"{name} is given, so {other}.csv is needed to check it" if store is None
                      else f"table {name} is given, so table {other} is needed in the SQLite "
                      f"file {store} to check it", file=file)
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
    return {name: (finalise_table(typed[name], s) if name in typed else empty_table(name))
            for name, s in SCHEMAS.items()}
