"""Collecting time-use diaries: the template (CSV and Excel) and the import that checks them.

A diary is a list of entries, one row per stretch of work: ``worker_id, date, start_time,
end_time, activity_code, note`` (``note`` optional, free text, never imported). The import
checks every entry, reports **every** problem at once through
:class:`costing.errors.DataValidationError` (file, row, column, rule, value, message), and
returns daily minutes per activity in the ``time_use`` format of ``docs/data-model.md``
(methodology section 7.1). Diaries are personal data: keep the files where the municipality keeps
personnel records, and publish only what :mod:`costing.privacy` lets through.

Rules (the ``rule`` column of the error table): ``missing_column``, ``required``, ``pattern``
(worker id), ``not_a_date``, ``bad_time_format``, ``end_not_after_start``, ``unknown_activity``,
``overlap``, ``day_over_24h``, ``outside_survey_period``, ``unknown_worker``, ``unreadable``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..data.dataset import REFERENCE_DIR
from ..data.files import atomic_target, atomic_write, safe_row
from ..data.problems import Problems
from ..data.tables import reference
from ..errors import DataValidationError, InputError
from .timeuse import worker_attributes

#: Columns of a diary file, in order (``note`` may be omitted).
DIARY_COLUMNS = ("worker_id", "date", "start_time", "end_time", "activity_code", "note")
TEMPLATE_CSV = REFERENCE_DIR / "diary_template.csv"
TEMPLATE_XLSX = REFERENCE_DIR / "diary_template.xlsx"
_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::00)?")
_TABLE = "diary"


def diary_instructions(language: str = "lv") -> str:
    """Instructions for the people keeping a diary, in Latvian (``"lv"``) or English (``"en"``)."""
    if language not in ("lv", "en"):
        raise InputError(f"diary_instructions: language must be 'lv' or 'en', got {language!r}")
    return (REFERENCE_DIR / f"diary_instructions.{language}.md").read_text(encoding="utf-8")


def write_diary_template(path: str | Path, activities: pd.DataFrame | None = None) -> Path:
    """Write the diary template as CSV (header only) or as an Excel workbook.

    The workbook has three sheets: ``diary`` (the entry columns, text-formatted dates and times,
    a drop-down list of activity codes), ``activities`` (code, Latvian and English name, whether
    client-facing / client-related) and ``instructions`` (Latvian, then English). No cell is a
    formula: text that a spreadsheet would run as one (starting with ``=``, ``+``, ``-``, ``@``,
    ...) is written with a leading ``'`` (:func:`costing.data.files.safe_row`). The file is
    replaced atomically.

    Parameters
    ----------
    path : str or pathlib.Path
        Target file; ``.csv`` or ``.xlsx``.
    activities : pandas.DataFrame, optional
        The ``activities`` table; default the shipped one.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    InputError
        If the file name does not end in ``.csv`` or ``.xlsx``.
    costing.data.files.WriteError
        If the file cannot be written (an :class:`OSError` naming the file and the reason).
    """
    path = Path(path)
    if path.suffix.lower() == ".csv":
        atomic_write(path, ",".join(DIARY_COLUMNS) + "\n")
        return path
    if path.suffix.lower() != ".xlsx":
        raise InputError(f"write_diary_template: use a .csv or .xlsx file name, got {path.name!r}")
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.worksheet.datavalidation import DataValidation

    acts = reference("activities") if activities is None else activities
    wb = Workbook()
    ws = wb.active
    ws.title = "diary"
    ws.append(safe_row(DIARY_COLUMNS))
    for cell, width in zip(ws[1], (12, 12, 11, 11, 24, 40), strict=True):
        cell.font = Font(bold=True)
        ws.column_dimensions[cell.column_letter].width = width
    for letter in "ABCDEF":  # text cells: Excel must not turn 08:30 into a fraction of a day
        for row in range(2, 1001):
            ws[f"{letter}{row}"].number_format = "@"
    n = len(acts)
    check = DataValidation(type="list", formula1=f"=activities!$A$2:$A${n + 1}",
                           allow_blank=False, showErrorMessage=True,
                           error="Izvēlieties kodu no lapas 'activities' / "
                                 "choose a code from sheet 'activities'")
    ws.add_data_validation(check)
    check.add("E2:E1000")
    ws.freeze_panes = "A2"
    sheet = wb.create_sheet("activities")
    cols = ["activity_code", "name_lv", "name_en", "client_facing", "client_related"]
    sheet.append(safe_row(cols))
    for rec in acts[cols].astype(str).itertuples(index=False):
        sheet.append(safe_row(rec))
    for cell, width in zip(sheet[1], (24, 44, 32, 14, 14), strict=True):
        cell.font = Font(bold=True)
        sheet.column_dimensions[cell.column_letter].width = width
    text = wb.create_sheet("instructions")
    text.column_dimensions["A"].width = 110
    for line in (diary_instructions("lv") + "\n" + diary_instructions("en")).splitlines():
        text.append(safe_row([line]))
        text.cell(text.max_row, 1).alignment = Alignment(wrap_text=True)
    with atomic_target(path) as tmp:
        wb.save(tmp)
    return path


def _cell_text(value: Any) -> str:
    """An Excel cell value as the text a CSV would hold (dates ISO, times HH:MM)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _read(path: Path, p: Problems) -> pd.DataFrame | None:
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            from openpyxl import load_workbook

            wb = load_workbook(path, read_only=True, data_only=True)
            ws = wb["diary"] if "diary" in wb.sheetnames else wb.active
            rows = [[_cell_text(v) for v in r] for r in ws.iter_rows(values_only=True)]
            wb.close()
            if not rows:
                return pd.DataFrame(columns=list(DIARY_COLUMNS))
            header = [h for h in rows[0]]
            width = len(header)
            body = [r[:width] + [""] * (width - len(r)) for r in rows[1:]]
            df = pd.DataFrame(body, columns=header, dtype=str)
        else:
            with path.open(encoding="utf-8-sig") as f:
                header = f.readline()
            # a spreadsheet with a Latvian locale saves CSV with semicolons
            sep = ";" if header.count(";") > header.count(",") else ","
            df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig",
                             sep=sep)
    except (OSError, ValueError, KeyError) as e:
        p.add(_TABLE, "", "unreadable", f"cannot read {path.name}: {e}")
        return None
    df.columns = [str(c).strip() for c in df.columns]
    df.index = pd.RangeIndex(2, len(df) + 2)  # line in the file / row in the sheet
    blank = (df.astype(str).apply(lambda s: s.str.strip()) == "").all(axis=1)
    return df.loc[~blank]


def _minutes(values: pd.Series, column: str, p: Problems, end: bool) -> pd.Series:
    """HH:MM text to minutes after midnight; bad values are recorded and become NaN."""
    parts = values.str.strip().str.fullmatch(_TIME.pattern)
    hm = values.str.strip().str.extract(_TIME.pattern).astype(float)
    minutes = hm[0] * 60 + hm[1]
    limit = 24 * 60 if end else 24 * 60 - 1
    ok = parts & (hm[1] < 60) & (minutes <= limit)
    bad = ~ok & (values.str.strip() != "")
    if bad.any():
        p.add(_TABLE, column, "bad_time_format",
              [f"{column} must be a time HH:MM between 00:00 and {'24:00' if end else '23:59'}, "
               f"found '{v}'" for v in values[bad]], rows=values.index[bad], values=values[bad])
    return minutes.where(ok)


def import_diary(
    path: str | Path,
    dataset: Any = None,
    survey_period: Sequence[str | dt.date] | None = None,
    activities: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Read and check a diary file; return daily minutes per activity (``time_use`` rows).

    Implements (7.1): ``minutes = Σ (end_time − start_time)`` over the entries of a worker, date
    and activity.

    Parameters
    ----------
    path : str or pathlib.Path
        A ``.csv`` (UTF-8) or ``.xlsx`` file in the template layout (sheet ``diary``).
    dataset : Dataset, optional
        If given, each worker must be in ``workers`` for the year of the entry and each date inside
        the survey period of the worker's municipality (``survey_periods``); its ``activities``
        table is used.
    survey_period : (start, end), optional
        ISO dates; every entry must fall inside (overrides the dataset's survey periods).
    activities : pandas.DataFrame, optional
        Allowed activity codes; default the dataset's or the shipped ``activities``.

    Returns
    -------
    pandas.DataFrame
        ``worker_id, date`` (ISO text), ``activity_code``, ``minutes`` (int) [min/day], sorted.

    Raises
    ------
    DataValidationError
        Listing every problem with file, row, column, rule, value and message.
    """
    survey_period = _period(survey_period)
    path = Path(path)
    p = Problems()
    p.files[_TABLE] = path.name
    df = _read(path, p) if path.exists() else None
    if not path.exists():
        p.add(_TABLE, "", "unreadable", f"file {path} does not exist")
    if df is None:
        raise DataValidationError(p.frame(), source=str(path))
    missing = [c for c in DIARY_COLUMNS[:-1] if c not in df.columns]
    for c in missing:
        p.add(_TABLE, c, "missing_column", f"column {c!r} is missing; the diary needs "
              f"{', '.join(DIARY_COLUMNS[:-1])} (and optionally note)")
    if missing:
        raise DataValidationError(p.frame(), source=str(path))
    df = df.apply(lambda s: s.astype(str).str.strip())
    for col in DIARY_COLUMNS[:-1]:
        empty = df[col] == ""
        if empty.any():
            p.add(_TABLE, col, "required", f"{col} is empty; a value is required",
                  rows=df.index[empty], values="")
    wid = df["worker_id"]
    bad = (wid != "") & ~wid.str.fullmatch(r"W\d+")
    if bad.any():
        p.add(_TABLE, "worker_id", "pattern", [f"worker_id must be W followed by digits "
              f"(pseudonymous id), found '{v}'" for v in wid[bad]], rows=wid.index[bad],
              values=wid[bad])
    date = pd.to_datetime(df["date"], format="%Y-%m-%d", errors="coerce")
    bad = date.isna() & (df["date"] != "")
    if bad.any():
        p.add(_TABLE, "date", "not_a_date", [f"date must be YYYY-MM-DD, found '{v}'"
              for v in df["date"][bad]], rows=df.index[bad], values=df["date"][bad])
    start = _minutes(df["start_time"], "start_time", p, end=False)
    end = _minutes(df["end_time"], "end_time", p, end=True)
    bad = start.notna() & end.notna() & (end <= start)
    if bad.any():
        p.add(_TABLE, "end_time", "end_not_after_start",
              [f"end_time {e} is not after start_time {s} (split work past midnight into two "
               f"entries)" for s, e in zip(df["start_time"][bad], df["end_time"][bad],
                                           strict=True)], rows=df.index[bad],
              values=df["end_time"][bad])
    if activities is None:
        activities = reference("activities", dataset)
    codes = set(activities["activity_code"].astype(str))
    act = df["activity_code"]
    bad = (act != "") & ~act.isin(codes)
    if bad.any():
        p.add(_TABLE, "activity_code", "unknown_activity",
              [f"activity_code '{v}' is not one of {', '.join(sorted(codes))}" for v in act[bad]],
              rows=act.index[bad], values=act[bad])
    good = date.notna() & start.notna() & end.notna() & (end > start) & (wid != "")
    entries = pd.DataFrame({"worker_id": wid, "date": date, "start": start, "end": end,
                            "activity_code": act})[good]
    _check_days(entries, p)
    _check_context(entries, dataset, survey_period, p)
    if len(p):
        raise DataValidationError(p.frame(), source=str(path))
    entries["minutes"] = (entries["end"] - entries["start"]).astype(np.int64)
    entries["date"] = entries["date"].dt.strftime("%Y-%m-%d")
    out = entries.groupby(["worker_id", "date", "activity_code"], as_index=False)["minutes"].sum()
    return out.sort_values(["worker_id", "date", "activity_code"], ignore_index=True)


def _check_days(entries: pd.DataFrame, p: Problems) -> None:
    """Overlapping entries of a worker on a day, and days with more than 24 hours."""
    e = entries.sort_values(["worker_id", "date", "start", "end"])
    same = (e["worker_id"] == e["worker_id"].shift()) & (e["date"] == e["date"].shift())
    prev_end = e.groupby(["worker_id", "date"])["end"].cummax().shift()
    prev_row = pd.Series(e.index, index=e.index).shift()
    clash = same & (e["start"] < prev_end)
    if clash.any():
        rows = e.index[clash]
        p.add(_TABLE, "start_time", "overlap",
              [f"entry of {w} on {d:%Y-%m-%d} starting {int(s) // 60:02d}:{int(s) % 60:02d} "
               f"overlaps an earlier entry (row {int(r)})" for w, d, s, r in
               zip(e.loc[rows, "worker_id"], e.loc[rows, "date"], e.loc[rows, "start"],
                   prev_row[rows], strict=True)], rows=rows,
              values=[f"{int(s) // 60:02d}:{int(s) % 60:02d}" for s in e.loc[rows, "start"]])
    total = (e["end"] - e["start"]).groupby([e["worker_id"], e["date"]]).sum()
    over = total[total > 24 * 60]
    for (w, d), minutes in over.items():
        first = e.index[(e["worker_id"] == w) & (e["date"] == d)][0]
        p.add(_TABLE, "end_time", "day_over_24h",
              f"{w} records {minutes / 60:.1f} h on {d:%Y-%m-%d}; a day has at most 24 h",
              rows=[first], values=f"{minutes:.0f} min")


def _period(survey_period: Any) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """The ``(start, end)`` survey period as timestamps; InputError if it is not two dates."""
    if survey_period is None:
        return None
    try:
        lo, hi = (pd.Timestamp(str(d)) for d in survey_period)
        if pd.isna(lo) or pd.isna(hi):
            raise ValueError("missing date")
    except (TypeError, ValueError):
        raise InputError(f"import_diary: survey_period must be two ISO dates (start, end), got "
                         f"{survey_period!r}") from None
    if hi < lo:
        raise InputError(f"import_diary: survey_period ends ({hi:%Y-%m-%d}) before it starts "
                         f"({lo:%Y-%m-%d})")
    return lo, hi


def _check_context(entries: pd.DataFrame, dataset: Any, survey_period: Any,
                   p: Problems) -> None:
    """Workers known in the staff records and dates inside the survey period."""
    e = entries.assign(year=entries["date"].dt.year)
    muni = pd.Series(pd.NA, index=e.index, dtype=object)
    if dataset is not None:

        attrs = worker_attributes(dataset)[["year", "worker_id", "municipality_code"]]
        attrs = attrs.astype({"worker_id": str, "year": "int64"})
        key = pd.MultiIndex.from_frame(attrs[["year", "worker_id"]])
        where = key.get_indexer(pd.MultiIndex.from_frame(e[["year", "worker_id"]]))
        unknown = where < 0
        if unknown.any():
            rows = e.index[unknown]
            p.add(_TABLE, "worker_id", "unknown_worker",
                  [f"worker {w} is not in the workers table for {y}" for w, y in
                   zip(e.loc[rows, "worker_id"], e.loc[rows, "year"], strict=True)],
                  rows=rows, values=e.loc[rows, "worker_id"])
        muni[~unknown] = attrs["municipality_code"].to_numpy()[where[~unknown]]
    if survey_period is not None:
        lo, hi = survey_period
        outside = (e["date"] < lo) | (e["date"] > hi)
        period = pd.Series(f"{lo:%Y-%m-%d}..{hi:%Y-%m-%d}", index=e.index)
    elif dataset is not None and "survey_periods" in getattr(dataset, "tables", {}):
        sp = dataset.survey_periods.astype({"municipality_code": str})
        sp = sp.assign(year=sp["year"].astype("int64"))
        m = e.assign(municipality_code=muni).merge(
            sp, on=["municipality_code", "year"], how="left").set_index(e.index)
        lo = pd.to_datetime(m["start_date"])
        hi = pd.to_datetime(m["end_date"])
        outside = muni.notna() & (lo.isna() | (e["date"] < lo) | (e["date"] > hi))
        period = ("survey period " + lo.dt.strftime("%Y-%m-%d") + ".."
                  + hi.dt.strftime("%Y-%m-%d")).fillna("no survey period for " + muni.astype(str)
                                                       + " in " + e["year"].astype(str))
    else:
        return
    if outside.any():
        rows = e.index[outside]
        p.add(_TABLE, "date", "outside_survey_period",
              [f"date {d:%Y-%m-%d} is outside the {q}" for d, q in
               zip(e.loc[rows, "date"], period[rows], strict=True)],
              rows=rows, values=e.loc[rows, "date"].dt.strftime("%Y-%m-%d"))
