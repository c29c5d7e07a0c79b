"""Exceptions raised by the library: every one says what, where, which rule and which value."""

from __future__ import annotations

import pandas as pd

ERROR_COLUMNS = ["table", "file", "row", "column", "rule", "value", "message"]


class CostingError(ValueError):
    """Base class of the library's own errors (a ValueError, so generic handlers still catch it)."""


class InputError(CostingError):
    """An argument given to a method function breaks one of its rules (see the message)."""


class DataValidationError(CostingError):
    """A dataset breaks one or more schema or cross-table rules.

    Attributes
    ----------
    errors : pandas.DataFrame
        One row per problem with columns ``table, file, row, column, rule, value, message``.
        ``row`` is the line number in the CSV file (header = line 1), empty for table-level
        problems.
    """

    def __init__(self, errors: pd.DataFrame, source: str = ""):
        self.errors = errors.reindex(columns=ERROR_COLUMNS).reset_index(drop=True)
        self.source = source
        n = len(self.errors)
        head = f"{source}: " if source else ""
        lines = [f"{head}{n} problem{'s' if n != 1 else ''} found"]
        for rec in self.errors.head(20).itertuples(index=False):
            where = f"{rec.file or rec.table}"
            if pd.notna(rec.row) and rec.row != "":
                where += f", row {rec.row}"
            if rec.column:
                where += f", column {rec.column}"
            lines.append(f"  - {where}: [{rec.rule}] {rec.message}")
        if n > 20:
            lines.append(f"  ... and {n - 20} more (see .errors)")
        super().__init__("\n".join(lines))
