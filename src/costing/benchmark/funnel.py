"""Funnel plots: control limits for rates and proportions by population size (Spiegelhalter 2005).

Method: ``methodology/08_benchmarking.md``, formulas (8.30)-(8.35).
"""

from __future__ import annotations

from collections.abc import Sequence
from statistics import NormalDist
from typing import Literal

import numpy as np
import pandas as pd

from ..errors import InputError

Kind = Literal["binomial", "poisson"]


def _level_name(level: float) -> str:
    return f"{level * 100:g}".replace(".", "_")


def _check_level(levels: Sequence[float]) -> None:
    for lv in levels:
        if not 0 < lv < 1:
            raise InputError(f"funnel: each level must be a fraction in (0, 1), got {lv!r}")


def _exact(target: float, n: np.ndarray, p: float, kind: Kind) -> np.ndarray:
    """Spiegelhalter (2005), appendix A.1.1: interpolated quantile of the count, divided by n."""
    from scipy import stats  # slow to import: loaded on first use, not with costing

    dist = stats.binom(np.round(n).astype(int), target) if kind == "binomial" else stats.poisson(
        target * n)
    r = dist.ppf(p)
    f_r, f_r1 = dist.cdf(r), dist.cdf(r - 1)
    denom = np.where(f_r - f_r1 > 0, f_r - f_r1, 1.0)
    alpha = (f_r - p) / denom
    return np.clip(r - alpha, 0, None) / n


def funnel_limits(
    target: float,
    n,
    *,
    kind: Kind = "poisson",
    levels: Sequence[float] = (0.95, 0.998),
    method: Literal["normal", "exact"] = "normal",
    per: float = 1.0,
    phi: float = 1.0,
) -> pd.DataFrame:
    """Lower and upper control limits of a rate or proportion at each denominator ``n``.

    Implements formulas (8.30) (binomial: p0 +- z sqrt(p0 (1 - p0) / n)) and (8.31) (Poisson:
    theta0 +- z sqrt(theta0 / n)), with z the two-sided normal quantile of ``level`` (1.959964 for
    95 %, 3.090232 for 99.8 %); ``method="exact"`` uses the interpolated binomial/Poisson
    quantiles of Spiegelhalter (2005), appendix A.1.1. Lower limits are floored at 0 (and upper
    binomial limits capped at 1).

    Parameters
    ----------
    target : float
        The target rate per unit of ``n`` (e.g. the pooled rate sum(events) / sum(n)) [events/unit].
    n : array_like
        Denominators (population, clients) > 0 [units].
    kind : {"poisson", "binomial"}
        Poisson for rates (counts per inhabitant), binomial for proportions (0 <= target <= 1).
    levels : sequence of float
        Coverage of each pair of limits, fractions (default 95 % and 99.8 %).
    method : {"normal", "exact"}
        Normal approximation or interpolated exact quantiles.
    per : float
        Multiplier of the reported rates (1,000 for "per 1,000 inhabitants").
    phi : float
        Over-dispersion factor (8.34), >= 1 widens the normal limits by sqrt(phi); see
        :func:`overdispersion`.

    Returns
    -------
    pandas.DataFrame
        ``n``, ``target`` and ``lower_<level>`` / ``upper_<level>`` for each level (``lower_95``,
        ``upper_99_8``) [events per ``per`` units].

    References
    ----------
    Spiegelhalter, D. J. (2005). Funnel plots for comparing institutional performance.
    *Statistics in Medicine* 24(8), 1185-1202.
    """
    n = np.atleast_1d(np.asarray(n, dtype=float))
    if not np.isfinite(n).all() or (n <= 0).any():
        raise InputError("funnel_limits: every denominator n must be a finite number > 0")
    if not np.isfinite(target) or target < 0 or (kind == "binomial" and target > 1):
        raise InputError(f"funnel_limits: target {target!r} must be >= 0 (and <= 1 for binomial)")
    if kind not in ("binomial", "poisson"):
        raise InputError(f"funnel_limits: kind must be 'binomial' or 'poisson', got {kind!r}")
    if method not in ("normal", "exact"):
        raise InputError(f"funnel_limits: method must be 'normal' or 'exact', got {method!r}")
    _check_level(levels)
    if not np.isfinite(phi) or phi <= 0:
        raise InputError(f"funnel_limits: phi must be a number > 0, got {phi!r}")
    if phi != 1.0 and method == "exact":
        raise InputError("funnel_limits: over-dispersion (phi != 1) needs method='normal'")
    out = pd.DataFrame({"n": n, "target": target * per})
    var = target * (1 - target) if kind == "binomial" else target
    for lv in levels:
        if method == "normal":
            z = NormalDist().inv_cdf(0.5 + lv / 2)
            half = z * np.sqrt(phi * var / n)
            lo, hi = target - half, target + half
        else:
            lo = _exact(target, n, (1 - lv) / 2, kind)
            hi = _exact(target, n, 0.5 + lv / 2, kind)
        lo = np.clip(lo, 0, None)
        if kind == "binomial":
            hi = np.clip(hi, None, 1)
        name = _level_name(lv)
        out[f"lower_{name}"] = lo * per
        out[f"upper_{name}"] = hi * per
    return out


def funnel_position(
    events,
    n,
    *,
    target: float | None = None,
    kind: Kind = "poisson",
    levels: Sequence[float] = (0.95, 0.998),
    phi: float | Literal["estimate"] = 1.0,
) -> pd.DataFrame:
    """Where each unit falls on the funnel: rate, z-score and the band it lies in.

    Implements formulas (8.32) (pooled target sum(events) / sum(n)) and (8.33)
    (z = (y/n - theta0) / sqrt(V(theta0) / n)).

    Parameters
    ----------
    events : array_like
        Numerators (clients, cases) >= 0 [events].
    n : array_like
        Denominators > 0 [units].
    target : float, optional
        Target rate; default the pooled rate.
    kind, levels
        As in :func:`funnel_limits`.
    phi : float or "estimate"
        Over-dispersion factor of the limits; ``"estimate"`` uses :func:`overdispersion` of the
        z-scores (never below 1).

    Returns
    -------
    pandas.DataFrame
        ``events``, ``n``, ``rate``, ``target``, ``z`` (unadjusted), ``phi``, ``band``:
        ``"inside"``, or ``"above_<level>"`` / ``"below_<level>"`` for the widest limits crossed.
    """
    y = np.atleast_1d(np.asarray(events, dtype=float))
    n = np.atleast_1d(np.asarray(n, dtype=float))
    if kind not in ("binomial", "poisson"):
        raise InputError(f"funnel_position: kind must be 'binomial' or 'poisson', got {kind!r}")
    if y.size == 0 or y.shape != n.shape or (y < 0).any() or not np.isfinite(y).all():
        raise InputError("funnel_position: events must be finite numbers >= 0, one per n "
                         f"(got {y.size} events for {n.size} denominators)")
    if not np.isfinite(n).all() or (n <= 0).any():
        i = int(np.argmax(~np.isfinite(n) | (n <= 0)))
        raise InputError(f"funnel_position: denominator n[{i}] = {float(n[i])!r}; every n "
                         "must be a finite number > 0")
    if kind == "binomial" and (y > n).any():
        i = int(np.argmax(y > n))
        raise InputError(f"funnel_position: binomial events[{i}] = {float(y[i])!r} exceed n[{i}] = "
                         f"{float(n[i])!r}; a proportion cannot be above 1 (use kind='poisson')")
    t = float(y.sum() / n.sum()) if target is None else float(target)
    var = t * (1 - t) if kind == "binomial" else t
    rate = y / n
    if var <= 0 and (rate != t).any():
        raise InputError(f"funnel_position: target {t!r} has zero variance under the {kind} "
                         "model, so a rate different from it has no finite z-score; give a "
                         "target strictly inside its range")
    z = (rate - t) / np.sqrt(var / n) if var > 0 else np.zeros_like(rate)
    if isinstance(phi, str):
        if phi != "estimate":
            raise InputError(f"funnel_position: phi must be a number or 'estimate', got {phi!r}")
        phi = max(overdispersion(z), 1.0)
    lim = funnel_limits(t, n, kind=kind, levels=levels, phi=float(phi))
    band = np.full(len(y), "inside", dtype=object)
    for lv in sorted(levels):
        name = _level_name(lv)
        band = np.where(rate > lim[f"upper_{name}"], f"above_{name}", band)
        band = np.where(rate < lim[f"lower_{name}"], f"below_{name}", band)
    return pd.DataFrame({"events": y, "n": n, "rate": rate, "target": t, "z": z,
                         "phi": float(phi), "band": band})


def overdispersion(z, winsor: float = 0.1) -> float:
    """Multiplicative over-dispersion factor of funnel-plot z-scores, Spiegelhalter (2005).

    Implements formula (8.34): phi = mean(z_w^2), with z_w the z-scores winsorised at the
    ``winsor`` and ``1 - winsor`` quantiles so that a few outliers do not inflate it. Under the
    binomial/Poisson model phi is about 1; n*phi ~ chi-squared(n) tests that.

    Parameters
    ----------
    z : array_like
        z-scores (8.33) of the units [-].
    winsor : float
        Share winsorised in each tail, 0 <= winsor < 0.5.

    Returns
    -------
    float
        phi [-].

    Examples
    --------
    >>> overdispersion([-1.0, 1.0, -1.0, 1.0], winsor=0.0)
    1.0
    """
    z = np.asarray(z, dtype=float)
    z = z[np.isfinite(z)]
    if len(z) < 2 or not 0 <= winsor < 0.5:
        raise InputError("overdispersion: needs at least two finite z-scores and 0 <= winsor < 0.5")
    lo, hi = np.quantile(z, [winsor, 1 - winsor])
    return float(np.mean(np.clip(z, lo, hi) ** 2))


def plot_funnel(
    data: pd.DataFrame,
    *,
    events: str,
    n: str,
    label: str = "municipality_code",
    highlight: str | None = None,
    kind: Kind = "poisson",
    target: float | None = None,
    per: float = 1.0,
    levels: Sequence[float] = (0.95, 0.998),
    ax=None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    phi: float | Literal["estimate"] = 1.0,
):
    """Funnel plot of ``events / n`` against ``n`` with control limits, one unit highlighted.

    Draws the limits of :func:`funnel_limits` (8.30)/(8.31) around the target (8.32).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per unit with the ``events``, ``n`` and ``label`` columns.
    events, n, label : str
        Column names of numerator [events], denominator [units] and unit code.
    highlight : str, optional
        Code of the unit drawn in a contrasting colour and annotated.
    kind, target, per, levels
        As in :func:`funnel_limits`; ``per`` scales the y axis (e.g. per 1,000 inhabitants).
    ax : matplotlib.axes.Axes, optional
        Axes to draw on; a new figure is made if omitted.
    xlabel, ylabel : str, optional
        Axis labels (pass the Latvian/English text from the labels table).
    phi : float or "estimate"
        Over-dispersion factor of the limits (8.34), as in :func:`funnel_position`.

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt

    for c in (events, n, label):
        if c not in data.columns:
            raise InputError(f"plot_funnel: data lacks column {c!r}")
    pos = funnel_position(data[events], data[n], target=target, kind=kind, levels=levels, phi=phi)
    t = pos["target"].iloc[0]
    phi = float(pos["phi"].iloc[0])
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4.5))
    lo_n = max(float(pos["n"].min()) * 0.8, 1.0)
    grid = np.geomspace(lo_n, float(pos["n"].max()) * 1.2, 200)
    lim = funnel_limits(t, grid, kind=kind, levels=levels, per=per, phi=phi)
    styles = ["--", ":", "-."]
    for i, lv in enumerate(sorted(levels)):
        name = _level_name(lv)
        ls = styles[i % len(styles)]
        ax.plot(grid, lim[f"upper_{name}"], color="grey", ls=ls, lw=1, label=f"{lv * 100:g}%")
        ax.plot(grid, lim[f"lower_{name}"], color="grey", ls=ls, lw=1)
    ax.axhline(t * per, color="black", lw=1)
    ax.scatter(pos["n"], pos["rate"] * per, s=18, color="tab:blue", alpha=0.8)
    if highlight is not None:
        mask = (data[label].astype(str) == str(highlight)).to_numpy()
        if not mask.any():
            raise InputError(f"plot_funnel: highlight {highlight!r} is not in column {label!r}")
        ax.scatter(pos["n"][mask], pos["rate"][mask] * per, s=60, color="tab:red", zorder=3)
        ax.annotate(str(highlight), (pos["n"][mask].iloc[0], pos["rate"][mask].iloc[0] * per),
                    xytext=(6, 6), textcoords="offset points", color="tab:red")
    ax.set_xscale("log")
    ax.set_xlabel(xlabel or n)
    ax.set_ylabel(ylabel or f"{events} / {n}" + (f" x {per:g}" if per != 1 else ""))
    ax.legend(loc="upper right", frameon=False, fontsize=8)
    return ax


def rank_intervals(
    events,
    n,
    *,
    labels=None,
    kind: Kind = "poisson",
    better: Literal["lower", "higher"] = "lower",
    n_sim: int = 2000,
    level: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """Uncertainty of league-table ranks by parametric bootstrap of the counts.

    Implements formula (8.35): replicate counts y*_i ~ Poisson(y_i) (or Binomial(n_i, y_i/n_i)),
    rates y*_i / n_i are ranked in every replicate (rank 1 = best in the ``better`` direction,
    ties averaged) and the ``(1 - level)/2`` and ``(1 + level)/2`` quantiles of each unit's ranks
    form its interval (Goldstein & Spiegelhalter 1996). Wide intervals show that a league table
    of small municipalities says little.

    Parameters
    ----------
    events : array_like
        Numerators (clients, cases) >= 0 [events].
    n : array_like
        Denominators > 0 [units].
    labels : array_like, optional
        Unit codes for the index of the result.
    kind : {"poisson", "binomial"}
        Sampling model of the counts.
    better : {"lower", "higher"}
        Direction of rank 1.
    n_sim : int
        Replicates (>= 100).
    level : float
        Coverage of the interval, a fraction.
    seed : int
        Seed of the random generator.

    Returns
    -------
    pandas.DataFrame
        ``rate``, ``rank`` (observed), ``rank_lower``, ``rank_upper``, ``p_top_quarter`` (share of
        replicates with rank <= ceil(I/4), I units) [-].

    References
    ----------
    Goldstein, H. & Spiegelhalter, D. J. (1996). League tables and their limitations.
    *J. R. Statist. Soc. A* 159(3), 385-443.
    """
    from scipy.stats import rankdata

    y = np.atleast_1d(np.asarray(events, dtype=float))
    nn = np.atleast_1d(np.asarray(n, dtype=float))
    if y.shape != nn.shape or len(y) < 2:
        raise InputError("rank_intervals: need at least two units with one event count per n")
    if not (np.isfinite(y).all() and np.isfinite(nn).all()) or (y < 0).any() or (nn <= 0).any():
        raise InputError("rank_intervals: events must be >= 0 and n > 0, all finite")
    if kind == "binomial" and (y > nn).any():
        raise InputError("rank_intervals: binomial events cannot exceed n")
    if better not in ("lower", "higher") or n_sim < 100 or not 0 < level < 1:
        raise InputError("rank_intervals: better must be 'lower'/'higher', n_sim >= 100 and "
                         "0 < level < 1")
    rng = np.random.default_rng(seed)
    if kind == "poisson":
        sims = rng.poisson(y, size=(n_sim, len(y)))
    elif kind == "binomial":
        sims = rng.binomial(np.round(nn).astype(int), y / nn, size=(n_sim, len(y)))
    else:
        raise InputError(f"rank_intervals: kind must be 'binomial' or 'poisson', got {kind!r}")
    sign = 1.0 if better == "lower" else -1.0
    ranks = rankdata(sign * sims / nn, axis=1, method="average")
    lo, hi = np.quantile(ranks, [(1 - level) / 2, (1 + level) / 2], axis=0)
    out = pd.DataFrame({"rate": y / nn, "rank": rankdata(sign * y / nn, method="average"),
                        "rank_lower": lo, "rank_upper": hi,
                        "p_top_quarter": (ranks <= np.ceil(len(y) / 4)).mean(axis=0)},
                       index=None if labels is None else pd.Index(labels))
    return out
