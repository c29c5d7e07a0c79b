"""The content of each report section for one municipality: formatted tables, charts, sentences.

Every function takes the batch's :class:`~costing.report_data.Shared` results, the municipality
code and the language, and returns what the template displays: a DataFrame of formatted strings
(numbers formatted with :func:`costing.format_number` for the language), a matplotlib figure
(:mod:`costing.plots`, the municipality in the highlight colour) or a sentence from the labels
table. ``None`` means "nothing to show" and the template leaves the block out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import plots
from .labels import format_number, format_percent, label, service_name
from .privacy import MIN_WORKERS
from .report_data import municipality_names
from .report_model import norm_per_1000, peer_codes, peer_summary


def label_of(sh, key: str, lang: str, **values) -> str:
    """:func:`costing.label` with the dataset's own labels table (if it ships one) applied."""
    ds = sh.dataset
    return label(key, lang, ds.labels if "labels" in ds.tables else None, **values)


_lab = label_of


def label_or(sh, key: str, lang: str, default: str) -> str:
    """The label ``key``, or ``default`` when the table has no such key."""
    ds = sh.dataset
    own = ds.labels if "labels" in ds.tables else None
    from .labels import labels_table

    return label(key, lang, own) if key in labels_table(own).index else default


def header(sh, code: str, lang: str) -> dict:
    """Title, subtitle, peer-group sentence and whether to show the illustrative notice."""
    name = municipality_names(sh.dataset).get(code, code)
    peers, group = peer_codes(sh, code)
    out = {"name": name,
           "title": _lab(sh, "report.title", lang, name=name, year=sh.year),
           "subtitle": _lab(sh, "report.subtitle", lang),
           "peers": "",
           "illustrative": bool(sh.dataset.is_illustrative),
           "notice": _lab(sh, "notice.illustrative", lang)}
    if group:
        group_name = label_or(sh, f"peer.{group}", lang, group)
        out["peers"] = (_lab(sh, "report.peers", lang, n=len(peers), group=group_name)
                        if len(peers) > 1
                        else _lab(sh, "report.no_peers", lang, group=group_name))
    return out


_KEY_FIGURES = [  # column of key_figures, label, unit label, formatter
    ("population", "kf.population", "unit.persons", lambda v, lg: format_number(v, lg)),
    ("full_cost_eur", "kf.full_cost", "unit.eur", lambda v, lg: format_number(v, lg)),
    ("service_centres", "kf.services", "unit.count", lambda v, lg: format_number(v, lg)),
]  # per-inhabitant figures follow in the indicator table (costing.peer_stats)


def key_figures_table(sh, code: str, lang: str) -> pd.DataFrame | None:
    """Key figures of the municipality against its peers' median and range."""
    kf = sh.table("key_figures")
    if kf is None or code not in kf.index:
        return None
    peers, _ = peer_codes(sh, code)
    rows = []
    for col, key, unit, fmt in _KEY_FIGURES:
        if col not in kf.columns or pd.isna(kf.at[code, col]):
            continue
        s = peer_summary(kf[col].astype(float), code, peers)
        rng = (f"{fmt(s['min'], lang)} – {fmt(s['max'], lang)}" if s["n"] else "")
        rows.append({_lab(sh, "col.indicator", lang): _lab(sh, key, lang),
                     _lab(sh, "col.value", lang): fmt(s["value"], lang),
                     _lab(sh, "col.peer_median", lang): fmt(s["median"], lang),
                     _lab(sh, "col.peer_range", lang): rng,
                     _lab(sh, "col.unit", lang): _lab(sh, unit, lang)})
    return pd.DataFrame(rows) if rows else None


def _own_unit_costs(sh, code):
    uc = sh.table("unit_costs")
    if uc is None:
        return None, None
    uc = uc.loc[uc["year"].astype(int) == sh.year]
    own = uc.loc[uc["municipality_code"] == code]
    return (own if len(own) else None), uc


def service_names(sh, lang: str) -> dict[str, str]:
    """Display name by service code (service catalogue, ``name_lv``/``name_en``)."""
    services = sh.dataset.services
    return {c: service_name(c, lang, services) for c in services["service_code"].astype(str)}


def _unit_names(sh, lang) -> dict[str, str]:
    u = sh.dataset.output_units
    return dict(zip(u["output_unit"].astype(str), u[f"name_{lang}"].astype(str), strict=True))


def centre_names(centres: pd.DataFrame, snames: dict[str, str]) -> list[str]:
    """Display names of service cost centres in the order given: the service's name, numbered
    "(1)", "(2)", ... where the municipality runs more than one centre of that service."""
    counts = centres["service_code"].value_counts()
    seen: dict[str, int] = {}
    names = []
    for code in centres["service_code"]:
        seen[code] = seen.get(code, 0) + 1
        name = snames.get(code, code)
        names.append(f"{name} ({seen[code]})" if counts[code] > 1 else name)
    return names


def services_table(sh, code: str, lang: str) -> pd.DataFrame | None:
    """One row per service cost centre: volume, full cost, unit cost against peers, occupancy."""
    own, uc = _own_unit_costs(sh, code)
    if own is None:
        return None
    peers, _ = peer_codes(sh, code)
    peer_rows = uc.loc[uc["municipality_code"].isin([p for p in peers if p != code])]
    snames, unames = service_names(sh, lang), _unit_names(sh, lang)
    own = own.sort_values(["service_code", "cost_centre_id"])
    rows = []
    for r, name in zip(own.itertuples(index=False), centre_names(own, snames), strict=True):
        med = peer_rows.loc[peer_rows["service_code"] == r.service_code, "unit_cost_eur"].median()
        rows.append({
            _lab(sh, "col.service", lang): name,
            _lab(sh, "col.output_unit", lang): unames.get(str(r.output_unit), str(r.output_unit)),
            _lab(sh, "col.units", lang): format_number(r.units, lang),
            _lab(sh, "col.clients", lang): format_number(r.clients, lang),
            _lab(sh, "col.full_cost", lang): format_number(r.full_cost_eur, lang),
            _lab(sh, "col.unit_cost", lang): format_number(r.unit_cost_eur, lang, 2),
            _lab(sh, "col.peer_unit_cost", lang): format_number(med, lang, 2),
            _lab(sh, "col.occupancy", lang): format_percent(r.occupancy, lang),
            _lab(sh, "col.unused_capacity", lang): format_number(r.unused_capacity_cost_eur,
                                                                 lang),
        })
    return pd.DataFrame(rows)


GLANCE_NUMERIC = ("col.value", "col.peer_median", "col.peer_range")
WORKLOAD_NUMERIC = ("workload.share", "workload.ci", "workload.hours_per_week")
SERVICE_NUMERIC = ("col.units", "col.clients", "col.full_cost", "col.unit_cost",
                   "col.peer_unit_cost", "col.occupancy", "col.unused_capacity")


def numeric_columns(sh, lang: str, keys=SERVICE_NUMERIC) -> list[str]:
    """Display names of numeric columns (right-aligned in tables)."""
    return [_lab(sh, k, lang) for k in keys]


def cost_structure_figure(sh, code: str, lang: str):
    """Stacked bars per service: direct cost without capital, capital charge, overheads. [EUR]"""
    own, _ = _own_unit_costs(sh, code)
    if own is None:
        return None
    snames = service_names(sh, lang)
    g = own.groupby("service_code")[["direct_cost_eur", "capital_eur", "overhead_eur"]].sum()
    g["direct_only"] = g["direct_cost_eur"] - g["capital_eur"]
    g.index = [snames.get(c, c) for c in g.index]
    g = g.sort_values("direct_cost_eur", ascending=False)
    parts = ["direct_only", "capital_eur", "overhead_eur"]
    names = {"direct_only": _lab(sh, "cost.direct", lang),
             "capital_eur": _lab(sh, "cost.capital", lang),
             "overhead_eur": _lab(sh, "cost.overhead", lang)}
    return plots.stacked_bars(g, parts=parts, part_names=names,
                              title=_lab(sh, "services.structure_title", lang),
                              xlabel=_lab(sh, "axis.eur", lang), lang=lang)


def unit_cost_figure(sh, code: str, lang: str):
    """Unit cost of each of the municipality's services against its peers' (log scale)."""
    own, uc = _own_unit_costs(sh, code)
    if own is None or own["unit_cost_eur"].notna().sum() == 0:
        return None
    peers, _ = peer_codes(sh, code)
    t = uc.loc[uc["municipality_code"].isin(peers)
               & uc["service_code"].isin(own["service_code"])]
    return plots.peer_strips(
        t, code, category="service_code", value="unit_cost_eur",
        category_names=service_names(sh, lang),
        title=_lab(sh, "services.unit_cost_title", lang),
        xlabel=_lab(sh, "axis.unit_cost_log", lang), lang=lang, log=True,
        municipality_label=_lab(sh, "legend.municipality", lang),
        peers_label=_lab(sh, "legend.peers", lang),
        median_label=_lab(sh, "legend.peer_median", lang))


def norm_sentence(sh, code: str, lang: str) -> str:
    """Whether the municipality meets the staffing norm, in one sentence."""
    st = sh.table("staffing_norm")
    if st is None or code not in set(st["municipality_code"]):
        return ""
    r = st.loc[st["municipality_code"] == code].iloc[0]
    if not bool(r["staff_reported"]) or pd.isna(r["specialist_fte"]):
        return _lab(sh, "workload.no_staff", lang, year=sh.year)
    fte = format_number(r["specialist_fte"], lang, 1)
    req = format_number(r["required_fte"], lang, 1)
    if bool(r["meets_norm"]):
        return _lab(sh, "workload.norm_met", lang, fte=fte, required=req)
    return _lab(sh, "workload.norm_gap", lang, fte=fte, required=req,
                gap=format_number(-float(r["gap_fte"]), lang, 1))


def peer_bar_figure(sh, code: str, lang: str, table: str, column: str, title_key: str,
                    xlabel_key: str, **bar_options):
    """Bars of one value of the municipality and its peers (the municipality highlighted), from
    the shared table ``table``; None when the table or the municipality's value is missing."""
    t = sh.table(table)
    if t is None:
        return None
    peers, _ = peer_codes(sh, code)
    v = t.set_index("municipality_code")[column].astype(float).reindex(peers)
    if pd.isna(v.get(code, np.nan)):
        return None
    return plots.peer_bars(v, code, municipality_names(sh.dataset),
                           title=label_of(sh, title_key, lang),
                           xlabel=label_of(sh, xlabel_key, lang), lang=lang, decimals=2,
                           **bar_options)


def norm_figure(sh, code: str, lang: str):
    """Specialists per 1,000 inhabitants of the municipality and its peers, with the norm."""
    return peer_bar_figure(sh, code, lang, "staffing_norm", "fte_per_1000",
                           "workload.norm_title", "unit.fte_per_1000",
                           reference=norm_per_1000(sh.dataset),
                           reference_label=label_of(sh, "legend.norm", lang))


def workload_table(sh, code: str, lang: str) -> tuple[pd.DataFrame | None, str]:
    """Time shares by activity (with intervals), or why they are not shown.

    Figures resting on fewer than :data:`costing.MIN_WORKERS` workers were suppressed by
    :func:`costing.workload_summary`; the table is then withheld and the reason given.
    """
    w = sh.table("workload")
    rows = None if w is None else w.loc[w["municipality_code"] == code]
    if rows is None or rows.empty:
        return None, _lab(sh, "workload.no_diaries", lang, year=sh.year)
    if rows["suppressed"].astype(bool).all():
        return None, _lab(sh, "workload.suppressed", lang, n=MIN_WORKERS)
    acts = sh.dataset.activities
    names = dict(zip(acts["activity_code"].astype(str), acts[f"name_{lang}"].astype(str),
                     strict=True))
    out = []
    for r in rows.itertuples(index=False):
        code_a = str(r.activity_code)
        name = names.get(code_a) or _lab(sh, f"activity.{code_a}", lang)
        ci = (f"{format_percent(r.share_ci_low, lang)} – {format_percent(r.share_ci_high, lang)}"
              if pd.notna(r.share_ci_low) else "")
        out.append({_lab(sh, "col.item", lang): name,
                    _lab(sh, "workload.share", lang): format_percent(r.share, lang),
                    _lab(sh, "workload.ci", lang): ci,
                    _lab(sh, "workload.hours_per_week", lang): format_number(
                        r.hours_per_worker_week, lang, 1)})
    note = _lab(sh, "workload.workers", lang) + ": " + format_number(rows["n_workers"].max(), lang)
    return pd.DataFrame(out), note


def _phrase(sh, text: str, lang: str) -> str:
    """A library's fixed English phrase (unit-cost reasons and notes) in ``lang``: looked up
    as ``phrase.<slug>`` in the labels table, the English text itself when not there."""
    slug = "".join(ch if ch.isalnum() else "_" for ch in text.lower()).strip("_")[:60]
    return label_or(sh, f"phrase.{slug}", lang, text)


def quality_table(sh, code: str, lang: str) -> pd.DataFrame | None:
    """Data problems met while building this report: shared computations that failed, and
    unit costs the library could not compute (or computed only in part) and why."""
    item, note = _lab(sh, "col.item", lang), _lab(sh, "col.note", lang)
    rows = [{item: label_or(sh, f"component.{comp}", lang, comp),
             note: _lab(sh, "quality.not_computed", lang, reason=why)}
            for comp, why in sh.problems.items()]
    own, _ = _own_unit_costs(sh, code)
    if own is not None:
        snames = service_names(sh, lang)
        for r in own.itertuples(index=False):
            texts = [t for col in ("reason", "notes") if isinstance(getattr(r, col, ""), str)
                     for t in getattr(r, col).split("; ") if t.strip()]
            for t in texts:
                rows.append({item: snames.get(r.service_code, r.service_code),
                             note: _phrase(sh, t, lang)})
    return pd.DataFrame(rows) if rows else None


# --- indicators at a glance (costing.peer_stats) ---------------------------------------------

#: Indicators shown at a glance (registry ids), in this order.
GLANCE_INDICATORS = ("spend_per_inh", "net_cost_per_inh", "spend_elderly_per_inh65",
                     "coverage_home_care_per_1000_65", "coverage_ltc_per_1000_65",
                     "unit_cost_ltc", "unit_cost_home_care", "occupancy_residential",
                     "overhead_share", "social_workers_per_1000", "cases_per_fte",
                     "client_facing_share", "cost_recovery")


GLANCE_INDICATOR_NUMERIC = ("col.value", "col.peer_median", "col.peer_quartiles", "col.rank")


def _fmt_indicator(value, unit: str, lang: str) -> str:
    if unit == "fraction":
        return format_percent(value, lang)
    if unit.startswith(("EUR", "FTE")):
        return format_number(value, lang, 2)
    return format_number(value, lang, 1)


def _unit_key(unit: str) -> str:
    return "iunit." + "".join(ch if ch.isalnum() else "_" for ch in unit.lower()).strip("_")


def indicator_table(sh, code: str, lang: str, ids=GLANCE_INDICATORS) -> pd.DataFrame | None:
    """Registry indicators of the municipality against its peer group (median, quartiles, rank).

    Values come from :func:`costing.peer_stats` (money at the report year's prices); rank 1 is
    the best in the indicator's direction, or the lowest for indicators that are neither good
    nor bad in themselves.
    """
    ps = sh.table("peer_stats")
    if ps is None:
        return None
    from .indicators import indicator_registry

    reg = indicator_registry().set_index("indicator_id")
    own = ps.loc[ps["municipality_code"] == code].set_index("indicator_id")
    rows = []
    for ind in ids:
        if ind not in own.index or pd.isna(own.at[ind, "value"]):
            continue
        r, unit = own.loc[ind], str(reg.at[ind, "unit"])
        rows.append({
            _lab(sh, "col.indicator", lang): str(reg.at[ind, f"name_{lang}"]),
            _lab(sh, "col.value", lang): _fmt_indicator(r["value"], unit, lang),
            _lab(sh, "col.peer_median", lang): _fmt_indicator(r["peer_median"], unit, lang),
            _lab(sh, "col.peer_quartiles", lang): (
                f"{_fmt_indicator(r['peer_q1'], unit, lang)} – "
                f"{_fmt_indicator(r['peer_q3'], unit, lang)}"),
            _lab(sh, "col.rank", lang): (f"{int(r['rank'])} / {int(r['n_peers'])}"
                                         if pd.notna(r["rank"]) else ""),
            _lab(sh, "col.unit", lang): label_or(sh, _unit_key(unit), lang, unit)})
    return pd.DataFrame(rows) if rows else None


def caseload_sentence(sh, code: str, lang: str) -> str:
    """Weighted caseload per FTE against capacity (:func:`costing.weighted_caseload`), or why
    it is not shown (no caseload data, or fewer than :data:`costing.MIN_WORKERS` workers)."""
    c = sh.table("caseload")
    rows = None if c is None else c.loc[c["municipality_code"] == code]
    if rows is None or rows.empty:
        return ""
    r = rows.iloc[0]
    if bool(r["suppressed"]):
        return _lab(sh, "workload.caseload_suppressed", lang, n=MIN_WORKERS)
    return _lab(sh, "workload.caseload", lang,
                points=format_number(r["points_per_fte"], lang, 1),
                capacity=format_number(float(r["capacity_points"]) / float(r["fte"]), lang)
                if float(r["fte"]) > 0 else format_number(None, lang),
                use=format_percent(r["utilisation"], lang),
                status=label_or(sh, f"status.{r['status']}", lang, str(r["status"])),
                workers=format_number(r["n_workers"], lang))

