"""Plausibility screens: each rule fires on a planted implausible value, names where it is and
what it was checked against, and leaves the honest rows alone."""

import numpy as np
import pandas as pd
import pytest

from costing.benchmark.plausibility import (
    WARNING_COLUMNS,
    minimum_wage,
    modified_z,
    plausibility_warnings,
    thresholds,
)

YEAR = 2024


@pytest.fixture(scope="module")
def clean(demo):
    return plausibility_warnings(demo, [YEAR])


def test_thresholds_table_has_a_rationale_for_every_rule():
    t = thresholds()
    assert set(t["rule"]) == {"unit_cost_outlier", "occupancy_above_capacity",
                              "cost_recovery_above_cost", "caseload_above_capacity",
                              "useful_life_short", "amount_extreme", "salary_below_minimum"}
    assert t["rationale"].str.len().min() > 80 and t["threshold"].notna().all()


def test_modified_z_hand_example():
    # median 5, |x - 5| = 4 2 0 2 95 -> MAD 2; M = 0.6745 (x - 5) / 2
    z = modified_z(np.array([1.0, 3.0, 5.0, 7.0, 100.0]))
    np.testing.assert_allclose(z, 0.6745 * np.array([-4, -2, 0, 2, 95]) / 2)
    # MAD 0 (most values equal): mean absolute deviation x 1.253314 instead
    z = modified_z(np.array([2.0, 2.0, 2.0, 2.0, 7.0]))
    np.testing.assert_allclose(z, np.array([0, 0, 0, 0, 5]) / (1.253314 * 1.0))


def test_minimum_wage_is_the_published_figure():
    assert minimum_wage()[2024] == 700 and minimum_wage()[2023] == 620


def test_clean_demo_year_flags_no_planted_rule(clean):
    assert list(clean.columns) == WARNING_COLUMNS
    # the demo's synthetic figures are drawn within the plausible ranges (the screen found pay a
    # little under the minimum wage in an earlier generator, which now floors it)
    assert clean.empty


def _centre(ds, service):
    o = ds.outputs
    cc = ds.cost_centres.set_index("cost_centre_id")
    rows = o.loc[(o["year"] == YEAR) & o["cost_centre_id"].map(cc["service_code"]).eq(service)]
    return rows.index[0], rows.iloc[0]["cost_centre_id"]


def _new(clean, got):
    key = ["rule", "table", "row"]
    return got.merge(clean[key], on=key, how="left", indicator=True).query(
        "_merge == 'left_only'").drop(columns="_merge")


def _planted(demo, clean, table, edit):
    ds = demo.copy()
    df = ds.tables[table].copy()
    edit(df)
    ds.tables[table] = df
    return _new(clean, plausibility_warnings(ds, [YEAR]))


def test_one_bed_day_for_a_care_home_is_a_unit_cost_outlier(demo, clean):
    i, centre = _centre(demo, "LTC")
    got = _planted(demo, clean, "outputs", lambda o: o.__setitem__("units", o["units"].where(
        o.index != i, 1.0)))
    hit = got.loc[got["rule"] == "unit_cost_outlier"]
    assert len(hit) == 1
    h = hit.iloc[0]
    assert (h.file, h.row, h.column, h.value) == ("outputs.csv", i + 2, "units", "1")
    assert h.cost_centre_id == centre and centre.startswith(h.municipality_code)
    assert "median" in h.checked_against and "bed_day" in h.message


def test_occupancy_above_100_percent_of_places(demo, clean):
    i, _ = _centre(demo, "LTC")
    got = _planted(demo, clean, "outputs", lambda o: o.__setitem__(
        "units", o["units"].where(o.index != i, o.at[i, "capacity_units"] * 5)))
    hit = got.loc[got["rule"] == "occupancy_above_capacity"]
    assert list(hit["row"]) == [i + 2] and "500%" in hit.iloc[0]["message"]
    assert hit.iloc[0]["checked_against"] == "occupancy ≤ 100%"


def test_fee_revenue_above_full_cost(demo, clean):
    t = demo.tariffs
    i = t.index[t["year"] == YEAR][0]
    got = _planted(demo, clean, "tariffs", lambda d: d.__setitem__(
        "revenue_eur", d["revenue_eur"].where(d.index != i, 1e9)))
    hit = got.loc[got["rule"] == "cost_recovery_above_cost"]
    assert list(hit["row"]) == [i + 2] and list(hit["column"]) == ["revenue_eur"]


def test_worker_caseload_far_above_capacity(demo, clean):
    c = demo.caseloads
    worker = c.loc[c["year"] == YEAR, "worker_id"].iloc[0]
    mine = (c["year"] == YEAR) & (c["worker_id"] == worker)
    got = _planted(demo, clean, "caseloads", lambda d: d.__setitem__(
        "open_cases", d["open_cases"].where(~mine, d["open_cases"] * 100)))
    hit = got.loc[got["rule"] == "caseload_above_capacity"]
    assert list(hit["row"]) == [int(c.index[mine][0]) + 2] and worker in hit.iloc[0]["message"]


def test_useful_life_under_a_year(demo, clean):
    i = demo.assets.index[0]
    got = _planted(demo, clean, "assets", lambda a: a.__setitem__(
        "useful_life_years", a["useful_life_years"].where(a.index != i, 0.001)))
    hit = got.loc[got["rule"] == "useful_life_short"]
    assert list(hit["row"]) == [i + 2] and list(hit["value"]) == ["0.001"]


def test_amount_a_thousand_times_the_national_median(demo, clean):
    e = demo.expenditure
    i = e.index[(e["year"] == YEAR) & (e["amount_eur"] > 0)][0]
    got = _planted(demo, clean, "expenditure", lambda d: d.__setitem__(
        "amount_eur", d["amount_eur"].where(d.index != i, d.at[i, "amount_eur"] * 1e5)))
    hit = got.loc[got["rule"] == "amount_extreme"]
    assert i + 2 in set(hit["row"]) and "median" in hit.iloc[0]["checked_against"]


def test_pay_below_twelve_minimum_wages(demo, clean):
    s = demo.staff
    i = s.index[(s["year"] == YEAR) & (s["fte"] >= 1)][0]
    # 1 FTE at 8 000 EUR a year < 12 x 700 = 8 400 EUR (minimum wage 2024)
    got = _planted(demo, clean, "staff", lambda d: (
        d.__setitem__("salary_eur", d["salary_eur"].where(d.index != i, 8000.0 * d.at[i, "fte"]))))
    hit = got.loc[got["rule"] == "salary_below_minimum"]
    assert list(hit["row"]) == [i + 2] and "8,400" in hit.iloc[0]["message"]
    # and 8 500 EUR is above the floor: no warning (monotone in the input)
    ok = _planted(demo, clean, "staff", lambda d: (
        d.__setitem__("salary_eur", d["salary_eur"].where(d.index != i, 8500.0 * d.at[i, "fte"]))))
    assert not (ok["rule"] == "salary_below_minimum").any()


def test_warnings_are_ordered_and_typed(clean):
    assert clean["row"].dtype == pd.Int64Dtype()
    assert clean.equals(clean.sort_values(["table", "row", "rule"], kind="stable",
                                          ignore_index=True))
