"""One municipality's uncomputable data cost that municipality's report and nothing else."""

import pandas as pd
import pytest

from costing.errors import InputError
from costing.report import Report
from costing.report.shared import build_shared

YEAR = 2024
LOOP, EMPTY, BYSTANDER = "LV0004000", "LV0005000", "LV0001000"


def _faulty(demo):
    """Two support centres of LOOP allocate only to each other; EMPTY has population 0."""
    ds = demo.copy()
    d = ds.drivers
    cc = ds.cost_centres
    a, b = cc.loc[(cc["municipality_code"] == LOOP) & (cc["role"] != "service"),
                  "cost_centre_id"].iloc[:2]
    mine = (d["year"] == YEAR) & d["from_centre_id"].isin([a, b])
    loop = pd.DataFrame({"year": [YEAR, YEAR], "from_centre_id": [a, b], "to_centre_id": [b, a],
                         "driver": ["fte", "fte"], "quantity": [1.0, 1.0]})
    ds.tables["drivers"] = pd.concat([d[~mine], loop], ignore_index=True)
    p = ds.population.copy()
    p.loc[(p["atvk_code"] == EMPTY) & (p["year"] == YEAR), "population"] = 0
    ds.tables["population"] = p
    return ds


@pytest.fixture(scope="module")
def shared(demo):
    return build_shared(_faulty(demo), YEAR)


@pytest.fixture(scope="module")
def clean(demo):
    return build_shared(demo, YEAR)


def test_the_refused_municipalities_are_named_with_their_rule(shared):
    assert set(shared.excluded) == {LOOP, EMPTY}
    assert shared.excluded[LOOP].startswith("[allocation_singular]")
    assert shared.excluded[EMPTY].startswith("[population_not_positive]")
    assert set(shared.refusals["municipality_code"]) == {LOOP, EMPTY}


def test_every_component_is_computed_for_the_others(shared, clean):
    assert shared.problems == {} and clean.problems == {}
    for name in ("key_figures", "indicators", "peer_groups", "need", "efficiency"):
        t = shared.table(name)
        codes = set(t.index if name == "key_figures" else t["municipality_code"])
        assert LOOP not in codes and EMPTY not in codes, name
        assert BYSTANDER in codes, name
    # a bystander's own figures do not depend on who else is compared
    own = shared.table("unit_costs").query("municipality_code == @BYSTANDER")
    ref = clean.table("unit_costs").query("municipality_code == @BYSTANDER")
    pd.testing.assert_frame_equal(own.reset_index(drop=True), ref.reset_index(drop=True))
    assert shared.table("key_figures").loc[BYSTANDER, "full_cost_eur"] == \
        clean.table("key_figures").loc[BYSTANDER, "full_cost_eur"]


@pytest.mark.parametrize("lang", ["lv", "en"])
def test_bystander_report_is_complete_and_says_who_was_left_out(shared, lang):
    r = Report(shared, BYSTANDER, lang)
    for part in (r.key_figures_table(), r.indicator_table(), r.services_table(),
                 r.decomposition_table(), r.expected_cost_table()):
        assert part is not None and len(part)
    assert r.efficiency_sentence() and r.need_sentence()
    q = r.quality_table()
    text = " ".join(q.iloc[:, 1])
    assert "Jūrmala (LV0004000)" in set(q.iloc[:, 0]) and "Liepāja (LV0005000)" in set(
        q.iloc[:, 0])
    if lang == "en":
        assert "support centres allocate only to each other" in text
        assert "the population of the year is 0" in text
    else:
        assert "atbalsta centri sadala izmaksas tikai cits citam" in text
    assert LOOP not in r.peers and EMPTY not in r.peers


def test_the_refused_municipality_gets_no_report_but_the_reason(shared, monkeypatch):
    import costing.report.base as base

    monkeypatch.setattr(base, "report_inputs", lambda **kw: shared)
    with pytest.raises(InputError, match=r"LV0004000: no report.*allocation_singular"):
        Report.open(LOOP, year=YEAR)


def test_a_warned_value_is_listed_and_the_figure_resting_on_it_marked(demo):
    ds = demo.copy()
    o = ds.outputs.copy()
    cc = ds.cost_centres.set_index("cost_centre_id")
    i = o.index[(o["year"] == YEAR) & o["cost_centre_id"].map(cc["municipality_code"]).eq(
        BYSTANDER) & o["cost_centre_id"].map(cc["service_code"]).eq("LTC")][0]
    o.loc[i, "units"] = 1.0  # one bed-day for a whole care home
    ds.tables["outputs"] = o
    c = ds.caseloads.copy()
    w = ds.workers.loc[(ds.workers["year"] == YEAR) & ds.workers["cost_centre_id"].str.startswith(
        BYSTANDER), "worker_id"].iloc[0]
    c.loc[(c["year"] == YEAR) & (c["worker_id"] == w), "open_cases"] *= 100
    ds.tables["caseloads"] = c
    sh = build_shared(ds, YEAR)
    rules = set(sh.warnings.loc[sh.warnings["municipality_code"] == BYSTANDER, "rule"])
    assert {"unit_cost_outlier", "caseload_above_capacity"} <= rules
    r = Report(sh, BYSTANDER, "en")
    services = r.services_table()
    marked = services.loc[services.iloc[:, 0].str.endswith("⚠")]
    assert len(marked) == 1  # the care home, and no other centre
    assert "plausibility check" in services.attrs["note"]
    q = r.quality_table()
    items = " ".join(q.iloc[:, 0])
    care_home = marked.iloc[0, 0].removesuffix(" ⚠")
    assert f"⚠ {care_home} (outputs.csv, row {i + 2})" in items
    notes = " ".join(q.iloc[:, 1])
    assert "unit cost is far from the median" in notes and "(in the file units = 1)" in notes
    shown: list[str] = []  # and the header says so before any figure
    r._display = shown.append
    r.header()
    assert any(f"{len(r.own_warnings)} values of this municipality" in h
               for h in shown)
    # one worker's caseload: the rule is said, the worker's figure is not (personal data)
    case_note = q.loc[q.iloc[:, 0].str.contains("caseloads"), q.columns[1]].iloc[0]
    assert "in the file" not in case_note and w not in case_note


def test_end_to_end_the_bystander_report_is_complete_and_the_batch_says_who_was_left_out(
        tmp_path, capsys):
    """A demo folder with looping drivers in LOOP and no 2024 population for EMPTY (an own
    population.csv); the reports of LOOP, EMPTY and BYSTANDER through the command line."""
    import shutil

    from costing.cli import main
    from costing.data.dataset import DEMO_DIR, REFERENCE_DIR

    folder = tmp_path / "ds"
    shutil.copytree(DEMO_DIR, folder)
    d = pd.read_csv(folder / "drivers.csv", dtype=str, keep_default_na=False)
    a, b = f"{LOOP}-ADM", f"{LOOP}-MNT"
    mine = (d["year"] == str(YEAR)) & d["from_centre_id"].isin([a, b])
    loop = pd.DataFrame({"year": [str(YEAR)] * 2, "from_centre_id": [a, b],
                         "to_centre_id": [b, a], "driver": ["fte", "fte"],
                         "quantity": ["1", "1"]})
    pd.concat([d[~mine], loop], ignore_index=True).to_csv(folder / "drivers.csv", index=False)
    p = pd.read_csv(REFERENCE_DIR / "population.csv", dtype=str, keep_default_na=False)
    p[~((p["atvk_code"] == EMPTY) & (p["year"] == str(YEAR)))].to_csv(
        folder / "population.csv", index=False)
    out = tmp_path / "reports"
    code = main(["reports", "--dataset", str(folder), "--municipality", LOOP, EMPTY, BYSTANDER,
                 "--year", str(YEAR), "--lang", "en", "--out", str(out), "--no-progress",
                 "--workers", "1"])
    text = capsys.readouterr()
    summary = text.out + text.err
    assert code == 1  # a municipality was left out: the exit status says so
    assert f"EXCLUDED {LOOP}" in summary and "allocation_singular" in summary
    assert f"EXCLUDED {EMPTY}" in summary and "population_missing" in summary
    assert not (out / "en" / f"{LOOP}.html").exists()
    html = (out / "en" / f"{BYSTANDER}.html").read_text(encoding="utf-8")
    assert "Not computed" not in html  # every section of the bystander is there
    for heading in ("Key figures at a glance", "What each service costs and why",
                    "Where the municipality stands and why"):
        assert heading in html
    assert "Left out of the comparisons because its data cannot be computed" in html
    index = (out / "en" / "index.html").read_text(encoding="utf-8")
    assert LOOP in index and "left out of the comparison" in index
    # said in the index's language, from the rule, not cut mid-sentence from the library's words
    assert "support centres allocate only to each other" in index
    assert "there is no population figure for the year" in index
