"""Social workers' workload (chapter 7 of ``methodology/``): time use from diaries, caseloads and
the staffing norm, time-driven activity-based cost per case, and the diary template."""

from .caseload import (
    STATUS_THRESHOLDS,
    available_case_hours,
    caseload_status,
    max_caseload,
    staff_need,
    staffing_norm,
    weighted_caseload,
)
from .diary import DIARY_COLUMNS, diary_instructions, import_diary, write_diary_template
from .tdabc import activity_costs, cost_per_case
from .timeuse import worker_activity_minutes, worker_attributes, workload_summary

__all__ = [
    "DIARY_COLUMNS", "STATUS_THRESHOLDS", "activity_costs", "available_case_hours",
    "caseload_status", "cost_per_case", "diary_instructions", "import_diary", "max_caseload",
    "staff_need", "staffing_norm", "weighted_caseload", "worker_activity_minutes",
    "worker_attributes", "workload_summary", "write_diary_template",
]
