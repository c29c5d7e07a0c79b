"""What the municipality reports share: computed once per batch, read by every notebook.

:func:`build_shared` runs the library's cross-municipality computations (full and unit costs,
staffing against the norm, workload, indicators, peer groups and statistics, models, efficiency)
for one dataset and year. :func:`ensure_shared` stores the result as a pickle keyed by the
dataset's content hash, the year and the peer rule, so a batch computes it once; the template
reads it back with :func:`report_inputs`. A component that cannot be computed for this dataset is
recorded in ``Shared.problems`` (shown in the report's data-quality section) instead of failing
every report.

"""

from __future__ import annotations

import datetime as _dt
import pickle
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .._version import __version__
from ..benchmark.feasibility import excluded_municipalities, method_refusals
from ..benchmark.plausibility import plausibility_warnings
from ..data.dataset import Dataset, demo_dataset, load_dataset
from ..data.files import atomic_write
from ..data.municipalities import without_municipalities
from ..data.requirements import refusal_frame
from ..errors import CostingError, InputError
from .components import COMPONENTS

SHARED_FORMAT = 2


@dataclass
class Shared:
    """Cross-municipality results of one dataset and year (see :func:`build_shared`)."""

    dataset: Dataset
    dataset_hash: str
    year: int
    peer_rule: str
    version: str = __version__
    created: str = ""
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)
    excluded: dict[str, str] = field(default_factory=dict)
    refusals: pd.DataFrame | None = None
    warnings: pd.DataFrame | None = None
    path: str = ""

    def table(self, name: str) -> pd.DataFrame | None:
        """A shared table, or ``None`` if it could not be computed (see ``problems``)."""
        return self.tables.get(name)


def now_utc() -> str:
    """The current time in UTC, ISO 8601 to the second (``2026-12-03T13:31:56Z``)."""
    return _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


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
        ``tables`` by component name; ``problems`` names each component that failed and why;
        ``excluded`` maps each municipality the method refuses (see
        :mod:`costing.data.requirements`) to the reason, and ``dataset`` is the dataset without
        them, so no comparison includes them; ``refusals`` lists the refused rows;
        ``warnings`` the plausibility warnings of the year
        (:func:`costing.benchmark.plausibility.plausibility_warnings`).
    """
    year = int(year)
    if year not in ds.years:
        raise InputError(f"year {year} has no expenditure in this dataset (years: "
                         f"{', '.join(map(str, ds.years))})")
    dataset_hash = dataset_hash or ds.content_hash()
    # containment: a municipality whose data the method refuses is left out by name, with
    # the reason, so every other municipality's figures and comparisons stay complete
    refusals = method_refusals(ds, [year])
    excluded = excluded_municipalities(refusals)
    work = without_municipalities(ds, excluded)
    sh = Shared(dataset=work, dataset_hash=dataset_hash, year=year, peer_rule=peer_rule,
                created=now_utc(), excluded=excluded, refusals=refusal_frame(refusals, ds))
    for name, func in COMPONENTS:
        try:
            sh.tables[name] = func(work, year, peer_rule, sh.tables)
        except Exception as exc:  # recorded and shown in the data-quality section
            # a data limitation is said in plain words; anything else keeps its type for a
            # bug report
            sh.problems[name] = (str(exc) if isinstance(exc, CostingError)
                                 else f"{type(exc).__name__}: {exc}")
    try:
        sh.warnings = plausibility_warnings(work, [year],
                                            unit_cost_table=sh.tables.get("unit_costs"))
    except Exception as exc:  # the screens are advice: their failure must not cost a report
        sh.problems["plausibility"] = f"{type(exc).__name__}: {exc}"
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
    ds = load_dataset(dataset) if dataset else demo_dataset()
    return build_shared(ds, year, peer_rule)
