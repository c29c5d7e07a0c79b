"""Chart helpers for reports and notebooks: one municipality highlighted against its peers.

Every chart draws the municipality in :data:`HIGHLIGHT` and its peers in :data:`PEER`, with the peer
median (or a norm) in :data:`REFERENCE`, so a reader learns the colour once. The functions take
tidy pandas objects and return a :class:`matplotlib.figure.Figure`; :func:`as_image` renders one to
an embedded PNG (independent of the matplotlib backend, so reports look the same under ``Agg``).
All text on a chart (title, axis labels) is passed in by the caller from the labels table.

The house style is defined once, in :data:`RC` (seaborn's ``whitegrid`` style and ``paper``
context with the house colours, fonts and grid on top), and every chart is drawn inside
:func:`theme`, which applies it over matplotlib's defaults in a :func:`matplotlib.rc_context`:
the caller's global ``matplotlib.rcParams`` are never changed, and the caller's own settings
(a notebook's style) do not change a chart (:func:`as_image` renders inside the theme too).
The statistical layers are drawn with seaborn (:func:`seaborn.swarmplot`,
:func:`seaborn.pointplot`, :func:`seaborn.barplot`, :func:`seaborn.scatterplot`) on axes of a
figure made without pyplot.

Examples
--------
>>> import matplotlib as mpl
>>> before = mpl.rcParams["axes.titlesize"]
>>> with theme():
...     mpl.rcParams["axes.titlesize"], mpl.rcParams["axes.spines.top"]
(12.0, False)
>>> mpl.rcParams["axes.titlesize"] == before
True
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import ParamSpec

import matplotlib.style as mpl_style
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.legend_handler import HandlerLine2D
from matplotlib.lines import Line2D
from matplotlib.rcsetup import cycler
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullFormatter

from ..errors import InputError
from .labels import format_number

HIGHLIGHT = "#B5283E"   # the municipality (Latvian carmine), every chart
PEER = "#A9B4C2"        # its peers
REFERENCE = "#2F3B4C"   # peer median, norm, expected value
STACK = ("#1F4E79", "#5B8DB8", "#A9C6E0", "#D9E5F0")  # parts of one whole (cost structure)
GRID = "#E3E7EC"        # grid lines and the control-limit band
TITLE_SIZE = 12         # [pt] chart title
TEXT_SIZE = 10          # [pt] axis labels, the municipality's name on a chart
SMALL_SIZE = 9          # [pt] tick labels, legend, the value at the end of a bar
WIDTH = 9.0             # [inch] chart width; at 100 dpi = 900 px, fits the report column
DPI = 100

#: The house style: every ``rcParams`` entry the charts are drawn with (see :func:`theme`).
RC: dict[str, object] = {
    **sns.axes_style("whitegrid"),      # white axes, grid, no tick marks, dark grey text
    **sns.plotting_context("paper"),    # thin lines (grid 0.8, lines 1.2), small markers
    # DejaVu Sans ships with matplotlib (Latvian diacritics included): the same glyphs and text
    # widths on every machine, whichever other fonts are installed
    "font.family": ["sans-serif"],
    "font.sans-serif": ["DejaVu Sans", "Liberation Sans", "Arial", "sans-serif"],
    "font.size": TEXT_SIZE,
    "axes.labelsize": TEXT_SIZE,
    "axes.titlesize": TITLE_SIZE,
    "axes.titlelocation": "left",
    "xtick.labelsize": SMALL_SIZE,
    "ytick.labelsize": SMALL_SIZE,
    "legend.fontsize": SMALL_SIZE,
    "legend.title_fontsize": SMALL_SIZE,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#9AA4B1",
    "axes.facecolor": "white",
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "grid.color": GRID,
    "axes.prop_cycle": cycler(color=list(STACK)),
}

_P = ParamSpec("_P")


@contextmanager
def theme() -> Iterator[None]:
    """Apply the house style :data:`RC` inside a ``with`` block, restoring ``rcParams`` after.

    Every chart function of this module draws inside it; use it to draw a chart of one's own
    (in a notebook) in the same style.
    """
    with mpl_style.context(["default", RC]):  # an rc_context: matplotlib's defaults, then RC
        yield


def _themed(draw: Callable[_P, Figure]) -> Callable[_P, Figure]:
    """Draw the chart inside :func:`theme` (its artists keep the style when shown later)."""

    @functools.wraps(draw)
    def themed(*args: _P.args, **kwargs: _P.kwargs) -> Figure:
        with theme():
            return draw(*args, **kwargs)

    return themed


def _figure(height: float):
    """A figure outside pyplot (no global state, no backend): closed by garbage collection."""
    fig = Figure(figsize=(WIDTH, height), dpi=DPI, layout="constrained")
    return fig, fig.subplots()


def _legend_below(fig, ax, n: int) -> None:
    """Legend under the axes, inside the figure (constrained layout makes room for it).

    One entry per label (seaborn draws one collection per category, each with the label)."""
    first: dict[str, object] = {}
    for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
        first.setdefault(label, handle)
    text = sum(len(t) for t in first)
    ncol = n if text <= 80 else max(1, (n + 1) // 2)  # long (Latvian) labels: two rows
    fig.legend(list(first.values()), list(first), loc="outside lower center", ncol=ncol,
               handler_map={Line2D: HandlerLine2D(update_func=_legend_marker)})


def _legend_marker(legend_line: Line2D, line: Line2D) -> None:
    """A line's legend entry, its marker no taller than a legend row (the median tick)."""
    legend_line.update_from(line)
    legend_line.set_markersize(min(line.get_markersize(), 1.4 * SMALL_SIZE))


def _value_axis(ax, lang: str, axis: str = "x") -> None:
    """Number format of a value axis in ``lang`` (few ticks on a linear axis)."""
    fmt = FuncFormatter(lambda v, _pos: format_number(v, lang, 0 if abs(v) >= 10 or v == 0 else 1))
    target = ax.xaxis if axis == "x" else ax.yaxis
    if target.get_scale() == "linear":  # few ticks: long money labels must not collide
        target.set_major_locator(MaxNLocator(nbins=6))
    target.set_major_formatter(fmt)


def _log_x(ax) -> None:
    """Logarithmic x axis labelled at 1, 2 and 5 times the powers of ten."""
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_minor_formatter(NullFormatter())


def _category_labels(ax, labels: Sequence[str]) -> None:
    """Display names on the categorical y axis (seaborn labels it with the codes)."""
    ax.set_yticks(range(len(labels)), labels)
    ax.set_ylabel("")


@_themed
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
    v = values.dropna().sort_values()[::-1]  # largest on top (seaborn draws the first on top)
    if highlight not in v.index:
        raise InputError(f"peer_bars: municipality {highlight!r} has no value to draw")
    fig, ax = _figure(max(2.6, 0.28 * len(v) + 1.3))
    codes = [str(c) for c in v.index]
    own = str(highlight)
    bars = pd.DataFrame({"code": codes, "value": v.to_numpy(dtype=float),
                         "role": ["own" if c == own else "peer" for c in codes]})
    sns.barplot(bars, x="value", y="code", hue="role", order=codes, hue_order=["peer", "own"],
                palette={"peer": PEER, "own": HIGHLIGHT}, orient="h", dodge=False, width=0.72,
                saturation=1.0, errorbar=None, legend=False, linewidth=0, ax=ax)
    _category_labels(ax, [names.get(c, c) for c in v.index])
    for tick, code in zip(ax.get_yticklabels(), codes, strict=True):
        if code == own:
            tick.set_fontweight("bold")
            tick.set_color(HIGHLIGHT)
    own_bars = ax.containers[-1]  # hue level "own": the municipality's bar alone
    ax.bar_label(own_bars, [format_number(float(v[highlight]), lang, decimals)], padding=4,
                 fontsize=SMALL_SIZE, color=HIGHLIGHT, fontweight="bold",
                 bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.0})  # over the line
    if reference is not None and np.isfinite(reference):
        line = ax.axvline(reference, color=REFERENCE, linestyle="--", label=reference_label)
        if reference_label:
            ax.legend(handles=[line], loc="lower right")
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.set_ylim(len(v) - 0.4, -0.6)
    ax.margins(x=0.08)
    _value_axis(ax, lang, "x")
    return fig


@_themed
def peer_strips(table: pd.DataFrame, highlight: str, *, category: str, value: str,
                code: str = "municipality_code", category_names: Mapping[str, str] | None = None,
                title: str, xlabel: str, lang: str = "lv", log: bool = False,
                municipality_label: str = "", peers_label: str = "",
                median_label: str = "") -> Figure:
    """One row per category (e.g. service): peers as grey dots, the municipality as a large dot.

    The peers of each row are a beeswarm (:func:`seaborn.swarmplot`: dots side by side instead
    of randomly jittered, so the same data give the same chart), their median a
    :data:`REFERENCE` tick (:func:`seaborn.pointplot`).

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
    is_own = t[code] == highlight
    own = t[is_own].drop_duplicates(category)  # one dot per category (the first value)
    cats = list(own[category])
    if not cats:
        raise InputError(f"peer_strips: municipality {highlight!r} has no {value!r} to draw")
    names = category_names or {}
    peers = t[~is_own & t[category].isin(cats)]
    fig, ax = _figure(max(2.4, 0.55 * len(cats) + 1.4))
    common = {"x": value, "y": category, "order": cats, "orient": "h", "ax": ax}
    # drawn on a linear axis (made logarithmic below), so the medians are those of the values
    if not peers.empty:
        # a crowded row overlaps its outermost dots at the row's edge (no warning when drawn)
        sns.swarmplot(peers, **common, color=PEER, size=4.7, linewidth=0, alpha=0.9,
                      warn_thresh=1.0, legend=False, label=peers_label or None, zorder=2)
        sns.pointplot(peers, **common, estimator="median", errorbar=None, linestyle="none",
                      marker="|", markersize=22, markeredgewidth=1.6, color=REFERENCE,
                      legend=False, label=median_label or None, zorder=3)
    sns.swarmplot(own, **common, color=HIGHLIGHT, size=9.5, edgecolor="white", linewidth=1.0,
                  legend=False, label=municipality_label or None, zorder=4)
    _category_labels(ax, [names.get(c, c) for c in cats])
    ax.set_ylim(len(cats) - 0.5, -0.5)
    if log:
        _log_x(ax)
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    _value_axis(ax, lang, "x")
    if municipality_label:
        _legend_below(fig, ax, 3)
    return fig


@_themed
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
    ax.set_yticks(y, list(table.index))
    ax.set_ylim(len(table) - 0.4, -0.6)
    ax.yaxis.grid(False)
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    _legend_below(fig, ax, len(parts))
    _value_axis(ax, lang, "x")
    return fig


@_themed
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
        ax.fill_between(band[0], band[1], band[2], color=GRID, linewidth=0, label=band_label,
                        zorder=1)
    if line is not None:
        ax.plot(line[0], line[1], color=REFERENCE, linestyle="--", label=line_label, zorder=2)
    peers = both.drop(index=highlight)
    own = both.loc[[highlight]]
    if not peers.empty:
        sns.scatterplot(peers, x="x", y="y", color=PEER, s=26, linewidth=0, legend=False,
                        zorder=3, ax=ax)
    sns.scatterplot(own, x="x", y="y", color=HIGHLIGHT, s=110, edgecolor="white", linewidth=1.0,
                    legend=False, zorder=4, ax=ax)
    ox, oy = float(own["x"].iloc[0]), float(own["y"].iloc[0])
    right = (both["x"] < ox).mean() > 0.75  # near the right edge: name to the left
    ax.annotate(names.get(highlight, highlight), (ox, oy), xytext=(-8, 7) if right else (8, 7),
                ha="right" if right else "left", textcoords="offset points", color=HIGHLIGHT,
                fontweight="bold")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if logx:
        _log_x(ax)
    _value_axis(ax, lang, "x")
    ax.yaxis.set_major_formatter(FuncFormatter(
        lambda v, _pos: format_number(v, lang, 0 if abs(v) >= 10 else 1)))
    if line_label or band_label:
        ax.legend(loc="best")
    return fig


def as_image(fig: Figure, dpi: int = DPI):
    """Render ``fig`` to PNG; returns an ``IPython.display.Image`` to display.

    The PNG is embedded in the notebook output, hence in the HTML as base64 (no external file).
    """
    from IPython.display import Image

    buf = io.BytesIO()
    with theme():
        fig.savefig(buf, format="png", dpi=dpi, facecolor="white")
    return Image(data=buf.getvalue(), format="png")
