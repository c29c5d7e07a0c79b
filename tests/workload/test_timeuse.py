"""Time use (formulas 7.1-7.5) and time-driven costs (7.14-7.18)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from method_data import TablesOnly

import costing as ct

ACTS = pd.read_csv(ct.data.dataset.REFERENCE_DIR / "activities.csv", dtype=str)
CODES = ACTS["activity_code"].tolist()


def _two_workers() -> pd.DataFrame:
    return pd.DataFrame({
        "worker_id": ["W1", "W1", "W2", "W2"],
        "date": ["2024-03-04", "2024-03-04", "2024-03-05", "2024-03-05"],
        "activity_code": ["CLIENT_CONTACT", "DOCUMENTATION", "HOME_VISIT", "ADMIN"],
        "minutes": [60, 120, 180, 60],
    })


def _row(out, code):
    return out.loc[out["activity_code"] == code].iloc[0]


def test_shares_hours_and_ratios_hand_example():
    out = ct.workload_summary(_two_workers(), min_workers=1, n_boot=0)
    # Total 60 + 120 + 180 + 60 = 420 min = 7 h.
    assert _row(out, "ALL")["hours"] == pytest.approx(7.0)
    assert _row(out, "CLIENT_CONTACT")["share"] == pytest.approx(60 / 420)
    assert _row(out, "HOME_VISIT")["hours"] == pytest.approx(3.0)
    # (7.3) client-facing = contact + home visit = (60 + 180) / 420 = 4/7;
    # client-related adds documentation: (60 + 120 + 180) / 420 = 6/7.
    assert _row(out, "CLIENT_FACING")["share"] == pytest.approx(4 / 7)
    assert _row(out, "CLIENT_RELATED")["share"] == pytest.approx(6 / 7)
    # (7.4) both workers recorded in one calendar week: 7 h / 2 worker-weeks = 3.5 h.
    assert _row(out, "ALL")["worker_weeks"] == 2
    assert _row(out, "ALL")["hours_per_worker_week"] == pytest.approx(3.5)
    assert _row(out, "TRAVEL")["hours"] == 0.0
    assert "share_ci_low" not in out.columns  # n_boot = 0: no intervals
    assert out["n_workers"].eq(2).all()


def test_weeks_are_calendar_weeks():
    # Friday 2024-03-08 and Monday 2024-03-11 lie in two Monday-based weeks.
    tu = pd.DataFrame({"worker_id": ["W1", "W1"], "date": ["2024-03-08", "2024-03-11"],
                       "activity_code": ["ADMIN", "ADMIN"], "minutes": [120, 120]})
    out = ct.workload_summary(tu, min_workers=1, n_boot=0)
    assert _row(out, "ALL")["worker_weeks"] == 2
    assert _row(out, "ALL")["hours_per_worker_week"] == pytest.approx(2.0)


def test_bootstrap_resamples_workers_not_rows():
    # 20 workers, 50 diary rows each; 10 do only HOME_VISIT, 10 only ADMIN, equal minutes.
    # Resampling workers, the HOME_VISIT share is Binomial(20, 0.5) / 20, whose 2.5 % and
    # 97.5 % quantiles are 6/20 = 0.30 and 14/20 = 0.70. Resampling the 1,000 rows instead would
    # give about 0.5 ± 1.96 × sqrt(0.25 / 1000) = [0.47, 0.53].
    rows = [(f"W{w}", "2024-03-04", "HOME_VISIT" if w < 10 else "ADMIN", 10)
            for w in range(20) for _ in range(50)]
    tu = pd.DataFrame(rows, columns=["worker_id", "date", "activity_code", "minutes"])
    out = ct.workload_summary(tu, n_boot=4000, seed=3)
    hv = _row(out, "HOME_VISIT")
    assert hv["share"] == pytest.approx(0.5)
    assert hv["share_ci_low"] == pytest.approx(0.30, abs=0.051)
    assert hv["share_ci_high"] == pytest.approx(0.70, abs=0.051)
    assert _row(out, "ALL")["share_ci_low"] == _row(out, "ALL")["share_ci_high"] == 1.0


def test_bootstrap_is_reproducible_and_seeded():
    tu = pd.concat([_two_workers().assign(worker_id=lambda d, i=i: d["worker_id"] + str(i))
                    for i in range(5)], ignore_index=True)
    a = ct.workload_summary(tu, n_boot=200, seed=7)
    b = ct.workload_summary(tu, n_boot=200, seed=7)
    pd.testing.assert_frame_equal(a, b)
    assert (a["share_ci_low"] <= a["share"] + 1e-12).all()
    assert (a["share_ci_high"] >= a["share"] - 1e-12).all()


def test_a_groups_interval_does_not_depend_on_other_groups_being_suppressed():
    tu = pd.concat([_two_workers().assign(worker_id=lambda d, i=i: d["worker_id"] + f"_{i}",
                                          m="A" if i < 3 else "B") for i in range(9)])
    tu["worker_id"] = tu["worker_id"].str.replace("_", "0")
    a = ct.workload_summary(tu, by="m", n_boot=300, seed=5, min_workers=5)  # A: 6 workers
    b = ct.workload_summary(tu, by="m", n_boot=300, seed=5, min_workers=7)  # A suppressed
    assert b.loc[b["m"] == "A", "suppressed"].all() and not a["suppressed"].any()
    pd.testing.assert_series_equal(a.loc[a["m"] == "B", "share_ci_low"],
                                   b.loc[b["m"] == "B", "share_ci_low"])


def test_small_groups_are_suppressed_and_not_bootstrapped():
    tu = _two_workers().assign(municipality_code="LV0001000")
    out = ct.workload_summary(tu, by="municipality_code", n_boot=100)
    assert out["suppressed"].all()
    assert out[["hours", "share", "share_ci_low", "hours_per_worker_week"]].isna().all().all()
    assert set(out["suppression_reason"]) == {"fewer than 5 workers"}


def test_by_columns_from_workers_and_from_a_dataset(mini):
    by_ds = ct.workload_summary(mini, by="municipality_code", min_workers=1, n_boot=0)
    attrs = ct.worker_attributes(mini)
    by_tab = ct.workload_summary(mini.time_use, by=["municipality_code"], workers=attrs,
                                 activities=mini.activities, min_workers=1, n_boot=0)
    pd.testing.assert_frame_equal(by_ds, by_tab)
    assert set(by_ds["municipality_code"]) == {"LV0026000", "LV0054000"}
    # a column already in time_use is used as it is
    joined = mini.time_use.merge(attrs[attrs["year"] == 2024][["worker_id", "municipality_code"]])
    by_join = ct.workload_summary(joined, by="municipality_code", activities=mini.activities,
                                  min_workers=1, n_boot=0)
    pd.testing.assert_frame_equal(by_ds, by_join)


def test_sparse_and_dense_day_counts_agree(monkeypatch):
    tu = pd.concat([_two_workers(), _two_workers().assign(date="2024-03-11"),
                    _two_workers().assign(date="2021-01-04")])
    dense = ct.workload_summary(tu, min_workers=1, n_boot=0)
    monkeypatch.setattr(ct.workload.timeuse, "_DENSE_LIMIT", 0)  # hash keys and (unit, week) pairs
    pd.testing.assert_frame_equal(dense, ct.workload_summary(tu, min_workers=1, n_boot=0))
    monkeypatch.setattr(ct.workload.timeuse, "_CHUNK", 5)  # rows in chunks of 5
    pd.testing.assert_frame_equal(dense, ct.workload_summary(tu, min_workers=1, n_boot=0))
    # 3 weeks per worker (two in 2024, one in 2021): 21 h / 6 worker-weeks
    assert dense.loc[dense["activity_code"] == "ALL", "hours_per_worker_week"].iloc[0] == 3.5


def test_empty_time_use_is_refused():
    with pytest.raises(ct.InputError, match="empty"):
        ct.workload_summary(_two_workers().iloc[:0], n_boot=0)


def test_year_of_the_diary_date_can_group():
    tu = pd.concat([_two_workers(), _two_workers().assign(date="2025-01-06")])
    out = ct.workload_summary(tu, by="year", min_workers=1, n_boot=0)
    assert out["year"].unique().tolist() == [2024, 2025]
    assert out.loc[out["activity_code"] == "ALL", "hours"].tolist() == [7.0, 7.0]
    # without "year" in by, a worker seen in two years is one cluster, not two
    assert ct.workload_summary(tu, min_workers=1, n_boot=0)["n_workers"].iloc[0] == 2


def test_categorical_and_datetime_inputs_give_the_same_result():
    tu = _two_workers()
    fast = tu.assign(worker_id=tu["worker_id"].astype("category"),
                     activity_code=pd.Categorical(tu["activity_code"], categories=CODES),
                     date=pd.to_datetime(tu["date"]), minutes=tu["minutes"].astype("int16"))
    a = ct.workload_summary(tu, min_workers=1, n_boot=50)
    b = ct.workload_summary(fast, min_workers=1, n_boot=50)
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize("change, match", [
    ({"activity_code": "FISHING"}, "unknown code"),
    ({"minutes": 0}, "minutes > 0"),
    ({"date": "04.03.2024"}, "ISO dates"),
])
def test_bad_time_use_is_named(change, match):
    tu = _two_workers()
    for col, value in change.items():
        tu.loc[1, col] = value
    with pytest.raises(ct.InputError, match=match):
        ct.workload_summary(tu, min_workers=1, n_boot=0)


def test_missing_worker_and_missing_by_column():
    tu = _two_workers()
    workers = pd.DataFrame({"year": [2024], "worker_id": ["W1"], "municipality_code": ["A"]})
    with pytest.raises(ct.InputError, match="'W2' has diary entries in 2024 but no row"):
        ct.workload_summary(tu, by="municipality_code", workers=workers, n_boot=0)
    with pytest.raises(ct.InputError, match="pass workers="):
        ct.workload_summary(tu, by="municipality_code", n_boot=0)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 13), st.sampled_from(CODES),
                          st.integers(1, 600)), min_size=1, max_size=60), st.randoms())
def test_properties_shares_sum_to_one_and_rows_can_be_split_or_shuffled(rows, rnd):
    tu = pd.DataFrame(rows, columns=["worker_id", "day", "activity_code", "minutes"])
    tu["worker_id"] = "W" + tu["worker_id"].astype(str)
    tu["date"] = (pd.Timestamp("2024-03-04") + pd.to_timedelta(tu.pop("day"), "D")).dt.strftime(
        "%Y-%m-%d")
    out = ct.workload_summary(tu, min_workers=1, n_boot=0)
    acts = out[out["activity_code"].isin(CODES)]
    assert acts["share"].sum() == pytest.approx(1.0)
    assert acts["hours"].sum() == pytest.approx(tu["minutes"].sum() / 60)
    # splitting every row into two entries and shuffling changes nothing (aggregation 7.1)
    half = tu.assign(minutes=tu["minutes"] // 2)
    rest = tu.assign(minutes=tu["minutes"] - tu["minutes"] // 2)
    split = pd.concat([half, rest]).query("minutes > 0")
    split = split.sample(frac=1.0, random_state=rnd.randint(0, 10**6))
    pd.testing.assert_frame_equal(out, ct.workload_summary(split, min_workers=1, n_boot=0))


# ------------------------------------------------------------------ time-driven costs (7.14-7.18)




def _tdabc_dataset(n_workers: int = 5) -> TablesOnly:
    ids = [f"W{i}" for i in range(1, n_workers + 1)]
    rows = []
    for w in ids:  # day 1: 4 h contact + 4 h documentation; day 2: 8 h administration
        rows += [(w, "2024-03-04", "CLIENT_CONTACT", 240), (w, "2024-03-04", "DOCUMENTATION", 240),
                 (w, "2024-03-05", "ADMIN", 480)]
    time_use = pd.DataFrame(rows, columns=["worker_id", "date", "activity_code", "minutes"])
    time_use["date"] = pd.to_datetime(time_use["date"])
    workers = pd.DataFrame({"year": 2024, "worker_id": ids, "cost_centre_id": "LV0001000-SW1",
                            "job_code": "SOCIAL_WORKER", "fte": 1.0, "salary_eur": 12_000.0})
    caseloads = pd.DataFrame({"year": 2024, "worker_id": np.repeat(ids, 2),
                              "case_type": ["CHILD_FAMILY", "ELDERLY"] * n_workers,
                              "open_cases": [10.0, 20.0] * n_workers, "new_cases": 0})
    centres = pd.DataFrame({"cost_centre_id": ["LV0001000-SW1"],
                            "municipality_code": ["LV0001000"]})
    ref = {n: ct.reference_table(n) for n in ("activities", "constants", "ssc_rates",
                                              "public_holidays", "case_types")}
    return TablesOnly(time_use=time_use, workers=workers, caseloads=caseloads, cost_centres=centres,
               **ref)


def test_activity_costs_hand_example():
    ds = _tdabc_dataset()
    out = ct.activity_costs(ds, 2024).set_index("activity_code")
    # (7.14) C = 5 workers × 12,000 × (1 + 0.2359) = 74,154 EUR.
    cost = 5 * 12_000 * 1.2359
    assert out["capacity_cost_eur"].iloc[0] == pytest.approx(cost)
    # (7.15) each worker recorded 2 days of 8 h: annualised 480 min × D working days, which is
    # exactly H × 60 minutes (D = H / 8), split 1/4 contact, 1/4 documentation, 1/2 admin.
    # (7.16)-(7.17) with p = 1 the activity costs are these shares of C, unused capacity is 0.
    assert out.loc["CLIENT_CONTACT", "cost_eur"] == pytest.approx(cost / 4)  # 18,538.50
    assert out.loc["DOCUMENTATION", "cost_eur"] == pytest.approx(cost / 4)
    assert out.loc["ADMIN", "cost_eur"] == pytest.approx(cost / 2)  # 37,077.00
    assert out.loc["UNUSED_CAPACITY", "cost_eur"] == pytest.approx(0.0, abs=1e-6)
    hours = ct.working_hours(40, 20, 2024, 0, 0)
    assert out["rate_eur_per_hour"].iloc[0] == pytest.approx(cost / (5 * hours))
    assert out.loc["ADMIN", "hours"] == pytest.approx(5 * hours / 2)


def test_activity_costs_with_practical_capacity_shows_negative_unused_capacity():
    out = ct.activity_costs(_tdabc_dataset(), 2024, practical_share=0.8,
                            unit_minutes={"HOME_VISIT": 90, "CLIENT_CONTACT": 45})
    out = out.set_index("activity_code")
    cost = 74_154.0
    # q = C / (0.8 T): contact = C / 4 / 0.8 = 23,173.125; unused = q (0.8 T − T) = −C / 4.
    assert out.loc["CLIENT_CONTACT", "cost_eur"] == pytest.approx(23_173.125)
    assert out.loc["UNUSED_CAPACITY", "cost_eur"] == pytest.approx(-cost / 4)
    assert out["cost_eur"].sum() == pytest.approx(cost)  # conservation (7.17)
    q_min = out["rate_eur_per_hour"].iloc[0] / 60
    assert out.loc["CLIENT_CONTACT", "cost_per_unit_eur"] == pytest.approx(45 * q_min)
    assert np.isnan(out.loc["ADMIN", "cost_per_unit_eur"])


def test_cost_per_case_hand_example():
    out = ct.cost_per_case(_tdabc_dataset(), 2024).set_index("case_type")
    # Client-related cost = contact + documentation = C / 2 = 37,077 EUR/year.
    # Load Σ n_k h_k = 5 × (10 × 3.4 + 20 × 1.7) = 340 h/month.
    # (7.18) child/family: 37,077 × 3.4 / (12 × 340) = 30.8975 EUR per case-month;
    # elderly: 37,077 × 1.7 / 4,080 = 15.44875; full (all used time, C): twice as much.
    assert out.loc["CHILD_FAMILY", "cost_per_case_month_eur"] == pytest.approx(30.8975)
    assert out.loc["ELDERLY", "cost_per_case_month_eur"] == pytest.approx(15.44875)
    assert out.loc["CHILD_FAMILY", "full_cost_per_case_month_eur"] == pytest.approx(61.795)
    assert out.loc["ELDERLY", "open_cases"] == 100
    # cost of all case-months = client-related cost (nothing lost or added)
    total = (out["cost_per_case_month_eur"] * out["open_cases"] * 12).sum()
    assert total == pytest.approx(74_154.0 / 2)


def test_cost_per_case_without_open_cases_is_missing_and_says_why():
    ds = _tdabc_dataset()
    ds.tables["caseloads"] = ds.caseloads.assign(open_cases=0.0)
    out = ct.cost_per_case(ds, 2024)
    assert out["cost_per_case_month_eur"].isna().all()
    assert set(out["suppression_reason"]) == {"no open cases"}


def test_time_driven_costs_are_suppressed_below_min_workers():
    ds = _tdabc_dataset(n_workers=4)
    assert ct.activity_costs(ds, 2024)["cost_eur"].isna().all()
    assert ct.cost_per_case(ds, 2024)["cost_per_case_month_eur"].isna().all()


def test_activity_costs_errors():
    ds = _tdabc_dataset()
    with pytest.raises(ct.InputError, match="no time_use diaries in 2023"):
        ct.activity_costs(ds, 2023)
    ds.tables["workers"] = ds.workers.iloc[1:]
    with pytest.raises(ct.InputError, match="'W1' kept a diary in 2024"):
        ct.activity_costs(ds, 2024)
