"""Which municipalities the method can compute: its own refusals, collected municipality by
municipality (the method-requirement rules of :mod:`costing.data.requirements`).

:func:`method_refusals` runs the full-cost allocation in collect mode and the population checks
the per-inhabitant steps make, for every municipality-year with costs. ``costing validate``
shows the result as errors (:func:`check_method`); a report batch leaves the refused
municipalities out of every comparison and says why (:func:`excluded_municipalities`).
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from ..data.requirements import population_refusals, refusal_frame
from ..errors import MethodRefusal
from ..method.fullcost import unit_costs
from .plausibility import plausibility_warnings


def _costed_municipalities(ds, year: int) -> list[str]:
    """Municipalities with expenditure in ``year``."""
    e, cc = ds.expenditure, ds.cost_centres
    ids = set(e.loc[e["year"].astype(int) == int(year), "cost_centre_id"].astype(str))
    m = cc.loc[cc["cost_centre_id"].astype(str).isin(ids), "municipality_code"]
    return sorted(m.astype(str).unique())


def method_refusals(ds, years: Iterable[int] | None = None, method: str = "reciprocal", *,
                    unit_cost_out: list | None = None) -> list[MethodRefusal]:
    """Every refusal of the method for the dataset's municipality-years.

    Parameters
    ----------
    ds : costing.Dataset
    years : iterable of int, optional
        Default every year with expenditure.
    method : str
        Allocation method the reports use (``full_costs``' ``method``).
    unit_cost_out : list, optional
        If given, the unit costs computed on the way (refused municipality-years left out) are
        appended, so a caller screening plausibility need not compute them again.

    Returns
    -------
    list of MethodRefusal
        One per refused municipality-year and rule, in year then municipality order.
    """
    years = ds.years if years is None else sorted({int(y) for y in years})
    years = [y for y in years if y in set(ds.years)]
    out: list[MethodRefusal] = []
    if not years:
        return out
    allocation: list[MethodRefusal] = []
    uc = unit_costs(ds, years, method=method, refusals=allocation)
    if unit_cost_out is not None:
        unit_cost_out.append(uc)
    for y in years:
        out += [r for r in allocation if r.year == y]
        out += population_refusals(ds.population, y, _costed_municipalities(ds, y))
    return out


def check_method(ds, years: Iterable[int] | None = None) -> pd.DataFrame:
    """:func:`method_refusals` as problem rows (file, row, column, rule, value, message,
    municipality_code, year), the form ``costing validate`` prints."""
    return refusal_frame(method_refusals(ds, years), ds)


def check_dataset(ds, years: Iterable[int] | None = None
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Both checks ``costing validate`` adds to the schema: the method's refusals (errors, as
    :func:`check_method`) and the plausibility warnings, computing the unit costs once."""
    uc: list = []
    refused = method_refusals(ds, years, unit_cost_out=uc)
    warnings = plausibility_warnings(ds, years, unit_cost_table=uc[0] if uc else None)
    return refusal_frame(refused, ds), warnings


def excluded_municipalities(refusals: Iterable[MethodRefusal]) -> dict[str, str]:
    """Municipality code → the reasons (``; ``-joined, rule in brackets) its data are refused."""
    out: dict[str, list[str]] = {}
    for r in refusals:
        text = f"[{r.rule}] {r}"
        out.setdefault(r.municipality_code, [])
        if text not in out[r.municipality_code]:
            out[r.municipality_code].append(text)
    return {code: "; ".join(reasons) for code, reasons in sorted(out.items())}
