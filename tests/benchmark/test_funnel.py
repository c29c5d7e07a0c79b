"""Funnel-plot control limits (formulas 8.30-8.33, Spiegelhalter 2005)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import costing as ct
from costing.benchmark.funnel import funnel_limits, funnel_position, plot_funnel


def test_binomial_normal_hand_example():
    # p0 = 0.1, n = 100: sd = sqrt(0.1 * 0.9 / 100) = 0.03
    # 95 %:   1.959964 * 0.03 = 0.058799 -> [0.041201, 0.158799]
    # 99.8 %: 3.090232 * 0.03 = 0.092707 -> [0.007293, 0.192707]
    r = funnel_limits(0.1, [100], kind="binomial").iloc[0]
    assert r["lower_95"] == pytest.approx(0.041201, abs=1e-6)
    assert r["upper_95"] == pytest.approx(0.158799, abs=1e-6)
    assert r["lower_99_8"] == pytest.approx(0.007293, abs=1e-6)
    assert r["upper_99_8"] == pytest.approx(0.192707, abs=1e-6)


def test_poisson_per_1000_hand_example():
    # theta0 = 20 per 1,000 = 0.02, n = 1,000: sd = sqrt(0.02 / 1000) = 0.0044721
    # 95 %: 1.959964 * 0.0044721 = 0.0087652 -> per 1,000: [11.2348, 28.7652]
    r = funnel_limits(0.02, [1000], kind="poisson", per=1000).iloc[0]
    assert r["target"] == 20
    assert r["lower_95"] == pytest.approx(11.2348, abs=1e-4)
    assert r["upper_95"] == pytest.approx(28.7652, abs=1e-4)


def test_exact_limits_interpolate_between_counts():
    # Spiegelhalter (2005) A.1.1: r = F^-1(0.975); the limit (r - alpha)/n lies in ((r-1)/n, r/n]
    n, p0 = 100, 0.1
    r = stats.binom(n, p0).ppf(0.975)  # = 16
    up = funnel_limits(p0, [n], kind="binomial", method="exact").loc[0, "upper_95"]
    assert (r - 1) / n < up <= r / n
    # large n: exact and normal limits agree closely
    big = funnel_limits(0.02, [1e6], method="exact")
    nor = funnel_limits(0.02, [1e6])
    np.testing.assert_allclose(big.filter(like="per").to_numpy(), nor.filter(like="per"), rtol=1e-2)
    np.testing.assert_allclose(big["upper_99_8"], nor["upper_99_8"], rtol=2e-3)


def test_position_bands_and_z():
    # pooled target = (10 + 50 + 40) / (1000 + 2000 + 2000) = 100 / 5000 = 0.02
    pos = funnel_position([10, 50, 40], [1000, 2000, 2000])
    assert pos.loc[0, "target"] == pytest.approx(0.02)
    # given target 0.02:
    # unit 1: rate 0.01,  z = (0.01 - 0.02) / sqrt(0.02/1000) = -2.2361 -> below 95 %, not 99.8 %
    # unit 2: rate 0.025, z = 0.005 / sqrt(0.02/2000) = 0.005 / 0.0031623 = 1.5811 -> inside
    # unit 3: rate 0.035, z = 0.015 / 0.0031623 = 4.7434 -> above 99.8 %
    pos = funnel_position([10, 50, 70], [1000, 2000, 2000], target=0.02)
    np.testing.assert_allclose(pos["z"], [-2.2361, 1.5811, 4.7434], atol=1e-4)
    assert pos["band"].tolist() == ["below_95", "inside", "above_99_8"]


@settings(max_examples=100, deadline=None)
@given(st.floats(0.001, 0.5), st.floats(10, 1e6))
def test_limits_nest_and_narrow(p0, n):
    a = funnel_limits(p0, [n, 4 * n], kind="binomial")
    assert (a["lower_99_8"] <= a["lower_95"]).all() and (a["upper_95"] <= a["upper_99_8"]).all()
    w = a["upper_95"] - a["lower_95"]
    assert w[1] <= w[0] + 1e-12  # more data -> narrower funnel


def test_plot_and_errors():
    d = pd.DataFrame({"municipality_code": ["A", "B", "C"], "clients": [10, 50, 40],
                      "population": [1000, 2000, 2000]})
    ax = plot_funnel(d, events="clients", n="population", highlight="B", per=1000)
    assert ax.get_xscale() == "log"
    assert any(t.get_text() == "B" for t in ax.texts)
    with pytest.raises(ct.InputError, match="highlight 'Z'"):
        plot_funnel(d, events="clients", n="population", highlight="Z")
    with pytest.raises(ct.InputError, match="n must be"):
        funnel_limits(0.1, [0])
    with pytest.raises(ct.InputError, match="level"):
        funnel_limits(0.1, [10], levels=(95,))


def test_overdispersion_hand_example():
    from costing.benchmark.funnel import overdispersion

    # no winsorising: (4 + 1 + 0 + 1 + 4) / 5 = 2
    assert overdispersion([-2.0, -1, 0, 1, 2], winsor=0.0) == pytest.approx(2.0)
    # 20 % winsorising: quantiles -1.2 and 1.2 -> (1.44 + 1 + 0 + 1 + 1.44) / 5 = 0.976
    assert overdispersion([-2.0, -1, 0, 1, 2], winsor=0.2) == pytest.approx(0.976)
    # phi = 4 doubles the half-width of the normal limits
    a = funnel_limits(0.1, [100], kind="binomial")
    b = funnel_limits(0.1, [100], kind="binomial", phi=4.0)
    assert (b["upper_95"] - 0.1).iloc[0] == pytest.approx(2 * (a["upper_95"] - 0.1).iloc[0])
    # with the limits widened, unit 3 of the earlier example (z = 4.74) falls inside 99.8 %:
    # sqrt(phi) * 3.090232 > 4.7434 needs phi > 2.356
    pos = funnel_position([10, 50, 70], [1000, 2000, 2000], target=0.02, phi=2.5)
    assert pos.loc[2, "band"] == "above_95" and pos.loc[2, "z"] == pytest.approx(4.7434, abs=1e-4)
    est = funnel_position([10, 50, 70], [1000, 2000, 2000], target=0.02, phi="estimate")
    assert est["phi"].iloc[0] >= 1.0
    with pytest.raises(ct.InputError, match="phi"):
        funnel_limits(0.1, [100], phi=2.0, method="exact")


def test_rank_intervals():
    from costing.benchmark.funnel import rank_intervals

    # large, well-separated units: every replicate keeps the order -> degenerate intervals
    r = rank_intervals([1000, 2000, 3000], [100_000] * 3, labels=list("ABC"))
    assert r["rank"].tolist() == [1.0, 2.0, 3.0]
    assert (r["rank_lower"] == r["rank"]).all() and (r["rank_upper"] == r["rank"]).all()
    assert r.loc["A", "p_top_quarter"] == 1.0  # ceil(3 / 4) = 1: only rank 1 is the top quarter
    # "higher is better" reverses the order
    assert rank_intervals([1000, 2000, 3000], [100_000] * 3, better="higher")["rank"].tolist() \
        == [3.0, 2.0, 1.0]
    # small identical units: the rank could be anything from 1 to 10
    s = rank_intervals([5] * 10, [1000] * 10, seed=1)
    assert (s["rank"] == 5.5).all()
    assert s["rank_lower"].max() <= 2 and s["rank_upper"].min() >= 9
    b = rank_intervals([5, 50], [100, 100], kind="binomial")
    assert (b["rank_lower"] <= b["rank"]).all() and (b["rank"] <= b["rank_upper"]).all()
    with pytest.raises(ct.InputError, match="binomial events"):
        rank_intervals([5, 500], [100, 100], kind="binomial")


def test_position_bad_input_messages():
    with pytest.raises(ct.InputError, match=r"n\[1\] = 0.0"):
        funnel_position([1, 2], [10, 0])
    with pytest.raises(ct.InputError, match="got 0 events"):
        funnel_position([], [])
    # a proportion above 1 is not a binomial observation
    with pytest.raises(ct.InputError, match=r"events\[0\] = 5.0 exceed n\[0\] = 3.0"):
        funnel_position([5, 2], [3, 10], kind="binomial")
    with pytest.raises(ct.InputError, match="kind must be"):
        funnel_position([5, 2], [30, 10], kind="normal")
    # target 0 with events: the z-score would be infinite, not 0
    with pytest.raises(ct.InputError, match="zero variance"):
        funnel_position([5, 2], [30, 10], target=0.0)
    # all zero events: the pooled target is 0 and every unit sits on it (z = 0, inside)
    pos = funnel_position([0, 0], [30, 10])
    assert (pos["z"] == 0).all() and (pos["band"] == "inside").all()


def test_exact_poisson_limits_hand_example():
    # Spiegelhalter (2005) A.1.1 with theta0 = 0.01, n = 1,000: expected count 10, Poisson(10)
    # upper 95 %: r = 17 (F(16) = 0.972958, F(17) = 0.985722);
    #   alpha = (0.985722 - 0.975) / (0.985722 - 0.972958) = 0.010722 / 0.012764 = 0.840050
    #   limit = (17 - 0.840050) / 1000 = 0.0161600
    # lower 95 %: r = 4 (F(3) = 0.010336, F(4) = 0.029253);
    #   alpha = (0.029253 - 0.025) / (0.029253 - 0.010336) = 0.004253 / 0.018917 = 0.224812
    #   limit = (4 - 0.224812) / 1000 = 0.0037752
    r = funnel_limits(0.01, [1000], method="exact").iloc[0]
    assert r["upper_95"] == pytest.approx(0.0161600, abs=2e-7)
    assert r["lower_95"] == pytest.approx(0.0037752, abs=2e-7)
