"""Indicator registry and values (formulas 8.1, 8.2) on the hand-made mini dataset."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from paths import MINI_DIR

import costing as ct
from costing.benchmark.indicators import harmonised_indicators, indicator_registry, indicators

M1, M2 = "LV0026000", "LV0054000"


@pytest.fixture(scope="module")
def mini() -> ct.Dataset:
    return ct.load_dataset(MINI_DIR)


def _uc() -> pd.DataFrame:
    """A hand-made unit-cost table (the shape of ct.unit_costs) so the arithmetic is visible."""
    rows = []
    for year in (2023, 2024):
        for m in (M1, M2):
            rows += [
                (m, year, f"{m}-LTC1", "LTC", 700_000, 70_000, 13_500, 45, 14_600),
                (m, year, f"{m}-HC1", "HOME_CARE", 200_000, 30_000, 16_000, 120, np.nan),
                (m, year, f"{m}-SW1", "SOCIAL_WORK", 150_000, 10_000, 420, 380, np.nan),
            ]
    uc = pd.DataFrame(rows, columns=["municipality_code", "year", "cost_centre_id",
                                     "service_code", "full_cost_eur", "overhead_eur", "units",
                                     "clients", "capacity_units"])
    return uc.assign(unit_cost_eur=uc["full_cost_eur"] / uc["units"])


@pytest.fixture(scope="module")
def ind(mini):
    return indicators(mini, base_year=2024, unit_cost_table=_uc(), min_workers=2)


def _v(ind, m, year, i):
    return ind.set_index(["municipality_code", "year", "indicator_id"]).loc[(m, year, i)]


def test_registry_is_complete_data():
    reg = indicator_registry()
    assert len(reg) >= 15
    assert reg["indicator_id"].is_unique
    assert set(reg["better"]) <= {"lower", "higher", "neutral"}
    for fam in ("priority", "coverage", "unit_cost", "capacity", "overhead", "workload",
                "cost_recovery"):
        assert fam in set(reg["family"])
    assert (reg["name_lv"] != "").all() and (reg["name_en"] != "").all()


def test_values_by_hand(ind):
    # LV0026000, 2024: population 6870 + 23680 + 6870 + 3180 = 40,600; 65+ = 10,050
    # spending 700,000 + 200,000 + 150,000 = 1,050,000 EUR
    assert _v(ind, M1, 2024, "spend_per_inh")["value"] == pytest.approx(1_050_000 / 40_600)
    assert _v(ind, M1, 2024, "spend_elderly_per_inh65")["value"] == pytest.approx(
        900_000 / 10_050)  # 89.5522
    assert _v(ind, M1, 2024, "coverage_ltc_per_1000_65")["value"] == pytest.approx(
        45 / 10_050 * 1000)  # 4.4776
    assert _v(ind, M1, 2024, "unit_cost_ltc")["value"] == pytest.approx(700_000 / 13_500)
    assert _v(ind, M1, 2024, "occupancy_ltc")["value"] == pytest.approx(13_500 / 14_600)
    assert _v(ind, M1, 2024, "overhead_share")["value"] == pytest.approx(110_000 / 1_050_000)
    # tariffs 2024: LTC 280,000 + HC 21,000 -> recovery 301,000 / 1,050,000 = 0.286667
    assert _v(ind, M1, 2024, "cost_recovery")["value"] == pytest.approx(301_000 / 1_050_000)
    assert _v(ind, M1, 2024, "cost_recovery_ltc")["value"] == pytest.approx(0.4)
    assert _v(ind, M1, 2024, "net_cost_per_inh")["value"] == pytest.approx(749_000 / 40_600)
    # specialists of the social service (7.6): SOCIAL_WORKER 3 FTE in the social work department
    # (the 10 FTE social carers work in home care) -> 3 / 40,600 * 1000
    assert _v(ind, M1, 2024, "social_workers_per_1000")["value"] == pytest.approx(
        3 / 40_600 * 1000)
    # caseloads 2024: 3 workers x (22.5 + 40) = 187.5 open cases over 1 + 1 + 0.5 FTE = 75
    assert _v(ind, M1, 2024, "cases_per_fte")["value"] == pytest.approx(75.0)
    # diaries: client contact + home visits 2,160 of 4,050 minutes = 0.533333
    r = _v(ind, M1, 2024, "client_facing_share")
    assert r["value"] == pytest.approx(2160 / 4050)
    assert r["numerator"] == pytest.approx(36.0) and r["denominator"] == pytest.approx(67.5)
    # no diaries in 2023: not reported, stated
    assert "not reported" in _v(ind, M1, 2023, "client_facing_share")["reason"]


def test_constant_prices(ind):
    # 2023 money at 2024 prices: x 145.2252 / 143.3615 (the mini CPI); population 2023 41,000
    r = _v(ind, M1, 2023, "spend_per_inh")
    assert r["numerator"] == pytest.approx(1_050_000 * 145.2252 / 143.3615)
    assert r["value"] == pytest.approx(1_050_000 * 145.2252 / 143.3615 / 41_000)
    # ratios of money are price-free
    assert _v(ind, M1, 2023, "overhead_share")["value"] == pytest.approx(110_000 / 1_050_000)


def test_value_is_multiplier_times_ratio(ind):
    reg = indicator_registry().set_index("indicator_id")["multiplier"]
    ok = ind.dropna(subset=["value"])
    np.testing.assert_allclose(ok["value"], ok["indicator_id"].map(reg) * ok["numerator"]
                               / ok["denominator"])
    assert list(ind.columns[:7]) == ["municipality_code", "year", "indicator_id", "value",
                                     "numerator", "denominator", "unit"]


def test_diary_and_caseload_figures_respect_min_workers(mini):
    # 3 workers per municipality < MIN_WORKERS (5): blanked, flagged, reason from D's rule
    ind = indicators(mini, 2024, unit_cost_table=_uc())
    for i in ("client_facing_share", "cases_per_fte"):
        r = _v(ind, M1, 2024, i)
        assert r["suppressed"] and np.isnan(r["value"]) and np.isnan(r["numerator"])
        assert "fewer than" in r["reason"]
    ct.assert_suppressed(ind[ind["indicator_id"] == "client_facing_share"].assign(
        n_workers=3), count_col="n_workers", value_cols=["value"])


def test_zero_denominator_says_why(mini):
    uc = _uc()
    uc.loc[uc["service_code"] == "LTC", "units"] = 0
    ind = indicators(mini, 2024, unit_cost_table=uc)
    r = _v(ind, M1, 2024, "unit_cost_ltc")
    assert np.isnan(r["value"]) and r["reason"] == "units is 0"


def test_harmonised_trend_sums_parts():
    # two units merge into one: the ratio is recomputed from the summed parts
    ind = pd.DataFrame({
        "municipality_code": ["LV0038000", "LV0055000", "LV0038000", "LV0055000"],
        "year": [2024, 2024, 2025, 2025], "indicator_id": "spend_per_inh",
        "value": [10.0, 20, 11, 21], "numerator": [100.0, 60, 110, 63],
        "denominator": [10.0, 3, 10, 3], "unit": "EUR per inhabitant", "suppressed": False,
        "reason": ""})
    h = harmonised_indicators(ind, "2025-12-31")
    assert h["municipality_code"].unique().tolist() == ["LV0038001"]
    # 2024: (100 + 60) / (10 + 3) = 12.3077
    assert h.loc[h["year"] == 2024, "value"].iloc[0] == pytest.approx(160 / 13)
    ind.loc[1, ["suppressed", "value", "numerator", "denominator"]] = [True, np.nan, np.nan,
                                                                        np.nan]
    h = harmonised_indicators(ind, "2025-12-31")
    assert h.loc[h["year"] == 2024, "suppressed"].iloc[0]
    assert np.isnan(h.loc[h["year"] == 2024, "value"].iloc[0])


def test_registry_errors(tmp_path):
    reg = indicator_registry()
    bad = reg.assign(better=["best"] + reg["better"].tolist()[1:])
    p = tmp_path / "reg.csv"
    bad.to_csv(p, index=False)
    with pytest.raises(ct.InputError, match=r"row 2 .*better"):
        indicator_registry(p)
    reg.assign(numerator=["beds"] + reg["numerator"].tolist()[1:]).to_csv(p, index=False)
    with pytest.raises(ct.InputError, match="'beds' is not a known quantity"):
        indicator_registry(p)
    reg.assign(multiplier=["per mille"] + reg["multiplier"].tolist()[1:]).to_csv(p, index=False)
    with pytest.raises(ct.InputError, match=r"row 2 .*multiplier 'per mille' must be a number"):
        indicator_registry(p)


def test_unknown_service_in_registry(mini):
    # a typo in a service code would otherwise give silent zeros ("units is 0")
    reg = indicator_registry()
    reg = reg.assign(service=["LTC|HOMECARE"] + reg["service"].tolist()[1:])
    with pytest.raises(ct.InputError, match=r"unknown service codes \['HOMECARE'\]"):
        indicators(mini, 2024, registry=reg, unit_cost_table=_uc())


def test_missing_tables_give_not_reported(mini):
    ds = mini.copy()
    for t in ("time_use", "caseloads", "tariffs"):
        ds.tables[t] = ds.tables[t].iloc[0:0]
    ind = indicators(ds, 2024, unit_cost_table=_uc())
    for i, why in (("client_facing_share", "client_facing_hours not reported"),
                   ("cases_per_fte", "open_cases not reported"),
                   ("cost_recovery", "revenue_eur not reported")):
        r = _v(ind, M1, 2024, i)
        assert np.isnan(r["value"]) and r["reason"] == why
    # mini has tariffs for 2024 only: 2023 recovery is not reported, not 0
    r = _v(indicators(mini, unit_cost_table=_uc()), M1, 2023, "cost_recovery")
    assert np.isnan(r["value"])
