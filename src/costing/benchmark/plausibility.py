"""Plausibility screens: values that pass validation but are probably wrong (warnings, not errors).

A care home with ``units = 1`` passes every schema rule and gives a unit cost of two million
euros per bed-day. Each screen here is a named rule with a threshold and its rationale in the
shipped reference table ``plausibility.csv`` (:func:`thresholds`); a hit names the file, row,
column and value and the range it was checked against. ``costing validate`` prints them as
warnings (``--strict`` makes them errors); each report lists those of its municipality and marks
the figures that rest on them.

Screens: robust unit-cost outliers against all municipalities (modified z-score of the log
unit cost, Iglewicz & Hoaglin 1993), occupancy above 100 %, fee revenue above the full cost,
a worker's weighted caseload far above capacity, useful lives under one year, amounts a
thousand times the national median of their cell, pay per FTE below the minimum wage.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

import numpy as np
import pandas as pd

from ..data.dataset import REFERENCE_DIR
from ..data.problems import show_value
from ..errors import ERROR_COLUMNS, CostingError
from ..method.fullcost import unit_costs
from ..workload.caseload import weighted_caseload

#: Columns of :func:`plausibility_warnings`.
WARNING_COLUMNS = [*ERROR_COLUMNS, "checked_against", "municipality_code", "year",
                   "cost_centre_id"]

#: Output units that count use of places; occupancy above 100 % is impossible for them.
PLACE_UNITS = ("bed_day", "client_day")

#: Modified z-score constant: 0.6745 = Φ⁻¹(0.75), so that M is a z-score for normal data.
_Z_CONSTANT = 0.6745


@cache
def thresholds() -> pd.DataFrame:
    """The plausibility rules: ``rule, table, column, threshold, min_n, unit, rationale``."""
    return pd.read_csv(REFERENCE_DIR / "plausibility.csv", dtype={"rule": str})


@cache
def minimum_wage() -> pd.Series:
    """Latvian minimum monthly gross wage by year (``minimum_wage.csv``). [EUR/month]"""
    t = pd.read_csv(REFERENCE_DIR / "minimum_wage.csv")
    return t.set_index("year")["minimum_monthly_wage_eur"].astype(float)


def _rule(name: str) -> pd.Series:
    t = thresholds()
    return t.loc[t["rule"] == name].iloc[0]


def modified_z(x: np.ndarray) -> np.ndarray:
    """Modified z-score ``M = 0.6745 (x - median) / MAD`` (Iglewicz & Hoaglin 1993, eq. 2.1).

    When the MAD is 0 (more than half the values equal) the mean absolute deviation is used,
    scaled by 1.253314 (their fallback), so a lone different value still stands out.

    Median 3, absolute deviations 2, 1, 0, 1, 97, so MAD = 1 and M = 0.6745 (x - 3):

    >>> modified_z(np.array([1.0, 2.0, 3.0, 4.0, 100.0])).round(2).tolist()
    [-1.35, -0.67, 0.0, 0.67, 65.43]
    """
    x = np.asarray(x, dtype=float)
    med = np.median(x)
    mad = np.median(np.abs(x - med))
    if mad > 0:
        return _Z_CONSTANT * (x - med) / mad
    mean_ad = np.mean(np.abs(x - med))
    return (x - med) / (1.253314 * mean_ad) if mean_ad > 0 else np.zeros_like(x)


class _Hits:
    def __init__(self, ds, years):
        self.ds, self.years, self.recs = ds, years, []
        cc = ds.cost_centres
        self.muni = dict(zip(cc["cost_centre_id"].astype(str), cc["municipality_code"].astype(str),
                             strict=True))

    def in_years(self, df: pd.DataFrame) -> pd.DataFrame:
        if self.years is None or "year" not in df.columns:
            return df
        return df.loc[df["year"].astype(int).isin(self.years)]

    def add(self, table, idx, column, rule, value, message, against, centre, year) -> None:
        self.recs.append({
            "table": table, "file": self.ds.sources.get(table, f"{table}.csv"),
            "row": int(idx) + 2, "column": column, "rule": rule, "value": value,
            "message": message, "checked_against": against,
            "municipality_code": self.muni.get(str(centre), ""),
            "year": pd.NA if year is None else int(year), "cost_centre_id": str(centre)})


def _unit_cost_outliers(h: _Hits, uc: pd.DataFrame) -> None:
    r = _rule("unit_cost_outlier")
    out = h.ds.outputs
    row_of = {(int(y), str(c)): i for i, y, c in zip(out.index, out["year"],
                                                      out["cost_centre_id"], strict=True)}
    u = uc.loc[np.isfinite(uc["unit_cost_eur"]) & (uc["unit_cost_eur"] > 0)]
    for (service, year), g in u.groupby(["service_code", "year"]):
        if len(g) < int(r["min_n"]):
            continue
        z = modified_z(np.log(g["unit_cost_eur"].to_numpy()))
        med = float(np.exp(np.median(np.log(g["unit_cost_eur"]))))
        for (_, rec), m in zip(g.iterrows(), z, strict=True):
            ratio = rec["unit_cost_eur"] / med
            far = max(ratio, 1 / ratio) >= r["factor"]
            if abs(m) > r["threshold"] and far and (int(year), rec["cost_centre_id"]) in row_of:
                h.add("outputs", row_of[(int(year), rec["cost_centre_id"])], "units", r["rule"],
                      show_value(rec["units"]),
                      f"unit cost {rec['unit_cost_eur']:,.2f} EUR per {rec['output_unit']} is "
                      f"{ratio:,.3g} × the median {med:,.2f} EUR of {len(g)} {service} centres "
                      f"in {year} (robust z {m:+.1f}); check the output units and the costs of "
                      f"{rec['cost_centre_id']}",
                      f"|robust z| ≤ {r['threshold']:g} or within {r['factor']:g} × the "
                      f"median {med:,.2f} EUR (n = {len(g)})", rec["cost_centre_id"], year)


def _occupancy(h: _Hits) -> None:
    r = _rule("occupancy_above_capacity")
    o = h.in_years(h.ds.outputs)
    o = o.loc[o["output_unit"].astype(str).isin(PLACE_UNITS)]
    occ = o["units"] / o["capacity_units"].where(o["capacity_units"] > 0)
    for i in o.index[occ > r["threshold"]]:
        h.add("outputs", i, "units", r["rule"], show_value(o.at[i, "units"]),
              f"occupancy {occ[i]:.0%}: {show_value(o.at[i, 'units'])} units against a capacity "
              f"of {show_value(o.at[i, 'capacity_units'])} at {o.at[i, 'cost_centre_id']} in "
              f"{o.at[i, 'year']}", f"occupancy ≤ {r['threshold']:.0%}",
              o.at[i, "cost_centre_id"], o.at[i, "year"])


def _cost_recovery(h: _Hits, uc: pd.DataFrame) -> None:
    r = _rule("cost_recovery_above_cost")
    t = h.in_years(h.ds.tariffs)
    if not len(t):
        return
    full = uc.set_index(["year", "cost_centre_id"])["full_cost_eur"]
    keys = pd.MultiIndex.from_arrays([t["year"].astype(int), t["cost_centre_id"].astype(str)])
    cost = pd.Series(full.reindex(keys).to_numpy(), index=t.index)
    share = t["revenue_eur"] / cost.where(cost > 0)
    for i in t.index[share > r["threshold"]]:
        h.add("tariffs", i, "revenue_eur", r["rule"], show_value(t.at[i, "revenue_eur"]),
              f"revenue {t.at[i, 'revenue_eur']:,.2f} EUR is {share[i]:.0%} of the full cost "
              f"{cost[i]:,.2f} EUR of {t.at[i, 'cost_centre_id']} in {t.at[i, 'year']}",
              f"revenue ≤ {r['threshold']:.0%} of full cost", t.at[i, "cost_centre_id"],
              t.at[i, "year"])


def _caseload(h: _Hits) -> None:
    r = _rule("caseload_above_capacity")
    cl = h.in_years(h.ds.caseloads)
    if not len(cl) or not len(h.ds.workers):
        return
    try:  # internal screen of the accountant's own data: worker rows, never published as such
        per = weighted_caseload(h.ds, by=["year", "worker_id"], min_workers=1)
    except CostingError:
        return  # the caseload step refuses these data itself, with its own message
    high = per.loc[per["utilisation"] > r["threshold"]]
    w = h.ds.workers.set_index(["year", "worker_id"])["cost_centre_id"]
    for rec in high.itertuples(index=False):
        rows = cl.index[(cl["year"].astype(int) == int(rec.year))
                        & (cl["worker_id"] == rec.worker_id)]
        centre = w.get((rec.year, rec.worker_id), "")
        h.add("caseloads", rows[0], "open_cases", r["rule"], show_value(rec.open_cases),
              f"worker {rec.worker_id} carries {rec.utilisation:.0%} of a worker's capacity in "
              f"{rec.year} ({rec.weighted_points:,.0f} points for {rec.fte:g} FTE)",
              f"utilisation ≤ {r['threshold']:.0%}", centre, rec.year)


def _useful_life(h: _Hits) -> None:
    r = _rule("useful_life_short")
    a = h.ds.assets
    for i in a.index[a["useful_life_years"] < r["threshold"]]:
        h.add("assets", i, "useful_life_years", r["rule"], show_value(a.at[i, "useful_life_years"]),
              f"asset {a.at[i, 'asset_id']} has a useful life of "
              f"{show_value(a.at[i, 'useful_life_years'])} years; its annual capital charge is "
              "then larger than its cost", f"useful life ≥ {r['threshold']:g} year",
              a.at[i, "cost_centre_id"], None)


def _extreme_amounts(h: _Hits) -> None:
    r = _rule("amount_extreme")
    e = h.in_years(h.ds.expenditure)
    e = e.loc[e["amount_eur"] > 0]
    service = h.ds.cost_centres.set_index("cost_centre_id")["service_code"]
    cell = e.assign(service_code=e["cost_centre_id"].map(service).fillna(""))
    grp = cell.groupby(["year", "ekk_code", "service_code"])["amount_eur"]
    med, n = grp.transform("median"), grp.transform("size")
    hit = (n >= int(r["min_n"])) & (cell["amount_eur"] > r["threshold"] * med)
    for i in cell.index[hit]:
        h.add("expenditure", i, "amount_eur", r["rule"], show_value(e.at[i, "amount_eur"]),
              f"{e.at[i, 'amount_eur']:,.2f} EUR is {e.at[i, 'amount_eur'] / med[i]:,.0f} × the "
              f"national median {med[i]:,.2f} EUR of EKK {e.at[i, 'ekk_code']} in "
              f"{cell.at[i, 'service_code']} centres in {e.at[i, 'year']} (n = {n[i]}); "
              "cents instead of euros, or a lost decimal separator?",
              f"≤ {r['threshold']:g} × median ({med[i]:,.2f} EUR)", e.at[i, "cost_centre_id"],
              e.at[i, "year"])


def _low_pay(h: _Hits) -> None:
    r = _rule("salary_below_minimum")
    wage = minimum_wage()
    for table in ("staff", "workers"):
        s = h.in_years(h.ds.tables.get(table, pd.DataFrame()))
        if not len(s):
            continue
        floor = s["year"].astype(int).map(wage) * 12 * r["threshold"]
        per_fte = s["salary_eur"] / s["fte"].where(s["fte"] > 0)
        for i in s.index[floor.notna() & (per_fte < floor)]:
            h.add(table, i, "salary_eur", r["rule"], show_value(s.at[i, "salary_eur"]),
                  f"{per_fte[i]:,.0f} EUR a year per FTE ({show_value(s.at[i, 'salary_eur'])} EUR "
                  f"for {show_value(s.at[i, 'fte'])} FTE) at {s.at[i, 'cost_centre_id']} in "
                  f"{s.at[i, 'year']} is below 12 minimum monthly wages ({floor[i]:,.0f} EUR)",
                  f"≥ 12 × {wage[int(s.at[i, 'year'])]:g} EUR per FTE",
                  s.at[i, "cost_centre_id"], s.at[i, "year"])


def plausibility_warnings(ds, years: Iterable[int] | None = None, *,
                          unit_cost_table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every plausibility warning of a dataset (see the module docstring for the screens).

    Parameters
    ----------
    ds : costing.Dataset
    years : iterable of int, optional
        Screen only these years (assets, which have no year, are always screened).
    unit_cost_table : pandas.DataFrame, optional
        ``unit_costs`` output if the caller has it; otherwise computed (municipality-years the
        method refuses are left out, see :mod:`costing.benchmark.feasibility`).

    Returns
    -------
    pandas.DataFrame
        One row per warning, :data:`WARNING_COLUMNS`: where (table, file, row = line in the
        file, column), the rule and value, a message, the range checked against, and the
        municipality, year and cost centre it concerns. Ordered by table and line.
    """
    years = None if years is None else sorted({int(y) for y in years})
    h = _Hits(ds, years)
    uc = unit_cost_table
    if uc is None:
        uc = unit_costs(ds, years, refusals=[])
    elif years is not None:
        uc = uc.loc[uc["year"].astype(int).isin(years)]
    for screen in (_occupancy, _useful_life, _extreme_amounts, _low_pay, _caseload):
        screen(h)
    _unit_cost_outliers(h, uc)
    _cost_recovery(h, uc)
    out = pd.DataFrame(h.recs, columns=WARNING_COLUMNS)
    out["row"] = out["row"].astype("Int64")
    out["year"] = out["year"].astype("Int64")
    return out.sort_values(["table", "row", "rule"], kind="stable", ignore_index=True)
