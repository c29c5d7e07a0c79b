"""Classification of budget expenditure (EKK codes) into cost categories of the service.

Chapter 1 of ``methodology/``. Every expenditure line is kept: lines that are not a cost of
producing the service are flagged ``included = False`` with a stated ``reason``, never dropped.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..data.dataset import Dataset
from ..data.tables import reference, require_years, table
from ..errors import InputError

#: Cost categories that make up the full cost of a service (the ``cost_category`` column of
#: :func:`costing.full_costs`).
COST_CATEGORIES = ("pay", "employer_contributions", "goods_services", "capital", "overhead")

#: Why a line is not a running cost of the service, by EKK cost category (codes, English text).
EXCLUSION_REASONS = {
    "capital_formation": ("capital_replaced_by_charge",
                          "cash capital spending, replaced by the yearly capital charge"),
    "social_benefits": ("social_benefit_to_clients",
                        "benefit paid to clients: a transfer to households, not a cost of "
                        "producing the service"),
    "transfers": ("transfer", "transfer to another budget or body, not a cost of the service"),
    "subsidies": ("subsidy", "subsidy or grant to another body, not a cost of the service"),
    "interest": ("interest", "interest on debt: financing cost, covered by the capital charge"),
}

CLASSIFIED_COLUMNS = ["municipality_code", "year", "cost_centre_id", "role", "ekk_code",
                      "ekk_category", "cost_category", "amount_eur", "included", "reason",
                      "reason_text"]


CAPITAL_CONVENTIONS = ("annuity", "straight_line", None)


def _years(expenditure: pd.DataFrame, year) -> list[int]:
    """Requested years, all of them present in ``expenditure`` (else a clear InputError)."""
    have = expenditure["year"].unique()
    if year is None:
        return sorted(int(y) for y in have)
    years = [year] if np.ndim(year) == 0 else list(year)
    try:
        years = [int(y) for y in years]
    except (TypeError, ValueError):
        raise InputError(f"year must be an int or a sequence of int, got {year!r}") from None
    require_years(years, have, "table 'expenditure'")
    return years


def classify_expenditure(dataset: Dataset, year: int | Sequence[int] | None = None,
                         capital: str | None = "annuity") -> pd.DataFrame:
    """Classify every expenditure line by its EKK code; flag what is not a service cost.

    Implements rule (1.1): a line is included in the cost of the service iff its EKK code is
    marked ``is_service_cost`` in the ``ekk`` reference table. Cash capital spending
    (category ``capital_formation``, EKK 5000) is excluded and replaced by the capital charge
    (chapter 2) — unless ``capital=None`` (cash basis), when it is included as category
    ``capital``. Social benefits, transfers, subsidies and interest are excluded with a reason.

    Parameters
    ----------
    dataset : costing.Dataset
        Needs ``expenditure``, ``cost_centres`` and the ``ekk`` reference table.
    year : int, sequence of int or None
        Year(s) to classify; ``None`` = all.
    capital : {"annuity", "straight_line", None}
        The capital convention of the run; ``None`` keeps cash capital spending as a cost.

    Returns
    -------
    pandas.DataFrame
        One row per expenditure line (``CLASSIFIED_COLUMNS``): ``ekk_category`` is the EKK
        table's category, ``cost_category`` the category used in the full cost (empty string
        when excluded), ``included`` (bool), ``reason`` (code) and ``reason_text`` (empty when
        included).
    """
    if capital not in CAPITAL_CONVENTIONS:
        raise InputError(f"capital must be one of {CAPITAL_CONVENTIONS}, got {capital!r}")
    exp = table(dataset, "expenditure").copy()
    centres = table(dataset, "cost_centres")
    ekk = reference("ekk", dataset).copy()
    ekk["ekk_code"] = ekk["ekk_code"].astype(str)
    service_cost = ekk["is_service_cost"]
    if service_cost.dtype != bool:
        service_cost = service_cost.astype(str).str.strip().str.lower().isin(["true", "1"])
    ekk_map = pd.DataFrame({"ekk_code": ekk["ekk_code"],
                            "ekk_category": ekk["cost_category"].astype(str),
                            "is_service_cost": service_cost.to_numpy(dtype=bool)})

    exp["year"] = exp["year"].astype(int)
    exp = exp[exp["year"].isin(_years(exp, year))]
    exp["ekk_code"] = exp["ekk_code"].astype(str)
    exp["cost_centre_id"] = exp["cost_centre_id"].astype(str)
    out = exp.merge(ekk_map, on="ekk_code", how="left", validate="many_to_one")
    unknown = out.loc[out["ekk_category"].isna(), "ekk_code"].unique().tolist()
    if unknown:
        raise InputError(f"expenditure uses EKK code(s) {unknown} missing from the ekk table; "
                         "add them with a cost category before costing")
    cc = centres[["cost_centre_id", "municipality_code", "role"]].astype(str)
    out = out.merge(cc, on="cost_centre_id", how="left", validate="many_to_one")
    orphan = out.loc[out["role"].isna(), "cost_centre_id"].unique().tolist()
    if orphan:
        raise InputError(f"expenditure names cost centre(s) {orphan[:10]} not in cost_centres")

    included = out["is_service_cost"].astype(bool).to_numpy().copy()
    category = np.where(included, out["ekk_category"], "")
    reason = np.where(included, "", "not_service_cost").astype(object)
    text = np.where(included, "", "EKK code marked as not a cost of the service").astype(object)
    for cat, (code, why) in EXCLUSION_REASONS.items():
        hit = (~included) & (out["ekk_category"] == cat).to_numpy()
        reason[hit], text[hit] = code, why
    if capital is None:
        cash = (out["ekk_category"] == "capital_formation").to_numpy()
        included |= cash
        category = np.where(cash, "capital", category)
        reason[cash], text[cash] = "", ""
    out["included"], out["cost_category"] = included, category
    out["reason"], out["reason_text"] = reason, text
    out["amount_eur"] = out["amount_eur"].astype(float)
    bad = sorted(set(out.loc[out["included"], "cost_category"]) - set(COST_CATEGORIES))
    if bad:
        raise InputError(f"ekk table maps service costs to unknown cost categories {bad}; "
                         f"expected {COST_CATEGORIES[:4]}")
    return (out[CLASSIFIED_COLUMNS]
            .sort_values(["year", "cost_centre_id", "ekk_code"]).reset_index(drop=True))


def excluded_expenditure(classified: pd.DataFrame) -> pd.DataFrame:
    """Summary of the excluded lines: amount by ``municipality_code, year, reason``. [EUR]"""
    out = classified.loc[~classified["included"]]
    return (out.groupby(["municipality_code", "year", "reason", "reason_text"], as_index=False)
            ["amount_eur"].sum())
