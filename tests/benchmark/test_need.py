"""Cost-key need index and ASSS resource use (formulas 8.8-8.11)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import costing as ct
from costing.benchmark.need import DEFAULT_NEED_WEIGHTS, need_adjusted_spending, need_index

W = {"0-17": 0.1, "18-64": 0.2, "65-79": 0.3, "80+": 0.4}


def _pop():
    # M1: 100 / 600 / 200 / 100 ; M2: 300 / 600 / 80 / 20 (1,000 inhabitants each)
    return pd.DataFrame({
        "atvk_code": ["M1"] * 4 + ["M2"] * 4, "year": 2024,
        "age_group": ["0-17", "18-64", "65-79", "80+"] * 2,
        "population": [100, 600, 200, 100, 300, 600, 80, 20]})


def test_need_index_hand_example():
    # network shares: 400/2000 = 0.2, 1200/2000 = 0.6, 280/2000 = 0.14, 120/2000 = 0.06
    # I_M1 = 0.1*0.1/0.2 + 0.2*0.6/0.6 + 0.3*0.2/0.14 + 0.4*0.1/0.06
    #      = 0.05 + 0.2 + 0.428571 + 0.666667 = 1.345238
    # I_M2 = 0.1*0.3/0.2 + 0.2*1 + 0.3*0.08/0.14 + 0.4*0.02/0.06
    #      = 0.15 + 0.2 + 0.171429 + 0.133333 = 0.654762
    r = need_index(_pop(), W).set_index("municipality_code")
    assert r.loc["M1", "need_index"] == pytest.approx(1.345238, abs=1e-6)
    assert r.loc["M2", "need_index"] == pytest.approx(0.654762, abs=1e-6)
    assert r.loc["M1", "population"] == 1000


def test_codes_restrict_the_network():
    # network of M1 alone: its shares equal the network's -> I = sum of weights = 1
    r = need_index(_pop(), W, codes=["M1"])
    assert r["municipality_code"].tolist() == ["M1"]
    assert r["need_index"].iloc[0] == pytest.approx(1.0)
    with pytest.raises(ct.InputError, match="no population for municipalities \\['M9'\\]"):
        need_index(_pop(), W, codes=["M1", "M9"])


def test_resource_use_hand_example():
    # s_1 = 150,000/1,000 = 150, s_2 = 50 ; s_N = 200,000 / 2,000 = 100
    # e_1 = 100 * 1.345238 = 134.5238 ; e_2 = 65.4762
    # s/e: 1.115044 and 0.763636, mean 0.939340 -> R = 1.187050 and 0.812950
    # need-adjusted spending: 150 / 1.345238 = 111.5044 ; 50 / 0.654762 = 76.3636
    need = need_index(_pop(), W)
    sp = pd.DataFrame({"municipality_code": ["M1", "M2"], "year": 2024,
                       "spending_eur": [150_000.0, 50_000.0]})
    r = need_adjusted_spending(sp, need).set_index("municipality_code")
    np.testing.assert_allclose(r["expected_spending_per_inhabitant_eur"], [134.5238, 65.4762],
                               atol=1e-4)
    np.testing.assert_allclose(r["resource_use"], [1.187050, 0.812950], atol=1e-6)
    np.testing.assert_allclose(r["need_adjusted_spending_per_inhabitant_eur"],
                               [111.5044, 76.3636], atol=1e-4)


def test_default_weights_documented_mapping():
    # Norway 2004: 0-15 0.051, 16-66 0.044, 67-79 0.137, 80-89 0.253 + 90+ 0.096, sum 0.581
    assert DEFAULT_NEED_WEIGHTS["80+"] == pytest.approx(0.349 / 0.581)
    assert DEFAULT_NEED_WEIGHTS["0-17"] == pytest.approx(0.051 / 0.581)
    assert sum(DEFAULT_NEED_WEIGHTS.values()) == pytest.approx(1.0)


def test_errors():
    sp = pd.DataFrame({"municipality_code": ["M1", "M2"], "year": 2024, "spending_eur": 0.0})
    with pytest.raises(ct.InputError, match="no spending in {'year': 2024}"):
        need_adjusted_spending(sp, need_index(_pop(), W))
    with pytest.raises(ct.InputError, match="85\\+"):
        need_index(_pop(), {"85+": 1.0})
    with pytest.raises(ct.InputError, match="not all 0"):
        need_index(_pop(), {"80+": -1.0})


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(1, 10_000), min_size=4, max_size=4), min_size=2,
                max_size=8))
def test_population_weighted_mean_is_one(rows):
    # sum_m P_m I_m = sum_k w_k sum_m x_km / (x_kN / P_N) = P_N, so the weighted mean is 1
    codes = [f"M{i}" for i in range(len(rows))]
    pop = pd.DataFrame({"atvk_code": np.repeat(codes, 4), "year": 2024,
                        "age_group": ["0-17", "18-64", "65-79", "80+"] * len(rows),
                        "population": np.ravel(rows)})
    r = need_index(pop)
    assert np.average(r["need_index"], weights=r["population"]) == pytest.approx(1.0)


def test_bad_population_values_are_named():
    pop = _pop()
    bad = pop.assign(population=pop["population"].astype(float))
    bad.loc[1, "population"] = np.nan
    with pytest.raises(ct.InputError, match=r"population of .* is nan; must be a number >= 0"):
        need_index(bad, W)
    bad.loc[1, "population"] = -5.0
    with pytest.raises(ct.InputError, match=r"is -5.0; must be"):
        need_index(bad, W)
    sp = pd.DataFrame({"municipality_code": ["M1"], "year": [2024], "spending_eur": [5.0]})
    need = pd.DataFrame({"municipality_code": ["M1"], "year": [2024], "population": [0.0],
                         "need_index": [1.0]})
    with pytest.raises(ct.InputError, match="population must be a number > 0"):
        need_adjusted_spending(sp, need)
