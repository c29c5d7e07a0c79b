"""PSSRU staff schema (5.1)–(5.6) and the time-driven capacity cost rate (5.7)."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

import costing as ct
from costing.errors import InputError


def test_reproduces_published_irish_pssru_schema_dietitian_2019():
    # Smith, Jiang, Normand & O'Neill (2021), "Unit costs for non-acute care in Ireland
    # 2016–2019", HRB Open Research 4:39, Table 12a (Dietitian, baseline overheads 40 % of
    # salary), https://pmc.ncbi.nlm.nih.gov/articles/PMC8917322/table/T12 — 2019 column:
    # A 57,025; B 16,585; D 22,810; E 7,732; G 104,153; H 1,598; J 65 (EUR).
    r = ct.staff_unit_cost(57_025, on_costs=16_585, overhead_rate=0.40, overhead_base="salary",
                           capital_overheads=7_732, annual_hours=1_598)
    assert r.overheads == pytest.approx(22_810.0)  # 0.40 × 57,025 = 22,810.00
    # G from the rounded published components is 104,152; the paper's 104,153 sums unrounded
    # components, so the published total is matched to within its rounding (1 EUR).
    assert abs(r.total - 104_153) <= 1
    assert round(r.per_hour) == 65  # 104,152 / 1,598 = 65.18
    # 2016 column: A 54,578, B 16,441, E 9,413, H 1,601 → D 21,831, G 102,263, J 64.
    r16 = ct.staff_unit_cost(54_578, on_costs=16_441, overhead_rate=0.40, overhead_base="salary",
                             capital_overheads=9_413, annual_hours=1_601)
    assert round(r16.overheads) == 21_831 and round(r16.total) == 102_263
    assert round(r16.per_hour) == 64


def test_reproduces_published_social_care_worker_low_overheads_2016():
    # Same source, Table 17b (Social Care Worker, overheads 25 % of salary), 2016 column:
    # A 37,663; B 11,346; D 9,416; E 6,496; G 64,920; H 1,636; J 40.
    # https://pmc.ncbi.nlm.nih.gov/articles/PMC8917322/table/T17b
    r = ct.staff_unit_cost(37_663, on_costs=11_346, overhead_rate=0.25, overhead_base="salary",
                           capital_overheads=6_496, annual_hours=1_636)
    assert round(r.overheads) == 9_416  # 0.25 × 37,663 = 9,415.75
    assert abs(r.total - 64_920) <= 1  # 64,920.75 from the rounded components
    assert round(r.per_hour) == 40


def test_latvian_social_worker_by_hand_on_salary_and_on_costs():
    # A = 1,300 EUR/month × 12 = 15,600; B = 23.59 % × A = 3,680.04;
    # D = 30 % × (A + B) = 0.30 × 19,280.04 = 5,784.012; E = 1,200; F = 600;
    # G = 15,600 + 3,680.04 + 5,784.012 + 1,200 + 600 = 26,864.052;
    # H = 1,768 h (2025, see below); J = 26,864.052 / 1,768 = 15.19460; ratio 1 : 1.5
    # → per client hour = 15.19460 × 2.5 = 37.98650.
    r = ct.staff_unit_cost(15_600, on_cost_rate=0.2359, overhead_rate=0.30, capital_overheads=1_200,
                           travel=600, annual_hours=1_768, indirect_per_direct_hour=1.5)
    assert round(r.on_costs, 2) == 3_680.04
    assert round(r.total, 3) == 26_864.052
    assert round(r.per_hour, 4) == 15.1946
    assert round(r.per_client_hour, 4) == 37.9865
    t = r.table()
    assert list(t["row"]) == ["A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "J2"]
    assert t.set_index("row").loc["G", "value"] == pytest.approx(r.total)
    assert t.set_index("row").loc["A", "label_lv"] == "Alga"
    assert set(t.columns) == {"row", "label_lv", "label_en", "value", "unit"}


def test_amounts_or_rates_exactly_one():
    with pytest.raises(InputError, match="not both"):
        ct.staff_unit_cost(10_000, on_cost_rate=0.2, on_costs=2_000, annual_hours=1_600)
    with pytest.raises(InputError, match="on_cost_rate"):
        ct.staff_unit_cost(10_000, annual_hours=1_600)
    with pytest.raises(InputError, match="not both"):
        ct.staff_unit_cost(10_000, on_costs=2_000, overhead_rate=0.2, overheads=500,
                           annual_hours=1_600)
    r = ct.staff_unit_cost(10_000, on_costs=2_000, overheads=500, annual_hours=1_600)
    assert r.overheads == 500.0
    with pytest.raises(InputError, match="overhead_base"):
        ct.staff_unit_cost(10_000, on_costs=0, overhead_base="pay", annual_hours=1_600)
    with pytest.raises(InputError, match="annual_hours"):
        ct.staff_unit_cost(10_000, on_costs=0, annual_hours=0)


def test_no_ratio_gives_nan_per_client_hour():
    r = ct.staff_unit_cost(10_000, on_costs=0, annual_hours=1_000)
    assert math.isnan(r.per_client_hour) and r.per_hour == 10.0


@given(a=st.floats(1, 1e6), rate=st.floats(0, 0.5), o=st.floats(0, 1), k=st.floats(0.1, 10))
def test_unit_cost_scales_linearly_with_costs(a, rate, o, k):
    r1 = ct.staff_unit_cost(a, on_cost_rate=rate, overhead_rate=o, annual_hours=1_500)
    r2 = ct.staff_unit_cost(a * k, on_cost_rate=rate, overhead_rate=o, annual_hours=1_500)
    assert r2.per_hour == pytest.approx(k * r1.per_hour)


def test_working_hours_by_hand():
    # 52 × 5 = 260 days − 20 leave − 9 holidays − 5 sick − 3 training = 223 days × 8 h = 1,784 h
    assert ct.working_hours(40, 20, 9, 5, 3) == 1_784.0


def test_working_hours_from_the_public_holiday_table():
    # 2025: 261 weekdays (365 days from a Wednesday). Weekday holidays in the reference table:
    # 1 Jan, 18 Apr, 21 Apr, 1 May, 5 May, 23 Jun, 24 Jun, 18 Nov, 24, 25, 26 and 31 Dec = 12.
    # (261 − 20 − 12 − 5 − 3) × 8 = 221 × 8 = 1,768 h.
    assert ct.working_hours(40, 20, 2025, 5, 3) == 1_768.0
    # 2024 (leap year from a Monday): 262 weekdays, 11 weekday holidays → 223 × 8 = 1,784 h.
    assert ct.working_hours(40, 20, 2024, 5, 3) == 1_784.0
    with pytest.raises(InputError, match="no holidays for 1999"):
        ct.working_hours(40, 20, 1999, 5)


def test_working_hours_rejects_impossible_input():
    with pytest.raises(InputError):
        ct.working_hours(40, 300, 9, 5)
    with pytest.raises(InputError):
        ct.working_hours(-1, 20, 9, 5)


def test_capacity_cost_rate_by_hand():
    # 5 staff × 1,784 h × 60 min = 535,200 theoretical minutes; practical 80 % = 428,160 min;
    # cost 150,000 EUR → 150,000 / 428,160 = 0.350336 EUR/min.
    assert round(ct.capacity_cost_rate(150_000, 535_200), 6) == 0.350336
    assert ct.capacity_cost_rate(100, 100, practical_share=1.0) == 1.0
    with pytest.raises(InputError, match="practical_share"):
        ct.capacity_cost_rate(100, 100, practical_share=0)
    with pytest.raises(InputError, match="theoretical_minutes"):
        ct.capacity_cost_rate(100, 0)


@pytest.mark.parametrize(("kwargs", "match"), [
    # 23.59 instead of 0.2359 would multiply the salary by 24.59
    ({"on_cost_rate": 23.59}, r"on_cost_rate must be a fraction.*did you mean 0.2359"),
    ({"on_cost_rate": 0.2359, "overhead_rate": 25}, r"overhead_rate.*did you mean 0.25"),
    ({"on_cost_rate": -0.1}, r"on_cost_rate must be >= 0"),
    ({"on_cost_rate": 0.2359, "travel": "x"}, r"travel must be a number"),
    ({"on_cost_rate": 0.2359, "annual_hours": float("nan")}, r"annual_hours.*finite"),
])
def test_staff_unit_cost_refuses_percents_and_non_numbers(kwargs, match):
    kwargs = {"annual_hours": 1_600, **kwargs}
    with pytest.raises(InputError, match=match):
        ct.staff_unit_cost(12_000, **kwargs)


def test_capacity_cost_rate_and_working_hours_refuse_percent_and_text():
    with pytest.raises(InputError, match=r"practical_share.*did you mean 0.8"):
        ct.capacity_cost_rate(1_000, 100, 80)
    with pytest.raises(InputError, match=r"practical_share must be a number"):
        ct.capacity_cost_rate(1_000, 100, "eighty")
    with pytest.raises(InputError, match=r"days_per_week must be <= 7"):
        ct.working_hours(40, 20, 9, 5, days_per_week=8)
    with pytest.raises(InputError, match=r"public_holidays must be a finite"):
        ct.working_hours(40, 20, float("nan"), 5)
