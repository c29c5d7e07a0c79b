"""Prices (6.1), cost recovery (6.2, 6.4), co-payment (6.3), constant prices (6.5), LVL (6.6)."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from method_data import M1, small_dataset

import costing as ct
from costing.errors import InputError


def test_service_price_regulation_333_annex_1_by_hand():
    # Annex 1 of Cabinet Regulation No. 333 (2011), https://likumi.lv/ta/id/230308: direct costs
    # by EKK code + indirect costs by EKK code = total; price = total / planned units.
    # Direct: pay 1100 = 30,000, employer contributions 1210 = 7,077 → 37,077;
    # indirect: utilities 2220 = 5,923 → total 43,000; 2,000 planned client-days → 21.50 EUR.
    direct = {"1100": 30_000.0, "1210": 7_077.0}
    indirect = pd.Series({"2220": 5_923.0})
    assert ct.service_price(direct, indirect, 2_000) == 21.5
    assert ct.service_price(37_077, 5_923, 2_000) == 21.5


def test_service_price_needs_planned_units():
    with pytest.raises(InputError, match="planned_units"):
        ct.service_price(1, 1, 0)
    with pytest.raises(InputError, match="direct_costs"):
        ct.service_price([1.0, np.nan], 1, 10)


def test_care_home_copayment_by_hand():
    # Pension 500 EUR/month: client pays 85 % = 425; cost 1,200; relatives agreed 300 → 300;
    # municipality 1,200 − 425 − 300 = 475. A client with a 1,500 EUR pension pays the full
    # cost of a 1,200 EUR place (85 % = 1,275 capped at 1,200).
    out = ct.care_home_copayment([500.0, 1_500.0], 1_200.0, relatives=[300.0, 0.0])
    assert out["client_eur"].tolist() == [425.0, 1_200.0]
    assert out["relatives_eur"].tolist() == [300.0, 0.0]
    assert out["municipality_eur"].tolist() == [475.0, 0.0]
    alt = ct.care_home_copayment(500.0, 1_200.0, pension_share=0.9)
    assert alt["client_eur"].iloc[0] == 450.0
    with pytest.raises(InputError, match="pension_share"):
        ct.care_home_copayment(500.0, 1_200.0, pension_share=85)


@given(pension=st.floats(0, 5_000), cost=st.floats(0, 10_000), rel=st.floats(0, 5_000))
def test_copayment_parts_add_up_to_cost(pension, cost, rel):
    out = ct.care_home_copayment(pension, cost, relatives=rel).iloc[0]
    assert out["client_eur"] + out["relatives_eur"] + out["municipality_eur"] == pytest.approx(
        cost)
    assert min(out["client_eur"], out["relatives_eur"], out["municipality_eur"]) >= 0


def test_to_constant_prices_by_hand_and_with_cpi():
    idx = pd.Series({2020: 100.0, 2024: 125.0})
    # 250 EUR of 2024 in 2020 prices: 250 × 100 / 125 = 200.
    assert float(ct.to_constant_prices(250.0, 2024, 2020, idx)) == 200.0
    s = pd.Series([100.0, 100.0], index=["a", "b"])
    out = ct.to_constant_prices(s, [2020, 2024], 2024, idx)
    assert out.tolist() == [125.0, 100.0] and list(out.index) == ["a", "b"]
    cpi = ct.reference_table("cpi").set_index("year")["cpi_index"]
    got = ct.to_constant_prices(1_000.0, 2023, 2015)
    assert float(got) == pytest.approx(1_000.0 * cpi[2015] / cpi[2023])
    with pytest.raises(InputError, match="1990"):
        ct.to_constant_prices(1.0, 1990, 2015)


def test_lvl_to_eur():
    # The irrevocable rate: 1 EUR = 0.702804 LVL, so 100 LVL = 142.29 EUR.
    assert round(ct.lvl_to_eur(100.0), 2) == 142.29
    assert ct.lvl_to_eur(pd.Series([0.702804])).iloc[0] == pytest.approx(1.0)


def test_cost_recovery_on_small_dataset():
    ds = small_dataset()
    uc = ct.unit_costs(ds)
    rec = ct.cost_recovery(ds, unit_cost_table=uc)
    row = rec.set_index("cost_centre_id").loc[f"{M1}-LTC"]
    full = uc.set_index("cost_centre_id").loc[f"{M1}-LTC", "full_cost_eur"]
    assert row["cost_recovery"] == pytest.approx(200_000.0 / full)
    assert row["net_municipal_cost_eur"] == pytest.approx(full - 200_000.0)
    assert row["net_cost_per_client_eur"] == pytest.approx((full - 200_000.0) / 22)
    assert row["tariff_to_unit_cost"] == pytest.approx(40.0 / (full / 6_935.0))
    pd.testing.assert_frame_equal(rec, ct.cost_recovery(ds))


@pytest.mark.parametrize(("call", "match"), [
    (lambda: ct.service_price({"1100": -1_000.0}, 0.0, 10), r"direct_costs.*negative.*'1100'"),
    (lambda: ct.service_price({}, {}, 10), r"sum to 0"),
    (lambda: ct.service_price("abc", 0.0, 10), r"direct_costs must be numbers"),
    (lambda: ct.care_home_copayment(500.0, 1_200.0, 85), r"pension_share.*did you mean 0.85"),
    (lambda: ct.care_home_copayment("x", 1_200.0), r"pension must be numbers"),
    (lambda: ct.care_home_copayment([1.0, 2.0], [1.0, 2.0, 3.0]), r"different lengths"),
    (lambda: ct.to_constant_prices(float("nan"), 2020, 2023), r"amounts.*missing or infinite"),
    (lambda: ct.to_constant_prices(1.0, 2020.5, 2023), r"whole calendar years"),
    (lambda: ct.to_constant_prices(pd.Series([1.0, 2.0]), [2020, 2021, 2022], 2023),
     r"cannot be paired"),
    (lambda: ct.lvl_to_eur(float("nan")), r"amount \(LVL\).*missing"),
    (lambda: ct.lvl_to_eur("abc"), r"amount \(LVL\) must be numbers"),
    (lambda: ct.cost_recovery(small_dataset(), 1990), r"no data for year\(s\) \[1990\]"),
])
def test_prices_bad_input_is_named(call, match):
    with pytest.raises(InputError, match=match):
        call()


def test_constant_prices_keep_the_series_index():
    # 100 EUR of 2024 at 2020 prices with I(2020) = 100, I(2024) = 125: 100 × 100 / 125 = 80
    s = pd.Series([100.0], index=["a"], name="x")
    out = ct.to_constant_prices(s, [2024], 2020, pd.Series({2020: 100.0, 2024: 125.0}))
    assert out.index.tolist() == ["a"] and out.name == "x" and out.iloc[0] == pytest.approx(80.0)


@given(amount=st.floats(0, 1e9), year=st.integers(2015, 2024), base=st.integers(2015, 2024))
def test_constant_prices_round_trip(amount, year, base):
    # (6.5) twice: x · I_b / I_y · I_y / I_b = x, for any two years of the CPI table
    there = ct.to_constant_prices(amount, year, base)
    back = ct.to_constant_prices(there, base, year)
    assert back == pytest.approx(amount, rel=1e-12, abs=1e-9)


@given(direct=st.lists(st.floats(0, 1e7), min_size=1, max_size=5),
       indirect=st.floats(0, 1e7), units=st.floats(1, 1e6))
def test_price_times_planned_units_recovers_the_costs(direct, indirect, units):
    # (6.1): price × planned units = Σ direct + Σ indirect (the tariff recovers the full cost)
    if sum(direct) + indirect <= 0:
        with pytest.raises(InputError, match="sum to 0"):
            ct.service_price(direct, indirect, units)
        return
    price = ct.service_price(direct, indirect, units)
    assert price * units == pytest.approx(sum(direct) + indirect, rel=1e-12)
