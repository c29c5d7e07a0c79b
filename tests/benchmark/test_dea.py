"""DEA (formulas 8.20-8.24) against hand-solved textbook cases and an independent formulation."""

from __future__ import annotations

import importlib
import inspect

import highspy
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

import costing as ct
from costing.benchmark.dea import dea, scale_efficiency

# the module itself (``costing.benchmark.dea`` as an attribute is the function)
dea_module = importlib.import_module("costing.benchmark.dea")

# Cooper, Seiford & Tone, "Data Envelopment Analysis", 2nd ed. (2007), Table 1.1: eight branch
# stores A..H, one input (employees) and one output (sales).
CST_X = pd.DataFrame({"employees": [2.0, 3, 3, 4, 5, 5, 6, 8]}, index=list("ABCDEFGH"))
CST_Y = pd.DataFrame({"sales": [1.0, 3, 2, 3, 4, 2, 3, 5]}, index=list("ABCDEFGH"))


def test_cst_table_1_1_crs_equals_productivity_ratio():
    # CCR with one input and one output: efficiency = (y/x) / max(y/x); max is B with 3/3 = 1.
    # A 1/2 = 0.5, C 2/3, D 3/4, E 4/5, F 2/5, G 3/6, H 5/8 (CST Fig. 1.1 / Table 1.1).
    expected = [0.5, 1.0, 2 / 3, 0.75, 0.8, 0.4, 0.5, 0.625]
    res = dea(CST_X, CST_Y, "crs", "input")
    np.testing.assert_allclose(res["efficiency"], expected, atol=1e-6)
    # every inefficient store is projected onto B alone: lambda_B = y_o / y_B
    assert (res.drop(index="B")["peers"] == "B").all()
    # output orientation under CRS: phi = 1 / theta
    out = dea(CST_X, CST_Y, "crs", "output")
    np.testing.assert_allclose(out["phi"], 1 / np.array(expected), atol=1e-6)
    np.testing.assert_allclose(out["efficiency"], expected, atol=1e-6)


def test_cst_table_1_1_vrs_hand_solved():
    # The BCC frontier is the concave hull A(2,1) - B(3,3) - E(5,4) - H(8,5): slopes 2, 1/2, 1/3.
    # C (3, 2): least input for y = 2 on segment A-B is x = 2 + (2 - 1)/2 = 2.5 -> 2.5/3 = 0.8333
    # D (4, 3): B makes y = 3 with x = 3 -> 3/4 = 0.75
    # F (5, 2): 2.5 / 5 = 0.5 ;  G (6, 3): 3 / 6 = 0.5 ;  A, B, E, H on the frontier -> 1
    res, lam = dea(CST_X, CST_Y, "vrs", "input", return_lambdas=True)
    expected = [1, 1, 2.5 / 3, 0.75, 1, 0.5, 0.5, 1]
    np.testing.assert_allclose(res["efficiency"], expected, atol=1e-6)
    # C's reference point is 0.5 A + 0.5 B: (0.5*2 + 0.5*3, 0.5*1 + 0.5*3) = (2.5, 2)
    c = lam[lam["unit"] == "C"].set_index("peer")["lambda"]
    np.testing.assert_allclose(c.reindex(["A", "B"]).to_numpy(), [0.5, 0.5], atol=1e-6)
    np.testing.assert_allclose(res["lambda_sum"], 1.0, atol=1e-9)
    # output orientation, F (5, 2): most output with x = 5 is E's 4 -> phi = 2, efficiency 0.5
    # G (6, 3): on E-H, y = 4 + (6 - 5)/3 = 4.3333 -> phi = 4.3333/3 = 1.4444
    out = dea(CST_X, CST_Y, "vrs", "output")
    assert out.loc["F", "phi"] == pytest.approx(2.0, abs=1e-6)
    assert out.loc["G", "phi"] == pytest.approx((4 + 1 / 3) / 3, abs=1e-6)
    assert out.loc["G", "efficiency"] == pytest.approx(3 / (4 + 1 / 3), abs=1e-6)


def test_scale_efficiency_hand_solved():
    # SE = CRS / VRS: C 0.6667/0.8333 = 0.8, A 0.5/1 = 0.5, H 0.625/1 = 0.625, B 1/1 = 1
    se = scale_efficiency(CST_X, CST_Y)
    np.testing.assert_allclose(se.loc[["A", "B", "C", "H"], "scale"], [0.5, 1, 0.8, 0.625],
                               atol=1e-6)


def test_second_phase_slack_weakly_efficient_unit():
    # Two inputs, one unit output each (CST ch. 3 style). Frontier: P(2,4), Q(4,2).
    # R (4,4): theta = 0.75 (0.75*(4,4) = (3,3) = 0.5P + 0.5Q), no slack.
    # S (6,2): theta = 1 (x2 = 2 cannot shrink), but Q uses 2 less of x1 -> slack_in_x1 = 2.
    x = pd.DataFrame({"x1": [2.0, 4, 4, 6], "x2": [4.0, 2, 4, 2]}, index=list("PQRS"))
    y = pd.DataFrame({"y": [1.0, 1, 1, 1]}, index=list("PQRS"))
    res = dea(x, y, "crs", "input")
    np.testing.assert_allclose(res["efficiency"], [1, 1, 0.75, 1], atol=1e-6)
    assert res.loc["S", "slack_in_x1"] == pytest.approx(2.0, abs=1e-6)
    assert res.loc["S", "slack_in_x2"] == pytest.approx(0.0, abs=1e-9)
    assert res.loc["S", "peers"] == "Q"
    assert res.loc["R", ["slack_in_x1", "slack_in_x2", "slack_out_y"]].abs().max() < 1e-9


def _multiplier(x, y, o, rts, orientation):
    """Independent dual (multiplier) form, solved by the interior-point method (formula 8.25)."""
    n, m = x.shape
    s = y.shape[1]
    # variables [v (m), u (s), w (free, VRS only)]
    k = m + s + (1 if rts == "vrs" else 0)
    a_ub = np.zeros((n, k))
    a_ub[:, :m] = -x
    a_ub[:, m:m + s] = y
    c = np.zeros(k)
    a_eq = np.zeros((1, k))
    if orientation == "input":
        # max u.y_o - w   s.t. v.x_o = 1, u.y_j - v.x_j - w <= 0
        c[m:m + s] = -y[o]
        a_eq[0, :m] = x[o]
        if rts == "vrs":
            a_ub[:, -1] = -1.0
            c[-1] = 1.0
    else:
        # min v.x_o + w   s.t. u.y_o = 1, u.y_j - v.x_j - w <= 0
        c[:m] = x[o]
        a_eq[0, m:m + s] = y[o]
        if rts == "vrs":
            a_ub[:, -1] = -1.0
            c[-1] = 1.0
    bounds = [(0, None)] * (m + s) + ([(None, None)] if rts == "vrs" else [])
    r = linprog(c, A_ub=a_ub, b_ub=np.zeros(n), A_eq=a_eq, b_eq=[1.0], bounds=bounds,
                method="highs-ipm")
    assert r.status == 0
    return -r.fun if orientation == "input" else r.fun


@pytest.mark.parametrize("rts", ["crs", "vrs"])
@pytest.mark.parametrize("orientation", ["input", "output"])
def test_matches_independent_multiplier_form(rts, orientation):
    rng = np.random.default_rng(7)
    x = pd.DataFrame(rng.uniform(1, 100, (40, 3)), columns=["a", "b", "c"])
    y = pd.DataFrame(rng.uniform(1, 50, (40, 2)), columns=["p", "q"])
    res = dea(x, y, rts, orientation)
    value = [_multiplier(x.to_numpy(), y.to_numpy(), o, rts, orientation) for o in range(40)]
    col = "efficiency" if orientation == "input" else "phi"
    np.testing.assert_allclose(res[col], value, atol=1e-6, rtol=1e-6)
    # the slow reference engine (one linprog per unit) agrees too, slacks included
    ref = dea(x, y, rts, orientation, engine="linprog")
    np.testing.assert_allclose(res["efficiency"], ref["efficiency"], atol=1e-6)
    sl = [c for c in res.columns if c.startswith("slack_")]
    np.testing.assert_allclose(res[sl].sum(axis=1), ref[sl].sum(axis=1), atol=1e-5)
    # the reused, warm-started highspy model and fresh linprog solves agree tightly (60 x 2 x 3)
    rng = np.random.default_rng(60)
    x = pd.DataFrame(rng.uniform(1, 100, (60, 2)), columns=["a", "b"])
    y = pd.DataFrame(rng.uniform(1, 50, (60, 3)), columns=["p", "q", "r"])
    res = dea(x, y, rts, orientation)
    ref = dea(x, y, rts, orientation, engine="linprog")
    np.testing.assert_allclose(res[col], ref[col], atol=1e-9, rtol=0)


def test_public_highspy_api_silent_with_linprog_fallback(capfd, monkeypatch):
    # scipy's private HiGHS bindings (scipy.optimize._highspy) are gone: the public package is used
    source = inspect.getsource(dea_module)
    assert "_highspy" not in source and "scipy.optimize._" not in source
    assert dea_module.highspy is highspy and issubclass(dea_module._QuietHighs, highspy.Highs)
    rng = np.random.default_rng(3)
    x = pd.DataFrame(rng.uniform(1, 100, (30, 2)), columns=["a", "b"])
    y = pd.DataFrame(rng.uniform(1, 50, (30, 3)), columns=["p", "q", "r"])
    capfd.readouterr()
    res = ct.dea(x, y, "vrs", "output")
    ct.dea(x, y, "crs", "input", slacks=False)
    # nothing printed at the file-descriptor level (highspy >= 1.16 writes a banner by default)
    assert capfd.readouterr() == ("", "")
    # a non-optimal model status falls back to one linprog solve per LP, with the same result
    calls = []
    linprog_ = dea_module._linprog
    monkeypatch.setattr(dea_module, "_linprog", lambda *a: calls.append(1) or linprog_(*a))
    monkeypatch.setattr(dea_module._QuietHighs, "getModelStatus",
                        lambda self: highspy.HighsModelStatus.kNotset)
    fallback = ct.dea(x, y, "vrs", "output")
    assert len(calls) == 2 * 30  # both phases of every unit
    np.testing.assert_allclose(fallback["phi"], res["phi"], atol=1e-9, rtol=0)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.integers(3, 12), st.sampled_from(["crs", "vrs"]))
def test_properties(seed, n, rts):
    rng = np.random.default_rng(seed)
    x = pd.DataFrame(rng.uniform(0.5, 20, (n, 2)), columns=["x1", "x2"])
    y = pd.DataFrame(rng.uniform(0.5, 20, (n, 2)), columns=["y1", "y2"])
    e = dea(x, y, rts)["efficiency"]
    assert ((e > 0) & (e <= 1)).all()
    assert e.max() == pytest.approx(1.0, abs=1e-9)  # someone is on the frontier
    # units invariance: measuring input 1 in cents instead of euros changes nothing
    x2 = x.assign(x1=x["x1"] * 100)
    np.testing.assert_allclose(dea(x2, y, rts)["efficiency"], e, atol=1e-7)
    if rts == "crs":  # CRS: input and output efficiency coincide; VRS envelops more closely
        np.testing.assert_allclose(dea(x, y, "crs", "output")["efficiency"], e, atol=1e-7)
        assert (dea(x, y, "vrs")["efficiency"] >= e - 1e-9).all()


def test_bad_input_messages():
    x = pd.DataFrame({"x": [1.0, 0.0]}, index=["a", "b"])
    y = pd.DataFrame({"y": [1.0, 1.0]}, index=["a", "b"])
    with pytest.raises(ct.InputError, match=r"unit 'b', column 'x'.*> 0"):
        dea(x, y)
    with pytest.raises(ct.InputError, match="rts"):
        dea(x.assign(x=1.0), y, rts="drs")
    with pytest.raises(ct.InputError, match="same units"):
        dea(x.assign(x=1.0), y.set_axis(["a", "c"]))
    with pytest.raises(ct.InputError, match="no positive output"):
        dea(x.assign(x=1.0), y.assign(y=[1.0, 0.0]))
    with pytest.raises(ct.InputError, match="finite"):
        dea(x.assign(x=[1.0, np.nan]), y)
    with pytest.raises(ct.InputError, match="column 'x' is not numeric"):
        dea(x.assign(x=["1", "2"]), y)


def test_single_unit_is_its_own_frontier():
    # one unit: lambda = 1 is the only solution, theta = 1, no slack
    r = dea(pd.DataFrame({"x": [2.0]}, index=["a"]), pd.DataFrame({"y": [1.0]}, index=["a"]),
            "vrs")
    assert r.loc["a", "efficiency"] == pytest.approx(1.0) and r.loc["a", "peers"] == "a"
