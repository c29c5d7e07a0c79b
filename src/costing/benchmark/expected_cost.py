"""Expected unit cost: a regression of log unit cost on scale, occupancy and structure.

The residual of each observation is the part of its cost difference that the structural variables
do not explain. Method: ``methodology/08_benchmarking.md``, formulas (8.17)-(8.19).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError


@dataclass(frozen=True)
class ExpectedCostResult:
    """Fitted expected-cost model.

    Attributes
    ----------
    model : statsmodels RegressionResultsWrapper
        OLS fit with HC3 covariance.
    coefficients : pandas.DataFrame
        ``term, coef, se_hc3, t, p_value, ci_lower, ci_upper`` [log EUR per unit of the term].
    table : pandas.DataFrame
        Input rows plus ``log_unit_cost``, ``fitted_log``, ``residual_log``,
        ``expected_unit_cost_eur``, ``pi_lower_eur``, ``pi_upper_eur``,
        ``unexplained_eur`` (actual - expected), ``unexplained_share`` (exp(residual) - 1),
        ``outside_pi`` (bool) and ``reason`` (why a row was not modelled, else "").
    diagnostics : pandas.Series
        ``n, k, r2, adj_r2, breusch_pagan_lm, breusch_pagan_p, jarque_bera, jarque_bera_p,
        residual_sd, n_excluded``.
    """

    model: Any
    coefficients: pd.DataFrame
    table: pd.DataFrame
    diagnostics: pd.Series


def expected_cost(
    data: pd.DataFrame,
    *,
    unit_cost: str = "unit_cost_eur",
    scale: str | None = "units",
    occupancy: str | None = "occupancy",
    structural: Sequence[str] = (),
    categorical: Sequence[str] = (),
    alpha: float = 0.05,
) -> ExpectedCostResult:
    """Fit ln(unit cost) = b0 + b1 ln(scale) + b2 occupancy + g'z + e by OLS with HC3 errors.

    Implements formula (8.17) (the model), (8.18) (HC3 covariance,
    (X'X)^-1 X' diag(e_i^2 / (1 - h_ii)^2) X (X'X)^-1) and (8.19) (prediction interval
    exp(x0'b +- t_{1-alpha/2, n-k} sqrt(s^2 + x0' V x0)) with V the OLS covariance, and the
    unexplained difference u - exp(x0'b)). Expected cost is the median-type back-transform
    exp(fitted), not corrected for retransformation bias, so that ``unexplained_share`` is the
    residual in percent terms.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per observation (e.g. municipality x service x year), with the columns named below.
    unit_cost : str
        Column of unit costs > 0 [EUR/output unit].
    scale : str or None
        Column of the scale variable > 0, entered in logs (e.g. output units) [units/year].
    occupancy : str or None
        Column of occupancy, a fraction [-], entered linearly.
    structural : sequence of str
        Further numeric columns entered linearly (e.g. ``log_population``, ``share_65_plus``).
    categorical : sequence of str
        Columns entered as dummies (first level dropped), e.g. ``service_code``.
    alpha : float
        1 - coverage of the prediction interval (0.05 gives 95 %).

    Returns
    -------
    ExpectedCostResult

    References
    ----------
    MacKinnon & White (1985) J. Econometrics 29, 305-325 (HC3); Breusch & Pagan (1979);
    Jarque & Bera (1980).
    """
    if not 0 < alpha < 1:
        raise InputError(f"expected_cost: alpha must be in (0, 1), got {alpha!r}")
    numeric = [c for c in (unit_cost, scale, occupancy, *structural) if c is not None]
    missing = [c for c in [*numeric, *categorical] if c not in data.columns]
    if missing:
        raise InputError(f"expected_cost: data lacks columns {missing}")
    d = data.reset_index(drop=True).copy()
    vals = {c: pd.to_numeric(d[c], errors="coerce").astype(float) for c in numeric}
    reason = pd.Series("", index=d.index, dtype=object)
    for c in reversed(numeric):
        bad = ~np.isfinite(vals[c])
        if c in (unit_cost, scale):
            bad |= vals[c] <= 0
        reason = reason.where(~bad, f"{c} missing or not > 0" if c in (unit_cost, scale)
                              else f"{c} missing")
    ok = reason == ""
    x = pd.DataFrame(index=d.index)
    if scale is not None:
        x[f"log_{scale}"] = np.log(vals[scale].where(ok, 1.0))
    if occupancy is not None:
        x[occupancy] = vals[occupancy]
    for c in structural:
        x[c] = vals[c]
    for c in categorical:
        dummies = pd.get_dummies(d[c].astype(str), prefix=c, drop_first=True, dtype=float)
        x = pd.concat([x, dummies], axis=1)
    # statsmodels takes over a second to import: load it when a model is fitted, not with costing
    import statsmodels.api as sm
    from statsmodels.stats.diagnostic import het_breuschpagan
    from statsmodels.stats.stattools import jarque_bera

    x = sm.add_constant(x, has_constant="add")
    xo = x[ok]
    xo = xo.loc[:, (xo != 0).any(axis=0) | (xo.columns == "const")]
    n, k = xo.shape
    if n <= k + 1:
        raise InputError(f"expected_cost: {n} usable observations for {k} parameters; need "
                         f"at least {k + 2}")
    if np.linalg.matrix_rank(xo.to_numpy()) < k:
        raise InputError(f"expected_cost: the regressors {list(xo.columns)} are collinear")
    y = np.log(vals[unit_cost][ok])
    ols = sm.OLS(y, xo).fit()
    # leverage h_ii = 1: the row is fitted exactly (e.g. the only row of a category), its
    # residual is 0 by construction and HC3's e^2 / (1 - h)^2 is 0/0 -> a meaningless SE (8.18)
    lev = ols.get_influence().hat_matrix_diag
    if (lev > 1 - 1e-8).any():
        rows = list(np.flatnonzero(lev > 1 - 1e-8)[:5])
        labels = d.loc[ok].iloc[rows]
        what = ", ".join(f"row {int(i)}" + (" (" + ", ".join(f"{c}={r[c]!r}" for c in categorical)
                                            + ")" if categorical else "")
                         for i, (_, r) in zip(labels.index, labels.iterrows(), strict=True))
        raise InputError(f"expected_cost: {what} has leverage 1 (fitted exactly by its own "
                         "parameter, e.g. the only observation of a category); its residual and "
                         "the HC3 standard errors are undefined. Drop it or merge categories")
    fit = ols.get_robustcov_results(cov_type="HC3")
    ci = np.asarray(fit.conf_int(alpha))
    coefs = pd.DataFrame({"term": xo.columns, "coef": fit.params, "se_hc3": fit.bse,
                          "t": fit.tvalues, "p_value": fit.pvalues, "ci_lower": ci[:, 0],
                          "ci_upper": ci[:, 1]}).reset_index(drop=True)
    pred = ols.get_prediction(xo).summary_frame(alpha=alpha)
    resid = y - ols.fittedvalues
    bp = het_breuschpagan(resid, xo)
    jb = jarque_bera(resid)
    diag = pd.Series({"n": n, "k": k, "r2": ols.rsquared, "adj_r2": ols.rsquared_adj,
                      "breusch_pagan_lm": bp[0], "breusch_pagan_p": bp[1],
                      "jarque_bera": jb[0], "jarque_bera_p": jb[1],
                      "residual_sd": float(np.sqrt(ols.scale)), "n_excluded": int((~ok).sum())})
    t = d.copy()
    for col in ("log_unit_cost", "fitted_log", "residual_log", "expected_unit_cost_eur",
                "pi_lower_eur", "pi_upper_eur", "unexplained_eur", "unexplained_share"):
        t[col] = np.nan
    t.loc[ok, "log_unit_cost"] = y.to_numpy()
    t.loc[ok, "fitted_log"] = ols.fittedvalues.to_numpy()
    t.loc[ok, "residual_log"] = resid.to_numpy()
    t.loc[ok, "expected_unit_cost_eur"] = np.exp(ols.fittedvalues.to_numpy())
    t.loc[ok, "pi_lower_eur"] = np.exp(pred["obs_ci_lower"].to_numpy())
    t.loc[ok, "pi_upper_eur"] = np.exp(pred["obs_ci_upper"].to_numpy())
    t["unexplained_eur"] = vals[unit_cost].where(ok) - t["expected_unit_cost_eur"]
    t["unexplained_share"] = np.exp(t["residual_log"]) - 1
    t["outside_pi"] = ok & ((vals[unit_cost] < t["pi_lower_eur"])
                            | (vals[unit_cost] > t["pi_upper_eur"]))
    t["reason"] = reason
    return ExpectedCostResult(model=fit, coefficients=coefs, table=t, diagnostics=diag)
