"""Reading CSV files and SQLite databases into tables of strings, reporting file-level problems.

Everything is read as text first; :mod:`costing.data.validation` converts it per schema. Each
table is a DataFrame of ``str`` whose index is the line number in the file (header = line 1), or
the rowid in a SQLite table, so that every problem can point at the line a spreadsheet shows.
"""

from __future__ import annotations

import codecs
import csv
import ctypes
import difflib
import io
import json
import re
import sqlite3
from collections.abc import Callable
from datetime import datetime
from operator import methodcaller
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DatasetInUseError
from .problems import Problems
from .schema import PROVENANCE, SCHEMA_VERSION, SCHEMAS

SQLITE_MAGIC = b"SQLite format 3\x00"
SQLITE_SUFFIXES = (".sqlite", ".sqlite3", ".db")
SPREADSHEET_SUFFIXES = (".xlsx", ".xls", ".xlsm", ".ods", ".numbers")
#: CSV files larger than this [bytes] are read block by block, in blocks of about this size, so
#: that memory stays bounded: a 200 MB file never has its whole text (and copies of it) in memory.
CHUNK_BYTES = 16 * 2**20


def _looks_utf16(head: bytes) -> bool:
    """Whether ``head`` (the first bytes of a file) is UTF-16: a byte-order mark, or NUL on
    (nearly) every other byte, as UTF-16 writes Latin letters and digits."""
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return True
    pairs = len(head) // 2
    even, odd = head[0 : 2 * pairs : 2].count(0), head[1 : 2 * pairs : 2].count(0)
    return pairs >= 2 and max(even, odd) >= pairs / 2 and min(even, odd) <= pairs / 20


def _line_at(raw: bytes, pos: int) -> tuple[int, bytes]:
    """(line number counted from 1, the bytes of that line) of byte ``pos`` in ``raw``."""
    start = raw.rfind(b"\n", 0, pos) + 1
    end = raw.find(b"\n", pos)
    return raw.count(b"\n", 0, pos) + 1, raw[start : end if end >= 0 else len(raw)]


def _nul_problem(raw: bytes, pos: int, table: str, p: Problems, first_line: int = 1) -> None:
    """Report the NUL byte at ``pos`` of ``raw`` (whose first line is line ``first_line``)."""
    line_no, line = _line_at(raw, pos)
    line_no += first_line - 1
    column = len(raw[raw.rfind(b"\n", 0, pos) + 1 : pos].decode("utf-8", errors="replace")) + 1
    shown = line.decode("utf-8", errors="replace").rstrip("\r").replace("\x00", "<NUL>")
    p.add(table, "", "encoding",
          f"the file contains NUL bytes (0x00, a 'nothing' character that is not text), the "
          f"first on line {line_no} at character {column}; a program that wrote or repaired "
          "the file left them there: delete them (search for \\0 in a text editor such as "
          "Notepad++, or retype the line) and save as 'CSV UTF-8 (comma delimited)'",
          rows=[line_no], values=shown.strip()[:80])


def _bad_byte_problem(raw: bytes, pos: int, table: str, p: Problems,
                      first_line: int = 1) -> None:
    """Report the byte at ``pos`` of ``raw`` that is not UTF-8 (file not saved as UTF-8)."""
    line_no, line = _line_at(raw, pos)
    line_no += first_line - 1
    text = line.decode("cp1257", errors="replace")
    p.add(table, "", "encoding",
          f"the file is not UTF-8: byte 0x{raw[pos]:02X} on line {line_no} (perhaps "
          "Windows-1257/Baltic); save it as 'CSV UTF-8 (comma delimited)'",
          rows=[line_no], values=text.strip()[:80])


def _utf16_problem(table: str, p: Problems) -> None:
    p.add(table, "", "encoding", "the file is not UTF-8 (it looks like UTF-16); save it as "
          "'CSV UTF-8 (comma delimited)'", rows=[1])


def decode(raw: bytes, table: str, p: Problems) -> str | None:
    """Decode UTF-8 bytes (a byte-order mark is allowed); report other encodings with the line.

    UTF-16 (a byte-order mark, or NUL on every other byte) is named as such; a stray NUL byte
    in a UTF-8 file is reported with its line.
    """
    if not raw.strip():
        p.add(table, "", "empty_file", "the file is empty (not even a header line)")
        return None
    if _looks_utf16(raw[:4096]):
        _utf16_problem(table, p)
        return None
    nul = raw.find(b"\x00")
    if nul >= 0:
        _nul_problem(raw, nul, table, p)
        return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        _bad_byte_problem(raw, e.start, table, p)
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


def read_csv_table(path: Path, table: str, p: Problems,
                   chunk_bytes: int | None = None) -> pd.DataFrame | None:
    """Read one CSV file as a table of strings (``None`` after reporting when unreadable).

    Parameters
    ----------
    path : pathlib.Path
        The CSV file.
    table : str
        Its table name (for the problem list).
    p : Problems
        Where file-level problems (encoding, field counts, ...) are recorded.
    chunk_bytes : int, optional
        Files larger than this [bytes] are read block by block (default :data:`CHUNK_BYTES`);
        smaller ones in one piece.

    Returns
    -------
    DataFrame or None
        One column per header name, indexed by line number. A file read in blocks has
        categorical columns (each distinct text held once); the values and the problems are
        those of a file read in one piece.
    """
    limit = CHUNK_BYTES if chunk_bytes is None else chunk_bytes
    try:
        if path.stat().st_size > limit:
            with path.open("rb") as fh:
                df = _BlockReader(fh, table, p, limit).read()
            _return_free_memory()
            return df
        raw = path.read_bytes()
    except OSError as e:
        p.add(table, "", "unreadable", f"cannot read the file: {e.strerror or e}")
        return None
    text = decode(raw, table, p)
    return None if text is None else parse_csv(text, table, p)


def _return_free_memory() -> None:
    """Give memory freed after reading a big file back to the operating system.

    The C library keeps the many blocks freed by reading in its heap, which counts as memory in
    use until ``malloc_trim`` returns it (about 250 MB after a 200 MB file). Where there is no
    such function (not glibc), this does nothing.
    """
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (AttributeError, OSError, TypeError):
        pass


def _n_lines(text: str) -> int:
    """Lines as :mod:`csv` counts them (``\\n``, ``\\r\\n`` and a lone ``\\r`` end a line)."""
    return text.count("\n") + text.count("\r") - text.count("\r\n")


class _Codes:
    """One column read block by block: its distinct texts once, and a code per row."""

    def __init__(self) -> None:
        self.known: dict[str, int] = {}
        self.parts: list[np.ndarray] = []

    @staticmethod
    def factorize(values) -> tuple[np.ndarray, np.ndarray]:
        return pd.factorize(np.asarray(values, dtype=object))

    def add(self, codes: np.ndarray, uniq: np.ndarray) -> None:
        """Append a block's rows given by its own codes into its own distinct values."""
        known = self.known
        glob = np.empty(len(uniq), dtype=np.int64)
        for i, v in enumerate(uniq):
            k = known.get(v)
            if k is None:  # keep a fresh copy: the block's own strings are all freed together
                k = known[v.encode("utf-8", "surrogatepass").decode("utf-8", "surrogatepass")] \
                    = len(known)
            glob[i] = k
        self.parts.append(glob.astype(np.int32)[codes] if len(uniq) else
                          np.zeros(0, dtype=np.int32))

    @property
    def all_empty(self) -> bool:
        return all(v == "" for v in self.known)

    def categorical(self) -> pd.Categorical:
        codes = np.concatenate(self.parts) if self.parts else np.zeros(0, dtype=np.int32)
        cats = pd.Index(np.array(list(self.known), dtype=object), dtype=object)
        return pd.Categorical.from_codes(codes, categories=cats)


class _BlockReader:
    """Read a CSV file in blocks of about ``size`` bytes, each ending at a line end.

    The result and the problems are those of :func:`decode` + :func:`parse_csv` on the whole
    file, in the same order of precedence: a NUL byte, then a byte that is not UTF-8, then a CSV
    syntax error, then an empty header or a wrong delimiter, then field counts. Quoted values
    may span the end of a block: the block is then read together with the next one. Only one
    block of text and the codes of the rows read so far are held at a time.
    """

    def __init__(self, fh, table: str, p: Problems, size: int):
        self.fh, self.table, self.p, self.size = fh, table, p, size
        self.fatal: tuple[int, Callable[[], None]] | None = None  # (precedence, report)
        self.header: list[str] | None = None
        self.cols: list[_Codes] = []
        self.lines: list[np.ndarray] = []
        self.fast = False
        # lines whose field count is wrong, as (line, values, text); while every line so far has
        # the same wrong count, only the blocks are noted (the header is then the likely cause)
        self.wrong: list[tuple[int, int, str]] = []
        self.uniform: int | None = -1  # -1: no line yet; n: every line has n values; None: mixed
        self.uniform_blocks: list[tuple[int, int, int, bool]] = []
        self.n_nonblank = 0
        self.n_wrong = 0

    # ------------------------------------------------------------------ driver
    def read(self) -> pd.DataFrame | None:
        first, seen_text = True, False
        offset, line0, nl0 = 0, 1, 1  # byte offset, first line (csv count), first line ("\n")
        pending = b""
        while True:
            data = self.fh.read(self.size)
            eof = not data
            data = pending + data
            if not data:
                break
            cut = len(data) if eof else data.rfind(b"\n") + 1
            if cut == 0:  # one line longer than a block: read on
                pending = data
                continue
            block, pending = data[:cut], data[cut:]
            seen_text = seen_text or bool(block.strip())
            if first and _looks_utf16(block[:4096]):
                _utf16_problem(self.table, self.p)
                return None
            nul = block.find(b"\x00")
            if nul >= 0:  # nothing takes precedence over it
                _nul_problem(block, nul, self.table, self.p, nl0)
                return None
            text = self._decode(block, first, nl0)
            if text is not None and (self.fatal is None or self.fatal[0] > 2):
                if not self._parse(text, block, first, line0, offset, eof):
                    pending = block + pending  # a quoted value goes on in the next block
                    if not eof:
                        continue
            offset, line0, nl0 = offset + len(block), line0 + _n_lines(text or ""), \
                nl0 + block.count(b"\n")
            first = False
            if eof:
                break
        if not seen_text:
            self.p.add(self.table, "", "empty_file", "the file is empty (not even a header line)")
            return None
        if self.fatal is not None:
            self.fatal[1]()
            return None
        return self._finish()

    def _decode(self, block: bytes, first: bool, nl0: int) -> str | None:
        try:
            return block.decode("utf-8-sig" if first else "utf-8")
        except UnicodeDecodeError as e:
            if self.fatal is None or self.fatal[0] > 1:
                self.fatal = (1, lambda b=block, s=e.start: _bad_byte_problem(
                    b, s, self.table, self.p, nl0))
            return None

    # ------------------------------------------------------------------ one block
    def _parse(self, text: str, block: bytes, first: bool, line0: int, offset: int,
               eof: bool) -> bool:
        """Parse one block; ``False`` when it ends inside a quoted value (read more first)."""
        if self.fatal is not None:  # only a CSV syntax error could still take precedence
            return self._syntax_only(text, line0, eof)
        if first:
            end = text.find("\n")
            fast = _fast_block(block, text[: end if end >= 0 else len(text)], None)
            if fast is not None:
                self.header = fast[0]
                self._start()
                self._add_fast(fast[2], fast[1] + line0 - 1)
                return True
        elif self.fast:
            fast = _fast_block(block, None, len(self.header))
            if fast is not None:
                self._add_fast(fast[2], fast[1] + line0 - 1)
                return True
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        try:
            rows = list(reader)
        except csv.Error as e:
            return self._syntax_error(e, reader.line_num, text, line0, eof)
        if first:
            if not rows or not rows[0]:
                self.fatal = (3, lambda: self.p.add(
                    self.table, "", "empty_file", "the first line (the header) is empty",
                    rows=[1]))
                return True
            self.header = [h.strip() for h in rows[0]]
            if len(self.header) == 1 and (";" in self.header[0] or "\t" in self.header[0]):
                h, sample = self.header[0], rows[1:3]
                self.fatal = (3, lambda: self.p.add(
                    self.table, "", "delimiter", _delimiter_message(h, sample), rows=[1],
                    values=h[:80]))
                return True
            self._start()
        body = rows[1:] if first else rows
        n_phys = text.count("\n") + (0 if text.endswith("\n") else 1)
        if len(rows) == n_phys:
            lines = np.arange(len(body), dtype=np.int64) + (line0 + 1 if first else line0)
        else:  # quoted values span lines: the physical line of every record
            reader = csv.reader(io.StringIO(text, newline=""), strict=True)
            if first:
                next(reader)
            lines = np.fromiter((reader.line_num for _ in reader), dtype=np.int64,
                                count=len(body)) + line0 - 1
        self._add_rows(body, lines, (offset, line0, len(block), first))
        return True

    def _syntax_only(self, text: str, line0: int, eof: bool) -> bool:
        """After a header or delimiter problem: still look for a CSV syntax error."""
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        try:
            for _ in reader:
                pass
        except csv.Error as e:
            return self._syntax_error(e, reader.line_num, text, line0, eof)
        return True

    def _syntax_error(self, e: csv.Error, line_num: int, text: str, line0: int,
                      eof: bool) -> bool:
        """Note a CSV syntax error; ``False`` when it may only be the end of the block."""
        if not eof and line_num >= _n_lines(text):
            return False
        line = line0 + line_num - 1
        message = (f"the file cannot be read as CSV at line {line}: {e} (a stray quote or "
                   "line break inside a value?)")
        self.fatal = (2, lambda: self.p.add(self.table, "", "csv_syntax", message, rows=[line]))
        return True

    def _start(self) -> None:
        h = self.header
        self.cols = [_Codes() for _ in h]
        self.fast = len(h) > 1 and len(set(h)) == len(h) and "" not in h
        n_named = max((j + 1 for j, c in enumerate(h) if c != ""), default=0)
        self.n_trailing = len(h) - n_named

    def _keep(self, columns: list[tuple[np.ndarray, np.ndarray]], lines: np.ndarray) -> None:
        """Append the rows of a block (per column: codes, distinct values), minus empty rows."""
        empty = np.ones(len(lines), dtype=bool)
        for codes, uniq in columns:
            hit = np.flatnonzero(uniq == "")
            empty &= (codes == hit[0]) if len(hit) else False
        keep = ~empty if empty.any() else slice(None)
        for col, (codes, uniq) in zip(self.cols, columns, strict=True):
            col.add(codes[keep], uniq)
        self.lines.append(lines[keep])

    def _add_fast(self, values: list[np.ndarray], lines: np.ndarray) -> None:
        self._note_counts(len(lines), 0, {len(self.header)} if len(lines) else set())
        self._keep([_Codes.factorize(v) for v in values], lines)

    def _note_counts(self, nonblank: int, wrong: int, counts: set) -> None:
        """Follow whether every line so far has the same wrong number of values."""
        self.n_nonblank += nonblank
        self.n_wrong += wrong
        if self.uniform == -1 and counts:
            self.uniform = next(iter(counts)) if len(counts) == 1 and wrong == nonblank \
                else None
        elif self.uniform not in (-1, None) and counts and (
                counts != {self.uniform} or wrong != nonblank):
            self.uniform = None
        if self.uniform is None and self.uniform_blocks:
            self._replay_uniform_blocks()

    def _add_rows(self, body: list[list[str]], lines: np.ndarray, where: tuple) -> None:
        """Check the field counts of a block's records and keep the good ones."""
        ncol = len(self.header)
        lens = np.fromiter(map(len, body), dtype=np.int64, count=len(body))
        blank = lens == 0
        if self.n_trailing and self.header[0] != "":  # rows may stop before the empty columns
            short = ~blank & (lens >= ncol - self.n_trailing) & (lens < ncol)
            for i in np.flatnonzero(short):
                body[i] = [*body[i], *[""] * (ncol - lens[i])]
            lens[short] = ncol
        wrong = ~blank & (lens != ncol)
        self._note_counts(int((~blank).sum()), int(wrong.sum()),
                          {int(n) for n in np.unique(lens[~blank])})
        if self.uniform not in (-1, None):  # so far every line is wrong the same way
            self.uniform_blocks.append(where)
        else:
            self.wrong += [(int(lines[i]), int(lens[i]), ",".join(body[i])[:80])
                           for i in np.flatnonzero(wrong)]
        keep = ~blank & ~wrong
        good = [r for r, k in zip(body, keep, strict=True) if k] if not keep.all() else body
        arr = np.array(good, dtype=object).reshape(len(good), ncol)
        self._keep([_Codes.factorize(arr[:, j]) for j in range(ncol)], lines[keep])

    def _replay_uniform_blocks(self) -> None:
        """Lines of earlier blocks were all wrong the same way, but this block is not: read
        them again to list each of their wrong lines."""
        here = self.fh.tell()
        for offset, line0, size, first in self.uniform_blocks:
            self.fh.seek(offset)
            text = self.fh.read(size).decode("utf-8-sig" if first else "utf-8")
            rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
            body = rows[1:] if first else rows
            n_phys = text.count("\n") + (0 if text.endswith("\n") else 1)
            if len(rows) == n_phys:
                lines = np.arange(len(body)) + (line0 + 1 if first else line0)
            else:
                reader = csv.reader(io.StringIO(text, newline=""), strict=True)
                if first:
                    next(reader)
                lines = np.array([reader.line_num for _ in reader]) + line0 - 1
            self.wrong += [(int(ln), len(r), ",".join(r)[:80]) for ln, r in
                           zip(lines, body, strict=True) if r and len(r) != len(self.header)]
        self.uniform_blocks = []
        self.fh.seek(here)

    # ------------------------------------------------------------------ the table
    def _finish(self) -> pd.DataFrame | None:
        header, t, p = self.header, self.table, self.p
        if self.n_wrong > 1 and self.n_wrong == self.n_nonblank and self.uniform not in (-1,
                                                                                        None):
            schema = PROVENANCE if t == PROVENANCE.name else SCHEMAS.get(t)
            names = schema.column_names if schema is not None else []
            odd = [f"unexpected column '{h}'" for h in header if names and h not in names]
            odd += [f"missing column '{c}'" for c in names if c not in header]
            p.add(t, "", "field_count",
                  f"every line has {self.uniform} values but the header (line 1) has "
                  f"{len(header)} columns: the header has a column name too many or too few"
                  + (f" ({'; '.join(odd)})" if odd else ""), rows=[1],
                  values=",".join(header)[:80])
            return None
        if self.uniform_blocks:
            self._replay_uniform_blocks()
        for line, n, text in self.wrong:
            p.add(t, "", "field_count",
                  f"line has {n} values but the header has {len(header)} columns"
                  " (a stray comma, or a value with a comma that needs quotes?)",
                  rows=[line], values=text)
        kept = [j for j, h in enumerate(header) if h != "" or not self.cols[j].all_empty] \
            if self.n_trailing or "" in header else range(len(header))
        lines = np.concatenate(self.lines) if self.lines else np.zeros(0, dtype=np.int64)
        df = pd.DataFrame({k: self.cols[j].categorical() for k, j in enumerate(kept)},
                          index=pd.Index(lines, dtype="int64"))
        df.columns = [header[j] for j in kept]
        return df


def _fast_block(block: bytes, header_line: str | None, ncol: int | None):
    """Parse a block of simple CSV (no quotes, every line complete) with pandas' C reader.

    The checks are those of :func:`_fast_parse`, done with numpy on the bytes. For the first
    block ``header_line`` is its decoded first line (the header) and ``ncol`` is ``None``.
    Returns ``(header, lines, values)`` — the header (first block only), the line number of
    every record counted from 1 at the block's first line, and one object array per column —
    or ``None`` when the block needs the careful path of :mod:`csv`.
    """
    if b'"' in block or block.count(b"\r") != block.count(b"\r\n"):
        return None
    a = np.frombuffer(block, dtype=np.uint8)
    ends = np.flatnonzero(a == ord("\n"))
    if not block.endswith(b"\n"):
        ends = np.append(ends, len(block))
    starts = np.concatenate(([0], ends[:-1] + 1)) if len(ends) else ends
    commas = np.flatnonzero(a == ord(","))
    n_commas = np.searchsorted(commas, ends) - np.searchsorted(commas, starts)
    lengths = ends - starts
    blank = lengths == 0
    one = np.flatnonzero(lengths == 1)
    blank[one] = a[starts[one]] == ord("\r")
    header = None
    if ncol is None:
        header = [h.strip() for h in header_line.rstrip("\r").split(",")]
        if not len(ends) or blank[0] or len(set(header)) != len(header) or "" in header \
                or len(header) < 2:
            return None
        ncol = len(header)
    if not ((n_commas == ncol - 1) | blank).all():
        return None
    skip = 0 if header is None else 1
    lines = np.flatnonzero(~blank[skip:]) + 1 + skip
    if len(lines) == 0:
        return header, lines, [np.zeros(0, dtype=object) for _ in range(ncol)]
    body = block[3:] if block.startswith(codecs.BOM_UTF8) else block
    df = pd.read_csv(io.BytesIO(body), header=0 if skip else None, dtype=object,
                     na_filter=False, skip_blank_lines=True, encoding="utf-8")
    if len(df) != len(lines) or len(df.columns) != ncol:
        return None
    return header, lines, [df.iloc[:, j].to_numpy(dtype=object) for j in range(ncol)]


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


#: How long to wait for a SQLite file that another program is writing [s].
SQLITE_TIMEOUT = 5.0


def _is_locked(e: sqlite3.Error) -> bool:
    """Whether a SQLite error says the file is locked by another connection (busy)."""
    code = getattr(e, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return "locked" in str(e)


def read_sqlite(path: Path, p: Problems) -> tuple[dict, dict, pd.DataFrame | None, dict]:
    """Read a dataset stored by :func:`costing.data.store.write_sqlite` (same return as
    :func:`read_folder`).

    Raises
    ------
    DatasetInUseError
        If another program holds a lock on the file for longer than :data:`SQLITE_TIMEOUT`.
    """
    label = path.name
    try:
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True,
                              timeout=SQLITE_TIMEOUT)
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
        if isinstance(e, sqlite3.Error) and _is_locked(e):
            raise DatasetInUseError(path) from None
        p.add("", "", "unreadable", f"{label} is not a readable SQLite dataset: {e}"
              + _not_sqlite_hint(path), file=label)
        return {}, {}, None, {}
    finally:
        con.close()
    return tables, files, prov, meta
