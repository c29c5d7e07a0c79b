"""What the method needs of the data beyond the schema: one named rule per refusal of the method.

A dataset can be well formed and still not computable: two support centres that allocate only
to each other (the reciprocal system 3.4 is singular), a support centre with costs and no
driver row, a municipality-year without population. The method functions refuse such data by
raising :class:`~costing.errors.MethodRefusal` with a rule of :data:`REQUIREMENTS`; run in
*collect* mode (``full_costs(..., refusals=[])``, :func:`population_refusals`) the same code
returns the refusals instead, municipality by municipality. ``costing validate`` reports them
as errors with file, row, column and value (:func:`refusal_frame`), and a report batch leaves the
refused municipalities out of its comparisons while every other report stays complete. Because
validation runs the method's own checks, the two cannot drift apart (a test holds every
``MethodRefusal`` raised in the source to this table, and this table to a planted case).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import ERROR_COLUMNS, MethodRefusal
from .problems import show_value

#: Columns of :func:`refusal_frame`: the problem columns plus where it belongs.
REFUSAL_COLUMNS = [*ERROR_COLUMNS, "municipality_code", "year"]


@dataclass(frozen=True)
class Requirement:
    """One condition the method needs: the rule, where it is checked, who refuses without it."""

    rule: str
    table: str
    column: str
    needed_by: str
    description: str


REQUIREMENTS: dict[str, Requirement] = {r.rule: r for r in [
    Requirement("allocation_singular", "drivers", "to_centre_id", "full_costs (3.4)",
                "support centres must not serve only each other: the reciprocal system "
                "S = D + Aᵀ S needs a unique solution, so every support cost reaches a service"),
    Requirement("driver_row_missing", "expenditure", "cost_centre_id", "full_costs (3.2–3.4)",
                "a support or admin centre with costs in a year needs driver rows that year"),
    Requirement("driver_kinds_mixed", "drivers", "driver", "full_costs (3.2–3.4)",
                "a giving centre uses one driver kind per year"),
    Requirement("driver_row_zero", "drivers", "quantity", "full_costs (3.2–3.4)",
                "a giving centre's driver quantities to other centres must not all be 0"),
    Requirement("driver_foreign", "drivers", "to_centre_id", "full_costs (3.2–3.4)",
                "drivers go to cost centres of the same municipality"),
    Requirement("direct_no_final", "drivers", "to_centre_id", "full_costs, method='direct'",
                "with the direct method every support centre must serve a service centre"),
    Requirement("population_missing", "population", "year",
                "staffing_norm, indicators, peer_groups, need_index (7.x, 8.x)",
                "every municipality-year with costs needs population figures"),
    Requirement("population_not_positive", "population", "population",
                "staffing_norm, indicators, peer_groups, need_index (7.x, 8.x)",
                "a municipality's total population in a year with costs must be > 0"),
]}


def requirements_table() -> pd.DataFrame:
    """The requirement rules as a table (rule, table, column, needed_by, description)."""
    return pd.DataFrame([vars(r) for r in REQUIREMENTS.values()])


def population_refusals(population: pd.DataFrame, year: int,
                        codes: Iterable[str]) -> list[MethodRefusal]:
    """Municipalities of ``codes`` without population, or with total population <= 0, in ``year``.

    Parameters
    ----------
    population : pandas.DataFrame
        The ``population`` table (``atvk_code, year, age_group, population``). [persons]
    year : int
    codes : iterable of str
        Municipality codes that need a population (those with costs that year).

    Returns
    -------
    list of MethodRefusal
        One per municipality, rules ``population_missing`` / ``population_not_positive``.
    """
    year = int(year)
    pop = population.loc[population["year"].astype(int) == year]
    total = pop.groupby(pop["atvk_code"].astype(str))["population"].sum()
    out = []
    for code in sorted({str(c) for c in codes}):
        if code not in total.index:
            out.append(MethodRefusal(
                f"municipality {code} has costs in {year} but no population figure for {year}; "
                "per-inhabitant figures, peers, need and the staffing norm cannot be computed",
                rule="population_missing", table="population", column="year",
                value=str(year), municipality_code=code,  # no row to point at: it is missing
                year=year))
        elif not total[code] > 0:
            out.append(MethodRefusal(
                f"municipality {code} has a total population of {show_value(total[code])} in "
                f"{year}; per-inhabitant figures need a population > 0",
                rule="population_not_positive", table="population", column="population",
                where={"atvk_code": [code], "year": [year]}, value=show_value(total[code]),
                municipality_code=code, year=year))
    return out


def require_population(population: pd.DataFrame, year: int, codes: Iterable[str],
                       what: str) -> None:
    """Raise the first :func:`population_refusals` refusal, prefixed by ``what``."""
    refused = population_refusals(population, year, codes)
    if refused:
        first = refused[0]
        more = f" (and {len(refused) - 1} more municipalities)" if len(refused) > 1 else ""
        raise MethodRefusal(f"{what}: {first.message}{more}", rule=first.rule,
                            table=first.table, column=first.column, where=first.where,
                            value=first.value, municipality_code=first.municipality_code,
                            year=first.year)


def _rows(refusal: MethodRefusal, tables) -> pd.Index:
    df = tables.get(refusal.table)
    if df is None or not refusal.where:
        return pd.Index([], dtype="int64")
    mask = np.ones(len(df), dtype=bool)
    for col, values in refusal.where.items():
        if col in df.columns:
            mask &= df[col].astype(str).isin([str(v) for v in values]).to_numpy()
    return df.index[mask]


def refusal_frame(refusals: Sequence[MethodRefusal], ds) -> pd.DataFrame:
    """Refusals as problem rows: table, file, row, column, rule, value, message (+ where).

    Each refusal gives one row per offending line of its table (``row`` = line in the file,
    header = 1), or one row without a line when the data are missing altogether.
    """
    recs = []
    for r in refusals:
        df = ds.tables.get(r.table)
        rows = _rows(r, ds.tables)
        file = ds.sources.get(r.table, f"{r.table}.csv")
        lines = [int(i) + 2 for i in rows] or [pd.NA]
        for line, idx in zip(lines, list(rows) or [None], strict=True):
            value = r.value
            if idx is not None and r.column and df is not None and r.column in df.columns:
                value = show_value(df.at[idx, r.column])
            recs.append({"table": r.table, "file": file, "row": line, "column": r.column,
                         "rule": r.rule, "value": value, "message": r.message,
                         "municipality_code": r.municipality_code,
                         "year": pd.NA if r.year is None else int(r.year)})
    out = pd.DataFrame(recs, columns=REFUSAL_COLUMNS)
    out["row"] = out["row"].astype("Int64")
    out["year"] = out["year"].astype("Int64")
    return out
