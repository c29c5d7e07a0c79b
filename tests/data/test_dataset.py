"""Loading datasets: typed tables, reference tables and overrides, metadata, hashing, speed."""

from __future__ import annotations

import csv
import json
import shutil
import time
from pathlib import Path

import pandas as pd
import pytest
from paths import MINI_DIR, ROOT

import costing as ct
from costing.data.schema import DATASET_TABLES, REFERENCE_TABLES, REQUIRED_TABLES, SCHEMAS


def append_csv(path: Path, row: list[str]) -> None:
    with open(path, "a", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerow(row)


def test_every_table_is_an_attribute_with_schema_columns(mini):
    assert set(mini.tables) == set(SCHEMAS)
    for name, schema in SCHEMAS.items():
        df = getattr(mini, name)
        assert list(df.columns) == list(schema.column_names), name
        assert isinstance(df.index, pd.RangeIndex)
    assert mini.present == DATASET_TABLES  # the mini dataset has every dataset table
    with pytest.raises(AttributeError, match="no table"):
        mini.nonexistent_table  # noqa: B018


def test_column_types_follow_the_schema(mini):
    ex = mini.expenditure
    assert ex["year"].dtype == "int64"
    assert ex["amount_eur"].dtype == "float64"
    assert pd.api.types.is_string_dtype(ex["ekk_code"])
    assert mini.ekk["allows_negative"].dtype == bool
    assert pd.api.types.is_datetime64_any_dtype(mini.time_use["date"])
    assert mini.time_use["minutes"].dtype == "int64"
    assert mini.assets["disposal_year"].dtype == "Int64"  # optional whole number
    # the refund row: -350 on EKK 6400 (which allows negatives) loads as a negative amount
    assert ex["amount_eur"].min() == -350.0
    # totals by hand: Cēsis ADM 2023 = 90000 + 21231 + 15000 + 4000 = 130231
    sel = (ex["year"] == 2023) & (ex["cost_centre_id"] == "LV0026000-ADM")
    assert ex.loc[sel, "amount_eur"].sum() == pytest.approx(130231.0)


def test_metadata_provenance_and_illustrative_flag(mini):
    assert mini.metadata["name"] == "mini"
    assert mini.is_illustrative is True
    assert set(mini.provenance.columns) == {"table", "column", "kind", "source"}
    assert mini.provenance["kind"].eq("synthetic").all()
    assert "illustrative" in repr(mini)
    assert mini.municipality_codes == ["LV0026000", "LV0054000"]
    assert mini.years == [2023, 2024]


def test_codes_keep_leading_zeros_and_whitespace_is_trimmed(valid_dataset_dir):
    append_csv(valid_dataset_dir / "ekk.csv",
               ["0110", "Tests", "Test code", "goods_services", "true", "false", ""])
    append_csv(valid_dataset_dir / "expenditure.csv", ["2024", " LV0026000-ADM ", "0110", " 12.5"])
    ds = ct.load_dataset(valid_dataset_dir)
    row = ds.expenditure[ds.expenditure["ekk_code"] == "0110"]
    assert row["cost_centre_id"].tolist() == ["LV0026000-ADM"]
    assert row["amount_eur"].tolist() == [12.5]


def test_optional_table_may_be_absent_or_header_only(valid_dataset_dir):
    (valid_dataset_dir / "tariffs.csv").unlink()
    (valid_dataset_dir / "assets.csv").write_text(
        "asset_id,cost_centre_id,asset_class,acquisition_year,acquisition_cost_eur,"
        "useful_life_years,residual_value_eur,disposal_year\n", encoding="utf-8")
    ds = ct.load_dataset(valid_dataset_dir)
    assert "tariffs" not in ds.present and "assets" in ds.present
    assert len(ds.tariffs) == 0
    assert list(ds.tariffs.columns) == list(SCHEMAS["tariffs"].column_names)
    assert ds.tariffs["year"].dtype == "int64"
    assert len(ds.assets) == 0


def test_blank_and_empty_spreadsheet_rows_are_ignored(valid_dataset_dir):
    path = valid_dataset_dir / "outputs.csv"
    path.write_text(path.read_text(encoding="utf-8") + "\n,,,,,\n", encoding="utf-8")
    assert len(ct.load_dataset(valid_dataset_dir).outputs) == 12


def test_unnamed_empty_columns_from_spreadsheets_are_ignored(valid_dataset_dir):
    path = valid_dataset_dir / "outputs.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(ln + ",," for ln in lines) + "\n", encoding="utf-8")
    assert list(ct.load_dataset(valid_dataset_dir).outputs.columns) == list(
        SCHEMAS["outputs"].column_names)
    lines[2] += ",,oops"  # a value in an unnamed column is not dropped silently
    path.write_text("\n".join(ln if i == 2 else ln + ",," for i, ln in enumerate(lines)) + "\n",
                    encoding="utf-8")
    with pytest.raises(ct.DataValidationError) as info:
        ct.load_dataset(valid_dataset_dir)
    assert info.value.errors.loc[0, "rule"] == "extra_column"


def test_utf8_with_byte_order_mark_is_accepted(valid_dataset_dir):
    path = valid_dataset_dir / "municipalities.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert ct.load_dataset(valid_dataset_dir).municipalities.loc[0, "name"] == "Cēsu novads"


def test_required_tables_are_documented():
    assert REQUIRED_TABLES == ("cost_centres", "expenditure", "outputs")
    text = (ROOT / "docs" / "data-model.md").read_text(encoding="utf-8")
    assert all(t in text for t in REQUIRED_TABLES)


def test_content_hash_is_stable_and_sensitive(valid_dataset_dir):
    a = ct.load_dataset(valid_dataset_dir)
    b = ct.load_dataset(MINI_DIR)
    assert a.content_hash() == b.content_hash()
    assert len(a.content_hash()) == 64
    # the same numbers written differently give the same data, hence the same hash
    path = valid_dataset_dir / "outputs.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(",45,", ",45.0,"), encoding="utf-8")
    assert ct.load_dataset(valid_dataset_dir).content_hash() == a.content_hash()
    path.write_text(path.read_text(encoding="utf-8").replace(",45.0,", ",46,"), encoding="utf-8")
    assert ct.load_dataset(valid_dataset_dir).content_hash() != a.content_hash()


def test_metadata_is_not_part_of_the_hash(valid_dataset_dir):
    before = ct.load_dataset(valid_dataset_dir).content_hash()
    (valid_dataset_dir / "metadata.json").write_text(json.dumps({"name": "renamed"}))
    ds = ct.load_dataset(valid_dataset_dir)
    assert ds.content_hash() == before and ds.is_illustrative is False


def test_broken_metadata_json_is_reported(valid_dataset_dir):
    (valid_dataset_dir / "metadata.json").write_text("{name: oops")
    with pytest.raises(ct.DataValidationError) as info:
        ct.load_dataset(valid_dataset_dir)
    assert info.value.errors.loc[0, "rule"] == "invalid_json"


def test_dataset_override_replaces_the_shipped_table(mini):
    assert len(mini.municipalities) == 5  # the mini's own municipalities.csv
    assert mini.sources["municipalities"] == "municipalities.csv"


def test_shipped_reference_tables_are_valid_and_used_when_not_overridden(valid_dataset_dir):
    for name in REFERENCE_TABLES:
        assert len(ct.reference_table(name)) > 0, name
        (valid_dataset_dir / f"{name}.csv").unlink()
    ds = ct.load_dataset(valid_dataset_dir)
    assert ds.sources["ekk"] == "costing/reference/ekk.csv"
    assert len(ds.municipalities) > 43  # 2021 units + merged Madona + pre-2021 units
    madona = ds.municipalities.set_index("atvk_code").loc["LV0038000"]
    assert madona["successor_code"] == "LV0038001"
    assert madona["valid_to"] == pd.Timestamp("2025-06-30")


def test_reference_table_rejects_unknown_names():
    with pytest.raises(KeyError, match="not a reference table"):
        ct.reference_table("expenditure")


def test_dataset_from_frames_round_trip(mini):
    frames = {n: mini.tables[n] for n in mini.present}
    frames.update({n: mini.tables[n] for n in REFERENCE_TABLES})
    again = ct.dataset_from_frames(frames)
    for name in SCHEMAS:
        pd.testing.assert_frame_equal(again.tables[name], mini.tables[name], obj=name)
    broken = dict(frames, outputs=mini.outputs.assign(clients=-1))
    with pytest.raises(ct.DataValidationError) as info:
        ct.dataset_from_frames(broken)
    assert set(info.value.errors["rule"]) == {"below_minimum"}


def test_copy_is_independent(mini):
    c = mini.copy()
    c.tables["outputs"] = c.outputs.assign(units=0.0)
    assert mini.outputs["units"].sum() > 0


def _big_time_use(folder: Path, n_workers: int) -> int:
    """Add n_workers social workers with 10 diary days x 8 activities each; return rows."""
    days = pd.bdate_range("2024-03-04", "2024-03-15").strftime("%Y-%m-%d")
    acts = SCHEMAS["activities"].column("activity_code").allowed
    ids = [f"W{5000 + i}" for i in range(n_workers)]
    centres = ["LV0026000-SW1", "LV0054000-SW1"]
    workers = pd.DataFrame({"year": 2024, "worker_id": ids,
                            "cost_centre_id": [centres[i % 2] for i in range(n_workers)],
                            "job_code": "SOCIAL_WORKER", "fte": 1.0, "salary_eur": 18000.0})
    workers.to_csv(folder / "workers.csv", mode="a", header=False, index=False)
    idx = pd.MultiIndex.from_product([ids, days, acts], names=["worker_id", "date", "activity"])
    tu = idx.to_frame(index=False).assign(minutes=50)
    tu.to_csv(folder / "time_use.csv", mode="a", header=False, index=False)
    return len(tu)


def test_loading_150k_time_use_rows_is_fast(valid_dataset_dir):
    rows = _big_time_use(valid_dataset_dir, 1900)
    assert rows == 152_000
    t0 = time.process_time()
    ds = ct.load_dataset(valid_dataset_dir)
    elapsed = time.process_time() - t0
    assert len(ds.time_use) == rows + 102
    assert elapsed < 3.0, f"load + validate took {elapsed:.2f} s of CPU time"


def test_a_problem_in_a_big_table_is_found(valid_dataset_dir):
    _big_time_use(valid_dataset_dir, 300)
    append_csv(valid_dataset_dir / "time_use.csv", ["W5001", "2024-03-05", "OTHER", "x"])
    with pytest.raises(ct.DataValidationError) as info:
        ct.load_dataset(valid_dataset_dir)
    errs = info.value.errors
    assert errs["rule"].tolist() == ["not_a_number", "duplicate_key"] or \
        set(errs["rule"]) <= {"not_a_number", "duplicate_key"}
    n_lines = sum(1 for _ in open(valid_dataset_dir / "time_use.csv", encoding="utf-8"))
    assert errs.loc[errs["rule"] == "not_a_number", "row"].tolist() == [n_lines]


def test_demo_dataset_loads_quickly_and_says_it_is_illustrative(demo):
    assert demo.is_illustrative
    t0 = time.process_time()
    ct.load_dataset(demo.path)
    assert time.process_time() - t0 < 3.0
    assert set(REQUIRED_TABLES) <= set(demo.present)


def test_demo_dataset_is_found_from_the_package():
    assert ct.PROJECT_ROOT == Path(ct.__file__).resolve().parents[2]
    if not (ct.PROJECT_ROOT / "data" / "demo" / "cost_centres.csv").exists():
        with pytest.raises(FileNotFoundError, match="costing demo"):
            ct.demo_dataset()


def test_demo_dataset_returns_independent_copies(demo):
    a, b = ct.demo_dataset(), ct.demo_dataset()
    assert a is not b and a.tables["expenditure"] is not b.tables["expenditure"]


def test_missing_reference_table_is_reported(valid_dataset_dir, monkeypatch, tmp_path):
    import costing.data.dataset as cd

    monkeypatch.setattr(cd, "REFERENCE_DIR", tmp_path / "empty")
    (valid_dataset_dir / "labels.csv").unlink()
    with pytest.raises(ct.DataValidationError) as info:
        ct.load_dataset(valid_dataset_dir)
    errs = info.value.errors
    assert errs[["table", "rule"]].values.tolist() == [["labels", "missing_table"]]


def test_copying_the_mini_dataset_keeps_it_valid(tmp_path):
    shutil.copytree(MINI_DIR, tmp_path / "x")
    copied = ct.load_dataset(tmp_path / "x")
    assert copied.content_hash() == ct.load_dataset(MINI_DIR).content_hash()


def test_a_mistyped_or_wrong_folder_gets_a_suggestion(tmp_path, valid_dataset_dir):
    (tmp_path / "data" / "demo").mkdir(parents=True)
    (tmp_path / "data" / "demo" / "cost_centres.csv").write_text("x\n", encoding="utf-8")
    with pytest.raises(ct.DataValidationError) as info:
        ct.load_dataset(tmp_path / "data" / "dmeo")
    errs = info.value.errors
    assert errs["rule"].tolist() == ["path_not_found"]
    assert f"did you mean {tmp_path / 'data' / 'demo'}?" in errs.loc[0, "message"]
    # the parent folder, which holds the dataset folder but no CSV file itself
    with pytest.raises(ct.DataValidationError) as info:
        ct.load_dataset(tmp_path / "data")
    errs = info.value.errors
    assert errs["rule"].tolist() == ["not_a_dataset"]
    assert "holds no CSV files" in errs.loc[0, "message"]
    assert str(tmp_path / "data" / "demo") in errs.loc[0, "message"]
