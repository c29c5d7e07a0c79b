"""Benchmark: ``workload_summary`` on a national-scale synthetic diary.

About 1,900 social workers (the order of magnitude of Latvia's social work specialists) record
every working day of one year, about 21 diary entries a day: ~10 million rows of
``worker_id, date, activity_code, minutes``. The columns use the compact dtypes a loader would
produce for a file this size (categorical codes, datetime64 dates, int16 minutes).

Measured: wall time of ``workload_summary(..., by="municipality_code", n_boot=1000)`` (slowest
of 3 runs, the first includes warm-up) and its peak memory measured with ``tracemalloc``
(peak of traced allocations during the call, which includes numpy and pandas buffers; the
input frame is allocated before tracing starts and is not counted).
Bar: <= 5 s and <= 1.5 GiB on a 2-core machine. CPU time and the load average are printed too,
because wall time on a shared machine also measures the other jobs.

Run: ``python benchmarks/bench_workload.py`` (synthetic data, seeded; takes about ten seconds).
"""

from __future__ import annotations

import os
import time
import tracemalloc

import numpy as np
import pandas as pd

import costing as ct

N_WORKERS = 1_900
ENTRIES_PER_DAY = 21
YEAR = 2024
N_BOOT = 1_000
BAR_SECONDS = 5.0
BAR_BYTES = 1.5 * 2**30


def synthetic_diary(seed: int = 2024) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Return (time_use entries, workers, cost_centres) for ~10 million diary entries."""
    rng = np.random.default_rng(seed)
    activities = ct.workload._reference("activities")["activity_code"].astype(str).tolist()
    munis = [f"LV{i:07d}" for i in range(1000, 44000, 1000)]  # 43 municipalities
    days = pd.bdate_range(f"{YEAR}-01-01", f"{YEAR}-12-31").to_numpy()
    worker_ids = [f"W{i:05d}" for i in range(1, N_WORKERS + 1)]
    # Workers per municipality roughly by size: a few large, many small (some below 5).
    muni_of_worker = np.sort(rng.choice(len(munis), size=N_WORKERS,
                                        p=rng.dirichlet(np.full(len(munis), 0.6))))
    n_rows = N_WORKERS * len(days) * ENTRIES_PER_DAY
    worker = np.repeat(np.arange(N_WORKERS, dtype=np.int16), len(days) * ENTRIES_PER_DAY)
    day = np.tile(np.repeat(np.arange(len(days), dtype=np.int16), ENTRIES_PER_DAY), N_WORKERS)
    profile = rng.dirichlet(np.full(len(activities), 4.0), size=N_WORKERS)  # per-worker mix
    cum = profile.cumsum(axis=1)
    u = rng.random(n_rows, dtype=np.float32)
    act = np.empty(n_rows, dtype=np.int8)
    for start in range(0, n_rows, 2_000_000):  # chunked to keep generation memory small
        sl = slice(start, start + 2_000_000)
        act[sl] = (u[sl, None] > cum[worker[sl]]).sum(axis=1)
    act = np.minimum(act, len(activities) - 1)
    time_use = pd.DataFrame({
        "worker_id": pd.Categorical.from_codes(worker, categories=worker_ids),
        "date": days[day],
        "activity_code": pd.Categorical.from_codes(act, categories=activities),
        "minutes": rng.integers(5, 40, size=n_rows, dtype=np.int16),
    })
    centres = pd.DataFrame({"cost_centre_id": [f"{m}-SW1" for m in munis],
                            "municipality_code": munis})
    workers = pd.DataFrame({"year": YEAR, "worker_id": worker_ids,
                            "cost_centre_id": centres["cost_centre_id"].to_numpy()[muni_of_worker],
                            "job_code": "SOCIAL_WORKER", "fte": 1.0, "salary_eur": 14_000.0})
    return time_use, workers, centres


def run(time_use: pd.DataFrame, workers: pd.DataFrame, centres: pd.DataFrame) -> pd.DataFrame:
    attrs = ct.workload.worker_attributes(workers, centres)
    return ct.workload_summary(time_use, by="municipality_code", n_boot=N_BOOT, seed=1,
                               workers=attrs)


def main() -> None:
    t0 = time.perf_counter()
    time_use, workers, centres = synthetic_diary()
    gen_s = time.perf_counter() - t0
    in_bytes = time_use.memory_usage(deep=True).sum()
    load = os.getloadavg()[0]
    times, cpu = [], []
    for _ in range(3):
        t0, c0 = time.perf_counter(), time.process_time()
        out = run(time_use, workers, centres)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    tracemalloc.start()
    run(time_use, workers, centres)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    worst = max(times)
    n_groups = out["municipality_code"].nunique()
    n_supp = out.loc[out["suppressed"], "municipality_code"].nunique()
    print(f"input: {len(time_use):,} rows, {N_WORKERS:,} workers, {in_bytes / 2**20:.0f} MiB "
          f"in memory (generated in {gen_s:.1f} s)")
    print(f"workload_summary(by='municipality_code', n_boot={N_BOOT}): {n_groups} groups, "
          f"{n_supp} suppressed (< {ct.MIN_WORKERS} workers)")
    print(f"time  (slowest of 3): {worst:.2f} s   runs: {', '.join(f'{t:.2f}' for t in times)} s"
          f"   bar {BAR_SECONDS:.0f} s   ratio {worst / BAR_SECONDS:.2f}")
    print(f"cpu time (process, all threads): {', '.join(f'{t:.2f}' for t in cpu)} s   "
          f"load average before the runs: {load:.1f} on {os.cpu_count()} cores "
          "(wall time grows when other jobs share the cores)")
    print(f"peak memory (tracemalloc, during the call): {peak / 2**20:.0f} MiB   "
          f"bar {BAR_BYTES / 2**20:.0f} MiB   ratio {peak / BAR_BYTES:.2f}")


if __name__ == "__main__":
    main()
