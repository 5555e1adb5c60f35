"""Figures for papers: corner plots of one run or several overlaid (GetDist), and exclusion plots
of coupling limits against a mass.

Corner plots use GetDist's kernel density estimates (docs/plots.md says why GetDist): optimised
bandwidths, linear boundary kernels at the declared prior edges and multiplicative bias
correction; 68% and 95% highest-density regions filled; the summary table's 95% limits marked
on the 1-D panels. Log-uniform parameters are estimated and drawn in log10 (where their prior is
flat) with ticks labelled 10^k. Labels come from :mod:`globalfit.labels`.
"""

from __future__ import annotations

import logging
import math
import os
import textwrap
import uuid
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import to_rgb  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter  # noqa: E402

from globalfit.errors import GlobalfitError  # noqa: E402

#: run colours (GetDist's first two, then colour-blind-safe ones)
COLOURS = ["#006FED", "#E03424", "#009966", "#8E44AD", "#E67E22", "#000866", "#7F7F7F"]
#: further colours of exclusion plots with many curves (colour-blind-safe Tol "muted" set)
MORE_COLOURS = ["#CC6677", "#117733", "#88CCEE", "#DDCC77", "#AA4499", "#44AA99", "#999933",
                "#882255", "#332288"]
#: credible levels of the filled 2-D regions, inner first
LEVELS = (0.68, 0.95)
#: GetDist's outer-contour pale factor (the 95% region is this much paler than the 68% one)
PALE = 0.6
#: posterior mass of the lightest dead points left out of the density estimates
TAIL_MASS = 1e-4
#: file formats of --out
FORMATS = (".png", ".pdf", ".svg")


def _pale(colour: str, factor: float = PALE) -> tuple[float, float, float]:
    r, g, b = to_rgb(colour)
    return (r * (1 - factor) + factor, g * (1 - factor) + factor, b * (1 - factor) + factor)


def check_output(path: str | Path) -> Path:
    """Refuse, before any work, a figure path that cannot be written: an unknown format, a
    folder, or a place where no file can be created (tried with a temporary file)."""
    import tempfile

    if not str(path).strip():
        raise GlobalfitError("The figure file name is empty.")
    p = Path(path)
    if p.suffix.lower() not in FORMATS:
        raise GlobalfitError(f"Cannot write a figure to {p}: give a file name ending in "
                             f"{', '.join(FORMATS[:-1])} or {FORMATS[-1]}.")
    if p.is_dir():
        raise GlobalfitError(f"Cannot write a figure to {p}: it is a folder.")
    existing = p.parent
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise GlobalfitError(f"Cannot write a figure to {p}: {existing} is a file.")
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as exc:
        raise GlobalfitError(f"Cannot write a figure to {p}: {existing} is not writable "
                             f"({exc.strerror}).") from None
    return p


def save_figure(fig: Any, path: str | Path, dpi: int = 150) -> Path:
    """Write to a temporary sibling and rename (never a half-written image); the format follows
    the suffix (PNG raster, PDF and SVG vector)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}{path.suffix}")
    try:
        fig.savefig(tmp, dpi=dpi, bbox_inches="tight")
        tmp.replace(path)
    finally:
        plt.close(fig)
        if tmp.exists():
            tmp.unlink()
    return path


# -- corner plots -------------------------------------------------------------------------------
def _common(runs: Sequence[Any]) -> list[str]:
    return [p for p in runs[0].names if all(p in r.names for r in runs)]


def default_parameters(runs: Sequence[Any]) -> list[str]:
    """The sampled model parameters all runs share (nuisances only when there are none)."""
    common = _common(runs)
    physics = [p for p in runs[0].model_parameters if p in common]
    return physics or common


def _bulk(weights: np.ndarray) -> np.ndarray:
    """Mask of the dead points that hold all but ``TAIL_MASS`` of the posterior. Nested
    sampling's first dead points fill the prior with weights ~0; kept, GetDist would take every
    posterior to reach its prior edges and stretch the axes to them."""
    order = np.argsort(weights)
    cum = np.cumsum(weights[order])
    keep = np.ones(len(weights), bool)
    keep[order[cum < TAIL_MASS * cum[-1]]] = False
    return keep & (weights > 0)


def _to_getdist(run: Any, params: list[str], log_params: set[str], label: str):
    """GetDist MCSamples of ``params`` (log10 of the log-uniform ones), with the prior edges as
    hard ranges for the boundary correction."""
    from getdist import MCSamples, chains

    chains.print_load_details = False
    cols, ranges = [], {}
    for p in params:
        x = run.column(p)
        lo, hi = run.prior_range(p)
        if p in log_params:
            x = np.log10(x)
            lo, hi = math.log10(lo), math.log10(hi)
        cols.append(x)
        ranges[p] = [lo, hi]
    keep = _bulk(run.weights) if run.nested else np.ones(len(run.weights), bool)
    labels = run.labels
    samples = MCSamples(
        samples=np.column_stack(cols)[keep], weights=run.weights[keep],
        loglikes=-run.loglike[keep], names=params, labels=[labels[p] for p in params],
        ranges=ranges, label=label, sampler="nested" if run.nested else "mcmc",
        settings={"contours": " ".join(str(v) for v in LEVELS)},
    )
    return samples


@contextmanager
def _quiet_getdist():
    """GetDist notes on the root logger what is routine for nested sampling (an "outlier
    fraction" of heavy weights, fallback bandwidths for flat posteriors): keep them off the
    terminal while it works."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(max(level, logging.ERROR))
    try:
        yield
    finally:
        root.setLevel(level)


def _spread(samples: Any, params: list[str]) -> float:
    """Sum of log standard deviations of ``params`` (log volume of the posterior's bulk)."""
    return float(sum(math.log(max(samples.std(p), 1e-300)) for p in params))


def _log_ticks(axis: Any, lo: float, hi: float, prune_high: bool = False) -> None:
    """Ticks 10^k on an axis that shows log10 of a parameter, with minor ticks at 2..9 x 10^k
    when there are few decades; ``prune_high`` leaves the label at the upper end blank (it
    would run into the first label of the next panel)."""
    span = hi - lo
    step = 1 if span <= 6 else 2 if span <= 12 else 3
    major = [k for k in range(math.floor(lo), math.ceil(hi) + 1) if k % step == 0 and
             lo - 1e-9 <= k <= hi + 1e-9]
    if len(major) < 2:  # less than a decade shown: label 1, 2, 5 x 10^k
        major = [k + math.log10(m) for k in range(math.floor(lo), math.ceil(hi) + 1)
                 for m in (1, 2, 5) if lo <= k + math.log10(m) <= hi]
    axis.set_major_locator(FixedLocator(major))
    top = hi - 0.12 * span if prune_high else math.inf
    axis.set_major_formatter(FuncFormatter(lambda v, _pos: _pow10(v) if v < top else ""))
    if step == 1:
        minor = [k + math.log10(m) for k in range(math.floor(lo), math.ceil(hi) + 1)
                 for m in range(2, 10) if lo <= k + math.log10(m) <= hi]
        axis.set_minor_locator(FixedLocator(minor))
        axis.set_minor_formatter(NullFormatter())


def _pow10(v: float) -> str:
    k = math.floor(v + 1e-9)
    m = 10 ** (v - k)
    if abs(m - 1) < 1e-6:
        return f"$10^{{{k}}}$"
    return f"${m:.0f}\\times10^{{{k}}}$"


def _limit_lines(run: Any, p: str) -> tuple[str, list[float]]:
    """What of the summary's 95% limits to mark on ``p``'s 1-D panel: ("upper", [upper95]) when
    the 95% HDI reaches the lower prior edge, ("lower", [lower95]) when it reaches the upper
    one, ("hdi", [ends of the 95% HDI regions]) otherwise."""
    s = run.summary["parameters"][p]
    lo, hi = run.prior_range(p)
    a, b = s["hdi95"]
    t = (lambda v: math.log10(v)) if run.log_uniform(p) else (lambda v: v)
    near = 0.02 * (t(hi) - t(lo)) if lo is not None and hi is not None else 0.0
    if lo is not None and t(a) - t(lo) <= near:
        return "upper", [s["upper95"]]
    if hi is not None and t(hi) - t(b) <= near:
        return "lower", [s["lower95"]]
    regions = s.get("hdi95_regions") or [s["hdi95"]]
    return "hdi", [v for r in regions for v in r]


LIMIT_TEXT = {"upper": "95% upper limit", "lower": "95% lower limit", "hdi": "95% HDI"}


def corner_figure(runs: Sequence[Any], params: Sequence[str] | None = None,
                  legend: Sequence[str] | None = None, title: str = "",
                  mark_limits: bool = True) -> Any:
    """Corner plot of one or more runs (:class:`globalfit.chains.Chains`); returns the GetDist
    plotter (``.fig``, ``.subplots[row, column]``) for further work. ``params``: default, the
    model parameters all runs share; ``legend``: one name per run (default the runs' names; a
    single run is named by ``title`` only)."""
    from getdist import plots as gdplots

    if not runs:
        raise GlobalfitError("Nothing to plot: no run given.")
    params = list(params or default_parameters(runs))
    missing = [p for p in params if p not in _common(runs)]
    if missing or not params:
        raise GlobalfitError(f"Cannot plot {', '.join(missing) or 'nothing'}: the runs share only "
                             f"{', '.join(_common(runs)) or 'no parameter'}.")
    names = list(legend or [r.name for r in runs])
    log_params = {p for p in params if all(r.log_uniform(p) for r in runs)}
    palette = COLOURS + MORE_COLOURS
    colours = [palette[k % len(palette)] for k in range(len(runs))]

    n = len(params)
    g = gdplots.get_subplot_plotter(width_inch=min(2.3 * n + 1.4, 13.0))
    g.settings.figure_legend_frame = False
    g.settings.legend_fontsize = 10
    g.settings.axes_fontsize = 9
    g.settings.axes_labelsize = 12
    g.settings.linewidth_contour = 0.8
    g.settings.alpha_filled_add = 0.75
    g.settings.tight_layout = True
    with _quiet_getdist():
        samples = [_to_getdist(r, params, log_params, nm)
                   for r, nm in zip(runs, names, strict=True)]
        # the widest posterior first, so that narrower ones are drawn on top of it
        order = sorted(range(len(runs)), key=lambda k: -_spread(samples[k], params))
        g.triangle_plot([samples[k] for k in order], params, filled=True,
                        contour_colors=[colours[k] for k in order], legend_labels=[],
                        line_args=[{"color": colours[k], "lw": 1.4, "ls": "-"} for k in order])

    kinds: set[str] = set()
    for i, p in enumerate(params):
        ax = g.subplots[i, i]
        if mark_limits:
            for run, c in zip(runs, colours, strict=True):
                kind, values = _limit_lines(run, p)
                kinds.add(kind)
                for v in values:
                    x = math.log10(v) if p in log_params else v
                    ax.axvline(x, color=c, ls=(0, (4, 2)), lw=1.0)
        if p in log_params:
            lo, hi = ax.get_xlim()
            for col in g.subplots[i:, i]:  # the column's x axes
                if col is not None:
                    _log_ticks(col.xaxis, lo, hi, prune_high=i < n - 1)
            for row in g.subplots[i, :i]:  # the row's y axes
                if row is not None:
                    _log_ticks(row.yaxis, lo, hi, prune_high=i > 1)

    handles: list[Any] = []
    if len(runs) > 1:
        handles += [Patch(facecolor=c, edgecolor=c, label=nm)
                    for c, nm in zip(colours, names, strict=True)]
    key = colours[0] if len(runs) == 1 else "#555555"
    handles += [Patch(facecolor=key, label=f"{LEVELS[0]:.0%} credible region"),
                Patch(facecolor=_pale(key), label=f"{LEVELS[1]:.0%} credible region")]
    handles += [Line2D([], [], color=key, ls=(0, (4, 2)), lw=1.0,
                       label=f"{LIMIT_TEXT[k]} (summary)") for k in ("upper", "lower", "hdi")
                if k in kinds]
    fig = g.fig
    # the legend (headed by the title) fills the empty upper triangle, inside the figure
    width = 26 * (n - 1) if n > 1 else 40  # characters that fit in the empty triangle
    head = {"title": textwrap.fill(title, width, break_on_hyphens=False), "title_fontsize": 10,
            "alignment": "right"} if title else {}
    if n > 1:
        anchor = g.subplots[0, 0].get_position()
        right = g.subplots[-1, -1].get_position()
        fig.legend(handles=handles, loc="upper right", frameon=False, fontsize=10,
                   bbox_to_anchor=(right.x1, anchor.y1), **head)
    else:
        g.subplots[0, 0].legend(handles=handles, frameon=False, fontsize=9, loc="best", **head)
    return g


def corner_plot(runs: Sequence[Any], path: str | Path, params: Sequence[str] | None = None,
                legend: Sequence[str] | None = None, title: str = "", mark_limits: bool = True,
                dpi: int = 150) -> Path:
    """:func:`corner_figure` written to ``path`` (.png, .pdf or .svg, atomically)."""
    return save_figure(corner_figure(runs, params, legend, title, mark_limits).fig, path, dpi)


# -- exclusion plots ----------------------------------------------------------------------------
@dataclass
class ExclusionCurve:
    """One 95% upper bound on a coupling as a function of a mass (or any scanned parameter).

    ``y`` is NaN where the coupling is not constrained. ``kind``: ``"profile"`` (Delta chi2 =
    3.84, frequentist) or ``"bayesian"`` (95% upper limit of the marginal posterior). A
    ``projection`` (future experiment or luminosity) is dashed and not shaded; a measurement
    shades the excluded region above it unless ``shade`` says otherwise. Curves with the same
    ``label`` share a colour (one colour per experiment or combination). ``yerr``: the Monte
    Carlo error of each Bayesian limit (globalfit.limit_error), drawn as bars; NaN: none."""

    x: Sequence[float]
    y: Sequence[float]
    label: str
    kind: Literal["profile", "bayesian"] = "profile"
    projection: bool = False
    shade: bool | None = None
    colour: str | None = None
    yerr: Sequence[float] | None = None


KIND_TEXT = {"profile": r"profile $\Delta\chi^2 = 3.84$", "bayesian": "Bayesian 95% upper limit"}


def _decade_labels(axis: Any, lo: float, hi: float) -> None:
    """On a log axis label the decades, and 2 and 5 times them when fewer than three decades
    show (matplotlib would label every minor tick there)."""
    decades = math.floor(math.log10(hi)) - math.ceil(math.log10(lo)) + 1
    keep = (1,) if decades >= 3 else (1, 2, 5)

    def label(v: float, _pos: Any = None) -> str:
        k = math.floor(math.log10(v) + 1e-9)
        m = round(v / 10**k)
        return _pow10(k + math.log10(m)) if m in keep and abs(v / 10**k - m) < 1e-6 else ""

    axis.set_major_formatter(FuncFormatter(label))
    axis.set_minor_formatter(FuncFormatter(label))


def exclusion_figure(curves: Sequence[ExclusionCurve], xlabel: str, ylabel: str,
                     title: str = "", note: str = "",
                     ylim: tuple[float, float] | None = None) -> Any:
    """Log-log exclusion plot in the field's style: the region above each measurement's bound
    shaded in its colour, projections dashed, Bayesian limits with markers; a legend of the
    experiments or combinations and, below the axes, a key of the line styles. ``note`` goes in
    small type above the upper right corner (e.g. how nuisances were treated). Returns the
    matplotlib figure."""
    fig, ax = plt.subplots(figsize=(6.4, 4.8))
    colour_of: dict[str, str] = {}
    palette = COLOURS + MORE_COLOURS
    for c in curves:
        if c.label not in colour_of:
            colour_of[c.label] = c.colour or palette[len(colour_of) % len(palette)]
    drawn: list[tuple[ExclusionCurve, np.ndarray, np.ndarray]] = []
    bars = False
    for c in curves:
        x, y = np.asarray(c.x, float), np.asarray(c.y, float)
        ok = np.isfinite(y) & (y > 0) & np.isfinite(x) & (x > 0)
        if not ok.any():
            continue
        y = np.where(ok, y, np.nan)  # a gap where the coupling is not constrained
        col = colour_of[c.label]
        bayes = c.kind == "bayesian"
        ax.plot(x, y, color=col, lw=1.2 if bayes else 1.8, ls="--" if c.projection else "-",
                marker="o" if bayes else None, ms=3.0, zorder=3)
        if c.yerr is not None:
            e = np.asarray(c.yerr, float)
            bar = ok & np.isfinite(e) & (e > 0)
            if bar.any():  # on a log axis the lower bar stops above zero
                ax.errorbar(x[bar], y[bar], yerr=[np.minimum(e[bar], 0.9 * y[bar]), e[bar]],
                            fmt="none", ecolor=col, elinewidth=0.8, capsize=1.5, zorder=3)
                bars = True
        drawn.append((c, x, y))
    ax.set_xscale("log")
    ax.set_yscale("log")
    if ylim:
        ax.set_ylim(*ylim)
    top = ax.get_ylim()[1]
    for c, x, y in drawn:
        if c.shade if c.shade is not None else not c.projection:
            ok = np.isfinite(y)
            ax.fill_between(x, np.where(ok, y, top), top, where=ok, color=colour_of[c.label],
                            alpha=0.10, lw=0, zorder=1)
    ax.set_ylim(top=top)
    for axis, (lo, hi) in ((ax.xaxis, ax.get_xlim()), (ax.yaxis, ax.get_ylim())):
        _decade_labels(axis, lo, hi)
    ax.set_xlabel(xlabel, fontsize=12)
    ax.set_ylabel(ylabel, fontsize=12)
    ax.tick_params(which="both", direction="in", top=True, right=True)
    if title:
        ax.set_title(textwrap.fill(title, 70), fontsize=9)
    if not drawn:
        ax.text(0.5, 0.5, "no coupling is constrained over this range", ha="center",
                va="center", transform=ax.transAxes)
    else:
        labels = list(dict.fromkeys(c.label for c, _, _ in drawn))
        dashed = {c.label for c, _, _ in drawn if c.projection}
        handles = [Patch(facecolor=_pale(colour_of[lb], 0.75), edgecolor=colour_of[lb],
                         ls="--" if lb in dashed else "-", label=lb) for lb in labels]
        if len(labels) > 6:  # many curves: the key beside the axes, not over the curves
            first = ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0),
                              fontsize=8, frameon=False)
        else:
            first = ax.legend(handles=handles, loc="upper left", fontsize=8, frameon=True,
                              framealpha=0.85, edgecolor="none")
        ax.add_artist(first)
        style = []
        if any(not c.projection for c, _, _ in drawn):
            style.append(Line2D([], [], color="k", lw=1.8, label="measurement (excluded above)"))
        if any(c.projection for c, _, _ in drawn):
            style.append(Line2D([], [], color="k", lw=1.8, ls="--", label="projection"))
        kinds = {c.kind for c, _, _ in drawn}
        style += [Line2D([], [], color="k", lw=1.2 if k == "bayesian" else 1.8,
                         marker="o" if k == "bayesian" else None, ms=3,
                         label=KIND_TEXT[k] + (" (bars: Monte Carlo error)"
                                               if k == "bayesian" and bars else ""))
                  for k in ("profile", "bayesian") if k in kinds]
        ax.legend(handles=style, loc="upper center", bbox_to_anchor=(0.5, -0.13),
                  ncol=2 if len(style) > 2 else len(style), fontsize=8, frameon=False,
                  handlelength=2.6)
    if note:
        ax.text(0.99, 1.01, note, ha="right", va="bottom", fontsize=7, color="0.4",
                transform=ax.transAxes)
    ax.grid(alpha=0.25, which="major")
    return fig


def exclusion_plot(curves: Sequence[ExclusionCurve], path: str | Path, xlabel: str,
                   ylabel: str, title: str = "", note: str = "",
                   ylim: tuple[float, float] | None = None, dpi: int = 150) -> Path:
    """:func:`exclusion_figure` written to ``path`` (.png, .pdf or .svg, atomically)."""
    return save_figure(exclusion_figure(curves, xlabel, ylabel, title, note, ylim), path, dpi)

