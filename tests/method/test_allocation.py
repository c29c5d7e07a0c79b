"""Overhead allocation (3.1)–(3.5): published examples, hand calculations and properties."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import costing as ct
from costing.errors import InputError

METHODS = ["direct", "step_down", "reciprocal"]


def anders():
    """Anders Company (Hansen & Mowen, *Cornerstones of Cost Management*), as reproduced at
    https://solutioninn.com/study-help/questions/support-department-cost-allocation-using-the-
    algebraic-or-reciprocal-method-6079870 . Maintenance (direct cost $100,000) is allocated by
    machine hours, General Factory (GF, $270,000) by square feet; each department's use of
    itself (459 machine hours, 3,418 sq ft) is listed and must be ignored."""
    direct = pd.Series({"MAINT": 100_000.0, "GF": 270_000.0, "CUT": 0.0, "SEW": 0.0})
    usage = pd.DataFrame({"MAINT": [459.0, 2_500.0], "GF": [2_000.0, 3_418.0],
                          "CUT": [9_000.0, 5_000.0], "SEW": [9_000.0, 8_500.0]},
                         index=["MAINT", "GF"])
    return direct, usage, ["MAINT", "GF"]


def test_reciprocal_reproduces_published_anders_solution():
    # Published: Maintenance = 100,000 + 0.15625 GF; GF = 270,000 + 0.1 Maintenance;
    # GF = 280,000 / 0.984375 = $284,444; Maintenance = $144,444.
    s = ct.reciprocal_support_costs(*anders())
    assert round(s["GF"]) == 284_444 and round(s["MAINT"]) == 144_444
    assert round(s["GF"], 2) == 284_444.44 and round(s["MAINT"], 2) == 144_444.44
    out = ct.allocate_overheads(*anders(), method="reciprocal")
    # Cutting: 0.45 × 144,444.44 + (5,000/16,000) × 284,444.44 = 65,000 + 88,888.89
    # Sewing:  0.45 × 144,444.44 + (8,500/16,000) × 284,444.44 = 65,000 + 151,111.11
    assert out.loc["CUT", "MAINT"] == pytest.approx(65_000.0)
    assert round(out.loc["CUT", "total"], 2) == 153_888.89
    assert round(out.loc["SEW", "total"], 2) == 216_111.11
    assert out["total"].sum() == pytest.approx(370_000.0, abs=1e-6)


def test_reciprocal_reproduces_published_two_department_solution():
    # coursehero "That is the nature of a step function cost" (reciprocal allocation):
    # maintenance is allocated by square feet, administration occupies 1,000 of 5,000 sq ft;
    # administration by hours, maintenance uses 100 of 600 hours.
    # A = 1,200 + M/5, M = 2,400 + A/6  →  A = $1,738, M = $2,690 (published, rounded).
    direct = pd.Series({"ADM": 1_200.0, "MNT": 2_400.0, "P1": 0.0, "P2": 0.0})
    usage = pd.DataFrame({"ADM": [0.0, 1_000.0], "MNT": [100.0, 0.0],
                          "P1": [300.0, 2_500.0], "P2": [200.0, 1_500.0]}, index=["ADM", "MNT"])
    s = ct.reciprocal_support_costs(direct, usage, ["ADM", "MNT"])
    assert round(s["ADM"]) == 1_738 and round(s["MNT"]) == 2_690


def test_direct_method_anders_by_hand():
    out = ct.allocate_overheads(*anders(), method="direct")
    # Maintenance over machine hours of the producing departments only: 9,000 : 9,000
    # → 50,000 each; GF over square feet 5,000 : 8,500 → 100,000 and 170,000.
    assert out.loc["CUT", ["MAINT", "GF", "total"]].tolist() == pytest.approx(
        [50_000.0, 100_000.0, 150_000.0])
    assert out.loc["SEW", ["MAINT", "GF", "total"]].tolist() == pytest.approx(
        [50_000.0, 170_000.0, 220_000.0])


def test_step_down_default_order_and_given_order_by_hand():
    # Default order: GF gives 2,500/16,000 = 15.6 % of its service to Maintenance, Maintenance
    # gives 2,000/20,000 = 10 % to GF → GF first.
    # GF: 270,000 → Maintenance 42,187.50, Cutting 84,375, Sewing 143,437.50.
    # Maintenance: (100,000 + 42,187.50) split 9,000 : 9,000 → 71,093.75 each.
    out = ct.allocate_overheads(*anders(), method="step_down")
    assert out.loc["CUT", ["MAINT", "GF"]].tolist() == pytest.approx([71_093.75, 84_375.0])
    assert out.loc["SEW", "total"] == pytest.approx(71_093.75 + 143_437.5)
    # Order Maintenance first: 100,000 → GF 10,000, Cutting 45,000, Sewing 45,000;
    # GF (270,000 + 10,000) over 5,000 : 8,500 → 103,703.70 and 176,296.30.
    out = ct.allocate_overheads(*anders(), method="step_down", order=["MAINT", "GF"])
    assert out.loc["CUT", "MAINT"] == pytest.approx(45_000.0)
    assert round(out.loc["CUT", "GF"], 2) == 103_703.70
    assert round(out.loc["SEW", "GF"], 2) == 176_296.30


def test_output_shape():
    out = ct.allocate_overheads(*anders())
    assert list(out.columns) == ["direct", "MAINT", "GF", "total"]
    assert list(out.index) == ["CUT", "SEW"]


# ------------------------------------------------------------------ errors
def test_zero_driver_row_is_an_error():
    d, u, s = anders()
    u.loc["GF", ["MAINT", "CUT", "SEW"]] = 0.0  # only self-use left
    with pytest.raises(InputError, match="GF.*sums to zero"):
        ct.allocate_overheads(d, u, s)


def test_negative_driver_is_an_error():
    d, u, s = anders()
    u.loc["MAINT", "CUT"] = -1.0
    with pytest.raises(InputError, match="negative driver"):
        ct.allocate_overheads(d, u, s)


def test_unknown_centre_is_an_error():
    d, u, s = anders()
    u["KNIT"] = 1.0
    with pytest.raises(InputError, match="KNIT"):
        ct.allocate_overheads(d, u, s)
    with pytest.raises(InputError, match="no entry in direct_costs"):
        ct.allocate_overheads(d, anders()[1], ["MAINT", "GF", "IT"])


def test_unknown_method_and_bad_order():
    with pytest.raises(InputError, match="allocation method"):
        ct.allocate_overheads(*anders(), method="abc")
    with pytest.raises(InputError, match="exactly once"):
        ct.allocate_overheads(*anders(), method="step_down", order=["GF"])


def test_closed_loop_of_support_centres_has_no_reciprocal_solution():
    # S1 and S2 serve only each other: their costs never reach a service centre.
    d = pd.Series({"S1": 10.0, "S2": 20.0, "P": 5.0})
    u = pd.DataFrame({"S1": [0.0, 1.0], "S2": [1.0, 0.0], "P": [0.0, 0.0]}, index=["S1", "S2"])
    with pytest.raises(InputError, match="no unique solution"):
        ct.allocate_overheads(d, u, ["S1", "S2"], method="reciprocal")
    with pytest.raises(InputError, match="serve no final"):
        ct.allocate_overheads(d, u, ["S1", "S2"], method="direct")
    with pytest.raises(InputError, match="already closed"):
        ct.allocate_overheads(d, u, ["S1", "S2"], method="step_down")


def test_self_use_is_ignored():
    d, u, s = anders()
    u2 = u.copy()
    u2.loc["MAINT", "MAINT"] = 1e9
    pd.testing.assert_frame_equal(ct.allocate_overheads(d, u, s), ct.allocate_overheads(d, u2, s))


# ------------------------------------------------------------------ properties
@st.composite
def systems(draw, support_to_support=True):
    ns, nf = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    support = [f"S{i}" for i in range(ns)]
    finals = [f"F{j}" for j in range(nf)]
    qty = st.floats(0, 1_000, allow_nan=False, allow_infinity=False)
    rows = []
    for _ in support:
        to_final = draw(st.lists(qty, min_size=nf, max_size=nf).filter(lambda v: sum(v) > 1e-3))
        to_support = draw(st.lists(qty, min_size=ns, max_size=ns)) if support_to_support else (
            [0.0] * ns)
        rows.append(to_support + to_final)
    usage = pd.DataFrame(rows, index=support, columns=support + finals)
    costs = draw(st.lists(st.floats(0, 1e6, allow_nan=False), min_size=ns + nf,
                          max_size=ns + nf))
    return pd.Series(costs, index=support + finals), usage, support


@settings(max_examples=150, deadline=None)
@given(sys=systems(), method=st.sampled_from(METHODS))
def test_every_method_conserves_the_total(sys, method):
    d, u, s = sys
    out = ct.allocate_overheads(d, u, s, method=method)
    assert out["total"].sum() == pytest.approx(d.sum(), rel=1e-9, abs=1e-6)
    assert (out[s].to_numpy() >= -1e-9).all()


def shares_and_finals(d, u, s):
    u = u.astype(float).copy()
    for c in s:
        u.loc[c, c] = 0.0
    shares = u.div(u.sum(axis=1), axis=0).fillna(0.0).reindex(columns=d.index, fill_value=0.0)
    return shares, [c for c in d.index if c not in s]


def repeated_distribution(d, u, s, rounds=20_000):
    """The 'repeated distribution' method: pass support costs round until nothing is left."""
    shares, finals = shares_and_finals(d, u, s)
    a_ss = shares.loc[s, s].to_numpy()
    a_sf = shares.loc[s, finals].to_numpy()
    pool = d[s].to_numpy(dtype=float)
    received = np.zeros(len(finals))
    for _ in range(rounds):
        received += pool @ a_sf
        pool = pool @ a_ss
        if np.abs(pool).sum() < 1e-9:
            break
    return d[finals].to_numpy(dtype=float) + received


@settings(max_examples=100, deadline=None)
@given(sys=systems())
def test_reciprocal_equals_limit_of_repeated_distribution(sys):
    d, u, s = sys
    shares, _ = shares_and_finals(d, u, s)
    # Repeated distribution converges geometrically with the spectral radius of A_SS; keep the
    # examples where 20,000 rounds are enough (radius <= 0.999 → 0.999^20000 ≈ 2e-9).
    assume(max(abs(np.linalg.eigvals(shares.loc[s, s].to_numpy()))) <= 0.999)
    out = ct.allocate_overheads(d, u, s, method="reciprocal")
    limit = repeated_distribution(d, u, s)
    assert out["total"].to_numpy() == pytest.approx(limit, rel=1e-6, abs=1e-3)


@settings(max_examples=100, deadline=None)
@given(sys=systems(support_to_support=False))
def test_without_support_to_support_use_all_methods_agree(sys):
    d, u, s = sys
    results = [ct.allocate_overheads(d, u, s, method=m)["total"] for m in METHODS]
    for r in results[1:]:
        np.testing.assert_allclose(r.to_numpy(), results[0].to_numpy(), rtol=1e-9, atol=1e-6)


@settings(max_examples=60, deadline=None)
@given(sys=systems(), method=st.sampled_from(METHODS), k=st.floats(0.01, 100))
def test_allocation_is_linear_in_costs(sys, method, k):
    d, u, s = sys
    a = ct.allocate_overheads(d, u, s, method=method, order=s)["total"]
    b = ct.allocate_overheads(d * k, u, s, method=method, order=s)["total"]
    np.testing.assert_allclose(b.to_numpy(), k * a.to_numpy(), rtol=1e-9, atol=1e-6)


def test_non_numeric_driver_is_an_error():
    d, u, s = anders()
    u = u.astype(object)
    u.loc["GF", "SEW"] = "8 500"
    with pytest.raises(InputError, match="'GF' to 'SEW' is not a number"):
        ct.allocate_overheads(d, u, s)


def test_negative_direct_cost_is_an_error_naming_the_centre():
    d = pd.Series({"ADM": -100.0, "S1": 60.0, "S2": 40.0})
    u = pd.DataFrame({"S1": [1.0], "S2": [3.0]}, index=["ADM"])
    with pytest.raises(InputError, match=r"direct_costs must be >= 0.*'ADM': -100.0"):
        ct.allocate_overheads(d, u, ["ADM"])
