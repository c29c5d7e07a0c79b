"""HTML for the municipality reports: output blocks shown by the template, the notebook-to-HTML
export (self-contained, code hidden) and the index page of a batch.

:func:`heading`, :func:`paragraph`, :func:`notice` and :func:`table` give the HTML of one block
(:meth:`costing.report.base.ReportBase.block` displays it); every value is HTML-escaped.
:func:`exporter` builds the ``nbconvert`` HTML exporter once per process; its template drops the
remote scripts of the stock JupyterLab template (require.js, MathJax, Mermaid), so a report opens
offline and embeds its charts as base64 PNG. :func:`check_self_contained` proves it for any page.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from html import escape

import pandas as pd

REPORT_CSS = """
body.jp-Notebook { background: #fff; }
main { max-width: 980px; margin: 0 auto; padding: 24px 28px 48px; }
.jp-Cell { padding: 0 !important; }
.jp-OutputArea-output img { max-width: 100%; height: auto; }
.jp-OutputArea-output pre { display: none; }
.costing h1 { font-size: 1.9em; margin: 0.2em 0 0.1em; }
.costing h2 { font-size: 1.45em; margin: 1.4em 0 0.4em; border-bottom: 2px solid #B5283E;
  padding-bottom: 0.15em; }
.costing h3 { font-size: 1.15em; margin: 1.1em 0 0.3em; }
.costing p { font-size: 1.0em; line-height: 1.5; margin: 0.35em 0; max-width: 52em; }
.costing-notice { border-left: 6px solid #D98E04; background: #FFF6E0; padding: 10px 14px;
  margin: 10px 0; font-size: 1.02em; }
.costing-subtitle { color: #4A5563; }
.jp-RenderedHTMLCommon table.costing-table, table.costing-table { border-collapse: collapse;
  margin: 8px 0 14px; font-size: 13px; table-layout: auto; width: auto; max-width: 100%; }
.jp-RenderedHTMLCommon table.costing-table th, .jp-RenderedHTMLCommon table.costing-table td,
table.costing-table th, table.costing-table td { border-bottom: 1px solid #D9DEE4;
  padding: 4px 8px; text-align: left; vertical-align: top; line-height: 1.35; }
.jp-RenderedHTMLCommon table.costing-table th, table.costing-table th { background: #F1F3F6;
  font-weight: 600; vertical-align: bottom; }
.jp-RenderedHTMLCommon table.costing-table td.num, .jp-RenderedHTMLCommon table.costing-table
  th.num, table.costing-table td.num, table.costing-table th.num { text-align: right; }
.jp-RenderedHTMLCommon table.costing-table td.num { white-space: nowrap; }
table.costing-table tr.own td { font-weight: 700; color: #B5283E; }
"""

_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block extra_css -%}<style type="text/css">{{ resources.costing_css }}</style>
{%- endblock extra_css -%}
"""

_EXTERNAL = [
    (re.compile(r"<img\b[^>]*\bsrc\s*=\s*[\"'](?!data:)", re.I), "an <img> not embedded"),
    (re.compile(r"<script\b[^>]*\bsrc\s*=", re.I), "a <script src=...>"),
    (re.compile(r"<link\b[^>]*\bhref\s*=\s*[\"']?(?:https?:)?//", re.I), "a remote <link>"),
    (re.compile(r"<iframe\b", re.I), "an <iframe>"),
    (re.compile(r"url\(\s*[\"']?(?:https?:)?//", re.I), "a remote CSS url()"),
]


def heading(text: str, level: int = 2) -> str:
    """A heading (``<h1>``–``<h4>``) with ``text`` escaped."""
    level = min(max(int(level), 1), 4)
    return f'<div class="costing"><h{level}>{escape(text)}</h{level}></div>'


def paragraph(*texts: str, css_class: str = "") -> str:
    """One paragraph per non-empty text, escaped; ``css_class`` e.g. ``"costing-subtitle"``."""
    cls = f' class="{escape(css_class)}"' if css_class else ""
    body = "".join(f"<p{cls}>{escape(t)}</p>" for t in texts if t)
    return f'<div class="costing">{body}</div>'


def notice(text: str) -> str:
    """A highlighted notice box (e.g. the "illustrative data" warning)."""
    return (f'<div class="costing"><div class="costing-notice"><strong>{escape(text)}</strong>'
            '</div></div>')


def table_html(df: pd.DataFrame, numeric: Sequence[str] = (), highlight_row: object = None,
               links: Mapping[object, str] | None = None, link_column: str | None = None) -> str:
    """An HTML table of already formatted (string) cells.

    Parameters
    ----------
    df : pandas.DataFrame
        Cells to show (column names are the headers; the index is not shown).
    numeric : sequence of str
        Columns aligned right (numbers).
    highlight_row : object, optional
        Index label of the row to emphasise (the municipality among its peers).
    links, link_column : optional
        Relative URL by index label; the cell in ``link_column`` of that row becomes a link.
    """
    num = set(numeric)
    head = "".join(f'<th{" class=num" if c in num else ""}>{escape(str(c))}</th>'
                   for c in df.columns)
    rows = []
    for idx, rec in zip(df.index, df.itertuples(index=False), strict=True):
        cls = ' class="own"' if highlight_row is not None and idx == highlight_row else ""
        cells = []
        for c, v in zip(df.columns, rec, strict=True):
            text = escape("" if pd.isna(v) else str(v))
            if links and c == link_column and idx in links:
                text = f'<a href="{escape(links[idx])}">{text}</a>'
            cells.append(f'<td{" class=num" if c in num else ""}>{text}</td>')
        cells = "".join(cells)
        rows.append(f"<tr{cls}>{cells}</tr>")
    return (f'<table class="costing-table"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


def table(df: pd.DataFrame, numeric: Sequence[str] = (), highlight_row: object = None) -> str:
    """:func:`table_html` in the report's block wrapper."""
    return f'<div class="costing">{table_html(df, numeric, highlight_row)}</div>'


def exporter(lang: str = "lv"):
    """The nbconvert HTML exporter for reports: code, prompts and remote scripts left out.

    Built once per process (constructing an exporter loads its templates); images in outputs
    are embedded as base64 ``data:`` URIs.
    """
    import jinja2
    from nbconvert import HTMLExporter

    exp = HTMLExporter(
        extra_loaders=[jinja2.DictLoader({"costing_report.html.j2": _TEMPLATE})],
        template_file="costing_report.html.j2",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
    )
    exp.language_code = lang
    return exp


def notebook_to_html(nb, exp, title: str, lang: str) -> str:
    """Export an executed notebook to one self-contained HTML page titled ``title``.

    Cells tagged ``remove-from-report`` (notes for template authors) are left out.
    """
    nb = copy.deepcopy(nb)
    nb.cells = [c for c in nb.cells if "remove-from-report" not in c.metadata.get("tags", [])]
    nb.metadata["title"] = title
    exp.language_code = lang
    html, _ = exp.from_notebook_node(nb, resources={"costing_css": REPORT_CSS})
    check_self_contained(html)
    return html


def check_self_contained(html: str) -> None:
    """Raise ``ValueError`` if the page loads anything from outside itself.

    Checks for ``<img>`` not embedded as a ``data:`` URI, any ``<script src=...>``, remote
    ``<link>`` or CSS ``url()``, and iframes.
    """
    for pattern, what in _EXTERNAL:
        m = pattern.search(html)
        if m:
            snippet = html[m.start():m.start() + 80]
            raise ValueError(f"HTML is not self-contained: found {what}: {snippet!r}")


def index_page(*, title: str, lang: str, notice_text: str, intro: str, table_df: pd.DataFrame,
               links: dict[object, str], link_column: str, numeric: Sequence[str] = (),
               footer: str = "") -> str:
    """The batch index: a table of municipalities with key figures, names linking to reports.

    ``links`` maps a row's index label to the relative URL of its report; rows without a link
    show their text unlinked (a failed report).
    """
    body = table_html(table_df, numeric, links=links, link_column=link_column)
    note = (f'<div class="costing-notice"><strong>{escape(notice_text)}</strong></div>'
            if notice_text else "")
    html = (f'<!DOCTYPE html>\n<html lang="{escape(lang)}"><head><meta charset="utf-8"/>'
            f'<meta name="viewport" content="width=device-width, initial-scale=1.0">'
            f"<title>{escape(title)}</title><style>{REPORT_CSS}\n"
            "body { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif;"
            " color: #1d2733; } a { color: #1F4E79; }</style></head>"
            f'<body><main class="costing"><h1>{escape(title)}</h1>{note}'
            f"<p>{escape(intro)}</p>{body}<p class=\"costing-subtitle\">{escape(footer)}</p>"
            "</main></body></html>\n")
    check_self_contained(html)
    return html
