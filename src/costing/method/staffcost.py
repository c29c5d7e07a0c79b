"""Bottom-up unit cost of a member of staff (the PSSRU schema) and time-driven cost rates.

Chapter 5 of ``methodology/``: build the cost of a working hour from transparent components
(rows A–J) instead of dividing a budget by activity, so that any component can be replaced by a
local figure.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..data.dataset import Dataset
from ..data.tables import as_fraction, as_number, reference
from ..errors import InputError

OVERHEAD_BASES = ("salary", "salary_and_on_costs")

#: Row labels of the schema table (Latvian, English), in the PSSRU order A–J.
SCHEMA_ROWS = {
    "A": ("Alga", "Salary"),
    "B": ("Darba devēja izmaksas (sociālās iemaksas u.c.)", "Salary on-costs"),
    "C": ("Kvalifikācija", "Qualifications"),
    "D": ("Pieskaitāmās izmaksas", "Overheads"),
    "E": ("Kapitāla pieskaitāmās izmaksas", "Capital overheads"),
    "F": ("Ceļa izdevumi", "Travel"),
    "G": ("Kopējās izmaksas (A–F)", "Total costs (A–F)"),
    "H": ("Darba stundas gadā", "Working hours per year"),
    "I": ("Netiešā laika attiecība pret tiešo (ar klientu saistīto) laiku",
          "Ratio of indirect to direct (client-related) time"),
    "J": ("Izmaksas stundā", "Cost per hour"),
    "J2": ("Izmaksas stundā, kas saistīta ar klientu", "Cost per client-related hour"),
}


def _nonneg(name: str, value: float) -> float:
    return as_number(name, value, low=0.0)


def _weekday_holidays(year: int, dataset=None) -> int:
    hol = reference("public_holidays", dataset)
    dates = pd.to_datetime(hol["date"].astype(str), format="%Y-%m-%d", errors="raise")
    in_year = dates[dates.dt.year == year]
    if in_year.empty:
        years = sorted(dates.dt.year.unique().tolist())
        raise InputError(f"the public_holidays reference table has no holidays for {year} "
                         f"(it covers {years}); pass the number of holidays instead")
    return int((in_year.dt.day_of_week < 5).sum())


def working_hours(
    weekly_hours: float,
    annual_leave_days: float,
    public_holidays: int,
    sick_days: float,
    training_days: float = 0,
    days_per_week: int = 5,
    *,
    dataset: Dataset | None = None,
) -> float:
    """Hours actually worked per year by one full-time member of staff (schema row H).

    Implements formula (5.1):
    ``H = (D − L − P − S − T) × w / d`` with ``d`` working days per week, ``w`` weekly hours,
    ``D`` working days in the year (``52 × d``; when a calendar year is given and ``d = 5``, the
    actual number of Monday–Friday days of that year), ``L`` annual leave, ``P`` public holidays
    falling on working days, ``S`` sickness and ``T`` training days.

    Parameters
    ----------
    weekly_hours : float
        Contractual hours per week (Latvian legal week: 40). [h/week]
    annual_leave_days : float
        Annual leave in working days (4 calendar weeks = 20 days for a 5-day week). [day/year]
    public_holidays : int
        Either the number of public holidays falling on working days [day/year], or a calendar
        year (an int >= 1900): then the weekday holidays of that year are counted from the
        ``public_holidays`` reference table (those falling Monday–Friday).
    sick_days, training_days : float
        Average sickness absence and training days. [day/year]
    days_per_week : int, default 5
        Working days per week. [day/week]
    dataset : costing.Dataset, optional
        Dataset whose ``public_holidays`` table overrides the shipped one.

    Returns
    -------
    float
        Working hours per year. [h/year]

    Examples
    --------
    >>> working_hours(40, 20, 9, 5, 3)
    1784.0
    """
    weekly_hours = _nonneg("weekly_hours", weekly_hours)
    days_per_week = as_number("days_per_week", days_per_week, low=0.0, low_open=True, high=7.0)
    if isinstance(public_holidays, (int, np.integer)) and public_holidays >= 1900:
        year = int(public_holidays)
        holidays = _weekday_holidays(year, dataset)
        if days_per_week == 5:
            base = int(np.busday_count(f"{year}-01-01", f"{year + 1}-01-01"))
        else:
            base = 52 * days_per_week
    else:
        holidays = _nonneg("public_holidays", public_holidays)
        base = 52 * days_per_week
    absent = (_nonneg("annual_leave_days", annual_leave_days) + holidays
              + _nonneg("sick_days", sick_days) + _nonneg("training_days", training_days))
    days = base - absent
    if days <= 0:
        raise InputError(f"leave, holidays, sickness and training ({absent} days) leave no working "
                         f"days out of {base}")
    return float(days * weekly_hours / days_per_week)


def _pick(rate, amount, base: float, rate_name: str, amount_name: str,
          allow_none: bool = False) -> float:
    if rate is not None and amount is not None:
        raise InputError(f"give either {rate_name} or {amount_name}, not both")
    if rate is None and amount is None:
        if allow_none:
            return 0.0
        raise InputError(f"give one of {rate_name} (a fraction) or {amount_name} (EUR/year)")
    if rate is not None:
        return as_fraction(rate_name, rate) * base
    return _nonneg(amount_name, amount)


@dataclass(frozen=True)
class StaffUnitCost:
    """Result of :func:`staff_unit_cost`: the PSSRU schema rows A–J (amounts in EUR/year)."""

    salary: float
    on_costs: float
    qualification: float
    overheads: float
    capital_overheads: float
    travel: float
    annual_hours: float
    indirect_per_direct_hour: float | None

    @property
    def total(self) -> float:
        """Row G = A + B + C + D + E + F, formula (5.4). [EUR/year]"""
        return (self.salary + self.on_costs + self.qualification + self.overheads
                + self.capital_overheads + self.travel)

    @property
    def per_hour(self) -> float:
        """Row J = G / H, formula (5.5). [EUR/h]"""
        return self.total / self.annual_hours

    @property
    def per_client_hour(self) -> float:
        """Cost per client-related hour = J × (1 + I), formula (5.6); NaN without I. [EUR/h]"""
        if self.indirect_per_direct_hour is None:
            return float("nan")
        return self.per_hour * (1.0 + self.indirect_per_direct_hour)

    def table(self) -> pd.DataFrame:
        """The schema as a tidy table: ``row, label_lv, label_en, value, unit``."""
        values = {
            "A": (self.salary, "EUR/year"), "B": (self.on_costs, "EUR/year"),
            "C": (self.qualification, "EUR/year"), "D": (self.overheads, "EUR/year"),
            "E": (self.capital_overheads, "EUR/year"), "F": (self.travel, "EUR/year"),
            "G": (self.total, "EUR/year"), "H": (self.annual_hours, "h/year"),
            "I": (np.nan if self.indirect_per_direct_hour is None
                  else self.indirect_per_direct_hour, "h/h"),
            "J": (self.per_hour, "EUR/h"), "J2": (self.per_client_hour, "EUR/h"),
        }
        return pd.DataFrame(
            [(row, *SCHEMA_ROWS[row], float(v), unit) for row, (v, unit) in values.items()],
            columns=["row", "label_lv", "label_en", "value", "unit"],
        )


def staff_unit_cost(
    salary: float,
    *,
    on_cost_rate: float | None = None,
    on_costs: float | None = None,
    overhead_rate: float | None = 0.0,
    overhead_base: str = "salary_and_on_costs",
    overheads: float | None = None,
    capital_overheads: float = 0.0,
    qualification: float = 0.0,
    travel: float = 0.0,
    annual_hours: float,
    indirect_per_direct_hour: float | None = None,
) -> StaffUnitCost:
    """Unit cost of one full-time member of staff, PSSRU schema rows A–J.

    Implements formulas (5.2)–(5.6): on-costs ``B = b × A`` (or an amount), overheads
    ``D = o × A`` or ``D = o × (A + B)`` (or an amount), total ``G = A + … + F``, cost per hour
    ``J = G / H`` and per client-related hour ``J × (1 + I)``.

    Parameters
    ----------
    salary : float
        A: annual gross salary of one FTE. [EUR/year]
    on_cost_rate, on_costs : float
        B: employer contributions as a rate of salary (a fraction, e.g. 0.2359; a value above 1
        is refused as a likely percentage) or an amount [EUR/year]; give exactly one.
    overhead_rate, overheads : float
        D: overheads as a rate of ``overhead_base`` (a fraction in [0, 1]) or an amount
        [EUR/year]. Giving ``overheads`` needs ``overhead_rate=None`` or 0.
    overhead_base : {"salary", "salary_and_on_costs"}
        Base of ``overhead_rate``.
    capital_overheads, qualification, travel : float
        E, C, F. [EUR/year]
    annual_hours : float
        H: working hours per year (see :func:`working_hours`). [h/year]
    indirect_per_direct_hour : float, optional
        I: hours of other work per hour of client-related work (1 : 1.5 → 1.5). [h/h]

    Returns
    -------
    StaffUnitCost
        With ``.total`` [EUR/year], ``.per_hour`` and ``.per_client_hour`` [EUR/h], ``.table()``.

    Examples
    --------
    >>> r = staff_unit_cost(12_000, on_cost_rate=0.2359, overhead_rate=0.25,
    ...                     overhead_base="salary", annual_hours=1_600)
    >>> round(r.total, 2), round(r.per_hour, 4)
    (17830.8, 11.1442)
    """
    a = _nonneg("salary", salary)
    b = _pick(on_cost_rate, on_costs, a, "on_cost_rate", "on_costs")
    if overhead_base not in OVERHEAD_BASES:
        raise InputError(f"overhead_base must be one of {OVERHEAD_BASES}, got {overhead_base!r}")
    if overheads is not None and overhead_rate == 0.0:
        overhead_rate = None
    d = _pick(overhead_rate, overheads, a if overhead_base == "salary" else a + b,
              "overhead_rate", "overheads", allow_none=True)
    hours = _nonneg("annual_hours", annual_hours)
    if hours <= 0:
        raise InputError("annual_hours must be > 0 (working hours per year)")
    ratio = None if indirect_per_direct_hour is None else _nonneg(
        "indirect_per_direct_hour", indirect_per_direct_hour)
    return StaffUnitCost(
        salary=a, on_costs=b, qualification=_nonneg("qualification", qualification),
        overheads=d, capital_overheads=_nonneg("capital_overheads", capital_overheads),
        travel=_nonneg("travel", travel), annual_hours=hours, indirect_per_direct_hour=ratio,
    )


def capacity_cost_rate(cost: float, theoretical_minutes: float, practical_share: float = 0.8
                       ) -> float:
    """Time-driven ABC capacity cost rate: cost of capacity supplied ÷ practical capacity.

    Implements formula (5.7): ``q = C / (p × M)``.

    Parameters
    ----------
    cost : float
        Cost of the resources supplied in the period. [EUR]
    theoretical_minutes : float
        Theoretical capacity of those resources in the period (> 0). [min]
    practical_share : float, default 0.8
        Practical capacity as a share of theoretical capacity (Kaplan & Anderson: about 80 %
        for people, 85 % for equipment), in (0, 1].

    Returns
    -------
    float
        Capacity cost rate. [EUR/min]

    Examples
    --------
    >>> capacity_cost_rate(567_000, 630_000)
    1.125
    """
    cost = _nonneg("cost", cost)
    minutes = _nonneg("theoretical_minutes", theoretical_minutes)
    if minutes <= 0:
        raise InputError("theoretical_minutes must be > 0")
    share = as_fraction("practical_share", practical_share, low_open=True)
    return cost / (share * minutes)
