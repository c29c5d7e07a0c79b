"""Time-driven activity-based cost (TDABC) of social work: per activity and per case-month.

Methodology section 7.5 (``methodology/07_workload.md``): the cost of the social workers who kept
diaries is divided by their practical capacity to give a capacity cost rate (Kaplan & Anderson
2004), which prices each activity by the time the diaries record; the cost of unused capacity is
reported on its own row, never hidden in unit costs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..data.tables import constant, reference
from ..errors import InputError
from ..method.staffcost import capacity_cost_rate, staff_unit_cost, working_hours
from ..privacy import MIN_WORKERS, suppress_small_cells
from .timeuse import _activity_flags, _day_numbers, worker_activity_minutes, worker_attributes


def _employer_rate(year: int, dataset: Any) -> float:
    """Employer social contribution rate (``employer_general``) valid on 1 July of ``year``."""
    rates = reference("ssc_rates", dataset)
    rates = rates.loc[rates["rate_id"].astype(str) == "employer_general"]
    mid = pd.Timestamp(f"{year}-07-01")
    start = pd.to_datetime(rates["valid_from"].astype(str), format="%Y-%m-%d")
    end = pd.to_datetime(rates["valid_to"].astype(str).replace({"": None, "NaT": None,
                                                                 "nan": None, "<NA>": None}),
                         format="%Y-%m-%d")
    hit = rates.loc[(start <= mid) & (end.isna() | (end >= mid)), "rate"]
    if hit.empty:
        raise InputError(f"ssc_rates has no employer_general rate valid on {mid.date()}; "
                         "pass on_cost_rate=")
    return float(hit.iloc[0])


def activity_costs(
    dataset: Any,
    year: int,
    *,
    by: Sequence[str] | str = "municipality_code",
    practical_share: float = 1.0,
    on_cost_rate: float | None = None,
    overhead_rate: float = 0.0,
    overhead_base: str = "salary_and_on_costs",
    sick_days: float = 0.0,
    training_days: float = 0.0,
    unit_minutes: dict[str, float] | None = None,
    min_workers: int = MIN_WORKERS,
) -> pd.DataFrame:
    """Time-driven cost of each activity, with the cost of unused capacity shown separately.

    Implements (7.14)–(7.17): the capacity cost ``C`` of the diary-keeping workers (salary,
    employer contributions and overheads, :func:`costing.staff_unit_cost`), their theoretical
    capacity ``T = Σ fte × H × 60`` minutes (H from :func:`costing.working_hours`), the capacity
    cost rate ``q = C / (p × T)`` (:func:`costing.capacity_cost_rate`), annualised diary time per
    activity ``t_a = Σ_w m_wa × D / d_w`` (D working days per year, d_w days the worker
    recorded), activity cost ``q × t_a`` and unused capacity ``q × (p × T − Σ_a t_a)``, so that
    activity costs plus unused capacity equal ``C`` exactly. A negative unused capacity means the
    diaries record more time than the practical capacity.

    Parameters
    ----------
    dataset : Dataset
        Needs ``time_use``, ``workers``, ``cost_centres`` and the reference tables.
    year : int
        Calendar year of the diaries and the salaries.
    by : str or sequence of str
        Grouping of workers (columns of the workers table or ``municipality_code``).
    practical_share : float
        Practical capacity as a share of theoretical capacity. Default 1.0 because the diaries
        record all paid working time (supervision, training, administration and "other"
        included) and the theoretical capacity is already net of leave, holidays and sickness;
        use e.g. 0.8 (Kaplan & Anderson) when diaries record only productive activities.
        [fraction]
    on_cost_rate : float, optional
        Employer contributions as a rate of salary; default the ``employer_general`` rate of the
        year from ``ssc_rates``. [fraction]
    overhead_rate, overhead_base
        Overheads as in :func:`costing.staff_unit_cost`. [fraction]
    sick_days, training_days : float
        Absence days per FTE used in the working hours. [day/year]
    unit_minutes : dict, optional
        Minutes of one unit of an activity (e.g. ``{"HOME_VISIT": 75}``) to price one unit.
        [min/unit]
    min_workers : int
        Groups with fewer diary-keeping workers are suppressed (7.19). [workers]

    Returns
    -------
    pandas.DataFrame
        Per group × ``activity_code`` (the activities, then ``UNUSED_CAPACITY``): ``year``,
        ``n_workers``, ``capacity_cost_eur`` [EUR/year], ``rate_eur_per_hour`` [EUR/h],
        ``hours`` [h/year], ``cost_eur`` [EUR/year], ``share_of_cost`` [fraction],
        ``cost_per_unit_eur`` [EUR/unit] where ``unit_minutes`` is given, ``suppressed``,
        ``suppression_reason``.
    """
    year = int(year)
    by = [by] if isinstance(by, str) else list(by)
    tu = dataset.time_use
    days = _day_numbers(tu["date"])
    in_year = (days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64)
               + 1970) == year
    if not in_year.any():
        raise InputError(f"activity_costs: the dataset has no time_use diaries in {year}")
    acts, _, _ = _activity_flags(dataset.activities)
    units, mat = worker_activity_minutes(tu.loc[in_year], acts, count_days=True)
    attrs = worker_attributes(dataset)
    attrs = attrs.loc[attrs["year"] == year, ["worker_id", "fte", "salary_eur", *by]]
    units = units.merge(attrs.astype({"worker_id": str}), on="worker_id", how="left")
    if units["fte"].isna().any():
        who = units.loc[units["fte"].isna(), "worker_id"].iloc[0]
        raise InputError(f"activity_costs: worker {who!r} kept a diary in {year} but is not in "
                         f"workers for {year}")
    weekly = constant("legal_weekly_hours", dataset)
    hours_fte = working_hours(weekly, constant("annual_leave_weeks", dataset) * 5, year,
                              sick_days, training_days, dataset=dataset)
    working_days = hours_fte / (weekly / 5)
    used = mat * (working_days / units["days"].to_numpy())[:, None]  # (7.15)
    rate_b = _employer_rate(year, dataset) if on_cost_rate is None else on_cost_rate
    gid = units.groupby(by, sort=True).ngroup().to_numpy()
    labels = units.assign(_g=gid).drop_duplicates("_g").set_index("_g").sort_index()
    frames = []
    for g in range(gid.max() + 1):
        sel = gid == g
        cost = staff_unit_cost(float(units.loc[sel, "salary_eur"].sum()), on_cost_rate=rate_b,
                               overhead_rate=overhead_rate, overhead_base=overhead_base,
                               annual_hours=hours_fte).total  # (7.14)
        theoretical = float(units.loc[sel, "fte"].sum()) * hours_fte * 60.0
        q = capacity_cost_rate(cost, theoretical, practical_share)  # (7.16)
        minutes = used[sel].sum(axis=0)
        unused = practical_share * theoretical - minutes.sum()  # (7.17)
        part = pd.DataFrame({"activity_code": [*acts, "UNUSED_CAPACITY"],
                             "hours": np.append(minutes, unused) / 60.0})
        part["cost_eur"] = q * part["hours"] * 60.0
        part["share_of_cost"] = part["cost_eur"] / cost
        part.insert(1, "year", year)
        part.insert(2, "n_workers", int(units.loc[sel, "worker_id"].nunique()))
        part.insert(3, "capacity_cost_eur", cost)
        part.insert(4, "rate_eur_per_hour", q * 60.0)
        if unit_minutes:
            part["cost_per_unit_eur"] = part["activity_code"].map(unit_minutes).astype(float) * q
        for col in reversed(by):
            part.insert(0, col, labels.loc[g, col])
        frames.append(part)
    out = pd.concat(frames, ignore_index=True)
    values = [c for c in out.columns if c not in (*by, "activity_code", "year", "n_workers")]
    return suppress_small_cells(out, "n_workers", values, min_workers)


def cost_per_case(
    dataset: Any,
    year: int,
    *,
    by: Sequence[str] | str = "municipality_code",
    standard_hours: dict[str, float] | None = None,
    min_workers: int = MIN_WORKERS,
    **cost_options: Any,
) -> pd.DataFrame:
    """Time-driven cost of one case-month by case type, without the cost of unused capacity.

    Implements (7.18): the annual cost of client-related activities of a group
    (:func:`activity_costs`) is split over case types in proportion to ``n_k × h_k`` (open cases
    × standard hours per case-month, the time equation), so that
    ``cost per case-month_k = C_rel × h_k / (12 × Σ_j n_j h_j)``; ``full`` adds the group's
    other used time (supervision, administration, other) the same way. Unused capacity is in
    neither: it is reported by :func:`activity_costs`.

    Parameters
    ----------
    dataset : Dataset
        Needs ``time_use``, ``caseloads``, ``workers``, ``cost_centres``.
    year : int
        Calendar year.
    by : str or sequence of str
        Grouping of workers.
    standard_hours : dict, optional
        Standard hours per case-month by case type; default ``case_types``. [h/case-month]
    min_workers : int
        Groups with fewer workers are suppressed (7.19). [workers]
    **cost_options
        Passed to :func:`activity_costs` (``practical_share``, ``overhead_rate``, ...).

    Returns
    -------
    pandas.DataFrame
        Per group × ``case_type``: ``year``, ``n_workers``, ``open_cases`` [cases],
        ``minutes_per_case_month`` [min/case-month], ``cost_per_case_month_eur``
        [EUR/case-month], ``full_cost_per_case_month_eur`` [EUR/case-month], ``suppressed``,
        ``suppression_reason`` (also "no open cases" where a group has no case-months, whose
        costs per case-month are then missing).
    """
    by = [by] if isinstance(by, str) else list(by)
    costs = activity_costs(dataset, year, by=by, min_workers=1, **cost_options)
    acts, _, related = _activity_flags(dataset.activities)
    rel = set(np.asarray(acts)[related])
    costs["related"] = costs["activity_code"].isin(rel)
    costs["used"] = costs["activity_code"] != "UNUSED_CAPACITY"
    grp = costs.groupby(by).apply(lambda d: pd.Series({
        "rel_cost": d.loc[d["related"], "cost_eur"].sum(),
        "used_cost": d.loc[d["used"], "cost_eur"].sum(),
        "rel_minutes": d.loc[d["related"], "hours"].sum() * 60.0}), include_groups=False)
    diarists = set(dataset.time_use["worker_id"].astype(str))
    cl = dataset.caseloads
    cl = cl.loc[(cl["year"].astype(int) == int(year)) & cl["worker_id"].astype(str).isin(diarists)]
    attrs = worker_attributes(dataset)
    attrs = attrs.loc[attrs["year"] == int(year), ["worker_id", *by]].astype({"worker_id": str})
    cl = cl.astype({"worker_id": str}).merge(attrs, on="worker_id", how="left")
    h = pd.Series(standard_hours if standard_hours is not None else dict(zip(
        reference("case_types", dataset)["case_type"].astype(str),
        pd.to_numeric(reference("case_types", dataset)["standard_hours_per_month"]),
        strict=True)), dtype=float)
    unknown = sorted(set(cl["case_type"].astype(str)) - set(h.index))
    if unknown:
        raise InputError(f"cost_per_case: case_type(s) {unknown} have no standard hours")
    cl["load"] = cl["open_cases"].astype(float) * h.reindex(cl["case_type"].astype(str)).to_numpy()
    out = cl.groupby([*by, "case_type"], sort=True).agg(
        n_workers=("worker_id", "nunique"), open_cases=("open_cases", "sum")).reset_index()
    load = cl.groupby(by)["load"].sum()
    nw = cl.groupby(by)["worker_id"].nunique()
    key = pd.MultiIndex.from_frame(out[by]) if len(by) > 1 else pd.Index(out[by[0]])
    denom = 12.0 * load.reindex(key).to_numpy()
    no_cases = denom == 0
    denom = np.where(no_cases, np.nan, denom)  # no case-months: no cost per case-month
    hk = h.reindex(out["case_type"].astype(str)).to_numpy()
    out["n_workers"] = nw.reindex(key).to_numpy()
    out.insert(len(by), "year", int(year))
    out["minutes_per_case_month"] = grp["rel_minutes"].reindex(key).to_numpy() * hk / denom
    out["cost_per_case_month_eur"] = grp["rel_cost"].reindex(key).to_numpy() * hk / denom
    out["full_cost_per_case_month_eur"] = grp["used_cost"].reindex(key).to_numpy() * hk / denom
    values = ["open_cases", "minutes_per_case_month", "cost_per_case_month_eur",
              "full_cost_per_case_month_eur"]
    out = suppress_small_cells(out, "n_workers", values, min_workers)
    out.loc[no_cases & ~out["suppressed"].to_numpy(), "suppression_reason"] = "no open cases"
    return out
