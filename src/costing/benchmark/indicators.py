"""Benchmarking indicators: a registry held as data and their values for every municipality.

Each indicator is ``multiplier x numerator / denominator`` (formula 8.1) of named base quantities
per municipality and year, with money at constant prices (8.2). Method:
``methodology/08_benchmarking.md``, section 8.1.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..data.dataset import REFERENCE_DIR
from ..data.tables import cpi_index, reference, table
from ..data.territory import harmonise_territory
from ..errors import InputError
from ..method.fullcost import unit_costs
from ..method.prices import cost_recovery, to_constant_prices
from ..privacy import MIN_WORKERS
from ..workload.caseload import staffing_norm, weighted_caseload
from ..workload.timeuse import workload_summary

REGISTRY_COLUMNS = ["indicator_id", "family", "name_lv", "name_en", "numerator", "denominator",
                    "multiplier", "unit", "better", "service", "description"]
INDICATOR_COLUMNS = ["municipality_code", "year", "indicator_id", "value", "numerator",
                     "denominator", "unit", "suppressed", "reason"]
#: Quantities summed over the service cost centres of the indicator's services.
CENTRE_QUANTITIES = ("full_cost_eur", "overhead_eur", "revenue_eur", "net_cost_eur", "clients",
                     "units", "capacity_units")
MONEY = ("full_cost_eur", "overhead_eur", "revenue_eur", "net_cost_eur")
#: Quantities measured per municipality (services column must be "all").
MUNICIPAL_QUANTITIES = ("population", "population_65+", "population_0-17", "population_18+",
                        "population_18-64", "population_80+", "specialist_fte", "open_cases",
                        "caseload_fte", "client_facing_hours", "diary_hours")
_AGE = {"population": ["0-17", "18-64", "65-79", "80+"], "population_65+": ["65-79", "80+"],
        "population_0-17": ["0-17"], "population_18+": ["18-64", "65-79", "80+"],
        "population_18-64": ["18-64"], "population_80+": ["80+"]}


@lru_cache(maxsize=1)
def _shipped_registry() -> pd.DataFrame:
    path = REFERENCE_DIR / "indicators.csv"
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def indicator_registry(path: str | Path | None = None) -> pd.DataFrame:
    """The indicator registry: one row per indicator, checked.

    Parameters
    ----------
    path : str or Path, optional
        A CSV with the columns of :data:`REGISTRY_COLUMNS`; default the shipped
        ``reference/indicators.csv``.

    Returns
    -------
    pandas.DataFrame
        ``indicator_id, family, name_lv, name_en, numerator, denominator, multiplier (float),
        unit, better ("lower"/"higher"/"neutral"), service ("all", a service code or codes
        joined by "|"), description``.
    """
    reg = _shipped_registry().copy() if path is None else pd.read_csv(path, dtype=str,
                                                                       keep_default_na=False)
    where = "indicator registry" + (f" {path}" if path else "")
    missing = [c for c in REGISTRY_COLUMNS if c not in reg.columns]
    if missing:
        raise InputError(f"{where}: missing columns {missing}")
    known = set(CENTRE_QUANTITIES) | set(MUNICIPAL_QUANTITIES)
    for i, r in reg.iterrows():
        row = f"{where}, row {i + 2} ({r['indicator_id']!r})"
        for col in ("numerator", "denominator"):
            if r[col] not in known:
                raise InputError(f"{row}: {col} {r[col]!r} is not a known quantity "
                                 f"({sorted(known)})")
        if r["better"] not in ("lower", "higher", "neutral"):
            raise InputError(f"{row}: better must be lower/higher/neutral, got {r['better']!r}")
        if r["service"] != "all" and (r["numerator"] in MUNICIPAL_QUANTITIES
                                      and r["numerator"] not in _AGE):
            raise InputError(f"{row}: {r['numerator']!r} is municipal; service must be 'all'")
    if reg["indicator_id"].duplicated().any():
        dup = reg.loc[reg["indicator_id"].duplicated(), "indicator_id"].iloc[0]
        raise InputError(f"{where}: indicator_id {dup!r} appears twice")
    mult = pd.to_numeric(reg["multiplier"], errors="coerce").astype(float)
    bad = ~np.isfinite(mult) | (mult <= 0)
    if bad.any():
        i = int(np.argmax(bad.to_numpy()))
        raise InputError(f"{where}, row {i + 2} ({reg['indicator_id'].iloc[i]!r}): multiplier "
                         f"{reg['multiplier'].iloc[i]!r} must be a number > 0")
    empty = reg["indicator_id"].str.strip() == ""
    if empty.any():
        raise InputError(f"{where}, row {int(np.argmax(empty.to_numpy())) + 2}: "
                         "indicator_id is empty")
    reg["multiplier"] = mult
    return reg


def _years(dataset: Any, year) -> list[int]:
    if year is None:
        return sorted(pd.to_numeric(table(dataset, "expenditure")["year"]).astype(int).unique()
                      .tolist())
    return [int(year)] if np.ndim(year) == 0 else sorted(int(y) for y in year)


def base_quantities(
    dataset: Any,
    year: int | Sequence[int] | None = None,
    base_year: int | None = None,
    *,
    unit_cost_table: pd.DataFrame | None = None,
    min_workers: int | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The quantities indicators are built from, at constant prices of ``base_year``.

    Implements formula (8.2) for money: ``real = nominal x CPI[base_year] / CPI[year]``
    (:func:`costing.to_constant_prices`).

    Parameters
    ----------
    dataset : costing.Dataset
    year : int, sequence of int or None
        Years; default every year with expenditure.
    base_year : int, optional
        Price base; default the latest year of the dataset's expenditure.
    unit_cost_table : pandas.DataFrame, optional
        :func:`costing.unit_costs` of those years if already computed (saves the allocation).
    min_workers : int, optional
        Minimum workers behind a diary or caseload figure; default ``costing.MIN_WORKERS``.

    Returns
    -------
    (centre, municipal) : tuple of pandas.DataFrame
        ``centre``: one row per service centre and year with ``municipality_code, year,
        service_code`` and :data:`CENTRE_QUANTITIES` [EUR at base-year prices, clients, units].
        ``municipal``: one row per municipality and year with :data:`MUNICIPAL_QUANTITIES`
        [inhabitants, FTE, cases, h], ``diary_suppressed``, ``caseload_suppressed`` with the
        reasons, and ``tariff_years`` (the dataset has tariffs for that year).
    """

    min_workers = MIN_WORKERS if min_workers is None else int(min_workers)
    years = _years(dataset, year)
    if base_year is None:
        base_year = max(_years(dataset, None))
    uc = unit_costs(dataset, year=years) if unit_cost_table is None else unit_cost_table
    uc = uc[uc["year"].astype(int).isin(years)]
    c = uc[["municipality_code", "year", "cost_centre_id", "service_code", "full_cost_eur",
            "overhead_eur", "clients", "units", "capacity_units"]].copy()
    c["year"] = c["year"].astype(int)
    tariffs = table(dataset, "tariffs")
    rev = (tariffs.assign(year=tariffs["year"].astype(int))
           .groupby(["year", "cost_centre_id"])["revenue_eur"].sum())
    if len(tariffs):
        cost_recovery(dataset, years, unit_cost_table=uc)  # checks tariffs match costed centres
    c = c.merge(rev.rename("revenue_eur").reset_index(), on=["year", "cost_centre_id"],
                how="left")
    for col in ("full_cost_eur", "overhead_eur", "revenue_eur", "clients", "units",
                "capacity_units"):
        c[col] = pd.to_numeric(c[col], errors="coerce").astype(float).fillna(0.0)
    c["net_cost_eur"] = c["full_cost_eur"] - c["revenue_eur"]
    idx = cpi_index(dataset)
    for col in MONEY:
        c[col] = to_constant_prices(c[col], c["year"].to_numpy(), int(base_year), index=idx)

    codes = sorted(table(dataset, "cost_centres")["municipality_code"].astype(str).unique())
    m = pd.MultiIndex.from_product([codes, years], names=["municipality_code", "year"])
    mun = pd.DataFrame(index=m)
    # a year without any tariff row in the dataset has no revenue data (not zero revenue)
    mun["tariff_years"] = m.get_level_values("year").isin(set(rev.index.get_level_values(0)))
    pop = reference("population", dataset)
    pop = pop[pd.to_numeric(pop["year"]).astype(int).isin(years)]
    wide = pop.pivot_table(index=[pop["atvk_code"].astype(str).rename("municipality_code"),
                                  pd.to_numeric(pop["year"]).astype(int).rename("year")],
                           columns="age_group", values="population", aggfunc="sum")
    for q, groups in _AGE.items():
        mun[q] = wide.reindex(columns=groups).sum(axis=1, min_count=len(groups)).reindex(m)
    fte = pd.concat([staffing_norm(dataset, y) for y in years])
    mun["specialist_fte"] = fte.set_index(["municipality_code", "year"])["specialist_fte"]
    if len(table(dataset, "caseloads")):
        wc = weighted_caseload(dataset, by=("year", "municipality_code"),
                               min_workers=min_workers)
        wc = wc.assign(year=wc["year"].astype(int)).set_index(["municipality_code", "year"])
    else:  # no caseloads reported: the figures are missing ("not reported"), not zero
        wc = pd.DataFrame(columns=["open_cases", "fte", "suppressed", "suppression_reason"],
                          index=m[:0], dtype=object)
    mun["open_cases"] = wc["open_cases"].reindex(m)
    mun["caseload_fte"] = wc["fte"].reindex(m)
    mun["caseload_suppressed"] = wc["suppressed"].reindex(m).fillna(False).astype(bool)
    mun["caseload_reason"] = wc["suppression_reason"].reindex(m).fillna("").astype(str)
    if len(table(dataset, "time_use")):
        ws = workload_summary(dataset, by=["municipality_code", "year"], n_boot=0,
                              min_workers=min_workers)
        ws = ws.assign(year=ws["year"].astype(int))
    else:
        ws = pd.DataFrame(columns=["municipality_code", "year", "activity_code", "hours",
                                   "suppressed", "suppression_reason"])
    cf = ws[ws["activity_code"] == "CLIENT_FACING"].set_index(["municipality_code", "year"])
    al = ws[ws["activity_code"] == "ALL"].set_index(["municipality_code", "year"])
    mun["client_facing_hours"] = cf["hours"].reindex(m)
    mun["diary_hours"] = al["hours"].reindex(m)
    mun["diary_suppressed"] = cf["suppressed"].reindex(m).fillna(False).astype(bool)
    mun["diary_reason"] = cf["suppression_reason"].reindex(m).fillna("").astype(str)
    return c.reset_index(drop=True), mun.reset_index()


def indicators(
    dataset: Any,
    year: int | Sequence[int] | None = None,
    base_year: int | None = None,
    *,
    registry: pd.DataFrame | None = None,
    unit_cost_table: pd.DataFrame | None = None,
    min_workers: int | None = None,
) -> pd.DataFrame:
    """Every registry indicator for every municipality and year, at constant prices.

    Implements formula (8.1): ``value = multiplier x numerator / denominator``, the numerator and
    denominator being the sums of base quantities over the indicator's services (8.2 for money).
    Indicators resting on time-use diaries or caseloads are suppressed (NaN, ``suppressed``) in
    cells with fewer than ``min_workers`` workers, by the shared privacy rule (7.19).

    Parameters
    ----------
    dataset : costing.Dataset
    year : int, sequence of int or None
        Years; default every year with expenditure.
    base_year : int, optional
        Price base of money amounts; default the latest year with expenditure.
    registry : pandas.DataFrame, optional
        Default :func:`indicator_registry`.
    unit_cost_table : pandas.DataFrame, optional
        :func:`costing.unit_costs` result, if already computed for these years.
    min_workers : int, optional
        Minimum cell size of diary/caseload figures; default ``costing.MIN_WORKERS``.

    Returns
    -------
    pandas.DataFrame
        Tidy ``municipality_code, year, indicator_id, value, numerator, denominator, unit,
        suppressed, reason`` [value in the indicator's unit]. ``value`` is NaN, with ``reason``,
        where the denominator is 0 (e.g. no output of the service) or the cell is suppressed.
    """
    reg = indicator_registry() if registry is None else registry
    # a dataset may ship a shorter services table: a code known to either is not a typo
    known = (set(reference("services", dataset)["service_code"].astype(str))
             | set(reference("services")["service_code"].astype(str)))
    for r in reg.itertuples(index=False):
        unknown = sorted(set(str(r.service).split("|")) - known) if r.service != "all" else []
        if unknown:
            raise InputError(f"indicators: indicator {r.indicator_id!r} names unknown service "
                             f"codes {unknown} (services table has {sorted(known)})")
    centre, mun = base_quantities(dataset, year, base_year, unit_cost_table=unit_cost_table,
                                  min_workers=min_workers)
    keys = ["municipality_code", "year"]
    base = mun[keys]
    parts = []
    cache: dict[str, pd.DataFrame] = {}
    for r in reg.itertuples(index=False):
        svc = r.service
        if svc not in cache:
            sub = centre if svc == "all" else centre[centre["service_code"].isin(svc.split("|"))]
            cache[svc] = base.merge(sub.groupby(keys, as_index=False)[list(CENTRE_QUANTITIES)]
                                    .sum(), on=keys, how="left").fillna(
                {q: 0.0 for q in CENTRE_QUANTITIES})
        agg = cache[svc]
        num = (agg[r.numerator] if r.numerator in CENTRE_QUANTITIES else mun[r.numerator])
        den = (agg[r.denominator] if r.denominator in CENTRE_QUANTITIES
               else mun[r.denominator])
        num = num.astype(float).to_numpy()
        den = den.astype(float).to_numpy()
        if {r.numerator, r.denominator} & {"revenue_eur", "net_cost_eur"}:
            num = np.where(mun["tariff_years"].to_numpy(), num, np.nan)  # no tariffs that year
        reason = np.select(
            [np.isnan(num), np.isnan(den), den <= 0],
            [f"{r.numerator} not reported", f"{r.denominator} not reported",
             f"{r.denominator} is 0"], "")
        suppressed = np.zeros(len(base), dtype=bool)
        for q, flag, why in (("diary", "diary_suppressed", "diary_reason"),
                             ("caseload", "caseload_suppressed", "caseload_reason")):
            uses = {r.numerator, r.denominator} & ({"client_facing_hours", "diary_hours"}
                                                   if q == "diary"
                                                   else {"open_cases", "caseload_fte"})
            if uses:
                s = mun[flag].to_numpy()
                suppressed |= s
                reason = np.where(s, mun[why].to_numpy(), reason)
        ok = (reason == "") & ~suppressed
        value = np.full(len(base), np.nan)
        value[ok] = r.multiplier * num[ok] / den[ok]
        num = np.where(suppressed, np.nan, num)
        den = np.where(suppressed, np.nan, den)
        parts.append(pd.DataFrame({"municipality_code": base["municipality_code"].to_numpy(),
                                   "year": base["year"].to_numpy(), "indicator_id":
                                   r.indicator_id, "value": value, "numerator": num,
                                   "denominator": den, "unit": r.unit,
                                   "suppressed": suppressed, "reason": reason}))
    out = pd.concat(parts, ignore_index=True)
    out["year"] = out["year"].astype(int)
    return out[INDICATOR_COLUMNS]


def harmonised_indicators(
    ind: pd.DataFrame,
    to,
    *,
    registry: pd.DataFrame | None = None,
    municipalities: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Indicators over years on the territory in force on ``to`` (e.g. merged Madona 2025).

    Implements formula (8.1) again after summing numerators and denominators of the units that
    merged (:func:`costing.harmonise_territory`); a merged cell is suppressed if any part was.

    Parameters
    ----------
    ind : pandas.DataFrame
        Output of :func:`indicators`.
    to : str, date or int
        Date (or year = 31 December) whose boundaries to use.
    registry : pandas.DataFrame, optional
        For the multipliers; default the shipped registry.
    municipalities : pandas.DataFrame, optional
        Municipality table with successor codes; default the shipped one.

    Returns
    -------
    pandas.DataFrame
        Same columns as :func:`indicators`, codes valid on ``to``.
    """

    reg = indicator_registry() if registry is None else registry
    d = ind[["municipality_code", "year", "indicator_id", "unit", "numerator", "denominator"]]
    d = d.assign(n_suppressed=ind["suppressed"].astype(float),
                 n_missing=(ind["numerator"].isna() | ind["denominator"].isna()).astype(float),
                 numerator=ind["numerator"].fillna(0.0), denominator=ind["denominator"]
                 .fillna(0.0))
    h = harmonise_territory(d, to, value_cols=["numerator", "denominator", "n_suppressed",
                                               "n_missing"], municipalities=municipalities)
    mult = h["indicator_id"].map(reg.set_index("indicator_id")["multiplier"]).astype(float)
    supp = h["n_suppressed"] > 0
    miss = (h["n_missing"] > 0) & ~supp
    den = h["denominator"].astype(float)
    ok = ~supp & ~miss & (den > 0)
    h["value"] = np.where(ok, mult * h["numerator"] / den.where(den > 0, 1.0), np.nan)
    h["suppressed"] = supp
    h["reason"] = np.select([supp, miss, den <= 0], ["suppressed in a merged part",
                                                     "not reported by a merged part",
                                                     "denominator is 0"], "")
    h.loc[supp | miss, ["numerator", "denominator"]] = np.nan
    h["year"] = h["year"].astype(int)
    return h[INDICATOR_COLUMNS].sort_values(["indicator_id", "municipality_code", "year"]
                                           ).reset_index(drop=True)
