"""Classification of expenditure by EKK code (rule 1.1): nothing is dropped silently."""

import pandas as pd
import pytest
from method_data import M1, frames, small_dataset

import costing as ct
from costing.errors import InputError


def test_every_line_is_kept_and_exclusions_are_explained():
    ds = small_dataset()
    c = ct.classify_expenditure(ds)
    assert len(c) == len(ds.tables["expenditure"])
    assert c["amount_eur"].sum() == pytest.approx(ds.tables["expenditure"]["amount_eur"].sum())
    excluded = c[~c["included"]].set_index("ekk_code")
    # 5230 a vehicle (cash capital spending), 6200 a benefit to clients, 7000 a transfer
    assert excluded["reason"].to_dict() == {
        "5230": "capital_replaced_by_charge", "6200": "social_benefit_to_clients",
        "7000": "transfer"}
    assert (excluded["reason_text"] != "").all() and (excluded["cost_category"] == "").all()
    inc = c[c["included"]]
    assert (inc["reason"] == "").all()
    assert set(inc["cost_category"]) == {"pay", "employer_contributions", "goods_services"}


def test_excluded_summary():
    s = ct.excluded_expenditure(ct.classify_expenditure(small_dataset()))
    m1 = s[s["municipality_code"] == M1].set_index("reason")["amount_eur"]
    assert m1.to_dict() == {"capital_replaced_by_charge": 50_000.0,
                            "social_benefit_to_clients": 5_000.0, "transfer": 1_000.0}


def test_cash_basis_keeps_capital_spending_as_capital():
    c = ct.classify_expenditure(small_dataset(), capital=None)
    row = c[c["ekk_code"] == "5230"].iloc[0]
    assert bool(row["included"]) and row["cost_category"] == "capital" and row["reason"] == ""


def test_year_filter():
    f = frames()
    extra = f["expenditure"].iloc[[0]].assign(year=2022)
    f["expenditure"] = pd.concat([f["expenditure"], extra], ignore_index=True)
    ds = ct.dataset_from_frames(f)
    assert set(ct.classify_expenditure(ds, 2023)["year"]) == {2023}
    assert set(ct.classify_expenditure(ds)["year"]) == {2022, 2023}


def test_unknown_ekk_code_in_an_overriding_table_is_an_error():
    ds = small_dataset()
    ekk = ds.tables["ekk"]
    ds.tables["ekk"] = ekk[ekk["ekk_code"] != "2360"]
    with pytest.raises(InputError, match="2360"):
        ct.classify_expenditure(ds)
