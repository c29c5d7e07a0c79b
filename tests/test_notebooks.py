"""The research notebooks (notebooks/methodology/) and training notebooks (notebooks/training/) are
committed executed, small and clean, call the library for every step they teach, leak no worker id,
and reproduce their key numbers when re-run with nbval (``--nbval-lax``: only cells marked
``# NBVAL_CHECK_OUTPUT`` are compared)."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from paths import ROOT

import costing as ct


@dataclass(frozen=True)
class Notebook:
    name: str
    max_kib: int
    min_checked_cells: int
    calls: tuple[str, ...]
    folder: str = "methodology"
    has_chart: bool = True

    @property
    def path(self) -> Path:
        return ROOT / "notebooks" / self.folder / self.name


NOTEBOOKS = [
    Notebook("01_full_cost.ipynb", 300, 4,
             ("ct.classify_expenditure", "ct.capital_charges", "ct.allocate_overheads",
              "ct.full_costs", "ct.unit_costs")),
    Notebook("02_workload.ipynb", 300, 4,
             ("ct.workload_summary", "ct.staffing_norm", "ct.weighted_caseload",
              "ct.staff_need", "ct.activity_costs", "ct.cost_per_case",
              "ct.assert_no_worker_ids", "ct.assert_suppressed")),
    Notebook("03_benchmarking.ipynb", 500, 1,
             ("ct.indicators", "ct.peer_groups", "ct.peer_stats", "ct.decompose_spending",
              "ct.need_adjusted_spending", "ct.expected_cost", "ct.dea", "ct.plot_funnel",
              "ct.harmonised_indicators")),
    Notebook("01_unit_cost.ipynb", 100, 5,
             ("ct.equivalent_annual_cost", "ct.working_hours", "ct.staff_unit_cost",
              "ct.unit_costs", "ct.service_price"), folder="training", has_chart=False),
]
IDS = [n.name for n in NOTEBOOKS]


@pytest.mark.parametrize("spec", NOTEBOOKS, ids=IDS)
def test_committed_notebook_is_executed_small_and_clean(spec: Notebook):
    nb = nbformat.read(spec.path, as_version=4)
    assert spec.path.stat().st_size < spec.max_kib * 1024
    assert nb.metadata["kernelspec"]["name"] == "python3"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code), "commit the notebook executed"
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    assert sum("NBVAL_CHECK_OUTPUT" in c.source for c in code) >= spec.min_checked_cells
    if spec.has_chart:
        assert any("image/png" in o.get("data", {}) for c in code for o in c.outputs)
    assert "illustrative data" in "".join(c.source for c in nb.cells).lower()


@pytest.mark.parametrize("spec", NOTEBOOKS, ids=IDS)
def test_notebook_calls_the_library_for_the_method(spec: Notebook):
    nb = nbformat.read(spec.path, as_version=4)
    src = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    missing = [call for call in spec.calls if call not in src]
    assert not missing, f"{spec.name} does not call {missing}"


@pytest.mark.parametrize("spec", NOTEBOOKS, ids=IDS)
def test_no_worker_ids_in_the_notebook(spec: Notebook):
    ct.assert_no_worker_ids(nbformat.read(spec.path, as_version=4))


@pytest.mark.parametrize("spec", NOTEBOOKS, ids=IDS)
def test_notebook_reproduces_its_outputs_with_nbval(spec: Notebook):
    env = {**os.environ, "MPLBACKEND": "Agg"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env", "-q",
         "-p", "no:cacheprovider", str(spec.path)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
