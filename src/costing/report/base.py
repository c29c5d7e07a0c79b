"""One municipality's report as an object: the batch's shared results, the municipality and the
language bound together, with the one way to get a label and the one way to show a block.

:class:`ReportBase` is what every section builds on (:mod:`costing.report.sections`,
:mod:`costing.report.position`); :class:`costing.report.Report` puts the sections together and is
what the template opens. Content methods return what is shown: a table of formatted strings (a
DataFrame whose ``attrs`` name its numeric columns and its note), a chart (matplotlib
:class:`~matplotlib.figure.Figure`) or a sentence; ``None`` or ``""`` means "nothing to show".
:meth:`ReportBase.block` displays any of them under an optional title, introduction and note.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import cached_property

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..data.municipalities import municipality_names, validate_codes
from ..errors import InputError
from . import html, plots
from .components import peer_codes
from .labels import (
    check_lang,
    format_number,
    format_percent,
    label,
    labels_table,
    service_name,
)
from .shared import Shared, report_inputs

Content = pd.DataFrame | Figure | str | None


class ReportBase:
    """The shared results of a batch, bound to one municipality and one language.

    Parameters
    ----------
    shared : Shared
        The batch's cross-municipality results (:func:`costing.report.shared.build_shared`).
    municipality : str
        ATVK code of the municipality the report is about; refused if not in the dataset.
    lang : {"lv", "en"}
        Language of every text, label and number format.
    """

    def __init__(self, shared: Shared, municipality: str, lang: str = "lv"):
        self.lang = check_lang(lang)
        self.shared = shared
        self.dataset = shared.dataset
        self.year = shared.year
        self.code = validate_codes([municipality], shared.dataset)[0]
        path = shared.dataset.path
        #: What the report was asked for (shown in its provenance section).
        self.parameters: dict = {"municipality": self.code, "year": self.year, "lang": lang,
                                 "dataset": str(path) if path else "",
                                 "peer_rule": shared.peer_rule, "shared": shared.path}

    @classmethod
    def open(cls, municipality: str, *, year: int = 2024, lang: str = "lv", dataset: str = "",
             peer_rule: str = "default", shared: str = ""):
        """The report of ``municipality``: the batch's shared results read from ``shared``, or
        computed here from ``dataset`` (``""`` = the demo dataset) when run on its own.

        These are the template's parameters; they are recorded in :attr:`parameters`.
        """
        inputs = report_inputs(dataset=dataset, year=year, peer_rule=peer_rule, shared=shared)
        if municipality in inputs.excluded:
            raise InputError(f"{municipality}: no report, its data cannot be computed: "
                             f"{inputs.excluded[municipality]}")
        report = cls(inputs, municipality, lang)
        report.parameters = {"municipality": municipality, "year": year, "lang": lang,
                             "dataset": dataset, "peer_rule": peer_rule, "shared": shared}
        return report

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.code} {self.name!r} {self.year} ({self.lang})>"

    # --- labels and names -------------------------------------------------------------------

    @cached_property
    def _own_labels(self) -> pd.DataFrame | None:
        """The dataset's own labels table (overriding the shipped texts), if it has one."""
        ds = self.dataset
        return ds.labels if "labels" in ds.tables else None

    def label(self, key: str, default: str | None = None, **values: object) -> str:
        """The text of label ``key`` in the report's language, with ``{placeholders}`` filled.

        The dataset's own labels table (if it ships one) overrides the shipped texts.
        ``default`` is returned for a key the table does not have (e.g. a peer-group or status
        code without a label); without a default an unknown key is an error.
        """
        if default is not None and key not in labels_table(self._own_labels).index:
            return default
        return label(key, self.lang, self._own_labels, **values)

    @cached_property
    def names(self) -> dict[str, str]:
        """Display name by municipality code."""
        return municipality_names(self.dataset)

    @property
    def name(self) -> str:
        """The municipality's display name."""
        return self.names.get(self.code, self.code)

    @cached_property
    def service_names(self) -> dict[str, str]:
        """Display name by service code (service catalogue, in the report's language)."""
        services = self.dataset.services
        return {c: service_name(c, self.lang, services)
                for c in services["service_code"].astype(str)}

    @cached_property
    def unit_names(self) -> dict[str, str]:
        """Display name by output unit (bed-day, client-hour, ...)."""
        u = self.dataset.output_units
        return dict(zip(u["output_unit"].astype(str), u[f"name_{self.lang}"].astype(str),
                        strict=True))

    def number(self, value, decimals: int = 0) -> str:
        """``value`` formatted for the report's language (:func:`costing.format_number`)."""
        return format_number(value, self.lang, decimals)

    def percent(self, fraction, decimals: int = 1) -> str:
        """A fraction as a percentage in the report's language (:func:`costing.format_percent`)."""
        return format_percent(fraction, self.lang, decimals)

    def phrase(self, text: str) -> str:
        """A library's fixed English phrase (unit-cost reasons and notes) in the report's
        language: looked up as ``phrase.<slug>``, the English text itself when not there."""
        slug = "".join(ch if ch.isalnum() else "_" for ch in text.lower()).strip("_")[:60]
        return self.label(f"phrase.{slug}", default=text)

    # --- the shared results -----------------------------------------------------------------

    def table(self, name: str) -> pd.DataFrame | None:
        """A shared table, or ``None`` if the batch could not compute it."""
        return self.shared.table(name)

    @cached_property
    def _peer_group(self) -> tuple[list[str], str]:
        return peer_codes(self.shared, self.code)

    @property
    def peers(self) -> list[str]:
        """The municipality's peer group (codes, itself included)."""
        return self._peer_group[0]

    @property
    def peer_group(self) -> str:
        """The peer group's code ("" when every municipality is a peer)."""
        return self._peer_group[1]

    def peer_bar_figure(self, table: str, column: str, title_key: str, xlabel_key: str,
                        **bar_options) -> Figure | None:
        """Bars of one value of the municipality and its peers (the municipality highlighted),
        from the shared table ``table``; ``None`` when the table or the value is missing."""
        t = self.table(table)
        if t is None:
            return None
        v = t.set_index("municipality_code")[column].astype(float).reindex(self.peers)
        if pd.isna(v.get(self.code, np.nan)):
            return None
        return plots.peer_bars(v, self.code, self.names, title=self.label(title_key),
                               xlabel=self.label(xlabel_key), lang=self.lang, decimals=2,
                               **bar_options)

    def frame(self, rows: Sequence[Mapping[str, str]], numeric: Iterable[str] = (),
              note: str = "") -> pd.DataFrame | None:
        """A display table from rows keyed by label keys: headers in the report's language,
        ``attrs["numeric"]`` the right-aligned columns, ``attrs["note"]`` shown below it."""
        if not rows:
            return None
        df = pd.DataFrame([{self.label(k): v for k, v in r.items()} for r in rows])
        df.attrs["numeric"] = [self.label(k) for k in numeric]
        df.attrs["note"] = note
        return df

    # --- showing blocks ---------------------------------------------------------------------

    def _display(self, html_text: str) -> None:
        from IPython.display import HTML, display

        display(HTML(html_text))

    def heading(self, text: str, level: int = 2) -> None:
        """Show a heading (``text`` as given; use :meth:`label` for a labelled one)."""
        self._display(html.heading(text, level))

    def text(self, *texts: str, css_class: str = "") -> None:
        """Show one paragraph per non-empty text."""
        if any(t for t in texts):
            self._display(html.paragraph(*texts, css_class=css_class))

    def notice(self, text: str) -> None:
        """Show a highlighted notice box (the "illustrative data" warning)."""
        self._display(html.notice(text))

    def section(self, key: str, *texts: str) -> None:
        """Open section ``key``: its heading (label ``section.<key>``), then one paragraph per
        text (a label key or a sentence)."""
        self.heading(self.label(f"section.{key}"))
        self.text(*(self.label(t, default=t) for t in texts if t))

    def block(self, content: Content, *, title: str | None = None, intro: str | None = None,
              note: str | None = None, empty: str | None = None) -> None:
        """Show one block: an optional title (label key, level-3 heading) and introduction
        (label key), the content, and a note below it (label key or text).

        ``content`` is a table from a content method (its ``attrs`` give the numeric columns
        and a note of its own), a matplotlib figure, or a sentence. When it is ``None`` or
        ``""`` nothing is shown, unless ``empty`` (label key or text) says why, under the title.
        """
        missing = content is None or (isinstance(content, str) and not content.strip())
        if missing and empty is None:
            return
        if title:
            self.heading(self.label(title, default=title), 3)
        if missing:
            self.text(self.label(empty, default=empty))
            return
        if intro:
            self.text(self.label(intro, default=intro))
        if isinstance(content, pd.DataFrame):
            self._display(html.table(content, content.attrs.get("numeric", ())))
            self.text(content.attrs.get("note", ""))
        elif isinstance(content, str):
            self.text(content)
        else:
            from IPython.display import display

            display(plots.as_image(content))
        if note:
            self.text(self.label(note, default=note))


__all__ = ["Content", "ReportBase"]
