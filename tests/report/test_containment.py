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
    assert f"outputs.csv, row {i + 2}, column units" in items
    notes = " ".join(q.iloc[:, 1])
    assert "unit cost is far from the median" in notes and "(value 1)" in notes
    # one worker's caseload: the rule is said, the worker's figure is not (personal data)
    case_note = q.loc[q.iloc[:, 0].str.contains("caseloads"), q.columns[1]].iloc[0]
    assert "value" not in case_note and w not in case_note
