"""Capital charges: annuity factor (2.1), equivalent annual cost (2.2), straight line (2.3),
and the per-centre capital charges from the asset register (2.4)–(2.7)."""

import math

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from method_data import M1, frames, small_dataset

import costing as ct
from costing.errors import InputError


def test_annuity_factor_reduces_to_n_at_zero_rate():
    assert ct.annuity_factor(0.0, 12) == 12.0


@given(n=st.floats(0.5, 100), r=st.floats(1e-9, 1e-7))
def test_annuity_factor_tends_to_n_as_rate_tends_to_zero(n, r):
    assert ct.annuity_factor(r, n) == pytest.approx(n, rel=1e-5)


@given(n=st.integers(1, 80), r=st.floats(0.001, 0.5))
def test_annuity_factor_is_the_sum_of_discount_factors(n, r):
    # a(r, n) = Σ_{t=1..n} (1 + r)^-t, the present value of 1 EUR a year for n years
    assert ct.annuity_factor(r, n) == pytest.approx(sum((1 + r) ** -t for t in range(1, n + 1)))


def test_equivalent_annual_cost_published_example():
    # study.com, "Equivalent Annual Cost" worked answer (Pillsbury 707 vs Keebler CookieMunster):
    # EAC = F·r / (1 − (1 + r)^−T) + C with F = 57,500, r = 11 %, T = 5, C = 10,100 → 25,657.79;
    # F = 90,500, T = 7, C = 8,100 → 27,305.48.
    # https://study.com/academy/answer/you-are-evaluating-two-different-cookie-baking-ovens-...
    assert round(ct.equivalent_annual_cost(57_500, 0.11, 5) + 10_100, 2) == 25_657.79
    assert round(ct.equivalent_annual_cost(90_500, 0.11, 7) + 8_100, 2) == 27_305.48


def test_equivalent_annual_cost_hand_calculation_with_residual():
    # K = 100,000, R = 20,000, r = 5 %, n = 10:
    # 1.05^10 = 1.628894627; PV(R) = 20,000 / 1.628894627 = 12,278.27
    # a(5 %, 10) = (1 − 1/1.628894627) / 0.05 = 7.721734929
    # E = (100,000 − 12,278.27) / 7.721734929 = 11,360.37
    assert round(ct.equivalent_annual_cost(100_000, 0.05, 10, residual=20_000), 2) == 11_360.37
    # r = 0: the residual is not discounted, E = (K − R) / n = straight line
    assert ct.equivalent_annual_cost(100_000, 0.0, 10, 20_000) == ct.straight_line_depreciation(
        100_000, 10, 20_000) == 8_000.0


@given(k=st.floats(1, 1e7), r=st.floats(0.0, 0.2), n=st.integers(1, 80))
def test_annuity_repays_the_capital(k, r, n):
    # The present value of n payments of E equals K (definition of the EAC).
    e = ct.equivalent_annual_cost(k, r, n)
    assert e * ct.annuity_factor(r, n) == pytest.approx(k)
    assert e >= k / n - 1e-9  # with r ≥ 0 the annuity is never below straight line


@pytest.mark.parametrize("args", [(0.035, 0), (0.035, -5), (-1.0, 10), (math.nan, 10)])
def test_annuity_factor_rejects_bad_input(args):
    with pytest.raises(InputError):
        ct.annuity_factor(*args)


def test_residual_must_be_below_cost():
    with pytest.raises(InputError, match="residual"):
        ct.equivalent_annual_cost(1_000, 0.035, 10, residual=1_000)
    with pytest.raises(InputError, match="residual"):
        ct.straight_line_depreciation(1_000, 10, residual=-1)


def test_capital_charges_straight_line_by_hand():
    ds = small_dataset()
    detail = ct.capital_charges(ds, 2023, method="straight_line", detail=True)
    # A1 building 1,000,000 / 50 = 20,000; A2 vehicle (30,000 − 3,000) / 10 = 2,700;
    # A3 (bought 2015, 5-year life) is past its useful life; A4 was disposed of in 2022.
    assert detail.set_index("asset_id")["capital_charge_eur"].to_dict() == {
        "A1": 20_000.0, "A2": 2_700.0}
    by_centre = ct.capital_charges(ds, 2023, method="straight_line").set_index("cost_centre_id")
    assert by_centre.loc[f"{M1}-LTC", "capital_eur"] == 20_000.0


def test_capital_charges_annuity_revalues_with_cpi():
    ds = small_dataset()
    cpi = ct.reference_table("cpi").set_index("year")["cpi_index"]
    detail = ct.capital_charges(ds, 2023, method="annuity", rate=0.035, detail=True)
    detail = detail.set_index("asset_id")
    # A2: bought 2021 for 30,000 (residual 3,000); in 2023 prices × CPI2023 / CPI2021.
    f = cpi[2023] / cpi[2021]
    expect = ct.equivalent_annual_cost(30_000 * f, 0.035, 10, 3_000 * f)
    assert detail.loc["A2", "capital_charge_eur"] == pytest.approx(expect)
    # A3 (IT bought 2015, life 5) is still in use: the annuity keeps charging for it.
    assert detail.loc["A3", "revalued_cost_eur"] == pytest.approx(5_000 * cpi[2023] / cpi[2015])
    assert "A4" not in detail.index  # disposed of in 2022
    # A1 bought in 2023: no revaluation; 1,000,000 × 0.035 / (1 − 1.035^−50) = 42,633.71
    assert round(detail.loc["A1", "capital_charge_eur"], 2) == 42_633.71


def test_capital_charges_before_the_cpi_starts_use_the_first_index_year():
    fr = frames()
    fr["assets"].loc[fr["assets"]["asset_id"] == "A1", "acquisition_year"] = 1975
    ds = ct.dataset_from_frames(fr)
    d = ct.capital_charges(ds, 2023, detail=True).set_index("asset_id")
    first = int(ct.reference_table("cpi")["year"].min())
    assert d.loc["A1", "price_year"] == first


def test_capital_charges_unknown_method():
    with pytest.raises(InputError, match="capital method"):
        ct.capital_charges(small_dataset(), 2023, method="replacement")


def test_capital_charges_empty_year():
    out = ct.capital_charges(small_dataset(), 1990)
    assert list(out.columns) == ["year", "cost_centre_id", "capital_eur"] and out.empty
    assert isinstance(out, pd.DataFrame)


@pytest.mark.parametrize("module", ["capital", "allocation", "staffcost", "prices"])
def test_docstring_examples_of_the_costing_method_modules(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(f"costing.method.{module}"))
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize(("call", "match"), [
    # a discount rate typed as a percent (3.5 for 3.5 %) would give a 350 % rate
    (lambda: ct.annuity_factor(3.5, 30), r"rate must be a fraction.*did you mean 0.035"),
    (lambda: ct.equivalent_annual_cost("abc", 0.035, 30), r"capital \(EUR\) must be a number"),
    (lambda: ct.equivalent_annual_cost(1000.0, None, 30), r"rate must be a number"),
    (lambda: ct.equivalent_annual_cost(float("nan"), 0.035, 30), r"capital.*finite.*nan"),
    (lambda: ct.straight_line_depreciation(-5.0, 30), r"capital \(EUR\) must be >= 0"),
    (lambda: ct.capital_charges(small_dataset(), 2023, rate=3.5), r"did you mean 0.035"),
])
def test_capital_bad_input_names_the_argument_and_value(call, match):
    with pytest.raises(InputError, match=match):
        call()
