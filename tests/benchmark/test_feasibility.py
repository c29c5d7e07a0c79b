"""Method requirements: every refusal of the method is a named validation rule, found
municipality by municipality, and a refused municipality leaves every other one complete."""

import ast
import shutil
from pathlib import Path

import pandas as pd
import pytest
from paths import MINI_DIR

import costing as ct
from costing.benchmark.feasibility import check_method, excluded_municipalities, method_refusals
from costing.data.requirements import REQUIREMENTS, population_refusals, requirements_table
from costing.errors import MethodRefusal

SRC = Path(ct.__file__).resolve().parent
BAD, GOOD = "LV0026000", "LV0054000"  # the two municipalities of the mini dataset


def _raised_rules() -> dict[str, list[str]]:
    """rule -> source files of every ``MethodRefusal(..., rule="...")`` in the package."""
    found: dict[str, list[str]] = {}
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "MethodRefusal":
                for kw in node.keywords:
                    if kw.arg == "rule" and isinstance(kw.value, ast.Constant):
                        found.setdefault(kw.value.value, []).append(path.name)
    return found


def test_every_refusal_of_the_method_is_a_listed_requirement_and_back():
    raised = _raised_rules()
    assert set(raised) - set(REQUIREMENTS) == set(), "a refusal without a requirement rule"
    assert set(REQUIREMENTS) - set(raised) == set(), "a requirement no code refuses by"
    t = requirements_table()
    assert list(t["rule"]) == list(REQUIREMENTS) and t["description"].str.len().min() > 20


def _mini_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "ds"
    shutil.copytree(MINI_DIR, folder)
    return folder


def _edit(folder: Path, name: str, change) -> None:
    path = folder / f"{name}.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    change(df).to_csv(path, index=False)


def _lines(folder: Path, name: str, mask) -> list[int]:
    df = pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False)
    return [int(i) + 2 for i in df.index[mask(df)]]  # header = line 1


def _singular(df: pd.DataFrame) -> pd.DataFrame:
    """ADM and SUP1 of BAD allocate only to each other in 2023."""
    mine = (df["year"] == "2023") & df["from_centre_id"].str.startswith(BAD)
    loop = pd.DataFrame({"year": ["2023", "2023"],
                         "from_centre_id": [f"{BAD}-ADM", f"{BAD}-SUP1"],
                         "to_centre_id": [f"{BAD}-SUP1", f"{BAD}-ADM"],
                         "driver": ["fte", "hours"], "quantity": ["1", "1"]})
    return pd.concat([df[~mine], loop], ignore_index=True)


def test_singular_allocation_passes_the_schema_and_is_named_by_the_method_check(tmp_path):
    folder = _mini_copy(tmp_path)
    _edit(folder, "drivers", _singular)
    ds = ct.load_dataset(folder)  # well formed: the schema rules have nothing to say
    with pytest.raises(MethodRefusal, match="no unique solution") as info:
        ct.full_costs(ds, 2023)
    assert info.value.rule == "allocation_singular"
    errs = check_method(ds)
    assert set(errs["rule"]) == {"allocation_singular"}
    assert set(errs["municipality_code"]) == {BAD} and set(errs["year"]) == {2023}
    # the two looping driver rows, by their line in drivers.csv
    expected = _lines(folder, "drivers", lambda d: (d["year"] == "2023")
                      & d["from_centre_id"].isin([f"{BAD}-ADM", f"{BAD}-SUP1"]))
    assert sorted(errs["row"]) == expected and len(expected) == 2
    assert set(errs["file"]) == {"drivers.csv"} and set(errs["column"]) == {"to_centre_id"}
    assert set(errs["value"]) == {f"{BAD}-SUP1", f"{BAD}-ADM"}
    # collect mode: the other municipality is computed, the refused one left out
    refusals: list = []
    fc = ct.full_costs(ds, 2023, refusals=refusals)
    assert set(fc["municipality_code"]) == {GOOD} and [r.rule for r in refusals] == [
        "allocation_singular"]
    clean = ct.full_costs(ct.load_dataset(MINI_DIR), 2023, municipality=GOOD)
    pd.testing.assert_frame_equal(fc.reset_index(drop=True), clean.reset_index(drop=True))


def test_support_centre_with_costs_and_no_driver_row(tmp_path):
    folder = _mini_copy(tmp_path)
    _edit(folder, "drivers", lambda d: d[~((d["year"] == "2023")
                                           & (d["from_centre_id"] == f"{BAD}-SUP1"))])
    errs = check_method(ct.load_dataset(folder))
    assert set(errs["rule"]) == {"driver_row_missing"}
    # pointed at the centre's expenditure lines of that year: the costs nobody allocates
    expected = _lines(folder, "expenditure", lambda e: (e["year"] == "2023")
                      & (e["cost_centre_id"] == f"{BAD}-SUP1"))
    assert sorted(errs["row"]) == expected and expected
    assert set(errs["file"]) == {"expenditure.csv"} and set(errs["value"]) == {f"{BAD}-SUP1"}


def test_support_centre_with_two_driver_kinds(tmp_path):
    folder = _mini_copy(tmp_path)

    def mixed(d):
        i = d.index[(d["year"] == "2023") & (d["from_centre_id"] == f"{BAD}-SUP1")][0]
        d.loc[i, "driver"] = "fte"
        return d
    _edit(folder, "drivers", mixed)
    errs = check_method(ct.load_dataset(folder))
    assert set(errs["rule"]) == {"driver_kinds_mixed"}
    assert set(errs["value"]) == {"fte", "hours"}  # each row shows its own kind
    assert len(errs) == len(_lines(folder, "drivers", lambda d: (d["year"] == "2023")
                                   & (d["from_centre_id"] == f"{BAD}-SUP1")))


def test_driver_row_zero_after_ignoring_self_use(mini):
    ds = mini.copy()
    d = ds.drivers.copy()
    sup = (d["year"] == 2023) & (d["from_centre_id"] == f"{BAD}-SUP1")
    d.loc[sup, "quantity"] = 0.0
    ds.tables["drivers"] = d
    refused = method_refusals(ds, [2023])
    assert [(r.rule, r.municipality_code) for r in refused] == [("driver_row_zero", BAD)]


@pytest.mark.parametrize(("change", "rule"), [
    (lambda p: p[~((p["atvk_code"] == BAD) & (p["year"] == "2023"))], "population_missing"),
    (lambda p: p.assign(population=p["population"].where(
        ~((p["atvk_code"] == BAD) & (p["year"] == "2023")), "0")), "population_not_positive"),
])
def test_population_missing_or_zero_for_a_municipality_year_with_costs(tmp_path, change, rule):
    folder = _mini_copy(tmp_path)
    _edit(folder, "population", change)
    ds = ct.load_dataset(folder)
    errs = check_method(ds)
    assert set(errs["rule"]) == {rule} and set(errs["municipality_code"]) == {BAD}
    assert set(errs["file"]) == {"population.csv"}
    if rule == "population_missing":  # nothing to point at: the rows are missing
        assert errs["row"].isna().all() and list(errs["value"]) == ["2023"]
    else:
        assert sorted(errs["row"]) == _lines(folder, "population", lambda p: (
            p["atvk_code"] == BAD) & (p["year"] == "2023"))
    with pytest.raises(MethodRefusal) as info:  # the method refuses by the same rule
        ct.staffing_norm(ds, 2023)
    assert info.value.rule == rule and info.value.municipality_code == BAD


def test_population_refusals_hand_example():
    pop = pd.DataFrame({"atvk_code": ["A", "A", "B", "C"], "year": [2024] * 4,
                        "age_group": ["0-17", "18-64", "0-17", "0-17"],
                        "population": [10, 5, 0, 3]})
    got = [(r.municipality_code, r.rule) for r in population_refusals(pop, 2024, "ABD")]
    assert got == [("B", "population_not_positive"), ("D", "population_missing")]


def test_excluded_municipalities_joins_reasons_per_code():
    r1 = MethodRefusal("x", rule="population_missing", municipality_code="LV1")
    r2 = MethodRefusal("y", rule="driver_row_zero", municipality_code="LV1")
    out = excluded_municipalities([r1, r2, r1])
    assert out == {"LV1": "[population_missing] x; [driver_row_zero] y"}


def test_demo_has_no_method_refusal(demo):
    assert method_refusals(demo) == []
