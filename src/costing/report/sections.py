"""The report's sections on the municipality itself: header, at a glance, services and their
unit costs, social workers' workload, data quality and provenance.

Every method returns what :meth:`~costing.report.base.ReportBase.block` shows: a table of
formatted strings (numbers formatted for the report's language with
:func:`costing.format_number`), a chart (:mod:`costing.report.plots`, the municipality in the
highlight colour) or a sentence from the labels table; ``None`` or ``""`` means "nothing to show".
"""

from __future__ import annotations

import platform
from functools import cached_property

import pandas as pd
from matplotlib.figure import Figure

from ..benchmark.indicators import indicator_registry
from ..benchmark.plausibility import WARNING_COLUMNS
from ..privacy import MIN_WORKERS
from . import plots
from .base import ReportBase
from .components import norm_per_1000, peer_summary
from .labels import format_number, format_percent
from .shared import now_utc

#: Marks a figure that rests on a value with a plausibility warning (see the data quality list).
WARNED_MARK = "⚠"
#: Tables the full cost is computed from: a warning there marks the full-cost figures (and,
#: with ``outputs``, the unit costs of the centre).
COST_TABLES = ("expenditure", "assets")
#: Tables whose rows describe one worker: their values are never shown in a report.
PERSONAL_TABLES = ("workers", "caseloads", "time_use")

#: Key figures at a glance: column of the shared ``key_figures`` table, label, unit label.
#: Per-inhabitant figures follow in the indicator table (:func:`costing.peer_stats`).
KEY_FIGURES = (("population", "kf.population", "unit.persons"),
               ("full_cost_eur", "kf.full_cost", "unit.eur"),
               ("service_centres", "kf.services", "unit.count"))

#: Indicators shown at a glance (registry ids), in this order.
GLANCE_INDICATORS = ("spend_per_inh", "net_cost_per_inh", "spend_elderly_per_inh65",
                     "coverage_home_care_per_1000_65", "coverage_ltc_per_1000_65",
                     "unit_cost_ltc", "unit_cost_home_care", "occupancy_residential",
                     "overhead_share", "social_workers_per_1000", "cases_per_fte",
                     "client_facing_share", "cost_recovery")


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


def _indicator_value(value, unit: str, lang: str) -> str:
    if unit == "fraction":
        return format_percent(value, lang)
    if unit.startswith(("EUR", "FTE")):
        return format_number(value, lang, 2)
    return format_number(value, lang, 1)


def _unit_key(unit: str) -> str:
    return "iunit." + "".join(ch if ch.isalnum() else "_" for ch in unit.lower()).strip("_")


class Sections(ReportBase):
    """Header, at a glance, services, workload, data quality and provenance."""

    # --- header -----------------------------------------------------------------------------

    def peers_sentence(self) -> str:
        """The peer group the municipality is compared with, or that it has none."""
        if not self.peer_group:
            return ""
        group = self.label(f"peer.{self.peer_group}", default=self.peer_group)
        if len(self.peers) > 1:
            return self.label("report.peers", n=len(self.peers), group=group)
        return self.label("report.no_peers", group=group)

    def header(self) -> None:
        """Show the title, the illustrative-data notice (when it applies) and the subtitle."""
        self.heading(self.label("report.title", name=self.name, year=self.year), 1)
        if self.dataset.is_illustrative:
            self.notice(self.label("notice.illustrative"))
        if len(self.own_warnings):  # a figure on an implausible value is never shown silently
            self.notice(self.label("notice.warnings", mark=WARNED_MARK,
                                   n=len(self.own_warnings)))
        self.text(self.label("report.subtitle"), self.peers_sentence(),
                  css_class="costing-subtitle")

    # --- at a glance ------------------------------------------------------------------------

    def key_figures_table(self) -> pd.DataFrame | None:
        """Key figures of the municipality against its peers' median and range."""
        kf = self.table("key_figures")
        if kf is None or self.code not in kf.index:
            return None
        rows = []
        cost_warned = self.own_warnings["table"].isin(COST_TABLES).any()
        for col, key, unit in KEY_FIGURES:
            if col not in kf.columns or pd.isna(kf.at[self.code, col]):
                continue
            s = peer_summary(kf[col].astype(float), self.code, self.peers)
            fmt = self.number
            name = self.label(key)
            if cost_warned and col.startswith("full_cost"):
                name = f"{name} {WARNED_MARK}"
            rows.append({"col.indicator": name, "col.value": fmt(s["value"]),
                         "col.peer_median": fmt(s["median"]),
                         "col.peer_range": (f"{fmt(s['min'])} – {fmt(s['max'])}"
                                            if s["n"] else ""),
                         "col.unit": self.label(unit)})
        note = self.label("quality.warned_note", mark=WARNED_MARK) if cost_warned else ""
        return self.frame(rows, numeric=("col.value", "col.peer_median", "col.peer_range"),
                          note=note)

    def indicator_table(self, ids=GLANCE_INDICATORS) -> pd.DataFrame | None:
        """Registry indicators of the municipality against its peer group (median, quartiles,
        rank).

        Values come from :func:`costing.peer_stats` (money at the report year's prices); rank 1
        is the best in the indicator's direction, or the lowest for indicators that are neither
        good nor bad in themselves.
        """
        ps = self.table("peer_stats")
        if ps is None:
            return None
        reg = indicator_registry().set_index("indicator_id")
        own = ps.loc[ps["municipality_code"] == self.code].set_index("indicator_id")
        rows = []
        for ind in ids:
            if ind not in own.index or pd.isna(own.at[ind, "value"]):
                continue
            r, unit = own.loc[ind], str(reg.at[ind, "unit"])

            def fmt(v, unit=unit):
                return _indicator_value(v, unit, self.lang)

            rows.append({
                "col.indicator": str(reg.at[ind, f"name_{self.lang}"]),
                "col.value": fmt(r["value"]), "col.peer_median": fmt(r["peer_median"]),
                "col.peer_quartiles": f"{fmt(r['peer_q1'])} – {fmt(r['peer_q3'])}",
                "col.rank": (f"{int(r['rank'])} / {int(r['n_peers'])}"
                             if pd.notna(r["rank"]) else ""),
                "col.unit": self.label(_unit_key(unit), default=unit)})
        return self.frame(rows, numeric=("col.value", "col.peer_median", "col.peer_quartiles",
                                         "col.rank"))

    # --- services ---------------------------------------------------------------------------

    def _unit_costs(self) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
        """(the municipality's unit-cost rows of the year or None, everyone's of the year)."""
        uc = self.table("unit_costs")
        if uc is None:
            return None, None
        uc = uc.loc[uc["year"].astype(int) == self.year]
        own = uc.loc[uc["municipality_code"] == self.code]
        return (own if len(own) else None), uc

    def services_table(self) -> pd.DataFrame | None:
        """One row per service cost centre: volume, full cost, unit cost against peers,
        occupancy and the cost of unused capacity."""
        own, uc = self._unit_costs()
        if own is None:
            return None
        peer_rows = uc.loc[uc["municipality_code"].isin([p for p in self.peers
                                                         if p != self.code])]
        own = own.sort_values(["service_code", "cost_centre_id"])
        n = self.number
        rows = []
        w = self.own_warnings
        warned = set(w.loc[w["table"].isin((*COST_TABLES, "outputs")), "cost_centre_id"])
        for r, name in zip(own.itertuples(index=False), centre_names(own, self.service_names),
                           strict=True):
            if r.cost_centre_id in warned:
                name = f"{name} {WARNED_MARK}"
            med = peer_rows.loc[peer_rows["service_code"] == r.service_code,
                                "unit_cost_eur"].median()
            rows.append({
                "col.service": name,
                "col.output_unit": self.unit_names.get(str(r.output_unit), str(r.output_unit)),
                "col.units": n(r.units), "col.clients": n(r.clients),
                "col.full_cost": n(r.full_cost_eur), "col.unit_cost": n(r.unit_cost_eur, 2),
                "col.peer_unit_cost": n(med, 2),
                "col.occupancy": format_percent(r.occupancy, self.lang),
                "col.unused_capacity": n(r.unused_capacity_cost_eur)})
        note = self.label("quality.warned_note", mark=WARNED_MARK) if warned & set(
            own["cost_centre_id"]) else ""
        return self.frame(rows, numeric=("col.units", "col.clients", "col.full_cost",
                                         "col.unit_cost", "col.peer_unit_cost", "col.occupancy",
                                         "col.unused_capacity"), note=note)

    def cost_structure_figure(self) -> Figure | None:
        """Stacked bars per service: direct cost without capital, capital charge, overheads.
        [EUR]"""
        own, _ = self._unit_costs()
        if own is None:
            return None
        g = own.groupby("service_code")[["direct_cost_eur", "capital_eur", "overhead_eur"]].sum()
        g["direct_only"] = g["direct_cost_eur"] - g["capital_eur"]
        g.index = [self.service_names.get(c, c) for c in g.index]
        g = g.sort_values("direct_cost_eur", ascending=False)
        names = {"direct_only": self.label("cost.direct"),
                 "capital_eur": self.label("cost.capital"),
                 "overhead_eur": self.label("cost.overhead")}
        return plots.stacked_bars(g, parts=list(names), part_names=names,
                                  title=self.label("services.structure_title"),
                                  xlabel=self.label("axis.eur"), lang=self.lang)

    def unit_cost_figure(self) -> Figure | None:
        """Unit cost of each of the municipality's services against its peers' (log scale)."""
        own, uc = self._unit_costs()
        if own is None or own["unit_cost_eur"].notna().sum() == 0:
            return None
        t = uc.loc[uc["municipality_code"].isin(self.peers)
                   & uc["service_code"].isin(own["service_code"])]
        return plots.peer_strips(
            t, self.code, category="service_code", value="unit_cost_eur",
            category_names=self.service_names, title=self.label("services.unit_cost_title"),
            xlabel=self.label("axis.unit_cost_log"), lang=self.lang, log=True,
            municipality_label=self.label("legend.municipality"),
            peers_label=self.label("legend.peers"),
            median_label=self.label("legend.peer_median"))

    # --- workload ---------------------------------------------------------------------------

    def norm_sentence(self) -> str:
        """Whether the municipality meets the staffing norm, in one sentence."""
        st = self.table("staffing_norm")
        if st is None or self.code not in set(st["municipality_code"]):
            return ""
        r = st.loc[st["municipality_code"] == self.code].iloc[0]
        if not bool(r["staff_reported"]) or pd.isna(r["specialist_fte"]):
            return self.label("workload.no_staff", year=self.year)
        fte, req = self.number(r["specialist_fte"], 1), self.number(r["required_fte"], 1)
        if bool(r["meets_norm"]):
            return self.label("workload.norm_met", fte=fte, required=req)
        return self.label("workload.norm_gap", fte=fte, required=req,
                          gap=self.number(-float(r["gap_fte"]), 1))

    def norm_figure(self) -> Figure | None:
        """Specialists per 1,000 inhabitants of the municipality and its peers, with the norm."""
        return self.peer_bar_figure("staffing_norm", "fte_per_1000", "workload.norm_title",
                                    "unit.fte_per_1000", reference=norm_per_1000(self.dataset),
                                    reference_label=self.label("legend.norm"))

    def caseload_sentence(self) -> str:
        """Weighted caseload per FTE against capacity (:func:`costing.weighted_caseload`), or
        why it is not shown (fewer than :data:`costing.MIN_WORKERS` workers); ``""`` without
        caseload data."""
        c = self.table("caseload")
        rows = None if c is None else c.loc[c["municipality_code"] == self.code]
        if rows is None or rows.empty:
            return ""
        r = rows.iloc[0]
        if bool(r["suppressed"]):
            return self.label("workload.caseload_suppressed", n=MIN_WORKERS)
        fte = float(r["fte"])
        return self.label(
            "workload.caseload", points=self.number(r["points_per_fte"], 1),
            capacity=self.number(float(r["capacity_points"]) / fte if fte > 0 else None),
            use=format_percent(r["utilisation"], self.lang),
            status=self.label(f"status.{r['status']}", default=str(r["status"])),
            workers=self.number(r["n_workers"]))

    def workload_table(self) -> pd.DataFrame | str:
        """Time shares by activity with their intervals, or the sentence saying why they are
        not shown.

        Figures resting on fewer than :data:`costing.MIN_WORKERS` workers were suppressed by
        :func:`costing.workload_summary`; the table is then withheld and the reason given.
        """
        w = self.table("workload")
        rows = None if w is None else w.loc[w["municipality_code"] == self.code]
        if rows is None or rows.empty:
            return self.label("workload.no_diaries", year=self.year)
        if rows["suppressed"].astype(bool).all():
            return self.label("workload.suppressed", n=MIN_WORKERS)
        acts = self.dataset.activities
        names = dict(zip(acts["activity_code"].astype(str),
                         acts[f"name_{self.lang}"].astype(str), strict=True))
        pct = self.percent
        out = []
        for r in rows.itertuples(index=False):
            code = str(r.activity_code)
            out.append({
                "col.item": names.get(code) or self.label(f"activity.{code}"),
                "workload.share": pct(r.share),
                "workload.ci": (f"{pct(r.share_ci_low)} – {pct(r.share_ci_high)}"
                                if pd.notna(r.share_ci_low) else ""),
                "workload.hours_per_week": self.number(r.hours_per_worker_week, 1)})
        note = self.label("workload.workers") + ": " + self.number(rows["n_workers"].max())
        return self.frame(out, numeric=("workload.share", "workload.ci",
                                        "workload.hours_per_week"), note=note)

    # --- data quality and provenance --------------------------------------------------------

    def quality_table(self) -> pd.DataFrame | str:
        """Data problems met while building this report (shared computations that failed, and
        unit costs the library could not compute, or computed only in part, and why), or the
        sentence that there were none."""
        rows = [{"col.item": self.label(f"component.{comp}", default=comp),
                 "col.note": self.label("quality.not_computed", reason=why)}
                for comp, why in self.shared.problems.items()]
        centres = self.centre_labels
        rows += [{"col.item": WARNED_MARK + " " + self.label(
                      "quality.warning_item", file=w.file, row=w.row,
                      what=centres.get(w.cost_centre_id, w.cost_centre_id)),
                  "col.note": self.warning_text(w)}
                 for w in self.own_warnings.itertuples(index=False)]
        rows += [{"col.item": f"{self.names.get(code, code)} ({code})",
                  "col.note": self.label("quality.excluded", reason=self.refusal_text(code, why))}
                 for code, why in self.shared.excluded.items()]
        own, _ = self._unit_costs()
        if own is not None:
            for r in own.itertuples(index=False):
                texts = [t for col in ("reason", "notes") if isinstance(getattr(r, col, ""), str)
                         for t in getattr(r, col).split("; ") if t.strip()]
                rows += [{"col.item": self.service_names.get(r.service_code, r.service_code),
                          "col.note": self.phrase(t)} for t in texts]
        return self.frame(rows) if rows else self.label("quality.no_issues")

    @cached_property
    def own_warnings(self) -> pd.DataFrame:
        """The plausibility warnings of this municipality's data (empty when there are none)."""
        w = self.shared.warnings
        if w is None:
            return pd.DataFrame(columns=WARNING_COLUMNS)
        return w.loc[w["municipality_code"] == self.code].reset_index(drop=True)

    def refusal_text(self, code: str, reason: str) -> str:
        """Why the method refuses municipality ``code``, in the report's language (the
        library's own message when a rule has no label)."""
        ref = self.shared.refusals
        if ref is None or not len(ref):
            return reason
        rules = ref.loc[ref["municipality_code"] == code, "rule"].drop_duplicates()
        texts = [self.label(f"refusal.{r}", default="") for r in rules]
        return "; ".join(texts) if texts and all(texts) else reason

    def warning_text(self, w) -> str:
        """One plausibility warning in the report's language: what the rule checks and the
        value. A value of one worker (caseload, personal pay) is not shown: it is personal."""
        text = self.label(f"warning.{w.rule}", default=w.message)
        if w.table in PERSONAL_TABLES:
            return text
        try:
            value = float(w.value)
            shown = self.number(value, 0 if value.is_integer() else 2)
        except ValueError:
            shown = w.value
        return f"{text} {self.label('quality.warning_value', column=w.column, value=shown)}"

    @cached_property
    def centre_labels(self) -> dict[str, str]:
        """Display name of each of the municipality's cost centres (as in the services
        table; support centres by their own name)."""
        cc = self.dataset.cost_centres
        own = cc.loc[cc["municipality_code"] == self.code]
        service = own.loc[own["role"] == "service"].sort_values(["service_code",
                                                                  "cost_centre_id"])
        names = dict(zip(service["cost_centre_id"], centre_names(service, self.service_names),
                         strict=True))
        for r in own.loc[own["role"] != "service"].itertuples(index=False):
            names[r.cost_centre_id] = str(r.name)
        return names

    def provenance_table(self) -> pd.DataFrame:
        """Rows (item, value) stating what the report was built from: dataset, its hash,
        whether it is illustrative, library version, parameters, when shared results were
        computed and when the report was."""
        sh, ds, parameters = self.shared, self.dataset, self.parameters
        name = ds.metadata.get("name") or (str(ds.path) if ds.path else "")
        if not parameters.get("dataset"):
            demo = self.label("prov.demo")
            name = f"{name} ({demo})" if name else demo
        params = ", ".join(f"{k}={v!r}" for k, v in parameters.items() if k != "shared")
        rows = [
            ("prov.dataset", name), ("prov.hash", sh.dataset_hash),
            ("prov.illustrative", self.label("yes" if ds.is_illustrative else "no")),
            ("prov.version", f"{sh.version} (Python {platform.python_version()}, "
                             f"pandas {pd.__version__})"),
            ("prov.parameters", params),
            ("prov.shared", sh.created if parameters.get("shared")
             else self.label("prov.computed_here")),
            ("prov.created", now_utc()),
        ]
        return self.frame([{"col.item": self.label(k), "col.value": v} for k, v in rows])
