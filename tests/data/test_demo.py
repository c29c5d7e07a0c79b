"""The demo dataset generator and the committed copy in data/demo."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import costing as ct
from costing.data.demo import generator as demo
from costing.data.demo.units import BELOW_NORM, LOW_OCCUPANCY_HC

DEMO_DIR = ct.data.dataset.DEMO_DIR  # the packaged demo (data/demo links to it)
REF = ct.data.dataset.REFERENCE_DIR


TIMING: dict[str, float] = {}


@pytest.fixture(scope="module")
def gen() -> dict[str, pd.DataFrame]:
    start = time.perf_counter()
    tables = demo.generate_demo()
    TIMING["generate"] = time.perf_counter() - start
    return tables


@pytest.fixture(scope="module")
def written(tmp_path_factory, gen) -> Path:
    out = tmp_path_factory.mktemp("demo")
    demo.write_tables(out, gen, demo.DEFAULT_SEED)
    return out


def test_committed_copy_is_byte_identical(written):
    committed = sorted(p.name for p in DEMO_DIR.iterdir() if p.name != "README.md")
    fresh = sorted(p.name for p in written.iterdir())
    assert committed == fresh
    for name in fresh:
        assert (written / name).read_bytes() == (DEMO_DIR / name).read_bytes(), name


def test_deterministic_and_seed_sensitive(gen):
    again = demo.generate_demo()
    for name, df in gen.items():
        pd.testing.assert_frame_equal(df, again[name])
    other = demo.generate_demo(seed=1)
    assert not other["expenditure"].equals(gen["expenditure"])


def test_generation_is_fast(gen):
    assert TIMING["generate"] < 30


def test_size_limit():
    size = sum(p.stat().st_size for p in DEMO_DIR.iterdir())
    assert size <= 10 * 1024 * 1024, f"data/demo is {size / 2**20:.1f} MiB"


def test_loads_and_validates():
    ds = ct.load_dataset(DEMO_DIR)
    assert ds.metadata["illustrative"] is True
    assert len(ds.cost_centres) > 400


def test_every_municipality_has_core_centres(gen):
    cc = gen["cost_centres"]
    mun = pd.read_csv(REF / "municipalities.csv", dtype=str, keep_default_na=False)
    codes = set(mun.loc[mun["valid_from"] == "2021-07-01", "atvk_code"])
    assert set(cc["municipality_code"]) == codes and len(codes) == 43
    for code, g in cc.groupby("municipality_code"):
        assert (g["cost_centre_id"] == f"{code}-SSO").any() and (g["role"] == "support").any()
        assert ((g["cost_centre_id"] == f"{code}-ADM") & (g["role"] == "admin")).any()
        assert {"SOCIAL_WORK", "HOME_CARE"} <= set(g["service_code"].dropna()), code
    assert (cc["provider_type"] == "social_enterprise").sum() >= 3
    assert (cc["provider_type"] == "ngo").sum() >= 5
    assert (cc["service_code"] == "LTC").sum() >= 35  # most municipalities have care homes
    years = gen["expenditure"].groupby("cost_centre_id")["year"].nunique()
    assert (years == 5).all()


def test_pay_and_contributions_consistent(gen):
    ex, st = gen["expenditure"], gen["staff"]
    pay = ex[ex["ekk_code"].isin(["1110", "1140"])].groupby(["year", "cost_centre_id"])[
        "amount_eur"].sum()
    salary = st.groupby(["year", "cost_centre_id"])["salary_eur"].sum()
    diff = (pay - salary.reindex(pay.index)).abs()
    assert diff.max() < 0.05  # cents from rounding each line
    ssc = ex[ex["ekk_code"] == "1210"].set_index(["year", "cost_centre_id"])["amount_eur"]
    # employer rate 23.59 % in 2021-2025 (reference/ssc_rates.csv)
    assert ((ssc - salary.reindex(ssc.index) * 0.2359).abs() < 0.05).all()


def test_worker_register_matches_staff(gen):
    w, st, cc = gen["workers"], gen["staff"], gen["cost_centres"]
    sw = set(cc.loc[cc["service_code"] == "SOCIAL_WORK", "cost_centre_id"])
    assert set(w["cost_centre_id"]) == sw
    assert w["worker_id"].str.fullmatch(r"W\d{5}").all()
    assert not w.duplicated(["year", "worker_id"]).any()
    agg = w.groupby(["year", "cost_centre_id", "job_code"]).agg(
        headcount=("worker_id", "size"), fte=("fte", "sum"), salary_eur=("salary_eur", "sum"))
    s = st.set_index(["year", "cost_centre_id", "job_code"]).loc[agg.index]
    assert (s["headcount"] == agg["headcount"]).all()
    assert np.allclose(s["fte"], agg["fte"], atol=0.006)
    assert np.allclose(s["salary_eur"], agg["salary_eur"], atol=0.02)


def test_social_worker_norm_variety(gen):
    w, cc = gen["workers"], gen["cost_centres"]
    pop = pd.read_csv(REF / "population.csv", dtype={"atvk_code": str})
    tot = pop.groupby(["atvk_code", "year"])["population"].sum()
    fte = w.merge(cc[["cost_centre_id", "municipality_code"]]).groupby(
        ["municipality_code", "year"])["fte"].sum()
    per_1000 = fte / tot.reindex(fte.index).to_numpy() * 1000
    below = per_1000.xs(BELOW_NORM, level="municipality_code")
    assert (below < 0.7).all()  # clearly below the norm of 1 per 1,000
    others = per_1000.drop(BELOW_NORM, level="municipality_code")
    assert others.between(0.8, 1.5).all() and others.std() > 0.1


def test_capital_spending_matches_asset_register(gen):
    a, ex = gen["assets"], gen["expenditure"]
    new = a[a["acquisition_year"].between(2021, 2025)]
    booked = ex[ex["ekk_code"].str.startswith("5")]
    assert booked["amount_eur"].sum() == pytest.approx(new["acquisition_cost_eur"].sum(), abs=1.0)
    assert a["acquisition_year"].min() <= 1970
    assert (a["residual_value_eur"] < a["acquisition_cost_eur"]).all()


def test_benefits_and_transfers_only_at_the_sso(gen):
    ex = gen["expenditure"]
    excluded = ex[ex["ekk_code"].str[0].isin(["6", "7"])]
    assert excluded["cost_centre_id"].str.endswith("-SSO").all()
    assert excluded["cost_centre_id"].nunique() == 43
    assert (ex.loc[ex["amount_eur"] < 0, "ekk_code"].str.startswith("6")).all()


def test_outputs_occupancy_and_units(gen):
    out = gen["outputs"].merge(gen["cost_centres"][["cost_centre_id", "service_code"]])
    services = pd.read_csv(REF / "services.csv").set_index("service_code")["output_unit"]
    assert (out["output_unit"] == out["service_code"].map(services)).all()
    occ = out["units"] / out["capacity_units"]
    ordinary = ~out["service_code"].eq("SOCIAL_WORK") & ~out["cost_centre_id"].str.startswith(
        LOW_OCCUPANCY_HC + "-HC")
    assert occ[ordinary].between(0.69, 1.0001).all()
    assert occ[~ordinary & out["service_code"].eq("HOME_CARE")].max() < 0.6


def test_drivers_reach_every_centre(gen):
    d, cc = gen["drivers"], gen["cost_centres"]
    adm = d[d["from_centre_id"].str.endswith("-ADM")]
    per = adm[adm["year"] == 2024].groupby("from_centre_id").size()
    centres = cc.groupby("municipality_code").size()
    assert (per.to_numpy() == centres.to_numpy() - 1).all()
    # support-to-support use in both directions (ADM <-> MNT) somewhere
    mnt = d["from_centre_id"].str.endswith("-MNT")
    assert (mnt & d["to_centre_id"].str.endswith("-ADM")).sum() > 0
    assert (d.groupby(["year", "from_centre_id"])["quantity"].sum() > 0).all()


def test_diaries_for_all_workers(gen):
    w, tu, sp = gen["workers"], gen["time_use"], gen["survey_periods"]
    w24 = w[w["year"] == 2024]
    assert set(tu["worker_id"]) == set(w24["worker_id"])
    days = tu.groupby("worker_id")["date"].nunique()
    assert days.max() == 10 and days.min() >= 1 and days.mean() > 9.5
    assert (tu.groupby(["worker_id", "date"])["minutes"].sum() <= 1440).all()
    # dates inside the municipality's survey period, on working days only
    muni = w24.merge(gen["cost_centres"][["cost_centre_id", "municipality_code"]])
    t = tu.merge(muni[["worker_id", "municipality_code"]]).merge(sp)
    assert ((t["date"] >= t["start_date"]) & (t["date"] <= t["end_date"])).all()
    assert (pd.to_datetime(t["date"]).dt.day_of_week < 5).all()


def test_rural_workers_travel_more(gen):
    tu = gen["time_use"].merge(gen["workers"][gen["workers"]["year"] == 2024])
    tu = tu.merge(gen["cost_centres"][["cost_centre_id", "municipality_code"]])
    mun = pd.read_csv(REF / "municipalities.csv", dtype=str).set_index("atvk_code")["type"]
    tu["city"] = tu["municipality_code"].map(mun).eq("valstspilsēta")
    share = tu.assign(travel=tu["minutes"].where(tu["activity_code"] == "TRAVEL", 0)).groupby(
        "city")[["travel", "minutes"]].sum()
    share = share["travel"] / share["minutes"]
    assert share[False] > 1.5 * share[True]


def test_caseloads_each_year(gen):
    cl, w = gen["caseloads"], gen["workers"]
    assert set(cl["year"]) == set(demo.YEARS)
    assert set(zip(cl["year"], cl["worker_id"], strict=True)) <= set(
        zip(w["year"], w["worker_id"], strict=True))
    assert (cl["open_cases"] >= 1.0).all() and (cl["new_cases"] >= 0).all()


def test_metadata_and_provenance(written):
    meta = pd.read_json(written / "metadata.json", typ="series")
    assert bool(meta["illustrative"]) and int(meta["seed"]) == demo.DEFAULT_SEED
    prov = pd.read_csv(written / "provenance.csv")
    assert set(prov["kind"]) == {"real", "synthetic", "derived"}
    real = prov[prov["kind"] == "real"]
    assert ("cost_centres", "municipality_code") in set(zip(real["table"], real["column"],
                                                            strict=True))
    for table, cols in demo.COLUMNS.items():
        assert set(cols) <= set(prov.loc[prov["table"] == table, "column"]), table
