"""Harmonising municipality-keyed data to the boundaries in force on one date.

Latvian municipalities changed twice in the period the library covers: the 2021 reform merged 119
units into 43 (``pre2021_novads`` / ``republikas pilsēta`` rows of ``municipalities``, each with a
``successor_code``), and on 2025-07-01 Madonas novads (``LV0038000``) and Varakļānu novads
(``LV0055000``) merged into the new Madonas novads (``LV0038001``). To compare years across such
changes, additive quantities (euros, persons, clients, units) are re-aggregated to the boundaries
of one date by following ``successor_code`` forward in time.

A unit that was split between several successors (``successor_code`` = ``"A|B"``, e.g. Aglonas
novads, divided between Krāslavas and Preiļu novads in 2021) cannot be mapped without knowing how
to divide its numbers: pass a ``shares`` table, otherwise :class:`~costing.errors.InputError` is
raised. Mapping backwards (a unit created after the target date) is refused for the same reason.
"""

from __future__ import annotations

import datetime as _dt

import numpy as np
import pandas as pd

from ..errors import InputError
from .dataset import reference_table
from .validation import code_hints

_TOL = 1e-9


def _as_date(to) -> pd.Timestamp:
    if isinstance(to, (int, np.integer)) and not isinstance(to, bool):
        return pd.Timestamp(int(to), 12, 31)
    if isinstance(to, (str, _dt.date, pd.Timestamp, np.datetime64)):
        try:
            return pd.Timestamp(to).normalize()
        except ValueError as e:
            raise InputError(f"to={to!r} is not a date (write YYYY-MM-DD)") from e
    raise InputError(f"to={to!r} must be a date (YYYY-MM-DD) or a year")


def territory_map(codes, to, municipalities: pd.DataFrame | None = None,
                  shares: pd.DataFrame | None = None) -> pd.DataFrame:
    """Map municipality codes to the unit(s) that cover them on the date ``to``.

    Parameters
    ----------
    codes : iterable of str
        ATVK codes (current or historical).
    to : str, date or int
        Target date; an int year means 31 December of that year.
    municipalities : DataFrame or Dataset, optional
        The ``municipalities`` table, or a dataset whose table to use (default: the shipped one).
    shares : DataFrame, optional
        Columns ``atvk_code, successor_code, share`` [fraction]: how a split unit's quantities are
        divided between its successors; the shares of one unit must add up to 1.

    Returns
    -------
    DataFrame
        Columns ``atvk_code, target_code, share``; one row per (code, target); shares of one code
        add up to 1.

    Raises
    ------
    InputError
        Unknown code, a unit created after ``to``, a split without shares, or a dead end.
    """
    date = _as_date(to)
    if hasattr(municipalities, "tables"):  # a Dataset: use its (possibly overridden) table
        municipalities = municipalities.municipalities
    if municipalities is None:

        municipalities = reference_table("municipalities")
    m = municipalities.drop_duplicates("atvk_code").set_index("atvk_code")
    share_of = {}
    if shares is not None:
        for r in shares.itertuples(index=False):
            share_of.setdefault(r.atvk_code, {})[r.successor_code] = float(r.share)

    def resolve(code: str, seen: tuple) -> list[tuple[str, float]]:
        if code not in m.index:
            near = code_hints([code], m.index).get(code, "")
            raise InputError(f"municipality code {code!r} is not in the municipalities table"
                             + near)
        if code in seen:
            raise InputError(f"successor codes loop: {' -> '.join((*seen, code))}")
        row = m.loc[code]
        vf, vt = row["valid_from"], row["valid_to"]
        if pd.notna(vf) and vf > date:
            raise InputError(
                f"{code} ({row['name']}) exists only from {vf:%Y-%m-%d}; its data cannot be "
                f"mapped back to the boundaries of {date:%Y-%m-%d}")
        if pd.isna(vt) or vt >= date:
            return [(code, 1.0)]
        succ = row["successor_code"]
        if pd.isna(succ) or not str(succ).strip():
            raise InputError(f"{code} ({row['name']}) ended on {vt:%Y-%m-%d} and has no "
                             "successor_code")
        parts = [s.strip() for s in str(succ).split("|")]
        if len(parts) == 1:
            split = {parts[0]: 1.0}
        else:
            split = share_of.get(code)
            if split is None or set(split) != set(parts):
                raise InputError(
                    f"{code} ({row['name']}) was split between {', '.join(parts)}; pass shares="
                    "DataFrame(atvk_code, successor_code, share) saying how to divide its data")
            if abs(sum(split.values()) - 1.0) > _TOL:
                raise InputError(f"the shares of {code} add up to {sum(split.values()):g}, "
                                 "not 1")
        out = []
        for s, w in split.items():
            out += [(t, w * v) for t, v in resolve(s, (*seen, code))]
        return out

    rows = [(c, t, w) for c in dict.fromkeys(codes) for t, w in resolve(c, ())]
    res = pd.DataFrame(rows, columns=["atvk_code", "target_code", "share"])
    return res.groupby(["atvk_code", "target_code"], sort=False, as_index=False)["share"].sum()


def harmonise_territory(df: pd.DataFrame, to, code_col: str = "municipality_code",
                        value_cols: list[str] | None = None, *,
                        municipalities: pd.DataFrame | None = None,
                        shares: pd.DataFrame | None = None) -> pd.DataFrame:
    """Re-aggregate a municipality-keyed table to the boundaries in force on ``to``.

    Each row's code is replaced by the unit that covers it on ``to`` (following
    ``successor_code``) and the value columns are summed over rows that now share a code and
    the same values in every other column.

    Parameters
    ----------
    df : DataFrame
        Tidy table with a municipality code column; all columns other than ``value_cols`` are
        grouping keys (e.g. ``year``, ``service_code``) — drop descriptive columns such as names.
    to : str, date or int
        Target date (an int year means 31 December of that year).
    code_col : str
        Column with ATVK codes.
    value_cols : list of str, optional
        Additive columns to sum (amounts [EUR], persons, clients, units). Default: every numeric
        column except ``year``. Never pass rates, indices or averages: they do not add up.
    municipalities, shares : DataFrame, optional
        See :func:`territory_map`.

    Returns
    -------
    DataFrame
        Same columns, codes valid on ``to``; rows from merged units summed. With ``shares``,
        a split unit's values are divided by those fractions (integers become floats).

    Raises
    ------
    InputError
        Missing columns, non-numeric value columns, or an unmappable code (see
        :func:`territory_map`).
    """
    if code_col not in df.columns:
        raise InputError(f"harmonise_territory: column {code_col!r} not in the table "
                         f"(columns: {', '.join(map(str, df.columns))})")
    if value_cols is None:
        value_cols = [c for c in df.columns if c not in (code_col, "year")
                      and pd.api.types.is_numeric_dtype(df[c])
                      and not pd.api.types.is_bool_dtype(df[c])]
    value_cols = list(value_cols)
    for c in value_cols:
        if c not in df.columns or not pd.api.types.is_numeric_dtype(df[c]):
            raise InputError(f"harmonise_territory: value column {c!r} is missing or not numeric")
    if df[code_col].isna().any():
        line = int(np.flatnonzero(df[code_col].isna().to_numpy())[0])
        raise InputError(f"harmonise_territory: {code_col} is empty in row {line}")
    mapping = territory_map(df[code_col].unique(), to, municipalities, shares)
    merged = df.merge(mapping.rename(columns={"atvk_code": code_col}), on=code_col, how="left")
    if (mapping["share"] != 1.0).any():
        merged[value_cols] = merged[value_cols].astype("float64").mul(merged["share"], axis=0)
    merged[code_col] = merged["target_code"]
    keys = [c for c in df.columns if c not in value_cols]
    out = merged.groupby(keys, sort=False, dropna=False, as_index=False)[value_cols].sum(
        min_count=1)
    return out[list(df.columns)]
