"""Capital charges: annuity (equivalent annual cost) and straight-line depreciation.

Cash spending on fixed capital (EKK 5000) says when an asset was bought, not how much of it a
service uses in a year. The method therefore replaces it by a yearly **capital charge** computed
from the asset register (chapter 2 of ``methodology/``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..data.dataset import Dataset
from ..data.tables import as_number, cpi_index, table
from ..errors import InputError

CAPITAL_METHODS = ("annuity", "straight_line")

CAPITAL_CHARGE_COLUMNS = [
    "year",
    "asset_id",
    "cost_centre_id",
    "asset_class",
    "acquisition_year",
    "acquisition_cost_eur",
    "price_year",
    "revalued_cost_eur",
    "residual_value_eur",
    "useful_life_years",
    "method",
    "rate",
    "capital_charge_eur",
]


def _check_rate_years(rate: float, years: float) -> tuple[float, float]:
    """The discount rate (a fraction in (-1, 1]; 3.5 for 3.5 % is refused) and life (> 0)."""
    rate = as_number("rate", rate, low=-1.0, low_open=True)
    if rate > 1:
        raise InputError(f"rate must be a fraction per year (0.035 for 3.5 %), got {rate!r}; "
                         f"did you mean {rate / 100:g}?")
    return rate, as_number("years (useful life)", years, low=0.0, low_open=True)


def _check_amounts(capital: float, residual: float) -> tuple[float, float]:
    """Capital outlay K >= 0 and residual value 0 <= R < K (R = 0 allowed when K = 0). [EUR]"""
    capital = as_number("capital (EUR)", capital, low=0.0)
    residual = as_number("residual value (EUR)", residual, low=0.0)
    if capital > 0 and residual >= capital:
        raise InputError(f"residual value must be smaller than the capital outlay {capital!r}, "
                         f"got {residual!r}")
    return capital, residual


def annuity_factor(rate: float, years: float) -> float:
    """Present value of 1 EUR paid at the end of each year for ``years`` years.

    Implements formula (2.1): ``a(r, n) = (1 - (1 + r)^-n) / r``, and ``a(0, n) = n``.

    Parameters
    ----------
    rate : float
        Discount rate per year, a fraction (0.035 = 3.5 %). [1/year]
    years : float
        Number of years ``n`` (> 0). [year]

    Returns
    -------
    float
        The annuity factor. [year]

    References
    ----------
    Drummond M.F. et al., *Methods for the Economic Evaluation of Health Care Programmes*,
    annuitisation of capital costs; see ``methodology/02_capital.md``.

    Examples
    --------
    >>> round(annuity_factor(0.035, 60), 4)
    24.9447
    >>> annuity_factor(0.0, 12)
    12.0
    """
    rate, years = _check_rate_years(rate, years)
    if rate == 0:
        return float(years)
    # (1 - (1 + r)^-n) / r written with expm1/log1p so that it stays exact for tiny rates
    return float(-math.expm1(-years * math.log1p(rate)) / rate)


def equivalent_annual_cost(
    capital: float, rate: float, years: float, residual: float = 0.0
) -> float:
    """Constant yearly charge whose present value equals the capital outlay net of residual value.

    Implements formula (2.2): ``E = (K - R / (1 + r)^n) / a(r, n)``; with ``R = 0`` this is the
    familiar ``E = K r / (1 - (1 + r)^-n)``.

    Parameters
    ----------
    capital : float
        Capital outlay ``K`` at the start of year 1. [EUR]
    rate : float
        Discount rate ``r`` (fraction). [1/year]
    years : float
        Useful life ``n``. [year]
    residual : float, default 0.0
        Value ``R`` the asset still has at the end of its useful life (0 <= R < K). [EUR]

    Returns
    -------
    float
        Equivalent annual cost. [EUR/year]

    Examples
    --------
    >>> round(equivalent_annual_cost(57_500, 0.11, 5), 2)
    15557.79
    """
    rate, years = _check_rate_years(rate, years)
    capital, residual = _check_amounts(capital, residual)
    present_residual = residual / (1.0 + rate) ** years
    return float((capital - present_residual) / annuity_factor(rate, years))


def straight_line_depreciation(capital: float, years: float, residual: float = 0.0) -> float:
    """Yearly depreciation of an asset written off in equal parts over its useful life.

    Implements formula (2.3): ``D = (K - R) / n``.

    Parameters
    ----------
    capital : float
        Acquisition cost ``K``. [EUR]
    years : float
        Useful life ``n`` (> 0). [year]
    residual : float, default 0.0
        Residual value ``R`` at the end of the useful life. [EUR]

    Returns
    -------
    float
        Depreciation per year of use. [EUR/year]

    Examples
    --------
    >>> straight_line_depreciation(100_000, 40, residual=20_000)
    2000.0
    """
    _, years = _check_rate_years(0.0, years)
    capital, residual = _check_amounts(capital, residual)
    return float((capital - residual) / years)


def _in_use(assets: pd.DataFrame, year: int, method: str) -> pd.Series:
    """Assets in use in ``year`` (convention (2.4), see methodology chapter 2)."""
    acquired = assets["acquisition_year"].astype(int) <= year
    disposal = pd.to_numeric(assets["disposal_year"], errors="coerce")
    not_disposed = disposal.isna() | (disposal > year)
    mask = acquired & not_disposed
    if method == "straight_line":
        end = assets["acquisition_year"].astype(int) + assets["useful_life_years"].astype(float)
        mask &= year < end
    return mask


def capital_charges(
    dataset: Dataset,
    year: int | Sequence[int] | None = None,
    method: str = "annuity",
    rate: float = 0.035,
    *,
    detail: bool = False,
) -> pd.DataFrame:
    """Yearly capital charge of every cost centre from the asset register.

    ``"annuity"`` (formula (2.5)): each asset in use in ``year`` (acquired in or before ``year``
    and not disposed of before or in ``year``) costs the equivalent annual cost (2.2) of its
    acquisition cost revalued to the prices of ``year`` with the CPI (formula (2.6)),
    its residual value revalued the same way, at the real ``rate`` over its useful life.
    Costs of assets bought before the first year of the CPI table are taken to be in that
    year's prices (convention (2.7); the detail shows it in ``price_year``).
    Assets past their useful life that are still in use keep their charge: the service still
    uses the capacity.

    ``"straight_line"`` (formula (2.3)): historical (nominal) cost less residual value over the
    useful life, charged in the years ``acquisition_year .. acquisition_year + life - 1``.

    Parameters
    ----------
    dataset : costing.Dataset
        Needs the tables ``assets`` and, for the annuity, ``cpi``.
    year : int, sequence of int or None
        Year(s) to charge; ``None`` means every year of the ``expenditure`` table.
    method : {"annuity", "straight_line"}
        The capital charge convention.
    rate : float, default 0.035
        Real discount rate for the annuity, a fraction in (-1, 1] (3.5 for 3.5 % is refused).
        [1/year]
    detail : bool, default False
        ``True`` returns one row per asset and year (columns ``CAPITAL_CHARGE_COLUMNS``).

    Returns
    -------
    pandas.DataFrame
        Columns ``year, cost_centre_id, capital_eur`` [EUR/year], one row per centre with a
        charge (or the per-asset detail).
    """
    if method not in CAPITAL_METHODS:
        raise InputError(f"capital method must be one of {CAPITAL_METHODS}, got {method!r}")
    if method == "annuity":
        rate, _ = _check_rate_years(rate, 1.0)
    assets = table(dataset, "assets")
    if year is None:
        years = sorted(int(y) for y in table(dataset, "expenditure")["year"].unique())
    elif isinstance(year, (int, np.integer)):
        years = [int(year)]
    else:
        years = [int(y) for y in year]
    cpi = cpi_index(dataset) if method == "annuity" else None

    frames = []
    for y in years:
        used = assets.loc[_in_use(assets, y, method)].copy()
        if used.empty:
            continue
        cost = used["acquisition_cost_eur"].astype(float)
        residual = pd.to_numeric(used["residual_value_eur"], errors="coerce").fillna(0.0)
        life = used["useful_life_years"].astype(float)
        if method == "annuity":
            price_year = _price_year(cpi, used["acquisition_year"].astype(int))
            factor = _revaluation(cpi, price_year, y, used["asset_id"])
            revalued, residual = cost * factor, residual * factor
            charge = [
                equivalent_annual_cost(k, rate, n, r)
                for k, n, r in zip(revalued, life, residual, strict=True)
            ]
        else:
            revalued, price_year = cost, used["acquisition_year"].astype(int)
            charge = [
                straight_line_depreciation(k, n, r)
                for k, n, r in zip(cost, life, residual, strict=True)
            ]
        frames.append(
            pd.DataFrame(
                {
                    "year": y,
                    "asset_id": used["asset_id"].astype(str).to_numpy(),
                    "cost_centre_id": used["cost_centre_id"].astype(str).to_numpy(),
                    "asset_class": used["asset_class"].astype(str).to_numpy(),
                    "acquisition_year": used["acquisition_year"].astype(int).to_numpy(),
                    "acquisition_cost_eur": cost.to_numpy(),
                    "price_year": price_year.to_numpy(),
                    "revalued_cost_eur": np.asarray(revalued, dtype=float),
                    "residual_value_eur": np.asarray(residual, dtype=float),
                    "useful_life_years": life.to_numpy(),
                    "method": method,
                    "rate": rate if method == "annuity" else math.nan,
                    "capital_charge_eur": np.asarray(charge, dtype=float),
                }
            )
        )
    if frames:
        per_asset = pd.concat(frames, ignore_index=True)
    else:
        per_asset = pd.DataFrame({c: pd.Series(dtype=object) for c in CAPITAL_CHARGE_COLUMNS})
    per_asset["year"] = per_asset["year"].astype(int)
    if detail:
        return per_asset[CAPITAL_CHARGE_COLUMNS]
    out = (
        per_asset.groupby(["year", "cost_centre_id"], as_index=False)["capital_charge_eur"]
        .sum()
        .rename(columns={"capital_charge_eur": "capital_eur"})
    )
    out["capital_eur"] = out["capital_eur"].astype(float)
    return out


def _price_year(cpi: pd.Series, acquired: pd.Series) -> pd.Series:
    """Year whose prices an acquisition cost is taken to be in (convention (2.7)).

    The acquisition year itself, or the first year of the CPI table for assets bought before
    the index starts (their cost is treated as being in that year's prices).
    """
    return acquired.clip(lower=int(cpi.index.min()))


def _revaluation(cpi: pd.Series, price_year: pd.Series, year: int, ids: pd.Series) -> np.ndarray:
    """CPI ratio ``P_year / P_price_year`` (formula (2.6)); clear error when a year is missing."""
    needed = set(price_year.tolist()) | {year}
    missing = sorted(y for y in needed if y not in cpi.index)
    if missing:
        bad = ids[price_year.isin(missing)].astype(str).tolist()[:5]
        raise InputError(
            f"the CPI reference table has no index for year(s) {missing}, needed to revalue "
            f"assets to {year} prices (assets {bad or 'all'}); extend table 'cpi' or use "
            f"method='straight_line'"
        )
    return np.asarray(cpi.loc[year] / cpi.loc[price_year].to_numpy(), dtype=float)
