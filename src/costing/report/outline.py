"""The report of one municipality, as the template opens it::

    import costing as ct

    report = ct.report.Report.open("LV0001000", year=2024, lang="en")
    report.section("services")
    report.block(report.services_table(), title="services.table_title")

In a notebook each call displays its block; the content methods (``*_table``, ``*_figure``,
``*_sentence``) only return what would be shown, so a researcher can look at any of them as a
DataFrame, a figure or a string.
"""

from __future__ import annotations

from .position import Position
from .sections import Sections


class Report(Sections, Position):
    """One municipality's report: shared results, municipality and language bound together.

    Open it with :meth:`Report.open` (what the template does) or build it from shared results
    already in memory: ``Report(shared, "LV0001000", "en")``. See :class:`ReportBase
    <costing.report.base.ReportBase>` for labels and blocks, :class:`Sections
    <costing.report.sections.Sections>` and :class:`Position <costing.report.position.Position>`
    for the content.
    """
