"""Report sections on where the municipality stands and why: the spending gap to its peers
split into coverage and unit cost, need-adjusted spending, expected unit costs, a funnel plot and
DEA efficiency.

Like :mod:`costing.report_sections`, every function takes the shared results, the municipality
code and the language and returns formatted tables, charts or sentences (``None``/``""`` when
there is nothing to show); the numbers come from the benchmarking modules, computed once per
batch (:mod:`costing.report_model`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import plots
from .labels import format_number, format_percent
from .report_data import municipality_names
from .report_sections import centre_names, label_or, peer_bar_figure, service_names
from .report_sections import label_of as _lab


def decomposition_table(sh, code: str, lang: str) -> pd.DataFrame | None:
    """Gap in spending per inhabitant to the peer group, split into coverage and unit cost."""
    d = sh.table("decomposition")
    if d is None:
        return None
    own = d.loc[(d["municipality_code"] == code) & d["gap_eur"].notna()]
    if own.empty:
        return None
    snames = service_names(sh, lang)
    services = sh.dataset.services
    groups = dict(zip(services["service_code"].astype(str),
                      services["target_group"].astype(str), strict=True))
    everyone = _lab(sh, "target_group.all", lang)
    own = own.reindex(own["gap_eur"].abs().sort_values(ascending=False).index)
    rows = [{_lab(sh, "col.service", lang): snames.get(r.service_code, r.service_code),
             _lab(sh, "col.target_group", lang): (
                 everyone if groups.get(r.service_code, "all") == "all"
                 else groups[r.service_code]),
             _lab(sh, "col.spend_per_inh", lang): format_number(
                 r.spending_per_inhabitant_eur, lang, 2),
             _lab(sh, "col.peer_spend_per_inh", lang): format_number(
                 r.peer_spending_per_inhabitant_eur, lang, 2),
             _lab(sh, "col.gap", lang): format_number(r.gap_eur, lang, 2),
             _lab(sh, "col.coverage_effect", lang): format_number(r.coverage_effect_eur, lang, 2),
             _lab(sh, "col.unit_cost_effect", lang): format_number(r.unit_cost_effect_eur,
                                                                   lang, 2)}
            for r in own.itertuples(index=False)]
    return pd.DataFrame(rows)


DECOMPOSITION_NUMERIC = ("col.spend_per_inh", "col.peer_spend_per_inh", "col.gap",
                         "col.coverage_effect", "col.unit_cost_effect")
EXPECTED_NUMERIC = ("col.unit_cost", "col.expected", "col.interval", "col.unexplained")


def need_sentence(sh, code: str, lang: str) -> str:
    """Need index, spending against what the need would predict, and resource use."""
    n = sh.table("need")
    if n is None or code not in set(n["municipality_code"]):
        return ""
    r = n.loc[n["municipality_code"] == code].iloc[0]
    return _lab(sh, "position.need", lang,
                need=format_number(r["need_index"], lang, 2),
                spend=format_number(r["spending_per_inhabitant_eur"], lang, 2),
                expected=format_number(r["expected_spending_per_inhabitant_eur"], lang, 2),
                adjusted=format_number(r["need_adjusted_spending_per_inhabitant_eur"], lang, 2),
                use=format_number(r["resource_use"], lang, 2))


def need_figure(sh, code: str, lang: str):
    """Resource use (1 = network average after adjusting for need) among the peers."""
    return peer_bar_figure(sh, code, lang, "need", "resource_use", "position.need_title",
                           "position.resource_use", reference=1.0,
                           reference_label=_lab(sh, "legend.average", lang))


def expected_cost_table(sh, code: str, lang: str) -> pd.DataFrame | None:
    """Each service centre's unit cost against the cost its scale, occupancy and service
    predict (expected-cost regression), with the 95 % prediction interval."""
    e = sh.table("expected_cost")
    if e is None:
        return None
    own = e.loc[(e["municipality_code"] == code) & e["expected_unit_cost_eur"].notna()]
    if own.empty:
        return None
    snames = service_names(sh, lang)
    own = own.sort_values(["service_code", "cost_centre_id"])
    rows = []
    for r, name in zip(own.itertuples(index=False), centre_names(own, snames), strict=True):
        rows.append({
            _lab(sh, "col.service", lang): name,
            _lab(sh, "col.unit_cost", lang): format_number(r.unit_cost_eur, lang, 2),
            _lab(sh, "col.expected", lang): format_number(r.expected_unit_cost_eur, lang, 2),
            _lab(sh, "col.interval", lang): (f"{format_number(r.pi_lower_eur, lang, 2)} – "
                                             f"{format_number(r.pi_upper_eur, lang, 2)}"),
            _lab(sh, "col.unexplained", lang): format_percent(r.unexplained_share, lang),
            _lab(sh, "col.note", lang): (_lab(sh, "position.outside", lang)
                                         if bool(r.outside_pi) else "")})
    return pd.DataFrame(rows)


def efficiency_sentence(sh, code: str, lang: str) -> str:
    """DEA efficiency score and the municipalities on the frontier it is compared with."""
    e = sh.table("efficiency")
    if e is None or code not in set(e["municipality_code"]):
        return _lab(sh, "position.no_efficiency", lang) if e is not None else ""
    r = e.loc[e["municipality_code"] == code].iloc[0]
    names = municipality_names(sh.dataset)
    refs = [names.get(p, p) for p in str(r["peers"]).split("|") if p and p != code]
    if float(r["efficiency"]) >= 1 - 1e-9:
        return _lab(sh, "position.efficient", lang)
    return _lab(sh, "position.efficiency", lang, score=format_percent(r["efficiency"], lang),
                saving=format_percent(1 - float(r["efficiency"]), lang),
                peers=", ".join(refs))


def efficiency_figure(sh, code: str, lang: str):
    """DEA efficiency of the municipality and its peer group."""
    return peer_bar_figure(sh, code, lang, "efficiency", "efficiency",
                           "position.efficiency_title", "position.efficiency_axis")


def funnel_figure(sh, code: str, lang: str):
    """Funnel plot of home-care coverage (clients per 1,000 inhabitants aged 65+) against the
    size of that population, with 95 % and 99.8 % control limits (:func:`costing.funnel_limits`)."""
    from .funnel import funnel_limits

    f = sh.table("funnel")
    if f is None or code not in set(f["municipality_code"]):
        return None
    f = f.set_index("municipality_code")
    grid = np.geomspace(float(f["n"].min()), float(f["n"].max()), 200)
    lim = funnel_limits(float(f["target"].iloc[0]), grid, per=1000.0)
    return plots.peer_scatter(
        f["n"].astype(float), f["rate"].astype(float) * 1000.0, code,
        municipality_names(sh.dataset), title=_lab(sh, "position.funnel_title", lang),
        xlabel=_lab(sh, "position.funnel_x", lang), ylabel=_lab(sh, "position.funnel_y", lang),
        lang=lang, line=(grid, lim["target"].to_numpy()),
        band=(grid, lim["lower_99_8"].to_numpy(), lim["upper_99_8"].to_numpy()),
        line_label=_lab(sh, "legend.national_rate", lang),
        band_label=_lab(sh, "legend.control_limits", lang), logx=True)


def funnel_sentence(sh, code: str, lang: str) -> str:
    """Where the municipality lies on the funnel plot, in words."""
    f = sh.table("funnel")
    if f is None or code not in set(f["municipality_code"]):
        return ""
    r = f.loc[f["municipality_code"] == code].iloc[0]
    band = str(r["band"])
    where = label_or(sh, f"funnel.{band.split('_')[0]}", lang, band)
    return _lab(sh, "position.funnel", lang, rate=format_number(float(r["rate"]) * 1000, lang, 1),
                target=format_number(float(r["target"]) * 1000, lang, 1), where=where)
