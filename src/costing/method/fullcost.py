"""Full cost and unit cost of every service cost centre (chapter 4 of ``methodology/``).

The pipeline: classify expenditure (chapter 1) → add capital charges, drop cash capital
spending (chapter 2) → allocate support/admin centres to service centres by the ``drivers``
table, per municipality and year (chapter 3) → full cost per service centre → unit costs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

from ..data.dataset import Dataset
from ..data.tables import as_fraction, reference, table
from ..errors import InputError, MethodRefusal
from .allocation import allocate_overheads
from .capital import capital_charges
from .classify import classify_expenditure

FULL_COST_COLUMNS = ["municipality_code", "year", "cost_centre_id", "service_code",
                     "provider_type", "cost_category", "source_centre_id", "amount_eur"]
DIRECT_CATEGORIES = ("pay", "employer_contributions", "goods_services", "capital")
SUPPORT_ROLES = ("support", "admin")

#: Default practical capacity as a share of theoretical capacity, by output unit. Staff-time
#: units follow Kaplan & Anderson's 80 %; place-based units (bed-days, client-days) allow 5 %
#: for changeover between clients — a convention of this method, see methodology 4.4.
DEFAULT_PRACTICAL_SHARE = {"bed_day": 0.95, "client_day": 0.95, "client_hour": 0.8,
                           "client_month": 0.8, "case": 0.8}

UNIT_COST_COLUMNS = [
    "municipality_code", "year", "cost_centre_id", "service_code", "provider_type",
    "full_cost_eur", "direct_cost_eur", "overhead_eur", "capital_eur", "pay_eur",
    "employer_contributions_eur", "goods_services_eur", "output_unit", "units", "clients",
    "capacity_units", "occupancy", "practical_share", "practical_capacity_units",
    "unit_cost_eur", "cost_per_client_eur", "unit_cost_at_capacity_eur",
    "unused_capacity_cost_eur", "reason", "notes",
]


def _as_list(value) -> list | None:
    if value is None:
        return None
    return [value] if np.ndim(value) == 0 else list(value)


def _usage(d: pd.DataFrame, municipality: str, year: int, centres: pd.DataFrame
           ) -> pd.DataFrame:
    """Driver matrix of one municipality and year: rows giving centre, columns receiving."""
    if d.empty:
        return pd.DataFrame()
    foreign = sorted(set(d["to_centre_id"]) - set(centres.index))
    if foreign:
        raise MethodRefusal(f"drivers {year}: centres of {municipality} give to {foreign[:5]}, "
                            "which are not cost centres of the same municipality",
                            rule="driver_foreign", table="drivers", column="to_centre_id",
                            where={"to_centre_id": foreign}, value=", ".join(foreign[:5]))
    kinds = d.groupby("from_centre_id")["driver"].nunique()
    mixed = kinds.index[kinds > 1].tolist()
    if mixed:
        raise MethodRefusal(f"drivers {year}: centre(s) {mixed} use more than one driver kind "
                            "in the same year; use one driver per giving centre",
                            rule="driver_kinds_mixed", table="drivers", column="driver",
                            where={"from_centre_id": mixed})
    return (d.groupby(["from_centre_id", "to_centre_id"])["quantity"].sum()
            .unstack("to_centre_id", fill_value=0.0))


def _long_rows(m: str, y: int, cat: pd.DataFrame, alloc: pd.DataFrame, finals: list[str],
               support: list[str]) -> dict[str, np.ndarray]:
    """Columns of the full-cost rows of the final centres of one municipality and year."""
    direct = cat.loc[finals, list(DIRECT_CATEGORIES)].to_numpy(dtype=float)
    nf, nk = direct.shape
    ids = [np.repeat(finals, nk)]
    cats = [np.tile(DIRECT_CATEGORIES, nf)]
    sources = [np.full(nf * nk, "", dtype=object)]
    amounts = [direct.ravel()]
    if support:
        over = alloc.loc[finals, support].to_numpy(dtype=float)
        fi, si = np.nonzero(over)
        ids.append(np.asarray(finals, dtype=object)[fi])
        cats.append(np.full(len(fi), "overhead", dtype=object))
        sources.append(np.asarray(support, dtype=object)[si])
        amounts.append(over[fi, si])
    n = sum(len(a) for a in amounts)
    return {"municipality_code": np.full(n, m, dtype=object), "year": np.full(n, y),
            "cost_centre_id": np.concatenate(ids).astype(object),
            "cost_category": np.concatenate(cats).astype(object),
            "source_centre_id": np.concatenate(sources).astype(object),
            "amount_eur": np.concatenate(amounts)}


def _centres(dataset) -> pd.DataFrame:
    centres = table(dataset, "cost_centres").astype({"cost_centre_id": str,
                                                     "municipality_code": str, "role": str})
    return centres.set_index("cost_centre_id", drop=False)


def _known_municipalities(municipality, centres: pd.DataFrame) -> list[str] | None:
    """Requested municipality codes as strings, each one with cost centres in the dataset."""
    wanted = _as_list(municipality)
    if wanted is None:
        return None
    wanted = [str(m) for m in wanted]
    unknown = sorted(set(wanted) - set(centres["municipality_code"]))
    if unknown:
        raise InputError(f"municipality code(s) {unknown} have no cost centres in the dataset")
    return wanted


def _direct_by_category(dataset, year, capital, rate, centres) -> tuple[list[int], pd.DataFrame]:
    """Direct cost by (year, centre) × category: included expenditure and capital charges.

    A requested year may lack expenditure (a year of capital charges alone), but a year with
    neither expenditure nor a capital charge is refused: there is no cost data for it.
    """
    spent = {int(y) for y in table(dataset, "expenditure")["year"].unique()}
    years = sorted(spent) if year is None else [int(y) for y in _as_list(year)]
    classified = classify_expenditure(dataset, [y for y in years if y in spent],
                                      capital=capital)
    lines = classified[classified["included"]]
    direct = (lines.groupby(["year", "cost_centre_id", "cost_category"])["amount_eur"].sum()
              .unstack("cost_category", fill_value=0.0))
    if capital is not None:
        cap = capital_charges(dataset, years, method=capital, rate=rate)
        unknown = sorted(set(cap["cost_centre_id"]) - set(centres.index))
        if unknown:
            raise InputError(f"assets name unknown cost centre(s) {unknown[:5]}")
        cap_wide = cap.set_index(["year", "cost_centre_id"])["capital_eur"].rename("capital")
        direct = direct.join(cap_wide, how="outer") if not direct.empty else cap_wide.to_frame()
    costed = set(direct.index.get_level_values("year")) if not direct.empty else set()
    no_data = [y for y in years if y not in costed]
    if no_data:
        span = f"{min(spent)}–{max(spent)}" if spent else "no years"
        raise InputError(f"year(s) {no_data} have neither expenditure nor a capital charge "
                         f"(expenditure covers {span})")
    return years, direct.reindex(columns=list(DIRECT_CATEGORIES), fill_value=0.0).fillna(0.0)


def _drivers_by_group(dataset, centres) -> tuple[dict, pd.DataFrame]:
    """Driver rows grouped by (year, municipality of the giving centre)."""
    try:
        drivers = table(dataset, "drivers").astype({"from_centre_id": str, "to_centre_id": str})
    except InputError:
        drivers = pd.DataFrame(columns=["year", "from_centre_id", "to_centre_id", "driver",
                                        "quantity"])
    drivers["year"] = drivers["year"].astype(int)
    drivers["quantity"] = drivers["quantity"].astype(float)
    drivers["municipality_code"] = drivers["from_centre_id"].map(centres["municipality_code"])
    groups = dict(iter(drivers.groupby(["year", "municipality_code"]))) if len(drivers) else {}
    return groups, drivers.iloc[0:0]


def _scope(costs: pd.DataFrame, drivers: pd.DataFrame, m: str, y: int, centres: pd.DataFrame):
    """Costs by category, driver matrix, support and final centres of one municipality-year."""
    m_centres = centres[centres["municipality_code"] == m]
    usage = _usage(drivers, m, y, m_centres)
    scope = sorted(set(costs.index) | set(usage.index) | set(usage.columns))
    cat = costs.reindex(scope, fill_value=0.0)
    roles = m_centres.loc[scope, "role"]
    support = [c for c in scope if roles[c] in SUPPORT_ROLES]
    finals = [c for c in scope if roles[c] not in SUPPORT_ROLES]
    return cat, usage, support, finals


class AllocationInputs(NamedTuple):
    """What :func:`costing.allocate_overheads` needs for one municipality and year."""

    direct_costs: pd.Series
    usage: pd.DataFrame
    support: list[str]
    by_category: pd.DataFrame


def allocation_inputs(dataset: Dataset, municipality: str, year: int,
                      capital: str | None = "annuity", rate: float = 0.035) -> AllocationInputs:
    """Direct costs, driver matrix and support centres of one municipality and year.

    The inputs :func:`full_costs` passes to :func:`costing.allocate_overheads` (chapter 3), so a
    notebook or a what-if analysis can run the allocation itself.

    Parameters
    ----------
    dataset : costing.Dataset
    municipality : str
        Municipality code.
    year : int
    capital, rate
        As in :func:`full_costs`.

    Returns
    -------
    AllocationInputs
        ``direct_costs`` (Series by centre [EUR]), ``usage`` (rows = giving support/admin centre,
        columns = receiving centre), ``support`` (ids) and ``by_category`` (direct cost by centre
        × category [EUR]).
    """
    centres = _centres(dataset)
    _known_municipalities(municipality, centres)
    _, direct = _direct_by_category(dataset, int(year), capital, rate, centres)
    by_group, empty = _drivers_by_group(dataset, centres)
    if int(year) in direct.index.get_level_values("year"):
        d_year = direct.xs(int(year), level="year")
        d_year = d_year[centres.loc[d_year.index, "municipality_code"] == str(municipality)]
    else:
        d_year = direct.iloc[0:0].droplevel("year")
    cat, usage, support, _ = _scope(d_year, by_group.get((int(year), str(municipality)), empty),
                                    str(municipality), int(year), centres)
    return AllocationInputs(cat.sum(axis=1).rename("direct_eur"), usage, support, cat)


def full_costs(dataset: Dataset, year: int | Sequence[int] | None = None,
               method: str = "reciprocal", capital: str | None = "annuity", rate: float = 0.035,
               order: Sequence[str] | None = None,
               municipality: str | Sequence[str] | None = None,
               refusals: list[MethodRefusal] | None = None) -> pd.DataFrame:
    """Full cost of every service cost centre, by cost category and source of overhead.

    Implements formula (4.1): full cost = direct costs (pay, employer contributions, goods and
    services) + capital charge (2.5 or 2.3) + overheads allocated from support and
    administration centres (3.2–3.4), per municipality and year.

    Parameters
    ----------
    dataset : costing.Dataset
        Needs ``cost_centres``, ``expenditure``, ``drivers`` (if there are support centres),
        ``assets`` (unless ``capital=None``) and the ``ekk`` and ``cpi`` reference tables.
    year : int, sequence of int or None
        Year(s); ``None`` = every year of ``expenditure``.
    method : {"reciprocal", "step_down", "direct"}
        Allocation method (chapter 3).
    capital : {"annuity", "straight_line", None}
        Capital charge convention; ``None`` = cash basis (EKK 5000 counted as ``capital``).
    rate : float, default 0.035
        Real discount rate of the annuity. [1/year]
    order : sequence of str, optional
        Step-down order; may list the support centres of several municipalities (each
        municipality uses its own centres in the order given, and must have all of them).
    municipality : str or sequence of str, optional
        Restrict to these municipality codes.
    refusals : list, optional
        Collect mode: a municipality-year whose data the allocation refuses (a
        :class:`~costing.errors.MethodRefusal`, see :mod:`costing.data.requirements`) is left
        out and its refusal appended here, instead of raising for the whole dataset.

    Returns
    -------
    pandas.DataFrame
        Tidy long table ``FULL_COST_COLUMNS`` for service centres only. ``cost_category`` is
        one of ``pay, employer_contributions, goods_services, capital, overhead``; overhead rows
        carry the giving support/admin centre in ``source_centre_id`` (empty string otherwise).
        Every service centre with a cost gets one row per direct category (possibly 0). [EUR]
    """
    centres = _centres(dataset)
    municipalities = _known_municipalities(municipality, centres)
    years, direct = _direct_by_category(dataset, year, capital, rate, centres)
    by_group, empty = _drivers_by_group(dataset, centres)
    parts = []
    for y in years:
        if y not in direct.index.get_level_values("year"):
            continue
        d_year = direct.xs(y, level="year")
        muni_of = centres.loc[d_year.index, "municipality_code"]
        for m in sorted(muni_of.unique()):
            if municipalities is not None and m not in municipalities:
                continue
            try:
                cat, usage, support, finals = _scope(d_year[muni_of == m],
                                                     by_group.get((y, m), empty), m, y, centres)
                if not finals:
                    continue
                alloc = allocate_overheads(cat.sum(axis=1), usage, support, method=method,
                                           order=None if order is None else
                                           [o for o in order if o in set(support)])
            except MethodRefusal as err:
                err = err.located(m, y, f"allocation for municipality {m}, year {y}: ")
                if refusals is None:
                    raise err from None
                refusals.append(err)
                continue
            except InputError as err:
                raise InputError(f"allocation for municipality {m}, year {y}: {err}") from None
            parts.append(_long_rows(m, y, cat, alloc, finals, support))
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=float if c == "amount_eur" else (
            int if c == "year" else str)) for c in FULL_COST_COLUMNS})
    out = pd.DataFrame({c: np.concatenate([p[c] for p in parts]) for c in parts[0]})
    for col in ("service_code", "provider_type"):
        out[col] = out["cost_centre_id"].map(centres[col].astype(str))
    out = out[FULL_COST_COLUMNS]
    out["year"] = out["year"].astype(int)
    out["amount_eur"] = out["amount_eur"].astype(float)
    return out.sort_values(["municipality_code", "year", "cost_centre_id"], kind="stable",
                           ignore_index=True)


def _practical_share(share, output_unit: pd.Series, service_code: pd.Series) -> np.ndarray:
    if share is None:
        share = DEFAULT_PRACTICAL_SHARE
    if isinstance(share, Mapping):
        values = [share.get(s, share.get(u, np.nan))
                  for s, u in zip(service_code, output_unit, strict=True)]
        values = np.asarray(values, dtype=float)
    else:
        values = np.full(len(output_unit), as_fraction("practical_share", share, low_open=True))
    bad = ~np.isnan(values) & ((values <= 0) | (values > 1))
    if bad.any():
        raise InputError(f"practical_share must be in (0, 1]; got {values[bad][0]}")
    return values


def unit_costs(dataset: Dataset, year: int | Sequence[int] | None = None,
               practical_share: float | Mapping[str, float] | None = None,
               **full_cost_kwargs) -> pd.DataFrame:
    """Unit costs, occupancy and the cost of unused capacity per service centre and year.

    Implements formulas (4.2)–(4.7): unit cost ``u = F / Q``; cost per client ``F / N``;
    occupancy ``Q / K``; practical capacity ``p × K``; cost per unit at practical capacity
    ``F / (p K)``; cost of unused capacity ``max(p K − Q, 0) × F / (p K)``.

    Parameters
    ----------
    dataset : costing.Dataset
        As for :func:`full_costs`, plus ``outputs``.
    year : int, sequence of int or None
        Year(s); ``None`` = every year with expenditure or outputs.
    practical_share : float or mapping, optional
        Practical capacity as a share of theoretical capacity ``capacity_units``; a mapping may
        be keyed by service code or output unit. Default ``DEFAULT_PRACTICAL_SHARE``.
    **full_cost_kwargs
        Passed to :func:`full_costs` (``method``, ``capital``, ``rate``, ``order``,
        ``municipality``).

    Returns
    -------
    pandas.DataFrame
        One row per service centre × year with cost or output (``UNIT_COST_COLUMNS``).
        ``full_cost_eur = direct_cost_eur + overhead_eur``; ``capital_eur`` is part of
        ``direct_cost_eur``. A zero or missing output or cost gives NaN (never inf) with the
        cause in ``reason``; ``notes`` explains other NaN columns.
    """
    fc = full_costs(dataset, year=year, **full_cost_kwargs)
    refused = {(r.municipality_code, r.year) for r in full_cost_kwargs.get("refusals") or ()}
    keys = ["municipality_code", "year", "cost_centre_id", "service_code", "provider_type"]
    wide = fc.pivot_table(index=keys, columns="cost_category", values="amount_eur",
                          aggfunc="sum", fill_value=0.0)
    wide = wide.reindex(columns=[*DIRECT_CATEGORIES, "overhead"], fill_value=0.0).reset_index()
    wide.columns.name = None

    centres = table(dataset, "cost_centres").astype({"cost_centre_id": str})
    outputs = table(dataset, "outputs").copy()
    outputs["year"] = outputs["year"].astype(int)
    outputs["cost_centre_id"] = outputs["cost_centre_id"].astype(str)
    if year is not None:
        outputs = outputs[outputs["year"].isin([int(y) for y in _as_list(year)])]
    muni = full_cost_kwargs.get("municipality")
    if muni is not None:
        keep = centres.loc[centres["municipality_code"].astype(str).isin(_as_list(muni)),
                           "cost_centre_id"]
        outputs = outputs[outputs["cost_centre_id"].isin(keep)]
    services = reference("services", dataset)[["service_code", "output_unit"]].astype(str)
    out = wide.merge(outputs[["year", "cost_centre_id", "output_unit", "units", "clients",
                              "capacity_units"]], on=["year", "cost_centre_id"], how="outer",
                     validate="one_to_one")
    info = centres.set_index("cost_centre_id")
    no_cost = out["municipality_code"].isna()
    ids = out.loc[no_cost, "cost_centre_id"]
    for col in ("municipality_code", "service_code", "provider_type"):
        out.loc[no_cost, col] = info.loc[ids, col].astype(str).to_numpy()
    out[[*DIRECT_CATEGORIES, "overhead"]] = out[[*DIRECT_CATEGORIES, "overhead"]].fillna(0.0)
    unit_of = services.set_index("service_code")["output_unit"]
    out["output_unit"] = out["output_unit"].fillna(out["service_code"].map(unit_of))
    if refused:  # collect mode: a refused municipality-year has no cost, so no unit cost either
        pairs = pd.MultiIndex.from_arrays([out["municipality_code"].astype(str),
                                           out["year"].astype(int)])
        out = out.loc[~pairs.isin(list(refused))].reset_index(drop=True)
    return _unit_cost_table(out, keys, practical_share)


def _unit_cost_table(out: pd.DataFrame, keys: list[str], practical_share) -> pd.DataFrame:
    """Formulas (4.2)–(4.7) on the joined cost × output table, with ``reason`` and ``notes``."""
    direct = out[list(DIRECT_CATEGORIES)].sum(axis=1)
    full = direct + out["overhead"]
    q = pd.to_numeric(out["units"], errors="coerce").astype(float)
    n = pd.to_numeric(out["clients"], errors="coerce").astype(float)
    k = pd.to_numeric(out["capacity_units"], errors="coerce").astype(float)
    p = _practical_share(practical_share, out["output_unit"].astype(str), out["service_code"])
    pk = k * p

    def safe_div(num: pd.Series, den: pd.Series) -> pd.Series:
        return num / den.where(den > 0)

    has_cost = full > 0
    res = out[keys].copy()
    res["year"] = res["year"].astype(int)
    res["full_cost_eur"], res["direct_cost_eur"] = full, direct
    res["overhead_eur"], res["capital_eur"] = out["overhead"], out["capital"]
    for c in ("pay", "employer_contributions", "goods_services"):
        res[f"{c}_eur"] = out[c]
    res["output_unit"], res["units"], res["clients"], res["capacity_units"] = (
        out["output_unit"], q, n, k)
    res["occupancy"] = safe_div(q, k)
    res["practical_share"], res["practical_capacity_units"] = p, pk
    res["unit_cost_eur"] = safe_div(full, q).where(has_cost)
    res["cost_per_client_eur"] = safe_div(full, n).where(has_cost)
    res["unit_cost_at_capacity_eur"] = safe_div(full, pk).where(has_cost)
    res["unused_capacity_cost_eur"] = (full * (1 - q / pk.where(pk > 0)).clip(lower=0)
                                       ).where(has_cost)
    res["reason"] = np.select(
        [q.isna(), q <= 0, ~has_cost],
        ["no output recorded for this centre and year", "zero output units in the year",
         "no cost recorded for this centre and year"], default="")
    notes = [
        (n.isna() | (n <= 0), "no clients recorded: cost per client not computed"),
        (k.isna() | (k <= 0), "no capacity recorded: occupancy and capacity costs not computed"),
        (pd.Series(np.isnan(p), index=res.index),
         "no practical share for this service: capacity costs not computed"),
    ]
    res["notes"] = ["; ".join(t for mask, t in notes if mask.iloc[i]) for i in range(len(res))]
    return (res[UNIT_COST_COLUMNS].sort_values(["municipality_code", "year", "cost_centre_id"])
            .reset_index(drop=True))
