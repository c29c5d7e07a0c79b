"""Peer groups and peer statistics (formulas 8.12-8.16)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import costing as ct
from costing.benchmark.peers import peer_groups, peer_stats, structure

REG = pd.DataFrame({"indicator_id": ["cost", "cover", "mix"],
                    "better": ["lower", "higher", "neutral"]})


def _fake_dataset():
    codes = ["C1", "C2", "N1", "N2", "N3", "N4", "OLD"]
    mun = pd.DataFrame({
        "atvk_code": codes, "name": codes,
        "type": ["valstspilsēta", "valstspilsēta", "novads", "novads", "novads", "novads",
                 "novads"],
        "valid_from": ["2021-07-01"] * 6 + ["2021-07-01"],
        "valid_to": [""] * 6 + ["2022-06-30"]})  # OLD ceased to exist mid-2022
    mun["valid_to"] = mun["valid_to"].replace("", None)
    totals = {"C1": 80_000, "C2": 60_000, "N1": 9_000, "N2": 19_999, "N3": 20_000,
              "N4": 50_000, "OLD": 3_000}
    rows = []
    for c, t in totals.items():
        for g, sh in zip(["0-17", "18-64", "65-79", "80+"], [0.2, 0.55, 0.17, 0.08], strict=True):
            rows.append({"atvk_code": c, "year": 2024, "age_group": g, "population": t * sh})
    return {"municipalities": mun, "population": pd.DataFrame(rows)}


def test_default_rule_bands():
    # bands [0, 20,000) small, [20,000, 35,000) medium, >= 35,000 large; cities apart;
    # OLD did not exist in 2024
    g = peer_groups(_fake_dataset(), 2024).set_index("municipality_code")["peer_group"]
    assert g.to_dict() == {"C1": "state_city", "C2": "state_city", "N1": "novads_small",
                           "N2": "novads_small", "N3": "novads_medium", "N4": "novads_large"}


def test_structure_shares():
    s = structure(_fake_dataset(), 2024).set_index("municipality_code")
    # 65+ = 0.17 + 0.08 = 0.25 of every municipality
    np.testing.assert_allclose(s["share_65_plus"], 0.25)
    assert s.loc["N1", "pop_65_plus"] == pytest.approx(2250)


def test_cluster_rule_is_deterministic_and_separates_cities():
    ds = _fake_dataset()
    a = peer_groups(ds, 2024, rule="cluster", k=2)
    b = peer_groups(ds, 2024, rule="cluster", k=2)
    assert a["peer_group"].tolist() == b["peer_group"].tolist()
    g = a.set_index("municipality_code")["peer_group"]
    # identical age structure: the cities (flag + size) split from the novadi;
    # clusters are numbered by increasing mean population
    assert g["C1"] == g["C2"] == "cluster_2"
    km = peer_groups(ds, 2024, rule="cluster", k=2, method="kmeans", seed=1)
    assert km["peer_group"].nunique() == 2
    with pytest.raises(ct.InputError, match="k must be between"):
        peer_groups(ds, 2024, rule="cluster", k=9)


def test_peer_stats_hand_example():
    # group g: values 10, 20, 30, 40 (A..D); group h: 5 (E) alone
    ind = pd.DataFrame({"municipality_code": list("ABCDE"), "year": 2024, "indicator_id": "cost",
                        "value": [10.0, 20, 30, 40, 5]})
    groups = pd.DataFrame({"municipality_code": list("ABCDE"), "peer_group": list("ggggh")})
    r = peer_stats(ind, groups, REG).set_index("municipality_code")
    # median (20 + 30)/2 = 25; q1 = 10 + 0.75*10 = 17.5; q3 = 30 + 0.25*10 = 32.5
    assert r.loc["A", "peer_median"] == 25 and r.loc["A", "peer_q1"] == 17.5
    assert r.loc["A", "peer_q3"] == 32.5
    # lower is better: A (10) ranks 1; percentile of D = 100 * 3/3 = 100
    assert r.loc["A", "rank"] == 1 and r.loc["D", "rank"] == 4
    assert r.loc["D", "percentile"] == 100 and r.loc["B", "percentile"] == pytest.approx(100 / 3)
    # z of A = (10 - 25) / sd; sd = sqrt(((15^2 + 5^2) * 2) / 3) = sqrt(500/3) = 12.9099
    assert r.loc["A", "z_score"] == pytest.approx(-15 / 12.9099, abs=1e-4)
    # a group of one has no percentile or z-score
    assert np.isnan(r.loc["E", "z_score"]) and np.isnan(r.loc["E", "percentile"])


def test_peer_stats_direction_and_missing():
    ind = pd.DataFrame({"municipality_code": list("ABCD"), "year": 2024,
                        "indicator_id": "cover", "value": [1.0, 3, np.nan, 2]})
    groups = pd.DataFrame({"municipality_code": list("ABCD"), "peer_group": "g"})
    r = peer_stats(ind, groups, REG).set_index("municipality_code")
    # higher is better: B (3) first, D (2) second, A (1) third; C suppressed -> no rank
    assert r.loc["B", "rank"] == 1 and r.loc["D", "rank"] == 2 and r.loc["A", "rank"] == 3
    assert pd.isna(r.loc["C", "rank"]) and r.loc["A", "n_peers"] == 3
    with pytest.raises(ct.InputError, match="not in the registry"):
        peer_stats(ind.assign(indicator_id="zzz"), groups, REG)
    with pytest.raises(ct.InputError, match="no peer group"):
        peer_stats(ind, groups.iloc[:2], REG)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=2, max_size=30),
       st.sampled_from(["cost", "cover", "mix"]))
def test_peer_stats_properties(values, indicator):
    n = len(values)
    ind = pd.DataFrame({"municipality_code": [f"M{i}" for i in range(n)], "year": 2024,
                        "indicator_id": indicator, "value": values})
    groups = pd.DataFrame({"municipality_code": ind["municipality_code"], "peer_group": "g"})
    r = peer_stats(ind, groups, REG)
    assert r["rank"].min() == 1 and r["rank"].max() <= n
    assert ((r["percentile"] >= 0) & (r["percentile"] <= 100)).all()
    assert (r["peer_q1"] <= r["peer_median"] + 1e-9).all()
    assert (r["peer_median"] <= r["peer_q3"] + 1e-9).all()
    # the best value gets rank 1 in the indicator's direction
    best = r.loc[r["rank"] == 1, "value"]
    target = max(values) if indicator == "cover" else min(values)
    assert (best == target).all()
