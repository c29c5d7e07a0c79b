"""costing: full and unit costs of municipal social services, social workers' workload and
benchmarking of municipalities ("learning by comparing").

The public API is re-exported here; users write ``import costing as ct`` and call ``ct.<name>``.
The areas and their modules:

- dataset: dataset, schema, readers, validation, store, territory; demo data: demo
- costing method: classify, capital, allocation, fullcost, staffcost, prices
- workload: workload, caseload, tdabc, diary, privacy
- benchmarking: indicators, peers, decompose, need, expected_cost, dea, funnel
- reports: labels, plots, reports, batch and the report_* helpers
"""

__version__ = "0.1.0"  # before the imports: modules read it at import time

from .allocation import allocate_overheads, reciprocal_support_costs
from .capital import (
    annuity_factor,
    capital_charges,
    equivalent_annual_cost,
    straight_line_depreciation,
)
from .caseload import (
    STATUS_THRESHOLDS,
    available_case_hours,
    caseload_status,
    max_caseload,
    staff_need,
    staffing_norm,
    weighted_caseload,
)
from .classify import COST_CATEGORIES, classify_expenditure, excluded_expenditure
from .dataset import (
    PROJECT_ROOT,
    Dataset,
    dataset_from_frames,
    demo_dataset,
    load_dataset,
    reference_table,
)
from .dea import dea, scale_efficiency
from .decompose import decompose_gap, decompose_spending, log_mean, service_spending
from .demo import generate_demo, write_demo
from .diary import DIARY_COLUMNS, diary_instructions, import_diary, write_diary_template
from .errors import CostingError, DataValidationError, InputError
from .expected_cost import ExpectedCostResult, expected_cost
from .fullcost import AllocationInputs, allocation_inputs, full_costs, unit_costs
from .funnel import (
    funnel_limits,
    funnel_position,
    overdispersion,
    plot_funnel,
    rank_intervals,
)
from .indicators import (
    base_quantities,
    harmonised_indicators,
    indicator_registry,
    indicators,
)
from .labels import format_eur, format_number, format_percent, label, labels_table
from .need import DEFAULT_NEED_WEIGHTS, need_adjusted_spending, need_index
from .peers import DEFAULT_BANDS, peer_groups, peer_stats, structure
from .prices import (
    care_home_copayment,
    cost_recovery,
    lvl_to_eur,
    service_price,
    to_constant_prices,
)
from .privacy import (
    MIN_WORKERS,
    PrivacyError,
    assert_no_worker_ids,
    assert_suppressed,
    find_worker_ids,
    suppress_small_cells,
)
from .reports import BatchResult, run_reports, validate_codes
from .schema import SCHEMAS
from .staffcost import StaffUnitCost, capacity_cost_rate, staff_unit_cost, working_hours
from .store import build_database, write_sqlite
from .tdabc import activity_costs, cost_per_case
from .territory import harmonise_territory, territory_map
from .workload import worker_activity_minutes, worker_attributes, workload_summary
