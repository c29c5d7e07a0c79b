"""Diary template and import (formula 7.1; rules listed in costing.diary)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook

import costing as ct
from costing.workload import diary

HEADER = "worker_id,date,start_time,end_time,activity_code,note\n"
CODES = ct.reference_table("activities")["activity_code"].tolist()


def _csv(tmp_path, body: str, name: str = "diary.csv"):
    path = tmp_path / name
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def test_import_sums_entries_to_daily_minutes(tmp_path):
    path = _csv(tmp_path, "W1001,2024-03-04,08:30,10:00,CLIENT_CONTACT,\n"
                          "W1001,2024-03-04,10:00,10:45,TRAVEL,bus\n"
                          "W1001,2024-03-04,13:00,14:15,CLIENT_CONTACT,\n"
                          "\n"
                          "W1002,2024-03-05,8:00,24:00,OTHER,\n")
    out = ct.import_diary(path)
    # (7.1) contact 08:30-10:00 (90) + 13:00-14:15 (75) = 165 min; travel 45; 08:00-24:00 = 960
    assert out.to_dict("records") == [
        {"worker_id": "W1001", "date": "2024-03-04", "activity_code": "CLIENT_CONTACT",
         "minutes": 165},
        {"worker_id": "W1001", "date": "2024-03-04", "activity_code": "TRAVEL", "minutes": 45},
        {"worker_id": "W1002", "date": "2024-03-05", "activity_code": "OTHER", "minutes": 960},
    ]
    assert list(out.columns) == ["worker_id", "date", "activity_code", "minutes"]
    # the result is a valid time_use table for workload_summary
    s = ct.workload_summary(out, min_workers=1, n_boot=0)
    assert s.loc[s["activity_code"] == "ALL", "hours"].iloc[0] == pytest.approx(1170 / 60)


@pytest.mark.parametrize("body, row, column, rule, value", [
    ("W1,2024-03-04,08:00,09:00,FISHING,\n", 2, "activity_code", "unknown_activity", "FISHING"),
    ("W1,2024-03-04,08:00,10:00,ADMIN,\nW1,2024-03-04,09:30,11:00,OTHER,\n", 3, "start_time",
     "overlap", "09:30"),
    ("W1,2024-13-04,08:00,09:00,ADMIN,\n", 2, "date", "not_a_date", "2024-13-04"),
    ("W1,2024-03-04,8.30,09:00,ADMIN,\n", 2, "start_time", "bad_time_format", "8.30"),
    ("W1,2024-03-04,08:00,24:30,ADMIN,\n", 2, "end_time", "bad_time_format", "24:30"),
    ("W1,2024-03-04,09:00,08:00,ADMIN,\n", 2, "end_time", "end_not_after_start", "08:00"),
    ("Anna,2024-03-04,08:00,09:00,ADMIN,\n", 2, "worker_id", "pattern", "Anna"),
    ("W1,,08:00,09:00,ADMIN,\n", 2, "date", "required", ""),
])
def test_each_rule_names_file_row_column_rule_and_value(tmp_path, body, row, column, rule,
                                                        value):
    path = _csv(tmp_path, body)
    with pytest.raises(ct.DataValidationError) as err:
        ct.import_diary(path)
    e = err.value.errors
    hit = e[e["rule"] == rule]
    assert len(hit) == 1, e
    rec = hit.iloc[0]
    assert (rec["file"], int(rec["row"]), rec["column"], rec["value"]) == (
        "diary.csv", row, column, value)
    assert "diary.csv" in str(err.value)


def test_day_over_24_hours(tmp_path):
    # Overlapping entries are the only way past 24 h: 00:00-24:00 twice = 48 h on one day.
    path = _csv(tmp_path, "W1,2024-03-04,00:00,24:00,ADMIN,\nW1,2024-03-04,00:00,24:00,OTHER,\n")
    with pytest.raises(ct.DataValidationError) as err:
        ct.import_diary(path)
    rules = set(err.value.errors["rule"])
    assert {"overlap", "day_over_24h"} <= rules
    msg = err.value.errors.set_index("rule").loc["day_over_24h", "message"]
    assert "48.0 h on 2024-03-04" in msg


def test_every_problem_is_reported_at_once(tmp_path):
    path = _csv(tmp_path, "W1,2024-03-04,08:00,09:00,FISHING,\n"
                          "W1,2024-03-04,x,09:00,ADMIN,\n"
                          "W1,2024-03-09,08:00,09:00,ADMIN,\n")
    with pytest.raises(ct.DataValidationError) as err:
        ct.import_diary(path, survey_period=("2024-03-04", "2024-03-08"))
    assert set(err.value.errors["rule"]) == {"unknown_activity", "bad_time_format",
                                             "outside_survey_period"}
    out = err.value.errors.set_index("rule")
    assert out.loc["outside_survey_period", "row"] == 4
    assert "2024-03-04..2024-03-08" in out.loc["outside_survey_period", "message"]


def test_semicolon_csv_from_a_latvian_spreadsheet(tmp_path):
    path = tmp_path / "lv.csv"
    path.write_text("\ufeff" + HEADER.replace(",", ";")
                    + "W1;2024-03-04;08:00;09:30;ADMIN;piezīme, ar komatu\n", encoding="utf-8")
    assert ct.import_diary(path)["minutes"].tolist() == [90]


def test_missing_column_and_missing_file(tmp_path):
    path = tmp_path / "short.csv"
    path.write_text("worker_id,date,start_time,activity_code\nW1,2024-03-04,08:00,ADMIN\n")
    with pytest.raises(ct.DataValidationError, match="end_time"):
        ct.import_diary(path)
    with pytest.raises(ct.DataValidationError, match="does not exist"):
        ct.import_diary(tmp_path / "nope.csv")


def test_workers_and_survey_periods_of_a_dataset(mini, tmp_path):
    # mini: W1001 works in LV0026000 in 2024, survey period 2024-03-04..2024-03-15
    path = _csv(tmp_path, "W1001,2024-03-04,08:00,09:00,ADMIN,\n"
                          "W1001,2024-03-18,08:00,09:00,ADMIN,\n"
                          "W7777,2024-03-05,08:00,09:00,ADMIN,\n")
    with pytest.raises(ct.DataValidationError) as err:
        ct.import_diary(path, dataset=mini)
    e = err.value.errors.set_index("row")
    assert e.loc[3, "rule"] == "outside_survey_period"
    assert "survey period 2024-03-04..2024-03-15" in e.loc[3, "message"]
    assert e.loc[4, "rule"] == "unknown_worker" and e.loc[4, "value"] == "W7777"
    ok = _csv(tmp_path, "W1001,2024-03-04,08:00,09:00,ADMIN,\n", "ok.csv")
    assert ct.import_diary(ok, dataset=mini)["minutes"].tolist() == [60]


def test_xlsx_import_with_real_excel_dates_and_times(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.title = "diary"
    ws.append(list(diary.DIARY_COLUMNS))
    ws.append(["W5", dt.datetime(2024, 3, 4), dt.time(8, 0), dt.time(9, 30), "HOME_VISIT", None])
    ws.append(["W5", "2024-03-04", "09:30", "10:00", "TRAVEL", "text cells"])
    ws.append([None] * 6)  # an empty row is ignored
    ws.append(["W5", "2024-03-04", "10:00", "09:00", "TRAVEL", None])
    path = tmp_path / "d.xlsx"
    wb.save(path)
    with pytest.raises(ct.DataValidationError) as err:
        ct.import_diary(path)
    rec = err.value.errors.iloc[0]
    assert (rec["file"], int(rec["row"]), rec["rule"]) == ("d.xlsx", 5, "end_not_after_start")
    ws.delete_rows(5)
    wb.save(path)
    out = ct.import_diary(path)
    assert out.set_index("activity_code")["minutes"].to_dict() == {"HOME_VISIT": 90, "TRAVEL": 30}


def test_templates(tmp_path):
    assert diary.TEMPLATE_CSV.read_text(encoding="utf-8") == HEADER
    path = ct.write_diary_template(tmp_path / "t.xlsx")
    fresh, shipped = load_workbook(path), load_workbook(diary.TEMPLATE_XLSX)
    assert fresh.sheetnames == shipped.sheetnames == ["diary", "activities", "instructions"]
    for name in fresh.sheetnames:  # the shipped file is what the function writes
        assert [list(r) for r in fresh[name].iter_rows(values_only=True)] == \
               [list(r) for r in shipped[name].iter_rows(values_only=True)]
    assert [c.value for c in fresh["diary"][1]] == list(diary.DIARY_COLUMNS)
    codes = [r[0] for r in fresh["activities"].iter_rows(min_row=2, values_only=True)]
    assert codes == CODES
    assert fresh["diary"].data_validations.dataValidation[0].formula1.startswith("=activities!")
    # the empty template imports to an empty table
    assert ct.import_diary(path).empty
    csv = ct.write_diary_template(tmp_path / "t.csv")
    assert ct.import_diary(csv).empty
    with pytest.raises(ct.InputError, match=".csv or .xlsx"):
        ct.write_diary_template(tmp_path / "t.ods")


@pytest.mark.parametrize("language", ["lv", "en"])
def test_instructions_list_every_activity(language):
    text = ct.diary_instructions(language)
    names = ct.reference_table("activities").set_index("activity_code")[f"name_{language}"]
    for code, name in names.items():
        assert f"`{code}` — {name}" in text
    assert "YYYY-MM-DD" in text or "GGGG-MM-DD" in text
    ct.assert_no_worker_ids(text.replace("W1001", ""))  # the example id is the only one
    with pytest.raises(ct.InputError):
        ct.diary_instructions("de")


def test_import_round_trips_time_use_of_the_mini_dataset(mini, tmp_path):
    # Write the mini diaries as back-to-back entries from 08:00 and read them back.
    tu = mini.time_use.sort_values(["worker_id", "date", "activity_code"])
    lines = []
    for (w, d), day in tu.groupby(["worker_id", "date"]):
        t = 8 * 60
        for rec in day.itertuples():
            lines.append(f"{w},{d:%Y-%m-%d},{t // 60:02d}:{t % 60:02d},"
                         f"{(t + rec.minutes) // 60:02d}:{(t + rec.minutes) % 60:02d},"
                         f"{rec.activity_code},")
            t += rec.minutes
    out = ct.import_diary(_csv(tmp_path, "\n".join(lines) + "\n"), dataset=mini)
    expected = tu.assign(date=tu["date"].dt.strftime("%Y-%m-%d"))[list(out.columns)]
    pd.testing.assert_frame_equal(out, expected.reset_index(drop=True), check_dtype=False)


@pytest.mark.parametrize(("period", "match"), [
    (("x", "y"), "survey_period must be two ISO dates"),
    (("2024-03-01",), "survey_period must be two ISO dates"),
    (("2024-03-01", ""), "survey_period must be two ISO dates"),
    (("2024-03-31", "2024-03-01"), r"ends \(2024-03-01\) before it starts \(2024-03-31\)"),
])
def test_bad_survey_period_argument_is_named(tmp_path, period, match):
    path = tmp_path / "d.csv"
    path.write_text("worker_id,date,start_time,end_time,activity_code\n", encoding="utf-8")
    with pytest.raises(ct.InputError, match=match):
        ct.import_diary(path, survey_period=period)
