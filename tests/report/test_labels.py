"""Labels table and language-specific number formatting (costing.labels)."""

import math

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import costing as ct
from costing.report.labels import (
    NBSP,
    format_eur,
    format_number,
    format_percent,
    label,
    labels_table,
)


def test_latvian_number_format_worked_example():
    # 1234567.891 rounded to 2 decimals is 1234567.89; Latvian groups thousands with a
    # non-breaking space and writes the decimal comma: "1 234 567,89"
    assert format_number(1234567.891, "lv", 2) == f"1{NBSP}234{NBSP}567,89"
    assert format_number(1234567.891, "en", 2) == "1,234,567.89"
    assert format_number(999.5, "lv", 0) == f"1{NBSP}000"  # 999.5 -> 1000 (half to even)


def test_rounding_and_sign():
    assert format_number(0.5, "en", 0) == "0"          # half to even, as Python's format
    assert format_number(-1234.5, "lv", 1) == f"\u22121{NBSP}234,5"
    assert format_number(-1234.5, "en", 1) == "-1,234.5"
    assert format_number(-0.0001, "lv", 2) == "0,00"    # no "−0,00"
    assert format_number(12, "lv") == "12"


def test_missing_values_show_a_dash_and_bad_values_are_refused():
    for missing in (None, float("nan"), pd.NA):
        assert format_number(missing, "lv") == "\u2013"
    with pytest.raises(ct.InputError, match="infinite"):
        format_number(math.inf, "lv")
    with pytest.raises(ct.InputError, match="expected a number"):
        format_number("12", "lv")
    with pytest.raises(ct.InputError, match="lang"):
        format_number(1.0, "de")


def test_percent_and_euro():
    # 0.125 = 12.5 %; Latvian writes a (non-breaking) space before the sign
    assert format_percent(0.125, "lv") == f"12,5{NBSP}%"
    assert format_percent(0.125, "en") == "12.5%"
    assert format_eur(1500, "lv") == f"1{NBSP}500{NBSP}EUR"
    assert format_eur(1500, "en") == f"EUR{NBSP}1,500"


@given(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False), st.integers(0, 4))
def test_both_languages_carry_the_same_number(x, d):
    lv = format_number(x, "lv", d).replace(NBSP, "").replace(",", ".").replace("\u2212", "-")
    en = format_number(x, "en", d).replace(",", "")
    assert lv == en
    assert float(en) == pytest.approx(round(x, d), abs=10 ** -d)


def test_label_lookup_and_placeholders():
    assert label("section.quality", "lv") == "Datu kvalitāte un izcelsme"
    assert label("section.quality", "en") == "Data quality and provenance"
    assert label("report.title", "en", name="Rīga", year=2024).startswith("Rīga")
    with pytest.raises(ct.InputError, match="needs value"):
        label("report.title", "en")
    with pytest.raises(ct.InputError, match="not in labels.csv"):
        label("no.such.key", "lv")


def test_illustrative_notice_says_so_in_both_languages():
    assert label("notice.illustrative", "lv").startswith("Ilustratīvi dati")
    assert label("notice.illustrative", "en").startswith("Illustrative data")


def test_table_complete_and_dataset_override():
    table = labels_table()
    assert not table.index.duplicated().any()
    assert (table["lv"].str.strip() != "").all() and (table["en"].str.strip() != "").all()
    own = pd.DataFrame({"key": ["section.quality"], "lv": ["Kvalitāte"], "en": ["Quality"]})
    assert label("section.quality", "en", own) == "Quality"
    assert label("section.glance", "en", own) == label("section.glance", "en")
    dup = pd.DataFrame({"key": ["a", "a"], "lv": ["x", "y"], "en": ["x", "y"]})
    with pytest.raises(ct.InputError, match="defined twice"):
        labels_table(dup)


def test_latvian_labels_are_latvian():
    # a cheap guard against untranslated rows: most Latvian texts differ from the English ones
    table = labels_table()
    same = table[table["lv"] == table["en"]]
    assert len(same) <= 3, list(same.index)
