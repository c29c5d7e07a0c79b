"""costing: full and unit costs of municipal social services, social workers' workload and
benchmarking of municipalities ("learning by comparing").

The public API is re-exported here; users write ``import costing as ct`` and call ``ct.<name>``.
The layers, each a subpackage that imports only the ones before it:

- ``costing.data``: dataset, schema, readers, validation, stores, territory; the demo dataset
- ``costing.method``: classification, capital, allocation, full and unit cost, staff cost, prices
- ``costing.workload``: time use, caseloads, activity-based cost per case, diaries
- ``costing.benchmark``: indicators, peers, decomposition, need, expected cost, DEA, funnel
- ``costing.report``: batch runner, shared results, sections, HTML, labels, charts, template

``errors``, ``privacy`` and ``_version`` sit below every layer, ``cli`` above them all.
"""

from ._version import __version__
from .benchmark import (
    DEFAULT_BANDS,
    DEFAULT_NEED_WEIGHTS,
    ExpectedCostResult,
    base_quantities,
    check_method,
    dea,
    decompose_gap,
    decompose_spending,
    expected_cost,
    funnel_limits,
    funnel_position,
    harmonised_indicators,
    indicator_registry,
    indicators,
    log_mean,
    method_refusals,
    need_adjusted_spending,
    need_index,
    overdispersion,
    peer_groups,
    peer_stats,
    plausibility_warnings,
    plot_funnel,
    rank_intervals,
    scale_efficiency,
    service_spending,
    structure,
)
from .data import (
    PROJECT_ROOT,
    SCHEMAS,
    Dataset,
    build_database,
    dataset_from_frames,
    demo_dataset,
    generate_demo,
    harmonise_territory,
    load_dataset,
    reference_table,
    territory_map,
    write_demo,
    write_sqlite,
)
from .data.municipalities import validate_codes
from .data.requirements import REQUIREMENTS, requirements_table
from .errors import (
    CostingError,
    DatasetInUseError,
    DataValidationError,
    InputError,
    MethodRefusal,
)
from .method import (
    COST_CATEGORIES,
    AllocationInputs,
    StaffUnitCost,
    allocate_overheads,
    allocation_inputs,
    annuity_factor,
    capacity_cost_rate,
    capital_charges,
    care_home_copayment,
    classify_expenditure,
    cost_recovery,
    equivalent_annual_cost,
    excluded_expenditure,
    full_costs,
    lvl_to_eur,
    reciprocal_support_costs,
    service_price,
    staff_unit_cost,
    straight_line_depreciation,
    to_constant_prices,
    unit_costs,
    working_hours,
)
from .privacy import (
    MIN_WORKERS,
    PrivacyError,
    assert_no_worker_ids,
    assert_suppressed,
    find_worker_ids,
    suppress_small_cells,
)
from .report import (
    BatchResult,
    format_eur,
    format_number,
    format_percent,
    label,
    labels_table,
    run_reports,
)
from .workload import (
    DIARY_COLUMNS,
    STATUS_THRESHOLDS,
    activity_costs,
    available_case_hours,
    caseload_status,
    cost_per_case,
    diary_instructions,
    import_diary,
    max_caseload,
    staff_need,
    staffing_norm,
    weighted_caseload,
    worker_activity_minutes,
    worker_attributes,
    workload_summary,
    write_diary_template,
)
