"""costing: full and unit costs of municipal social services, social workers' workload and
benchmarking of municipalities ("learning by comparing").

The public API is re-exported here; users write ``import costing as ct`` and call ``ct.<name>``.
Each block below belongs to one module of the library.
"""

__version__ = "0.1.0"

from .errors import CostingError, DataValidationError, InputError

# --- dataset: loading, validation, reference tables, store (dataset.py, validation.py, store.py, territory.py)

# --- demo dataset generator (demo.py)

# --- costing method (capital.py, classify.py, allocation.py, fullcost.py, staffcost.py, prices.py)

# --- workload (workload.py, caseload.py, diary.py, privacy.py)
from .privacy import (
    MIN_WORKERS,
    PrivacyError,
    assert_no_worker_ids,
    assert_suppressed,
    find_worker_ids,
    suppress_small_cells,
)
from .workload import worker_activity_minutes, worker_attributes, workload_summary

# --- benchmarking (indicators.py, peers.py, decompose.py, need.py, expected_cost.py, dea.py, funnel.py)
from .dea import dea, scale_efficiency

# --- reports (labels.py, reports.py)
