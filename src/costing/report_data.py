"""What the municipality reports share: computed once per batch, read by every notebook.

:func:`build_shared` runs the library's cross-municipality computations (full and unit costs,
staffing against the norm, workload, indicators, peer groups and statistics, models, efficiency)
for one dataset and year. :func:`ensure_shared` stores the result as a pickle keyed by the
dataset's content hash, the year and the peer rule, so a batch computes it once; the template
reads it back with :func:`report_inputs`. A component that cannot be computed for this dataset is
recorded in ``Shared.problems`` (shown in the report's data-quality section) instead of failing
every report.

Also here: the provenance table of a report and the batch's index page.
"""

from __future__ import annotations

import datetime as _dt
import pickle
import platform
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import __version__
from .batch import atomic_write
from .errors import CostingError, InputError
from .labels import format_number, label

SHARED_FORMAT = 1


@dataclass
class Shared:
    """Cross-municipality results of one dataset and year (see :func:`build_shared`)."""

    dataset: object
    dataset_hash: str
    year: int
    peer_rule: str
    version: str = __version__
    created: str = ""
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)
    path: str = ""

    def table(self, name: str) -> pd.DataFrame | None:
        """A shared table, or ``None`` if it could not be computed (see ``problems``)."""
        return self.tables.get(name)


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def population_total(ds, year: int) -> pd.Series:
    """Total population by municipality code in ``year`` (sum of the age groups). [persons]"""
    pop = ds.population
    pop = pop.loc[pop["year"].astype(int) == int(year)]
    return pop.groupby(pop["atvk_code"].astype(str))["population"].sum().astype(float)


def municipality_names(ds) -> dict[str, str]:
    """Display name by ATVK code (from the municipalities reference table)."""
    m = ds.municipalities
    return dict(zip(m["atvk_code"].astype(str), m["name"].astype(str), strict=True))


def _components():
    """(name, function(ds, year, peer_rule, tables) -> DataFrame), in dependency order."""
    from . import report_model as rm

    return rm.COMPONENTS


def build_shared(ds, year: int, peer_rule: str = "default",
                 dataset_hash: str | None = None) -> Shared:
    """Compute everything the reports of one dataset and year share.

    Parameters
    ----------
    ds : costing.Dataset
    year : int
    peer_rule : str
        Peer-group rule (passed to the peer-group component).
    dataset_hash : str, optional
        ``ds.content_hash()`` if the caller has it already (it takes a second or two).

    Returns
    -------
    Shared
        ``tables`` by component name; ``problems`` names each component that failed and why.
    """
    year = int(year)
    if year not in ds.years:
        raise InputError(f"year {year} has no expenditure in this dataset (years: "
                         f"{', '.join(map(str, ds.years))})")
    sh = Shared(dataset=ds, dataset_hash=dataset_hash or ds.content_hash(), year=year,
                peer_rule=peer_rule, created=_now())
    for name, func in _components():
        try:
            sh.tables[name] = func(ds, year, peer_rule, sh.tables)
        except Exception as exc:  # recorded and shown in the data-quality section
            # a data limitation is said in plain words; anything else keeps its type for a
            # bug report
            sh.problems[name] = (str(exc) if isinstance(exc, CostingError)
                                 else f"{type(exc).__name__}: {exc}")
    return sh


def shared_path(folder: str | Path, dataset_hash: str, year: int, peer_rule: str) -> Path:
    """Where the shared results of a dataset, year and peer rule are stored."""
    safe_rule = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in peer_rule)
    return Path(folder) / f"{dataset_hash[:16]}_{int(year)}_{safe_rule}.pkl"


def ensure_shared(ds, year: int, peer_rule: str, folder: str | Path,
                  dataset_hash: str | None = None) -> Path:
    """Build the shared results unless a valid pickle for the same inputs exists; its path."""
    dataset_hash = dataset_hash or ds.content_hash()
    path = shared_path(folder, dataset_hash, year, peer_rule)
    if path.exists():
        try:
            load_shared(path, year, peer_rule, expect_hash=dataset_hash)
            return path
        except Exception:
            pass  # stale or unreadable: rebuild
    sh = build_shared(ds, year, peer_rule, dataset_hash)
    sh.path = str(path)
    atomic_write(path, pickle.dumps({"format": SHARED_FORMAT, "shared": sh},
                                    protocol=pickle.HIGHEST_PROTOCOL))
    return path


def load_shared(path: str | Path, year: int, peer_rule: str,
                expect_hash: str | None = None) -> Shared:
    """Read shared results written by :func:`ensure_shared`, checking they fit the report.

    Raises
    ------
    InputError
        If the file is not a shared-results file of this library version, or was computed for
        another year, peer rule or dataset.
    """
    with open(path, "rb") as f:
        blob = pickle.load(f)  # noqa: S301 - our own file, written by ensure_shared
    if not isinstance(blob, dict) or blob.get("format") != SHARED_FORMAT:
        raise InputError(f"{path}: not a shared-results file of this version")
    sh: Shared = blob["shared"]
    if sh.year != int(year) or sh.peer_rule != peer_rule:
        raise InputError(f"{path}: computed for year {sh.year} and peer rule {sh.peer_rule!r}, "
                         f"not year {year} and {peer_rule!r}")
    if expect_hash is not None and sh.dataset_hash != expect_hash:
        raise InputError(f"{path}: computed for another dataset ({sh.dataset_hash[:12]}…)")
    if sh.version != __version__:
        raise InputError(f"{path}: computed by costing {sh.version}, this is {__version__}")
    sh.path = str(path)
    return sh


def report_inputs(dataset: str = "", year: int = 2024, peer_rule: str = "default",
                  shared: str = "") -> Shared:
    """The template's entry point: shared results from the batch, or computed here.

    Parameters
    ----------
    dataset : str
        Dataset path; ``""`` = the demo dataset.
    year : int
    peer_rule : str
    shared : str
        Path of the batch's shared results; ``""`` = compute them now (a single report).
    """
    if shared:
        return load_shared(shared, year, peer_rule)
    import costing as ct

    ds = ct.load_dataset(dataset) if dataset else ct.demo_dataset()
    return build_shared(ds, year, peer_rule)


def check_municipality(sh: Shared, code: str) -> str:
    """Refuse a code that is not a municipality of the dataset (clear message)."""
    from .reports import validate_codes

    return validate_codes([code], sh.dataset)[0]


def provenance_table(sh: Shared, parameters: dict, lang: str) -> pd.DataFrame:
    """Rows (item, value) stating what the report was built from, for its last section."""
    ds = sh.dataset
    name = ds.metadata.get("name") or (str(ds.path) if ds.path else "")
    if not parameters.get("dataset"):
        name = f"{name} ({label('prov.demo', lang)})" if name else label("prov.demo", lang)
    params = ", ".join(f"{k}={v!r}" for k, v in parameters.items() if k != "shared")
    rows = [
        (label("prov.dataset", lang), name),
        (label("prov.hash", lang), sh.dataset_hash),
        (label("prov.illustrative", lang), label("yes" if ds.is_illustrative else "no", lang)),
        (label("prov.version", lang), f"{sh.version} (Python {platform.python_version()}, "
                                      f"pandas {pd.__version__})"),
        (label("prov.parameters", lang), params),
        (label("prov.shared", lang), sh.created if parameters.get("shared")
         else label("prov.computed_here", lang)),
        (label("prov.created", lang), _now()),
    ]
    return pd.DataFrame(rows, columns=[label("col.item", lang), label("col.value", lang)])


def _figure(fig, name: str):
    """One key figure of a municipality, ``None`` (shown as a dash) when the dataset lacks the
    tables it needs, e.g. a dataset with only the three required tables has no full cost."""
    return None if fig is None else fig.get(name)


def write_index(ds, shared: str | Path, result, names: dict[str, str]) -> Path:
    """Write ``<out>/<lang>/index.html`` (and ``<out>/index.html``) for a finished batch."""
    from .report_html import index_page
    from .report_model import key_figures

    lang = result.lang
    sh = load_shared(shared, result.year, result.peer_rule)
    kf = key_figures(sh)
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
        footer=label("index.footer", lang, date=_now(), version=__version__))
    path = result.out_dir / lang / "index.html"
    atomic_write(path, html)
    _write_root_index(result.out_dir, lang, ds.is_illustrative)
    return path


def _write_root_index(out_dir: Path, lang: str, illustrative: bool) -> None:
    from .report_html import index_page

    langs = [lg for lg in ("lv", "en") if (out_dir / lg / "index.html").exists()]
    table = pd.DataFrame({label("index.languages", lang): [
        label("index.languages", lg) + f" ({lg})" for lg in langs]})
    links = {i: f"{lg}/index.html" for i, lg in enumerate(langs)}
    html = index_page(title="costing", lang=lang,
                      notice_text=label("notice.illustrative_index", lang) if illustrative else "",
                      intro="", table_df=table, links=links,
                      link_column=label("index.languages", lang))
    atomic_write(out_dir / "index.html", html)

