"""A corpus of broken datasets: each is one small mutation of the valid mini dataset.

Every case asserts the table, column and rule reported (and the line where it is known), and
that loading raises ``DataValidationError`` rather than any other exception.
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from paths import MINI_DIR

import costing as ct
from costing.errors import ERROR_COLUMNS

# --------------------------------------------------------------------------- helpers


def read_rows(d: Path, table: str) -> list[list[str]]:
    with open(d / f"{table}.csv", encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def write_rows(d: Path, table: str, rows: list[list[str]], sep: str = ",",
               encoding: str = "utf-8") -> None:
    buf = io.StringIO()
    csv.writer(buf, delimiter=sep, lineterminator="\n").writerows(rows)
    (d / f"{table}.csv").write_bytes(buf.getvalue().encode(encoding))


def set_cell(d: Path, table: str, line: int, column: str, value: str) -> None:
    """Set one cell; ``line`` is the file line (header = 1)."""
    rows = read_rows(d, table)
    rows[line - 1][rows[0].index(column)] = value
    write_rows(d, table, rows)


def append_row(d: Path, table: str, values: dict[str, str]) -> int:
    """Append a row (missing columns empty); return its line number."""
    rows = read_rows(d, table)
    rows.append([values.get(c, "") for c in rows[0]])
    write_rows(d, table, rows)
    return len(rows)


def line_of(d: Path, table: str, **match: str) -> int:
    """Line number of the first row whose cells equal ``match``."""
    rows = read_rows(d, table)
    for i, r in enumerate(rows[1:], start=2):
        if all(r[rows[0].index(k)] == v for k, v in match.items()):
            return i
    raise LookupError(match)


def drop_column(d: Path, table: str, column: str) -> None:
    rows = read_rows(d, table)
    j = rows[0].index(column)
    write_rows(d, table, [r[:j] + r[j + 1:] for r in rows])


# --------------------------------------------------------------------------- the corpus
# Each mutation changes the dataset folder and returns (table, column, rule, line or None).


def bad_cell(name, table, line, column, value, rule):
    """A mutation that writes ``value`` into one cell and expects ``rule`` on that cell."""
    def mutate(d):
        set_cell(d, table, line, column, value)
        return table, column, rule, line
    mutate.__name__ = name
    return mutate


text_in_number = bad_cell("text_in_number", "expenditure", 5, "amount_eur", "abc", "not_a_number")


decimal_comma = bad_cell("decimal_comma", "outputs", 3, "units", "1234,5", "not_a_number")


fraction_in_int = bad_cell("fraction_in_int", "outputs", 2, "clients", "45.5", "not_a_whole_number")


required_empty = bad_cell("required_empty", "outputs", 4, "units", "", "required")


def missing_column(d):
    drop_column(d, "cost_centres", "places")
    return "cost_centres", "places", "missing_column", 1


def extra_column(d):
    rows = read_rows(d, "outputs")
    write_rows(d, "outputs", [r + (["notes"] if i == 0 else ["x"]) for i, r in enumerate(rows)])
    return "outputs", "notes", "extra_column", 1


def missing_required_table(d):
    (d / "outputs.csv").unlink()
    return "outputs", "", "missing_table", None


def empty_file(d):
    (d / "staff.csv").write_bytes(b"")
    return "staff", "", "empty_file", None


def header_only_required(d):
    write_rows(d, "expenditure", read_rows(d, "expenditure")[:1])
    return "expenditure", "", "empty_table", None


def windows_1257(d):
    rows = read_rows(d, "municipalities")  # line 2 is "Cēsu novads"
    write_rows(d, "municipalities", rows, encoding="cp1257")
    return "municipalities", "", "encoding", 2


def utf16(d):
    write_rows(d, "expenditure", read_rows(d, "expenditure"), encoding="utf-16")
    return "expenditure", "", "encoding", 1


def semicolons(d):
    write_rows(d, "staff", read_rows(d, "staff"), sep=";")
    return "staff", "", "delimiter", 1


def stray_comma(d):
    text = (d / "drivers.csv").read_text(encoding="utf-8").splitlines()
    text[6] += ",extra"
    (d / "drivers.csv").write_text("\n".join(text) + "\n", encoding="utf-8")
    return "drivers", "", "field_count", 7


def unknown_file(d):
    (d / "notes.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    return "notes", "", "unknown_table", None


unknown_cost_centre = bad_cell("unknown_cost_centre", "expenditure", 3, "cost_centre_id",
                               "LV0026000-XX9", "foreign_key")


unknown_ekk = bad_cell("unknown_ekk", "expenditure", 4, "ekk_code", "9999", "foreign_key")


unknown_municipality = bad_cell("unknown_municipality", "cost_centres", 2, "municipality_code",
                                "LV0099000", "foreign_key")


def duplicate_key(d):
    rows = read_rows(d, "expenditure")
    rows.append(list(rows[1]))
    write_rows(d, "expenditure", rows)
    return "expenditure", "year, cost_centre_id, ekk_code", "duplicate_key", len(rows)


def negative_pay(d):
    line = line_of(d, "expenditure", ekk_code="1110")
    set_cell(d, "expenditure", line, "amount_eur", "-100")
    return "expenditure", "amount_eur", "negative_amount", line


worker_fte_above_one = bad_cell("worker_fte_above_one", "workers", 2, "fte", "1.5", "above_maximum")


worker_fte_zero = bad_cell("worker_fte_zero", "workers", 3, "fte", "0", "below_minimum")


def day_over_24h(d):
    line = line_of(d, "time_use", worker_id="W1001", date="2024-03-04",
                   activity_code="CLIENT_CONTACT")
    set_cell(d, "time_use", line, "minutes", "1400")
    return "time_use", "minutes", "minutes_per_day", line


def outside_survey(d):
    line = line_of(d, "time_use", worker_id="W2002", date="2024-03-05", activity_code="TRAVEL")
    set_cell(d, "time_use", line, "date", "2024-03-20")
    return "time_use", "date", "outside_survey_period", line


def output_unit_mismatch(d):
    line = line_of(d, "outputs", cost_centre_id="LV0026000-LTC1", year="2024")
    set_cell(d, "outputs", line, "output_unit", "client_day")
    return "outputs", "output_unit", "output_unit_mismatch", line


def tariff_unit_mismatch(d):
    line = line_of(d, "tariffs", cost_centre_id="LV0026000-HC1")
    set_cell(d, "tariffs", line, "output_unit", "bed_day")
    return "tariffs", "output_unit", "output_unit_mismatch", line


def municipality_not_existing(d):
    append_row(d, "cost_centres", {"cost_centre_id": "LV0038001-HC1",
                                   "municipality_code": "LV0038001", "name": "Home care unit",
                                   "role": "service", "service_code": "HOME_CARE",
                                   "provider_type": "municipal"})
    line = append_row(d, "expenditure", {"year": "2024", "cost_centre_id": "LV0038001-HC1",
                                         "ekk_code": "1110", "amount_eur": "1000"})
    return "expenditure", "cost_centre_id", "municipality_not_existing", line


def driver_from_service(d):
    line = line_of(d, "drivers", from_centre_id="LV0026000-SUP1", to_centre_id="LV0026000-LTC1",
                   year="2024")
    set_cell(d, "drivers", line, "from_centre_id", "LV0026000-HC1")
    return "drivers", "from_centre_id", "driver_from_service_centre", line


def driver_cross_municipality(d):
    line = line_of(d, "drivers", from_centre_id="LV0026000-ADM", to_centre_id="LV0026000-LTC1",
                   year="2023")
    set_cell(d, "drivers", line, "to_centre_id", "LV0054000-LTC1")
    return "drivers", "to_centre_id", "driver_cross_municipality", line


def driver_sum_zero(d):
    rows = read_rows(d, "drivers")
    first = None
    for i, r in enumerate(rows[1:], start=2):
        if r[0] == "2024" and r[1] == "LV0054000-SUP1":
            r[4] = "0"
            first = first or i
    write_rows(d, "drivers", rows)
    return "drivers", "quantity", "driver_sum_zero", first


def time_use_unknown_worker(d):
    line = line_of(d, "time_use", worker_id="W1003")
    set_cell(d, "time_use", line, "worker_id", "W7777")
    return "time_use", "worker_id", "worker_not_in_workers", line


caseload_unknown_worker = bad_cell("caseload_unknown_worker", "caseloads", 4, "worker_id",
                                   "W9999", "worker_not_in_workers")


def time_use_without_workers(d):
    (d / "workers.csv").unlink()
    (d / "caseloads.csv").unlink()
    return "workers", "", "missing_table", None


not_a_date = bad_cell("not_a_date", "survey_periods", 2, "start_date", "04.03.2024", "not_a_date")


survey_end_before_start = bad_cell("survey_end_before_start", "survey_periods", 3, "end_date",
                                   "2024-03-01", "end_before_start")


survey_other_year = bad_cell("survey_other_year", "survey_periods", 2, "end_date",
                             "2025-01-15", "period_outside_year")


def service_code_missing(d):
    line = line_of(d, "cost_centres", cost_centre_id="LV0054000-HC1")
    set_cell(d, "cost_centres", line, "service_code", "")
    return "cost_centres", "service_code", "service_code_required", line


def outputs_of_admin_centre(d):
    line = append_row(d, "outputs", {"year": "2024", "cost_centre_id": "LV0026000-ADM",
                                     "output_unit": "case", "units": "10", "clients": "5"})
    return "outputs", "cost_centre_id", "not_a_service_centre", line


worker_not_social_work = bad_cell("worker_not_social_work", "workers", 4, "job_code",
                                  "CARER", "not_social_work_job")


role_not_allowed = bad_cell("role_not_allowed", "cost_centres", 3, "role", "Service", "not_allowed")


worker_id_pattern = bad_cell("worker_id_pattern", "workers", 2, "worker_id", "1001", "pattern")


staff_fte_over_headcount = bad_cell("staff_fte_over_headcount", "staff", 2, "fte",
                                    "9", "fte_exceeds_headcount")


residual_above_cost = bad_cell("residual_above_cost", "assets", 3, "residual_value_eur",
                               "30000", "residual_not_below_cost")


bad_boolean_in_override = bad_cell("bad_boolean_in_override", "ekk", 2, "allows_negative",
                                   "ja", "not_a_boolean")


bad_region_in_override = bad_cell("bad_region_in_override", "municipalities", 3, "region",
                                  "Vidzemes", "not_allowed")


successor_unknown = bad_cell("successor_unknown", "municipalities", 4, "successor_code",
                             "LV0038002", "successor_unknown")


def stray_quote(d):
    text = (d / "staff.csv").read_text(encoding="utf-8").splitlines()
    text[1] = text[1].replace(",MANAGER,", ',"MANAGER"x,')
    (d / "staff.csv").write_text("\n".join(text) + "\n", encoding="utf-8")
    return "staff", "", "csv_syntax", 2


def huge_whole_number(d):
    set_cell(d, "outputs", 2, "clients", "9" * 30)
    return "outputs", "clients", "not_a_whole_number", 2


def provenance_unknown_column(d):
    line = append_row(d, "provenance", {"table": "expenditure", "column": "amount",
                                        "kind": "synthetic", "source": "x"})
    return "provenance", "column", "foreign_key", line


def ssc_periods_overlap(d):
    set_cell(d, "ssc_rates", 2, "valid_to", "2021-03-31")  # next period starts 2021-01-01
    return "ssc_rates", "valid_to", "overlapping_periods", 2


def cpi_does_not_chain(d):
    line = line_of(d, "cpi", year="2022")
    set_cell(d, "cpi", line, "annual_change", "0.15")
    return "cpi", "cpi_index", "cpi_inconsistent", line


# --- what an accountant's spreadsheet does to the files (each message must say what to write)

def thousands_space_decimal_comma(d):
    set_cell(d, "expenditure", 3, "amount_eur", "21\u00a0231,00")  # Latvian Excel display
    return "expenditure", "amount_eur", "not_a_number", 3


thousands_comma = bad_cell("thousands_comma", "expenditure", 2, "amount_eur",
                           "90,000.00", "not_a_number")


currency_in_amount = bad_cell("currency_in_amount", "expenditure", 2, "amount_eur",
                              "90000.00 EUR", "not_a_number")


date_with_time = bad_cell("date_with_time", "survey_periods", 2, "end_date",
                          "2024-03-15 00:00:00", "not_a_date")


def date_as_day_number(d):
    set_cell(d, "survey_periods", 2, "end_date", "45366")  # Excel's serial for 2024-03-15
    return "survey_periods", "end_date", "not_a_date", 2


code_in_lowercase = bad_cell("code_in_lowercase", "cost_centres", 2, "municipality_code",
                             "lv0026000", "foreign_key")


code_saved_as_number = bad_cell("code_saved_as_number", "expenditure", 2, "ekk_code",
                                "1110.0", "foreign_key")


atvk_without_prefix = bad_cell("atvk_without_prefix", "cost_centres", 2, "municipality_code",
                               "26000", "foreign_key")


def semicolons_and_decimal_comma(d):
    rows = read_rows(d, "expenditure")
    write_rows(d, "expenditure", [[c.replace(".", ",") for c in r] for r in rows], sep=";")
    return "expenditure", "", "delimiter", 1


def workbook_instead_of_csv(d):
    (d / "outputs.csv").rename(d / "outputs.xlsx")
    return "outputs", "", "unreadable", None


percent_for_fraction = bad_cell("percent_for_fraction", "workers", 2, "fte", "50%", "not_a_number")


accounting_negative = bad_cell("accounting_negative", "expenditure", 2, "amount_eur",
                               "(90 000,00)", "not_a_number")


minutes_as_clock_time = bad_cell("minutes_as_clock_time", "time_use", 2, "minutes",
                                 "1:30", "not_a_number")


def header_one_column_too_many(d):
    rows = read_rows(d, "tariffs")
    rows[0].insert(1, "cost_centre")  # every line now has one value fewer than the header
    write_rows(d, "tariffs", rows)
    return "tariffs", "", "field_count", 1


def negative_with_cents(d):
    line = line_of(d, "expenditure", ekk_code="1110")
    set_cell(d, "expenditure", line, "amount_eur", "-466121.06")
    return "expenditure", "amount_eur", "negative_amount", line


# mutation -> text its message must contain (the value to write, or the way out)
HINTS = {
    thousands_space_decimal_comma: "write 21231.00",
    thousands_comma: "write 90000.00",
    currency_in_amount: "write 90000.00",
    decimal_comma: "write 1234.5",
    not_a_date: "write 2024-03-04",
    date_with_time: "write 2024-03-15, without the time",
    date_as_day_number: "day number",
    code_in_lowercase: "did you mean 'LV0026000'",
    code_saved_as_number: "did you mean '1110'",
    atvk_without_prefix: "did you mean 'LV0026000'",
    semicolons_and_decimal_comma: "decimal comma",
    workbook_instead_of_csv: "save it as outputs.csv",
    percent_for_fraction: "write 0.5",
    accounting_negative: "write -90000.00",
    minutes_as_clock_time: "write 90",
    header_one_column_too_many: "header (line 1) has",
    negative_with_cents: "negative (-466121.06)",  # the value as written, not rounded
}

MUTATIONS = [
    text_in_number, decimal_comma, fraction_in_int, required_empty, missing_column, extra_column,
    missing_required_table, empty_file, header_only_required, windows_1257, utf16, semicolons,
    stray_comma, unknown_file, unknown_cost_centre, unknown_ekk, unknown_municipality,
    duplicate_key, negative_pay, worker_fte_above_one, worker_fte_zero, day_over_24h,
    outside_survey, output_unit_mismatch, tariff_unit_mismatch, municipality_not_existing,
    driver_from_service, driver_cross_municipality, driver_sum_zero, time_use_unknown_worker,
    caseload_unknown_worker, time_use_without_workers, not_a_date, survey_end_before_start,
    survey_other_year, service_code_missing, outputs_of_admin_centre, worker_not_social_work,
    role_not_allowed, worker_id_pattern, staff_fte_over_headcount, residual_above_cost,
    bad_boolean_in_override, bad_region_in_override, successor_unknown,
    provenance_unknown_column, ssc_periods_overlap, cpi_does_not_chain, stray_quote,
    huge_whole_number, thousands_space_decimal_comma, thousands_comma, currency_in_amount,
    date_with_time, date_as_day_number, code_in_lowercase, code_saved_as_number,
    atvk_without_prefix, semicolons_and_decimal_comma, percent_for_fraction,
    accounting_negative, minutes_as_clock_time, header_one_column_too_many,
]


def test_the_valid_dataset_loads(valid_dataset_dir):
    ds = ct.load_dataset(valid_dataset_dir)
    assert len(ds.expenditure) == 89


def test_corpus_is_large_enough():
    assert len(MUTATIONS) >= 25


@pytest.mark.parametrize("mutate", MUTATIONS, ids=[m.__name__ for m in MUTATIONS])
def test_broken_dataset_reports_the_problem(valid_dataset_dir, mutate):
    table, column, rule, line = mutate(valid_dataset_dir)
    with pytest.raises(ct.DataValidationError) as info:
        ct.load_dataset(valid_dataset_dir)
    errors = info.value.errors
    assert list(errors.columns) == ERROR_COLUMNS
    hit = errors[(errors["table"] == table) & (errors["column"] == column)
                 & (errors["rule"] == rule)]
    assert len(hit) >= 1, f"expected {table}/{column}/{rule}, got:\n{errors.to_string()}"
    if line is not None:
        assert line in hit["row"].tolist(), hit.to_string()
    assert hit["message"].str.len().min() > 10
    # a single mutation gives a single kind of problem (no cascade of follow-up errors)
    assert errors["rule"].nunique() == 1, errors.to_string()


@pytest.mark.parametrize("mutate", list(HINTS), ids=[m.__name__ for m in HINTS])
def test_message_says_what_to_write_instead(valid_dataset_dir, mutate):
    table, column, rule, line = mutate(valid_dataset_dir)
    with pytest.raises(ct.DataValidationError) as info:
        ct.load_dataset(valid_dataset_dir)
    errs = info.value.errors
    hit = errs[(errs["table"] == table) & (errs["rule"] == rule)]
    assert len(hit) >= 1, errs.to_string()
    assert HINTS[mutate] in hit["message"].iloc[0], hit["message"].iloc[0]


def test_a_wrong_header_is_one_problem_not_one_per_line(valid_dataset_dir):
    header_one_column_too_many(valid_dataset_dir)
    with pytest.raises(ct.DataValidationError) as info:
        ct.load_dataset(valid_dataset_dir)
    assert len(info.value.errors) == 1


def test_empty_columns_after_the_last_name_are_spreadsheet_leftovers(valid_dataset_dir):
    # Excel writes "a,b,," when cells right of the table were once touched; some rows keep the
    # trailing commas and some do not
    path = valid_dataset_dir / "expenditure.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[0] += ",,"
    lines[1] += ",,"
    lines[2] += ","
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ds = ct.load_dataset(valid_dataset_dir)
    assert list(ds.expenditure.columns) == ["year", "cost_centre_id", "ekk_code", "amount_eur"]
    assert len(ds.expenditure) == 89


def test_all_problems_are_reported_at_once(valid_dataset_dir):
    chosen = [text_in_number, unknown_ekk, worker_fte_above_one, outside_survey,
              output_unit_mismatch, extra_column, semicolons, negative_pay]
    expected = {m(valid_dataset_dir)[1:3] for m in chosen}
    with pytest.raises(ct.DataValidationError) as info:
        ct.load_dataset(valid_dataset_dir)
    found = set(zip(info.value.errors["column"], info.value.errors["rule"], strict=True))
    assert expected <= found
    assert len(info.value.errors) >= len(chosen)


def test_every_bad_cell_is_listed_not_only_the_first(valid_dataset_dir):
    rows = read_rows(valid_dataset_dir, "expenditure")
    for r in rows[1:]:
        r[3] = "n/a"
    write_rows(valid_dataset_dir, "expenditure", rows)
    with pytest.raises(ct.DataValidationError) as info:
        ct.load_dataset(valid_dataset_dir)
    errs = info.value.errors
    assert (errs["rule"] == "not_a_number").sum() == len(rows) - 1
    assert sorted(errs["row"].tolist()) == list(range(2, len(rows) + 1))


def test_error_names_file_row_column_rule_value(valid_dataset_dir):
    set_cell(valid_dataset_dir, "staff", 6, "headcount", "three")
    with pytest.raises(ct.DataValidationError) as info:
        ct.load_dataset(valid_dataset_dir)
    rec = info.value.errors.iloc[0]
    assert (rec["file"], rec["row"], rec["column"], rec["rule"], rec["value"]) == (
        "staff.csv", 6, "headcount", "not_a_number", "three")
    assert "staff.csv, row 6, column headcount" in str(info.value)


def test_encoding_error_names_the_line(valid_dataset_dir):
    rows = read_rows(valid_dataset_dir, "cost_centres")
    rows[4][2] = "Aprūpes centrs"  # line 5 gets a non-ASCII character
    write_rows(valid_dataset_dir, "cost_centres", rows, encoding="cp1257")
    with pytest.raises(ct.DataValidationError) as info:
        ct.load_dataset(valid_dataset_dir)
    rec = info.value.errors.iloc[0]
    assert rec["rule"] == "encoding" and rec["row"] == 5
    assert "not UTF-8" in rec["message"] and "line 5" in rec["message"]


def test_line_numbers_count_blank_lines_and_quoted_newlines(valid_dataset_dir):
    path = valid_dataset_dir / "outputs.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    # a blank line after line 2 and a multi-line quoted value are both counted like a spreadsheet
    lines.insert(2, "")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rows = read_rows(valid_dataset_dir, "cost_centres")
    rows[1][2] = "Social service\nadministration"
    write_rows(valid_dataset_dir, "cost_centres", rows)
    set_cell(valid_dataset_dir, "cost_centres", 3, "provider_type", "city")  # physical line 4
    text = path.read_text(encoding="utf-8").splitlines()
    text[5] = text[5].replace(",bed_day,", ",bed_days,")  # line 6 of the file
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    with pytest.raises(ct.DataValidationError) as info:
        ct.load_dataset(valid_dataset_dir)
    errs = info.value.errors.set_index("rule")
    assert errs.loc["not_allowed", "row"] == 4
    assert errs.loc["foreign_key", "row"] == 6


def test_a_rule_fires_once_per_offending_row_and_keeps_codes_as_text(valid_dataset_dir):
    set_cell(valid_dataset_dir, "expenditure", 2, "ekk_code", "01110")
    with pytest.raises(ct.DataValidationError) as info:
        ct.load_dataset(valid_dataset_dir)
    errs = info.value.errors
    assert len(errs) == 1 and errs.loc[0, "value"] == "01110"


def test_missing_path_and_unreadable_sqlite(tmp_path):
    with pytest.raises(ct.DataValidationError) as info:
        ct.load_dataset(tmp_path / "nope")
    assert info.value.errors.loc[0, "rule"] == "path_not_found"
    fake = tmp_path / "broken.sqlite"
    fake.write_bytes(b"this is not a database at all" * 10)
    with pytest.raises(ct.DataValidationError) as info:
        ct.load_dataset(fake)
    assert info.value.errors.loc[0, "rule"] in {"unreadable", "schema_version"}
    # a CSV file renamed .sqlite: one problem that says so, not three "missing table" too
    fake.write_text("year,cost_centre_id,ekk_code,amount_eur\n2023,X,1110,1.00\n",
                    encoding="utf-8")
    with pytest.raises(ct.DataValidationError) as info:
        ct.load_dataset(fake)
    errs = info.value.errors
    assert errs["rule"].tolist() == ["unreadable"], errs.to_string()
    assert "looks like a text/CSV file" in errs.loc[0, "message"]
    text = tmp_path / "data.txt"
    text.write_text("x")
    with pytest.raises(ct.DataValidationError) as info:
        ct.load_dataset(text)
    assert info.value.errors.loc[0, "rule"] == "not_a_dataset"


def test_errors_frame_types(valid_dataset_dir):
    unknown_ekk(valid_dataset_dir)
    with pytest.raises(ct.DataValidationError) as info:
        ct.load_dataset(valid_dataset_dir)
    errs = info.value.errors
    assert str(errs["row"].dtype) == "Int64"
    assert isinstance(errs, pd.DataFrame)


# --------------------------------------------------------------------------- fuzzing
# Whatever a cell or a file contains, loading gives a Dataset or a DataValidationError with a
# readable problem list, never another exception.

TABLE_FILES = sorted(p.stem for p in (MINI_DIR).glob("*.csv"))


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=st.sampled_from(TABLE_FILES), line=st.integers(1, 40), col=st.integers(0, 7),
       value=st.text(max_size=12))
def test_any_cell_value_gives_a_dataset_or_a_problem_list(valid_dataset_dir, tmp_path_factory,
                                                           table, line, col, value):
    d = tmp_path_factory.mktemp("fuzz") / "mini"
    shutil.copytree(valid_dataset_dir, d)
    rows = read_rows(d, table)
    r, c = min(line, len(rows)) - 1, min(col, len(rows[0]) - 1)
    rows[r][c] = value
    write_rows(d, table, rows)
    try:
        ct.load_dataset(d)
    except ct.DataValidationError as e:
        assert len(e.errors) >= 1
        assert e.errors["rule"].str.len().min() > 0 and e.errors["message"].str.len().min() > 0


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=st.sampled_from(TABLE_FILES), at=st.integers(0, 2000),
       junk=st.binary(min_size=1, max_size=8))
def test_any_byte_junk_gives_a_dataset_or_a_problem_list(valid_dataset_dir, tmp_path_factory,
                                                         table, at, junk):
    d = tmp_path_factory.mktemp("bytes") / "mini"
    shutil.copytree(valid_dataset_dir, d)
    raw = (d / f"{table}.csv").read_bytes()
    at = min(at, len(raw))
    (d / f"{table}.csv").write_bytes(raw[:at] + junk + raw[at:])
    try:
        ct.load_dataset(d)
    except ct.DataValidationError as e:
        assert len(e.errors) >= 1
