"""The costing method (chapters 1-6 of ``methodology/``): classification of expenditure, the
capital charge, overhead allocation, full and unit costs, staff unit costs, prices and tariffs."""

from .allocation import allocate_overheads, reciprocal_support_costs
from .capital import (
    annuity_factor,
    capital_charges,
    equivalent_annual_cost,
    straight_line_depreciation,
)
from .classify import COST_CATEGORIES, classify_expenditure, excluded_expenditure
from .fullcost import AllocationInputs, allocation_inputs, full_costs, unit_costs
from .prices import (
    care_home_copayment,
    cost_recovery,
    lvl_to_eur,
    service_price,
    to_constant_prices,
)
from .staffcost import StaffUnitCost, capacity_cost_rate, staff_unit_cost, working_hours

__all__ = [
    "COST_CATEGORIES", "AllocationInputs", "StaffUnitCost", "allocate_overheads",
    "allocation_inputs", "annuity_factor", "capacity_cost_rate", "capital_charges",
    "care_home_copayment", "classify_expenditure", "cost_recovery", "equivalent_annual_cost",
    "excluded_expenditure", "full_costs", "lvl_to_eur", "reciprocal_support_costs",
    "service_price", "staff_unit_cost", "straight_line_depreciation", "to_constant_prices",
    "unit_costs", "working_hours",
]
