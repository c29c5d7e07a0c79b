"""Personal-data safeguards for outputs built from social workers' diaries and caseloads.

Time-use diaries and caseloads are personal data (GDPR): worker ids are pseudonymous, and no
published figure may rest on fewer than :data:`MIN_WORKERS` workers (methodology section 7.6).
This module is the one mechanism every published output uses:

* :func:`suppress_small_cells` blanks the values of every row that rests on too few workers and
  says why, in the same way for every table;
* :func:`assert_no_worker_ids` scans text, HTML, notebooks and frames for worker ids (``W`` +
  digits) and raises :class:`PrivacyError` if one is found;
* :func:`assert_suppressed` checks that a table respects the minimum cell size.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import CostingError, InputError

#: Smallest number of distinct workers a published figure may rest on (methodology 7.6).
MIN_WORKERS: int = 5

#: A pseudonymous worker id as in the ``workers`` table: ``W`` followed by digits.
WORKER_ID_PATTERN = re.compile(r"(?<![A-Za-z0-9_])W\d+(?![A-Za-z0-9_])")

#: Embedded binary data (``data:`` URIs, e.g. base64 PNG figures in HTML) is not text a reader sees
#: and can contain ``W`` + digits by chance; it is removed before scanning.
_DATA_URI = re.compile(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=\s]+")
_BINARY_MIME = ("image/png", "image/jpeg", "image/gif", "application/pdf")


class PrivacyError(CostingError):
    """An output would disclose personal data (a worker id, or a figure on too few workers)."""


def suppression_reason(min_workers: int = MIN_WORKERS) -> str:
    """Return the reason written next to a suppressed figure, e.g. ``"fewer than 5 workers"``."""
    return f"fewer than {min_workers} workers"


def suppress_small_cells(
    df: pd.DataFrame,
    count_col: str = "n_workers",
    value_cols: Sequence[str] | None = None,
    min_workers: int = MIN_WORKERS,
) -> pd.DataFrame:
    """Blank every figure that rests on fewer than ``min_workers`` workers.

    Implements rule (7.19): a row is published only if its count of distinct workers
    ``n_workers >= min_workers``; otherwise its values become missing (NaN), the flag
    ``suppressed`` is ``True`` and ``suppression_reason`` reads ``"fewer than N workers"``.

    Parameters
    ----------
    df : pandas.DataFrame
        A table with one row per published cell.
    count_col : str
        Column holding the number of distinct workers the row rests on. [workers]
    value_cols : sequence of str, optional
        Columns to blank. Default: every column except ``count_col`` that is numeric, boolean or
        is called ``status``; key columns (codes, years) are never blanked unless listed.
    min_workers : int
        Minimum cell size, default :data:`MIN_WORKERS`. [workers]

    Returns
    -------
    pandas.DataFrame
        A copy of ``df`` with the values blanked and two columns added (or overwritten):
        ``suppressed`` (bool) and ``suppression_reason`` (str, empty when not suppressed).
        The count column itself is kept, so a reader sees why the row is empty.

    Raises
    ------
    InputError
        If ``count_col`` or a value column is missing, or ``min_workers < 1``, or a count is
        missing or negative.
    """
    if not isinstance(df, pd.DataFrame):
        raise InputError(f"suppress_small_cells: df must be a pandas DataFrame, got "
                         f"{type(df).__name__}")
    if not isinstance(min_workers, (int, np.integer)) or min_workers < 1:
        raise InputError(f"suppress_small_cells: min_workers must be an integer >= 1, "
                         f"got {min_workers!r}")
    if count_col not in df.columns:
        raise InputError(f"suppress_small_cells: count column {count_col!r} not in the table "
                         f"(columns: {list(df.columns)})")
    counts = pd.to_numeric(df[count_col], errors="coerce")
    if counts.isna().any() or (counts < 0).any():
        bad = df.loc[counts.isna() | (counts < 0), count_col].iloc[0]
        raise InputError(f"suppress_small_cells: column {count_col!r} must hold counts >= 0, "
                         f"found {bad!r}")
    if value_cols is None:
        skip = {count_col, "year", "suppressed", "suppression_reason"}
        value_cols = [c for c in df.columns if c not in skip and (
            pd.api.types.is_numeric_dtype(df[c]) or pd.api.types.is_bool_dtype(df[c])
            or c == "status")]
    missing = [c for c in value_cols if c not in df.columns]
    if missing:
        raise InputError(f"suppress_small_cells: value columns {missing} not in the table")
    small = (counts < min_workers).to_numpy()
    out = df.copy()
    if small.any():
        for col in value_cols:
            values = out[col]
            if pd.api.types.is_bool_dtype(values):
                values = values.astype("boolean")
            elif pd.api.types.is_integer_dtype(values):
                values = values.astype("float64")
            out[col] = values.mask(small)
    out["suppressed"] = small
    out["suppression_reason"] = np.where(small, suppression_reason(min_workers), "")
    return out


def assert_suppressed(
    df: pd.DataFrame,
    count_col: str = "n_workers",
    value_cols: Sequence[str] | None = None,
    min_workers: int = MIN_WORKERS,
) -> None:
    """Raise :class:`PrivacyError` if a row on fewer than ``min_workers`` workers shows a value.

    Parameters
    ----------
    df : pandas.DataFrame
        A table meant for publication.
    count_col : str
        Column with the number of distinct workers per row. [workers]
    value_cols : sequence of str, optional
        Columns that must be empty on small rows; default every numeric column except the count
        and ``year``.
    min_workers : int
        Minimum cell size. [workers]
    """
    if count_col not in df.columns:
        raise PrivacyError(f"table has no worker count column {count_col!r}: cannot show that "
                           f"every figure rests on at least {min_workers} workers")
    if value_cols is None:
        value_cols = [c for c in df.columns if c not in {count_col, "year"}
                      and pd.api.types.is_numeric_dtype(df[c])
                      and not pd.api.types.is_bool_dtype(df[c])]
    small = pd.to_numeric(df[count_col], errors="coerce") < min_workers
    for col in value_cols:
        shown = small & df[col].notna()
        if shown.any():
            raise PrivacyError(f"column {col!r} shows {int(shown.sum())} value(s) resting on fewer "
                               f"than {min_workers} workers (rows {list(df.index[shown][:5])})")


def _mask(worker_id: str) -> str:
    return worker_id[:2] + "*" * max(len(worker_id) - 2, 1)


def _scan_text(text: str, where: str) -> list[str]:
    text = _DATA_URI.sub("", text)
    return [f"{where}: {_mask(m.group(0))}" for m in WORKER_ID_PATTERN.finditer(text)]


def _scan(obj: Any, where: str) -> list[str]:
    if obj is None or isinstance(obj, (bool, int, float, np.number)):
        return []
    if isinstance(obj, Path):
        text = obj.read_text(encoding="utf-8", errors="replace")
        if obj.suffix == ".ipynb":
            return _scan(json.loads(text), str(obj))
        return _scan_text(text, str(obj))
    if isinstance(obj, str):
        return _scan_text(obj, where)
    if isinstance(obj, pd.Series):
        obj = obj.to_frame()
    if isinstance(obj, pd.DataFrame):
        hits = _scan_text(" ".join(map(str, obj.columns)), f"{where} column names")
        hits += _scan_text(" ".join(map(str, obj.index)), f"{where} index")
        for col in obj.columns:
            values = obj[col]
            if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
                continue
            uniq = pd.unique(values.dropna().astype(str))
            hits += _scan_text("\n".join(uniq), f"{where} column {col!r}")
        return hits
    if isinstance(obj, Mapping):
        hits = []
        for key, value in obj.items():
            if key in _BINARY_MIME:
                continue
            hits += _scan_text(str(key), f"{where} key")
            hits += _scan(value, f"{where}/{key}")
        return hits
    if isinstance(obj, Iterable):
        return [h for i, item in enumerate(obj) for h in _scan(item, f"{where}[{i}]")]
    return _scan_text(str(obj), where)


def find_worker_ids(obj: Any) -> list[str]:
    """List where worker ids occur in ``obj`` (ids masked, e.g. ``"W1**"``).

    ``obj`` may be a string (text, HTML, Markdown), a :class:`pathlib.Path` to a text, HTML or
    notebook file, a DataFrame or Series (values, column names and index), a mapping such as a
    notebook (embedded images are skipped) or an iterable of any of these.
    """
    return _scan(obj, "output")


def assert_no_worker_ids(obj: Any) -> None:
    """Raise :class:`PrivacyError` if a worker id (``W`` + digits) appears anywhere in ``obj``.

    Parameters
    ----------
    obj : str, pathlib.Path, pandas.DataFrame, pandas.Series, mapping or iterable
        What is about to be published: report text or HTML, a notebook (as a dict or a ``.ipynb``
        path), a table, or a list of these.

    Raises
    ------
    PrivacyError
        Naming where the ids were found (the ids themselves are masked in the message).
    """
    hits = find_worker_ids(obj)
    if hits:
        more = f" (and {len(hits) - 10} more)" if len(hits) > 10 else ""
        raise PrivacyError(f"{len(hits)} worker id(s) found in an output: "
                           + "; ".join(hits[:10]) + more)
