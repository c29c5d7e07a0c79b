"""Municipality codes and the figures every layer asks of them: names, total population, and
the check of codes a user asks for before they become part of a file name."""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from ..errors import InputError
from .dataset import Dataset

#: A municipality code as it may appear in a file name: ATVK ``LV`` + 7 digits, nothing else.
CODE_PATTERN = re.compile(r"\ALV[0-9]{7}\Z")


def municipality_names(ds: Dataset) -> dict[str, str]:
    """Display name by ATVK code (from the municipalities reference table)."""
    m = ds.municipalities
    return dict(zip(m["atvk_code"].astype(str), m["name"].astype(str), strict=True))


def population_total(ds: Dataset, year: int) -> pd.Series:
    """Total population by municipality code in ``year`` (sum of the age groups). [persons]"""
    pop = ds.population
    pop = pop.loc[pop["year"].astype(int) == int(year)]
    return pop.groupby(pop["atvk_code"].astype(str))["population"].sum().astype(float)


def without_municipalities(ds: Dataset, codes: Iterable[str]) -> Dataset:
    """The dataset without the data of ``codes``: their cost centres and every row that names
    one of those centres or their workers (the reference tables stay whole)."""
    drop = {str(c) for c in codes}
    if not drop:
        return ds
    t = dict(ds.tables)
    cc = t["cost_centres"]
    gone = set(cc.loc[cc["municipality_code"].astype(str).isin(drop), "cost_centre_id"])
    t["cost_centres"] = cc.loc[~cc["cost_centre_id"].isin(gone)].reset_index(drop=True)
    workers = t.get("workers")
    lost_workers = set()
    if workers is not None and len(workers):
        lost_workers = set(workers.loc[workers["cost_centre_id"].isin(gone), "worker_id"])
    for name, df in list(t.items()):
        if name == "cost_centres" or df is None or not len(df) or name not in ds.present:
            continue
        keep = np.ones(len(df), dtype=bool)
        for col in ("cost_centre_id", "from_centre_id", "to_centre_id"):
            if col in df.columns:
                keep &= ~df[col].isin(gone).to_numpy()
        if "municipality_code" in df.columns:
            keep &= ~df["municipality_code"].astype(str).isin(drop).to_numpy()
        if "worker_id" in df.columns and name != "workers":
            keep &= ~df["worker_id"].isin(lost_workers).to_numpy()
        if not keep.all():
            t[name] = df.loc[keep].reset_index(drop=True)
    return Dataset(t, present=ds.present, path=ds.path, metadata=ds.metadata,
                   provenance=ds.provenance, sources=ds.sources)


def _syntax_problems(codes: Iterable) -> list[str]:
    out = []
    for c in codes:
        if isinstance(c, str) and CODE_PATTERN.match(c):
            continue
        text = str(c).strip()
        guess = text.upper() if text.upper().startswith("LV") else (
            "LV" + text.zfill(7) if text.isdigit() and len(text) <= 7 else "")
        hint = f"; did you mean {guess!r}?" if guess and CODE_PATTERN.match(guess) else ""
        out.append(f"{c!r} is not a municipality code (expected 'LV' + 7 digits, e.g. "
                   f"'LV0001000'){hint}")
    return out


def validate_codes(codes: Iterable[str] | None, ds: Dataset | None = None) -> list[str]:
    """Check municipality codes before they become file names.

    Parameters
    ----------
    codes : iterable of str or None
        Requested ATVK codes; ``None`` means every municipality with cost centres in ``ds``.
    ds : costing.Dataset, optional
        Without a dataset only the pattern (``LV`` + 7 digits) is checked.

    Returns
    -------
    list of str
        The codes, de-duplicated, in the order given (sorted when defaulted).

    Raises
    ------
    InputError
        A code that does not match ``LV`` + 7 digits, or that is not a municipality of the
        dataset; the message lists every bad code.

    Examples
    --------
    >>> validate_codes(["LV0001000", "LV0001000"])
    ['LV0001000']
    >>> validate_codes(["lv0001000"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    costing.errors.InputError: costing reports: refused ... did you mean 'LV0001000'?
    """
    if codes is None:
        if ds is None:
            raise InputError("validate_codes: no codes and no dataset to take them from")
        return list(ds.municipality_codes)
    codes = list(codes)
    bad = _syntax_problems(codes)
    if ds is not None and not bad:
        known = list(ds.municipality_codes)
        more = ", ..." if len(known) > 5 else ""
        bad = [f"{c!r} is not a municipality of this dataset (it has {len(known)}: "
               f"{', '.join(known[:5])}{more})" for c in codes if c not in known]
    if bad:
        raise InputError("costing reports: refused municipality code(s):\n  " + "\n  ".join(bad))
    if not codes:
        raise InputError("costing reports: no municipality to report on")
    return list(dict.fromkeys(codes))
