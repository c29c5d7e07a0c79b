"""Seeded generator of the illustrative demo dataset (``data/demo/``).

The demo dataset is *honest*: municipality codes, names and population come from the shipped
reference tables (real CSP figures where available, see ``reference/README.md``); everything else
(cost centres, expenditure, assets, staff, workers, outputs, drivers, diaries, caseloads, tariffs)
is **synthetic**, drawn from a seeded :class:`numpy.random.Generator` and calibrated to the real
prices and facts listed in :data:`CALIBRATION` and in ``data/demo/README.md``. No real institution
is named. The same seed always gives byte-identical CSV files.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd

from ..dataset import REFERENCE_DIR
from .flows import build_municipality
from .units import YEARS

__all__ = ["generate_demo", "write_demo", "write_tables", "CALIBRATION", "DEFAULT_SEED"]

#: Seed of the committed demo dataset.
DEFAULT_SEED = 20261126

#: Real facts the synthetic figures are calibrated to (shared/reference-data, see SOURCES.md).
CALIBRATION = {
    # minimum monthly wage [EUR/month]: LM / Labour Law (lv_minimum_monthly_wage.csv)
    "min_wage": {2015: 360, 2018: 430, 2019: 430, 2021: 500, 2022: 500, 2023: 620, 2024: 700,
                 2025: 740},
    # average gross monthly wage [EUR/month]: CSP; 2021 NOT FOUND -> mean of 2020 (1143) and 2022
    # (1373), a derived value (lv_average_gross_monthly_wage.csv)
    "avg_wage": {2021: 1258, 2022: 1373, 2023: 1537, 2024: 1685, 2025: 1815},
    # tariff anchors [EUR/unit] and the year whose minimum wage they correspond to
    # (lv_social_service_unit_prices_and_benchmarks.csv; "year not stated" rows assumed 2019)
    "tariff_anchor": {
        "LTC": (586 / 30.42, 2018),        # LM average care-home fee 586 EUR/month (2018)
        "STC": (19.50, 2018),              # SAC Tērvete short-term care 19.50 EUR/day (2018)
        "HOME_CARE": (3.70, 2015),         # Rīga home care 3.70 EUR/hour (2015-02)
        "DAY_CARE": (10.00, 2021),         # Alūksne day care centre 10.00 EUR/day (2021-12)
        "WORKSHOP": (12.52, 2021),         # Alūksne specialised workshops 12.52 EUR/day (2021-12)
        "GROUP_HOME": (9.39, 2019),        # Daugavpils group apartments 9.39 EUR/day-night
        "CRISIS": (8.94, 2019),            # Daugavpils family support centre/shelter 8.94 EUR/day
        "NIGHT_SHELTER": (3.69, 2019),     # Daugavpils night shelter 3.69 EUR/day-night
        "FAMILY_ASSIST": (21.06, 2019),    # Daugavpils family assistant 21.06 EUR/hour
    },
    # social benefits per inhabitant [EUR/year], Jēkabpils novads total benefits 2021-2023
    # (1,279,538 / 2,038,792 / 2,411,524 EUR) divided by its IRS031 population (~41,000); 2024 and
    # 2025 are assumptions (no published figure), said so in provenance.csv
    "benefits_per_inhabitant": {2021: 31.0, 2022: 50.0, 2023: 59.0, 2024: 58.0, 2025: 60.0},
    # Rīga home care 2016: 9,289.3 thousand EUR for 8,151 persons = 1,140 EUR per person-year
    "riga_home_care_eur_per_client_2016": 1140.0,
}


def _reference() -> dict[str, pd.DataFrame]:
    """Read the shipped reference tables the generator needs (as strings)."""
    names = ("municipalities", "population", "ssc_rates", "cpi", "public_holidays")
    return {n: pd.read_csv(REFERENCE_DIR / f"{n}.csv", dtype=str, keep_default_na=False)
            for n in names}


def _municipalities(ref: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The 43 municipalities of 2021 with population by year and age group (wide)."""
    mun = ref["municipalities"]
    mun = mun[(mun["valid_from"] == "2021-07-01")].copy()
    pop = ref["population"].copy()
    pop["population"] = pop["population"].astype(int)
    pop["year"] = pop["year"].astype(int)
    wide = pop.pivot_table(index=["atvk_code", "year"], columns="age_group", values="population",
                           aggfunc="sum")
    wide["total"] = wide.sum(axis=1)
    wide["p65"] = wide["65-79"] + wide["80+"]
    wide = wide.reset_index()
    out = mun[["atvk_code", "name", "type", "region"]].sort_values("atvk_code")
    return out.reset_index(drop=True), wide


def _year_rates(ref: dict[str, pd.DataFrame]) -> dict[str, dict[int, float]]:
    """Employer SSC rate, CPI relative to 2021 and energy price factor per year."""
    ssc = ref["ssc_rates"]
    ssc = ssc[ssc["rate_id"] == "employer_general"]
    rate = {}
    for y in YEARS:
        day = f"{y}-07-01"
        row = ssc[(ssc["valid_from"] <= day) & ((ssc["valid_to"] == "") | (ssc["valid_to"] >= day))]
        rate[y] = float(row["rate"].iloc[0])
    cpi = ref["cpi"].set_index("year")["cpi_index"].astype(float)
    price = {y: float(cpi[str(y)] / cpi["2021"]) for y in YEARS}
    # energy (heating, electricity, fuel) relative to 2021: synthetic, shaped after the 2022 spike
    energy = {2021: 1.0, 2022: 1.75, 2023: 1.45, 2024: 1.25, 2025: 1.20}
    return {"ssc": rate, "price": price, "energy": energy}


def _survey_start(holidays: set[str], rng: np.random.Generator) -> dt.date:
    """A Monday in 2024 whose two working weeks contain no public holiday."""
    mondays = [dt.date(2024, 2, 5) + dt.timedelta(weeks=k) for k in range(40)]
    ok = []
    for d in mondays:
        days = [d + dt.timedelta(days=i) for i in (0, 1, 2, 3, 4, 7, 8, 9, 10, 11)]
        if not any(x.isoformat() in holidays for x in days):
            ok.append(d)
    return ok[int(rng.integers(len(ok)))]


def generate_demo(seed: int = DEFAULT_SEED) -> dict[str, pd.DataFrame]:
    """Generate the illustrative demo dataset.

    All 43 municipalities of the 2021 reform (Madona and Varakļāni keep their pre-merger codes,
    which existed until 2025-06-30) × years 2021–2025. Each municipality gets a social service
    office (``-SSO``, support), a share of central administration (``-ADM``, admin), a social-work
    service centre (``-SW1``) and home care; most get day-care centres and care homes; a subset
    gets the other services. Magnitudes are calibrated to :data:`CALIBRATION`.

    Parameters
    ----------
    seed : int
        Seed of the random generator; each municipality draws from its own stream
        ``default_rng([seed, i])`` so the output is reproducible table by table.

    Returns
    -------
    dict of str to pandas.DataFrame
        Dataset tables ``cost_centres, expenditure, assets, staff, workers, outputs, drivers,
        survey_periods, time_use, caseloads, tariffs`` in the columns of ``docs/data-model.md``,
        sorted by their keys, money rounded to cents [EUR].
    """
    ref = _reference()
    mun, pop = _municipalities(ref)
    rates = _year_rates(ref)
    holidays = set(ref["public_holidays"]["date"])
    tables: dict[str, list] = {}
    next_worker = [1]
    for i, m in enumerate(mun.itertuples(index=False)):
        rng = np.random.default_rng([int(seed), i])
        p = pop[pop["atvk_code"] == m.atvk_code].set_index("year")
        start = _survey_start(holidays, rng)
        parts = build_municipality(m._asdict(), p, rates, CALIBRATION, rng, next_worker, start)
        for name, rows in parts.items():
            tables.setdefault(name, []).extend(rows)
    return _finish(tables)


KEYS = {
    "cost_centres": ["cost_centre_id"], "expenditure": ["year", "cost_centre_id", "ekk_code"],
    "assets": ["asset_id"], "staff": ["year", "cost_centre_id", "job_code"],
    "workers": ["year", "worker_id"], "outputs": ["year", "cost_centre_id"],
    "drivers": ["year", "from_centre_id", "to_centre_id"],
    "survey_periods": ["municipality_code", "year"],
    "time_use": ["worker_id", "date", "activity_code"],
    "caseloads": ["year", "worker_id", "case_type"], "tariffs": ["year", "cost_centre_id"],
}
COLUMNS = {
    "cost_centres": ["cost_centre_id", "municipality_code", "name", "role", "service_code",
                     "provider_type", "places"],
    "expenditure": ["year", "cost_centre_id", "ekk_code", "amount_eur"],
    "assets": ["asset_id", "cost_centre_id", "asset_class", "acquisition_year",
               "acquisition_cost_eur", "useful_life_years", "residual_value_eur", "disposal_year"],
    "staff": ["year", "cost_centre_id", "job_code", "headcount", "fte", "salary_eur"],
    "workers": ["year", "worker_id", "cost_centre_id", "job_code", "fte", "salary_eur"],
    "outputs": ["year", "cost_centre_id", "output_unit", "units", "clients", "capacity_units"],
    "drivers": ["year", "from_centre_id", "to_centre_id", "driver", "quantity"],
    "survey_periods": ["municipality_code", "year", "start_date", "end_date"],
    "time_use": ["worker_id", "date", "activity_code", "minutes"],
    "caseloads": ["year", "worker_id", "case_type", "open_cases", "new_cases"],
    "tariffs": ["year", "cost_centre_id", "output_unit", "tariff_eur", "revenue_eur"],
}
INT_COLUMNS = {"year", "headcount", "clients", "acquisition_year", "minutes", "new_cases"}


def _finish(tables: dict[str, list]) -> dict[str, pd.DataFrame]:
    """Rows -> DataFrames with the contract's columns, dtypes, rounding and key order."""
    out = {}
    for name, cols in COLUMNS.items():
        df = pd.DataFrame(tables.get(name, []), columns=cols)
        if name == "expenditure":  # several assets can fall on one (year, centre, code)
            df = df.groupby(KEYS[name], as_index=False)["amount_eur"].sum()
        for c in cols:
            if c in INT_COLUMNS:
                df[c] = df[c].astype("int64")
            elif c == "disposal_year":
                df[c] = df[c].astype("Int64")
            elif df[c].dtype.kind == "f":
                df[c] = df[c].round(2)
        out[name] = df.sort_values(KEYS[name], kind="mergesort").reset_index(drop=True)
    return out


def _provenance() -> pd.DataFrame:
    """Which columns of the demo dataset are real, synthetic or derived, and from what."""
    real = {("cost_centres", "municipality_code"): "ATVK codes of the 43 municipalities of 2021 "
            "(CSP IRD041; reference/municipalities.csv)",
            ("survey_periods", "municipality_code"): "ATVK codes (CSP IRD041)"}
    derived = {
        ("expenditure", "amount_eur"): "synthetic; 1210 = pay x real employer SSC rate of the year "
        "(reference/ssc_rates.csv); goods x real CPI (reference/cpi.csv); 6000 scaled to Jēkabpils "
        "novads benefits per inhabitant 2021-2023 (2024-2025: assumed 58 and 60 EUR); 5000 = "
        "assets acquired that year",
        ("staff", "salary_eur"): "synthetic; monthly pay = real minimum / average gross wage of "
        "the year (LM, CSP) x job factor x municipality factor, never below 1.01 x twelve minimum "
        "monthly wages per FTE",
        ("workers", "salary_eur"): "synthetic; as staff.salary_eur",
        ("tariffs", "tariff_eur"): "synthetic; real price-list anchors (care-home fee 586 "
        "EUR/month 2018, Rīga home care 3.70 EUR/h, Alūksne day care 10 EUR/day, Daugavpils "
        "price list) indexed by the real minimum wage",
        ("outputs", "units"): "synthetic; home-care clients 2.5-6% of the 65+ population "
        "(reference/population.csv, synthetic age split) and hours per client calibrated to Rīga "
        "home-care spend per person 2016",
        ("staff", "fte"): "synthetic; social-work specialists ~ 1 per 1,000 inhabitants "
        "(reference/population.csv totals, legal norm)",
    }
    rows = []
    for t, cols in COLUMNS.items():
        for c in cols:
            if (t, c) in real:
                rows.append((t, c, "real", real[(t, c)]))
            elif (t, c) in derived:
                rows.append((t, c, "derived", derived[(t, c)]))
            else:
                rows.append((t, c, "synthetic",
                             "seeded generator costing.data.demo (see README.md)"))
    rows.append(("population", "population", "derived", "reference/population.csv: CSP totals for "
                 "novadi 2021-2024 (total_source = csp), synthetic otherwise; age split synthetic"))
    rows.append(("municipalities", "atvk_code", "real", "reference/municipalities.csv"))
    rows.append(("cpi", "cpi_index", "derived", "reference/cpi.csv (chain-linked from real annual "
                 "changes; 2025 assumed 3.5%)"))
    rows.append(("ssc_rates", "rate", "real", "reference/ssc_rates.csv (VID, VSAA)"))
    return pd.DataFrame(rows, columns=["table", "column", "kind", "source"])


def _metadata(seed: int) -> dict:
    return {
        "name": "Illustrative demo dataset: 43 Latvian municipalities, 2021-2025",
        "illustrative": True,
        "description": ("Real municipality codes and names; population totals from CSP where "
                        "available (reference/README.md); SYNTHETIC costs, staff, activity, "
                        "diaries and tariffs from the seeded generator costing.data.demo. Not "
                        "statistics about any real municipality or institution."),
        "seed": int(seed),
        "generator": "costing.data.demo.generate_demo",
        "years": list(YEARS),
    }


def write_demo(out_dir: str | Path, seed: int = DEFAULT_SEED) -> dict[str, Path]:
    """Generate the demo dataset and write it as a dataset folder.

    Writes one CSV per table (UTF-8, ``\\n`` line ends, money with two decimals), plus
    ``metadata.json`` and ``provenance.csv``. ``README.md`` is not written (it is maintained by
    hand next to the data).

    Parameters
    ----------
    out_dir : str or pathlib.Path
        Folder to write into (created if missing; files of the same name are replaced).
    seed : int
        Seed passed to :func:`generate_demo`.

    Returns
    -------
    dict of str to pathlib.Path
        The written files by table name (plus ``metadata`` and ``provenance``).
    """
    return write_tables(out_dir, generate_demo(seed), seed)


def write_tables(out_dir: str | Path, tables: dict[str, pd.DataFrame],
                 seed: int = DEFAULT_SEED) -> dict[str, Path]:
    """Write generated demo tables (from :func:`generate_demo`) as a dataset folder.

    Parameters
    ----------
    out_dir : str or pathlib.Path
        Folder to write into (created if missing).
    tables : dict of str to DataFrame
        The tables returned by :func:`generate_demo`.
    seed : int
        The seed they were generated with (recorded in ``metadata.json``).

    Returns
    -------
    dict of str to pathlib.Path
        The written files by table name (plus ``metadata`` and ``provenance``).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, df in tables.items():
        path = out / f"{name}.csv"
        df.to_csv(path, index=False, float_format="%.2f", lineterminator="\n", encoding="utf-8")
        written[name] = path
    prov = out / "provenance.csv"
    _provenance().to_csv(prov, index=False, lineterminator="\n", encoding="utf-8")
    meta = out / "metadata.json"
    text = json.dumps(_metadata(seed), indent=2, ensure_ascii=False) + "\n"
    meta.write_text(text, encoding="utf-8")
    written.update(provenance=prov, metadata=meta)
    return written
