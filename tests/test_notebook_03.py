"""The benchmarking notebook (methodology/03_benchmarking.ipynb) runs and reproduces its outputs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

import costing as ct

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "methodology" / "03_benchmarking.ipynb"


@pytest.fixture(scope="module")
def nb():
    return nbformat.read(NOTEBOOK, as_version=4)


def test_committed_notebook_is_executed_small_and_clean(nb):
    assert NOTEBOOK.stat().st_size < 500 * 1024
    assert nb.metadata["kernelspec"]["name"] == "python3"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code), "commit the notebook executed"
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    assert any("NBVAL_CHECK_OUTPUT" in c.source for c in code)
    assert any("image/png" in o.get("data", {}) for c in code for o in c.outputs)
    # it covers every step of chapter 8
    text = "\n".join(c.source for c in code)
    for name in ("ct.indicators", "ct.peer_groups", "ct.peer_stats", "ct.decompose_spending",
                 "ct.need_adjusted_spending", "ct.expected_cost", "ct.dea", "ct.plot_funnel",
                 "ct.harmonised_indicators"):
        assert name in text, name


def test_no_worker_ids_in_the_notebook(nb):
    ct.assert_no_worker_ids(nb)


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
