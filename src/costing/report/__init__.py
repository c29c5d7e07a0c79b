"""Municipality reports: the batch runner and its kernel pool, the results a batch shares, the
content of each section, HTML, labels and charts, and the papermill template (package data,
``report/template/municipality_report.ipynb``).

Report authors use ``ct.report`` (the template opens a :class:`Report`); everyone else calls
:func:`run_reports` (``ct.run_reports``) or the ``costing reports`` command.
"""

from .labels import format_eur, format_number, format_percent, label, labels_table
from .runner import TEMPLATE, BatchResult, run_reports

__all__ = [
    "TEMPLATE", "BatchResult", "Report", "format_eur", "format_number", "format_percent", "label",
    "labels_table", "run_reports",
]


def __getattr__(name: str):
    # the report object draws charts: matplotlib (half a second) loads with it, not with costing
    if name == "Report":
        from .outline import Report

        return Report
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
