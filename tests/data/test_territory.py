"""Territory harmonisation across the 2021 reform and the 2025 Madona-Varakļāni merger."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import costing as ct

T = pd.Timestamp
# A small municipalities table shaped like the shipped one: two pre-2021 units that became
# Madonas novads in 2021, one pre-2021 unit split in two, and the 2025 merger.
MUNIS = pd.DataFrame({
    "atvk_code": ["PRE-a", "PRE-b", "PRE-split", "LV0038000", "LV0055000", "LV0038001",
                  "LV0032000", "LV0042000"],
    "name": ["A novads", "B novads", "Split novads", "Madonas novads", "Varakļānu novads",
             "Madonas novads", "Krāslavas novads", "Preiļu novads"],
    "valid_from": [T("2009-07-01")] * 3 + [T("2021-07-01")] * 2 + [T("2025-07-01")]
    + [T("2021-07-01")] * 2,
    "valid_to": [T("2021-06-30")] * 3 + [T("2025-06-30")] * 2 + [pd.NaT] * 3,
    "successor_code": ["LV0038000", "LV0038000", "LV0032000|LV0042000", "LV0038001",
                       "LV0038001", None, None, None],
})


def test_merger_2025_sums_additive_columns():
    df = pd.DataFrame({"municipality_code": ["LV0038000", "LV0055000", "LV0032000"],
                       "year": [2024, 2024, 2024],
                       "amount_eur": [1_000_000.0, 150_000.0, 700_000.0],
                       "clients": [120, 15, 80]})
    out = ct.harmonise_territory(df, "2025-07-01", municipalities=MUNIS)
    # Madona 1,000,000 + Varakļāni 150,000 = 1,150,000 EUR; clients 120 + 15 = 135
    assert out.to_dict("list") == {"municipality_code": ["LV0038001", "LV0032000"],
                                   "year": [2024, 2024],
                                   "amount_eur": [1_150_000.0, 700_000.0],
                                   "clients": [135, 80]}
    assert out["clients"].dtype == "int64"


def test_before_the_merger_nothing_changes():
    df = pd.DataFrame({"municipality_code": ["LV0038000", "LV0055000"], "population": [27, 3]})
    out = ct.harmonise_territory(df, "2025-06-30", municipalities=MUNIS)
    pd.testing.assert_frame_equal(out, df)


def test_int_year_means_end_of_year():
    df = pd.DataFrame({"municipality_code": ["LV0038000", "LV0055000"], "population": [27, 3]})
    out = ct.harmonise_territory(df, 2025, municipalities=MUNIS)
    assert out.to_dict("list") == {"municipality_code": ["LV0038001"], "population": [30]}


def test_pre2021_units_follow_the_chain_to_2025():
    df = pd.DataFrame({"municipality_code": ["PRE-a", "PRE-b", "LV0055000"],
                       "population": [10, 20, 5]})
    assert ct.harmonise_territory(df, "2022-01-01", municipalities=MUNIS).to_dict("list") == {
        "municipality_code": ["LV0038000", "LV0055000"], "population": [30, 5]}
    assert ct.harmonise_territory(df, "2026-01-01", municipalities=MUNIS).to_dict("list") == {
        "municipality_code": ["LV0038001"], "population": [35]}


def test_split_unit_needs_shares():
    df = pd.DataFrame({"municipality_code": ["PRE-split", "LV0032000"], "year": [2019, 2019],
                       "population": [4000, 20000]})
    with pytest.raises(ct.InputError, match="split between LV0032000, LV0042000"):
        ct.harmonise_territory(df, "2022-01-01", municipalities=MUNIS)
    shares = pd.DataFrame({"atvk_code": ["PRE-split", "PRE-split"],
                           "successor_code": ["LV0032000", "LV0042000"], "share": [0.25, 0.75]})
    out = ct.harmonise_territory(df, "2022-01-01", municipalities=MUNIS, shares=shares)
    # Krāslava: 20000 + 0.25 * 4000 = 21000; Preiļi: 0.75 * 4000 = 3000
    assert out.set_index("municipality_code")["population"].to_dict() == {
        "LV0032000": 21000.0, "LV0042000": 3000.0}
    bad = shares.assign(share=[0.5, 0.6])
    with pytest.raises(ct.InputError, match="add up to 1.1"):
        ct.harmonise_territory(df, "2022-01-01", municipalities=MUNIS, shares=bad)


def test_mapping_backwards_and_unknown_codes_are_refused():
    df = pd.DataFrame({"municipality_code": ["LV0038001"], "population": [30]})
    with pytest.raises(ct.InputError, match="exists only from 2025-07-01"):
        ct.harmonise_territory(df, "2024-01-01", municipalities=MUNIS)
    with pytest.raises(ct.InputError, match="not in the municipalities table"):
        ct.harmonise_territory(df.assign(municipality_code="LV0099999"), "2024-01-01",
                               municipalities=MUNIS)
    with pytest.raises(ct.InputError, match="column 'atvk'"):
        ct.harmonise_territory(df, "2024-01-01", code_col="atvk", municipalities=MUNIS)
    with pytest.raises(ct.InputError, match="not a date"):
        ct.harmonise_territory(df, "someday", municipalities=MUNIS)


def test_other_key_columns_stay_separate_and_non_value_numbers_are_keys():
    df = pd.DataFrame({"municipality_code": ["LV0038000", "LV0055000", "LV0038000"],
                       "service_code": ["LTC", "LTC", "HOME_CARE"],
                       "year": [2025, 2025, 2025], "amount_eur": [5.0, 2.0, 1.0]})
    out = ct.harmonise_territory(df, "2025-12-31", value_cols=["amount_eur"],
                                 municipalities=MUNIS)
    assert out.to_dict("list") == {"municipality_code": ["LV0038001", "LV0038001"],
                                   "service_code": ["LTC", "HOME_CARE"], "year": [2025, 2025],
                                   "amount_eur": [7.0, 1.0]}


UNSPLIT = ["PRE-a", "PRE-b", "LV0038000", "LV0055000", "LV0032000"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(UNSPLIT),
                          st.integers(0, 10**6)), min_size=1, max_size=12),
       st.sampled_from(["2021-07-01", "2023-05-05", "2025-07-01", "2030-01-01"]))
def test_totals_are_conserved(rows, to):
    df = pd.DataFrame(rows, columns=["municipality_code", "population"])
    out = ct.harmonise_territory(df, to, municipalities=MUNIS)
    assert out["population"].sum() == df["population"].sum()
    assert out["municipality_code"].is_unique


def test_with_the_shipped_municipalities_table():
    munis = ct.reference_table("municipalities")
    m = ct.territory_map(["LV0038000", "LV0055000", "LV0001000"], "2025-07-01")
    assert m["target_code"].tolist() == ["LV0038001", "LV0038001", "LV0001000"]
    splits = munis[munis["successor_code"].str.contains("|", regex=False, na=False)]
    assert len(splits) >= 1  # Aglonas novads
    with pytest.raises(ct.InputError, match="split between"):
        ct.territory_map(splits["atvk_code"].head(1), "2022-01-01")
    # every other pre-2021 unit maps to exactly one 2021 unit
    pre = munis[(munis["valid_to"] == T("2021-06-30")) & ~munis.index.isin(splits.index)]
    mapped = ct.territory_map(pre["atvk_code"], "2021-07-01")
    assert len(mapped) == len(pre) and (mapped["share"] == 1.0).all()


def test_a_dataset_can_supply_its_municipalities(mini):
    df = pd.DataFrame({"municipality_code": ["LV0038000", "LV0055000"], "clients": [12, 3]})
    out = ct.harmonise_territory(df, "2025-07-01", municipalities=mini)
    assert out.to_dict("list") == {"municipality_code": ["LV0038001"], "clients": [15]}


def test_a_code_in_lowercase_gets_a_suggestion():
    with pytest.raises(ct.InputError, match="did you mean 'LV0038000'"):
        ct.territory_map(["lv0038000"], 2026)
