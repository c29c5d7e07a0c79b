"""Reading CSV files and SQLite databases into tables of strings, reporting file-level problems.

Everything is read as text first; :mod:`costing.data.validation` converts it per schema. Each
table is a DataFrame of ``str`` whose index is the line number in the file (header = line 1), or
the rowid in a SQLite table, so that every problem can point at the line a spreadsheet shows.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import re
import sqlite3
from datetime import datetime
from operator import methodcaller
from pathlib import Path

import numpy as np
import pandas as pd

from .problems import Problems
from .schema import PROVENANCE, SCHEMA_VERSION, SCHEMAS

SQLITE_MAGIC = b"SQLite format 3\x00"
SQLITE_SUFFIXES = (".sqlite", ".sqlite3", ".db")
SPREADSHEET_SUFFIXES = (".xlsx", ".xls", ".xlsm", ".ods", ".numbers")


def decode(raw: bytes, table: str, p: Problems) -> str | None:
    """Decode UTF-8 bytes (a byte-order mark is allowed); report other encodings with the line."""
    if not raw.strip():
        p.add(table, "", "empty_file", "the file is empty (not even a header line)")
        return None
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in raw[:4096]:
        p.add(table, "", "encoding", "the file is not UTF-8 (it looks like UTF-16); save it as "
              "'CSV UTF-8 (comma delimited)'", rows=[1])
        return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line_no = raw[: e.start].count(b"\n") + 1
        start = raw.rfind(b"\n", 0, e.start) + 1
        end = raw.find(b"\n", e.start)
        line = raw[start : end if end >= 0 else len(raw)].decode("cp1257", errors="replace")
        p.add(table, "", "encoding",
              f"the file is not UTF-8: byte 0x{raw[e.start]:02X} on line {line_no} (perhaps "
              "Windows-1257/Baltic); save it as 'CSV UTF-8 (comma delimited)'",
              rows=[line_no], values=line.strip()[:80])
        return None


def _delimiter_message(header: str, sample: list[list[str]]) -> str:
    """Explain a header split by ';' or tabs: what Excel did and how to save the file instead."""
    if ";" not in header:
        return ("columns are separated by a tab; use commas (save as 'CSV UTF-8 (comma "
                "delimited)')")
    decimal_comma = any(re.search(r"\d,\d", ",".join(r)) for r in sample)
    return ("columns are separated by ';'" + (" and numbers have a decimal comma" if decimal_comma
                                              else "")
            + ", as Excel saves CSV with Latvian regional settings; the dataset needs ',' "
            "between columns and '.' in numbers. Either open the file in LibreOffice Calc and "
            "use Save As > Text CSV with character set UTF-8 and field delimiter ','; or in "
            "Windows set Region > Additional settings: decimal symbol '.', list separator ',', "
            "then save from Excel as 'CSV UTF-8 (comma delimited)'")


def _fast_parse(text: str) -> pd.DataFrame | None:
    """Parse simple CSV text (no quotes, every line complete) with pandas' C reader.

    Returns ``None`` when the text needs the careful path of :func:`parse_csv`.
    """
    if '"' in text or text.count("\r") != text.count("\r\n"):
        return None
    physical = text.split("\n")
    if physical and physical[-1] == "":
        physical.pop()
    if len(physical) < 2:
        return None
    commas = np.array(list(map(methodcaller("count", ","), physical)), dtype=np.int64)
    lengths = np.array(list(map(len, physical)), dtype=np.int64)
    body_blank = lengths == 0
    for i in np.flatnonzero(lengths == 1):
        body_blank[i] = physical[i] == "\r"
    # a line of spaces has no comma, so it fails the check below and takes the careful path
    ok = (commas == commas[0]) | body_blank
    header = [h.strip() for h in physical[0].rstrip("\r").split(",")]
    if not ok.all() or body_blank[0] or len(set(header)) != len(header) or "" in header:
        return None
    df = pd.read_csv(io.StringIO(text), dtype=object, na_filter=False, skip_blank_lines=True)
    lines = np.flatnonzero(~body_blank[1:]) + 2
    if len(df) != len(lines) or len(df.columns) != len(header):
        return None
    df.columns = header
    df.index = pd.Index(lines, dtype="int64")
    return df


def parse_csv(text: str, table: str, p: Problems) -> pd.DataFrame | None:
    """Parse CSV text into a DataFrame of strings indexed by line number; report ragged rows."""
    fast = _fast_parse(text) if len(text) > 65536 else None  # small files: csv module is quicker
    if fast is not None and len(fast.columns) > 1:
        arr = fast.to_numpy()
        empty = (arr == "").all(axis=1) if arr.size else np.zeros(len(fast), dtype=bool)
        return fast[~empty] if empty.any() else fast
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        rows = list(reader)
    except csv.Error as e:
        p.add(table, "", "csv_syntax", f"the file cannot be read as CSV at line "
              f"{reader.line_num}: {e} (a stray quote or line break inside a value?)",
              rows=[reader.line_num])
        return None
    if not rows or not rows[0]:
        p.add(table, "", "empty_file", "the first line (the header) is empty", rows=[1])
        return None
    header = [h.strip() for h in rows[0]]
    if len(header) == 1 and (";" in header[0] or "\t" in header[0]):
        p.add(table, "", "delimiter", _delimiter_message(header[0], rows[1:3]), rows=[1],
              values=header[0][:80])
        return None
    body = rows[1:]
    n_lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    if len(rows) == n_lines:
        lines = np.arange(2, len(body) + 2)
    else:  # quoted fields span lines: recount the physical line of every record
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        next(reader)
        lines_l = []
        for _ in reader:
            lines_l.append(reader.line_num)
        lines = np.asarray(lines_l)
    lens = np.fromiter(map(len, body), dtype=np.int64, count=len(body))
    blank = lens == 0
    n_named = max((j + 1 for j, h in enumerate(header) if h != ""), default=0)
    n_trailing = len(header) - n_named
    if n_trailing and header[0] != "":  # "a,b,," header: rows may stop before the empty columns
        short = ~blank & (lens >= len(header) - n_trailing) & (lens < len(header))
        for i in np.flatnonzero(short):
            body[i] = [*body[i], *[""] * (len(header) - lens[i])]
        lens[short] = len(header)
    wrong = ~blank & (lens != len(header))
    counts = np.unique(lens[~blank])
    if wrong.sum() > 1 and wrong.sum() == (~blank).sum() and len(counts) == 1:
        schema = PROVENANCE if table == PROVENANCE.name else SCHEMAS.get(table)
        names = schema.column_names if schema is not None else []
        odd = [f"unexpected column '{h}'" for h in header if names and h not in names]
        odd += [f"missing column '{c}'" for c in names if c not in header]
        p.add(table, "", "field_count",
              f"every line has {counts[0]} values but the header (line 1) has {len(header)} "
              "columns: the header has a column name too many or too few"
              + (f" ({'; '.join(odd)})" if odd else ""), rows=[1], values=",".join(header)[:80])
        return None
    for i in np.flatnonzero(wrong):
        p.add(table, "", "field_count",
              f"line has {lens[i]} values but the header has {len(header)} columns"
              " (a stray comma, or a value with a comma that needs quotes?)",
              rows=[lines[i]], values=",".join(body[i])[:80])
    keep = ~blank & ~wrong
    good = [r for r, k in zip(body, keep, strict=True) if k] if not keep.all() else body
    arr = np.array(good, dtype=object).reshape(len(good), len(header))
    # unnamed columns without any value (spreadsheet left-overs, "a,b,,") hold nothing: drop them
    unnamed_empty = [j for j, h in enumerate(header) if h == "" and (arr[:, j] == "").all()]
    if unnamed_empty:
        kept = [j for j in range(len(header)) if j not in unnamed_empty]
        arr, header = arr[:, kept], [header[j] for j in kept]
    df = pd.DataFrame(arr, columns=header, index=pd.Index(lines[keep], dtype="int64"),
                      dtype=object)
    empty = (arr == "").all(axis=1) if arr.size else np.zeros(len(df), dtype=bool)
    return df[~empty] if empty.any() else df  # rows of empty cells (spreadsheet left-overs)


def read_csv_table(path: Path, table: str, p: Problems) -> pd.DataFrame | None:
    """Read one CSV file as a table of strings (``None`` after reporting when unreadable)."""
    try:
        raw = path.read_bytes()
    except OSError as e:
        p.add(table, "", "unreadable", f"cannot read the file: {e.strerror or e}")
        return None
    text = decode(raw, table, p)
    return None if text is None else parse_csv(text, table, p)


def read_folder(folder: Path, p: Problems) -> tuple[dict, dict, pd.DataFrame | None, dict]:
    """Read every CSV of a dataset folder.

    Returns
    -------
    tables : dict of str to DataFrame of str
    files : dict of str to str, the file name of each table
    provenance : DataFrame of str or None
    metadata : dict (from ``metadata.json``; empty when absent)
    """
    tables, files, prov, meta = {}, {}, None, {}
    for path in sorted(folder.glob("*.csv")):
        name = path.stem
        files[name] = path.name
        p.files[name] = path.name
        if name not in SCHEMAS and name != PROVENANCE.name:
            near = difflib.get_close_matches(name.lower(), [*SCHEMAS, PROVENANCE.name], n=1)
            hint = f" (did you mean {near[0]}.csv?)" if near else ""
            p.add(name, "", "unknown_table",
                  f"{path.name} is not a table of the data model{hint}; known tables: "
                  + ", ".join(SCHEMAS), file=path.name)
            continue
        df = read_csv_table(path, name, p)
        if df is None:
            continue
        if name == PROVENANCE.name:
            prov = df
        else:
            tables[name] = df
    for path in sorted(folder.iterdir()):
        stem, suffix = path.stem, path.suffix.lower()
        if suffix in SPREADSHEET_SUFFIXES and stem in SCHEMAS and stem not in files:
            p.add(stem, "", "unreadable", f"{path.name} is a spreadsheet, which cannot be read: "
                  f"open it and save it as {stem}.csv, type 'CSV UTF-8 (comma delimited)'",
                  file=path.name)
    meta_path = folder / "metadata.json"
    if meta_path.exists():
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            if not isinstance(meta, dict):
                raise ValueError("the top level must be an object {...}")
        except (ValueError, UnicodeDecodeError) as e:
            p.add("metadata", "", "invalid_json", f"metadata.json cannot be read: {e}",
                  file="metadata.json")
            meta = {}
    return tables, files, prov, meta


def is_sqlite(path: Path) -> bool:
    """Whether ``path`` is (or claims by its suffix to be) a SQLite database file."""
    if path.suffix.lower() in SQLITE_SUFFIXES:
        return True
    try:
        with path.open("rb") as fh:
            return fh.read(16) == SQLITE_MAGIC
    except OSError:
        return False


def frame_to_strings(df: pd.DataFrame) -> pd.DataFrame:
    """Typed values back to the text a CSV would hold (exact for floats; missing -> ``""``)."""
    out = {}
    for c in df.columns:
        s = df[c]
        missing = s.isna().to_numpy()
        if pd.api.types.is_datetime64_any_dtype(s):
            txt = s.dt.strftime("%Y-%m-%d").to_numpy(dtype=object)
        else:  # convert each distinct value once
            codes, uniq = pd.factorize(s.to_numpy(dtype=object))
            u = np.array([_text(v) for v in uniq] + [""], dtype=object)
            txt = u[codes]  # code -1 (missing) picks the trailing ""
        out[c] = np.where(missing, "", txt).astype(object)
    return pd.DataFrame(out, index=df.index, columns=df.columns)


def _text(v) -> str:
    if isinstance(v, bool | np.bool_):
        return "true" if v else "false"
    if isinstance(v, float):
        return float.__repr__(v)  # shortest text that reads back to the same float
    if isinstance(v, datetime):  # includes pandas Timestamps; a time of day stays visible
        return v.strftime("%Y-%m-%d") if v == v.replace(hour=0, minute=0, second=0,
                                                        microsecond=0) else v.isoformat()
    return str(v)


def _not_sqlite_hint(path: Path) -> str:
    """A hint when a file named ``*.sqlite`` is really text (e.g. a CSV file renamed)."""
    try:
        with path.open("rb") as fh:
            head = fh.read(512)
    except OSError:
        return ""
    if head and b"\x00" not in head and (b"," in head or b";" in head):
        return (f"; {path.name} looks like a text/CSV file, not a database: pass the folder of "
                "CSV files instead, or build a database with 'costing db build FOLDER --db "
                f"{path.name}'")
    return ""


def read_sqlite(path: Path, p: Problems) -> tuple[dict, dict, pd.DataFrame | None, dict]:
    """Read a dataset stored by :func:`costing.data.store.write_sqlite` (same return as
    :func:`read_folder`)."""
    label = path.name
    try:
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as e:
        p.add("", "", "unreadable", f"cannot open {label} as SQLite: {e}", file=label)
        return {}, {}, None, {}
    tables, files, prov, meta = {}, {}, None, {}
    try:
        names = [r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        if "_schema_version" not in names:
            p.add("", "", "schema_version", f"{label} has no _schema_version table; build it "
                  "with 'costing db build'", file=label)
            return {}, {}, None, {}
        version = con.execute("SELECT MAX(version) FROM _schema_version").fetchone()[0]
        if version != SCHEMA_VERSION:
            p.add("", "", "schema_version", f"{label} has schema version {version}; this "
                  f"library reads version {SCHEMA_VERSION}", file=label, values=version)
            return {}, {}, None, {}
        for name in names:
            if name.startswith("_") or name.startswith("sqlite_"):
                continue
            file = f"{label}:{name}"
            files[name] = file
            p.files[name] = file
            if name not in SCHEMAS and name != PROVENANCE.name:
                p.add(name, "", "unknown_table", f"table {name} is not part of the data model",
                      file=file)
                continue
            cur = con.execute(f'SELECT rowid, * FROM "{name}" ORDER BY rowid')
            cols = [d[0] for d in cur.description][1:]
            data = cur.fetchall()
            obj = pd.DataFrame(data, columns=["_rowid", *cols], dtype=object)
            df = frame_to_strings(obj[cols])
            df.index = pd.Index(obj["_rowid"].astype("int64"))
            if name == PROVENANCE.name:
                prov = df
            else:
                tables[name] = df
        if "_metadata" in names:
            row = con.execute("SELECT json FROM _metadata").fetchone()
            meta = json.loads(row[0]) if row else {}
    except (sqlite3.Error, ValueError) as e:
        p.add("", "", "unreadable", f"{label} is not a readable SQLite dataset: {e}"
              + _not_sqlite_hint(path), file=label)
        return {}, {}, None, {}
    finally:
        con.close()
    return tables, files, prov, meta
