"""Full cost (4.1) and unit costs (4.2)–(4.7) on the small hand-checked dataset."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from method_data import M1, M2, frames, small_dataset

import costing as ct
from costing.errors import InputError


@pytest.fixture(scope="module")
def ds():
    return small_dataset()


def test_full_cost_columns_and_categories(ds):
    fc = ct.full_costs(ds)
    assert list(fc.columns) == ["municipality_code", "year", "cost_centre_id", "service_code",
                                "provider_type", "cost_category", "source_centre_id",
                                "amount_eur"]
    assert set(fc["cost_category"]) <= set(ct.COST_CATEGORIES)
    assert set(fc["cost_centre_id"]) == {f"{M1}-HC", f"{M1}-LTC", f"{M2}-DC"}  # service only
    over = fc[fc["cost_category"] == "overhead"]
    assert set(over["source_centre_id"]) == {f"{M1}-ADM", f"{M1}-SUP"}
    assert (fc.loc[fc["cost_category"] != "overhead", "source_centre_id"] == "").all()
    assert fc["year"].dtype.kind == "i"


def test_full_cost_direct_method_straight_line_by_hand(ds):
    fc = ct.full_costs(ds, method="direct", capital="straight_line")
    t = fc.groupby(["cost_centre_id", "cost_category", "source_centre_id"])["amount_eur"].sum()
    # Capital (straight line): LTC building 1,000,000 / 50 = 20,000; SUP vehicle
    # (30,000 − 3,000) / 10 = 2,700; HC's IT (2015, 5 years) is written off, nothing left.
    assert t[(f"{M1}-LTC", "capital", "")] == 20_000.0
    assert t[(f"{M1}-HC", "capital", "")] == 0.0
    # ADM 30,000 + 7,077 + 2,923 = 40,000 over fte HC : LTC = 5 : 10 (SUP's 1 fte ignored by
    # the direct method) → 13,333.33 and 26,666.67.
    assert t[(f"{M1}-HC", "overhead", f"{M1}-ADM")] == pytest.approx(40_000 / 3)
    # SUP 8,000 + 2,000 + 2,700 = 12,700 over hours HC : LTC = 60 : 30 → 8,466.67 and 4,233.33.
    assert t[(f"{M1}-LTC", "overhead", f"{M1}-SUP")] == pytest.approx(12_700 / 3)
    full = fc.groupby("cost_centre_id")["amount_eur"].sum()
    # HC: 130,000 + 13,333.33 + 8,466.67 = 151,800; LTC: 300,000 + 20,000 + 26,666.67 +
    # 4,233.33 = 350,900; the day centre of LV0002000 has no support centres: 24,000.
    assert full.round(2).to_dict() == {f"{M1}-HC": 151_800.0, f"{M1}-LTC": 350_900.0,
                                       f"{M2}-DC": 24_000.0}
    uc = ct.unit_costs(ds, method="direct", capital="straight_line").set_index("cost_centre_id")
    assert uc.loc[f"{M1}-HC", "unit_cost_eur"] == pytest.approx(151_800 / 20_000)  # 7.59
    assert uc.loc[f"{M1}-LTC", "unit_cost_eur"] == pytest.approx(350_900 / 6_935)  # 50.60
    assert uc.loc[f"{M1}-LTC", "cost_per_client_eur"] == pytest.approx(350_900 / 22)


@pytest.mark.parametrize("method", ["direct", "step_down", "reciprocal"])
@pytest.mark.parametrize("capital", ["annuity", "straight_line"])
def test_identity_full_cost_equals_expenditure_plus_capital_minus_replaced(ds, method, capital):
    fc = ct.full_costs(ds, method=method, capital=capital)
    c = ct.classify_expenditure(ds)
    ekk = c["ekk_category"]
    # Σ full cost = Σ service-relevant expenditure (running costs + cash capital spending)
    #             + Σ capital charges − Σ cash capital spending replaced by the charges
    relevant = c.loc[c["included"] | (ekk == "capital_formation"), "amount_eur"].sum()
    charges = ct.capital_charges(ds, 2023, method=capital)["capital_eur"].sum()
    replaced = c.loc[ekk == "capital_formation", "amount_eur"].sum()
    assert fc["amount_eur"].sum() == pytest.approx(relevant + charges - replaced)


def test_cash_basis_counts_capital_spending_once(ds):
    fc = ct.full_costs(ds, capital=None)
    c = ct.classify_expenditure(ds, capital=None)
    assert fc["amount_eur"].sum() == pytest.approx(c.loc[c["included"], "amount_eur"].sum())


def test_unit_costs_every_centre_has_a_cost_or_a_reason(ds):
    uc = ct.unit_costs(ds).set_index("cost_centre_id")
    assert len(uc) == 4
    assert uc.loc[f"{M2}-DC", "reason"] == "zero output units in the year"
    assert uc.loc[f"{M2}-SW", "reason"] == "no cost recorded for this centre and year"
    ok = uc["reason"] == ""
    assert uc.loc[ok, "unit_cost_eur"].notna().all()
    assert uc.loc[~ok, "unit_cost_eur"].isna().all()
    num = uc.select_dtypes("number").to_numpy()
    assert not np.isinf(num).any()


def test_occupancy_and_unused_capacity_by_hand(ds):
    uc = ct.unit_costs(ds, method="direct", capital="straight_line",
                       practical_share=0.9).set_index("cost_centre_id")
    ltc = uc.loc[f"{M1}-LTC"]
    # 6,935 bed-days of 7,300 → occupancy 95 %; practical capacity 0.9 × 7,300 = 6,570 is
    # exceeded → no unused capacity; cost per bed-day at practical capacity 350,900 / 6,570.
    assert ltc["occupancy"] == pytest.approx(0.95)
    assert ltc["unit_cost_at_capacity_eur"] == pytest.approx(350_900 / 6_570)
    assert ltc["unused_capacity_cost_eur"] == 0.0
    hc = uc.loc[f"{M1}-HC"]
    # 20,000 of 25,000 client-hours; practical 22,500 → 2,500 unused hours at
    # 151,800 / 22,500 = 6.7467 EUR/h → 16,866.67 EUR of unused capacity.
    assert hc["unused_capacity_cost_eur"] == pytest.approx(2_500 * 151_800 / 22_500)
    dc = uc.loc[f"{M2}-DC"]  # no output at all: the whole cost is unused capacity
    assert dc["unused_capacity_cost_eur"] == pytest.approx(24_000.0)
    assert math.isnan(dc["unit_cost_eur"])


def test_practical_share_mapping_by_service(ds):
    uc = ct.unit_costs(ds, practical_share={"LTC": 1.0}).set_index("cost_centre_id")
    assert uc.loc[f"{M1}-LTC", "practical_share"] == 1.0
    assert math.isnan(uc.loc[f"{M1}-HC", "practical_share"])
    assert "no practical share" in uc.loc[f"{M1}-HC", "notes"]
    with pytest.raises(InputError, match="practical_share"):
        ct.unit_costs(ds, practical_share=1.5)


@settings(max_examples=8, deadline=None)
@given(k=st.floats(0.1, 10))
def test_unit_costs_scale_linearly_with_costs(k):
    f = frames()
    f["expenditure"]["amount_eur"] = f["expenditure"]["amount_eur"] * k
    for col in ("acquisition_cost_eur", "residual_value_eur"):
        f["assets"][col] = f["assets"][col] * k
    base = ct.unit_costs(small_dataset())["unit_cost_eur"]
    scaled = ct.unit_costs(ct.dataset_from_frames(f))["unit_cost_eur"]
    np.testing.assert_allclose(scaled.to_numpy(), k * base.to_numpy(), rtol=1e-9)


def test_municipality_filter(ds):
    assert set(ct.full_costs(ds, municipality=M2)["municipality_code"]) == {M2}
    assert set(ct.unit_costs(ds, municipality=M2)["cost_centre_id"]) == {f"{M2}-DC", f"{M2}-SW"}


def test_support_centre_without_drivers_is_a_clear_error():
    f = frames()
    f["drivers"] = f["drivers"][f["drivers"]["from_centre_id"] != f"{M1}-SUP"]
    with pytest.raises(InputError, match=r"LV0001000, year 2023.*LV0001000-SUP"):
        ct.full_costs(ct.dataset_from_frames(f))


def test_two_driver_kinds_for_one_centre_is_a_clear_error():
    f = frames()
    d = f["drivers"]
    d.loc[(d["from_centre_id"] == f"{M1}-ADM") & (d["to_centre_id"] == f"{M1}-HC"),
          "driver"] = "cases"
    with pytest.raises(InputError, match="more than one driver kind"):
        ct.full_costs(ct.dataset_from_frames(f))


def test_year_without_any_cost_data_is_refused_by_name(ds):
    # 1990: no expenditure and no asset in use, so there is nothing to cost (not an empty table)
    for f in (ct.full_costs, ct.unit_costs):
        with pytest.raises(InputError, match=r"year\(s\) \[1990\].*neither expenditure"):
            f(ds, year=1990)
    with pytest.raises(InputError, match=r"expenditure' has no data for year\(s\) \[1990\]"):
        ct.classify_expenditure(ds, 1990)


def test_capital_charge_of_a_support_centre_needs_drivers_too(ds):
    # 2021: no expenditure, but SUP's vehicle (bought 2021) is charged and SUP has no drivers.
    with pytest.raises(InputError, match="year 2021.*no driver row"):
        ct.full_costs(ds, year=2021)
    # 2019: only HC's own IT and equipment are charged: a full cost of capital alone.
    fc = ct.full_costs(ds, year=2019)
    assert set(fc.loc[fc["amount_eur"] > 0, "cost_category"]) == {"capital"}


# ------------------------------------------------------------------ the demo dataset
@pytest.fixture(scope="module")
def demo():
    return ct.demo_dataset()


@pytest.fixture(scope="module")
def demo_units(demo):
    return ct.unit_costs(demo)


def test_demo_every_service_centre_year_has_a_unit_cost_or_a_reason(demo, demo_units):
    centres = demo.tables["cost_centres"]
    service = set(centres.loc[centres["role"] == "service", "cost_centre_id"])
    exp, out = demo.tables["expenditure"], demo.tables["outputs"]
    expected = {(int(y), c) for y, c in zip(exp["year"], exp["cost_centre_id"], strict=True)
                if c in service}
    expected |= {(int(y), c) for y, c in zip(out["year"], out["cost_centre_id"], strict=True)}
    got = set(zip(demo_units["year"], demo_units["cost_centre_id"], strict=True))
    assert expected <= got
    ok = demo_units["unit_cost_eur"].notna()
    assert (demo_units.loc[~ok, "reason"] != "").all()
    assert (demo_units.loc[ok, "reason"] == "").all()
    assert (demo_units.loc[ok, "unit_cost_eur"] > 0).all()
    assert not np.isinf(demo_units.select_dtypes("number").to_numpy()).any()
    assert set(demo_units["year"]) == set(exp["year"].astype(int))


def test_demo_full_cost_identity(demo, demo_units):
    c = ct.classify_expenditure(demo)
    ekk = c["ekk_category"]
    # Σ full cost of service centres = Σ service-relevant expenditure (running costs of all
    # centres + cash capital spending) + Σ capital charges − Σ cash capital spending replaced.
    relevant = c.loc[c["included"] | (ekk == "capital_formation"), "amount_eur"].sum()
    charges = ct.capital_charges(demo, method="annuity", rate=0.035)["capital_eur"].sum()
    replaced = c.loc[ekk == "capital_formation", "amount_eur"].sum()
    assert demo_units["full_cost_eur"].sum() == pytest.approx(relevant + charges - replaced,
                                                              rel=1e-12)
    assert (demo_units["full_cost_eur"] - demo_units["direct_cost_eur"]
            - demo_units["overhead_eur"]).abs().max() < 1e-6


def test_allocation_inputs_reproduce_the_pipeline(ds):
    inp = ct.allocation_inputs(ds, M1, 2023)
    assert inp.support == [f"{M1}-ADM", f"{M1}-SUP"]
    assert inp.direct_costs[f"{M1}-ADM"] == 40_000.0
    alloc = ct.allocate_overheads(inp.direct_costs, inp.usage, inp.support)
    fc = ct.full_costs(ds, municipality=M1)
    over = fc[fc["cost_category"] == "overhead"].set_index(
        ["cost_centre_id", "source_centre_id"])["amount_eur"]
    assert over[(f"{M1}-HC", f"{M1}-SUP")] == pytest.approx(alloc.loc[f"{M1}-HC", f"{M1}-SUP"])
    assert alloc["total"].sum() == pytest.approx(fc["amount_eur"].sum())


def test_step_down_order_covers_several_municipalities(ds):
    # ADM first: ADM 40,000 → SUP 1/16, HC 5/16, LTC 10/16; SUP then closes with its own cost
    # plus 2,500 received. The order may name centres of other municipalities too.
    fc = ct.full_costs(ds, method="step_down", capital="straight_line",
                       order=[f"{M1}-ADM", "LV0099000-X", f"{M1}-SUP"])
    t = fc.groupby(["cost_centre_id", "source_centre_id"])["amount_eur"].sum()
    assert t[(f"{M1}-HC", f"{M1}-ADM")] == pytest.approx(40_000 * 5 / 16)
    # SUP: 12,700 + 2,500 = 15,200 over HC : LTC = 60 : 30 (ADM already closed)
    assert t[(f"{M1}-HC", f"{M1}-SUP")] == pytest.approx(15_200 * 60 / 90)
    with pytest.raises(InputError, match="exactly once"):
        ct.full_costs(ds, method="step_down", order=[f"{M1}-ADM"])


def test_centre_with_cost_but_no_output_row(ds):
    f = frames()
    f["outputs"] = f["outputs"][f["outputs"]["cost_centre_id"] != f"{M1}-HC"]
    uc = ct.unit_costs(ct.dataset_from_frames(f)).set_index("cost_centre_id")
    assert uc.loc[f"{M1}-HC", "reason"] == "no output recorded for this centre and year"
    assert uc.loc[f"{M1}-HC", "output_unit"] == "client_hour"  # from the service catalogue
    assert math.isnan(uc.loc[f"{M1}-HC", "unit_cost_eur"])
    assert uc.loc[f"{M1}-HC", "full_cost_eur"] > 0


def test_unknown_municipality_and_percent_share_are_refused(ds):
    with pytest.raises(InputError, match=r"municipality code\(s\) \['XX'\]"):
        ct.full_costs(ds, municipality="XX")
    with pytest.raises(InputError, match=r"municipality code\(s\) \['XX'\]"):
        ct.allocation_inputs(ds, "XX", 2023)
    with pytest.raises(InputError, match=r"practical_share.*did you mean 0.8"):
        ct.unit_costs(ds, year=2023, practical_share=80)
    with pytest.raises(InputError, match=r"practical_share must be a finite"):
        ct.unit_costs(ds, year=2023, practical_share=float("nan"))
    with pytest.raises(InputError, match=r"capital must be one of"):
        ct.classify_expenditure(ds, 2023, capital="cash")
