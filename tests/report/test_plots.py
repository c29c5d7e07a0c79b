"""Report charts (costing.report.plots): house style, seaborn layers, highlight, determinism."""

from unittest import mock

import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest
import seaborn as sns
from matplotlib import pyplot as plt
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure

from costing.errors import InputError
from costing.report import plots
from costing.report.labels import NBSP

NAMES = {"A": "Ādaži", "B": "Bauska", "C": "Cēsis", "D": "Dobele", "E": "Ērgļi"}
SERVICES = {"HC": "Aprūpe mājās", "DC": "Dienas aprūpes centrs", "LTC": "Ilgstošā aprūpe"}


def _values() -> pd.Series:
    return pd.Series({"A": 0.62, "B": 0.35, "C": np.nan, "D": 0.91, "E": 0.48})


def _long() -> pd.DataFrame:
    """Unit costs: municipality A and four peers (B..E) in three services; E lacks LTC."""
    costs = {"HC": [18.0, 15.0, 22.0, 16.0, 30.0], "DC": [40.0, 25.0, 35.0, 55.0, 45.0],
             "LTC": [310.0, 280.0, 400.0, 350.0, np.nan]}
    return pd.DataFrame([{"municipality_code": m, "service_code": s, "unit_cost_eur": c[i]}
                         for s, c in costs.items() for i, m in enumerate(NAMES)])


def _bars(**options) -> Figure:
    return plots.peer_bars(_values(), "A", NAMES, title="Speciālisti uz 1000 iedzīvotājiem",
                           xlabel="slodzes uz 1000 iedz.", decimals=2, **options)


def _strips(**options) -> Figure:
    return plots.peer_strips(
        _long(), "A", category="service_code", value="unit_cost_eur", category_names=SERVICES,
        title="Vienības izmaksas", xlabel="Vienības izmaksas, EUR (logaritmiska skala)",
        log=True, municipality_label="Šī pašvaldība", peers_label="Līdzīgās pašvaldības",
        median_label="Līdzīgo mediāna", **options)


def _stacked() -> Figure:
    table = pd.DataFrame({"direct": [800_000.0, 120_000.0], "capital": [60_000.0, np.nan],
                          "overhead": [150_000.0, 30_000.0]}, index=["Aprūpe mājās", "Krīzes"])
    return plots.stacked_bars(table, parts=["direct", "capital", "overhead"],
                              part_names={"direct": "Tiešās", "capital": "Kapitāla",
                                          "overhead": "Netiešās"},
                              title="Izmaksu struktūra", xlabel="EUR")


def _scatter(**options) -> Figure:
    n = pd.Series({"A": 5_000.0, "B": 1_200.0, "C": 20_000.0, "D": 800.0, "E": 45_000.0})
    rate = pd.Series({"A": 52.0, "B": 30.0, "C": 36.0, "D": 21.0, "E": 34.0})
    grid = np.geomspace(800.0, 45_000.0, 20)
    return plots.peer_scatter(
        n, rate, "A", NAMES, title="Aprūpe mājās", xlabel="Iedzīvotāji 65+",
        ylabel="Klienti uz 1000", line=(grid, np.full(20, 35.0)),
        band=(grid, 35.0 - 300 / np.sqrt(grid), 35.0 + 300 / np.sqrt(grid)),
        line_label="Visu pašvaldību līmenis", band_label="99,8 % kontroles robežas", logx=True,
        **options)


CHARTS = {"peer_bars": _bars, "peer_strips": _strips, "stacked_bars": _stacked,
          "peer_scatter": _scatter}


def _png(fig: Figure) -> bytes:
    return plots.as_image(fig).data


def _coloured(artists, colour: str) -> list:
    """The artists whose face colour is ``colour`` (alpha ignored)."""
    def face(a):
        c = a.get_facecolor()
        return np.atleast_2d(c)[:, :3]
    return [a for a in artists if len(face(a)) and np.allclose(face(a), to_rgb(colour))]


def _ticks(axis) -> list[str]:
    axis.figure.draw_without_rendering()
    return [t.get_text() for t in axis.get_ticklabels() if t.get_text()]


# --- each chart --------------------------------------------------------------------------------

def test_peer_bars_highlight_value_and_reference():
    with mock.patch.object(plots.sns, "barplot", wraps=sns.barplot) as barplot:
        fig = _bars(reference=0.5, reference_label="Normatīvs")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert barplot.call_args.kwargs["ax"] is ax
    assert len(ax.patches) == 4  # C (NaN) dropped
    own = _coloured(ax.patches, plots.HIGHLIGHT)
    assert len(own) == 1 and own[0].get_width() == pytest.approx(0.62)
    assert len(_coloured(ax.patches, plots.PEER)) == 3
    # sorted by value, the largest on top (seaborn's categorical axis runs top-down)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["Dobele", "Ādaži", "Ērgļi", "Bauska"]
    tick = ax.get_yticklabels()[1]
    assert tick.get_fontweight() == "bold" and to_rgb(tick.get_color()) == to_rgb(plots.HIGHLIGHT)
    assert [t.get_text() for t in ax.texts] == ["0,62"]  # value at the end of the bar, Latvian
    assert to_rgb(ax.texts[0].get_color()) == to_rgb(plots.HIGHLIGHT)
    (line,) = ax.lines
    assert line.get_xdata()[0] == 0.5 and line.get_linestyle() == "--"
    assert to_rgb(line.get_color()) == to_rgb(plots.REFERENCE)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Normatīvs"]
    assert ax.get_ylabel() == "" and ax.get_xlabel() == "slodzes uz 1000 iedz."
    assert _ticks(ax.xaxis)[:3] == ["0", "0,2", "0,4"]


def test_peer_bars_english_and_no_reference():
    fig = plots.peer_bars(_values(), "B", NAMES, title="t", xlabel="x", lang="en", decimals=1)
    ax = fig.axes[0]
    assert ax.get_legend() is None and not ax.lines
    assert [t.get_text() for t in ax.texts] == ["0.3"]  # 0.35 to one decimal, half to even
    assert _coloured(ax.patches, plots.HIGHLIGHT)[0].get_width() == pytest.approx(0.35)
    assert "0.2" in _ticks(ax.xaxis)


def test_peer_strips_seaborn_layers_highlight_and_median():
    with (mock.patch.object(plots.sns, "swarmplot", wraps=sns.swarmplot) as swarmplot,
          mock.patch.object(plots.sns, "pointplot", wraps=sns.pointplot) as pointplot):
        fig = _strips()
    ax = fig.axes[0]
    assert swarmplot.call_count == 2 and pointplot.call_count == 1  # peers, municipality; median
    assert all(c.kwargs["ax"] is ax for c in swarmplot.call_args_list + pointplot.call_args_list)
    # one seaborn collection per category and layer: the peers', then the municipality's
    own = _coloured(ax.collections, plots.HIGHLIGHT)
    assert len(own) == 3
    assert [float(c.get_offsets()[0, 0]) for c in own] == [18.0, 40.0, 310.0]
    peers = _coloured(ax.collections, plots.PEER)
    assert sorted(np.concatenate([c.get_offsets()[:, 0] for c in peers]).tolist()) == sorted(
        [15.0, 22.0, 16.0, 30.0, 25.0, 35.0, 55.0, 45.0, 280.0, 400.0, 350.0])
    # the peers' median of each service (LTC: even count, the mean of the middle two)
    (median,) = ax.lines
    assert to_rgb(median.get_color()) == to_rgb(plots.REFERENCE)
    assert median.get_xdata().tolist() == [19.0, 40.0, 350.0]
    assert ax.get_xscale() == "log"
    assert [t.get_text() for t in ax.get_yticklabels()] == list(SERVICES.values())
    # one legend entry per label, below the axes
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == [
        "Līdzīgās pašvaldības", "Līdzīgo mediāna", "Šī pašvaldība"]
    assert ax.get_legend() is None
    assert {"20", "50", "100", "200"} <= set(_ticks(ax.xaxis))


def test_peer_strips_without_peers_or_legend():
    t = _long()
    fig = plots.peer_strips(t[t["municipality_code"] == "A"], "A", category="service_code",
                            value="unit_cost_eur", title="t", xlabel="x")
    ax = fig.axes[0]
    assert not fig.legends and not ax.lines
    assert len(_coloured(ax.collections, plots.HIGHLIGHT)) == 3
    assert [t.get_text() for t in ax.get_yticklabels()] == ["HC", "DC", "LTC"]  # codes


def test_stacked_bars_palette_and_legend():
    fig = _stacked()
    ax = fig.axes[0]
    for colour, n in zip(plots.STACK[:3], (2, 2, 2), strict=True):
        assert len(_coloured(ax.patches, colour)) == n
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["Tiešās", "Kapitāla",
                                                                  "Netiešās"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Aprūpe mājās", "Krīzes"]
    assert f"1{NBSP}000{NBSP}000" in _ticks(ax.xaxis)


def test_peer_scatter_highlight_name_band_and_line():
    with mock.patch.object(plots.sns, "scatterplot", wraps=sns.scatterplot) as scatterplot:
        fig = _scatter()
    ax = fig.axes[0]
    assert scatterplot.call_count == 2
    assert all(c.kwargs["ax"] is ax for c in scatterplot.call_args_list)
    (own,) = _coloured(ax.collections, plots.HIGHLIGHT)
    assert own.get_offsets().tolist() == [[5_000.0, 52.0]]
    (peers,) = _coloured(ax.collections, plots.PEER)
    assert len(peers.get_offsets()) == 4
    assert [t.get_text() for t in ax.texts] == ["Ādaži"]
    assert to_rgb(ax.texts[0].get_color()) == to_rgb(plots.HIGHLIGHT)
    assert to_rgb(ax.lines[0].get_color()) == to_rgb(plots.REFERENCE)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "99,8 % kontroles robežas", "Visu pašvaldību līmenis"]
    assert ax.get_xscale() == "log"
    assert f"10{NBSP}000" in _ticks(ax.xaxis)


@pytest.mark.parametrize(("draw", "message"), [
    (lambda: plots.peer_bars(pd.Series({"A": np.nan, "B": 1.0}), "A", NAMES, title="t",
                             xlabel="x"), "peer_bars: municipality 'A' has no value to draw"),
    (lambda: plots.peer_strips(_long(), "Z", category="service_code", value="unit_cost_eur",
                               title="t", xlabel="x"),
     "peer_strips: municipality 'Z' has no 'unit_cost_eur' to draw"),
    (lambda: plots.peer_strips(_long().assign(unit_cost_eur=0.0), "A",
                               category="service_code", value="unit_cost_eur", title="t",
                               xlabel="x", log=True), "no 'unit_cost_eur' to draw"),
    (lambda: plots.stacked_bars(pd.DataFrame(columns=["a"]), parts=["a"], part_names={},
                                title="t", xlabel="x"), "nothing to draw"),
    (lambda: plots.peer_scatter(pd.Series({"B": 1.0}), pd.Series({"B": 1.0}), "A", NAMES,
                                title="t", xlabel="x", ylabel="y"),
     "peer_scatter: municipality 'A' has no point to draw"),
], ids=["bars", "strips", "strips-log", "stacked", "scatter"])
def test_nothing_to_draw(draw, message):
    with pytest.raises(InputError, match=message):
        draw()


# --- house style, global state, determinism ---------------------------------------------------

#: A caller's own settings (a notebook's style): none of them may reach a chart, nor be changed.
CALLER = {"font.size": 20, "xtick.labelsize": 14, "axes.grid": False, "axes.facecolor": "black",
          "lines.linewidth": 4, "axes.titlepad": 25, "xtick.major.pad": 12, "axes.xmargin": 0.3,
          "legend.handlelength": 5, "axes.autolimit_mode": "round_numbers",
          "font.family": ["serif"], "text.hinting": "auto"}  # hinting: read when drawn


@pytest.mark.parametrize("chart", CHARTS)
def test_house_style_without_global_state(chart):
    open_figures = plt.get_fignums()  # pyplot figures other tests left open
    with mpl.rc_context(CALLER):
        before = dict(mpl.rcParams)
        # seaborn's strip jitter would draw from numpy's global generator: it must stay untouched
        rng = np.random.get_state()  # noqa: NPY002
        fig = CHARTS[chart]()
        png = _png(fig)
        assert dict(mpl.rcParams) == before
        after = np.random.get_state()  # noqa: NPY002
        assert all(np.array_equal(a, b) for a, b in zip(after, rng, strict=True))
    assert png.startswith(b"\x89PNG")
    assert type(fig) is Figure and fig.canvas.manager is None
    assert plt.get_fignums() == open_figures  # no pyplot figure registered
    ax = fig.axes[0]
    assert ax.title.get_fontsize() == 12 and ax.get_title(loc="left")
    assert {t.get_fontsize() for t in ax.get_xticklabels() + ax.get_yticklabels()} == {9}
    assert ax.xaxis.label.get_fontsize() == 10
    assert ax.title.get_fontname() == "DejaVu Sans"
    assert not ax.spines["top"].get_visible() and not ax.spines["right"].get_visible()
    assert ax.get_facecolor()[:3] == to_rgb("white")
    grid = [line for line in ax.xaxis.get_gridlines() if line.get_visible()]
    assert grid and to_rgb(grid[0].get_color()) == to_rgb(plots.GRID)
    for legend in [*fig.legends, ax.get_legend()]:
        if legend is not None:
            assert {t.get_fontsize() for t in legend.get_texts()} == {9}


@pytest.mark.parametrize("chart", CHARTS)
def test_same_png_every_time_whatever_the_callers_style(chart):
    first = _png(CHARTS[chart]())
    assert _png(CHARTS[chart]()) == first
    with mpl.rc_context(CALLER):
        assert _png(CHARTS[chart]()) == first
    with mpl.style.context("ggplot"):
        assert _png(CHARTS[chart]()) == first


def test_theme_restores_rcparams():
    with mpl.rc_context(CALLER):
        before = dict(mpl.rcParams)
        with plots.theme():
            assert mpl.rcParams["axes.titlesize"] == 12
            assert mpl.rcParams["grid.color"] == plots.GRID
            assert not mpl.rcParams["axes.spines.right"]
            # matplotlib's defaults under the house style, not the caller's settings
            assert mpl.rcParams["axes.titlepad"] == mpl.rcParamsDefault["axes.titlepad"]
        assert dict(mpl.rcParams) == before
        with pytest.raises(RuntimeError), plots.theme():
            raise RuntimeError
        assert dict(mpl.rcParams) == before
