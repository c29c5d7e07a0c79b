"""Prices, tariffs, client co-payment, constant prices and the lats–euro conversion.

Chapter 6 of ``methodology/``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..data.dataset import Dataset
from ..data.tables import as_fraction, constant, cpi_index, require_years, table
from ..errors import InputError
from .fullcost import unit_costs  # late import: fullcost imports this module's neighbours


def _amounts(values, name: str) -> np.ndarray:
    """``values`` as a float array; a clear InputError for text, missing or infinite amounts."""
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be numbers, got {values!r:.80}") from None
    if not np.isfinite(arr).all():
        raise InputError(f"{name} contains a missing or infinite amount: {values!r:.80}")
    return arr


def _total(costs, name: str) -> float:
    """Sum of a scalar, a mapping (e.g. by EKK code) or a Series of cost amounts (each >= 0)."""
    items = pd.Series(costs) if isinstance(costs, Mapping) else costs
    values = np.atleast_1d(_amounts(items, name))
    if (values < 0).any():
        labels = (list(items.index) if isinstance(items, pd.Series)
                  else list(range(values.size)))
        bad = {str(k): float(v) for k, v in zip(labels, values.ravel(), strict=True) if v < 0}
        raise InputError(f"{name} must be costs >= 0; negative item(s) {bad}")
    return float(values.sum())


def service_price(direct_costs, indirect_costs, planned_units: float) -> float:
    """Price of one unit of a paid service as in Cabinet Regulation No. 333 (2011), Annex 1.

    Implements formula (6.1): ``price = (Σ direct costs + Σ indirect costs) / planned units``.

    Parameters
    ----------
    direct_costs, indirect_costs : float, mapping or Series
        Costs of the planned period, a total or itemised (e.g. by EKK code). [EUR]
    planned_units : float
        Number of service units planned in the same period (> 0). [unit]

    Returns
    -------
    float
        Price per unit. [EUR/unit]

    References
    ----------
    Ministru kabineta 2011. gada 3. maija noteikumi Nr. 333, 1. pielikums,
    https://likumi.lv/ta/id/230308

    Examples
    --------
    >>> service_price({"1100": 30_000, "1200": 7_077}, {"2220": 5_923}, 2_000)
    21.5
    """
    try:
        units = float(planned_units)
    except (TypeError, ValueError):
        raise InputError(f"planned_units must be a number, got {planned_units!r}") from None
    if not np.isfinite(units) or units <= 0:
        raise InputError(f"planned_units must be > 0, got {planned_units!r}")
    total = _total(direct_costs, "direct_costs") + _total(indirect_costs, "indirect_costs")
    if total <= 0:
        raise InputError("direct_costs and indirect_costs sum to 0: there is no cost to price")
    return total / units


def care_home_copayment(
    pension, monthly_cost, pension_share: float | None = None, relatives=0.0, *,
    dataset: Dataset | None = None,
) -> pd.DataFrame:
    """Split the monthly cost of a care-home place between client, relatives and municipality.

    Implements formula (6.3): the client pays ``min(s × pension, cost)``; relatives pay up to
    their agreed amount of what is left; the municipality pays the rest (net municipal cost).

    Parameters
    ----------
    pension : float or array-like
        Client's monthly pension (income). [EUR/month]
    monthly_cost : float or array-like
        Full cost of the place per month (e.g. unit cost per bed-day × days). [EUR/month]
    pension_share : float, optional
        Share of the pension the client pays; default the ``care_home_pension_share`` constant
        (0.85). [fraction]
    relatives : float or array-like, default 0.0
        Amount relatives have agreed to pay. [EUR/month]
    dataset : costing.Dataset, optional
        Dataset whose ``constants`` table overrides the shipped one.

    Returns
    -------
    pandas.DataFrame
        Columns ``monthly_cost_eur, client_eur, relatives_eur, municipality_eur`` [EUR/month],
        one row per client.

    Examples
    --------
    >>> care_home_copayment(500.0, 1200.0).iloc[0].tolist()
    [1200.0, 425.0, 0.0, 775.0]
    """
    share = as_fraction("pension_share", constant("care_home_pension_share", dataset)
                        if pension_share is None else pension_share)
    arrays = {name: np.atleast_1d(_amounts(x, name)) for name, x in
              (("pension", pension), ("monthly_cost", monthly_cost), ("relatives", relatives))}
    for name, arr in arrays.items():
        if (arr < 0).any():
            raise InputError(f"{name} must be amounts >= 0 (EUR/month), got {arr[arr < 0][0]!r}")
    try:
        pension, cost, rel = np.broadcast_arrays(*arrays.values())
    except ValueError:
        shapes = {k: v.shape for k, v in arrays.items()}
        raise InputError(f"pension, monthly_cost and relatives have different lengths {shapes}"
                         ) from None
    client = np.minimum(share * pension, cost)
    relatives_pay = np.minimum(rel, cost - client)
    return pd.DataFrame({"monthly_cost_eur": cost, "client_eur": client,
                         "relatives_eur": relatives_pay,
                         "municipality_eur": cost - client - relatives_pay})


def cost_recovery(dataset: Dataset, year: int | Sequence[int] | None = None,
                  unit_cost_table: pd.DataFrame | None = None, **full_cost_kwargs) -> pd.DataFrame:
    """Tariff revenue against full cost per service centre and year.

    Implements formulas (6.2) and (6.4): ``recovery = revenue / full cost``; net municipal
    cost ``= full cost − revenue``, also per client; the tariff is compared with the unit cost.

    Parameters
    ----------
    dataset : costing.Dataset
        Needs the ``tariffs`` table besides what :func:`costing.unit_costs` needs.
    year : int, sequence of int or None
        Year(s); ``None`` = all years with tariffs.
    unit_cost_table : pandas.DataFrame, optional
        Result of :func:`costing.unit_costs` if already computed.
    **full_cost_kwargs
        Passed to :func:`costing.unit_costs` when ``unit_cost_table`` is not given.

    Returns
    -------
    pandas.DataFrame
        One row per tariff: ``municipality_code, year, cost_centre_id, service_code,
        output_unit, tariff_eur, unit_cost_eur, tariff_to_unit_cost, revenue_eur, full_cost_eur,
        cost_recovery, net_municipal_cost_eur, clients, net_cost_per_client_eur``. Ratios are
        NaN where their denominator is zero or missing.
    """

    tariffs = table(dataset, "tariffs").copy()
    tariffs["year"] = tariffs["year"].astype(int)
    if year is not None:
        years = [int(year)] if np.ndim(year) == 0 else [int(y) for y in year]
        require_years(years, table(dataset, "expenditure")["year"], "table 'expenditure'")
        tariffs = tariffs[tariffs["year"].isin(years)]
    if unit_cost_table is None:
        unit_cost_table = unit_costs(dataset, year=sorted(tariffs["year"].unique().tolist()),
                                     **full_cost_kwargs)
    keep = ["municipality_code", "year", "cost_centre_id", "service_code", "unit_cost_eur",
            "full_cost_eur", "clients"]
    out = tariffs[["year", "cost_centre_id", "output_unit", "tariff_eur", "revenue_eur"]].merge(
        unit_cost_table[keep], on=["year", "cost_centre_id"], how="left", validate="one_to_one")
    missing = out.loc[out["full_cost_eur"].isna(), "cost_centre_id"].unique().tolist()
    if missing:
        raise InputError(f"tariffs name cost centre(s) {missing[:10]} for which no full cost was "
                         "computed (not a service centre, or no cost in that year)")

    def ratio(num: pd.Series, den: pd.Series) -> pd.Series:
        den = den.astype(float)
        return num.astype(float) / den.where(den > 0)

    out["tariff_to_unit_cost"] = ratio(out["tariff_eur"], out["unit_cost_eur"])
    out["cost_recovery"] = ratio(out["revenue_eur"], out["full_cost_eur"])
    out["net_municipal_cost_eur"] = out["full_cost_eur"] - out["revenue_eur"]
    out["net_cost_per_client_eur"] = ratio(out["net_municipal_cost_eur"], out["clients"])
    cols = ["municipality_code", "year", "cost_centre_id", "service_code", "output_unit",
            "tariff_eur", "unit_cost_eur", "tariff_to_unit_cost", "revenue_eur", "full_cost_eur",
            "cost_recovery", "net_municipal_cost_eur", "clients", "net_cost_per_client_eur"]
    return out[cols].sort_values(["year", "cost_centre_id"]).reset_index(drop=True)


def to_constant_prices(amounts, years, base_year: int, index: pd.Series | None = None):
    """Express nominal amounts in the prices of ``base_year``.

    Implements formula (6.5): ``real = nominal × I[base_year] / I[year]``.

    Parameters
    ----------
    amounts : float, array-like or Series
        Nominal amounts. [EUR]
    years : int or array-like of int
        Year of each amount (broadcast against ``amounts``).
    base_year : int
        Year whose prices to use.
    index : pandas.Series, optional
        Price index by year; default the CPI reference table (2015 = 100).

    Returns
    -------
    Same kind as ``amounts`` (a Series keeps its index). [EUR at base-year prices]

    Examples
    --------
    >>> idx = pd.Series({2020: 100.0, 2024: 125.0})
    >>> float(to_constant_prices(250.0, 2024, 2020, idx))
    200.0
    """
    idx = cpi_index() if index is None else pd.Series(index, dtype=float)
    idx.index = idx.index.astype(int)
    raw = _amounts(years, "years")
    if (raw != np.round(raw)).any():
        raise InputError(f"years must be whole calendar years, got {years!r:.80}")
    yrs = raw.astype(int)
    values = _amounts(amounts, "amounts")
    needed = sorted(set(np.atleast_1d(yrs).tolist()) | {int(base_year)})
    missing = [y for y in needed if y not in idx.index]
    if missing:
        raise InputError(f"the price index has no value for year(s) {missing} "
                         f"(it covers {idx.index.min()}–{idx.index.max()})")
    if (idx.loc[needed] <= 0).any():
        raise InputError("price index values must be > 0")
    factor = idx.loc[int(base_year)] / idx.reindex(np.atleast_1d(yrs).ravel()).to_numpy()
    factor = factor.reshape(np.shape(yrs)) if np.ndim(yrs) else factor[0]
    try:
        scaled = values * np.broadcast_to(factor, np.broadcast_shapes(values.shape,
                                                                      np.shape(factor)))
        if isinstance(amounts, pd.Series):
            return pd.Series(np.broadcast_to(scaled, amounts.shape), index=amounts.index,
                             name=amounts.name)
    except ValueError:
        raise InputError(f"amounts (shape {values.shape}) and years (shape {np.shape(yrs)}) "
                         "cannot be paired one to one") from None
    return scaled


def lvl_to_eur(amount, *, dataset: Dataset | None = None):
    """Convert lats (LVL) to euro at the irrevocable rate 0.702804 LVL per EUR.

    Implements formula (6.6): ``EUR = LVL / 0.702804``.

    Parameters
    ----------
    amount : float, array-like or Series
        Amount in lats. [LVL]

    Returns
    -------
    Same kind as ``amount``. [EUR]

    Examples
    --------
    >>> round(lvl_to_eur(702.804), 6)
    1000.0
    """
    rate = constant("lvl_per_eur", dataset)
    values = _amounts(amount, "amount (LVL)")
    if isinstance(amount, pd.Series):
        return pd.Series(values / rate, index=amount.index, name=amount.name)
    result = values / rate
    return float(result) if result.ndim == 0 else result
