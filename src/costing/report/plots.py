"""Chart helpers for reports and notebooks: one municipality highlighted against its peers.

Every chart draws the municipality in :data:`HIGHLIGHT` and its peers in :data:`PEER`, with the peer
median as a dashed :data:`REFERENCE` line, so a reader learns the colour once. The functions take
tidy pandas objects and return a :class:`matplotlib.figure.Figure`; :func:`as_image` renders one to
an embedded PNG (independent of the matplotlib backend, so reports look the same under ``Agg``).
All text on a chart (title, axis labels) is passed in by the caller from the labels table.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullFormatter

from ..errors import InputError
from .labels import format_number

HIGHLIGHT = "#B5283E"   # the municipality (Latvian carmine), every chart
PEER = "#A9B4C2"        # its peers
REFERENCE = "#2F3B4C"   # peer median, norm, expected value
STACK = ("#1F4E79", "#5B8DB8", "#A9C6E0", "#D9E5F0")  # parts of one whole (cost structure)
WIDTH = 9.0             # [inch] chart width; at 100 dpi = 900 px, fits the report column
DPI = 100


def _figure(height: float):
    """A figure outside pyplot (no global state, no backend): closed by garbage collection."""
    fig = Figure(figsize=(WIDTH, height), dpi=DPI, layout="constrained")
    return fig, fig.subplots()


def _legend_below(fig, ax, n: int) -> None:
    """Legend under the axes, inside the figure (constrained layout makes room for it)."""
    handles, labels = ax.get_legend_handles_labels()
    text = sum(len(t) for t in labels)
    ncol = n if text <= 80 else max(1, (n + 1) // 2)  # long (Latvian) labels: two rows
    fig.legend(handles, labels, loc="outside lower center", ncol=ncol, frameon=False,
               fontsize=9)


def _style(ax, lang: str, axis: str = "x") -> None:
    ax.spines[["top", "right"]].set_visible(False)
    fmt = FuncFormatter(lambda v, _pos: format_number(v, lang, 0 if abs(v) >= 10 or v == 0 else 1))
    target = ax.xaxis if axis == "x" else ax.yaxis
    if target.get_scale() == "linear":  # few ticks: long money labels must not collide
        target.set_major_locator(MaxNLocator(nbins=6))
    target.set_major_formatter(fmt)
    ax.grid(axis=axis, color="#E3E7EC", linewidth=0.8)
    ax.set_axisbelow(True)


def peer_bars(values: pd.Series, highlight: str, names: Mapping[str, str], *, title: str,
              xlabel: str, lang: str = "lv", reference: float | None = None,
              reference_label: str | None = None, decimals: int = 0) -> Figure:
    """Horizontal bars of one indicator for a municipality and its peers, sorted by value.

    Parameters
    ----------
    values : pandas.Series
        Indicator value by municipality code (``NaN`` rows are dropped).
    highlight : str
        The municipality's code; drawn in :data:`HIGHLIGHT`, the others in :data:`PEER`.
    names : mapping
        Display name by municipality code.
    title, xlabel : str
        Chart title and value-axis label (from the labels table).
    lang : {"lv", "en"}
        Number formatting on the axis and bar ends.
    reference : float, optional
        A vertical dashed line (peer median, legal norm) labelled ``reference_label``.
    decimals : int
        Decimals of the value printed at the end of the municipality's bar.

    Returns
    -------
    matplotlib.figure.Figure
    """
    v = values.dropna().sort_values()
    if highlight not in v.index:
        raise InputError(f"peer_bars: municipality {highlight!r} has no value to draw")
    height = max(2.6, 0.28 * len(v) + 1.3)
    fig, ax = _figure(height)
    colours = [HIGHLIGHT if c == highlight else PEER for c in v.index]
    y = np.arange(len(v))
    ax.barh(y, v.to_numpy(dtype=float), color=colours, height=0.72)
    ax.set_yticks(y, [names.get(c, c) for c in v.index], fontsize=9)
    for tick, code in zip(ax.get_yticklabels(), v.index, strict=True):
        if code == highlight:
            tick.set_fontweight("bold")
            tick.set_color(HIGHLIGHT)
    i = list(v.index).index(highlight)
    ax.annotate(format_number(float(v.iloc[i]), lang, decimals), (float(v.iloc[i]), i),
                xytext=(4, 0), textcoords="offset points", va="center", fontsize=9,
                color=HIGHLIGHT, fontweight="bold")
    if reference is not None and np.isfinite(reference):
        ax.axvline(reference, color=REFERENCE, linestyle="--", linewidth=1.2,
                   label=reference_label)
        if reference_label:
            ax.legend(loc="lower right", frameon=False, fontsize=9)
    ax.set_xlabel(xlabel)
    ax.set_title(title, loc="left", fontsize=12)
    ax.set_ylim(-0.6, len(v) - 0.4)
    ax.margins(x=0.08)
    _style(ax, lang, "x")
    return fig


def peer_strips(table: pd.DataFrame, highlight: str, *, category: str, value: str,
                code: str = "municipality_code", category_names: Mapping[str, str] | None = None,
                title: str, xlabel: str, lang: str = "lv", log: bool = False,
                municipality_label: str = "", peers_label: str = "",
                median_label: str = "") -> Figure:
    """One row per category (e.g. service): peers as grey dots, the municipality as a large dot.

    Parameters
    ----------
    table : pandas.DataFrame
        Long table with columns ``code``, ``category`` and ``value`` (one row per municipality and
        category; rows with missing values are dropped).
    highlight : str
        The municipality's code.
    category, value, code : str
        Column names.
    category_names : mapping, optional
        Display name by category.
    title, xlabel, municipality_label, peers_label, median_label : str
        Texts from the labels table (legend entries may be empty to omit the legend).
    lang : {"lv", "en"}
    log : bool
        Logarithmic value axis (unit costs of different services differ by orders of magnitude).

    Returns
    -------
    matplotlib.figure.Figure
    """
    t = table[[code, category, value]].dropna()
    t = t[t[value] > 0] if log else t
    cats = list(t.loc[t[code] == highlight, category].drop_duplicates())
    if not cats:
        raise InputError(f"peer_strips: municipality {highlight!r} has no {value!r} to draw")
    names = category_names or {}
    fig, ax = _figure(max(2.4, 0.55 * len(cats) + 1.4))
    rng = np.random.default_rng(0)  # fixed jitter: the same chart on every run
    for i, cat in enumerate(cats):
        rows = t[t[category] == cat]
        peers = rows.loc[rows[code] != highlight, value].to_numpy(dtype=float)
        ax.scatter(peers, i + rng.uniform(-0.15, 0.15, len(peers)), s=22, color=PEER,
                   alpha=0.9, label=peers_label if i == 0 else None, zorder=2)
        if len(peers):
            med = float(np.median(peers))
            ax.plot([med, med], [i - 0.3, i + 0.3], color=REFERENCE, linestyle="--",
                    linewidth=1.2, label=median_label if i == 0 else None, zorder=3)
        own = float(rows.loc[rows[code] == highlight, value].iloc[0])
        ax.scatter([own], [i], s=90, color=HIGHLIGHT, edgecolor="white", linewidth=1.0,
                   label=municipality_label if i == 0 else None, zorder=4)
    ax.set_yticks(range(len(cats)), [names.get(c, c) for c in cats], fontsize=9)
    ax.set_ylim(len(cats) - 0.5, -0.5)
    if log:
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel(xlabel)
    ax.set_title(title, loc="left", fontsize=12)
    _style(ax, lang, "x")
    if municipality_label:
        _legend_below(fig, ax, 3)
    return fig


def stacked_bars(table: pd.DataFrame, *, parts: Sequence[str], part_names: Mapping[str, str],
                 title: str, xlabel: str, lang: str = "lv") -> Figure:
    """Horizontal stacked bars: one bar per row of ``table``, one segment per column in ``parts``.

    Used for the cost structure of each service (direct cost, overheads, capital charge) of the
    municipality itself; ``table`` is indexed by the display name of each bar.
    """
    if table.empty:
        raise InputError("stacked_bars: nothing to draw (empty table)")
    fig, ax = _figure(max(2.4, 0.45 * len(table) + 1.5))
    left = np.zeros(len(table))
    y = np.arange(len(table))
    for k, part in enumerate(parts):
        w = table[part].fillna(0.0).to_numpy(dtype=float)
        ax.barh(y, w, left=left, color=STACK[k % len(STACK)], height=0.65,
                label=part_names.get(part, part))
        left += w
    ax.set_yticks(y, list(table.index), fontsize=9)
    ax.set_ylim(len(table) - 0.4, -0.6)
    ax.set_xlabel(xlabel)
    ax.set_title(title, loc="left", fontsize=12)
    _legend_below(fig, ax, len(parts))
    _style(ax, lang, "x")
    return fig


def peer_scatter(x: pd.Series, y: pd.Series, highlight: str, names: Mapping[str, str], *,
                 title: str, xlabel: str, ylabel: str, lang: str = "lv",
                 line: tuple[np.ndarray, np.ndarray] | None = None,
                 band: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
                 line_label: str | None = None, band_label: str | None = None,
                 logx: bool = False) -> Figure:
    """Scatter of municipalities (e.g. funnel plot, expected against actual cost).

    ``line`` = (xs, ys) draws a reference curve (peer mean, expected = actual); ``band`` =
    (xs, lower, upper) shades control limits. The municipality is drawn in :data:`HIGHLIGHT`
    and named on the chart. ``logx`` puts the x axis on a log scale (population sizes).
    """
    both = pd.concat({"x": x, "y": y}, axis=1).dropna()
    if highlight not in both.index:
        raise InputError(f"peer_scatter: municipality {highlight!r} has no point to draw")
    fig, ax = _figure(5.2)
    if band is not None:
        ax.fill_between(band[0], band[1], band[2], color="#E3E7EC", label=band_label, zorder=1)
    if line is not None:
        ax.plot(line[0], line[1], color=REFERENCE, linestyle="--", linewidth=1.2,
                label=line_label, zorder=2)
    peers = both.drop(index=highlight)
    ax.scatter(peers["x"], peers["y"], s=26, color=PEER, zorder=3)
    own = both.loc[highlight]
    ax.scatter([own["x"]], [own["y"]], s=110, color=HIGHLIGHT, edgecolor="white", zorder=4)
    right = (both["x"] < own["x"]).mean() > 0.75  # near the right edge: name to the left
    ax.annotate(names.get(highlight, highlight), (own["x"], own["y"]),
                xytext=(-8, 7) if right else (8, 7), ha="right" if right else "left",
                textcoords="offset points", color=HIGHLIGHT, fontweight="bold", fontsize=10)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, loc="left", fontsize=12)
    if logx:
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        ax.xaxis.set_minor_formatter(NullFormatter())
    _style(ax, lang, "x")
    ax.yaxis.set_major_formatter(FuncFormatter(
        lambda v, _pos: format_number(v, lang, 0 if abs(v) >= 10 else 1)))
    if line_label or band_label:
        ax.legend(loc="best", frameon=False, fontsize=9)
    return fig


def as_image(fig: Figure, dpi: int = DPI):
    """Render ``fig`` to PNG; returns an ``IPython.display.Image`` to display.

    The PNG is embedded in the notebook output, hence in the HTML as base64 (no external file).
    """
    from IPython.display import Image

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, facecolor="white")
    return Image(data=buf.getvalue(), format="png")
