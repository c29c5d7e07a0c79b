"""Benchmark: ``costing validate`` on a dataset whose ``time_use.csv`` is about 200 MB.

The demo dataset is copied to a temporary folder and its ``time_use.csv`` (116,000 diary rows,
3.9 MB) is replaced by a national-scale one, built from the demo's own diary days: every 2024
worker of the demo, plus a copy of each with a new id (``W1`` + the old digits), records one of
its demo days on every weekday of 2024 (about 6.3 million rows, 200 MB). ``workers.csv`` gets the
copies and ``survey_periods.csv`` covers the whole of 2024, so the big dataset is valid.

Measured, each in a fresh child process (``python -m costing.cli validate FOLDER``): wall time
and peak resident memory (``ru_maxrss`` of the child, from :func:`os.wait4`) — the figure the
operating system kills a process for, numpy and pandas buffers and the interpreter included.
Bar: peak <= 1.5 GiB. Then the same with bad cells spread through the big file (a text in
``minutes``, a dotted date, an unknown activity, a zero-width space in a worker id, a line with a
value missing, a quoted line, a repeated key), and the reported file/line/column/rule are
compared with the cells that were spoilt.

Run: ``python benchmarks/bench_big_validation.py [--mb 200] [--keep DIR] [--no-bad]`` (about a
minute per run on the 2-core development machine; writes about 400 MB to the temporary folder).

Measured on the 2-core development machine (6.0 million rows, 204 MB; other jobs running):
before block reading, 2,301 MiB and 23.7 s for the valid file, 4,184 MiB and 56 s with bad
cells (a quote or a ragged line sent the whole file through the csv module); with block
reading (16 MiB blocks, categorical columns), 778-817 MiB and 18-22 s valid, 1,030 MiB and
25-28 s with bad cells, every spoilt line reported with its rule. Reading the file alone: the
whole-file path 12.1 s / 2,125 MiB; blocks 6.9 s / 472 MiB; pyarrow's ``read_csv`` (all
strings) 0.7-1.7 s / 410-440 MiB, dictionary-encoded to pandas 1.9-3.0 s / 360-390 MiB. The
library keeps its own block reader: pyarrow would save 3-5 s of about 20 s, but it drops blank
lines (so line numbers), stops at the first ragged line with its own message, and its presence
changes pandas' default string storage for the whole library.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"
YEAR = 2024
BAR_MIB = 1.5 * 1024
#: Bad cells written into the file with bad cells: (kind, rule expected in the problem list).
BAD_KINDS = [
    ("text_minutes", "not_a_number"),
    ("dotted_date", "not_a_date"),
    ("unknown_activity", "foreign_key"),
    ("zero_width_space", "invisible_character"),
    ("value_missing", "field_count"),
    ("quoted_line", None),  # valid, but quotes make that part of the file take the careful path
    ("repeated_key", "duplicate_key"),
]


def _day_profiles(demo: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The demo diary as (rows sorted by worker-day, one row per worker-day with its slice)."""
    tu = pd.read_csv(demo / "time_use.csv", dtype=str)
    tu = tu.sort_values(["worker_id", "date"], kind="stable").reset_index(drop=True)
    grp = tu.groupby(["worker_id", "date"], sort=False)
    days = pd.DataFrame({"start": grp.ngroup().drop_duplicates().index.to_numpy()})
    days["worker_id"] = tu.loc[days["start"], "worker_id"].to_numpy()
    days["length"] = np.diff(np.append(days["start"].to_numpy(), len(tu)))
    return tu, days


def write_big_dataset(target: Path, mb: float = 200.0, bad: bool = False,
                      seed: int = 10) -> dict[int, str]:
    """Copy the demo to ``target`` with a ``time_use.csv`` of about ``mb`` MB.

    Parameters
    ----------
    target : pathlib.Path
        A folder that does not exist yet.
    mb : float
        Size of the new ``time_use.csv`` [MB, 10**6 bytes], approximately.
    bad : bool
        Spoil a few cells spread through the file (see :data:`BAD_KINDS`).
    seed : int
        Seed of the choice of demo day behind each new worker-day.

    Returns
    -------
    dict of int to str
        Line number (header = 1) of every spoilt line -> its kind (empty when ``bad`` is False).
    """
    shutil.copytree(DEMO, target)
    rng = np.random.default_rng(seed)
    tu, days = _day_profiles(DEMO)
    workers = pd.read_csv(DEMO / "workers.csv", dtype=str)
    w24 = workers[workers["year"] == str(YEAR)]
    copies = w24.assign(worker_id="W1" + w24["worker_id"].str[1:])
    pd.concat([workers, copies]).to_csv(target / "workers.csv", index=False)
    sp = pd.read_csv(DEMO / "survey_periods.csv", dtype=str)
    sp = sp.assign(start_date=f"{YEAR}-01-01", end_date=f"{YEAR}-12-31")
    sp.to_csv(target / "survey_periods.csv", index=False)

    ids = w24["worker_id"].to_numpy()
    ids = np.concatenate([ids, "W1" + pd.Series(ids).str[1:].to_numpy()])
    base = np.concatenate([w24["worker_id"].to_numpy()] * 2)  # the demo worker behind each id
    all_days = pd.bdate_range(f"{YEAR}-01-01", f"{YEAR}-12-31").strftime("%Y-%m-%d")
    mean_line = (DEMO / "time_use.csv").stat().st_size / len(tu)
    per_day = days["length"].mean()
    n_days = int(min(len(all_days), np.ceil(mb * 1e6 / mean_line / per_day / len(ids))))
    starts_of = {w: g.index.to_numpy() for w, g in days.groupby("worker_id", sort=False)}

    act = tu["activity_code"].to_numpy()
    mins = tu["minutes"].to_numpy()
    spoilt: dict[int, str] = {}
    line = 2
    out = target / "time_use.csv"
    with open(out, "w", encoding="utf-8", newline="") as fh:
        fh.write("worker_id,date,activity_code,minutes\n")
        for wid, b in zip(ids, base, strict=True):  # one worker at a time keeps memory small
            pick = rng.choice(starts_of[b], size=n_days)
            lens = days["length"].to_numpy()[pick]
            rows = np.concatenate([np.arange(s, s + n) for s, n in
                                   zip(days["start"].to_numpy()[pick], lens, strict=True)])
            date = np.repeat(np.asarray(all_days[:n_days]), lens)
            lines = [f"{wid},{d},{a},{m}\n" for d, a, m in zip(date, act[rows], mins[rows],
                                                               strict=True)]
            if bad and wid.endswith("0") and len(spoilt) < 7 * len(BAD_KINDS):
                kind = BAD_KINDS[len(spoilt) % len(BAD_KINDS)][0]
                i = len(lines) // 2
                lines[i] = _spoil(lines[i], kind, lines[i - 1])
                spoilt[line + i] = kind
            fh.writelines(lines)
            line += len(lines)
    return spoilt


def _spoil(text: str, kind: str, previous: str) -> str:
    wid, date, act, mins = text.rstrip("\n").split(",")
    if kind == "text_minutes":
        mins = "half an hour"
    elif kind == "dotted_date":
        date = f"{date[8:]}.{date[5:7]}.{date[:4]}"
    elif kind == "unknown_activity":
        act = "COFFEE"
    elif kind == "zero_width_space":
        wid = wid[:3] + "\u200b" + wid[3:]
    elif kind == "value_missing":
        return f"{wid},{date},{mins}\n"
    elif kind == "quoted_line":
        return f'"{wid}","{date}","{act}",{mins}\n'
    elif kind == "repeated_key":
        return previous
    return f"{wid},{date},{act},{mins}\n"


def run_validate(folder: Path, errors_csv: Path) -> tuple[int, float, float, str]:
    """Validate ``folder`` in a child process: (exit code, wall time [s], peak RSS [MiB], out)."""
    cmd = [sys.executable, "-m", "costing.cli", "validate", str(folder), "--max", "20",
           "--errors-csv", str(errors_csv)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, wall, usage.ru_maxrss / 1024, out  # ru_maxrss is in KiB on Linux


def report(name: str, folder: Path, code: int, wall: float, peak: float) -> None:
    size = (folder / "time_use.csv").stat().st_size
    print(f"{name}: time_use.csv {size / 1e6:.0f} MB, exit {code}, wall {wall:.1f} s, "
          f"peak RSS {peak:.0f} MiB   bar {BAR_MIB:.0f} MiB   ratio {peak / BAR_MIB:.2f}")


def check_bad(spoilt: dict[int, str], errors_csv: Path) -> None:
    """Print whether every spoilt line is reported with the expected rule, and nothing else."""
    errs = pd.read_csv(errors_csv, dtype=str, keep_default_na=False)
    tu = errs[errs["table"] == "time_use"]
    rules = dict(BAD_KINDS)
    ok = True
    for line, kind in sorted(spoilt.items()):
        want = rules[kind]
        got = tu[tu["row"] == str(line)]
        if want is None:
            good = got.empty
        else:
            good = (got["rule"] == want).any() and (got["file"] == "time_use.csv").all()
        ok &= bool(good)
        if not good:
            print(f"  line {line} ({kind}): expected {want}, got {got['rule'].tolist()}")
    extra = tu[~tu["row"].isin([str(n) for n in spoilt])]
    others = errs[errs["table"] != "time_use"]
    print(f"  {len(errs)} problems for {len(spoilt)} spoilt lines; every spoilt line named "
          f"with its rule: {ok}; problems on other lines: {len(extra) + len(others)}")
    for rec in tu.head(len(BAD_KINDS)).itertuples(index=False):
        print(f"    {rec.file} line {rec.row}, {rec.column}: [{rec.rule}] {rec.value!r} — "
              f"{rec.message}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mb", type=float, default=200.0, help="size of time_use.csv [MB]")
    ap.add_argument("--keep", type=Path, help="build the folders here and keep them")
    ap.add_argument("--no-bad", action="store_true", help="skip the run with bad cells")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench_big_")) if args.keep is None else args.keep
    tmp.mkdir(parents=True, exist_ok=True)
    try:
        t0 = time.perf_counter()
        good = tmp / "big_valid"
        write_big_dataset(good, args.mb)
        print(f"generated {good} in {time.perf_counter() - t0:.0f} s")
        code, wall, peak, out = run_validate(good, tmp / "errors_valid.csv")
        report("valid big dataset", good, code, wall, peak)
        if code != 0:
            print(out[-3000:])
        if not args.no_bad:
            bad = tmp / "big_bad"
            spoilt = write_big_dataset(bad, args.mb, bad=True)
            code, wall, peak, out = run_validate(bad, tmp / "errors_bad.csv")
            report("with bad cells   ", bad, code, wall, peak)
            if (tmp / "errors_bad.csv").exists():
                check_bad(spoilt, tmp / "errors_bad.csv")
            else:
                print(out[-3000:])
    finally:
        if args.keep is None:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
