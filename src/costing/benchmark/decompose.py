"""Decomposition of a gap in spending per inhabitant into a coverage and a unit-cost effect.

Spending per inhabitant is coverage (clients per inhabitant of the target group) times unit cost
(spending per client), formula (8.3). The log of the ratio to the peer value splits exactly into
the two log ratios (8.4); weighting both by the logarithmic mean of the two spending levels turns
them into EUR effects that add up exactly to the gap (8.5, 8.6; the LMDI-I weights of Ang 2004).
Method: ``methodology/08_benchmarking.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..data.tables import reference
from ..errors import InputError
from .indicators import base_quantities


def log_mean(a, b) -> np.ndarray:
    """Logarithmic mean L(a, b) = (a - b) / (ln a - ln b), with L(a, a) = a.

    Implements formula (8.5). Both arguments must be > 0.

    Parameters
    ----------
    a, b : array_like
        Positive values [any unit, the same for both].

    Returns
    -------
    numpy.ndarray
        L(a, b), which lies between min(a, b) and max(a, b) [same unit].

    Examples
    --------
    >>> float(log_mean(2.0, 1.0))  # 1 / ln 2
    1.4426950408889634
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    if (a <= 0).any() or (b <= 0).any() or not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise InputError("log_mean: both arguments must be finite and > 0")
    d = np.log(a) - np.log(b)
    close = np.abs(d) < 1e-12
    safe = np.where(close, 1.0, d)
    return np.where(close, (a + b) / 2, (a - b) / safe)


def decompose_gap(coverage, unit_cost, peer_coverage, peer_unit_cost) -> pd.DataFrame:
    """Split s - s_p into a coverage and a unit-cost effect in EUR per inhabitant (exactly).

    Implements formulas (8.3)-(8.6): with s = c * u and s_p = c_p * u_p,
    ``ln(s / s_p) = ln(c / c_p) + ln(u / u_p)`` and
    ``s - s_p = L(s, s_p) ln(c / c_p) + L(s, s_p) ln(u / u_p)``.

    Parameters
    ----------
    coverage, peer_coverage : array_like
        Clients per inhabitant of the municipality and of its peers, > 0 [clients/inhabitant].
    unit_cost, peer_unit_cost : array_like
        Spending per client, > 0 [EUR/client].

    Returns
    -------
    pandas.DataFrame
        Columns ``spending_per_inhabitant_eur``, ``peer_spending_per_inhabitant_eur``, ``gap_eur``,
        ``log_gap``, ``coverage_effect_log``, ``unit_cost_effect_log``, ``coverage_effect_eur``,
        ``unit_cost_effect_eur`` [EUR/inhabitant or log points]. The two EUR effects add up to
        ``gap_eur`` and the two log effects to ``log_gap``.
    """
    c, u, cp, up = (np.atleast_1d(np.asarray(v, dtype=float))
                    for v in (coverage, unit_cost, peer_coverage, peer_unit_cost))
    for name, v in (("coverage", c), ("unit_cost", u), ("peer_coverage", cp),
                    ("peer_unit_cost", up)):
        if not np.isfinite(v).all() or (v <= 0).any():
            i = int(np.argmax(~np.isfinite(v) | (v <= 0)))
            raise InputError(f"decompose_gap: {name}[{i}] = {v[i]!r}; the log decomposition "
                             "needs finite values > 0")
    s, sp = c * u, cp * up
    w = log_mean(s, sp)
    lc, lu = np.log(c) - np.log(cp), np.log(u) - np.log(up)
    return pd.DataFrame({
        "spending_per_inhabitant_eur": s,
        "peer_spending_per_inhabitant_eur": sp,
        "gap_eur": s - sp,
        "log_gap": lc + lu,
        "coverage_effect_log": lc,
        "unit_cost_effect_log": lu,
        "coverage_effect_eur": w * lc,
        "unit_cost_effect_eur": w * lu,
    })


def decompose_spending(
    data: pd.DataFrame,
    groups: pd.DataFrame,
    *,
    by: Sequence[str] = ("year", "service_code"),
    reference: str = "pooled",
    include_self: bool = False,
) -> pd.DataFrame:
    """Decompose each municipality's gap to its peer group for every ``by`` cell.

    Implements formulas (8.3)-(8.7). The peer value of coverage and unit cost is, with
    ``reference="pooled"``, the peers' totals: c_p = sum(clients) / sum(population),
    u_p = sum(spending) / sum(clients), so that c_p u_p = sum(spending) / sum(population) (8.7);
    with ``"geomean"`` the geometric means of the peers' c and u (then s_p is the geometric mean
    of their spending per inhabitant). The municipality itself is left out of its own reference
    unless ``include_self``.

    Parameters
    ----------
    data : pandas.DataFrame
        Columns ``municipality_code``, the ``by`` columns, ``spending_eur`` (at constant prices)
        [EUR/year], ``clients`` [clients/year] and ``population`` (of the target group)
        [inhabitants].
    groups : pandas.DataFrame
        Columns ``municipality_code``, ``peer_group`` (and ``year`` if it varies by year), as
        returned by :func:`costing.peer_groups`.
    by : sequence of str
        Cells compared separately (e.g. year and service).
    reference : {"pooled", "geomean"}
        How the peer value is formed.
    include_self : bool
        Count the municipality among its own peers.

    Returns
    -------
    pandas.DataFrame
        One row per municipality and cell: ``municipality_code``, ``by`` columns, ``peer_group``,
        ``n_peers``, ``coverage``, ``peer_coverage`` [clients/inhabitant], ``unit_cost_eur``,
        ``peer_unit_cost_eur`` [EUR/client] and the columns of :func:`decompose_gap`. Rows whose
        log decomposition is undefined (no clients, no spending, no peers) keep NaN effects and
        say why in ``reason``.
    """
    if reference not in ("pooled", "geomean"):
        raise InputError(f"decompose_spending: reference must be 'pooled' or 'geomean', "
                         f"got {reference!r}")
    by = list(by)
    need = ["municipality_code", *by, "spending_eur", "clients", "population"]
    missing = [c for c in need if c not in data.columns]
    if missing:
        raise InputError(f"decompose_spending: data lacks columns {missing}")
    for col in ("spending_eur", "clients", "population"):
        v = pd.to_numeric(data[col], errors="coerce")
        if v.isna().any() or (v < 0).any():
            i = int(np.argmax((v.isna() | (v < 0)).to_numpy()))
            raise InputError(f"decompose_spending: column {col!r} row {i} = "
                             f"{data[col].iloc[i]!r}; must be a number >= 0")
    gkeys = ["municipality_code"] + (["year"] if "year" in groups.columns and "year" in by else [])
    d = data[need].merge(groups[gkeys + ["peer_group"]], on=gkeys, how="left", validate="m:1")
    if d["peer_group"].isna().any():
        bad = d.loc[d["peer_group"].isna(), "municipality_code"].iloc[0]
        raise InputError(f"decompose_spending: municipality {bad!r} has no peer group in groups")
    d = d.astype({"spending_eur": float, "clients": float, "population": float})
    cell = [*by, "peer_group"]
    d["n_peers"] = d.groupby(cell)["municipality_code"].transform("size") - (0 if include_self
                                                                            else 1)
    pos = (d["spending_eur"] > 0) & (d["clients"] > 0) & (d["population"] > 0)
    d["coverage"] = np.where(d["population"] > 0, d["clients"] / d["population"].where(
        d["population"] > 0, 1.0), np.nan)
    safe_clients = d["clients"].where(d["clients"] > 0, 1.0)
    d["unit_cost_eur"] = np.where(d["clients"] > 0, d["spending_eur"] / safe_clients, np.nan)
    if reference == "pooled":
        tot = d.groupby(cell)[["spending_eur", "clients", "population"]].transform("sum")
        own = 0.0 if include_self else d[["spending_eur", "clients", "population"]]
        p = tot - own
        cp = p["clients"] / p["population"].where(p["population"] > 0)
        up = p["spending_eur"] / p["clients"].where(p["clients"] > 0)
    else:
        lc = np.log(d["coverage"].where(pos))
        lu = np.log(d["unit_cost_eur"].where(pos))
        tmp = d[cell].assign(lc=lc, lu=lu, k=pos.astype(float))
        g = tmp.groupby(cell)
        sums = g[["lc", "lu", "k"]].transform("sum")
        if not include_self:
            sums = sums - tmp[["lc", "lu", "k"]].fillna(0.0)
        k = sums["k"].where(sums["k"] > 0)
        cp, up = np.exp(sums["lc"] / k), np.exp(sums["lu"] / k)
    d["peer_coverage"], d["peer_unit_cost_eur"] = cp.to_numpy(), up.to_numpy()
    ok = pos & (d["n_peers"] > 0) & (d["peer_coverage"] > 0) & (d["peer_unit_cost_eur"] > 0)
    cols = ["spending_per_inhabitant_eur", "peer_spending_per_inhabitant_eur", "gap_eur",
            "log_gap", "coverage_effect_log", "unit_cost_effect_log", "coverage_effect_eur",
            "unit_cost_effect_eur"]
    res = pd.DataFrame(np.nan, index=d.index, columns=cols)
    if ok.any():
        part = decompose_gap(d.loc[ok, "coverage"], d.loc[ok, "unit_cost_eur"],
                             d.loc[ok, "peer_coverage"], d.loc[ok, "peer_unit_cost_eur"])
        res.loc[ok, cols] = part[cols].to_numpy()
    reason = np.select(
        [d["n_peers"] <= 0, d["population"] <= 0, d["clients"] <= 0, d["spending_eur"] <= 0,
         ~ok],
        ["no peers in the group", "no population", "no clients", "no spending",
         "peers have no clients or spending"], default="")
    out = pd.concat([d[["municipality_code", *by, "peer_group", "n_peers", "coverage",
                        "peer_coverage", "unit_cost_eur", "peer_unit_cost_eur"]], res], axis=1)
    out["reason"] = reason
    return out.reset_index(drop=True)


def service_spending(
    dataset: Any,
    year: int | Sequence[int] | None = None,
    base_year: int | None = None,
    *,
    services: Sequence[str] | None = None,
    unit_cost_table: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Spending, clients and target-group population per municipality, year and service.

    The input of :func:`decompose_spending`: full cost at constant prices (8.2) and distinct
    clients summed over each service's cost centres, with the population of the service's
    target group (``services.target_group``: ``65+``, ``18+``, ``18-64``, ``0-17`` or ``all``).
    Municipalities without a service get zero spending and clients for it.

    Parameters
    ----------
    dataset : costing.Dataset
    year, base_year, unit_cost_table
        As in :func:`costing.indicators`.
    services : sequence of str, optional
        Service codes; default every service in the ``services`` table.

    Returns
    -------
    pandas.DataFrame
        ``municipality_code, year, service_code, target_group, spending_eur`` [EUR at base-year
        prices], ``clients`` [clients/year], ``population`` [inhabitants of the target group].
    """

    centre, mun = base_quantities(dataset, year, base_year, unit_cost_table=unit_cost_table)
    svc = reference("services", dataset)[["service_code", "target_group"]].astype(str)
    if services is not None:
        unknown = sorted(set(services) - set(svc["service_code"]))
        if unknown:
            raise InputError(f"service_spending: unknown service codes {unknown}")
        svc = svc[svc["service_code"].isin(list(services))]
    grid = mun[["municipality_code", "year"]].merge(svc, how="cross")
    sums = (centre.groupby(["municipality_code", "year", "service_code"], as_index=False)
            [["full_cost_eur", "clients"]].sum()
            .rename(columns={"full_cost_eur": "spending_eur"}))
    out = grid.merge(sums, on=["municipality_code", "year", "service_code"], how="left")
    out[["spending_eur", "clients"]] = out[["spending_eur", "clients"]].fillna(0.0)
    col = out["target_group"].map(lambda t: "population" if t == "all" else f"population_{t}")
    unknown = sorted(set(col) - set(mun.columns))
    if unknown:
        raise InputError(f"service_spending: target groups {unknown} have no population column")
    m = mun.set_index(["municipality_code", "year"])
    idx = pd.MultiIndex.from_frame(out[["municipality_code", "year"]])
    pop = np.full(len(out), np.nan)
    for c in set(col):
        sel = (col == c).to_numpy()
        pop[sel] = m[c].reindex(idx[sel]).to_numpy(dtype=float)
    out["population"] = pop
    return out
