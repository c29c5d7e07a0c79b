"""The list of problems found in a dataset: each with table, file, row, column, rule, value and
message, collected by the readers and the validation rules and raised all at once as a
:class:`~costing.errors.DataValidationError`."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import ERROR_COLUMNS
from .schema import SCHEMAS

_TABLE_ORDER = [t for t in SCHEMAS if not SCHEMAS[t].reference] + [
    t for t in SCHEMAS if SCHEMAS[t].reference]


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
                return [show_value(v)] * n
            return [show_value(x) for x in v]
        self._parts.append(pd.DataFrame({
            "table": [table] * n, "file": [file] * n, "row": rows_arr, "column": [column] * n,
            "rule": [rule] * n, "value": col(values), "message": col(message),
        }))

    def extend(self, errors: pd.DataFrame) -> None:
        """Add problems already in the form of :meth:`frame`."""
        if len(errors):
            self._parts.append(errors[ERROR_COLUMNS])

    def __len__(self) -> int:
        return sum(len(p) for p in self._parts)

    def frame(self) -> pd.DataFrame:
        """All problems, one per row: ``table, file, row, column, rule, value, message``.

        Ordered as the tables of the data model (dataset tables first), then by line.
        """
        if not self._parts:
            return pd.DataFrame({c: pd.Series(dtype="Int64" if c == "row" else "str")
                                 for c in ERROR_COLUMNS})
        out = pd.concat(self._parts, ignore_index=True)[ERROR_COLUMNS]
        order = {t: i for i, t in enumerate(_TABLE_ORDER)}
        rank = out["table"].map(order).fillna(-1)  # dataset-level problems first
        keys = pd.DataFrame({"rank": rank, "row": out["row"].fillna(0), "n": range(len(out))})
        return out.loc[keys.sort_values(["rank", "row", "n"]).index].reset_index(drop=True)


def show_value(v) -> str:
    """A value as text for the problem list: integral floats without '.0', missing as ''."""
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA or v is pd.NaT:
        return ""
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else float.__repr__(v)
    return str(v)
