"""Access to dataset and reference tables for the costing-method modules (private helpers)."""

from __future__ import annotations

import math
from functools import lru_cache

import pandas as pd

from ..errors import InputError
from .dataset import REFERENCE_DIR, reference_table


def table(dataset, name: str) -> pd.DataFrame:
    """Table ``name`` of ``dataset`` (a ``costing.Dataset`` or any object with ``.tables``).

    Raises
    ------
    InputError
        If the dataset has no such table.
    """
    tables = getattr(dataset, "tables", None)
    if isinstance(tables, dict) and name in tables and tables[name] is not None:
        return tables[name]
    value = getattr(dataset, name, None)
    if isinstance(value, pd.DataFrame):
        return value
    raise InputError(f"the dataset has no table {name!r}, which this step of the method needs")


@lru_cache(maxsize=16)
def _shipped(name: str) -> pd.DataFrame:
    """The shipped reference table, validated and typed by the dataset module."""
    path = REFERENCE_DIR / f"{name}.csv"
    if not path.exists():
        raise InputError(f"reference table {name!r} is not shipped in {REFERENCE_DIR}")
    return reference_table(name)


def reference(name: str, dataset=None) -> pd.DataFrame:
    """Reference table ``name``: the dataset's copy (which may override it) or the shipped CSV."""
    if dataset is not None:
        try:
            return table(dataset, name)
        except InputError:
            pass
    return _shipped(name).copy()


def cpi_index(dataset=None) -> pd.Series:
    """CPI level by year (2015 = 100) as a float Series indexed by int year."""
    cpi = reference("cpi", dataset)
    return pd.Series(
        pd.to_numeric(cpi["cpi_index"], errors="raise").to_numpy(dtype=float),
        index=pd.Index(pd.to_numeric(cpi["year"]).astype(int).to_numpy(), name="year"),
        name="cpi_index",
    )


def constant(name: str, dataset=None) -> float:
    """Value of a named constant of the ``constants`` reference table."""
    const = reference("constants", dataset)
    hit = const.loc[const["name"].astype(str) == name, "value"]
    if hit.empty:
        raise InputError(f"the constants reference table has no constant {name!r}")
    return float(hit.iloc[0])


def as_number(name: str, value, *, low: float | None = None, low_open: bool = False,
              high: float | None = None) -> float:
    """``value`` as a finite float within ``[low, high]`` (``(low, high]`` if ``low_open``).

    Raises
    ------
    InputError
        Naming the argument and the value when it is not a number, not finite or out of range.
    """
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise InputError(f"{name} must be a finite number, got {value!r}")
    if low is not None and (number <= low if low_open else number < low):
        raise InputError(f"{name} must be {'>' if low_open else '>='} {low:g}, got {value!r}")
    if high is not None and number > high:
        raise InputError(f"{name} must be <= {high:g}, got {value!r}")
    return number


def as_fraction(name: str, value, *, low: float = 0.0, low_open: bool = False) -> float:
    """A rate or share given as a fraction in ``[low, 1]``; a percent (23.59) is refused.

    Raises
    ------
    InputError
        When ``value`` is not a finite number in range; a value above 1 is reported as a likely
        percentage with the fraction it probably meant.
    """
    number = as_number(name, value, low=low, low_open=low_open)
    if number > 1:
        raise InputError(f"{name} must be a fraction (0.2359 for 23.59 %), got {value!r}; "
                         f"did you mean {number / 100:g}?")
    return number


def require_years(requested, available, what: str) -> None:
    """Raise when a requested year is not among the ``available`` years of a table.

    Raises
    ------
    InputError
        Naming the table and the years it covers.
    """
    have = sorted({int(y) for y in available})
    missing = sorted({int(y) for y in requested} - set(have))
    if missing:
        span = f"{have[0]}–{have[-1]}" if have else "no years"
        raise InputError(f"{what} has no data for year(s) {missing} (it covers {span})")
