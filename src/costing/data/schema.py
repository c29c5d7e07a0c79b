"""Table schemas of the comparative dataset, written as data.

Each table is a :class:`TableSchema`: its columns (:class:`Column`), its key and whether it is a
shipped reference table. The loader (:mod:`costing.data.dataset`) and the validator
(:mod:`costing.data.validation`) are driven entirely by these objects, so a rule written here is
a rule enforced everywhere. The human-readable contract is ``docs/data-model.md``; keep the two
in step.

Column kinds
------------
``str``    free text (names, sources); kept as a string.
``code``   an identifier (ATVK code, EKK code, cost-centre id); a string, leading zeros kept;
           checked against ``allowed`` values, a ``pattern`` or a foreign key ``ref``.
``int``    a whole number (``"12"``; ``"12.0"`` is accepted, ``"12.5"`` is not).
``float``  a number with a decimal point (``.``); no thousands separators, no decimal commas.
``date``   an ISO date ``YYYY-MM-DD``.
``bool``   ``true``/``false`` (also ``1``/``0``), case-insensitive.
"""

from __future__ import annotations

from dataclasses import dataclass, field

KINDS = ("str", "code", "int", "float", "date", "bool")

#: Version of the table layout; written into every SQLite store (``_schema_version``).
SCHEMA_VERSION = 1

#: Dataset tables a dataset must contain. All other dataset tables are optional, but a table that
#: is present must have every column (and every required value).
REQUIRED_TABLES = ("cost_centres", "expenditure", "outputs")

#: An optional table that needs others to be checked: present ``time_use`` needs ``workers`` and
#: ``survey_periods``; ``caseloads`` needs ``workers``.
TABLE_NEEDS = {
    "time_use": ("workers", "survey_periods"),
    "caseloads": ("workers",),
}


@dataclass(frozen=True)
class Column:
    """One column of a table.

    Parameters
    ----------
    name : str
        Column name as written in the CSV header.
    kind : str
        One of ``str, code, int, float, date, bool``.
    required : bool
        Whether every row needs a value (an empty cell is an error).
    min, max : float, optional
        Inclusive bounds for numbers (``min_open``/``max_open`` make them exclusive).
    allowed : tuple of str, optional
        The only values allowed.
    ref : (table, column), optional
        Foreign key: the value must exist in that column of that table.
    pattern : str, optional
        Regular expression the whole value must match.
    """

    name: str
    kind: str
    required: bool = True
    min: float | None = None
    max: float | None = None
    min_open: bool = False
    max_open: bool = False
    allowed: tuple[str, ...] | None = None
    ref: tuple[str, str] | None = None
    pattern: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"column {self.name!r}: unknown kind {self.kind!r}")


@dataclass(frozen=True)
class TableSchema:
    """Schema of one table: name, columns, key columns, reference flag and a description."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    reference: bool = False
    description: str = ""
    column_names: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "column_names", tuple(c.name for c in self.columns))
        missing = set(self.key) - set(self.column_names)
        if missing:
            raise ValueError(f"table {self.name!r}: key columns {sorted(missing)} not in columns")

    def column(self, name: str) -> Column:
        """Return the :class:`Column` called ``name``."""
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"table {self.name!r} has no column {name!r}")

    @property
    def required(self) -> bool:
        """Whether a dataset must contain this table (reference tables come from the package)."""
        return self.name in REQUIRED_TABLES


def C(name: str, kind: str, **kw) -> Column:  # noqa: N802 - short constructor used in tables below
    """Shorthand constructor of :class:`Column`."""
    return Column(name, kind, **kw)


YEAR = dict(min=1990, max=2100)
NONNEG = dict(min=0.0)
POSITIVE = dict(min=0.0, min_open=True)
CENTRE = ("cost_centres", "cost_centre_id")
MUNI = ("municipalities", "atvk_code")
WORKER_ID = r"W\d+"
AGE_GROUPS = ("0-17", "18-64", "65-79", "80+")
SERVICE_CODES = ("LTC", "STC", "HOME_CARE", "DAY_CARE", "GROUP_HOME", "CRISIS", "NIGHT_SHELTER",
                 "WORKSHOP", "FAMILY_ASSIST", "SOCIAL_WORK", "SOC_REHAB")
OUTPUT_UNITS = ("bed_day", "client_day", "client_hour", "client_month", "case")
NAMES = (C("name_lv", "str"), C("name_en", "str"))
SOURCE = C("source", "str", required=False)

_TABLES = [
    # ---------------------------------------------------------------- reference tables
    TableSchema("municipalities", (
        # LV + 7 digits (2021 units), an old 7-digit ATVK code, or a non-official PRE-<slug> id
        C("atvk_code", "code", pattern=r"LV\d{7}|\d{7}|PRE-[a-z0-9-]+"),
        C("name", "str"),
        C("type", "code",
          allowed=("valstspilsēta", "novads", "republikas pilsēta", "pre2021_novads")),
        C("region", "code",
          allowed=("Rīga", "Pierīga", "Vidzeme", "Kurzeme", "Zemgale", "Latgale")),
        C("valid_from", "date"),
        C("valid_to", "date", required=False),
        C("successor_code", "code", required=False),
        SOURCE,
    ), key=("atvk_code",), reference=True,
        description="Municipalities (ATVK) with validity dates and successors after mergers"),
    TableSchema("population", (
        C("atvk_code", "code", ref=MUNI),
        C("year", "int", **YEAR),
        C("age_group", "code", allowed=AGE_GROUPS),
        C("population", "int", **NONNEG),
        C("source", "code", allowed=("csp", "synthetic")),
        C("total_source", "code", allowed=("csp", "synthetic")),
    ), key=("atvk_code", "year", "age_group"), reference=True,
        description="Population by municipality, year and age group [persons]"),
    TableSchema("ekk", (
        C("ekk_code", "code", pattern=r"\d{1,5}"),
        *NAMES,
        C("cost_category", "code", allowed=(
            "pay", "employer_contributions", "goods_services", "capital_formation", "subsidies",
            "interest", "social_benefits", "transfers")),
        C("is_service_cost", "bool"),
        C("allows_negative", "bool"),
        SOURCE,
    ), key=("ekk_code",), reference=True,
        description="EKK economic classification of expenditure with cost categories"),
    TableSchema("services", (
        C("service_code", "code", allowed=SERVICE_CODES),
        *NAMES,
        C("output_unit", "code", ref=("output_units", "output_unit")),
        C("target_group", "code", allowed=("65+", "18+", "18-64", "0-17", "all")),
    ), key=("service_code",), reference=True, description="Service catalogue"),
    TableSchema("output_units", (C("output_unit", "code", allowed=OUTPUT_UNITS), *NAMES),
                key=("output_unit",), reference=True, description="Units of output"),
    TableSchema("jobs", (
        C("job_code", "code", allowed=("SOCIAL_WORKER", "SOCIAL_CARER", "SOCIAL_REHABILITATOR",
                                       "CARER", "NURSE", "MANAGER", "ADMIN", "SUPPORT_STAFF")),
        *NAMES,
        C("is_social_work_specialist", "bool"),
    ), key=("job_code",), reference=True, description="Job classes"),
    TableSchema("activities", (
        C("activity_code", "code", allowed=(
            "CLIENT_CONTACT", "HOME_VISIT", "TRAVEL", "DOCUMENTATION", "CASE_CONFERENCE",
            "SUPERVISION_TRAINING", "ADMIN", "OTHER")),
        *NAMES,
        C("client_facing", "bool"),
        C("client_related", "bool"),
    ), key=("activity_code",), reference=True, description="Time-use activities"),
    TableSchema("case_types", (
        C("case_type", "code", allowed=("CHILD_FAMILY", "ELDERLY", "DISABILITY", "LOW_INCOME",
                                        "ADDICTION", "HOMELESS", "OTHER")),
        *NAMES,
        C("weight_points", "float", **NONNEG),
        C("standard_hours_per_month", "float", **NONNEG),
    ), key=("case_type",), reference=True, description="Case types with default weights"),
    TableSchema("cpi", (
        C("year", "int", **YEAR),
        C("cpi_index", "float", **POSITIVE),
        C("annual_change", "float", min=-1.0, min_open=True, max=1.0),
        C("measure", "code", allowed=("CPI", "HICP", "assumed")),
        SOURCE,
    ), key=("year",), reference=True, description="Consumer price index, 2015 = 100"),
    TableSchema("ssc_rates", (
        C("rate_id", "code", allowed=("employer_general", "employer_pension_age")),
        C("valid_from", "date"),
        C("valid_to", "date", required=False),
        C("rate", "float", min=0.0, max=1.0),
        SOURCE,
    ), key=("rate_id", "valid_from"), reference=True,
        description="Employer social security contribution rates [fraction]"),
    TableSchema("constants", (
        C("name", "code"), C("value", "float"), C("unit", "str", required=False), SOURCE,
    ), key=("name",), reference=True, description="Named constants with units and sources"),
    TableSchema("public_holidays", (C("date", "date"), *NAMES), key=("date",), reference=True,
                description="Latvian public holidays"),
    TableSchema("labels", (C("key", "code"), C("lv", "str"), C("en", "str")), key=("key",),
                reference=True, description="Report texts and labels in Latvian and English"),
    # ---------------------------------------------------------------- dataset tables
    TableSchema("cost_centres", (
        C("cost_centre_id", "code"),
        C("municipality_code", "code", ref=MUNI),
        C("name", "str"),
        C("role", "code", allowed=("service", "support", "admin")),
        C("service_code", "code", required=False, ref=("services", "service_code")),
        C("provider_type", "code",
          allowed=("municipal", "ngo", "social_enterprise", "private", "state")),
        C("places", "float", required=False, **NONNEG),
    ), key=("cost_centre_id",), description="Cost centres of each municipality"),
    TableSchema("expenditure", (
        C("year", "int", **YEAR),
        C("cost_centre_id", "code", ref=CENTRE),
        C("ekk_code", "code", ref=("ekk", "ekk_code")),
        C("amount_eur", "float"),
    ), key=("year", "cost_centre_id", "ekk_code"),
        description="Expenditure by year, cost centre and EKK code [EUR/year]"),
    TableSchema("assets", (
        C("asset_id", "code"),
        C("cost_centre_id", "code", ref=CENTRE),
        C("asset_class", "code", allowed=("building", "equipment", "vehicle", "it")),
        C("acquisition_year", "int", min=1900, max=2100),
        C("acquisition_cost_eur", "float", **POSITIVE),
        C("useful_life_years", "float", **POSITIVE),
        C("residual_value_eur", "float", **NONNEG),
        C("disposal_year", "int", required=False, min=1900, max=2100),
    ), key=("asset_id",), description="Fixed asset register (for the capital charge)"),
    TableSchema("staff", (
        C("year", "int", **YEAR),
        C("cost_centre_id", "code", ref=CENTRE),
        C("job_code", "code", ref=("jobs", "job_code")),
        C("headcount", "int", **NONNEG),
        C("fte", "float", **NONNEG),
        C("salary_eur", "float", **NONNEG),
    ), key=("year", "cost_centre_id", "job_code"),
        description="Staff by cost centre and job: headcount, FTE, annual gross pay [EUR/year]"),
    TableSchema("workers", (
        C("year", "int", **YEAR),
        C("worker_id", "code", pattern=WORKER_ID),
        C("cost_centre_id", "code", ref=CENTRE),
        C("job_code", "code", ref=("jobs", "job_code")),
        C("fte", "float", min=0.0, min_open=True, max=1.0),
        C("salary_eur", "float", **NONNEG),
    ), key=("year", "worker_id"), description="Social-work staff, one row per worker and year"),
    TableSchema("outputs", (
        C("year", "int", **YEAR),
        C("cost_centre_id", "code", ref=CENTRE),
        C("output_unit", "code", ref=("output_units", "output_unit")),
        C("units", "float", **NONNEG),
        C("clients", "int", **NONNEG),
        C("capacity_units", "float", required=False, **NONNEG),
    ), key=("year", "cost_centre_id"), description="Outputs of service cost centres"),
    TableSchema("drivers", (
        C("year", "int", **YEAR),
        C("from_centre_id", "code", ref=CENTRE),
        C("to_centre_id", "code", ref=CENTRE),
        C("driver", "code", allowed=("fte", "floor_area_m2", "cases", "expenditure_eur", "hours")),
        C("quantity", "float", **NONNEG),
    ), key=("year", "from_centre_id", "to_centre_id"),
        description="Allocation drivers: support/admin centre -> receiving centre quantities"),
    TableSchema("survey_periods", (
        C("municipality_code", "code", ref=MUNI),
        C("year", "int", **YEAR),
        C("start_date", "date"),
        C("end_date", "date"),
    ), key=("municipality_code", "year"), description="Time-use survey periods"),
    TableSchema("time_use", (
        C("worker_id", "code", pattern=WORKER_ID),
        C("date", "date"),
        C("activity_code", "code", ref=("activities", "activity_code")),
        C("minutes", "int", **POSITIVE),
    ), key=("worker_id", "date", "activity_code"), description="Time-use diaries [minutes/day]"),
    TableSchema("caseloads", (
        C("year", "int", **YEAR),
        C("worker_id", "code", pattern=WORKER_ID),
        C("case_type", "code", ref=("case_types", "case_type")),
        C("open_cases", "float", **NONNEG),
        C("new_cases", "int", **NONNEG),
    ), key=("year", "worker_id", "case_type"), description="Caseloads of social workers"),
    TableSchema("tariffs", (
        C("year", "int", **YEAR),
        C("cost_centre_id", "code", ref=CENTRE),
        C("output_unit", "code", ref=("output_units", "output_unit")),
        C("tariff_eur", "float", **NONNEG),
        C("revenue_eur", "float", **NONNEG),
    ), key=("year", "cost_centre_id"), description="Tariffs charged and revenue received [EUR]"),
]

#: All table schemas by name, reference tables first.
SCHEMAS: dict[str, TableSchema] = {t.name: t for t in _TABLES}
REFERENCE_TABLES = tuple(n for n, t in SCHEMAS.items() if t.reference)
DATASET_TABLES = tuple(n for n, t in SCHEMAS.items() if not t.reference)

#: Optional extra table of a dataset folder describing where each column comes from.
PROVENANCE = TableSchema("provenance", (
    C("table", "code"), C("column", "code"),
    C("kind", "code", allowed=("real", "synthetic", "derived")), C("source", "str", required=False),
), key=("table", "column"))
