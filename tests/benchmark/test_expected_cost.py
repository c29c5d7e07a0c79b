"""Expected-cost regression (formulas 8.17-8.19)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import costing as ct
from costing.benchmark.expected_cost import expected_cost


def _hand():
    # ln(units) = x = 1, 2, 3, 4 ; ln(unit cost) = y = 2, 4, 5, 8
    x = np.array([1.0, 2, 3, 4])
    y = np.array([2.0, 4, 5, 8])
    return pd.DataFrame({"municipality_code": list("ABCD"), "units": np.exp(x),
                         "unit_cost_eur": np.exp(y)}), x, y


def test_hand_solved_ols():
    # x_bar = 2.5, y_bar = 4.75; Sxy = (-1.5)(-2.75) + (-.5)(-.75) + (.5)(.25) + (1.5)(3.25) = 9.5
    # Sxx = 5 -> slope 1.9, intercept 4.75 - 1.9*2.5 = 0
    # fitted 1.9, 3.8, 5.7, 7.6 ; residuals 0.1, 0.2, -0.7, 0.4 ; SSE = 0.70 ; SST = 18.75
    # R^2 = 1 - 0.70/18.75 = 0.962667
    d, x, y = _hand()
    r = expected_cost(d, occupancy=None)
    c = r.coefficients.set_index("term")["coef"]
    assert c["log_units"] == pytest.approx(1.9) and c["const"] == pytest.approx(0, abs=1e-12)
    assert r.diagnostics["r2"] == pytest.approx(0.962667, abs=1e-6)
    assert r.diagnostics["n"] == 4
    np.testing.assert_allclose(r.table["residual_log"], [0.1, 0.2, -0.7, 0.4], atol=1e-12)
    # expected cost of A = exp(1.9); unexplained share = exp(0.1) - 1 = 0.105171
    assert r.table.loc[0, "expected_unit_cost_eur"] == pytest.approx(np.exp(1.9))
    assert r.table.loc[0, "unexplained_share"] == pytest.approx(0.105171, abs=1e-6)


def test_hc3_and_prediction_interval_independently():
    d, x, y = _hand()
    r = expected_cost(d, occupancy=None)
    X = np.c_[np.ones(4), x]
    e = np.array([0.1, 0.2, -0.7, 0.4])
    xtx_inv = np.linalg.inv(X.T @ X)
    h = np.einsum("ij,jk,ik->i", X, xtx_inv, X)  # leverages 0.7, 0.3, 0.3, 0.7
    np.testing.assert_allclose(h, [0.7, 0.3, 0.3, 0.7])
    meat = X.T @ np.diag(e**2 / (1 - h) ** 2) @ X
    v_hc3 = xtx_inv @ meat @ xtx_inv
    se = r.coefficients.set_index("term")["se_hc3"]
    assert se["log_units"] == pytest.approx(np.sqrt(v_hc3[1, 1]))
    # prediction interval at obs A: s^2 = 0.70 / 2 = 0.35 ; var = s^2 (1 + h_A) = 0.35 * 1.7
    half = stats.t.ppf(0.975, 2) * np.sqrt(0.35 * 1.7)
    assert r.table.loc[0, "pi_upper_eur"] == pytest.approx(np.exp(1.9 + half))
    assert r.table.loc[0, "pi_lower_eur"] == pytest.approx(np.exp(1.9 - half))


def test_diagnostics_and_structure_recovered():
    rng = np.random.default_rng(3)
    n = 200
    units = rng.uniform(1_000, 50_000, n)
    occ = rng.uniform(0.6, 1.0, n)
    share = rng.uniform(0.15, 0.35, n)
    svc = rng.choice(["LTC", "HOME_CARE"], n)
    logu = 5 - 0.2 * np.log(units) - 0.8 * occ + 1.5 * share + 0.4 * (svc == "LTC")
    d = pd.DataFrame({"units": units, "occupancy": occ, "share_65_plus": share,
                      "service_code": svc,
                      "unit_cost_eur": np.exp(logu + rng.normal(0, 0.05, n))})
    d.loc[0, "occupancy"] = np.nan
    r = expected_cost(d, structural=["share_65_plus"], categorical=["service_code"])
    c = r.coefficients.set_index("term")["coef"]
    assert c["log_units"] == pytest.approx(-0.2, abs=0.02)
    assert c["occupancy"] == pytest.approx(-0.8, abs=0.1)
    assert c["service_code_LTC"] == pytest.approx(0.4, abs=0.03)
    diag = r.diagnostics
    assert diag["n"] == n - 1 and diag["n_excluded"] == 1
    assert r.table.loc[0, "reason"] == "occupancy missing"
    # Jarque-Bera by hand: JB = n/6 (S^2 + (K - 3)^2 / 4) of the residuals
    e = r.table["residual_log"].dropna().to_numpy()
    s_, k_ = stats.skew(e), stats.kurtosis(e, fisher=False)
    assert diag["jarque_bera"] == pytest.approx((n - 1) / 6 * (s_**2 + (k_ - 3) ** 2 / 4))
    assert 0 <= diag["breusch_pagan_p"] <= 1
    # about 95 % of the observations lie inside their 95 % prediction interval
    assert 0.88 < 1 - r.table["outside_pi"].mean() <= 1


def test_errors():
    d, _, _ = _hand()
    with pytest.raises(ct.InputError, match="lacks columns"):
        expected_cost(d)
    with pytest.raises(ct.InputError, match="usable observations"):
        expected_cost(d.iloc[:2], occupancy=None)
    r = expected_cost(pd.concat([d, d.assign(unit_cost_eur=0.0).iloc[:1]]), occupancy=None)
    assert r.table["reason"].iloc[-1] == "unit_cost_eur missing or not > 0"


def test_single_observation_category_is_refused():
    # B is the only row of its category: its dummy fits it exactly (h = 1, residual 0), and
    # HC3's e^2 / (1 - h)^2 = 0/0 would give a meaningless standard error
    d, _, _ = _hand()
    d = pd.concat([d, d.assign(municipality_code=list("EFGH"), unit_cost_eur=d["unit_cost_eur"]
                               * 1.1)], ignore_index=True)
    d["service_code"] = ["A"] * 7 + ["B"]
    with pytest.raises(ct.InputError, match=r"row 7 \(service_code='B'\) has leverage 1"):
        expected_cost(d, occupancy=None, categorical=["service_code"])
