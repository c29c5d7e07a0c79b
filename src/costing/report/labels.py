"""Report text in Latvian and English from one table, and numbers formatted for each language.

Every sentence, heading, axis label and notice a report shows comes from
``reference/labels.csv`` (columns ``key, lv, en``); a dataset may ship its own ``labels.csv`` to
override it. Service names come from the service catalogue (``services.csv``: ``name_lv``,
``name_en``).

Number formatting follows each language's convention:

* Latvian (``lv``): a non-breaking space groups thousands and a comma marks decimals,
  ``1 234 567,8``; a percentage is written with a space, ``12,5 %``; negative numbers use the
  minus sign ``−``.
* English (``en``): a comma groups thousands and a point marks decimals, ``1,234,567.8``,
  ``12.5%``.

A missing value (``None``, ``NaN``) is shown as an en dash ``–`` so a table never says ``nan``.
"""

from __future__ import annotations

import functools
import math
import string
from importlib import resources
from numbers import Real

import pandas as pd

from ..errors import InputError

LANGUAGES = ("lv", "en")
NBSP = "\u00a0"
MINUS = "\u2212"
MISSING = "\u2013"


def check_lang(lang: str) -> str:
    """``lang`` if it is a report language; an :class:`InputError` naming the choices if not."""
    if lang not in LANGUAGES:
        raise InputError(f"lang: expected one of {', '.join(LANGUAGES)}, got {lang!r}")
    return lang


@functools.lru_cache(maxsize=1)
def _package_labels() -> pd.DataFrame:
    with resources.files("costing").joinpath("reference/labels.csv").open(encoding="utf-8") as f:
        table = pd.read_csv(f, dtype=str, keep_default_na=False)
    return _validated(table, "reference/labels.csv")


def _validated(table: pd.DataFrame, source: str) -> pd.DataFrame:
    missing = {"key", *LANGUAGES} - set(table.columns)
    if missing:
        raise InputError(f"{source}: labels table lacks column(s) {sorted(missing)}")
    dup = table["key"][table["key"].duplicated()]
    if len(dup):
        raise InputError(f"{source}: label key(s) defined twice: {sorted(set(dup))}")
    empty = table[(table["lv"].str.strip() == "") | (table["en"].str.strip() == "")]
    if len(empty):
        raise InputError(f"{source}: label(s) without text in lv or en: {list(empty['key'])}")
    return table.set_index("key")[list(LANGUAGES)]


_MERGED: dict[int, tuple[pd.DataFrame, pd.DataFrame]] = {}


def labels_table(table: pd.DataFrame | None = None) -> pd.DataFrame:
    """The labels table indexed by ``key`` with columns ``lv`` and ``en``.

    Parameters
    ----------
    table : pandas.DataFrame, optional
        A dataset's own labels table (columns ``key, lv, en``); its rows override the shipped
        ones with the same key. ``None`` returns the shipped table.

    Returns
    -------
    pandas.DataFrame
        Index ``key``; columns ``lv``, ``en``.
    """
    base = _package_labels()
    if table is None or len(table) == 0:
        return base
    hit = _MERGED.get(id(table))
    if hit is not None and hit[0] is table:  # the same table object: merged already
        return hit[1]
    own = _validated(table.astype(str), "dataset labels")
    merged = pd.concat([base.drop(index=own.index, errors="ignore"), own])
    if len(_MERGED) > 8:
        _MERGED.clear()
    _MERGED[id(table)] = (table, merged)
    return merged


def label(key: str, lang: str = "lv", table: pd.DataFrame | None = None, **values: object) -> str:
    """The text of label ``key`` in ``lang``, with ``{placeholders}`` filled from ``values``.

    Parameters
    ----------
    key : str
        Row key in ``labels.csv`` (e.g. ``"section.costs"``).
    lang : {"lv", "en"}
        Language; Latvian by default.
    table : pandas.DataFrame, optional
        A dataset's labels table overriding the shipped one (see :func:`labels_table`).
    **values
        Values for the text's ``{name}`` placeholders, inserted as given (format numbers first
        with :func:`format_number`).

    Returns
    -------
    str

    Raises
    ------
    InputError
        Unknown key or language, or a placeholder without a value.

    Examples
    --------
    >>> label("notice.illustrative", "en")[:17]
    'Illustrative data'
    """
    check_lang(lang)
    labels = labels_table(table)
    if key not in labels.index:
        raise InputError(f"label key {key!r} is not in labels.csv (lang={lang!r})")
    text = labels.at[key, lang]
    wanted = {f[1] for f in string.Formatter().parse(text) if f[1]}
    lacking = wanted - set(values)
    if lacking:
        raise InputError(f"label {key!r} needs value(s) for {sorted(lacking)}")
    return text.format(**values) if wanted else text


def service_name(code: str, lang: str, services: pd.DataFrame) -> str:
    """Name of service ``code`` in ``lang`` from the service catalogue (``name_lv``/``name_en``)."""
    check_lang(lang)
    row = services.loc[services["service_code"] == code]
    if row.empty:
        raise InputError(f"service_code {code!r} is not in the service catalogue")
    return str(row.iloc[0][f"name_{lang}"])


def _is_missing(value: object) -> bool:
    if value is None or value is pd.NA:
        return True
    return isinstance(value, Real) and math.isnan(float(value))


def format_number(value: object, lang: str = "lv", decimals: int = 0) -> str:
    """Format a number for display in ``lang``.

    Parameters
    ----------
    value : float or int
        The number; ``None``/``NaN`` gives ``"–"``.
    lang : {"lv", "en"}
        Latvian (``1 234,5``, non-breaking space, decimal comma) or English (``1,234.5``).
    decimals : int
        Digits after the decimal mark (rounded half to even, as Python's ``format``).

    Returns
    -------
    str

    Examples
    --------
    >>> format_number(1234567.891, "lv", 2) == "1\\u00a0234\\u00a0567,89"
    True
    >>> format_number(-1234.5, "en", 1)
    '-1,234.5'
    """
    check_lang(lang)
    if _is_missing(value):
        return MISSING
    if not isinstance(value, Real) or isinstance(value, bool):
        raise InputError(f"format_number: expected a number, got {value!r}")
    x = float(value)
    if math.isinf(x):
        raise InputError(f"format_number: cannot display an infinite value ({value!r})")
    text = f"{abs(x):,.{decimals}f}"
    negative = x < 0 and text.strip("0.,") != ""
    if lang == "lv":
        text = text.replace(",", NBSP).replace(".", ",")
        return (MINUS if negative else "") + text
    return ("-" if negative else "") + text


def format_percent(fraction: object, lang: str = "lv", decimals: int = 1) -> str:
    """Format a fraction (``0.125``) as a percentage: ``12,5 %`` (lv), ``12.5%`` (en)."""
    check_lang(lang)
    if _is_missing(fraction):
        return MISSING
    number = format_number(float(fraction) * 100.0, lang, decimals)
    return f"{number}{NBSP}%" if lang == "lv" else f"{number}%"


def format_eur(value: object, lang: str = "lv", decimals: int = 0) -> str:
    """Format an amount in euro: ``1 234 EUR`` (lv) or ``EUR 1,234`` (en)."""
    number = format_number(value, lang, decimals)
    if number == MISSING:
        return number
    return f"{number}{NBSP}EUR" if lang == "lv" else f"EUR{NBSP}{number}"
