"""Exceptions raised by the library: every one says what, where, which rule and which value."""

from __future__ import annotations

import errno
import os

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


class MethodRefusal(InputError):
    """Data that pass the schema but that the method cannot compute for one municipality-year.

    Raised by the method's own functions where they refuse data (a singular allocation, a
    support centre with costs and no driver row, a municipality-year without population, ...).
    The same refusals, collected instead of raised, are the method-requirement rules of
    ``costing validate`` and decide which municipalities a report batch leaves out of its
    comparisons (see :mod:`costing.data.requirements`, whose ``REQUIREMENTS`` lists every rule).

    Attributes
    ----------
    rule : str
        The requirement broken (a key of ``costing.data.requirements.REQUIREMENTS``).
    table, column : str
        Where the offending data are.
    where : dict of str to list
        Which rows: every row of ``table`` whose columns hold one of the listed values.
    value : str
        The offending value as shown to the user.
    municipality_code : str
    year : int or None
    """

    def __init__(self, message: str, *, rule: str, table: str = "", column: str = "",
                 where: dict | None = None, value: str = "", municipality_code: str = "",
                 year: int | None = None):
        super().__init__(message)
        self.message = message
        self.rule, self.table, self.column = rule, table, column
        self.where = dict(where or {})
        self.value = value
        self.municipality_code = municipality_code
        self.year = year

    def located(self, municipality_code: str, year: int, prefix: str = "") -> MethodRefusal:
        """The same refusal placed in a municipality and year (rows narrowed to the year), its
        message after ``prefix``."""
        where = dict(self.where)
        where.setdefault("year", [int(year)])  # ignored for a table without a year column
        return MethodRefusal(prefix + self.message, rule=self.rule, table=self.table,
                             column=self.column, where=where, value=self.value,
                             municipality_code=municipality_code, year=int(year))


class DatasetInUseError(OSError):
    """The dataset file is locked by another program: not a problem of its data.

    Raised by :func:`costing.data.readers.read_sqlite` (and so by :func:`costing.load_dataset`)
    when another program holds a lock on the SQLite file (it is writing to it, or keeps a
    transaction open).
    ``errno`` is ``EBUSY``, ``filename`` the path; ``str()`` is the message for the user.
    """

    def __init__(self, path: os.PathLike | str):
        super().__init__(errno.EBUSY, (
            f"{path} is locked: another program is using it (writing to it, or holding it open "
            "with unsaved changes, e.g. a database browser). Nothing is wrong with the data: "
            "close the file in that program, or wait until it has finished, and try again"),
            str(path))

    def __str__(self) -> str:
        return self.strerror
