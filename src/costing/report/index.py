"""The index pages of a batch: ``<out>/<lang>/index.html`` lists every municipality with its key
figures and a link to its report (a failed report named with its reason), and ``<out>/index.html``
links to each language's index."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .._version import __version__
from ..data.dataset import Dataset
from ..data.files import atomic_write
from .html import index_page
from .labels import format_number, label
from .shared import load_shared, now_utc


def _figure(fig, name: str):
    """One key figure of a municipality, ``None`` (shown as a dash) when the dataset lacks the
    tables it needs, e.g. a dataset with only the three required tables has no full cost."""
    return None if fig is None else fig.get(name)


def write_index(ds: Dataset, shared: str | Path, result, names: dict[str, str]) -> Path:
    """Write ``<out>/<lang>/index.html`` (and ``<out>/index.html``) for a finished batch."""
    lang = result.lang
    sh = load_shared(shared, result.year, result.peer_rule)
    kf = sh.table("key_figures")
    rows, links = [], {}
    for o in result.outcomes:
        fig = kf.loc[o.code] if kf is not None and o.code in kf.index else None
        status = "" if o.ok else label("index.failed", lang, reason=o.reason.splitlines()[0][:200])
        rows.append({
            label("col.municipality", lang): names.get(o.code, o.code),
            label("col.code", lang): o.code,
            label("col.population", lang): format_number(
                _figure(fig, "population"), lang),
            label("kf.full_cost", lang) + ", EUR": format_number(
                _figure(fig, "full_cost_eur"), lang),
            label("kf.full_cost_per_capita", lang) + ", EUR": format_number(
                _figure(fig, "full_cost_per_capita_eur"), lang, 2),
            label("col.status", lang): status,
        })
        if o.ok:
            links[len(rows) - 1] = Path(o.html_path).name
    table = pd.DataFrame(rows)
    numeric = list(table.columns[2:5])
    html = index_page(
        title=label("index.title", lang, year=result.year), lang=lang,
        notice_text=label("notice.illustrative_index", lang) if ds.is_illustrative else "",
        intro=label("index.intro", lang, hash=sh.dataset_hash[:16]), table_df=table,
        links=links, link_column=label("col.municipality", lang), numeric=numeric,
        footer=label("index.footer", lang, date=now_utc(), version=__version__))
    path = result.out_dir / lang / "index.html"
    atomic_write(path, html)
    _write_root_index(result.out_dir, lang, ds.is_illustrative)
    return path


def _write_root_index(out_dir: Path, lang: str, illustrative: bool) -> None:
    langs = [lg for lg in ("lv", "en") if (out_dir / lg / "index.html").exists()]
    table = pd.DataFrame({label("index.languages", lang): [
        label("index.languages", lg) + f" ({lg})" for lg in langs]})
    links = {i: f"{lg}/index.html" for i, lg in enumerate(langs)}
    html = index_page(title="costing", lang=lang,
                      notice_text=label("notice.illustrative_index", lang) if illustrative else "",
                      intro="", table_df=table, links=links,
                      link_column=label("index.languages", lang))
    atomic_write(out_dir / "index.html", html)

