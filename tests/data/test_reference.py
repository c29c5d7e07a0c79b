"""Integrity of the shipped reference tables (src/costing/reference/*.csv).

Expected figures are copied from the sources named in ``src/costing/reference/README.md``
(CSP IRS031, Cabinet Order No. 911/2021, VID/VSAA, the holidays law); the arithmetic of derived
figures is written out next to each assertion.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

import costing

REF = Path(costing.__file__).resolve().parent / "reference"


def read(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / f"{name}.csv", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def mun() -> pd.DataFrame:
    return read("municipalities")


@pytest.fixture(scope="module")
def pop() -> pd.DataFrame:
    p = read("population")
    p["population"] = p["population"].astype(int)
    p["year"] = p["year"].astype(int)
    return p


# ------------------------------------------------------------------ municipalities
def test_43_units_of_2021(mun):
    units = mun[mun["valid_from"] == "2021-07-01"]
    assert len(units) == 43
    assert (units["type"] == "valstspilsēta").sum() == 7
    assert (units["type"] == "novads").sum() == 36
    assert units["atvk_code"].str.fullmatch(r"LV\d{7}").all()


def test_regions_follow_order_911(mun):
    units = mun[mun["valid_from"] == "2021-07-01"]
    # Cabinet Order No. 911 (2021-12-07): Kurzeme 7, Latgale 9, Rīga 1, Pierīga 12, Vidzeme 8
    # (incl. Varakļāni), Zemgale 6 administrative units
    assert units["region"].value_counts().to_dict() == {
        "Pierīga": 12, "Latgale": 9, "Vidzeme": 8, "Kurzeme": 7, "Zemgale": 6, "Rīga": 1}
    region = dict(zip(units["name"], units["region"], strict=True))
    assert region["Jūrmala"] == "Pierīga" and region["Varakļānu novads"] == "Vidzeme"
    assert region["Jēkabpils novads"] == "Zemgale" and region["Tukuma novads"] == "Pierīga"


def test_madona_varaklani_merger(mun):
    m = mun.set_index("atvk_code")
    for old in ("LV0038000", "LV0055000"):
        assert m.loc[old, "valid_to"] == "2025-06-30"
        assert m.loc[old, "successor_code"] == "LV0038001"
    assert m.loc["LV0038001", "valid_from"] == "2025-07-01"
    assert m.loc["LV0038001", "valid_to"] == ""


def test_119_pre2021_units_with_successors(mun):
    pre = mun[mun["valid_to"] == "2021-06-30"]
    assert len(pre) == 119
    assert (pre["type"] == "republikas pilsēta").sum() == 9
    assert (pre["type"] == "pre2021_novads").sum() == 110
    codes = set(mun.loc[mun["valid_from"] == "2021-07-01", "atvk_code"])
    for succ in pre["successor_code"]:
        assert succ and set(succ.split("|")) <= codes, succ
    aglona = pre.set_index("name").loc["Aglonas novads"]
    assert aglona["successor_code"] == "LV0032000|LV0042000"  # split: Krāslava | Preiļi
    # non-official ids are marked as such; real old ATVK codes are 7 digits
    unofficial = pre[pre["atvk_code"].str.startswith("PRE-")]
    assert unofficial["source"].str.contains("NON-OFFICIAL").all()
    assert pre.loc[~pre.index.isin(unofficial.index), "atvk_code"].str.fullmatch(r"\d{7}").all()
    assert pre.set_index("name").loc["Rīga", "atvk_code"] == "0010000"
    assert mun["atvk_code"].is_unique


# ------------------------------------------------------------------ population
def test_population_grid_and_groups(pop):
    keys = pop.groupby(["atvk_code", "year"])["age_group"].apply(sorted)
    assert all(v == ["0-17", "18-64", "65-79", "80+"] for v in keys)
    grid = set(keys.index)
    assert len(grid) == 43 * 5 + 1  # + merged Madona in 2025
    assert ("LV0038001", 2025) in grid and ("LV0038001", 2024) not in grid
    assert (pop["population"] >= 0).all()
    assert set(pop["source"]) == {"synthetic"}  # every row is an age split


def test_population_csp_totals(pop):
    tot = pop.groupby(["atvk_code", "year"]).agg(total=("population", "sum"),
                                                 src=("total_source", "first"))
    real = tot[tot["src"] == "csp"]
    # csp totals: exactly the 36 novadi in 2021-2024
    assert len(real) == 36 * 4 and set(real.index.get_level_values("year")) == {2021, 2022, 2023,
                                                                               2024}
    # CSP IRS031 annual average population (export 2025-11-13)
    assert tot.loc[("LV0020000", 2021), "total"] == 29211  # Aizkraukles novads
    assert tot.loc[("LV0020000", 2024), "total"] == 28446
    assert tot.loc[("LV0023000", 2022), "total"] == 22351  # Ādažu novads
    assert tot.loc[("LV0055000", 2023), "total"] == 2946  # Varakļānu novads
    # sum of the 36 novadi per year in IRS031
    by_year = real.groupby(level="year")["total"].sum().to_dict()
    assert by_year == {2021: 961492, 2022: 960512, 2023: 966648, 2024: 958579}


def test_population_synthetic_totals_by_hand(pop):
    tot = pop.groupby(["atvk_code", "year"])["population"].sum()
    # Aizkraukle 2025 = avg2024 + 2/3 (stock 2026-01-01 - avg2024) = 28446 + 2/3 (27825 - 28446)
    #                 = 28446 - 414 = 28032
    assert tot[("LV0020000", 2025)] == 28032
    # Varakļāni 2025 = avg2024 + 2 (stock 2025-01-01 - avg2024) = 2856 + 2 (2820 - 2856) = 2784
    assert tot[("LV0055000", 2025)] == 2784
    assert tot[("LV0038001", 2025)] == tot[("LV0038000", 2025)] + 2784
    # Rīga 2025 = stock 2026-01-01 / (1 + g)^0.5 with g = (958579 / 1060517)^(1/12) - 1
    g = (958579 / 1060517) ** (1 / 12) - 1  # = -0.008386
    assert tot[("LV0001000", 2025)] == round(588911 / (1 + g) ** 0.5)  # = 591396
    assert tot[("LV0001000", 2024)] == round(588911 / (1 + g) ** 1.5)


def test_population_age_shares_plausible(pop):
    p = pop[pop["year"] == 2021]
    share = p.groupby("age_group")["population"].sum() / p["population"].sum()
    assert 0.18 < share["65-79"] + share["80+"] < 0.23  # Latvia 2018: 20.3 % aged 65+
    mun = read("municipalities").set_index("atvk_code")["region"]
    for region, target in (("Latgale", 0.227), ("Pierīga", 0.181)):  # CSP, 1 Jan 2021
        r = p[p["atvk_code"].map(mun) == region]
        s65 = r.loc[r["age_group"].isin(["65-79", "80+"]), "population"].sum()
        assert s65 / r["population"].sum() == pytest.approx(target, abs=0.001)


# ------------------------------------------------------------------ classifications
def test_ekk_flags():
    e = read("ekk").set_index("ekk_code")
    assert e.index.str.fullmatch(r"\d{4}").all()
    svc = e["is_service_cost"] == "True"
    for code in ("1110", "1140", "1150", "1210", "1220", "2100", "2220", "2360", "2500"):
        assert svc[code], code
    for code in ("3000", "4000", "5000", "5100", "5220", "5250", "6000", "6200", "6400", "7000"):
        assert not svc[code], code
    neg = e.index[e["allows_negative"] == "True"]
    assert set(neg) == {"6000", "6200", "6300", "6400"}
    assert set(e.loc[e.index.str.startswith("5"), "cost_category"]) == {"capital_formation"}


def test_services_and_case_types():
    s = read("services")
    assert len(s) == 11 and set(s["output_unit"]) <= set(read("output_units")["output_unit"])
    ct_ = read("case_types")
    pts = ct_["weight_points"].astype(float)
    # 0.85 h per point: 1,700 h/year x 60 % case time / 12 months / 100 points = 0.85
    assert (ct_["standard_hours_per_month"].astype(float) - 0.85 * pts).abs().max() < 1e-9


# ------------------------------------------------------------------ rates and prices
def test_ssc_rates_as_in_source():
    r = read("ssc_rates")
    rate = {(a, b): float(c) for a, b, c in zip(r["rate_id"], r["valid_from"], r["rate"],
                                                 strict=True)}
    assert rate[("employer_general", "2021-01-01")] == 0.2359  # VID: 23.59 %
    assert rate[("employer_general", "2018-01-01")] == 0.2409  # VSAA: 24.09 % (2018-2020)
    assert rate[("employer_general", "2014-01-01")] == 0.2359
    assert rate[("employer_pension_age", "2021-01-01")] == 0.2077  # VID: 20.77 %


def test_cpi_chain_linking_by_hand():
    c = read("cpi").set_index("year")
    idx = c["cpi_index"].astype(float)
    assert idx["2015"] == 100.0
    # 2014: the 2015 change is +0.2 %, so index(2014) = 100 / 1.002 = 99.8004
    assert idx["2014"] == pytest.approx(99.8004, abs=1e-4)
    # 2017 = 100 x 1.001 (2016) x 1.029 (2017) = 100.1 x 1.029 = 103.0029
    assert idx["2017"] == pytest.approx(103.0029, abs=1e-4)
    # 2022 = index(2021) x (1 + 0.172), HICP 17.2 %
    assert idx["2022"] == pytest.approx(idx["2021"] * 1.172, abs=1e-3)
    assert c.loc["2025", "measure"] == "assumed" and float(c.loc["2025", "annual_change"]) == 0.035
    assert c.loc["2021", "measure"] == "HICP" and c.loc["2019", "measure"] == "CPI"


def test_public_holidays():
    h = read("public_holidays")
    dates = set(h["date"])
    # 18 Nov 2023 was a Saturday -> Monday 20 Nov; 4 May 2024 Saturday -> Monday 6 May;
    # 4 May 2025 Sunday -> Monday 5 May
    assert {"2023-11-20", "2024-05-06", "2025-05-05"} <= dates
    assert "2023-11-18" not in dates and "2024-05-04" not in dates
    # Easter 2024 = 31 March: Good Friday 29 March, Easter Monday 1 April
    assert {"2024-03-29", "2024-03-31", "2024-04-01"} <= dates
    for y in range(2021, 2027):
        assert {f"{y}-06-23", f"{y}-06-24", f"{y}-12-24", f"{y}-12-31"} <= dates
    assert {"2023-05-29", "2023-07-10"} <= dates  # the 2023 extra days
    years = pd.Series([dt.date.fromisoformat(d).year for d in dates]).value_counts()
    assert set(years.index) == set(range(2021, 2027))
