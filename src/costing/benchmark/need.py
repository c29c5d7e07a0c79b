"""Expenditure need from the age structure (a cost key) and need-adjusted spending, ASSS style.

Method: ``methodology/08_benchmarking.md``, formulas (8.8)-(8.11).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import InputError, MethodRefusal

#: Norwegian cost-key weights for pleie og omsorg (care services), St.meld. nr. 6 (2003-2004),
#: ch. 12, mapped to our age groups: 0-15 (0.051) -> 0-17, 16-66 (0.044) -> 18-64,
#: 67-79 (0.137) -> 65-79, 80-89 (0.253) + 90+ (0.096) -> 80+. The age criteria carry 0.581 of
#: the Norwegian key; the rest (disability, deaths, living alone, ...) has no counterpart in our
#: data, so the four weights are divided by 0.581 to sum to 1 (an age-only key).
NORWAY_2004_CARE_WEIGHTS_RAW: dict[str, float] = {
    "0-17": 0.051, "18-64": 0.044, "65-79": 0.137, "80+": 0.253 + 0.096}
_AGE_SHARE = sum(NORWAY_2004_CARE_WEIGHTS_RAW.values())  # 0.581
DEFAULT_NEED_WEIGHTS: dict[str, float] = {
    k: v / _AGE_SHARE for k, v in NORWAY_2004_CARE_WEIGHTS_RAW.items()}


def need_index(
    population: pd.DataFrame,
    weights: Mapping[str, float] | None = None,
    *,
    by: tuple[str, ...] = ("year",),
    codes: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Cost-key need index of each municipality from its age structure.

    Implements formula (8.8):
    ``I_m = sum_k w_k * (x_km / P_m) / (x_kN / P_N)`` where x_km is the population of age group k
    in municipality m, P_m its total, and N the whole set of municipalities in ``population``
    (per ``by`` cell). Weights are normalised to sum to 1, so a municipality with the average age
    structure has I = 1.

    Parameters
    ----------
    population : pandas.DataFrame
        Long table with ``atvk_code`` or ``municipality_code``, ``age_group``, ``population``
        [inhabitants] and the ``by`` columns (the ``population`` reference table).
    weights : mapping of str to float, optional
        Weight of each age group (>= 0, not all 0) [-]; default :data:`DEFAULT_NEED_WEIGHTS`.
    by : tuple of str
        Columns that define separate reference sets (normally the year).
    codes : sequence of str, optional
        Municipalities forming the network N (e.g. those of the dataset). Give them when the
        population table holds overlapping units, such as both the pre-merger and the merged
        Madona in 2025, which would otherwise be counted twice.

    Returns
    -------
    pandas.DataFrame
        ``municipality_code``, ``by`` columns, ``population`` [inhabitants], ``need_index`` [-].

    References
    ----------
    St.meld. nr. 6 (2003-2004), ch. 12 (Norwegian cost key, weights for care services).
    """
    w = dict(DEFAULT_NEED_WEIGHTS if weights is None else weights)
    if not w or any((not np.isfinite(v)) or v < 0 for v in w.values()) or sum(w.values()) <= 0:
        raise InputError(f"need_index: weights must be finite, >= 0 and not all 0, got {w}")
    total_w = sum(w.values())
    w = {k: v / total_w for k, v in w.items()}
    pop = population.rename(columns={"atvk_code": "municipality_code"})
    by = tuple(by)
    need = ["municipality_code", "age_group", "population", *by]
    missing = [c for c in need if c not in pop.columns]
    if missing:
        raise InputError(f"need_index: population lacks columns {missing}")
    if codes is not None:
        absent = sorted(set(codes) - set(pop["municipality_code"].astype(str)))
        if absent:
            raise MethodRefusal(f"need_index: no population for municipalities {absent[:5]}",
                                rule="population_missing", table="population", column="year",
                                where={"atvk_code": absent}, municipality_code=absent[0])
        pop = pop[pop["municipality_code"].astype(str).isin(set(codes))]
    v = pd.to_numeric(pop["population"], errors="coerce")
    bad = ~np.isfinite(v.to_numpy(dtype=float)) | (v.to_numpy(dtype=float) < 0)
    if bad.any():
        i = int(np.argmax(bad))
        r = pop.iloc[i]
        raise InputError(f"need_index: population of {r['municipality_code']!r}, age group "
                         f"{r['age_group']!r} is {float(v.iloc[i])!r}; must be a number >= 0")
    pop = pop.assign(population=v.astype(float))
    groups = set(pop["age_group"].unique())
    absent = sorted(set(w) - groups)
    if absent:
        raise InputError(f"need_index: weight given for age groups {absent} that are not in the "
                         f"population table (it has {sorted(groups)})")
    wide = pop.pivot_table(index=["municipality_code", *by], columns="age_group",
                           values="population", aggfunc="sum", fill_value=0).astype(float)
    total = wide.sum(axis=1)
    if (total <= 0).any():
        key = total.index[np.argmax(total <= 0)]
        code = str(key[0] if isinstance(key, tuple) else key)
        raise MethodRefusal(f"need_index: municipality {key} has no population (total 0)",
                            rule="population_not_positive", table="population",
                            column="population", where={"atvk_code": [code]}, value="0",
                            municipality_code=code)
    share = wide.div(total, axis=0)
    if by:
        nat = wide.groupby(level=list(by)).transform("sum")
    else:
        nat = pd.DataFrame(np.broadcast_to(wide.sum().to_numpy(), wide.shape), index=wide.index,
                           columns=wide.columns)
    nat_share = nat.div(nat.sum(axis=1), axis=0)
    index = sum(w[k] * share[k] / nat_share[k] for k in w if w[k] > 0)
    return pd.DataFrame({"population": total, "need_index": index}).reset_index()


def need_adjusted_spending(
    spending: pd.DataFrame,
    need: pd.DataFrame,
    *,
    by: tuple[str, ...] = ("year",),
) -> pd.DataFrame:
    """Need-adjusted spending per inhabitant and the ASSS resource-use indicator.

    Implements formulas (8.9)-(8.11): spending per inhabitant s_m = S_m / P_m; the spending it
    would have at the network's average level given its need, e_m = s_N * I_m with
    s_N = sum S / sum P (8.9); need-adjusted spending s_m / I_m (8.10); resource use
    R_m = (s_m / e_m) / mean_m(s_m / e_m) (8.11), 1 = network average after adjusting for need.

    Parameters
    ----------
    spending : pandas.DataFrame
        ``municipality_code``, ``by`` columns, ``spending_eur`` (constant prices) [EUR/year].
    need : pandas.DataFrame
        Output of :func:`need_index` (``municipality_code``, ``by``, ``population``,
        ``need_index``).
    by : tuple of str
        Cells forming separate networks (normally the year; add ``service_code`` to spending and
        ``by`` for per-service results — the need index is then shared by all services).

    Returns
    -------
    pandas.DataFrame
        ``municipality_code``, ``by``, ``spending_per_inhabitant_eur``, ``need_index``,
        ``expected_spending_per_inhabitant_eur`` (e_m),
        ``need_adjusted_spending_per_inhabitant_eur``,
        ``resource_use`` [-].
    """
    by = tuple(by)
    key = ["municipality_code", *[b for b in by if b in need.columns]]
    d = spending.merge(need[key + ["population", "need_index"]], on=key, how="left",
                       validate="m:1")
    if d["need_index"].isna().any():
        bad = d.loc[d["need_index"].isna(), key].iloc[0].to_dict()
        raise InputError(f"need_adjusted_spending: no population/need index for {bad}")
    for col in ("population", "need_index"):
        v = pd.to_numeric(d[col], errors="coerce").astype(float)
        if not (np.isfinite(v) & (v > 0)).all():
            bad = d.loc[~(np.isfinite(v) & (v > 0)), key + [col]].iloc[0].to_dict()
            raise InputError(f"need_adjusted_spending: {col} must be a number > 0, got {bad}")
    s = d["spending_eur"].astype(float)
    if (s < 0).any() or s.isna().any():
        raise InputError("need_adjusted_spending: spending_eur must be numbers >= 0")
    d["spending_per_inhabitant_eur"] = s / d["population"]
    grp = d.groupby(list(by)) if by else None
    tot_s = grp["spending_eur"].transform("sum") if by else s.sum()
    tot_p = grp["population"].transform("sum") if by else d["population"].sum()
    bad = np.broadcast_to(np.asarray(tot_s <= 0), (len(d),))
    if bad.any():
        cell = d.loc[bad, list(by)].iloc[0].to_dict() if by else "the data"
        raise InputError(f"need_adjusted_spending: the network has no spending in {cell}; "
                         "resource use is undefined")
    d["expected_spending_per_inhabitant_eur"] = tot_s / tot_p * d["need_index"]
    d["need_adjusted_spending_per_inhabitant_eur"] = (d["spending_per_inhabitant_eur"]
                                                     / d["need_index"])
    ratio = d["spending_per_inhabitant_eur"] / d["expected_spending_per_inhabitant_eur"]
    mean = ratio.groupby([d[b] for b in by]).transform("mean") if by else ratio.mean()
    d["resource_use"] = ratio / mean
    return d[["municipality_code", *by, "spending_per_inhabitant_eur", "need_index",
              "expected_spending_per_inhabitant_eur",
              "need_adjusted_spending_per_inhabitant_eur", "resource_use"]]
