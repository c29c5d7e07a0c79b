"""The report's section on where the municipality stands and why: the spending gap to its peers
split into coverage and unit cost, need-adjusted spending, expected unit costs, a funnel plot and
DEA efficiency.

Like :mod:`costing.report.sections`, every method returns a formatted table, a chart or a
sentence (``None``/``""`` when there is nothing to show); the numbers come from the benchmarking
layer, computed once per batch (:mod:`costing.report.components`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..benchmark.funnel import funnel_limits
from . import plots
from .base import ReportBase
from .sections import centre_names


class Position(ReportBase):
    """Where the municipality stands among its peers, and why."""

    def decomposition_table(self) -> pd.DataFrame | None:
        """Gap in spending per inhabitant to the peer group, split into coverage and unit
        cost, one row per service, largest gap first."""
        d = self.table("decomposition")
        if d is None:
            return None
        own = d.loc[(d["municipality_code"] == self.code) & d["gap_eur"].notna()]
        if own.empty:
            return None
        services = self.dataset.services
        groups = dict(zip(services["service_code"].astype(str),
                          services["target_group"].astype(str), strict=True))
        everyone = self.label("target_group.all")
        own = own.reindex(own["gap_eur"].abs().sort_values(ascending=False).index)
        n = self.number
        rows = [{"col.service": self.service_names.get(r.service_code, r.service_code),
                 "col.target_group": (everyone if groups.get(r.service_code, "all") == "all"
                                      else groups[r.service_code]),
                 "col.spend_per_inh": n(r.spending_per_inhabitant_eur, 2),
                 "col.peer_spend_per_inh": n(r.peer_spending_per_inhabitant_eur, 2),
                 "col.gap": n(r.gap_eur, 2),
                 "col.coverage_effect": n(r.coverage_effect_eur, 2),
                 "col.unit_cost_effect": n(r.unit_cost_effect_eur, 2)}
                for r in own.itertuples(index=False)]
        return self.frame(rows, numeric=("col.spend_per_inh", "col.peer_spend_per_inh",
                                         "col.gap", "col.coverage_effect",
                                         "col.unit_cost_effect"))

    def need_sentence(self) -> str:
        """Need index, spending against what the need would predict, and resource use."""
        need = self.table("need")
        if need is None or self.code not in set(need["municipality_code"]):
            return ""
        r = need.loc[need["municipality_code"] == self.code].iloc[0]
        n = self.number
        return self.label("position.need", need=n(r["need_index"], 2),
                          spend=n(r["spending_per_inhabitant_eur"], 2),
                          expected=n(r["expected_spending_per_inhabitant_eur"], 2),
                          adjusted=n(r["need_adjusted_spending_per_inhabitant_eur"], 2),
                          use=n(r["resource_use"], 2))

    def need_figure(self) -> Figure | None:
        """Resource use (1 = network average after adjusting for need) among the peers."""
        return self.peer_bar_figure("need", "resource_use", "position.need_title",
                                    "position.resource_use", reference=1.0,
                                    reference_label=self.label("legend.average"))

    def expected_cost_table(self) -> pd.DataFrame | None:
        """Each service centre's unit cost against the cost its scale, occupancy and service
        predict (expected-cost regression), with the 95 % prediction interval."""
        e = self.table("expected_cost")
        if e is None:
            return None
        own = e.loc[(e["municipality_code"] == self.code) & e["expected_unit_cost_eur"].notna()]
        if own.empty:
            return None
        own = own.sort_values(["service_code", "cost_centre_id"])
        n = self.number
        rows = [{"col.service": name,
                 "col.unit_cost": n(r.unit_cost_eur, 2),
                 "col.expected": n(r.expected_unit_cost_eur, 2),
                 "col.interval": f"{n(r.pi_lower_eur, 2)} – {n(r.pi_upper_eur, 2)}",
                 "col.unexplained": self.percent(r.unexplained_share),
                 "col.note": self.label("position.outside") if bool(r.outside_pi) else ""}
                for r, name in zip(own.itertuples(index=False),
                                   centre_names(own, self.service_names), strict=True)]
        return self.frame(rows, numeric=("col.unit_cost", "col.expected", "col.interval",
                                         "col.unexplained"))

    def efficiency_sentence(self) -> str:
        """DEA efficiency score and the municipalities on the frontier it is compared with."""
        e = self.table("efficiency")
        if e is None:
            return ""
        if self.code not in set(e["municipality_code"]):
            return self.label("position.no_efficiency")
        r = e.loc[e["municipality_code"] == self.code].iloc[0]
        refs = [self.names.get(p, p) for p in str(r["peers"]).split("|") if p and p != self.code]
        if float(r["efficiency"]) >= 1 - 1e-9:
            return self.label("position.efficient")
        return self.label("position.efficiency", score=self.percent(r["efficiency"]),
                          saving=self.percent(1 - float(r["efficiency"])),
                          peers=", ".join(refs))

    def efficiency_figure(self) -> Figure | None:
        """DEA efficiency of the municipality and its peer group."""
        return self.peer_bar_figure("efficiency", "efficiency", "position.efficiency_title",
                                    "position.efficiency_axis")

    def funnel_sentence(self) -> str:
        """Where the municipality lies on the funnel plot, in words."""
        f = self.table("funnel")
        if f is None or self.code not in set(f["municipality_code"]):
            return ""
        r = f.loc[f["municipality_code"] == self.code].iloc[0]
        band = str(r["band"])
        return self.label("position.funnel", rate=self.number(float(r["rate"]) * 1000, 1),
                          target=self.number(float(r["target"]) * 1000, 1),
                          where=self.label(f"funnel.{band.split('_')[0]}", default=band))

    def funnel_figure(self) -> Figure | None:
        """Funnel plot of home-care coverage (clients per 1,000 inhabitants aged 65+) against
        the size of that population, with 99.8 % control limits (:func:`costing.funnel_limits`)."""
        f = self.table("funnel")
        if f is None or self.code not in set(f["municipality_code"]):
            return None
        f = f.set_index("municipality_code")
        grid = np.geomspace(float(f["n"].min()), float(f["n"].max()), 200)
        lim = funnel_limits(float(f["target"].iloc[0]), grid, per=1000.0)
        return plots.peer_scatter(
            f["n"].astype(float), f["rate"].astype(float) * 1000.0, self.code, self.names,
            title=self.label("position.funnel_title"), xlabel=self.label("position.funnel_x"),
            ylabel=self.label("position.funnel_y"), lang=self.lang,
            line=(grid, lim["target"].to_numpy()),
            band=(grid, lim["lower_99_8"].to_numpy(), lim["upper_99_8"].to_numpy()),
            line_label=self.label("legend.national_rate"),
            band_label=self.label("legend.control_limits"), logx=True)
