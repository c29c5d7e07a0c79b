"""SQLite store: round trip equal to the CSV load, schema version, all-or-nothing writes."""

from __future__ import annotations

import sqlite3

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import costing as ct
import costing.data.store as store
from costing.data.schema import REFERENCE_TABLES, SCHEMA_VERSION, SCHEMAS


@pytest.fixture
def db(tmp_path, mini):
    return ct.write_sqlite(mini, tmp_path / "mini.sqlite")


def test_round_trip_gives_equal_tables_dtypes_included(db, mini):
    again = ct.load_dataset(db)
    for name in SCHEMAS:
        pd.testing.assert_frame_equal(again.tables[name], mini.tables[name], obj=name)
    assert again.present == mini.present
    assert again.metadata == mini.metadata
    pd.testing.assert_frame_equal(again.provenance, mini.provenance)
    assert again.content_hash() == mini.content_hash()
    assert again.is_illustrative


def test_round_trip_with_absent_optional_tables(valid_dataset_dir, tmp_path):
    for name in ("tariffs", "assets", "time_use", "caseloads", "workers", "survey_periods"):
        (valid_dataset_dir / f"{name}.csv").unlink()
    ds = ct.load_dataset(valid_dataset_dir)
    again = ct.load_dataset(ct.write_sqlite(ds, tmp_path / "x.sqlite"))
    assert again.present == ds.present == ("cost_centres", "expenditure", "staff", "outputs",
                                           "drivers")
    assert again.content_hash() == ds.content_hash()


def test_database_is_self_contained_and_versioned(db):
    con = sqlite3.connect(db)
    try:
        names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        version, lib, built = con.execute("SELECT * FROM _schema_version").fetchone()
        n_ex = con.execute("SELECT COUNT(*), SUM(amount_eur) FROM expenditure").fetchone()
        code = con.execute("SELECT typeof(ekk_code), typeof(year) FROM expenditure").fetchone()
    finally:
        con.close()
    assert set(REFERENCE_TABLES) <= names and {"_metadata", "provenance"} <= names
    assert version == SCHEMA_VERSION and lib == ct.__version__ and built.endswith("Z")
    assert n_ex[0] == 89
    assert code == ("text", "integer")  # codes stay text, years are integers


def test_failed_write_leaves_the_old_file_and_no_temporary(db, mini, monkeypatch):
    before = db.read_bytes()
    calls = {"n": 0}
    real = store._write_table

    def failing(con, df, schema):
        calls["n"] += 1
        if calls["n"] == 5:
            raise RuntimeError("disk full (simulated)")
        real(con, df, schema)

    monkeypatch.setattr(store, "_write_table", failing)
    with pytest.raises(RuntimeError, match="simulated"):
        ct.write_sqlite(mini, db)
    assert db.read_bytes() == before
    assert sorted(p.name for p in db.parent.iterdir()) == ["mini.sqlite"]


def test_invalid_dataset_writes_nothing(valid_dataset_dir, tmp_path):
    (valid_dataset_dir / "outputs.csv").unlink()
    target = tmp_path / "out.sqlite"
    with pytest.raises(ct.DataValidationError):
        ct.build_database(valid_dataset_dir, target)
    assert not target.exists()


def test_bad_value_inside_sqlite_is_reported_with_rowid(db):
    con = sqlite3.connect(db)
    with con:
        con.execute("UPDATE outputs SET clients = 'many' WHERE rowid = 3")
    con.close()
    with pytest.raises(ct.DataValidationError) as info:
        ct.load_dataset(db)
    rec = info.value.errors.iloc[0]
    assert (rec["file"], rec["row"], rec["column"], rec["rule"], rec["value"]) == (
        "mini.sqlite:outputs", 3, "clients", "not_a_number", "many")


def test_wrong_schema_version_is_refused(db):
    con = sqlite3.connect(db)
    with con:
        con.execute("UPDATE _schema_version SET version = 99")
    con.close()
    with pytest.raises(ct.DataValidationError) as info:
        ct.load_dataset(db)
    assert info.value.errors.loc[0, "rule"] == "schema_version"


def test_sqlite_without_version_table_is_refused(tmp_path):
    path = tmp_path / "other.sqlite"
    con = sqlite3.connect(path)
    with con:
        con.execute("CREATE TABLE t (x)")
    con.close()
    with pytest.raises(ct.DataValidationError) as info:
        ct.load_dataset(path)
    assert info.value.errors.loc[0, "rule"] == "schema_version"


def test_floats_survive_exactly(valid_dataset_dir, tmp_path):
    path = valid_dataset_dir / "expenditure.csv"
    text = path.read_text(encoding="utf-8").replace("90000.00", "0.1000000000000000055511")
    path.write_text(text, encoding="utf-8")
    ds = ct.load_dataset(valid_dataset_dir)
    again = ct.load_dataset(ct.write_sqlite(ds, tmp_path / "f.sqlite"))
    assert (again.expenditure["amount_eur"].to_numpy() == ds.expenditure["amount_eur"].to_numpy()
            ).all()


def test_file_names_with_spaces_and_uri_characters(tmp_path, mini):
    path = ct.write_sqlite(mini, tmp_path / "my data #1?.sqlite")
    assert ct.load_dataset(path).content_hash() == mini.content_hash()


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=1e12, allow_nan=False), min_size=89,
                max_size=89))
def test_any_amounts_survive_frames_and_sqlite_exactly(tmp_path_factory, mini, amounts):
    frames = {n: mini.tables[n] for n in (*mini.present, *REFERENCE_TABLES)}
    frames["expenditure"] = mini.expenditure.assign(amount_eur=amounts)
    ds = ct.dataset_from_frames(frames)
    assert ds.expenditure["amount_eur"].tolist() == amounts
    path = ct.write_sqlite(ds, tmp_path_factory.mktemp("h") / "h.sqlite")
    assert ct.load_dataset(path).expenditure["amount_eur"].tolist() == amounts


@pytest.mark.parametrize("name, expected", [
    ("data.csv", "must end in .sqlite"),       # a typo would overwrite a CSV of the dataset
    ("folder.sqlite", "is a folder"),
    ("text.sqlite", "is not a SQLite database; refusing to overwrite"),
])
def test_a_target_that_would_destroy_something_is_refused(tmp_path, mini, name, expected):
    target = tmp_path / name
    if name == "data.csv":
        target.write_text("year,amount_eur\n2024,1.00\n", encoding="utf-8")
    elif name == "folder.sqlite":
        target.mkdir()
    else:
        target.write_text("year,amount_eur\n2024,1.00\n", encoding="utf-8")
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(ct.InputError, match=expected):
        ct.write_sqlite(mini, target)
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    if target.is_file():
        assert target.read_text(encoding="utf-8").startswith("year,amount_eur")


def test_an_unwritable_place_is_an_input_error_not_a_traceback(tmp_path, mini):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ct.InputError, match="cannot write the database"):
        ct.write_sqlite(mini, blocker / "sub" / "mini.sqlite")  # parent is a file
