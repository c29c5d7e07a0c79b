"""Peer groups of municipalities and each municipality's position among its peers.

Method: ``methodology/08_benchmarking.md``, section 8.4, formulas (8.12)-(8.16).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..data.requirements import require_population
from ..errors import InputError
from .indicators import indicator_registry

#: Population bands [inhabitants] of the default rule for novadi: [lower, upper) and group name.
#: Cut points chosen in sparse parts of the 2021-2024 distribution (about 2,900-58,000
#: inhabitants), giving groups of 7-18 novadi; six novadi cross a cut point in 2021-2025 (see
#: methodology/08_benchmarking.md, section 8.4, for the list and for fixing groups over years).
DEFAULT_BANDS: tuple[tuple[float, float, str], ...] = (
    (0, 20_000, "novads_small"),
    (20_000, 35_000, "novads_medium"),
    (35_000, np.inf, "novads_large"),
)
STATE_CITY_TYPES = ("valstspilsēta", "republikas pilsēta")
CLUSTER_FEATURES = ("log_population", "share_0_17", "share_65_plus", "share_80_plus",
                    "state_city")


def _table(dataset: Any, name: str) -> pd.DataFrame:
    tables = getattr(dataset, "tables", None)
    if isinstance(tables, dict) and name in tables:
        return tables[name]
    if isinstance(dataset, dict) and name in dataset:
        return dataset[name]
    raise InputError(f"peer_groups: the dataset has no {name!r} table")


def structure(dataset: Any, year: int) -> pd.DataFrame:
    """Structural variables of the municipalities that existed in ``year``.

    If the dataset has cost centres, only the municipalities that have some are kept.

    Implements formula (8.12) (age shares) for the inputs of the peer rules.

    Parameters
    ----------
    dataset : costing.Dataset
        Needs the ``municipalities`` and ``population`` reference tables.
    year : int
        Calendar year.

    Returns
    -------
    pandas.DataFrame
        ``municipality_code``, ``name``, ``type``, ``population`` [inhabitants],
        ``pop_65_plus`` [inhabitants], ``share_0_17``, ``share_65_plus``, ``share_80_plus`` [-],
        ``state_city`` (0/1), ``log_population`` [ln inhabitants].
    """
    mun = _table(dataset, "municipalities")
    pop = _table(dataset, "population")
    start = pd.Timestamp(f"{int(year)}-01-01")
    end = pd.Timestamp(f"{int(year)}-12-31")
    vf = pd.to_datetime(mun["valid_from"], errors="coerce")
    vt = pd.to_datetime(mun["valid_to"], errors="coerce")
    alive = mun[(vf <= end) & (vt.isna() | (vt >= start))]
    try:  # a dataset with cost centres: only the municipalities that report
        reporting = set(_table(dataset, "cost_centres")["municipality_code"].astype(str))
    except InputError:
        reporting = set()
    if reporting:
        alive = alive[alive["atvk_code"].astype(str).isin(reporting)]
    p = pop[pop["year"].astype(int) == int(year)]
    wide = p.pivot_table(index="atvk_code", columns="age_group", values="population",
                         aggfunc="sum", fill_value=0).astype(float)
    require_population(p, year, alive["atvk_code"].astype(str), "peer_groups")
    for g in ("0-17", "18-64", "65-79", "80+"):
        if g not in wide.columns:
            raise InputError(f"peer_groups: population {year} lacks age group {g!r}")
    wide = wide.loc[alive["atvk_code"]]
    total = wide.sum(axis=1)
    out = pd.DataFrame({
        "municipality_code": alive["atvk_code"].to_numpy(),
        "name": alive["name"].to_numpy(),
        "type": alive["type"].to_numpy(),
        "population": total.to_numpy(),
        "pop_65_plus": (wide["65-79"] + wide["80+"]).to_numpy(),
        "share_0_17": (wide["0-17"] / total).to_numpy(),
        "share_65_plus": ((wide["65-79"] + wide["80+"]) / total).to_numpy(),
        "share_80_plus": (wide["80+"] / total).to_numpy(),
    })
    out["state_city"] = out["type"].isin(STATE_CITY_TYPES).astype(int)
    out["log_population"] = np.log(out["population"])
    return out.reset_index(drop=True)


def peer_groups(
    dataset: Any,
    year: int,
    rule: Literal["default", "cluster"] = "default",
    *,
    k: int = 4,
    method: Literal["ward", "kmeans"] = "ward",
    seed: int = 20240601,
    bands: Sequence[tuple[float, float, str]] = DEFAULT_BANDS,
    features: Sequence[str] = CLUSTER_FEATURES,
) -> pd.DataFrame:
    """Assign every municipality that existed in ``year`` to a peer group.

    ``rule="default"``: state cities (valstspilsētas) form one group; novadi are grouped by
    population band (``bands``, formula 8.13). ``rule="cluster"``: Ward hierarchical clustering
    (or seeded k-means) of the standardised structural variables ``features`` (8.14) into ``k``
    groups, numbered by increasing mean population.

    Parameters
    ----------
    dataset : costing.Dataset
        Needs the ``municipalities`` and ``population`` tables.
    year : int
        Year of the population and of the territorial units.
    rule : {"default", "cluster"}
        Rule-based or data-driven groups.
    k : int
        Number of clusters (cluster rule), 2 <= k < number of municipalities.
    method : {"ward", "kmeans"}
        Clustering algorithm (cluster rule).
    seed : int
        Seed of k-means (Ward is deterministic).
    bands : sequence of (lower, upper, name)
        Population bands [inhabitants] of novadi, half-open [lower, upper).
    features : sequence of str
        Columns of :func:`structure` used for clustering.

    Returns
    -------
    pandas.DataFrame
        ``municipality_code``, ``year``, ``peer_group``, ``rule``, ``population`` and the
        structural variables.
    """
    s = structure(dataset, year)
    if rule == "default":
        grp = np.full(len(s), "", dtype=object)
        for lo, hi, name in bands:
            grp = np.where((s["population"] >= lo) & (s["population"] < hi), name, grp)
        grp = np.where(s["state_city"] == 1, "state_city", grp)
        if (grp == "").any():
            bad = s.loc[grp == "", ["municipality_code", "population"]].iloc[0].to_dict()
            raise InputError(f"peer_groups: no population band covers {bad}; check bands")
    elif rule == "cluster":
        n = len(s)
        if not 2 <= k < n:
            raise InputError(f"peer_groups: k must be between 2 and {n - 1}, got {k}")
        unknown = [f for f in features if f not in s.columns]
        if unknown:
            raise InputError(f"peer_groups: unknown features {unknown}; use {list(s.columns)}")
        x = s[list(features)].to_numpy(dtype=float)
        sd = x.std(axis=0, ddof=0)
        z = (x - x.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
        # scipy.cluster takes a third of a second to import: only the clustering rule needs it
        from scipy.cluster.hierarchy import fcluster, linkage
        from scipy.cluster.vq import kmeans2

        if method == "ward":
            lab = fcluster(linkage(z, method="ward"), t=k, criterion="maxclust")
        elif method == "kmeans":
            _, lab = kmeans2(z, k, seed=np.random.default_rng(seed), minit="++")
        else:
            raise InputError(f"peer_groups: method must be 'ward' or 'kmeans', got {method!r}")
        order = s.groupby(lab)["population"].mean().sort_values().index
        rename = {old: f"cluster_{i + 1}" for i, old in enumerate(order)}
        grp = np.array([rename[v] for v in lab], dtype=object)
    else:
        raise InputError(f"peer_groups: rule must be 'default' or 'cluster', got {rule!r}")
    out = s.assign(year=int(year), peer_group=grp.astype(str), rule=rule)
    first = ["municipality_code", "year", "peer_group", "rule"]
    return out[first + [c for c in out.columns if c not in first]]


def peer_stats(
    indicators: pd.DataFrame,
    groups: pd.DataFrame,
    registry: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Each municipality's value against its peer group: median, quartiles, rank, percentile, z.

    Implements formulas (8.15) (quartiles by linear interpolation, pandas' default) and (8.16)
    (rank 1 = best in the indicator's ``better`` direction; ``neutral`` ranks ascending;
    percentile = 100 (rank_asc - 1) / (n - 1) of the value in its group, 0 = lowest;
    z = (value - group mean) / group standard deviation, ddof = 1). Municipalities whose value is
    missing (e.g. suppressed) are left out of the group statistics and get no rank.

    Parameters
    ----------
    indicators : pandas.DataFrame
        Tidy ``municipality_code, year, indicator_id, value`` (as from :func:`costing.indicators`).
    groups : pandas.DataFrame
        ``municipality_code, peer_group`` (and ``year`` to vary by year).
    registry : pandas.DataFrame, optional
        Indicator registry with ``indicator_id, better``; default the shipped one.

    Returns
    -------
    pandas.DataFrame
        The indicator rows plus ``peer_group``, ``better``, ``n_peers`` (valid values in the
        group, self included), ``peer_median``, ``peer_q1``, ``peer_q3``, ``peer_mean``,
        ``peer_sd``, ``rank``, ``percentile``, ``z_score``.
    """
    if registry is None:

        registry = indicator_registry()
    need = ["municipality_code", "year", "indicator_id", "value"]
    missing = [c for c in need if c not in indicators.columns]
    if missing:
        raise InputError(f"peer_stats: indicators lack columns {missing}")
    gkeys = ["municipality_code"] + (["year"] if "year" in groups.columns else [])
    d = indicators.merge(groups[gkeys + ["peer_group"]].drop_duplicates(), on=gkeys,
                         how="left", validate="m:1")
    if d["peer_group"].isna().any():
        bad = d.loc[d["peer_group"].isna(), gkeys].iloc[0].to_dict()
        raise InputError(f"peer_stats: {bad} has no peer group in groups")
    d = d.merge(registry[["indicator_id", "better"]], on="indicator_id", how="left")
    if d["better"].isna().any():
        bad = d.loc[d["better"].isna(), "indicator_id"].iloc[0]
        raise InputError(f"peer_stats: indicator {bad!r} is not in the registry")
    v = pd.to_numeric(d["value"], errors="coerce").astype(float)
    d["value"] = v
    g = v.groupby([d["year"], d["indicator_id"], d["peer_group"]])
    d["n_peers"] = g.transform("count").astype(int)
    d["peer_median"] = g.transform("median")
    d["peer_q1"] = g.transform("quantile", 0.25)
    d["peer_q3"] = g.transform("quantile", 0.75)
    d["peer_mean"] = g.transform("mean")
    d["peer_sd"] = g.transform("std")
    asc = g.rank(method="min", ascending=True)
    desc = g.rank(method="min", ascending=False)
    d["rank"] = np.where(d["better"] == "higher", desc, asc)
    d["rank"] = d["rank"].astype("Float64")
    n = d["n_peers"].to_numpy(dtype=float)
    d["percentile"] = np.where(n > 1, 100 * (asc - 1) / np.where(n > 1, n - 1, 1), np.nan)
    sd = d["peer_sd"].to_numpy(dtype=float)
    d["z_score"] = np.where(sd > 0, (v - d["peer_mean"]) / np.where(sd > 0, sd, 1), np.nan)
    return d
