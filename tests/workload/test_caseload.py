"""Staffing norm (7.6-7.8), weighted caseload and status (7.9-7.11), staff need (7.12-7.13)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from method_data import TablesOnly

import costing as ct


def test_status_bands_at_their_boundaries():
    # (7.10): red >= 110 %, amber 100-110 %, green 95-100 %, under capacity < 95 %.
    u = [1.5, 1.10, 1.0999, 1.0, 0.9999, 0.95, 0.9499, 0.0, np.nan]
    assert ct.caseload_status(u).tolist() == [
        "red", "red", "amber", "amber", "green", "green", "under_capacity", "under_capacity",
        None]


def _caseloads():
    cl = pd.DataFrame({"year": 2024,
                       "worker_id": ["W1", "W1", "W2", "W3", "W4", "W5", "W6"],
                       "case_type": ["CHILD_FAMILY", "ELDERLY", "ELDERLY", "LOW_INCOME", "OTHER",
                                     "HOMELESS", "ELDERLY"],
                       "open_cases": [20, 10, 40, 100, 50, 30, 55.0]})
    workers = pd.DataFrame({"year": 2024, "worker_id": [f"W{i}" for i in range(1, 7)],
                            "fte": [1, 1, 0.5, 1, 1, 1.0], "municipality_code": "LV0001000"})
    return cl, workers


def test_weighted_caseload_hand_example():
    cl, workers = _caseloads()
    out = ct.weighted_caseload(cl, workers=workers).iloc[0]
    # (7.9) points with the default weights (CHILD_FAMILY 4, ELDERLY 2, LOW_INCOME 1, OTHER 1.5,
    # HOMELESS 3): W1 20×4 + 10×2 = 100; W2 40×2 = 80; W3 100×1 = 100; W4 50×1.5 = 75;
    # W5 30×3 = 90; W6 55×2 = 110. Total 555 points.
    assert out["weighted_points"] == pytest.approx(555)
    # capacity 100 × (1 + 1 + 0.5 + 1 + 1 + 1) = 550; (7.11) utilisation 555/550 = 1.00909
    assert out["capacity_points"] == pytest.approx(550)
    assert out["utilisation"] == pytest.approx(555 / 550)
    assert out["status"] == "amber"
    # red workers: W3 (100 / 50 = 200 %) and W6 (110 / 100 = 110 %): 2 of 6
    assert out["share_workers_red"] == pytest.approx(2 / 6)
    assert out["points_per_fte"] == pytest.approx(555 / 5.5)
    assert out["n_workers"] == 6 and not out["suppressed"]


def test_weighted_caseload_custom_weights_capacity_and_worker_level():
    cl, workers = _caseloads()
    weights = {"CHILD_FAMILY": 1, "ELDERLY": 1, "LOW_INCOME": 1, "OTHER": 1, "HOMELESS": 1}
    out = ct.weighted_caseload(cl, weights, capacity_points=50, workers=workers).iloc[0]
    # plain case counts: 305 cases over 50 × 5.5 = 275 points of capacity -> 110.9 %: red
    assert out["utilisation"] == pytest.approx(305 / 275)
    assert out["status"] == "red"
    per_worker = ct.weighted_caseload(cl, by=["year", "worker_id"], workers=workers,
                                      min_workers=1).set_index("worker_id")
    assert per_worker.loc["W3", "utilisation"] == pytest.approx(2.0)
    assert per_worker.loc["W2", "status"] == "under_capacity"  # 80 %
    # worker-level rows are suppressed under the default rule
    assert ct.weighted_caseload(cl, by=["year", "worker_id"], workers=workers)[
        "utilisation"].isna().all()


def test_weighted_caseload_suppresses_small_groups():
    cl, workers = _caseloads()
    workers.loc[workers["worker_id"].isin(["W1", "W2"]), "municipality_code"] = "LV0002000"
    out = ct.weighted_caseload(cl, workers=workers).set_index("municipality_code")
    assert out.loc["LV0002000", "suppressed"] and np.isnan(out.loc["LV0002000", "utilisation"])
    assert pd.isna(out.loc["LV0002000", "status"])
    assert out.loc["LV0001000", "n_workers"] == 4 and out.loc["LV0001000", "suppressed"]


@pytest.mark.parametrize("change, match", [
    (("case_type", "ALIENS"), "ALIENS"),
    (("open_cases", -1.0), "'open_cases' must be a number >= 0"),
    (("worker_id", "W99"), "'W99' has caseloads in 2024 but no row in workers"),
])
def test_weighted_caseload_errors(change, match):
    cl, workers = _caseloads()
    cl.loc[0, change[0]] = change[1]
    with pytest.raises(ct.InputError, match=match):
        ct.weighted_caseload(cl, workers=workers)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 200), st.floats(0.1, 1.0)), min_size=5, max_size=20),
       st.floats(0.5, 5.0))
def test_utilisation_scales_with_weights(rows, factor):
    # Multiplying every weight by f multiplies utilisation by f (7.9).
    cl = pd.DataFrame({"year": 2024, "worker_id": [f"W{i}" for i in range(len(rows))],
                       "case_type": "ELDERLY", "open_cases": [r[0] for r in rows],
                       "fte": [r[1] for r in rows], "municipality_code": "X"})
    base = ct.weighted_caseload(cl, {"ELDERLY": 2.0})["utilisation"].iloc[0]
    scaled = ct.weighted_caseload(cl, {"ELDERLY": 2.0 * factor})["utilisation"].iloc[0]
    assert scaled == pytest.approx(base * factor, rel=1e-9, abs=1e-12)


def test_staff_need_worked_example_of_the_method_chapter():
    # (7.13) a = 1,712 h × 0.60 / 12 = 85.6 h per FTE-month.
    a = ct.available_case_hours(1712, 0.60)
    assert a == pytest.approx(85.6)
    # (7.12) 40 families (3.4 h) + 60 older clients (1.7 h) = 238 h/month -> 238 / 85.6 FTE.
    cl = pd.DataFrame({"year": 2024, "worker_id": ["W1", "W2", "W3", "W4", "W5", "W5"],
                       "case_type": ["CHILD_FAMILY"] * 4 + ["ELDERLY", "ELDERLY"],
                       "open_cases": [10, 10, 10, 10, 30, 30.0], "fte": 0.5,
                       "municipality_code": "X"})
    out = ct.staff_need(cl, available_hours=a).iloc[0]
    assert out["required_hours_month"] == pytest.approx(238)
    assert out["fte_needed"] == pytest.approx(238 / 85.6)  # 2.78 FTE
    assert out["fte_actual"] == pytest.approx(2.5)  # 5 workers × 0.5 (W5 counted once)
    assert out["fte_gap"] == pytest.approx(2.5 - 238 / 85.6)
    # maximum caseload: 85.6 / 3.4 = 25.18 families or 85.6 / 1.7 = 50.35 older clients per FTE
    mc = ct.max_caseload(available_hours=a)
    assert mc["CHILD_FAMILY"] == pytest.approx(85.6 / 3.4)
    assert mc["ELDERLY"] == pytest.approx(85.6 / 1.7)


def test_staff_need_argument_errors():
    cl, workers = _caseloads()
    two_years = pd.concat([cl, cl.assign(year=2023)])
    with pytest.raises(ct.InputError, match="add 'year' to by"):
        ct.staff_need(two_years, available_hours=80, by="municipality_code",
                      workers=pd.concat([workers, workers.assign(year=2023)]))
    with pytest.raises(ct.InputError, match="available_hours"):
        ct.staff_need(pd.DataFrame(), available_hours=0)
    with pytest.raises(ct.InputError, match="case_share"):
        ct.available_case_hours(1712, 1.5)




def _norm_dataset() -> TablesOnly:
    centres = pd.DataFrame({"cost_centre_id": ["A-SW", "A-LTC", "B-SW", "C-SW", "D-SW"],
                            "municipality_code": ["LV0001000", "LV0001000", "LV0002000",
                                                  "LV0003000", "LV0004000"],
                            "service_code": ["SOCIAL_WORK", "LTC", "SOCIAL_WORK", "SOCIAL_WORK",
                                             "SOCIAL_WORK"]})
    staff = pd.DataFrame({"year": 2024,
                          "cost_centre_id": ["A-SW", "A-LTC", "A-LTC", "B-SW", "B-SW"],
                          "job_code": ["SOCIAL_WORKER", "SOCIAL_CARER", "CARER",
                                       "SOCIAL_WORKER", "MANAGER"],
                          "headcount": 1, "fte": [6.0, 1.5, 3.0, 12.0, 1.0], "salary_eur": 1.0})
    pop = pd.DataFrame({"atvk_code": ["LV0001000"] * 2 + ["LV0002000", "LV0003000"],
                        "year": 2024, "age_group": ["0-17", "18-64", "18-64", "18-64"],
                        "population": [2_000, 8_000, 12_000, 5_000]})
    munis = pd.DataFrame({"atvk_code": ["LV0001000", "LV0002000", "LV0003000", "LV0004000"],
                          "name": ["A novads", "B novads", "C novads", "D (merged into A)"],
                          "valid_from": pd.to_datetime(["2021-07-01"] * 4),
                          "valid_to": pd.to_datetime([None, None, None, "2021-06-30"])})
    return TablesOnly(staff=staff, cost_centres=centres, population=pop, municipalities=munis,
               jobs=ct.reference_table("jobs"))


def test_staffing_norm_hand_example():
    out = ct.staffing_norm(_norm_dataset(), 2024).set_index("municipality_code")
    # A: the social service's specialists = social worker 6 FTE (the social carer's 1.5 FTE work in
    # a care home, and carers are no specialists) for 2,000 + 8,000 = 10,000 inhabitants:
    # (7.6) 0.6 per 1,000; (7.7) required 10; (7.8) gap 6 − 10 = −4.
    a = out.loc["LV0001000"]
    assert a["population"] == 10_000 and a["specialist_fte"] == pytest.approx(6.0)
    assert a["fte_per_1000"] == pytest.approx(0.6)
    assert a["required_fte"] == pytest.approx(10.0)
    assert a["gap_fte"] == pytest.approx(-4.0) and not a["meets_norm"]
    # counting every cost centre adds the care home's social carer: 7.5 FTE, 0.75 per 1,000
    every = ct.staffing_norm(_norm_dataset(), 2024, services=None).set_index("municipality_code")
    assert every.loc["LV0001000", "specialist_fte"] == pytest.approx(7.5)
    # B: 12 FTE for 12,000 inhabitants: exactly the norm, which is met.
    b = out.loc["LV0002000"]
    assert b["fte_per_1000"] == pytest.approx(1.0) and b["meets_norm"]
    # C reported no staff: no figure, not zero.
    c = out.loc["LV0003000"]
    assert not c["staff_reported"] and np.isnan(c["specialist_fte"]) and pd.isna(c["meets_norm"])
    assert c["required_fte"] == pytest.approx(5.0)
    # D no longer existed in 2024 (merged): not listed, and its missing population is no error
    assert "LV0004000" not in out.index
    # a stricter norm of 1.5 per 1,000 doubles nothing but the requirement: 15 FTE for A
    strict = ct.staffing_norm(_norm_dataset(), 2024, per_1000=1.5).set_index("municipality_code")
    assert strict.loc["LV0001000", "required_fte"] == pytest.approx(15.0)


def test_staffing_norm_needs_population():
    ds = _norm_dataset()
    with pytest.raises(ct.MethodRefusal, match="no population figure for 2023") as info:
        ct.staffing_norm(ds, 2023)
    assert info.value.rule == "population_missing"  # a method requirement (validate names it)
    with pytest.raises(ct.InputError, match="per_1000"):
        ct.staffing_norm(ds, 2024, per_1000=0)


def test_on_the_mini_dataset(mini):
    norm = ct.staffing_norm(mini, 2024)
    assert set(norm["municipality_code"]) == set(mini.cost_centres["municipality_code"])
    assert (norm["required_fte"] == norm["population"] / 1000).all()
    out = ct.weighted_caseload(mini, min_workers=1)
    assert set(out["status"]) <= set(ct.workload.caseload.STATUSES)


@pytest.mark.parametrize(("call", "match"), [
    (lambda: ct.available_case_hours("x", 0.5), r"annual_hours must be a number"),
    (lambda: ct.available_case_hours(1_600, 60), r"case_share.*did you mean 0.6"),
    (lambda: ct.max_caseload({"A": 2.0}, float("inf")), r"available_hours must be a finite"),
    (lambda: ct.caseload_status(["high"]), r"utilisation must be numbers"),
])
def test_case_hours_bad_input_is_named(call, match):
    with pytest.raises(ct.InputError, match=match):
        call()
