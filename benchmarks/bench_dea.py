"""Time ``costing.dea`` (VRS, input-oriented) on 500 units x 3 inputs x 4 outputs.

Prints, on the same random data in the same run:
  1. ``costing.dea`` (one HiGHS model, through ``highspy``, reused between units, second-phase
     slacks included);
  2. the same without slacks (first phase only);
  3. a plain loop of one ``scipy.optimize.linprog`` call per unit (first phase only) for context;
  4. an existing Python DEA package, Pyfrontier (``EnvelopDEA("VRS", "in")``), if importable —
     it is not a project dependency; put it on the path with
     ``pip install --target /tmp/dea_cmp pyfrontier pulp`` (that folder is added to sys.path).
Also checks that the efficiencies agree. The bar: ``costing.dea`` <= 1 s on a 2-core machine.

Usage: ``python benchmarks/bench_dea.py [--units 500] [--repeat 3] [--no-compare]``

Measured on the 2-core development machine with highspy 1.16.0 (HiGHS 1.16): costing.dea
0.63-0.92 s with slacks (0.32-0.42 s first phase; the upper ends with other work on the machine),
plain linprog loop 2.7-4.3 s (8-12x the first phase), max |difference| 5e-13; Pyfrontier 1.1.1
80 s (114x; its CBC solves dominate), max |difference| 5e-7. Before the switch to highspy
(scipy's bundled HiGHS 1.12): 0.49-0.69 s with slacks, 0.25-0.33 s first phase. HiGHS 1.16
spends more time per re-solve (it re-assesses the whole model on every run); with highspy 1.12
costing.dea takes 0.58 s / 0.28 s.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import pandas as pd
from scipy.optimize import linprog

import costing as ct

CMP_PATH = "/tmp/dea_cmp"


def best_of(fn, repeat: int) -> tuple[float, object]:
    best, out = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def linprog_loop(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """BCC input-oriented envelopment LP, one fresh linprog call per unit: min theta."""
    n, m = x.shape
    s = y.shape[1]
    theta = np.empty(n)
    for o in range(n):
        c = np.r_[1.0, np.zeros(n)]
        a_ub = np.vstack([np.c_[-x[o][:, None], x.T], np.c_[np.zeros((s, 1)), -y.T]])
        b_ub = np.r_[np.zeros(m), -y[o]]
        a_eq = np.r_[0.0, np.ones(n)][None, :]
        r = linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=[1.0],
                    bounds=[(None, None)] + [(0, None)] * n, method="highs")
        theta[o] = r.x[0]
    return theta


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-compare", action="store_true",
                    help="skip Pyfrontier (about a minute or two for 500 units)")
    args = ap.parse_args()
    rng = np.random.default_rng(2024)
    n = args.units
    x = pd.DataFrame(rng.uniform(10, 100, (n, 3)), columns=["x1", "x2", "x3"])
    y = pd.DataFrame(rng.uniform(10, 100, (n, 4)), columns=["y1", "y2", "y3", "y4"])
    print(f"DEA VRS input-oriented, {n} units x 3 inputs x 4 outputs, best of {args.repeat}")

    t_ct, res = best_of(lambda: ct.dea(x, y, "vrs", "input"), args.repeat)
    print(f"costing.dea (with slacks)          : {t_ct:7.3f} s   bar <= 1 s: "
          f"{'PASS' if t_ct <= 1.0 else 'FAIL'}")
    t_p1, _ = best_of(lambda: ct.dea(x, y, "vrs", "input", slacks=False), args.repeat)
    print(f"costing.dea (first phase only)     : {t_p1:7.3f} s")
    t_lp, theta = best_of(lambda: linprog_loop(x.to_numpy(), y.to_numpy()), 1)
    print(f"plain linprog loop (first phase)   : {t_lp:7.3f} s   ratio loop / costing.dea "
          f"(first phase) = {t_lp / t_p1:5.1f}x")
    print(f"  max |difference| in efficiency   : {np.abs(theta - res['efficiency']).max():.2e}")

    if args.no_compare:
        print("Pyfrontier: skipped (--no-compare)")
        return
    sys.path.insert(0, CMP_PATH)
    try:
        from Pyfrontier.frontier_model import EnvelopDEA
    except ImportError:
        print(f"Pyfrontier: not installed (comparison skipped; pip install --target {CMP_PATH} "
              "pyfrontier pulp to enable it)")
        return

    def run_pyfrontier():
        model = EnvelopDEA("VRS", "in")
        model.fit(x.to_numpy(), y.to_numpy())
        return np.array([r.score for r in model.results])

    t_pf, score = best_of(run_pyfrontier, 1)
    print(f"Pyfrontier EnvelopDEA (with slacks): {t_pf:7.3f} s   ratio Pyfrontier / costing.dea "
          f"= {t_pf / t_ct:5.1f}x")
    print(f"  max |difference| in efficiency   : {np.abs(score - res['efficiency']).max():.2e}")


if __name__ == "__main__":
    main()
