"""Data envelopment analysis (DEA): radial efficiency with constant or variable returns to scale.

The envelopment linear programme of each unit is solved by HiGHS through its Python package
``highspy``. The model is built once and only the column of the radial factor and the right-hand
sides of the evaluated unit change between solves (the solver restarts from the previous optimal
basis), which is several times faster than one fresh ``scipy.optimize.linprog`` call per unit.
Method: ``methodology/08_benchmarking.md``, formulas (8.20)-(8.24).
"""

from __future__ import annotations

from typing import Literal

import highspy  # adds ~0.02 s on top of numpy, which this module imports anyway
import numpy as np
import pandas as pd

from ..errors import InputError


class _QuietHighs(highspy.Highs):
    """``highspy.Highs`` that prints nothing. highspy 1.16 writes its banner from the constructor,
    through ``enableCallbacks``, before ``output_flag`` can be set on the new instance (1.7-1.12
    do not), so the option is switched off at that point too."""

    def enableCallbacks(self):
        self.setOptionValue("output_flag", False)
        super().enableCallbacks()


Rts = Literal["crs", "vrs"]
Orientation = Literal["input", "output"]

_TOL = 1e-9


def _check(inputs: pd.DataFrame, outputs: pd.DataFrame, rts: str, orientation: str):
    if rts not in ("crs", "vrs"):
        raise InputError(f"dea: rts must be 'crs' or 'vrs', got {rts!r}")
    if orientation not in ("input", "output"):
        raise InputError(f"dea: orientation must be 'input' or 'output', got {orientation!r}")
    for name, df in (("inputs", inputs), ("outputs", outputs)):
        if not isinstance(df, pd.DataFrame) or df.shape[1] == 0 or df.shape[0] == 0:
            raise InputError(f"dea: {name} must be a non-empty DataFrame (rows = units)")
        if df.index.has_duplicates:
            dup = df.index[df.index.duplicated()].unique().tolist()
            raise InputError(f"dea: {name} has duplicate unit labels {dup[:5]}")
    if not inputs.index.equals(outputs.index):
        raise InputError("dea: inputs and outputs must have the same units in the same order "
                         "(their indexes differ)")
    for name, df in (("inputs", inputs), ("outputs", outputs)):
        text = [c for c in df.columns if not pd.api.types.is_numeric_dtype(df[c])]
        if text:
            raise InputError(f"dea: {name} column {text[0]!r} is not numeric "
                             f"(dtype {df[text[0]].dtype}); every value must be a number")
    x = inputs.to_numpy(dtype=float)
    y = outputs.to_numpy(dtype=float)
    for name, df, a in (("inputs", inputs, x), ("outputs", outputs, y)):
        bad = ~np.isfinite(a)
        if bad.any():
            i, j = np.argwhere(bad)[0]
            raise InputError(f"dea: {name} unit {df.index[i]!r}, column {df.columns[j]!r} is "
                             f"{a[i, j]!r}; every value must be a finite number")
    if (x <= 0).any():
        i, j = np.argwhere(x <= 0)[0]
        raise InputError(f"dea: inputs unit {inputs.index[i]!r}, column {inputs.columns[j]!r} = "
                         f"{x[i, j]!r}; inputs must be > 0")
    if (y < 0).any():
        i, j = np.argwhere(y < 0)[0]
        raise InputError(f"dea: outputs unit {outputs.index[i]!r}, column {outputs.columns[j]!r} "
                         f"= {y[i, j]!r}; outputs must be >= 0")
    none = ~(y > 0).any(axis=1)
    if none.any():
        raise InputError(f"dea: unit {outputs.index[np.argmax(none)]!r} has no positive output; "
                         "every unit needs at least one output > 0")
    return x, y


def _matrix(x: np.ndarray, y: np.ndarray, vrs: bool):
    """Constraint matrix (rows: inputs, outputs, [convexity]) of columns [t, lambda, s-, s+]."""
    n, m = x.shape
    s = y.shape[1]
    nrow = m + s + (1 if vrs else 0)
    a = np.zeros((nrow, 1 + n + m + s))
    a[:m, 1:1 + n] = x.T
    a[m:m + s, 1:1 + n] = y.T
    a[:m, 1 + n:1 + n + m] = np.eye(m)
    a[m:m + s, 1 + n + m:] = -np.eye(s)
    if vrs:
        a[m + s, 1:1 + n] = 1.0
    return a


def _unit_lp(a, x, y, o, vrs, orientation):
    """The t-column coefficients and row right-hand sides of unit ``o`` (formulas 8.20, 8.21)."""
    m, s = x.shape[1], y.shape[1]
    tcol = np.zeros(a.shape[0])
    rhs = np.zeros(a.shape[0])
    if orientation == "input":
        tcol[:m] = -x[o]
        rhs[m:m + s] = y[o]
    else:
        tcol[m:m + s] = -y[o]
        rhs[:m] = x[o]
    if vrs:
        rhs[m + s] = 1.0
    return tcol, rhs


class _HighsModel:
    """One HiGHS model reused for every unit: only the t column, row bounds and t bounds change.

    HiGHS keeps the optimal basis of the previous unit and restarts the simplex from it."""

    def __init__(self, a: np.ndarray, cost: np.ndarray):
        nrow, ncol = a.shape
        inf = highspy.kHighsInf
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = ncol, nrow
        lp.col_cost_ = cost
        lp.col_lower_ = np.zeros(ncol)
        lp.col_upper_ = np.full(ncol, inf)
        lp.col_lower_[0] = -inf
        lp.row_lower_ = np.zeros(nrow)
        lp.row_upper_ = np.zeros(nrow)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = ncol, nrow
        # the t column keeps a structural entry in every row so changeCoeff never adds fill-in
        dense = a.copy()
        dense[:, 0] = 1.0
        nz = dense != 0
        lp.a_matrix_.start_ = np.concatenate([[0], np.cumsum(nz.sum(axis=0))]).astype(np.int32)
        lp.a_matrix_.index_ = np.nonzero(nz.T)[1].astype(np.int32)
        lp.a_matrix_.value_ = a.T[nz.T]
        self.h = _QuietHighs()
        self.h.setOptionValue("output_flag", False)
        self.h.passModel(lp)
        self.nrow = nrow

    def solve(self, tcol, rhs, t_bounds=None):
        """The optimal columns, or None if HiGHS did not reach an optimum (the caller then falls
        back to a fresh ``linprog`` solve)."""
        h = self.h
        for r in range(self.nrow):
            h.changeCoeff(r, 0, float(tcol[r]))
            h.changeRowBounds(r, float(rhs[r]), float(rhs[r]))
        if t_bounds is not None:
            h.changeColBounds(0, float(t_bounds[0]), float(t_bounds[1]))
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        return np.asarray(h.getSolution().col_value)


def _solve_all(x, y, vrs, orientation, slacks, engine):
    n, m = x.shape
    a = _matrix(x, y, vrs)
    ncol = a.shape[1]
    cost1 = np.zeros(ncol)
    cost1[0] = 1.0 if orientation == "input" else -1.0
    cost2 = np.zeros(ncol)
    cost2[1 + n:] = -1.0  # phase 2: maximise the sum of slacks (formula 8.22)
    sols = np.empty((n, ncol))
    t_star = np.empty(n)
    use_highs = engine == "highs"
    if use_highs:
        p1 = _HighsModel(a, cost1)
        p2 = _HighsModel(a, cost2) if slacks else None
    for o in range(n):
        tcol, rhs = _unit_lp(a, x, y, o, vrs, orientation)
        sol = p1.solve(tcol, rhs) if use_highs else None
        if sol is None:  # the reference path, or a retry with a fresh model
            sol = _linprog(a, tcol, rhs, cost1, None)
        if sol is None:
            raise InputError(f"dea: the LP of unit number {o} (0-based) has no optimal "
                             "solution; check that its inputs and outputs are plausible")
        t_star[o] = sol[0]
        sols[o] = sol
    if slacks:
        for o in range(n):
            tcol, rhs = _unit_lp(a, x, y, o, vrs, orientation)
            tb = (t_star[o], t_star[o])
            sol = p2.solve(tcol, rhs, tb) if use_highs else None
            if sol is None:  # retry with a fresh model; phase 1 guarantees feasibility
                sol = _linprog(a, tcol, rhs, cost2, tb)
            if sol is None:
                raise InputError(f"dea: the slack LP (second phase) of unit number {o} failed; "
                                 "rescale the data or call dea(..., slacks=False)")
            sols[o] = sol
    return t_star, sols


def _linprog(a, tcol, rhs, cost, t_bounds):
    from scipy.optimize import linprog

    a = a.copy()
    a[:, 0] = tcol
    bounds = [(None, None) if t_bounds is None else t_bounds] + [(0, None)] * (a.shape[1] - 1)
    res = linprog(cost, A_eq=a, b_eq=rhs, bounds=bounds, method="highs")
    return res.x if res.status == 0 else None


def dea(
    inputs: pd.DataFrame,
    outputs: pd.DataFrame,
    rts: Rts = "crs",
    orientation: Orientation = "input",
    *,
    slacks: bool = True,
    return_lambdas: bool = False,
    engine: Literal["highs", "linprog"] = "highs",
) -> pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]:
    """Radial DEA efficiency of every unit, with peers and second-phase slacks.

    Implements formulas (8.20) (input orientation), (8.21) (output orientation), (8.22) (second
    phase: maximal slacks at the optimal radial factor) and (8.23) (peers).

    Parameters
    ----------
    inputs : pandas.DataFrame
        One row per unit (index = unit label), one column per input; values > 0 [input units].
        Columns are rescaled by their mean before solving (radial DEA is unit-invariant); slacks
        are reported in the original units.
    outputs : pandas.DataFrame
        Same index as ``inputs``, one column per output; values >= 0, at least one > 0 per unit.
    rts : {"crs", "vrs"}
        Constant (CCR) or variable (BCC, convexity constraint sum(lambda) = 1) returns to scale.
    orientation : {"input", "output"}
        Input orientation: theta = smallest factor that scales the unit's inputs onto the frontier.
        Output orientation: phi >= 1 = largest factor for its outputs; efficiency = 1/phi.
    slacks : bool
        Solve the second phase (8.22). Without it lambdas are those of the first phase.
    return_lambdas : bool
        Also return the peer weights as a long table (unit, peer, lambda) of the non-zero ones.
    engine : {"highs", "linprog"}
        "highs" reuses one HiGHS model between units (fast); "linprog" calls
        ``scipy.optimize.linprog`` once per unit (reference, slower).

    Returns
    -------
    pandas.DataFrame
        Index = units. ``efficiency`` in (0, 1] [-]; ``phi`` (output orientation only) [-];
        ``slack_in_<input>`` and ``slack_out_<output>`` (with ``slacks``) [input/output units];
        ``peers``: the units with lambda > 1e-9 joined by ``|``; ``lambda_sum`` [-].
        With ``return_lambdas`` a tuple (scores, lambdas).

    References
    ----------
    Charnes, Cooper & Rhodes (1978); Banker, Charnes & Cooper (1984); Cooper, Seiford & Tone,
    *Data Envelopment Analysis*, 2nd ed., Springer 2007, ch. 1-4; Bogetoft & Otto,
    *Benchmarking with DEA, SFA, and R*, Springer 2011, ch. 4 (R package ``Benchmarking``).

    Examples
    --------
    >>> x = pd.DataFrame({"staff": [2.0, 3, 3]}, index=["A", "B", "C"])
    >>> y = pd.DataFrame({"sales": [1.0, 3, 2]}, index=["A", "B", "C"])
    >>> dea(x, y)["efficiency"].round(4).tolist()
    [0.5, 1.0, 0.6667]
    """
    x, y = _check(inputs, outputs, rts, orientation)
    if engine not in ("highs", "linprog"):
        raise InputError(f"dea: engine must be 'highs' or 'linprog', got {engine!r}")
    xs, ys = x.mean(axis=0), y.mean(axis=0)
    ys = np.where(ys > 0, ys, 1.0)
    n, m = x.shape
    t, sol = _solve_all(x / xs, y / ys, rts == "vrs", orientation, slacks, engine)
    lam = sol[:, 1:1 + n]
    lam = np.where(lam > _TOL, lam, 0.0)
    out = pd.DataFrame(index=inputs.index.copy())
    if orientation == "input":
        out["efficiency"] = np.minimum(t, 1.0)
    else:
        phi = np.maximum(t, 1.0)
        out["efficiency"] = 1.0 / phi
        out["phi"] = phi
    if slacks:
        sx = np.clip(sol[:, 1 + n:1 + n + m], 0, None) * xs
        sy = np.clip(sol[:, 1 + n + m:], 0, None) * ys
        for j, c in enumerate(inputs.columns):
            out[f"slack_in_{c}"] = np.where(sx[:, j] > 1e-7 * xs[j], sx[:, j], 0.0)
        for j, c in enumerate(outputs.columns):
            out[f"slack_out_{c}"] = np.where(sy[:, j] > 1e-7 * ys[j], sy[:, j], 0.0)
    labels = np.asarray(inputs.index, dtype=object)
    out["peers"] = ["|".join(str(v) for v in labels[row > 0]) for row in lam]
    out["lambda_sum"] = lam.sum(axis=1)
    if not return_lambdas:
        return out
    i, j = np.nonzero(lam)
    lambdas = pd.DataFrame({"unit": labels[i], "peer": labels[j], "lambda": lam[i, j]})
    return out, lambdas


def scale_efficiency(
    inputs: pd.DataFrame, outputs: pd.DataFrame, orientation: Orientation = "input"
) -> pd.DataFrame:
    """Technical efficiency under CRS and VRS and their ratio, the scale efficiency.

    Implements formula (8.24): SE = E_CRS / E_VRS in (0, 1]; SE = 1 means the unit operates at
    most productive scale size.

    Parameters
    ----------
    inputs, outputs : pandas.DataFrame
        As in :func:`dea`.
    orientation : {"input", "output"}
        Orientation of both models.

    Returns
    -------
    pandas.DataFrame
        Index = units; columns ``crs``, ``vrs``, ``scale`` [-].
    """
    crs = dea(inputs, outputs, "crs", orientation, slacks=False)["efficiency"]
    vrs = dea(inputs, outputs, "vrs", orientation, slacks=False)["efficiency"]
    return pd.DataFrame({"crs": crs, "vrs": vrs, "scale": np.minimum(crs / vrs, 1.0)})
