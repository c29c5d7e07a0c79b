"""How much faster `costing reports` is than a plain sequential loop of the command-line tools.

Both produce the same thing for the same municipalities of the demo dataset: an executed
notebook and a code-free HTML page per municipality.

* batch:    ``costing reports --out <tmp>/batch`` (shared results once, warm kernels, in-process
            HTML export, N parallel workers);
* baseline: for each municipality, ``papermill <template> <out>.ipynb -r municipality CODE``
            (each notebook loads the dataset and computes everything itself) followed by
            ``jupyter nbconvert --to html --no-input <out>.ipynb``, one after the other.

Prints both wall times, the ratio (bar: >= 3x on a 2-core machine) and the median wall time per
report. ``--baseline-sample K`` runs the baseline on the first K municipalities only and
extrapolates its total (the baseline of all 43 takes many minutes).

    python benchmarks/bench_reports.py [--workers N] [--baseline-sample K] [--lang lv]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    exe = BIN / name
    return str(exe) if exe.exists() else name


def run_batch(out: Path, lang: str, workers: int | None) -> float:
    cmd = [_tool("costing"), "reports", "--out", str(out), "--lang", lang, "--no-progress"]
    if workers:
        cmd += ["--workers", str(workers)]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def run_baseline(codes: list[str], out: Path, lang: str, kernel: str) -> list[float]:
    from costing.report import TEMPLATE as template

    out.mkdir(parents=True, exist_ok=True)
    times = []
    for code in codes:
        nb = out / f"{code}.ipynb"
        t0 = time.perf_counter()
        subprocess.run([_tool("papermill"), str(template), str(nb), "-k", kernel,
                        "-r", "municipality", code, "-p", "lang", lang, "--no-progress-bar"],
                       check=True, cwd=ROOT, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        subprocess.run([_tool("jupyter"), "nbconvert", "--to", "html", "--no-input",
                        str(nb)], check=True, cwd=ROOT, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - t0)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--lang", default="lv")
    parser.add_argument("--baseline-sample", type=int, default=0,
                        help="baseline on the first K municipalities only (0 = all)")
    args = parser.parse_args(argv)

    import costing as ct
    from costing.report.runner import default_workers

    codes = ct.demo_dataset().municipality_codes
    with tempfile.TemporaryDirectory(prefix="bench_reports_") as tmp:
        tmp = Path(tmp)
        batch_s = run_batch(tmp / "batch", args.lang, args.workers)
        n_html = len(list((tmp / "batch" / args.lang).glob("LV*.html")))
        sample = codes[: args.baseline_sample] if args.baseline_sample else codes
        # the kernel `make env` registers inside .venv (papermill looks kernels up by name)
        base_times = run_baseline(sample, tmp / "baseline", args.lang, "costing")
    base_total = sum(base_times) * len(codes) / len(sample)
    extrapolated = " (extrapolated)" if len(sample) < len(codes) else ""
    print(f"municipalities: {len(codes)}; workers: {args.workers or default_workers()}; "
          f"reports written by the batch: {n_html}")
    print(f"costing reports:              {batch_s:8.1f} s total, "
          f"{batch_s / len(codes):6.2f} s per report (wall time / reports)")
    print(f"papermill + nbconvert loop:   {base_total:8.1f} s total{extrapolated}, median "
          f"{statistics.median(base_times):6.2f} s per report (over {len(sample)} runs)")
    print(f"speed-up: {base_total / batch_s:.1f}x (bar: >= 3x)")
    return 0 if n_html == len(codes) else 1


if __name__ == "__main__":
    sys.exit(main())
