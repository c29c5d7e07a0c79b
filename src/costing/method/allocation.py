"""Allocation of support and administration cost centres to final (service) cost centres.

Three textbook methods (chapter 3 of ``methodology/``): direct, step-down and reciprocal. All
conserve the total cost exactly (up to floating-point rounding): what the support centres spend
ends up in the final centres, nothing more, nothing less.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from ..errors import InputError, MethodRefusal

ALLOCATION_METHODS = ("direct", "step_down", "reciprocal")


def _prepare(
    direct_costs: pd.Series, usage: pd.DataFrame, support: Iterable[str]
) -> tuple[pd.Series, pd.DataFrame, list[str], list[str]]:
    """Check the inputs and return costs, the share matrix A (rows sum to 1), supports, finals."""
    if not isinstance(direct_costs, pd.Series):
        raise InputError("direct_costs must be a pandas Series indexed by cost centre id")
    if not isinstance(usage, pd.DataFrame):
        raise InputError("usage must be a DataFrame: rows = support centre giving, columns = "
                         "centres receiving")
    costs = direct_costs.copy()
    costs.index = costs.index.astype(str)
    if costs.index.has_duplicates:
        dup = costs.index[costs.index.duplicated()].unique().tolist()
        raise InputError(f"direct_costs lists cost centre(s) {dup} more than once")
    costs = pd.to_numeric(costs, errors="coerce").astype(float)
    if costs.isna().any() or not np.isfinite(costs.to_numpy()).all():
        bad = costs.index[~np.isfinite(costs.to_numpy())].tolist()
        raise InputError(f"direct_costs must be finite numbers; missing or infinite for {bad}")
    if (costs < 0).any():
        bad = costs[costs < 0].to_dict()
        raise InputError(f"direct_costs must be >= 0; negative for {bad} (net off refunds in the "
                         "expenditure before allocating)")
    support = [str(s) for s in support]
    if len(set(support)) != len(support):
        raise InputError(f"support lists a centre more than once: {support}")
    centres = set(costs.index)
    unknown = [s for s in support if s not in centres]
    if unknown:
        raise InputError(f"support centre(s) {unknown} have no entry in direct_costs")
    finals = [c for c in costs.index if c not in set(support)]
    if not finals:
        raise InputError("there is no final (service) cost centre to allocate to")

    use = usage.copy()
    use.index, use.columns = use.index.astype(str), use.columns.astype(str)
    bad_rows = [r for r in use.index if r not in set(support)]
    if bad_rows:
        raise InputError(f"usage rows must be support centres; unknown or not support: {bad_rows}")
    bad_cols = [c for c in use.columns if c not in centres]
    if bad_cols:
        raise InputError(f"usage columns name unknown cost centre(s) {bad_cols} "
                         "(not in direct_costs)")
    if not all(pd.api.types.is_numeric_dtype(t) for t in use.dtypes):
        numeric = use.apply(pd.to_numeric, errors="coerce")
        bad = numeric.isna() & use.notna()
        if bad.to_numpy().any():
            r, c = np.argwhere(bad.to_numpy())[0]
            raise InputError(f"usage from {use.index[r]!r} to {use.columns[c]!r} is not a "
                             f"number: {use.iat[r, c]!r}")
        use = numeric
    use = use.reindex(index=support, columns=costs.index)
    missing_rows = [s for s in support if s not in usage.index.astype(str)]
    if missing_rows:
        raise MethodRefusal(f"support centre(s) {missing_rows} have costs but no driver row in "
                            "usage: add drivers saying whom they serve",
                            rule="driver_row_missing", table="expenditure",
                            column="cost_centre_id", where={"cost_centre_id": missing_rows},
                            value=", ".join(missing_rows))
    values = use.to_numpy(dtype=float)
    values = np.where(np.isnan(values), 0.0, values)
    if not np.isfinite(values).all():
        raise InputError("usage contains infinite driver quantities")
    if (values < 0).any():
        r, c = np.argwhere(values < 0)[0]
        raise InputError(f"negative driver quantity {values[r, c]} from {support[r]!r} to "
                         f"{costs.index[c]!r}; driver quantities must be >= 0")
    for i, s in enumerate(support):  # a support centre's use of itself is ignored
        values[i, costs.index.get_loc(s)] = 0.0
    totals = values.sum(axis=1)
    zero = [s for s, t in zip(support, totals, strict=True) if t <= 0]
    if zero:
        raise MethodRefusal(f"driver row of support centre(s) {zero} sums to zero (after "
                            "ignoring self-use): their cost cannot be allocated",
                            rule="driver_row_zero", table="drivers", column="quantity",
                            where={"from_centre_id": zero}, value="0")
    shares = pd.DataFrame(values / totals[:, None], index=support, columns=costs.index)
    return costs, shares, support, finals


def _result(costs: pd.Series, finals: list[str], support: list[str],
            allocated: np.ndarray) -> pd.DataFrame:
    out = pd.DataFrame(allocated, index=pd.Index(finals, name="cost_centre_id"), columns=support)
    out.insert(0, "direct", costs.loc[finals].to_numpy(dtype=float))
    out["total"] = out["direct"] + out[support].sum(axis=1) if support else out["direct"]
    return out


def reciprocal_support_costs(
    direct_costs: pd.Series, usage: pd.DataFrame, support: Iterable[str]
) -> pd.Series:
    """Total cost of each support centre after reciprocal services, ``S = (I - A_ssᵀ)⁻¹ D_s``.

    Implements formula (3.4).

    Parameters
    ----------
    direct_costs, usage, support
        As in :func:`allocate_overheads`.

    Returns
    -------
    pandas.Series
        ``S_i`` by support centre: its own cost plus what it receives from the others. [EUR]
    """
    costs, shares, support, _ = _prepare(direct_costs, usage, support)
    return _solve_reciprocal(costs, shares, support)


def _solve_reciprocal(costs: pd.Series, shares: pd.DataFrame, support: list[str]) -> pd.Series:
    a_ss = shares.loc[support, support].to_numpy(dtype=float)
    d_s = costs.loc[support].to_numpy(dtype=float)
    system = np.eye(len(support)) - a_ss.T
    # Singular when a group of support centres serves only itself: its cost never reaches a
    # final centre. A very large condition number means the same in floating point.
    if len(support) and not np.linalg.cond(system) < 1e12:  # singular: cond is inf
        closed = [s for s, f in zip(support, shares.loc[support, support].sum(axis=1), strict=True)
                  if f >= 1 - 1e-12]
        raise MethodRefusal("the reciprocal system S = D + Aᵀ S has no unique solution: "
                            f"support centre(s) {closed} serve only other support centres, so "
                            "their costs never reach a service centre",
                            rule="allocation_singular", table="drivers", column="to_centre_id",
                            where={"from_centre_id": closed}, value=", ".join(closed))
    return pd.Series(np.linalg.solve(system, d_s) if support else [], index=support,
                     dtype=float, name="support_cost_eur")


def _default_order(costs: pd.Series, shares: pd.DataFrame, support: list[str]) -> list[str]:
    """Step-down default (3.3): most service to other support centres first.

    Ranked by the share of the centre's driver that goes to other support centres (descending),
    ties broken by larger direct cost, then by id.
    """
    to_support = shares.loc[support, support].sum(axis=1)
    key = pd.DataFrame({"share": to_support, "cost": costs.loc[support], "id": support})
    return key.sort_values(["share", "cost", "id"], ascending=[False, False, True])["id"].tolist()


def allocate_overheads(
    direct_costs: pd.Series,
    usage: pd.DataFrame,
    support: Iterable[str],
    method: str = "reciprocal",
    order: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Allocate support/admin cost centres to the final cost centres by driver quantities.

    With ``a_ij`` = share of support centre *i*'s driver used by centre *j* (self-use ignored,
    formula (3.1)):

    * ``"direct"`` (3.2): support-to-support use is ignored; ``C_i`` is spread over the final
      centres in proportion to ``a_ip / Σ_q a_iq``.
    * ``"step_down"`` (3.3): in ``order`` (default: most service to other support centres first),
      each support centre allocates its own plus received cost to the centres not yet closed.
    * ``"reciprocal"`` (3.4): ``S = (I − Aᵀ)⁻¹ D`` over the support centres; final centre *p*
      receives ``Σ_i S_i a_ip``.

    Parameters
    ----------
    direct_costs : pandas.Series
        Direct cost of every cost centre (support and final), indexed by cost centre id. [EUR]
    usage : pandas.DataFrame
        Driver quantities: rows = support centre giving, columns = centres receiving. Missing
        cells count as 0.
    support : iterable of str
        Ids of the support and administration centres; every other centre is final.
    method : {"direct", "step_down", "reciprocal"}
    order : sequence of str, optional
        Step-down order (every support centre exactly once).

    Returns
    -------
    pandas.DataFrame
        Indexed by final centre: ``direct``, one column per support centre (the cost that centre
        passes on to the final centre) [EUR], and ``total``. ``total`` sums to
        ``direct_costs.sum()`` (formula (3.5)).

    Raises
    ------
    InputError
        Unknown method or centre, negative driver, a driver row summing to zero, a support centre
        with no use by final centres (direct method) or a reciprocal system with no solution.

    Examples
    --------
    >>> d = pd.Series({"ADM": 100.0, "S1": 60.0, "S2": 40.0})
    >>> u = pd.DataFrame({"S1": [1.0], "S2": [3.0]}, index=["ADM"])
    >>> allocate_overheads(d, u, ["ADM"])["total"].tolist()
    [85.0, 115.0]
    """
    if method not in ALLOCATION_METHODS:
        raise InputError(f"allocation method must be one of {ALLOCATION_METHODS}, got {method!r}")
    costs, shares, support, finals = _prepare(direct_costs, usage, support)
    if not support:
        return _result(costs, finals, support, np.zeros((len(finals), 0)))
    if method == "direct":
        to_final = shares.loc[support, finals]
        sums = to_final.sum(axis=1)
        no_final = sums.index[sums <= 0].tolist()
        if no_final:
            raise MethodRefusal(f"direct method: support centre(s) {no_final} serve no final "
                                "centre, so their cost cannot be allocated directly; use "
                                "'step_down' or 'reciprocal'",
                                rule="direct_no_final", table="drivers", column="to_centre_id",
                                where={"from_centre_id": no_final}, value=", ".join(no_final))
        alloc = to_final.div(sums, axis=0).mul(costs.loc[support], axis=0)
        return _result(costs, finals, support, alloc.T.to_numpy())
    if method == "reciprocal":
        s = _solve_reciprocal(costs, shares, support)
        alloc = shares.loc[support, finals].mul(s, axis=0)
        return _result(costs, finals, support, alloc.T.to_numpy())
    # step-down
    if order is None:
        order = _default_order(costs, shares, support)
    order = [str(o) for o in order]
    if sorted(order) != sorted(support):
        raise InputError(f"step-down order must list every support centre exactly once; got "
                         f"{order}, support centres are {support}")
    pool = costs.loc[support].astype(float).copy()
    alloc = pd.DataFrame(0.0, index=support, columns=finals)
    for k, s in enumerate(order):
        open_support = order[k + 1:]
        recipients = shares.loc[s, open_support + finals]
        total = recipients.sum()
        if total <= 0:
            raise InputError(f"step-down: support centre {s!r} serves only centres already "
                             f"closed earlier in the order {order}; choose another order")
        amounts = recipients / total * pool[s]
        pool[open_support] += amounts[open_support]
        alloc.loc[s, finals] = amounts[finals].to_numpy()
    return _result(costs, finals, support, alloc.T.to_numpy())
