"""The cross-municipality computations a report batch shares, each a call of the library.

:data:`COMPONENTS` lists them in dependency order as ``(name, function)``; each function takes
``(ds, year, peer_rule, done)`` where ``done`` holds the tables already computed, and returns a
DataFrame covering every municipality. :func:`costing.report.shared.build_shared` runs them once
per batch. Nothing here implements a method: the formulas live in the modules called.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..benchmark.dea import dea
from ..benchmark.decompose import decompose_spending, service_spending
from ..benchmark.expected_cost import expected_cost
from ..benchmark.funnel import funnel_position
from ..benchmark.indicators import base_quantities, indicators
from ..benchmark.need import need_adjusted_spending, need_index
from ..benchmark.peers import peer_groups, peer_stats
from ..data.municipalities import population_total
from ..method.fullcost import unit_costs
from ..privacy import MIN_WORKERS
from ..workload.caseload import staffing_norm, weighted_caseload
from ..workload.timeuse import workload_summary


def _unit_costs(ds, year, peer_rule, done):

    return unit_costs(ds, year)


def norm_per_1000(ds) -> float:
    """The legal staffing norm from the constants table. [specialists/1,000 inhabitants]"""
    c = ds.constants
    row = c.loc[c["name"] == "norm_social_work_specialists_per_1000", "value"]
    return float(row.iloc[0]) if len(row) else 1.0


def _staffing(ds, year, peer_rule, done):

    return staffing_norm(ds, year, per_1000=norm_per_1000(ds))


def _workload(ds, year, peer_rule, done):

    w = workload_summary(ds, by=["year", "municipality_code"], n_boot=400, seed=0,
                         min_workers=MIN_WORKERS)
    return w.loc[w["year"].astype(int) == int(year)].reset_index(drop=True)


def _caseload(ds, year, peer_rule, done):

    c = weighted_caseload(ds, by=["year", "municipality_code"], min_workers=MIN_WORKERS)
    return c.loc[c["year"].astype(int) == int(year)].reset_index(drop=True)


def _key_figures(ds, year, peer_rule, done):
    """Population, full cost, full cost per inhabitant, specialists per 1,000 by municipality."""
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


def _indicators(ds, year, peer_rule, done):

    ind = indicators(ds, year, base_year=year, unit_cost_table=done["unit_costs"])
    return ind.loc[ind["year"].astype(int) == int(year)].reset_index(drop=True)


def _peer_groups(ds, year, peer_rule, done):

    return peer_groups(ds, year, rule=peer_rule)


def _peer_stats(ds, year, peer_rule, done):

    return peer_stats(done["indicators"], done["peer_groups"])


def _base(ds, year, peer_rule, done):
    """Centre quantities at the report year's prices (indicators' base quantities)."""
    centre, mun = base_quantities(ds, year, base_year=year, unit_cost_table=done["unit_costs"])
    done["municipal_quantities"] = mun.reset_index() if "municipality_code" not in mun.columns \
        else mun
    return centre


def _service_spending(ds, year, peer_rule, done):

    return service_spending(ds, year, base_year=year, unit_cost_table=done["unit_costs"])


def _decomposition(ds, year, peer_rule, done):

    return decompose_spending(done["service_spending"], done["peer_groups"],
                              by=("year", "service_code"))


#: The rate shown on the funnel plot: clients of this service per inhabitant of its target group.
FUNNEL_SERVICE = "HOME_CARE"


def _funnel(ds, year, peer_rule, done):

    d = done["service_spending"]
    d = d.loc[(d["service_code"] == FUNNEL_SERVICE) & (d["population"] > 0)]
    pos = funnel_position(d["clients"].to_numpy(), d["population"].to_numpy())
    return pd.concat([d[["municipality_code", "service_code"]].reset_index(drop=True), pos],
                     axis=1)


def _need(ds, year, peer_rule, done):

    pop = ds.population
    # the dataset's own municipalities: the population table also holds units of other
    # boundaries (merged Madona in 2025 beside Madona and Varakļāni), which must not count twice
    codes = sorted(ds.cost_centres["municipality_code"].astype(str).unique())
    need = need_index(pop.loc[pop["year"].astype(int) == int(year)], codes=codes)
    spend = (done["centre_quantities"].groupby(["municipality_code", "year"], as_index=False)
             ["full_cost_eur"].sum().rename(columns={"full_cost_eur": "spending_eur"}))
    return need_adjusted_spending(spend, need)


def _expected(ds, year, peer_rule, done):

    uc = done["unit_costs"]
    data = uc.loc[uc["year"].astype(int) == int(year)].reset_index(drop=True)
    return expected_cost(data, categorical=["service_code"]).table


#: DEA outputs: clients of service families (inputs: full cost of all services).
DEA_OUTPUTS = {"residential": ("LTC", "STC", "GROUP_HOME", "CRISIS", "NIGHT_SHELTER"),
               "community": ("HOME_CARE", "DAY_CARE", "FAMILY_ASSIST", "WORKSHOP"),
               "social_work": ("SOCIAL_WORK", "SOC_REHAB")}


def _efficiency(ds, year, peer_rule, done):

    c = done["centre_quantities"]
    cost = c.groupby("municipality_code")["full_cost_eur"].sum()
    fam = {sv: f for f, svs in DEA_OUTPUTS.items() for sv in svs}
    out = (c.assign(family=c["service_code"].map(fam)).pivot_table(
        index="municipality_code", columns="family", values="clients", aggfunc="sum",
        fill_value=0.0).reindex(index=cost.index, columns=list(DEA_OUTPUTS), fill_value=0.0))
    keep = (cost > 0) & (out.sum(axis=1) > 0)
    res = dea(cost[keep].to_frame("full_cost_eur"), out[keep], rts="vrs", orientation="input")
    return res.reset_index(names="municipality_code") if "municipality_code" not in res.columns \
        else res


COMPONENTS = [
    ("unit_costs", _unit_costs),
    ("staffing_norm", _staffing),
    ("workload", _workload),
    ("caseload", _caseload),
    ("key_figures", _key_figures),
    ("indicators", _indicators),
    ("peer_groups", _peer_groups),
    ("peer_stats", _peer_stats),
    ("centre_quantities", _base),
    ("service_spending", _service_spending),
    ("decomposition", _decomposition),
    ("funnel", _funnel),
    ("need", _need),
    ("expected_cost", _expected),
    ("efficiency", _efficiency),
]


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
