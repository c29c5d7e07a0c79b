"""The workload notebook (methodology/02_workload.ipynb) runs, is small and leaks nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

import costing as ct

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "methodology" / "02_workload.ipynb"


@pytest.fixture(scope="module")
def nb():
    return nbformat.read(NOTEBOOK, as_version=4)


def test_committed_notebook_is_executed_small_and_clean(nb):
    assert NOTEBOOK.stat().st_size < 300 * 1024
    assert nb.metadata["kernelspec"]["name"] == "python3"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code), "commit the notebook executed"
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    assert sum("NBVAL_CHECK_OUTPUT" in c.source for c in code) >= 4
    assert any("image/png" in o.get("data", {}) for c in code for o in c.outputs)
    assert "illustrative data" in "".join(c.source for c in nb.cells).lower()


def test_notebook_calls_the_library_for_the_method(nb):
    src = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    for call in ("ct.workload_summary", "ct.staffing_norm", "ct.weighted_caseload",
                 "ct.staff_need", "ct.activity_costs", "ct.cost_per_case",
                 "ct.assert_no_worker_ids", "ct.assert_suppressed"):
        assert call in src


def test_no_worker_ids_in_the_notebook(nb):
    ct.assert_no_worker_ids(nb)  # sources and outputs; embedded images are skipped


def test_notebook_reproduces_its_outputs_with_nbval():
    try:
        ct.demo_dataset()
    except FileNotFoundError as e:
        pytest.skip(str(e))
    env = {**os.environ, "MPLBACKEND": "Agg"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env", "-q",
         "-p", "no:cacheprovider", str(NOTEBOOK)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
