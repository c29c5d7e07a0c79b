"""The index pages of a report folder: ``<out>/<lang>/index.html`` lists every municipality of
the folder's manifest (:mod:`costing.report.manifest`) with its key figures, a link to its
report and its status (a failed report with its reason, a municipality the shared results left
out with theirs), and ``<out>/index.html`` links to each language's index.

The index is built from the manifest, not from one batch: reports written by earlier or
concurrent batches into the same folder stay listed, each with the key figures recorded when it
was written."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from .._version import __version__
from ..data.files import atomic_write
from . import manifest
from .html import index_page
from .labels import format_number, label, labels_table
from .shared import now_utc


def _status(e: dict, lang: str) -> str:
    reason = str(e.get("reason") or "").splitlines()[0][:200] if e.get("reason") else ""
    if e["status"] == "failed":
        return label("index.failed", lang, reason=reason)
    if e["status"] == "excluded":
        return label("index.excluded", lang, reason=refusal_text(str(e.get("reason") or ""), lang))
    return ""


def refusal_text(reason: str, lang: str) -> str:
    """Why a municipality was left out, in ``lang``: the ``refusal.<rule>`` label of each
    ``[rule]`` the reason names (the library's words, cut to 200 characters, when one has no
    label)."""
    rules = list(dict.fromkeys(re.findall(r"\[(\w+)\]", reason)))
    known = labels_table().index
    if rules and all(f"refusal.{r}" in known for r in rules):
        return "; ".join(label(f"refusal.{r}", lang) for r in rules)
    return reason.removeprefix("excluded: ").splitlines()[0][:200] if reason else ""


def _years(entries: list[dict], year: int | None) -> str:
    years = sorted({int(e["year"]) for e in entries if e.get("year") is not None})
    if not years:
        return str(year) if year is not None else ""
    return ", ".join(map(str, years))


def index_table(entries: dict[str, dict], lang: str) -> tuple[pd.DataFrame, dict[int, str]]:
    """The index table (formatted cells) of manifest ``entries`` and the row links."""
    rows, links = [], {}
    shown = list(entries.values())
    several_years = len({e.get("year") for e in shown}) > 1
    for e in shown:
        fig = e.get("figures") or {}
        row = {
            label("col.municipality", lang): e.get("name") or e["code"],
            label("col.code", lang): e["code"],
        }
        if several_years:
            row[label("col.year", lang)] = "" if e.get("year") is None else str(e["year"])
        row.update({
            label("col.population", lang): format_number(fig.get("population"), lang),
            label("kf.full_cost", lang) + ", EUR": format_number(fig.get("full_cost_eur"), lang),
            label("kf.full_cost_per_capita", lang) + ", EUR": format_number(
                fig.get("full_cost_per_capita_eur"), lang, 2),
            label("col.status", lang): _status(e, lang),
        })
        rows.append(row)
        if e["status"] == "ok" and e.get("html"):
            links[len(rows) - 1] = e["html"]
    columns = [label("col.municipality", lang), label("col.code", lang)]
    if several_years:
        columns.append(label("col.year", lang))
    columns += [label("col.population", lang), label("kf.full_cost", lang) + ", EUR",
                label("kf.full_cost_per_capita", lang) + ", EUR", label("col.status", lang)]
    return pd.DataFrame(rows, columns=columns), links


def render_index(entries: dict[str, dict], lang: str, *, year: int | None = None,
                 illustrative: bool = False) -> str:
    """The HTML of a language's index for manifest ``entries``.

    Parameters
    ----------
    entries : dict
        Manifest entries by code (:func:`costing.report.manifest.read`).
    lang : {"lv", "en"}
    year : int, optional
        Year named in the title when no entry records one.
    illustrative : bool
        Show the "illustrative data" notice (also shown when any entry says so).
    """
    shown = list(entries.values())
    table, links = index_table(entries, lang)
    illustrative = illustrative or any(e.get("illustrative") for e in shown)
    hashes = sorted({str(e["dataset_hash"])[:16] for e in shown if e.get("dataset_hash")})
    numeric = [c for c in table.columns if c.startswith((label("col.population", lang),
                                                         label("kf.full_cost", lang)))]
    return index_page(
        title=label("index.title", lang, year=_years(shown, year)), lang=lang,
        notice_text=label("notice.illustrative_index", lang) if illustrative else "",
        intro=label("index.intro", lang, hash=", ".join(hashes) or "–"), table_df=table,
        links=links, link_column=label("col.municipality", lang), numeric=numeric,
        footer=label("index.footer", lang, date=now_utc(), version=__version__))


def write_index(out_dir: str | Path, lang: str, *, year: int | None = None,
                illustrative: bool = False, entries: dict[str, dict] | None = None) -> Path:
    """Write ``<out>/<lang>/index.html`` from the folder's manifest (and ``<out>/index.html``).

    ``entries`` are the manifest entries when the caller holds the manifest lock already
    (:func:`costing.report.manifest.update` passes them to its ``then``); otherwise the
    manifest is read under the lock. Returns the path of the language's index.
    """
    out_dir = Path(out_dir)
    lang_dir = out_dir / lang
    path = lang_dir / "index.html"
    if entries is None:
        with manifest.locked(lang_dir):
            entries = manifest.read(lang_dir)
            atomic_write(path, render_index(entries, lang, year=year,
                                            illustrative=illustrative))
    else:
        atomic_write(path, render_index(entries, lang, year=year, illustrative=illustrative))
    illustrative = illustrative or any(e.get("illustrative") for e in entries.values())
    _write_root_index(out_dir, lang, illustrative)
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
