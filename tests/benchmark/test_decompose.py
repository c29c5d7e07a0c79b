"""Log decomposition of spending per inhabitant (formulas 8.3-8.7)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from paths import MINI_DIR

import costing as ct
from costing.benchmark.decompose import decompose_gap, decompose_spending, log_mean


def _data():
    # A: 1000 inhabitants, 50 clients, 100,000 EUR -> c = 0.05, u = 2,000, s = 100 EUR/inh.
    # peers B (2000 inh, 60 clients, 90,000 EUR) and C (1000 inh, 40 clients, 90,000 EUR).
    return pd.DataFrame({
        "municipality_code": ["A", "B", "C"], "year": 2023, "service_code": "HOME_CARE",
        "spending_eur": [100_000.0, 90_000, 90_000], "clients": [50, 60, 40],
        "population": [1000, 2000, 1000]})


GROUPS = pd.DataFrame({"municipality_code": ["A", "B", "C"], "peer_group": "g"})


def test_hand_example_pooled():
    # Pooled peers of A (B + C): c_p = 100 / 3000 = 0.033333, u_p = 180,000 / 100 = 1,800,
    # s_p = 60 EUR/inh.  Gap = 100 - 60 = 40.
    # ln(c/c_p) = ln 1.5 = 0.405465 ; ln(u/u_p) = ln(2000/1800) = 0.105361 ; sum = ln(100/60)
    # L(100, 60) = 40 / ln(5/3) = 40 / 0.510826 = 78.3047
    # coverage effect  = 78.3047 * 0.405465 = 31.7498
    # unit-cost effect = 78.3047 * 0.105361 = 8.2502
    r = decompose_spending(_data(), GROUPS).set_index("municipality_code").loc["A"]
    assert r["peer_coverage"] == pytest.approx(1 / 30)
    assert r["peer_unit_cost_eur"] == pytest.approx(1800)
    assert r["gap_eur"] == pytest.approx(40)
    assert r["coverage_effect_eur"] == pytest.approx(31.7498, abs=1e-4)
    assert r["unit_cost_effect_eur"] == pytest.approx(8.2502, abs=1e-4)
    assert r["coverage_effect_log"] == pytest.approx(math.log(1.5))
    assert r["n_peers"] == 2 and r["reason"] == ""


def test_geomean_reference_and_include_self():
    # geomean peers of A: c_p = sqrt(0.03 * 0.04) = 0.034641, u_p = sqrt(1500 * 2250) = 1837.12
    r = decompose_spending(_data(), GROUPS, reference="geomean").set_index("municipality_code")
    assert r.loc["A", "peer_coverage"] == pytest.approx(math.sqrt(0.03 * 0.04))
    assert r.loc["A", "peer_unit_cost_eur"] == pytest.approx(math.sqrt(1500 * 2250))
    # include_self, pooled: everyone is compared with the group total 280,000 / 4,000 = 70
    r = decompose_spending(_data(), GROUPS, include_self=True)
    np.testing.assert_allclose(r["peer_spending_per_inhabitant_eur"], 70.0)


def test_undefined_rows_say_why():
    d = _data()
    d.loc[1, "clients"] = 0
    r = decompose_spending(d, GROUPS).set_index("municipality_code")
    assert r.loc["B", "reason"] == "no clients" and np.isnan(r.loc["B", "gap_eur"])
    with pytest.raises(ct.InputError, match="no peer group"):
        decompose_spending(d, GROUPS.iloc[:2])
    with pytest.raises(ct.InputError, match="'clients'.*>= 0"):
        decompose_spending(d.assign(clients=[-1, 1, 1]), GROUPS)


def test_log_mean_values():
    assert float(log_mean(2.0, 1.0)) == pytest.approx(1 / math.log(2))
    assert float(log_mean(3.0, 3.0)) == 3.0
    with pytest.raises(ct.InputError):
        log_mean(0.0, 1.0)


pos = st.floats(1e-3, 1e4, allow_nan=False, allow_infinity=False)


@settings(max_examples=200, deadline=None)
@given(pos, pos, pos, pos)
def test_effects_add_up_exactly(c, u, cp, up):
    r = decompose_gap(c, u, cp, up).iloc[0]
    gap = c * u - cp * up
    assert r["coverage_effect_eur"] + r["unit_cost_effect_eur"] == pytest.approx(
        gap, rel=1e-9, abs=1e-9 * max(c * u, cp * up))
    assert r["coverage_effect_log"] + r["unit_cost_effect_log"] == pytest.approx(
        math.log(c * u) - math.log(cp * up), abs=1e-9)
    # each effect has the sign of its own ratio
    if abs(math.log(c / cp)) > 1e-12:
        assert np.sign(r["coverage_effect_eur"]) == np.sign(math.log(c / cp))


def test_service_spending_on_mini_dataset():

    ds = ct.load_dataset(MINI_DIR)
    m = "LV0026000"
    uc = pd.DataFrame({
        "municipality_code": [m, m], "year": 2024, "cost_centre_id": [f"{m}-LTC1", f"{m}-HC1"],
        "service_code": ["LTC", "HOME_CARE"], "full_cost_eur": [700_000.0, 200_000.0],
        "overhead_eur": 0.0, "units": [13_500, 16_000], "clients": [45, 120],
        "capacity_units": [14_600, np.nan]})
    uc["unit_cost_eur"] = uc["full_cost_eur"] / uc["units"]
    ds.tables["tariffs"] = ds.tariffs.iloc[0:0]
    s = ct.service_spending(ds, 2024, unit_cost_table=uc).set_index(
        ["municipality_code", "service_code"])
    # LTC targets 65+: 6,870 + 3,180 = 10,050 inhabitants of LV0026000 in 2024
    assert s.loc[(m, "LTC"), "population"] == 10_050
    assert s.loc[(m, "LTC"), "spending_eur"] == 700_000 and s.loc[(m, "LTC"), "clients"] == 45
    # a service the municipality does not run: zero spending and clients, not missing
    assert s.loc[(m, "DAY_CARE"), "spending_eur"] == 0
    # SOCIAL_WORK targets everyone: 40,600
    assert s.loc[(m, "SOCIAL_WORK"), "population"] == 40_600
