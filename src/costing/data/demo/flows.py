"""Money, workforce and diary rows of the demo generator (see
:mod:`costing.data.demo.generator`).

All figures are synthetic; the assumptions are listed in ``data/demo/README.md``.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd

from .units import (
    ACTIVITIES,
    BELOW_NORM,
    CASE_MIX,
    CASE_WEIGHTS,
    HEAVY_ADM,
    LOW_OCCUPANCY_HC,
    RESIDENTIAL,
    SE_NAMES,
    SERVICES,
    SOCIAL_ENTERPRISES,
    SPECIALISTS,
    SURVEY_YEAR,
    TARIFF_COLLECTED,
    YEARS,
    _Centre,
    _lawful_pay,
    _monthly,
    _plan,
    _service_staff,
)

FOOD_PER_BED_DAY = {"LTC": 4.3, "STC": 4.3, "GROUP_HOME": 3.2, "CRISIS": 4.0, "NIGHT_SHELTER": 1.3}
TRAVELLING = {"HOME_CARE", "SOCIAL_WORK", "FAMILY_ASSIST"}
OFFICE = {"HOME_CARE", "SOCIAL_WORK", "FAMILY_ASSIST"}
Rows = dict[str, list[dict]]


def _round(x: float) -> float:
    """Round to cents, as a plain float."""
    return float(round(float(x), 2))


def social_work(code: str, sw: _Centre, pop: pd.DataFrame, ratio: float, rural: float, city: bool,
                wage_f: float, cal: dict, rng: np.random.Generator, next_worker: list[int],
                rows: Rows) -> list[dict]:
    """Worker register, caseloads and outputs of the social-work centre; returns 2024 roster."""
    roster, roster_2024 = [], []
    sw.fixed, sw.staff = {}, {}
    for t, y in enumerate(YEARS):
        roster = [w for w in roster if rng.random() > 0.08]  # turnover
        target = float(pop.loc[y, "total"]) / 1000 * ratio * (1 + 0.01 * t)
        while sum(w["fte"] for w in roster) < target:
            job = SPECIALISTS[int(rng.choice(3, p=[0.75, 0.15, 0.10]))]
            fte = float(rng.choice([1.0, 0.75, 0.5], p=[0.8, 0.08, 0.12]))
            roster.append({"id": f"W{next_worker[0]:05d}", "job": job, "fte": fte,
                           "pay": float(rng.lognormal(0, 0.07))})
            next_worker[0] += 1
        load = float(np.clip(rng.uniform(0.85, 1.15) / ratio, 0.6, 1.9))
        fixed, open_sum, new_sum, points_sum = {}, 0.0, 0, 0.0
        for w in roster:
            salary = _lawful_pay(_round(w["fte"] * 12 * _monthly(w["job"], y, cal, wage_f)
                                        * w["pay"] * 1.05), w["fte"], y, cal)
            rows["workers"].append(dict(year=y, worker_id=w["id"], cost_centre_id=sw.id,
                                        job_code=w["job"], fte=w["fte"], salary_eur=salary))
            h, f, s = fixed.get(w["job"], (0, 0.0, 0.0))
            fixed[w["job"]] = (h + 1, f + w["fte"], s + salary)
            mix = dict(CASE_MIX[w["job"]])
            if "HOMELESS" in mix and city:
                mix["HOMELESS"] = 1.5
            share = rng.dirichlet(list(mix.values()))
            points = 100 * w["fte"] * load * float(rng.uniform(0.8, 1.2))
            for (ct, _), sh in zip(mix.items(), share, strict=True):
                open_cases = round(points * float(sh) / CASE_WEIGHTS[ct], 1)
                if open_cases < 1.0:
                    continue
                new = int(rng.poisson(open_cases * rng.uniform(0.5, 1.0)))
                rows["caseloads"].append(dict(year=y, worker_id=w["id"], case_type=ct,
                                              open_cases=open_cases, new_cases=new))
                open_sum, new_sum = open_sum + open_cases, new_sum + new
                points_sum += open_cases * CASE_WEIGHTS[ct]
        fte_sum = sum(w["fte"] for w in roster)
        units = open_sum + 0.5 * new_sum  # cases handled in the year
        sw.out[y] = (units, int(round(units * 1.3)), units * fte_sum * 100 / points_sum)
        sw.fixed[y] = fixed
        sw.staff[y] = {"ADMIN": 0.5 + fte_sum / 15}
        if y == SURVEY_YEAR:
            roster_2024 = [dict(w) for w in roster]
    return roster_2024


def _fte2021(c) -> float:
    """FTE of a centre in 2021 (aggregated jobs plus the worker register)."""
    fixed = getattr(c, "fixed", {}).get(2021, {})
    return sum(c.staff[2021].values()) + sum(f for _, f, _ in fixed.values())


def _assets(c, owned, n_vehicles, rng, rows):
    """Asset register rows of one centre; returns capital spending as (year, ekk, amount)."""
    items, spend = [], []
    if owned and c.area > 0:
        y0 = int(rng.integers(1965, 2013))
        items.append(("building", y0, c.area * max(150.0, 1100 * 1.03 ** (y0 - 2024)), 60, 0.05))
        r = rng.random()
        if r < 0.4:
            yr = int(rng.integers(2008, 2021)) if r < 0.25 else int(rng.integers(2021, 2026))
            items.append(("building", yr, c.area * 350 * 1.03 ** (yr - 2024), 30, 0.0))
    if c.places and c.service in RESIDENTIAL | {"DAY_CARE", "WORKSHOP"}:
        for _ in range(2):
            yr = int(rng.integers(2010, 2026))
            cost = (4000 + c.places * 250) * rng.uniform(0.6, 1.4)
            items.append(("equipment", yr, cost, 10, 0.0))
    for _ in range(n_vehicles):
        yr = int(rng.integers(2008, 2017))
        while True:
            nxt = yr + int(rng.integers(7, 11))
            items.append(("vehicle", yr, rng.uniform(16000, 32000) * 1.03 ** (yr - 2024), 7, 0.1,
                          nxt if nxt <= 2025 else None))
            c.vehicles.append((yr, nxt if nxt <= 2025 else None))
            if nxt > 2025:
                break
            yr = nxt
    if c.role != "service" or c.service in OFFICE:
        fte = _fte2021(c)
        items.append(("it", 2019, max(1500.0, fte * 900), 4, 0.0, 2023))
        items.append(("it", 2023, max(1500.0, fte * 950), 4, 0.0))
    if c.id.endswith("-SSO"):
        items.append(("it", 2022, rng.uniform(15000, 40000), 5, 0.0))  # case-management software
    for k, it in enumerate(items, 1):
        cls, yr, cost, life, resid = it[:5]
        disposal = it[5] if len(it) > 5 else None
        cost = _round(cost)
        rows["assets"].append(dict(
            asset_id=f"{c.id}-A{k:02d}", cost_centre_id=c.id, asset_class=cls, acquisition_year=yr,
            acquisition_cost_eur=cost, useful_life_years=float(life),
            residual_value_eur=_round(cost * resid), disposal_year=disposal))
        if yr in YEARS:
            ekk = {"building": "5250", "vehicle": "5230", "equipment": "5220",
                   "it": "5100" if c.id.endswith("-SSO") and yr == 2022 else "5220"}[cls]
            spend.append((yr, ekk, cost))
    return spend


def _staff_rows(c, y, wage_f, cal, rng, rows):
    """Staff rows of one centre-year; returns (total pay [EUR], total FTE)."""
    pay, fte_tot = 0.0, 0.0
    for job, (h, f, s) in sorted(getattr(c, "fixed", {}).get(y, {}).items()):
        rows["staff"].append(dict(year=y, cost_centre_id=c.id, job_code=job, headcount=h,
                                  fte=round(f, 2), salary_eur=_round(s)))
        pay, fte_tot = pay + _round(s), fte_tot + f
    for job, fte in c.staff[y].items():
        if fte < 0.05:
            continue
        fte = max(0.1, round(fte * float(rng.lognormal(0, 0.03)), 2))
        salary = _lawful_pay(_round(fte * 12 * _monthly(job, y, cal, wage_f)
                                    * rng.lognormal(0, 0.04) * 1.06), fte, y, cal)
        head = max(1, int(np.ceil(fte / rng.uniform(0.85, 1.0) - 1e-9)))
        rows["staff"].append(dict(year=y, cost_centre_id=c.id, job_code=job, headcount=head,
                                  fte=fte, salary_eur=salary))
        pay, fte_tot = pay + salary, fte_tot + fte
    return pay, fte_tot


def finance(code: str, centres: list[_Centre], support: list[_Centre], rural: float,
            wage_f: float, rates: dict, cal: dict, pop: pd.DataFrame, rng: np.random.Generator,
            rows: Rows) -> None:
    """Cost centres, staff, assets, expenditure, outputs, tariffs and drivers of a municipality."""
    sso = support[1]
    everyone = centres + support
    for c in everyone:
        fte21 = _fte2021(c)
        if c.area == 0.0:
            office = fte21 if c.service not in ("HOME_CARE", "FAMILY_ASSIST") else fte21 * 0.25
            c.area = float(round(office * 14 + (200 if c.id.endswith("MNT") else 40)))
        rows["cost_centres"].append(dict(
            cost_centre_id=c.id, municipality_code=code, name=c.name, role=c.role,
            service_code=c.service, provider_type=c.provider, places=c.places))
    benefit_f, transfer_f = float(rng.uniform(0.7, 1.3)), float(rng.uniform(2, 8))
    refund_year = int(rng.choice(YEARS)) if rng.random() < 0.1 else None
    fte_of = {}
    for c in everyone:
        owned = c.provider in ("municipal", "social_enterprise")
        n_veh = {"HOME_CARE": 1 + int(sum(c.staff[2021].values()) / 10),
                 "SOCIAL_WORK": 1 + int(rural * sum(c.staff[2021].values()) * 2),
                 "FAMILY_ASSIST": 1, "LTC": 1, "CRISIS": 1}.get(c.service, 0)
        n_veh += {"-SSO": 1, "-MNT": 2}.get(c.id[-4:], 0)
        capital = _assets(c, owned, n_veh, rng, rows)
        price_f = float(rng.uniform(0.85, 1.2))
        collect = float(rng.uniform(*TARIFF_COLLECTED.get(c.service, (0, 0))))
        for y in YEARS:
            pf, en = rates["price"][y], rates["energy"][y]
            pay, fte = _staff_rows(c, y, wage_f, cal, rng, rows)
            fte_of[(c.id, y)] = fte
            units = c.out[y][0] if c.out else 0.0
            noise = lambda: float(rng.lognormal(0, 0.08))  # noqa: E731
            lines = {
                "1110": _round(0.9 * pay), "1140": _round(pay - _round(0.9 * pay)),
                "1210": _round(pay * rates["ssc"][y]), "1220": pay * 0.006,
                "2100": fte * (30 + (100 + 900 * rural) * (c.service in TRAVELLING)) * pf * noise(),
                "2210": fte * 140 * pf * noise(),
                "2220": c.area * 20 * en * noise() if owned else 0.0,
                "2230": (fte * 180 + {"ADM": 5000, "SSO": 3000}.get(c.id[-3:], 0)) * pf * noise(),
                "2240": c.area * 4 * pf * noise() if owned else 0.0,
                "2250": fte * 160 * pf * (3 if c.role != "service" or c.service in OFFICE else 1),
                "2260": c.area * 48 * pf * noise() if not owned else 0.0,
                "2270": (units * 0.8 if c.service in RESIDENTIAL else fte * 50) * pf * noise(),
                "2310": fte * 90 * pf * noise(),
                "2320": sum(1 for a, d in c.vehicles if a <= y and (d is None or d > y))
                * 1900 * (1 + 0.5 * (en - 1)) * noise(),
                "2340": units * 0.6 * pf * noise() if c.service in ("LTC", "STC") else 0.0,
                "2350": c.area * 2.5 * pf * noise(),
                "2360": units * (FOOD_PER_BED_DAY.get(c.service, 0.0)
                                 + 1.4 * (c.service in ("DAY_CARE", "WORKSHOP"))) * pf * noise(),
                "2390": fte * 60 * pf * noise(),
                "2500": c.area * 0.3 if owned else 0.0,
            }
            if c is sso:
                inhabitants = float(pop.loc[y, "total"])
                benefits = inhabitants * cal["benefits_per_inhabitant"][y] * benefit_f
                lines.update({"6200": 0.62 * benefits, "6300": 0.08 * benefits,
                              "6400": 0.30 * benefits,
                              "7000": inhabitants * transfer_f * pf})
                if y == refund_year:  # net refunds of in-kind benefits exceed payments
                    lines["6300"] = -float(rng.uniform(500, 3000))
            for yr, ekk, amount in capital:
                if yr == y:
                    lines[ekk] = lines.get(ekk, 0.0) + amount
            for ekk, amount in lines.items():
                if amount != 0.0:
                    rows["expenditure"].append(dict(year=y, cost_centre_id=c.id, ekk_code=ekk,
                                                    amount_eur=_round(amount)))
            if c.out:
                u, cl, cap = c.out[y]
                unit = SERVICES[c.service][2]
                rows["outputs"].append(dict(year=y, cost_centre_id=c.id, output_unit=unit,
                                            units=_round(u), clients=cl,
                                            capacity_units=_round(cap)))
                if c.service in cal["tariff_anchor"]:
                    price, year0 = cal["tariff_anchor"][c.service]
                    tariff = _round(price * (cal["min_wage"][y] / cal["min_wage"][year0]) ** 0.9
                                    * price_f)
                    revenue = _round(tariff * u * collect * rng.uniform(0.95, 1.05))
                    rows["tariffs"].append(dict(year=y, cost_centre_id=c.id, output_unit=unit,
                                                tariff_eur=tariff, revenue_eur=revenue))
    _drivers(centres, support, fte_of, rural == 0.0, rows)


def _drivers(centres, support, fte_of, city_cases, rows):
    """ADM -> all by FTE; MNT -> all by floor area; SSO -> services by FTE (cities: cases)."""
    adm, sso = support[0], support[1]
    mnt = support[2] if len(support) > 2 else None
    for y in YEARS:
        for to in centres + support:
            if to is not adm:
                rows["drivers"].append(dict(year=y, from_centre_id=adm.id, to_centre_id=to.id,
                                            driver="fte", quantity=round(fte_of[(to.id, y)], 2)))
            if mnt is not None and to is not mnt:
                rows["drivers"].append(dict(year=y, from_centre_id=mnt.id, to_centre_id=to.id,
                                            driver="floor_area_m2", quantity=to.area))
        for to in centres:
            qty = to.out[y][1] if city_cases else round(fte_of[(to.id, y)], 2)
            rows["drivers"].append(dict(year=y, from_centre_id=sso.id, to_centre_id=to.id,
                                        driver="cases" if city_cases else "fte",
                                        quantity=float(qty)))


def diaries(code: str, start: dt.date, rural: float, roster: list[dict],
            rng: np.random.Generator, rows: Rows) -> None:
    """Survey period and two-week time-use diary (10 working days) of every 2024 worker."""
    days = [start + dt.timedelta(days=i) for i in range(12)]
    days = [d for d in days if d.weekday() < 5]
    rows["survey_periods"].append(dict(municipality_code=code, year=SURVEY_YEAR,
                                       start_date=days[0].isoformat(),
                                       end_date=days[-1].isoformat()))
    r = rural  # shares in the order of ACTIVITIES; rural workers travel and visit more
    base = {
        "SOCIAL_WORKER": [0.22, 0.08 + 0.06 * r, 0.04 + 0.12 * r, 0.26, 0.07, 0.05, 0.13, 0.05],
        "SOCIAL_CARER": [0.15, 0.20 + 0.05 * r, 0.06 + 0.12 * r, 0.20, 0.04, 0.05, 0.10, 0.05],
        "SOCIAL_REHABILITATOR": [0.35, 0.06, 0.03 + 0.08 * r, 0.20, 0.06, 0.06, 0.08, 0.05],
    }
    for w in roster:
        shares = np.array(base[w["job"]])
        shares = shares / shares.sum()
        present = rng.random(len(days)) > 0.03
        present[0] = present[0] or not present.any()
        mix = rng.dirichlet(shares * 5, size=len(days))
        totals = w["fte"] * 480 * rng.uniform(0.95, 1.08, size=len(days))
        # diaries are kept in quarter-hour blocks
        minutes = (np.round(mix * totals[:, None] / 15) * 15).astype(int)
        for d, ok, row in zip(days, present, minutes, strict=True):
            if not ok:
                continue
            for act, mins in zip(ACTIVITIES, row, strict=True):
                if mins > 0:
                    rows["time_use"].append(dict(worker_id=w["id"], date=d.isoformat(),
                                                 activity_code=act, minutes=int(mins)))


def build_municipality(m: dict, pop: pd.DataFrame, rates: dict, cal: dict,
                       rng: np.random.Generator, next_worker: list[int],
                       survey_start: dt.date) -> Rows:
    """Generate every dataset row of one municipality.

    Parameters
    ----------
    m : dict
        ``atvk_code, name, type, region`` of the municipality.
    pop : DataFrame
        Population by year (index) with columns ``0-17, 18-64, 65-79, 80+, total, p65``.
    rates : dict
        ``ssc``, ``price`` and ``energy`` factors by year.
    cal : dict
        :data:`costing.data.demo.generator.CALIBRATION`.
    rng : numpy.random.Generator
        This municipality's random stream.
    next_worker : list of int
        One-element counter of pseudonymous worker ids (shared across municipalities).
    survey_start : datetime.date
        Monday on which the two-week time-use survey of 2024 starts.

    Returns
    -------
    dict of str to list of dict
        Rows per dataset table.
    """
    code = m["atvk_code"]
    city = m["type"] == "valstspilsēta"
    pop21 = float(pop.loc[2021, "total"])
    # rurality in [0, 1]: 0 for cities, Pierīga suburbs ~0.3, small rural novadi up to 1
    rural = 0.0 if city else float(np.clip(1.45 - math.log10(pop21) / 4.2, 0.25, 1.0))
    if m["region"] == "Pierīga" and not city:
        rural = min(rural, 0.35)
    wage_f = 1.12 if code == "LV0001000" else 1.04 if city else 1.0 - 0.06 * rural
    wage_f *= float(rng.lognormal(0, 0.03))
    plan = _plan(m, pop21, float(pop.loc[2021, "p65"]), rng)
    rows = {k: [] for k in ("cost_centres", "expenditure", "assets", "staff", "workers", "outputs",
                            "drivers", "survey_periods", "time_use", "caseloads", "tariffs")}
    centres, counter = [], {}
    for svc, prov, places in plan:
        name, prefix, unit, occ = SERVICES[svc]
        counter[prefix] = counter.get(prefix, 0) + 1
        cid = f"{code}-{prefix}{counter[prefix]}"
        if prefix + str(counter[prefix]) in SOCIAL_ENTERPRISES.get(code, ()):
            prov = "social_enterprise"
            name = SE_NAMES[prefix] if code != "LV0049000" or prefix != "WS" else SE_NAMES["CV"]
        area = (38 if svc in RESIDENTIAL else 9) * places + 60 if places else 0.0
        name = f"{name} {counter[prefix]}"
        centres.append(_Centre(cid, name, "service", svc, prov, places, area))
    sso = _Centre(f"{code}-SSO", "Sociālā dienesta vadība un administrācija", "support", None,
                  "municipal")
    adm = _Centre(f"{code}-ADM", "Pašvaldības centrālās administrācijas daļa", "admin", None,
                  "municipal")
    support = [adm, sso]
    if rng.random() < 0.5 or city:
        support.append(_Centre(f"{code}-MNT", "Saimnieciskais un transporta dienests", "support",
                               None, "municipal"))
    # ---------------------------------------------------------------- outputs and staff by year
    sw = next(c for c in centres if c.service == "SOCIAL_WORK")
    ratio = 0.55 if code == BELOW_NORM else float(rng.uniform(0.85, 1.35))
    hc_cov = float(rng.uniform(0.025, 0.06))
    hc_hours = float(rng.uniform(110, 200))
    occ_bias = {c.id: float(rng.normal(0, 0.03)) for c in centres}
    for t, y in enumerate(YEARS):
        p = pop.loc[y]
        days = 366 if y % 4 == 0 else 365
        for c in centres:
            if c.service == "SOCIAL_WORK":
                continue
            occ = SERVICES[c.service][3] + occ_bias[c.id] + float(rng.normal(0, 0.02))
            occ = float(np.clip(occ, 0.7, 1.0))
            if c.service == "HOME_CARE":
                share = 0.75 if c.id.endswith("HC1") else 0.25
                n_hc = sum(1 for x in centres if x.service == "HOME_CARE")
                share = 1.0 if n_hc == 1 else share
                clients = p["p65"] * hc_cov * share * 1.02 ** t
                units = clients * hc_hours * float(rng.lognormal(0, 0.03))
                occ = 0.55 if code == LOW_OCCUPANCY_HC else occ
                productive = 1500 - 400 * rural
                cap = units / occ
                c.staff[y] = _service_staff(c, cap / productive)
            elif c.service == "FAMILY_ASSIST":
                clients = p["0-17"] * rng.uniform(0.002, 0.005)
                units = clients * rng.uniform(80, 160)
                cap = units / occ
                c.staff[y] = _service_staff(c, cap / 1350)
            else:
                per_year = {"bed_day": days, "client_day": 248, "client_month": 12}[
                    SERVICES[c.service][2]]
                cap = c.places * per_year
                units = cap * occ
                turn = {"LTC": 1.25, "STC": 6, "GROUP_HOME": 1.1, "CRISIS": 8, "NIGHT_SHELTER": 3,
                        "DAY_CARE": 1.5, "WORKSHOP": 1.2}.get(c.service)
                clients = c.places * turn if turn else units / rng.uniform(4, 8)
                c.staff[y] = _service_staff(c)
            c.out[y] = (units, int(round(clients * rng.uniform(0.95, 1.05))), cap)
        admin_f = 2.0 if code == HEAVY_ADM else 1.0
        sso.staff[y] = {"MANAGER": 1 + (p["total"] > 30_000) + 5 * (p["total"] > 150_000),
                        "ADMIN": 2 + p["total"] / 6000, "SUPPORT_STAFF": 0.5 + p["total"] / 40_000}
        adm.staff[y] = {"ADMIN": (0.6 + p["total"] / 20_000) * admin_f,
                        "MANAGER": 0.2 + p["total"] / 400_000}
        if len(support) == 3:
            support[2].staff[y] = {"SUPPORT_STAFF": 2 + p["total"] / 15_000}
    roster = social_work(code, sw, pop, ratio, rural, city, wage_f, cal, rng, next_worker, rows)
    finance(code, centres, support, rural, wage_f, rates, cal, pop, rng, rows)
    diaries(code, survey_start, rural, roster, rng, rows)
    return rows
