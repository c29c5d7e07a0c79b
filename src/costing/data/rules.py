"""Cross-table rules of the dataset (see ``docs/data-model.md``, column "rules").

Each function takes the typed tables (indexed by line number, invalid cells already NaN and
reported) and adds one row per offending line to a :class:`~costing.data.problems.Problems`.
Rows whose inputs are missing or invalid are skipped here, so one mistake is reported once.

Rule names: ``successor_unknown``, ``end_before_start``, ``service_code_required``,
``service_code_not_allowed``, ``negative_amount``, ``municipality_not_existing``,
``fte_exceeds_headcount``, ``not_social_work_job``, ``not_a_service_centre``,
``output_unit_mismatch``, ``driver_from_service_centre``, ``driver_self``,
``driver_cross_municipality``, ``driver_sum_zero``, ``period_outside_year``,
``worker_not_in_workers``, ``minutes_per_day``, ``outside_survey_period``,
``residual_not_below_cost``, ``disposal_before_acquisition``, ``overlapping_periods``,
``cpi_inconsistent``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from .problems import Problems, show_value

MINUTES_PER_DAY = 24 * 60
#: Largest accepted gap between cpi_index[y] / cpi_index[y-1] - 1 and annual_change[y]
#: (the index is published with 4 decimals, so rounding alone stays far below this).
CPI_TOLERANCE = 1e-4


def _lookup(df: pd.DataFrame, key: str, cols: list[str]) -> pd.DataFrame:
    return df.dropna(subset=[key]).drop_duplicates(key).set_index(key)[cols]


def _map(s: pd.Series, table: pd.DataFrame, col: str) -> pd.Series:
    """Values of ``table[col]`` looked up by the values of ``s`` (NaN where unknown)."""
    return s.map(table[col]) if len(table) else pd.Series(np.nan, index=s.index)


def check_municipalities(t: Mapping[str, pd.DataFrame], p: Problems) -> None:
    m = t.get("municipalities")
    if m is None:
        return
    codes = set(m["atvk_code"].dropna())
    succ = m["successor_code"].dropna()
    parts = succ.str.split("|").explode().str.strip()
    bad = ~parts.isin(codes)
    for line, v in parts[bad].items():
        p.add("municipalities", "successor_code", "successor_unknown",
              f"successor_code '{v}' is not an atvk_code of municipalities", rows=[line], values=v)
    _end_before_start(m, "valid_from", "valid_to", "municipalities", p)


def _end_before_start(df: pd.DataFrame, start: str, end: str, table: str, p: Problems) -> None:
    bad = df[end].notna() & df[start].notna() & (df[end] < df[start])
    if bad.any():
        rows = df.index[bad]
        p.add(table, end, "end_before_start",
              [f"{end} {e:%Y-%m-%d} is before {start} {s:%Y-%m-%d}"
               for s, e in zip(df.loc[bad, start], df.loc[bad, end], strict=True)],
              rows=rows, values=df.loc[bad, end].dt.strftime("%Y-%m-%d"))


def check_rates(t: Mapping[str, pd.DataFrame], p: Problems) -> None:
    """ssc_rates: periods of one rate_id must not overlap; cpi: the index chains its changes."""
    r = t.get("ssc_rates")
    if r is not None:
        _end_before_start(r, "valid_from", "valid_to", "ssc_rates", p)
        ok = r.dropna(subset=["rate_id", "valid_from"]).sort_values(["rate_id", "valid_from"])
        nxt = ok.groupby("rate_id", sort=False)["valid_from"].shift(-1)
        bad = nxt.notna() & (ok["valid_to"].isna() | (ok["valid_to"] >= nxt))
        p.add("ssc_rates", "valid_to", "overlapping_periods",
              [f"{i}: this period overlaps the next one, which starts {n:%Y-%m-%d}"
               for i, n in zip(ok.loc[bad, "rate_id"], nxt[bad], strict=True)],
              rows=ok.index[bad], values=ok.loc[bad, "valid_to"].dt.strftime("%Y-%m-%d"))
    c = t.get("cpi")
    if c is not None:
        c = c.dropna(subset=["year", "cpi_index"]).sort_values("year")
        prev = c["cpi_index"].shift(1).where(c["year"].diff() == 1)
        implied = c["cpi_index"] / prev - 1.0
        bad = (implied - c["annual_change"]).abs() > CPI_TOLERANCE
        p.add("cpi", "cpi_index", "cpi_inconsistent",
              [f"cpi_index {i:g} / {q:g} - 1 = {m:.4f}, but annual_change is {a:g}"
               for i, q, m, a in zip(c.loc[bad, "cpi_index"], prev[bad], implied[bad],
                                     c.loc[bad, "annual_change"], strict=True)],
              rows=c.index[bad], values=c.loc[bad, "cpi_index"])


def check_cost_centres(t: Mapping[str, pd.DataFrame], p: Problems) -> None:
    cc = t.get("cost_centres")
    if cc is None:
        return
    need = (cc["role"] == "service") & cc["service_code"].isna()
    p.add("cost_centres", "service_code", "service_code_required",
          "a cost centre with role 'service' needs a service_code (a code of services.csv, "
          "e.g. LTC or HOME_CARE)", rows=cc.index[need], values="")
    extra = cc["role"].isin(["support", "admin"]) & cc["service_code"].notna()
    p.add("cost_centres", "service_code", "service_code_not_allowed",
          [f"a {r} cost centre must have an empty service_code, found '{v}'"
           for r, v in zip(cc.loc[extra, "role"], cc.loc[extra, "service_code"], strict=True)],
          rows=cc.index[extra], values=cc.loc[extra, "service_code"])


def check_expenditure(t: Mapping[str, pd.DataFrame], p: Problems) -> None:
    ex, ekk = t.get("expenditure"), t.get("ekk")
    if ex is None or ekk is None:
        return
    allows = _map(ex["ekk_code"], _lookup(ekk, "ekk_code", ["allows_negative"]), "allows_negative")
    bad = (ex["amount_eur"] < 0) & (allows == False)  # noqa: E712 - NaN (unknown code) is skipped
    p.add("expenditure", "amount_eur", "negative_amount",
          [f"amount_eur is negative ({show_value(a)}) but EKK {c} does not allow refunds or "
           "corrections (check the sign; a refund is netted against the expense of the year "
           "or booked under a code that allows it, see ekk.allows_negative)"
           for a, c in zip(ex.loc[bad, "amount_eur"], ex.loc[bad, "ekk_code"], strict=True)],
          rows=ex.index[bad], values=ex.loc[bad, "amount_eur"])


def _centre_municipality(t: Mapping[str, pd.DataFrame], ids: pd.Series) -> pd.Series:
    cc = _lookup(t["cost_centres"], "cost_centre_id", ["municipality_code"])
    return _map(ids, cc, "municipality_code")


def check_existence(t: Mapping[str, pd.DataFrame], p: Problems) -> None:
    """Data for a year in which its municipality did not exist (``municipality_not_existing``).

    A municipality existed in year Y if [valid_from, valid_to] overlaps that calendar year.
    """
    if "municipalities" not in t:
        return
    m = _lookup(t["municipalities"], "atvk_code", ["valid_from", "valid_to", "name"])
    first, last = m["valid_from"].dt.year, m["valid_to"].dt.year
    centre_muni = (_lookup(t["cost_centres"], "cost_centre_id", ["municipality_code"])
                   ["municipality_code"] if "cost_centres" in t else None)
    targets = [(n, "cost_centre_id") for n in ("expenditure", "staff", "workers", "outputs",
                                               "tariffs")]
    targets += [("drivers", "from_centre_id"), ("drivers", "to_centre_id"),
                ("survey_periods", "municipality_code")]
    for name, col in targets:
        df = t.get(name)
        if df is None or (col != "municipality_code" and centre_muni is None):
            continue
        codes = df[col] if col == "municipality_code" else df[col].map(centre_muni)
        y = df["year"].astype("float64")
        bad = ((codes.map(first) > y) | (codes.map(last) < y)).to_numpy(dtype=bool)
        if not bad.any():
            continue
        msgs = []
        for code, year in zip(codes[bad], df.loc[bad, "year"], strict=True):
            vf, vt = m.at[code, "valid_from"], m.at[code, "valid_to"]
            span = f"{vf:%Y-%m-%d} – {'' if pd.isna(vt) else f'{vt:%Y-%m-%d}'}"
            msgs.append(f"municipality {code} ({m.at[code, 'name']}) did not exist in {year}"
                        f" (valid {span})")
        p.add(name, col, "municipality_not_existing", msgs, rows=df.index[bad],
              values=df.loc[bad, col])


def check_staff(t: Mapping[str, pd.DataFrame], p: Problems) -> None:
    st = t.get("staff")
    if st is not None:
        bad = st["fte"] > st["headcount"].astype("float64")
        p.add("staff", "fte", "fte_exceeds_headcount",
              [f"fte {f:g} is more than headcount {h} (one person works at most 1 FTE)"
               for f, h in zip(st.loc[bad, "fte"], st.loc[bad, "headcount"], strict=True)],
              rows=st.index[bad], values=st.loc[bad, "fte"])
    w, jobs = t.get("workers"), t.get("jobs")
    if w is not None and jobs is not None:
        spec = _map(w["job_code"], _lookup(jobs, "job_code", ["is_social_work_specialist"]),
                    "is_social_work_specialist")
        bad = spec == False  # noqa: E712 - NaN (unknown job) is reported as a foreign key
        p.add("workers", "job_code", "not_social_work_job",
              [f"job {j} is not a social-work specialist job; workers lists social-work staff only"
               for j in w.loc[bad, "job_code"]], rows=w.index[bad], values=w.loc[bad, "job_code"])


def check_outputs(t: Mapping[str, pd.DataFrame], p: Problems) -> None:
    """Outputs and tariffs: only service centres, in the unit of the centre's service."""
    cc, services = t.get("cost_centres"), t.get("services")
    if cc is None:
        return
    info = _lookup(cc, "cost_centre_id", ["role", "service_code"])
    for name in ("outputs", "tariffs"):
        df = t.get(name)
        if df is None:
            continue
        role = _map(df["cost_centre_id"], info, "role")
        bad = role.notna() & (role != "service")
        p.add(name, "cost_centre_id", "not_a_service_centre",
              [f"cost centre {c} has role '{r}'; only service centres have {name}"
               for c, r in zip(df.loc[bad, "cost_centre_id"], role[bad], strict=True)],
              rows=df.index[bad], values=df.loc[bad, "cost_centre_id"])
        if services is None:
            continue
        svc = _map(df["cost_centre_id"], info, "service_code")
        unit = _map(svc, _lookup(services, "service_code", ["output_unit"]), "output_unit")
        bad = unit.notna() & df["output_unit"].notna() & (unit != df["output_unit"])
        p.add(name, "output_unit", "output_unit_mismatch",
              [f"output_unit '{u}' does not match service {s}, which is measured in '{e}'"
               for u, s, e in zip(df.loc[bad, "output_unit"], svc[bad], unit[bad], strict=True)],
              rows=df.index[bad], values=df.loc[bad, "output_unit"])


def check_drivers(t: Mapping[str, pd.DataFrame], p: Problems) -> None:
    d, cc = t.get("drivers"), t.get("cost_centres")
    if d is None or cc is None:
        return
    info = _lookup(cc, "cost_centre_id", ["role", "municipality_code"])
    role = _map(d["from_centre_id"], info, "role")
    bad = role == "service"
    p.add("drivers", "from_centre_id", "driver_from_service_centre",
          [f"{c} is a service centre; only support or admin centres are allocated"
           for c in d.loc[bad, "from_centre_id"]],
          rows=d.index[bad], values=d.loc[bad, "from_centre_id"])
    bad = d["from_centre_id"].notna() & (d["from_centre_id"] == d["to_centre_id"])
    p.add("drivers", "to_centre_id", "driver_self",
          "a centre cannot allocate cost to itself", rows=d.index[bad],
          values=d.loc[bad, "to_centre_id"])
    mf = _map(d["from_centre_id"], info, "municipality_code")
    mt = _map(d["to_centre_id"], info, "municipality_code")
    bad = mf.notna() & mt.notna() & (mf != mt)
    p.add("drivers", "to_centre_id", "driver_cross_municipality",
          [f"{b} belongs to {y}, but {a} belongs to {x}; drivers stay within one municipality"
           for a, x, b, y in zip(d.loc[bad, "from_centre_id"], mf[bad],
                                 d.loc[bad, "to_centre_id"], mt[bad], strict=True)],
          rows=d.index[bad], values=d.loc[bad, "to_centre_id"])
    ok = d.dropna(subset=["year", "from_centre_id"])
    grp = ok.assign(line=ok.index).groupby(["year", "from_centre_id"], sort=False)
    agg = grp.agg(total=("quantity", "sum"), line=("line", "min"))
    zero = agg[agg["total"] <= 0]
    p.add("drivers", "quantity", "driver_sum_zero",
          [f"the quantities of {c} in {y} add up to 0; nothing to allocate by"
           for y, c in zero.index], rows=zero["line"], values=zero["total"])


def check_survey(t: Mapping[str, pd.DataFrame], p: Problems) -> None:
    sp = t.get("survey_periods")
    if sp is None:
        return
    _end_before_start(sp, "start_date", "end_date", "survey_periods", p)
    for col in ("start_date", "end_date"):
        bad = sp[col].notna() & sp["year"].notna() & (sp[col].dt.year != sp["year"])
        p.add("survey_periods", col, "period_outside_year",
              [f"{col} {d:%Y-%m-%d} is not in year {y}"
               for d, y in zip(sp.loc[bad, col], sp.loc[bad, "year"], strict=True)],
              rows=sp.index[bad], values=sp.loc[bad, col].dt.strftime("%Y-%m-%d"))


def _worker_exists(df: pd.DataFrame, years: pd.Series, workers: pd.DataFrame, name: str,
                   p: Problems) -> pd.Series:
    """Report rows whose (year, worker_id) is not in workers; return their centre ids."""
    w = workers.dropna(subset=["year", "worker_id"]).drop_duplicates(["year", "worker_id"])
    key = pd.MultiIndex.from_arrays([w["year"].astype("float64"), w["worker_id"]])
    centre = pd.Series(w["cost_centre_id"].to_numpy(), index=key)
    probe = pd.MultiIndex.from_arrays([years.astype("float64"), df["worker_id"]])
    found = probe.isin(key)
    bad = ~found & df["worker_id"].notna().to_numpy() & years.notna().to_numpy()
    if bad.any():
        p.add(name, "worker_id", "worker_not_in_workers",
              [f"worker {w_} is not in workers for {int(y)}"
               for w_, y in zip(df.loc[bad, "worker_id"], years[bad], strict=True)],
              rows=df.index[bad], values=df.loc[bad, "worker_id"])
    out = pd.Series(np.nan, index=df.index, dtype="object")
    out[found] = centre.reindex(probe[found]).to_numpy()
    return out


def check_time_use(t: Mapping[str, pd.DataFrame], p: Problems) -> None:
    tu, workers = t.get("time_use"), t.get("workers")
    if tu is None:
        return
    ok = tu.dropna(subset=["worker_id", "date", "minutes"])
    day = ok.assign(line=ok.index).groupby(["worker_id", "date"], sort=False).agg(
        minutes=("minutes", "sum"), line=("line", "min"))
    over = day[day["minutes"] > MINUTES_PER_DAY]
    p.add("time_use", "minutes", "minutes_per_day",
          [f"worker {w} has {m} minutes on {d:%Y-%m-%d}; a day has at most {MINUTES_PER_DAY}"
           for (w, d), m in zip(over.index, over["minutes"], strict=True)],
          rows=over["line"], values=over["minutes"])
    if workers is None:
        return
    years = tu["date"].dt.year
    centre = _worker_exists(tu, years, workers, "time_use", p)
    sp = t.get("survey_periods")
    if sp is None or "cost_centres" not in t:
        return
    muni = _centre_municipality(t, centre)
    sp = sp.dropna(subset=["municipality_code", "year"]).drop_duplicates(
        ["municipality_code", "year"])
    key = pd.MultiIndex.from_arrays([sp["municipality_code"], sp["year"].astype("float64")])
    start = pd.Series(sp["start_date"].to_numpy(), index=key)
    end = pd.Series(sp["end_date"].to_numpy(), index=key)
    probe = pd.MultiIndex.from_arrays([muni, years.astype("float64")])
    has_period = probe.isin(key)
    s = start.reindex(probe).to_numpy()
    e = end.reindex(probe).to_numpy()
    dates = tu["date"].to_numpy()
    known = muni.notna().to_numpy() & ~pd.isna(dates)
    # a period with invalid dates was reported already; a missing period is a problem here
    usable = has_period & ~pd.isna(s) & ~pd.isna(e) & (s <= e)
    outside = known & ((usable & ~((dates >= s) & (dates <= e))) | ~has_period)
    if outside.any():
        p.add("time_use", "date", "outside_survey_period",
              [f"{d:%Y-%m-%d} is outside the survey period of {m} in {d.year}"
               + (" (survey_periods has no row for it)" if pd.isna(a)
                  else f" ({a:%Y-%m-%d} – {b:%Y-%m-%d})")
               for d, m, a, b in zip(tu.loc[outside, "date"], muni[outside],
                                     pd.Series(s[outside]), pd.Series(e[outside]), strict=True)],
              rows=tu.index[outside], values=tu.loc[outside, "date"].dt.strftime("%Y-%m-%d"))


def check_caseloads(t: Mapping[str, pd.DataFrame], p: Problems) -> None:
    cl, workers = t.get("caseloads"), t.get("workers")
    if cl is not None and workers is not None:
        _worker_exists(cl, cl["year"], workers, "caseloads", p)


def check_assets(t: Mapping[str, pd.DataFrame], p: Problems) -> None:
    a = t.get("assets")
    if a is None:
        return
    bad = a["residual_value_eur"] >= a["acquisition_cost_eur"]
    p.add("assets", "residual_value_eur", "residual_not_below_cost",
          [f"residual value {show_value(r)} must be less than the acquisition cost {show_value(c)}"
           for r, c in zip(a.loc[bad, "residual_value_eur"], a.loc[bad, "acquisition_cost_eur"],
                           strict=True)],
          rows=a.index[bad], values=a.loc[bad, "residual_value_eur"])
    bad = (a["disposal_year"] < a["acquisition_year"]).fillna(False).astype(bool)
    p.add("assets", "disposal_year", "disposal_before_acquisition",
          [f"disposal_year {d} is before acquisition_year {q}"
           for d, q in zip(a.loc[bad, "disposal_year"], a.loc[bad, "acquisition_year"],
                           strict=True)],
          rows=a.index[bad], values=a.loc[bad, "disposal_year"])


def check_cross_table(t: Mapping[str, pd.DataFrame], p: Problems) -> None:
    """Run every cross-table rule on the typed tables ``t`` (absent tables are skipped)."""
    check_municipalities(t, p)
    check_rates(t, p)
    check_cost_centres(t, p)
    check_expenditure(t, p)
    if "municipalities" in t:
        check_existence(t, p)
    check_staff(t, p)
    check_outputs(t, p)
    check_drivers(t, p)
    check_survey(t, p)
    check_time_use(t, p)
    check_caseloads(t, p)
    check_assets(t, p)
