"""Per-municipality building blocks of the demo generator (see
:mod:`costing.data.demo.generator`).

Every number drawn here is synthetic. Ratios (staff per place, m² per place, EUR per m²) are
round, documented assumptions listed in ``data/demo/README.md``; wages and prices are tied to the
real facts in :data:`costing.data.demo.generator.CALIBRATION`.
"""

from __future__ import annotations

import numpy as np

YEARS = (2021, 2022, 2023, 2024, 2025)
SURVEY_YEAR = 2024

# --------------------------------------------------------------------------- fixed choices
#: Municipality whose social service is clearly below the norm of 1 specialist per 1,000
#: inhabitants (an arbitrary choice for illustration; says nothing about the real municipality).
BELOW_NORM = "LV0037000"
#: A municipality with one very small, expensive care home (economies of scale outlier).
SMALL_LTC = "LV0053000"
#: A municipality whose home care runs far below capacity.
LOW_OCCUPANCY_HC = "LV0047000"
#: A municipality with a heavy central administration share.
HEAVY_ADM = "LV0036000"
#: Social enterprises: a community-village workshop and group home, a home-care provider and a
#: workshop (centre suffixes per municipality), with their generic names.
SOCIAL_ENTERPRISES = {"LV0049000": ("WS1", "GH1"), "LV0026000": ("HC2",), "LV0005000": ("WS1",)}
SE_NAMES = {"CV": "Kopienas ciemata darbnīca", "WS": "Sociālā uzņēmuma darbnīca",
            "GH": "Kopienas ciemata grupu māja", "HC": "Sociālā uzņēmuma aprūpes dienests"}

# service: (name, code prefix, output unit, occupancy mean)
SERVICES = {
    "LTC": ("Sociālās aprūpes centrs", "LTC", "bed_day", 0.93),
    "STC": ("Īslaicīgās sociālās aprūpes nodaļa", "STC", "bed_day", 0.78),
    "HOME_CARE": ("Aprūpes mājās dienests", "HC", "client_hour", 0.90),
    "DAY_CARE": ("Dienas aprūpes centrs", "DC", "client_day", 0.82),
    "GROUP_HOME": ("Grupu māja", "GH", "bed_day", 0.90),
    "CRISIS": ("Krīzes centrs", "CR", "bed_day", 0.74),
    "NIGHT_SHELTER": ("Naktspatversme", "NS", "bed_day", 0.82),
    "WORKSHOP": ("Specializētā darbnīca", "WS", "client_day", 0.85),
    "FAMILY_ASSIST": ("Ģimenes asistentu dienests", "FA", "client_hour", 0.88),
    "SOCIAL_WORK": ("Sociālā darba centrs", "SW", "case", 0.0),
    "SOC_REHAB": ("Sociālās rehabilitācijas centrs", "SR", "client_month", 0.80),
}
RESIDENTIAL = {"LTC", "STC", "GROUP_HOME", "CRISIS", "NIGHT_SHELTER"}
# job: (base, factor): monthly pay = factor x minimum wage ("min") or x average wage ("avg")
PAY = {"CARER": ("min", 1.15), "SUPPORT_STAFF": ("min", 1.04), "NURSE": ("avg", 0.86),
       "SOCIAL_WORKER": ("avg", 0.80), "SOCIAL_CARER": ("avg", 0.70),
       "SOCIAL_REHABILITATOR": ("avg", 0.74), "MANAGER": ("avg", 1.20), "ADMIN": ("avg", 0.84)}
SPECIALISTS = ("SOCIAL_WORKER", "SOCIAL_CARER", "SOCIAL_REHABILITATOR")
CASE_WEIGHTS = {"CHILD_FAMILY": 4.0, "ELDERLY": 2.0, "DISABILITY": 2.5, "LOW_INCOME": 1.0,
                "ADDICTION": 3.5, "HOMELESS": 3.0, "OTHER": 1.5}
CASE_MIX = {"SOCIAL_WORKER": {"CHILD_FAMILY": 3, "ELDERLY": 2, "DISABILITY": 2, "LOW_INCOME": 4,
                              "ADDICTION": 1, "HOMELESS": 0.6, "OTHER": 1},
            "SOCIAL_CARER": {"ELDERLY": 4, "DISABILITY": 2},
            "SOCIAL_REHABILITATOR": {"CHILD_FAMILY": 3, "ADDICTION": 2, "DISABILITY": 1}}
ACTIVITIES = ("CLIENT_CONTACT", "HOME_VISIT", "TRAVEL", "DOCUMENTATION", "CASE_CONFERENCE",
              "SUPERVISION_TRAINING", "ADMIN", "OTHER")
TARIFF_COLLECTED = {"LTC": (0.75, 0.95), "STC": (0.6, 0.9), "HOME_CARE": (0.1, 0.35),
                    "DAY_CARE": (0.05, 0.25), "WORKSHOP": (0.0, 0.1), "GROUP_HOME": (0.3, 0.6),
                    "CRISIS": (0.0, 0.05), "NIGHT_SHELTER": (0.05, 0.2),
                    "FAMILY_ASSIST": (0.0, 0.05)}


def _monthly(job: str, year: int, cal: dict, wage_factor: float) -> float:
    """Monthly gross pay of a job in a year [EUR/month], never below 1.02 x minimum wage."""
    base, f = PAY[job]
    ref = cal["min_wage"][year] if base == "min" else cal["avg_wage"][year]
    return max(f * ref * wage_factor, 1.02 * cal["min_wage"][year])


def _lawful_pay(amount: float, fte: float, year: int, cal: dict) -> float:
    """Annual pay [EUR/year] raised, if the random draws put it lower, to 1.01 x twelve minimum
    monthly wages per FTE: no synthetic row may pay less than the law allows."""
    return max(amount, round(fte * 12 * 1.01 * cal["min_wage"][year], 2))


class _Centre:
    """A cost centre being built: identity, size, staff by year, outputs by year."""

    def __init__(self, cid, name, role, service, provider, places=None, area=0.0):
        self.id, self.name, self.role, self.service = cid, name, role, service
        self.provider, self.places, self.area = provider, places, area
        self.staff = {}    # year -> {job: fte}
        self.out = {}      # year -> (units, clients, capacity)
        self.vehicles = []  # (acquired, disposed or None)


def _plan(m: dict, pop21: float, p65: float, rng: np.random.Generator) -> list[tuple]:
    """Which service centres a municipality has: list of (service, provider, places)."""
    city = m["type"] == "valstspilsēta"
    big = pop21 > 150_000
    plan = []
    cap = 6 + pop21 / 1000 * 1.5  # small municipalities run small facilities
    n_ltc = 0 if (pop21 < 30_000 and rng.random() < 0.1) else 1 + (pop21 > 35_000) + 3 * big
    for k in range(n_ltc):
        total = p65 * rng.uniform(0.012, 0.022)
        places = float(np.clip(round(total / n_ltc), 15, 260))
        prov = "private" if (k > 0 and rng.random() < 0.4) else "municipal"
        plan.append(("LTC", prov, places))
    if m["atvk_code"] == SMALL_LTC:
        plan.append(("LTC", "municipal", 18.0))
    if rng.random() < 0.35 or pop21 > 50_000:
        plan.append(("STC", "municipal", float(min(rng.integers(8, 26), round(cap)))))
    plan.append(("HOME_CARE", "municipal", None))
    if pop21 > 30_000 and rng.random() < 0.55 or big:
        plan.append(("HOME_CARE", "private" if big else "ngo", None))
    n_dc = 0 if (not city and rng.random() < 0.12) else 1 + (pop21 > 40_000) + 2 * big
    for _ in range(n_dc):
        plan.append(("DAY_CARE", "ngo" if rng.random() < 0.25 else "municipal",
                     float(min(rng.integers(15, 41), round(cap)))))
    extra = [("GROUP_HOME", 0.45, (6, 21), 0.2), ("CRISIS", 0.35, (8, 21), 0.4),
             ("NIGHT_SHELTER", 0.2, (15, 41), 0.3), ("WORKSHOP", 0.4, (10, 31), 0.2),
             ("FAMILY_ASSIST", 0.5, None, 0.5), ("SOC_REHAB", 0.3, (6, 21), 0.5)]
    for svc, prob, size, p_ngo in extra:
        if rng.random() < prob or pop21 > 60_000 or (city and svc in ("CRISIS", "NIGHT_SHELTER")):
            places = None if size is None else float(min(rng.integers(*size), round(cap)))
            if places is not None and big:
                places *= 4
            plan.append((svc, "ngo" if rng.random() < p_ngo else "municipal", places))
    for code in SOCIAL_ENTERPRISES.get(m["atvk_code"], ()):
        svc = {"WS": "WORKSHOP", "GH": "GROUP_HOME", "HC": "HOME_CARE"}[code[:2]]
        if not any(s == svc for s, _, _ in plan) or code.endswith("2"):
            places = float(rng.integers(10, 25)) if svc != "HOME_CARE" else None
            plan.append((svc, "municipal", places))
    plan.append(("SOCIAL_WORK", "municipal", None))
    return plan


def _service_staff(c: _Centre, carers: float | None = None) -> dict[str, float]:
    """FTE by job of a service centre in a year (``carers``: FTE needed for home-based hours)."""
    p, s = c.places or 0.0, c.service
    scale = 1 + 8 / p if p else 1.0  # economies of scale: small homes need more staff per place
    if s in ("LTC", "STC"):
        return {"CARER": 0.38 * p * scale, "NURSE": max(1.0, 0.05 * p * scale),
                "SOCIAL_CARER": max(0.5, 0.015 * p), "SOCIAL_REHABILITATOR": max(0.5, 0.01 * p),
                "MANAGER": 1.0, "ADMIN": 0.5 + 0.012 * p, "SUPPORT_STAFF": 0.16 * p * scale}
    if s == "GROUP_HOME":
        return {"CARER": 0.22 * p * scale, "SOCIAL_WORKER": 0.5, "MANAGER": 0.5,
                "SUPPORT_STAFF": 0.3 + 0.05 * p}
    if s == "CRISIS":
        return {"CARER": 0.3 * p, "SOCIAL_WORKER": 1 + p / 12, "SOCIAL_REHABILITATOR": 1.0,
                "MANAGER": 1.0, "SUPPORT_STAFF": 1 + 0.05 * p}
    if s == "NIGHT_SHELTER":
        return {"CARER": max(2.0, 0.12 * p), "SOCIAL_WORKER": 0.5 + p / 60, "MANAGER": 0.5,
                "SUPPORT_STAFF": 0.5 + 0.03 * p}
    if s in ("DAY_CARE", "WORKSHOP"):
        care = 0.12 * p if s == "DAY_CARE" else 0.0
        return {"CARER": care, "SOCIAL_REHABILITATOR": (0.06 if s == "DAY_CARE" else 0.12) * p,
                "SOCIAL_WORKER": 0.5 if s == "DAY_CARE" else 0.0,
                "MANAGER": 1.0 if p >= 20 else 0.5, "SUPPORT_STAFF": 0.5 + 0.04 * p}
    if s == "SOC_REHAB":
        return {"SOCIAL_REHABILITATOR": 0.25 * p, "SOCIAL_WORKER": 0.5, "MANAGER": 0.5}
    if s in ("HOME_CARE", "FAMILY_ASSIST"):
        if s == "FAMILY_ASSIST":
            return {"SOCIAL_CARER": carers, "SOCIAL_WORKER": 0.25 + carers / 15}
        return {"CARER": carers, "SOCIAL_CARER": max(0.5, carers / 25),
                "MANAGER": 0.5 if carers < 15 else 1.0, "ADMIN": 0.25 + carers / 60}
    raise ValueError(f"no staffing rule for service {s!r}")

