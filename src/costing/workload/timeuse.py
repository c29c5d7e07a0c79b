"""Social workers' time use: shares of time by activity with cluster-bootstrap intervals.

The diaries (table ``time_use``: worker, date, activity, minutes) are aggregated once to a
worker × activity matrix of minutes; every figure — hours, time shares, the client-facing and
client-related ratios, hours per worker-week — is computed from that matrix, and the bootstrap
resamples *workers* (the clusters), not diary rows, by a multinomial weights matrix product
(methodology section 7.2). Published figures resting on fewer than ``min_workers`` workers are
suppressed with :func:`costing.privacy.suppress_small_cells`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..data.tables import reference
from ..errors import InputError
from ..privacy import MIN_WORKERS, suppress_small_cells

#: Pseudo activity codes of the summary rows that aggregate several activities.
SUMMARY_CODES = ("CLIENT_FACING", "CLIENT_RELATED", "ALL")

#: Largest key space or units × days table handled densely (flags, 16 MiB); beyond it keys and
#: (unit, day) pairs are found by hashing.
_DENSE_LIMIT = 2**24
#: Diary rows processed at a time (bounds the size of temporaries).
_CHUNK = 2**21

_VALUE_COLS = ["worker_weeks", "hours", "share", "share_ci_low", "share_ci_high",
               "hours_per_worker_week"]


def _is_dataset(obj: Any) -> bool:
    return hasattr(obj, "tables") and not isinstance(obj, pd.DataFrame)


def _reference(name: str, dataset: Any = None) -> pd.DataFrame:
    """Reference table ``name``: the dataset's copy if it has one, else the shipped table."""
    return reference(name, dataset)


def _flag(values: pd.Series) -> np.ndarray:
    """A bool column that may have been read as text (``True``/``false``/``1``)."""
    if pd.api.types.is_bool_dtype(values):
        return values.to_numpy(dtype=bool)
    return values.astype(str).str.strip().str.lower().isin(["true", "1", "yes"]).to_numpy()


def worker_attributes(workers: Any, cost_centres: pd.DataFrame | None = None) -> pd.DataFrame:
    """Workers with the municipality of their cost centre.

    Parameters
    ----------
    workers : pandas.DataFrame or Dataset
        The ``workers`` table (``year, worker_id, cost_centre_id, job_code, fte, salary_eur``), or
        a dataset (its ``workers`` and ``cost_centres`` are used).
    cost_centres : pandas.DataFrame, optional
        The ``cost_centres`` table, to add ``municipality_code`` when ``workers`` lacks it.

    Returns
    -------
    pandas.DataFrame
        One row per ``(year, worker_id)`` with the worker columns and ``municipality_code``.
    """
    if _is_dataset(workers):
        cost_centres = workers.cost_centres
        workers = workers.workers
    out = workers.copy()
    if "municipality_code" not in out.columns and cost_centres is not None:
        centres = cost_centres[["cost_centre_id", "municipality_code"]]
        out = out.merge(centres, on="cost_centre_id", how="left", validate="many_to_one")
        lost = out["municipality_code"].isna()
        if lost.any():
            raise InputError(f"workers: cost_centre_id {out.loc[lost, 'cost_centre_id'].iloc[0]!r}"
                             " is not in the cost_centres table")
    out["year"] = out["year"].astype("int64")
    return out


def join_worker_attributes(frame: pd.DataFrame, workers: Any, need: Sequence[str], what: str,
                           table_name: str, rows: str) -> pd.DataFrame:
    """Add the worker attributes ``need`` to ``frame`` (keyed by ``year, worker_id``).

    Shared by the diary (``time_use``) and ``caseloads`` functions. Raises an InputError naming
    the function ``what`` when ``workers`` is missing, lacks a column, or lacks a worker-year
    that ``frame`` has (``rows`` names what the worker has there, e.g. "diary entries").
    """
    need = list(need)
    if not need:
        return frame
    if workers is None:
        raise InputError(f"{what}: column(s) {need} are not in {table_name}; pass workers= "
                         "(or a dataset)")
    attrs = worker_attributes(workers)
    absent = [c for c in need if c not in attrs.columns]
    if absent:
        raise InputError(f"{what}: column(s) {absent} are in neither {table_name} nor workers")
    attrs = attrs[["year", "worker_id", *need]].astype({"worker_id": str})
    out = frame.merge(attrs, on=["year", "worker_id"], how="left", validate="many_to_one")
    lost = out[need].isna().any(axis=1)
    if lost.any():
        row = out.loc[lost].iloc[0]
        raise InputError(f"{what}: worker {row['worker_id']!r} has {rows} in {row['year']} but "
                         "no row in workers for that year")
    return out


def _codes(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer codes and their labels; categorical columns are used as they are (fast path)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.cat.codes.to_numpy(), pd.Index(values.cat.categories)
    codes, uniques = pd.factorize(values)
    return codes, pd.Index(uniques)


class _Days:
    """Days since 1970-01-01 of a date column, produced slice by slice (datetime64, ISO text or
    categorical of either), with the first and last day."""

    def __init__(self, values: pd.Series):
        if pd.api.types.is_datetime64_any_dtype(values):
            self._dt = values.to_numpy()
            if np.isnat(self._dt).any():
                raise InputError("time_use: column 'date' has empty values")
            self.first, self.last = (int(np.datetime64(x, "D").astype(np.int64))
                                     for x in (self._dt.min(), self._dt.max()))
            return
        self._dt = None
        self._codes, uniques = _codes(values)
        if (self._codes < 0).any():
            raise InputError("time_use: column 'date' has empty values")
        parsed = pd.to_datetime(pd.Series(uniques.astype(str)), format="%Y-%m-%d",
                                errors="coerce")
        if parsed.isna().any():
            bad = uniques[parsed.isna().to_numpy()][0]
            raise InputError(f"time_use: column 'date' must hold ISO dates YYYY-MM-DD, got {bad!r}")
        self._lut = parsed.to_numpy().astype("datetime64[D]").astype(np.int64)
        used = self._lut[np.bincount(self._codes, minlength=len(self._lut)) > 0]
        self.first, self.last = int(used.min()), int(used.max())

    def __call__(self, sl: slice) -> np.ndarray:
        if self._dt is not None:
            return self._dt[sl].astype("datetime64[D]").view(np.int64)
        return self._lut[self._codes[sl]]


def _day_numbers(values: pd.Series) -> np.ndarray:
    """Days since 1970-01-01 of a whole date column."""
    return _Days(values)(slice(None))


class _Distinct:
    """Count distinct values (codes 0..n_values-1) per unit, fed chunk by chunk: a dense table
    of flags when units × values is small, else hashing of the (unit, value) pairs."""

    def __init__(self, n_units: int, n_values: int):
        self.n_units, self.n_values = n_units, n_values
        self.dense = n_units * n_values <= _DENSE_LIMIT
        self.seen = np.zeros(n_units * n_values, dtype=bool) if self.dense else []

    def add(self, unit: np.ndarray, values: np.ndarray) -> None:
        pair = unit.astype(np.int64) * self.n_values + values
        if self.dense:
            self.seen[pair] = True
        else:
            self.seen.append(pd.unique(pair))

    def counts(self) -> np.ndarray:
        if self.dense:
            return self.seen.reshape(self.n_units, self.n_values).sum(axis=1)
        pairs = pd.unique(np.concatenate(self.seen)) if self.seen else np.zeros(0, np.int64)
        return np.bincount(pairs // self.n_values, minlength=self.n_units)


def _activity_flags(activities: pd.DataFrame) -> tuple[pd.Index, np.ndarray, np.ndarray]:
    codes = pd.Index(activities["activity_code"].astype(str))
    return codes, _flag(activities["client_facing"]), _flag(activities["client_related"])


def worker_activity_minutes(
    time_use: pd.DataFrame, activity_codes: Sequence[str], keep: Sequence[str] = (),
    count_days: bool = False,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Aggregate diary rows to one row per worker (and year and ``keep`` columns) × activity.

    Implements the aggregation (7.1): m_wa = Σ minutes of worker w on activity a.

    Parameters
    ----------
    time_use : pandas.DataFrame
        Columns ``worker_id, date, activity_code, minutes`` (several rows per key are summed),
        plus the ``keep`` columns. Categorical columns are the fast path.
    activity_codes : sequence of str
        The activities, in the column order wanted.
    keep : sequence of str
        Columns of ``time_use`` to keep as unit attributes (e.g. ``municipality_code``).
    count_days : bool
        Also count the distinct dates each unit recorded (column ``days``).

    Returns
    -------
    units : pandas.DataFrame
        One row per unit ``(keep..., worker_id, year)`` with ``weeks`` (distinct Monday-based
        calendar weeks with any recorded time) and, if asked, ``days`` (distinct dates).
    minutes : numpy.ndarray
        Float array (units × activities) of minutes. [min]
    """
    missing = [c for c in ("worker_id", "date", "activity_code", "minutes", *keep)
               if c not in time_use.columns]
    if missing:
        raise InputError(f"time_use: missing column(s) {missing}")
    if len(time_use) == 0:
        raise InputError("time_use: the table is empty (no diary rows)")
    n_rows = len(time_use)
    acts = pd.Index(list(activity_codes))
    a_codes, a_labels = _codes(time_use["activity_code"])
    a_map = acts.get_indexer(a_labels.astype(str))
    used = np.bincount(a_codes[a_codes >= 0], minlength=len(a_labels)) > 0
    if (a_map[used] < 0).any() or (a_codes < 0).any():
        unknown = sorted(set(a_labels.astype(str)[used & (a_map < 0)])) or ["(empty)"]
        raise InputError(f"time_use: column 'activity_code' has unknown code(s) {unknown}; "
                         f"allowed: {list(acts)}")
    minutes_col = time_use["minutes"]
    days_of = _Days(time_use["date"])
    d0, n_days = days_of.first, days_of.last - days_of.first + 1
    day_span = np.arange(d0, d0 + n_days).astype("datetime64[D]")
    year_of_day = day_span.astype("datetime64[Y]").astype(np.int64) + 1970
    years, year_idx_of_day = np.unique(year_of_day, return_inverse=True)
    w0 = (d0 + 3) // 7  # 1970-01-01 was a Thursday: weeks start on Monday
    n_weeks = (d0 + n_days - 1 + 3) // 7 - w0 + 1
    parts = [_codes(time_use[c]) for c in keep] + [_codes(time_use["worker_id"])]
    for codes, _ in parts:
        if (codes < 0).any():
            raise InputError("time_use: empty worker_id or grouping value")
    n_keys = int(np.prod([len(labels) for _, labels in parts], dtype=float)) * len(years)
    chunks = [slice(i, min(i + _CHUNK, n_rows)) for i in range(0, n_rows, _CHUNK)]

    # Pass 1: a key per row, (keep..., worker, year) in mixed radix; rows are processed in
    # chunks so that no temporary is as long as the table.
    key = np.empty(n_rows, dtype=np.int32 if n_keys < 2**31 else np.int64)
    for sl in chunks:
        k = np.zeros(sl.stop - sl.start, dtype=np.int64)
        for codes, labels in parts:
            k = k * len(labels) + codes[sl]
        key[sl] = k * len(years) + year_idx_of_day[days_of(sl) - d0]
    if n_keys <= _DENSE_LIMIT:  # few possible keys: index them directly instead of hashing
        present = np.zeros(n_keys, dtype=bool)
        for sl in chunks:
            present[key[sl]] = True
        ukeys = np.flatnonzero(present)
        remap = np.zeros(n_keys, dtype=np.int64)
        remap[ukeys] = np.arange(len(ukeys))

        def unit_of(sl: slice) -> np.ndarray:
            return remap[key[sl]]
    else:
        unit_all, ukeys = pd.factorize(key)

        def unit_of(sl: slice) -> np.ndarray:
            return unit_all[sl].astype(np.int64)

    # Pass 2: minutes per unit × activity (7.1), distinct weeks and days per unit.
    n_units, n_acts = len(ukeys), len(acts)
    mat = np.zeros(n_units * n_acts)
    weeks, days_seen = _Distinct(n_units, n_weeks), _Distinct(n_units, n_days)
    for sl in chunks:
        try:
            minutes = minutes_col.iloc[sl].to_numpy(dtype=np.float64, na_value=np.nan)
        except (TypeError, ValueError):
            raise InputError("time_use: column 'minutes' must hold numbers of minutes") from None
        bad = ~(minutes > 0)
        if bad.any():
            i = sl.start + int(np.flatnonzero(bad)[0])
            rec = time_use.iloc[i]
            raise InputError(f"time_use: column 'minutes' must be > 0 (rule: minutes > 0); the "
                             f"row of worker {rec['worker_id']}, date {rec['date']}, activity "
                             f"{rec['activity_code']} has {rec['minutes']!r}")
        unit = unit_of(sl)
        mat += np.bincount(unit * n_acts + a_map[a_codes[sl]], weights=minutes,
                           minlength=n_units * n_acts)
        day = days_of(sl)
        weeks.add(unit, (day + 3) // 7 - w0)
        if count_days:
            days_seen.add(unit, day - d0)
    extra = {"days": days_seen.counts()} if count_days else {}
    weeks = weeks.counts()

    ukeys = np.asarray(ukeys, dtype=np.int64)
    cols = {}
    ukeys, yi = np.divmod(ukeys, len(years))
    for name, (_, labels) in list(zip([*keep, "worker_id"], parts, strict=True))[::-1]:
        ukeys, ci = np.divmod(ukeys, len(labels))
        cols[name] = labels.astype(str)[ci]
    units = pd.DataFrame({**{k: cols[k] for k in [*keep, "worker_id"]},
                          "year": years[yi], "weeks": weeks, **extra})
    return units, mat.reshape(n_units, n_acts)


def _bootstrap_shares(mat: np.ndarray, n_boot: int, rng: np.random.Generator,
                      alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval of column shares, resampling rows (workers) with replacement.

    Implements (7.5): each replicate draws worker weights c ~ Multinomial(n, 1/n, …, 1/n) and
    computes shares of c·M; the interval is the alpha/2 and 1 − alpha/2 quantiles.
    """
    n = mat.shape[0]
    weights = rng.multinomial(n, np.full(n, 1.0 / n), size=n_boot).astype(mat.dtype)
    totals = weights @ mat
    shares = totals / totals[:, -1:]
    return np.quantile(shares, [alpha / 2, 1 - alpha / 2], axis=0)


def workload_summary(
    time_use: Any,
    by: Sequence[str] | str | None = None,
    min_workers: int = MIN_WORKERS,
    n_boot: int = 1000,
    seed: int | None = 0,
    workers: Any = None,
    activities: pd.DataFrame | None = None,
    ci: float = 0.95,
) -> pd.DataFrame:
    """Hours and shares of working time by activity, with cluster-bootstrap intervals.

    Implements formulas (7.1)–(7.5) of ``methodology/07_workload.md``.

    Parameters
    ----------
    time_use : pandas.DataFrame or Dataset
        The ``time_use`` table (``worker_id, date, activity_code, minutes``; rows with the same
        key are summed, so diary entries may be passed as they are), optionally already joined
        with the ``by`` columns; or a dataset, whose ``time_use``, ``workers``, ``cost_centres``
        and ``activities`` are used.
    by : str or sequence of str, optional
        Grouping columns, e.g. ``["municipality_code"]`` or ``["year", "job_code"]``. A column
        not in ``time_use`` is taken from ``workers`` by ``(year, worker_id)``; ``year`` is the
        calendar year of the diary date. Default: one group of all workers.
    min_workers : int
        Groups with fewer distinct workers are suppressed (7.19). [workers]
    n_boot : int
        Bootstrap replicates; 0 gives no intervals.
    seed : int, optional
        Seed of the bootstrap random generator (default 0, reproducible).
    workers : pandas.DataFrame or Dataset, optional
        Worker attributes for ``by`` columns not in ``time_use`` (see :func:`worker_attributes`).
    activities : pandas.DataFrame, optional
        The ``activities`` table (codes, ``client_facing``, ``client_related``); default the
        dataset's or the shipped one.
    ci : float
        Coverage of the percentile intervals, a fraction.

    Returns
    -------
    pandas.DataFrame
        One row per group × ``activity_code`` (each activity, then ``CLIENT_FACING``,
        ``CLIENT_RELATED`` and ``ALL``) with ``n_workers`` [workers], ``worker_weeks``
        [worker-weeks], ``hours`` [h], ``share`` of recorded time [fraction], ``share_ci_low``,
        ``share_ci_high`` [fraction], ``hours_per_worker_week`` [h/worker-week],
        ``suppressed`` and ``suppression_reason``.

    Examples
    --------
    >>> import costing as ct
    >>> ws = ct.workload_summary(ct.demo_dataset(), by="municipality_code", n_boot=50, seed=0)
    >>> riga = ws[ws["municipality_code"] == "LV0001000"].set_index("activity_code")
    >>> float(riga.at["ALL", "share"])
    1.0
    >>> bool(riga.at["CLIENT_FACING", "share"] < riga.at["CLIENT_RELATED", "share"] < 1)
    True
    """
    if _is_dataset(time_use):
        ds = time_use
        time_use = ds.time_use
        workers = ds if workers is None else workers
        activities = ds.activities if activities is None else activities
    if activities is None:
        activities = _reference("activities")
    if not 0 < ci < 1:
        raise InputError(f"workload_summary: ci must be a fraction in (0, 1), got {ci!r}")
    if n_boot < 0:
        raise InputError(f"workload_summary: n_boot must be >= 0, got {n_boot!r}")
    by = [by] if isinstance(by, str) else list(by or [])
    acts, facing, related = _activity_flags(activities)
    keep = [c for c in by if c in time_use.columns]
    units, mat = worker_activity_minutes(time_use, acts, keep)
    need = [c for c in by if c not in units.columns]
    units = join_worker_attributes(units, workers, need, "workload_summary", "time_use",
                                   "diary entries")
    # Clusters = distinct workers within a group (a worker seen in two years is one cluster).
    group_keys = units[by] if by else pd.DataFrame(index=units.index)
    gid = group_keys.groupby(by, sort=True, dropna=False).ngroup().to_numpy() if by else \
        np.zeros(len(units), dtype=np.int64)
    cid, cuniq = pd.factorize(pd.Series(gid).astype(str) + "|" + units["worker_id"])
    n_clusters = len(cuniq)
    cmat = np.zeros((n_clusters, mat.shape[1]))
    np.add.at(cmat, cid, mat)
    cweeks = np.bincount(cid, weights=units["weeks"].to_numpy(), minlength=n_clusters)
    cgroup = np.zeros(n_clusters, dtype=np.int64)
    cgroup[cid] = gid
    # Columns: activities, client-facing, client-related, all (7.2)-(7.3).
    full = np.column_stack([cmat, cmat[:, facing].sum(1), cmat[:, related].sum(1), cmat.sum(1)])
    codes = [*acts, *SUMMARY_CODES]
    n_groups = int(gid.max()) + 1 if len(gid) else 0
    # one independent stream per group: a group's interval does not depend on which other
    # groups were bootstrapped or suppressed
    streams = np.random.SeedSequence(seed).spawn(n_groups)
    alpha = 1 - ci
    labels = group_keys.assign(_g=gid).drop_duplicates("_g").set_index("_g").sort_index()
    frames = []
    for g in range(n_groups):
        rows = full[cgroup == g]
        n = rows.shape[0]
        total = rows.sum(axis=0)
        weeks = float(cweeks[cgroup == g].sum())
        part = pd.DataFrame({"activity_code": codes, "n_workers": n, "worker_weeks": weeks,
                             "hours": total / 60.0, "share": total / total[-1],
                             "hours_per_worker_week": total / 60.0 / weeks})
        if n_boot:
            low, high = (np.full(len(codes), np.nan),) * 2
            if n >= min_workers:
                low, high = _bootstrap_shares(rows, n_boot, np.random.default_rng(streams[g]),
                                              alpha)
            part.insert(5, "share_ci_low", low)
            part.insert(6, "share_ci_high", high)
        for col in reversed(by):
            part.insert(0, col, labels.loc[g, col])
        frames.append(part)
    out = pd.concat(frames, ignore_index=True)
    value_cols = [c for c in _VALUE_COLS if c in out.columns]
    return suppress_small_cells(out, "n_workers", value_cols, min_workers)

