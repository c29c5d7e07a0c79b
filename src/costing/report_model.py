"""The cross-municipality computations a report batch shares, each a call of the library.

:data:`COMPONENTS` lists them in dependency order as ``(name, function)``; each function takes
``(ds, year, peer_rule, done)`` where ``done`` holds the tables already computed, and returns a
DataFrame covering every municipality. :func:`costing.report_data.build_shared` runs them once
per batch. Nothing here implements a method: the formulas live in the modules called.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .privacy import MIN_WORKERS


def _unit_costs(ds, year, peer_rule, done):
    from .fullcost import unit_costs

    return unit_costs(ds, year)


def norm_per_1000(ds) -> float:
    """The legal staffing norm from the constants table. [specialists/1,000 inhabitants]"""
    c = ds.constants
    row = c.loc[c["name"] == "norm_social_work_specialists_per_1000", "value"]
    return float(row.iloc[0]) if len(row) else 1.0


def _staffing(ds, year, peer_rule, done):
    from .caseload import staffing_norm

    return staffing_norm(ds, year, per_1000=norm_per_1000(ds))


def _workload(ds, year, peer_rule, done):
    from .workload import workload_summary

    w = workload_summary(ds, by=["year", "municipality_code"], n_boot=400, seed=0,
                         min_workers=MIN_WORKERS)
    return w.loc[w["year"].astype(int) == int(year)].reset_index(drop=True)


def _caseload(ds, year, peer_rule, done):
    from .caseload import weighted_caseload

    c = weighted_caseload(ds, by=["year", "municipality_code"], min_workers=MIN_WORKERS)
    return c.loc[c["year"].astype(int) == int(year)].reset_index(drop=True)


def _key_figures(ds, year, peer_rule, done):
    """Population, full cost, full cost per inhabitant, specialists per 1,000 by municipality."""
    from .report_data import population_total

    codes = list(ds.municipality_codes)
    out = pd.DataFrame(index=pd.Index(codes, name="municipality_code"))
    out["population"] = population_total(ds, year).reindex(codes)
    uc = done.get("unit_costs")
    if uc is not None:
        cost = uc.groupby("municipality_code")["full_cost_eur"].sum(min_count=1)
        out["full_cost_eur"] = cost.reindex(codes)
        out["full_cost_per_capita_eur"] = out["full_cost_eur"] / out["population"]
        out["service_centres"] = uc.groupby("municipality_code")["cost_centre_id"].nunique(
        ).reindex(codes)
    st = done.get("staffing_norm")
    if st is not None:
        out["fte_per_1000"] = st.set_index("municipality_code")["fte_per_1000"].reindex(codes)
    return out


COMPONENTS = [
    ("unit_costs", _unit_costs),
    ("staffing_norm", _staffing),
    ("workload", _workload),
    ("caseload", _caseload),
    ("key_figures", _key_figures),
]


def key_figures(sh) -> pd.DataFrame | None:
    """The key-figures table of a :class:`~costing.report_data.Shared` (index: code)."""
    return sh.table("key_figures")


def peer_codes(sh, code: str) -> tuple[list[str], str]:
    """The municipality's peer group (codes, this one included) and the group's name.

    Uses the shared ``peer_groups`` table when the batch computed one; otherwise every
    municipality of the dataset is a peer.
    """
    groups = sh.table("peer_groups")
    if groups is not None and code in set(groups["municipality_code"]):
        g = groups.loc[groups["municipality_code"] == code, "peer_group"].iloc[0]
        members = groups.loc[groups["peer_group"] == g, "municipality_code"].astype(str)
        return sorted(members.unique()), str(g)
    return list(sh.dataset.municipality_codes), ""


def peer_summary(values: pd.Series, code: str, peers: list[str]) -> dict:
    """Value of ``code`` and the median, minimum and maximum of its peers (itself excluded)."""
    others = values.reindex([p for p in peers if p != code]).dropna()
    own = values.get(code, np.nan)
    return {"value": own,
            "median": float(others.median()) if len(others) else np.nan,
            "min": float(others.min()) if len(others) else np.nan,
            "max": float(others.max()) if len(others) else np.nan,
            "n": int(len(others))}
