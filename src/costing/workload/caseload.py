"""Staffing against the legal norm, weighted caseloads and staff need from the case mix.

Methodology sections 7.3–7.4 (``methodology/07_workload.md``): the number of social work
specialists per 1,000 inhabitants against the norm of the Law on Social Services and Social
Assistance, the weighted caseload per FTE with a traffic-light status, and the FTE a case mix
needs given standard times per case-month.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..data.requirements import require_population
from ..data.tables import as_fraction, as_number, reference, table
from ..errors import InputError
from ..privacy import MIN_WORKERS, suppress_small_cells
from .timeuse import _flag, _is_dataset, join_worker_attributes

#: Lower bounds of the caseload status bands, as utilisation fractions (formula 7.10):
#: red ≥ 110 %, amber 100–110 %, green 95–100 %, under capacity < 95 %.
STATUS_THRESHOLDS: dict[str, float] = {"red": 1.10, "amber": 1.00, "green": 0.95}
STATUSES = ("red", "amber", "green", "under_capacity")


def caseload_status(utilisation: Any) -> np.ndarray:
    """Traffic-light status of a utilisation (weighted points ÷ capacity points).

    Implements (7.10): ``red`` if u ≥ 1.10, ``amber`` if 1.00 ≤ u < 1.10, ``green`` if
    0.95 ≤ u < 1.00, ``under_capacity`` if u < 0.95; missing stays missing.

    Parameters
    ----------
    utilisation : array-like of float
        Utilisation as a fraction (1.0 = 100 % of capacity). [fraction]

    Returns
    -------
    numpy.ndarray of object
        Status codes (``None`` where the utilisation is missing).
    """
    try:
        u = np.asarray(utilisation, dtype=float)
    except (TypeError, ValueError):
        raise InputError(f"caseload_status: utilisation must be numbers (fractions), got "
                         f"{utilisation!r:.80}") from None
    status = np.select(
        [u >= STATUS_THRESHOLDS["red"], u >= STATUS_THRESHOLDS["amber"],
         u >= STATUS_THRESHOLDS["green"], u < STATUS_THRESHOLDS["green"]],
        ["red", "amber", "green", "under_capacity"], default="")
    return np.where(np.isnan(u), None, status).astype(object)


#: Services whose staff make up the municipal social service for the norm (7.6): the social work
#: done by the social service office. Specialists in care homes or day centres deliver a service
#: of their own and are not counted against the norm.
NORM_SERVICES: tuple[str, ...] = ("SOCIAL_WORK",)


def staffing_norm(dataset: Any, year: int, per_1000: float = 1.0,
                  services: Sequence[str] | None = NORM_SERVICES) -> pd.DataFrame:
    """Social work specialists per 1,000 inhabitants against the legal norm, per municipality.

    Implements (7.6)–(7.8): ``f = F / P × 1000``, required ``R = n × P / 1000`` and gap
    ``F − R`` (negative = shortfall), where F is the FTE of jobs with
    ``is_social_work_specialist`` in the municipality's social-service cost centres (those of
    ``services``), P the population and n the
    norm (1 specialist per 1,000 inhabitants: Law on Social Services and Social Assistance;
    Ministry of Welfare indicator).

    Parameters
    ----------
    dataset : Dataset
        Needs ``staff``, ``cost_centres``, ``jobs``, ``population`` and ``municipalities``.
    year : int
        Calendar year.
    per_1000 : float
        The norm n. [specialists per 1,000 inhabitants]
    services : sequence of str or None
        Service codes of the cost centres whose specialists count (default ``NORM_SERVICES``,
        the social service's social work); None counts every cost centre.

    Returns
    -------
    pandas.DataFrame
        One row per municipality with cost centres in the dataset that existed in ``year``
        (``municipalities.valid_from``/``valid_to``): ``municipality_code, name,
        year, population`` [persons], ``staff_reported`` (bool: the municipality reported staff
        that year), ``specialist_fte`` [FTE], ``fte_per_1000`` [FTE/1,000 inhabitants],
        ``required_fte`` [FTE], ``gap_fte`` [FTE] and ``meets_norm`` (bool). Figures of a
        municipality without staff rows are missing, not zero.
    """
    year = int(year)
    per_1000 = as_number("staffing_norm: per_1000", per_1000, low=0.0, low_open=True)
    staff = table(dataset, "staff")
    centres = table(dataset, "cost_centres")[["cost_centre_id", "municipality_code",
                                              "service_code"]]
    jobs = reference("jobs", dataset)
    specialist = set(jobs.loc[_flag(jobs["is_social_work_specialist"]), "job_code"].astype(str))
    staff = staff.loc[staff["year"].astype(int) == year].merge(centres, on="cost_centre_id",
                                                               how="left")
    reported = set(staff["municipality_code"].dropna())
    counted = staff["job_code"].astype(str).isin(specialist)
    if services is not None:
        counted &= staff["service_code"].astype(str).isin([str(c) for c in services])
    fte = (staff.loc[counted]
           .groupby("municipality_code")["fte"].sum())
    pop = reference("population", dataset)
    pop = pop.loc[pd.to_numeric(pop["year"]).astype(int) == year]
    pop = pd.to_numeric(pop["population"]).groupby(pop["atvk_code"].astype(str)).sum()
    ref = reference("municipalities", dataset)
    munis = ref.set_index(ref["atvk_code"].astype(str))["name"]
    start = pd.to_datetime(ref["valid_from"].astype(str), errors="coerce")
    end = pd.to_datetime(ref["valid_to"].astype(str).replace({"": None}), errors="coerce")
    existed = set(ref.loc[(start.isna() | (start.dt.year <= year))
                          & (end.isna() | (end.dt.year >= year)), "atvk_code"].astype(str))
    codes = sorted(set(centres["municipality_code"].astype(str)) & existed)
    if not codes:
        raise InputError(f"staffing_norm: no municipality of the dataset existed in {year} "
                         "(municipalities.valid_from/valid_to)")
    require_population(reference("population", dataset), year, codes, "staffing_norm")
    out = pd.DataFrame({"municipality_code": codes})
    out["name"] = out["municipality_code"].map(munis)
    out["year"] = year
    out["population"] = out["municipality_code"].map(pop).astype(float)
    out["staff_reported"] = out["municipality_code"].isin(reported)
    out["specialist_fte"] = out["municipality_code"].map(fte).fillna(0.0).where(
        out["staff_reported"])
    out["fte_per_1000"] = out["specialist_fte"] / out["population"] * 1000.0
    out["required_fte"] = per_1000 * out["population"] / 1000.0
    out["gap_fte"] = out["specialist_fte"] - out["required_fte"]
    out["meets_norm"] = (out["gap_fte"] >= -1e-9).astype("boolean").mask(~out["staff_reported"])
    return out


def _weights(weights: Mapping[str, float] | pd.Series | None, column: str, dataset: Any,
             what: str) -> pd.Series:
    if weights is None:
        ref = reference("case_types", dataset)
        weights = pd.Series(pd.to_numeric(ref[column]).to_numpy(), index=ref["case_type"])
    w = pd.Series(weights, dtype=float)
    w.index = w.index.astype(str)
    if w.isna().any() or (w < 0).any():
        raise InputError(f"{what}: values per case type must be numbers >= 0, got {dict(w)}")
    return w


def _prepare(caseloads: Any, workers: Any, by: Sequence[str], what: str,
             need_fte: bool) -> tuple[pd.DataFrame, Any]:
    """Caseloads joined with the worker attributes they need (fte and ``by`` columns)."""
    dataset = None
    if _is_dataset(caseloads):
        dataset = caseloads
        workers = dataset if workers is None else workers
        caseloads = dataset.caseloads
    cols = ("year", "worker_id", "case_type", "open_cases")
    missing = [c for c in cols if c not in caseloads.columns]
    if missing:
        raise InputError(f"{what}: caseloads lack column(s) {missing}")
    cl = caseloads.copy()
    cl["year"] = cl["year"].astype("int64")
    cl["worker_id"] = cl["worker_id"].astype(str)
    cl["open_cases"] = pd.to_numeric(cl["open_cases"], errors="coerce")
    bad = cl["open_cases"].isna() | (cl["open_cases"] < 0)
    if bad.any():
        raise InputError(f"{what}: caseloads column 'open_cases' must be a number >= 0; worker "
                         f"{cl.loc[bad, 'worker_id'].iloc[0]!r} has "
                         f"{caseloads.loc[bad, 'open_cases'].iloc[0]!r}")
    need = [c for c in [*by, *(["fte"] if need_fte else [])] if c not in cl.columns]
    return join_worker_attributes(cl, workers, need, what, "caseloads", "caseloads"), dataset


def _case_values(cl: pd.DataFrame, w: pd.Series, what: str) -> np.ndarray:
    unknown = sorted(set(cl["case_type"].astype(str)) - set(w.index))
    if unknown:
        raise InputError(f"{what}: case_type(s) {unknown} have no weight/standard time; "
                         f"known: {list(w.index)}")
    return w.reindex(cl["case_type"].astype(str)).to_numpy()


def weighted_caseload(
    caseloads: Any,
    weights: Mapping[str, float] | pd.Series | None = None,
    capacity_points: float = 100.0,
    *,
    by: Sequence[str] | str = ("year", "municipality_code"),
    workers: Any = None,
    min_workers: int = MIN_WORKERS,
) -> pd.DataFrame:
    """Weighted caseload per FTE, utilisation of capacity and traffic-light status.

    Implements (7.9)–(7.11): points ``W = Σ_k n_k × w_k`` over case types k (n_k average open
    cases, w_k points per case), capacity ``K = capacity_points × FTE``, utilisation ``U = W / K``
    and status by (7.10). For a group, ``U = Σ W / Σ K`` over its workers.

    Parameters
    ----------
    caseloads : pandas.DataFrame or Dataset
        The ``caseloads`` table (``year, worker_id, case_type, open_cases``), optionally with
        ``fte`` and the ``by`` columns already joined; or a dataset.
    weights : mapping or Series, optional
        Points per open case by case type; default ``case_types.weight_points``. [points/case]
    capacity_points : float
        Points one FTE can carry (default 100, to calibrate locally). [points/FTE]
    by : str or sequence of str
        Grouping; ``["year", "worker_id"]`` gives one row per worker, for internal supervision
        only, and needs ``min_workers=1`` (worker-level rows are personal data: never publish).
    workers : pandas.DataFrame or Dataset, optional
        Worker attributes (``fte``, ``cost_centre_id``, ``municipality_code``) for columns not in
        ``caseloads``.
    min_workers : int
        Groups with fewer workers are suppressed (7.19). [workers]

    Returns
    -------
    pandas.DataFrame
        Per group: ``n_workers``, ``fte`` [FTE], ``open_cases`` [cases], ``weighted_points``
        [points], ``capacity_points`` [points], ``points_per_fte`` [points/FTE], ``utilisation``
        [fraction], ``status``, ``share_workers_red`` (workers at ≥ 110 %) [fraction],
        ``suppressed``, ``suppression_reason``.
    """
    what = "weighted_caseload"
    if not capacity_points > 0:
        raise InputError(f"{what}: capacity_points must be > 0, got {capacity_points!r}")
    by = [by] if isinstance(by, str) else list(by)
    cl, ds = _prepare(caseloads, workers, by, what, need_fte=True)
    cl["points"] = cl["open_cases"] * _case_values(cl, _weights(weights, "weight_points", ds,
                                                                what), what)
    per_worker = cl.groupby([*dict.fromkeys([*by, "year", "worker_id"])], sort=False).agg(
        open_cases=("open_cases", "sum"), points=("points", "sum"), fte=("fte", "first"))
    if (per_worker["fte"] <= 0).any():
        raise InputError(f"{what}: every worker needs fte > 0")
    per_worker["red"] = per_worker["points"] / (per_worker["fte"] * capacity_points) >= \
        STATUS_THRESHOLDS["red"]
    per_worker = per_worker.reset_index()
    g = per_worker.groupby(by, sort=True)
    out = g.agg(n_workers=("worker_id", "nunique"), fte=("fte", "sum"),
                open_cases=("open_cases", "sum"), weighted_points=("points", "sum"),
                share_workers_red=("red", "mean")).reset_index()
    out["capacity_points"] = out["fte"] * capacity_points
    out["points_per_fte"] = out["weighted_points"] / out["fte"]
    out["utilisation"] = out["weighted_points"] / out["capacity_points"]
    out["status"] = caseload_status(out["utilisation"])
    out = out[[*by, "n_workers", "fte", "open_cases", "weighted_points", "capacity_points",
               "points_per_fte", "utilisation", "status", "share_workers_red"]]
    values = [c for c in out.columns if c not in (*by, "n_workers")]
    return suppress_small_cells(out, "n_workers", values, min_workers)


def available_case_hours(annual_hours: float, case_share: float, months: int = 12) -> float:
    """Case-related hours one FTE has per month.

    Implements (7.13): ``a = H × s / 12`` with H working hours per year (``ct.working_hours``)
    and s the share of time that is client-related (from :func:`workload_summary`).

    Parameters
    ----------
    annual_hours : float
        Working hours per FTE per year. [h/year]
    case_share : float
        Share of working time spent on cases, in (0, 1]. [fraction]
    months : int
        Months per year.

    Returns
    -------
    float
        Case hours per FTE-month. [h/FTE-month]
    """
    hours = as_number("available_case_hours: annual_hours", annual_hours, low=0.0, low_open=True)
    share = as_fraction("available_case_hours: case_share", case_share, low_open=True)
    n = as_number("available_case_hours: months", months, low=0.0, low_open=True)
    return hours * share / n


def staff_need(
    caseloads: Any,
    standard_hours: Mapping[str, float] | pd.Series | None = None,
    available_hours: float = 0.0,
    *,
    by: Sequence[str] | str = ("year", "municipality_code"),
    workers: Any = None,
    min_workers: int = MIN_WORKERS,
) -> pd.DataFrame:
    """FTE needed for a case mix from standard times, against the FTE in post.

    Implements (7.12): ``FTE needed = Σ_k n_k × h_k / a`` with n_k open cases of type k,
    h_k standard hours per case-month and a case hours available per FTE-month (7.13); the
    largest caseload of one type a single FTE can carry is ``a / h_k`` (:func:`max_caseload`).

    Parameters
    ----------
    caseloads : pandas.DataFrame or Dataset
        As for :func:`weighted_caseload`.
    standard_hours : mapping or Series, optional
        Standard hours per case-month by case type; default
        ``case_types.standard_hours_per_month``. [h/case-month]
    available_hours : float
        Case hours available per FTE-month, > 0 (see :func:`available_case_hours`).
        [h/FTE-month]
    by, workers, min_workers
        As for :func:`weighted_caseload`.

    Returns
    -------
    pandas.DataFrame
        Per group: ``n_workers``, ``open_cases`` [cases], ``required_hours_month`` [h/month],
        ``fte_needed`` [FTE], ``fte_actual`` [FTE], ``fte_gap`` (actual − needed) [FTE],
        ``suppressed``, ``suppression_reason``.
    """
    what = "staff_need"
    available_hours = as_number(f"{what}: available_hours (case hours per FTE-month)",
                                available_hours, low=0.0, low_open=True)
    by = [by] if isinstance(by, str) else list(by)
    cl, ds = _prepare(caseloads, workers, by, what, need_fte=True)
    if "year" not in by and cl["year"].nunique() > 1:
        raise InputError(f"{what}: caseloads cover years {sorted(cl['year'].unique())}; add "
                         "'year' to by (monthly need is not summed over years)")
    hours = _weights(standard_hours, "standard_hours_per_month", ds, what)
    cl["hours"] = cl["open_cases"] * _case_values(cl, hours, what)
    fte = cl.drop_duplicates(["year", "worker_id"]).groupby(by)["fte"].sum()
    out = cl.groupby(by, sort=True).agg(n_workers=("worker_id", "nunique"),
                                        open_cases=("open_cases", "sum"),
                                        required_hours_month=("hours", "sum"))
    out["fte_needed"] = out["required_hours_month"] / available_hours
    out["fte_actual"] = fte.reindex(out.index)
    out["fte_gap"] = out["fte_actual"] - out["fte_needed"]
    out = out.reset_index()
    values = [c for c in out.columns if c not in (*by, "n_workers")]
    return suppress_small_cells(out, "n_workers", values, min_workers)


def max_caseload(standard_hours: Mapping[str, float] | pd.Series | None = None,
                 available_hours: float = 0.0, dataset: Any = None) -> pd.Series:
    """Largest number of open cases of one type one FTE can carry: ``a / h_k`` (7.12).

    Parameters
    ----------
    standard_hours : mapping or Series, optional
        Standard hours per case-month by case type (default from ``case_types``). [h/case-month]
    available_hours : float
        Case hours per FTE-month, > 0. [h/FTE-month]
    dataset : Dataset, optional
        Source of ``case_types`` when ``standard_hours`` is not given.

    Returns
    -------
    pandas.Series
        Cases per FTE by case type. [cases/FTE]
    """
    available_hours = as_number("max_caseload: available_hours", available_hours, low=0.0,
                                low_open=True)
    h = _weights(standard_hours, "standard_hours_per_month", dataset, "max_caseload")
    if (h <= 0).any():
        raise InputError(f"max_caseload: standard hours must be > 0, got {dict(h)}")
    return (available_hours / h).rename("max_open_cases_per_fte")
