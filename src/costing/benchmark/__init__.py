"""Benchmarking, "learning by comparing" (chapter 8 of ``methodology/``): the indicator registry,
peer groups, decomposition of spending, need-adjusted spending, expected-cost regression, DEA
efficiency and funnel plots; and the checks that run the method on a dataset before it is
compared: the method's refusals per municipality and the plausibility screens."""

from .dea import dea, scale_efficiency
from .decompose import decompose_gap, decompose_spending, log_mean, service_spending
from .expected_cost import ExpectedCostResult, expected_cost
from .feasibility import check_method, method_refusals
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
from .need import DEFAULT_NEED_WEIGHTS, need_adjusted_spending, need_index
from .peers import DEFAULT_BANDS, peer_groups, peer_stats, structure
from .plausibility import plausibility_warnings

__all__ = [
    "DEFAULT_BANDS", "DEFAULT_NEED_WEIGHTS", "ExpectedCostResult", "base_quantities", "dea",
    "decompose_gap", "decompose_spending", "expected_cost", "funnel_limits", "funnel_position",
    "harmonised_indicators", "indicator_registry", "indicators", "log_mean",
    "need_adjusted_spending", "need_index", "overdispersion", "peer_groups", "peer_stats",
    "plot_funnel", "rank_intervals", "scale_efficiency", "service_spending", "structure",
    "check_method", "method_refusals", "plausibility_warnings",
]
