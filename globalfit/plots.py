"""Corner plots (one run or several overlaid) and exclusion plots of scans."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from scipy.ndimage import gaussian_filter  # noqa: E402

COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf"]


def _save(fig, path: str | Path, dpi: int) -> Path:
    """Lay out, write to a temporary sibling and rename (never a half-written image)."""
    fig.tight_layout()
    path = Path(path)
    tmp = path.with_name(f".{path.stem}.tmp{path.suffix}")
    fig.savefig(tmp, dpi=dpi)
    plt.close(fig)
    tmp.replace(path)
    return path


def _levels(h: np.ndarray, probs: Sequence[float]) -> list[float]:
    """Density thresholds enclosing the given probability masses of a 2-D histogram."""
    flat = np.sort(h.ravel())[::-1]
    cum = np.cumsum(flat) / flat.sum()
    out = []
    for p in probs:
        idx = min(np.searchsorted(cum, p), flat.size - 1)
        out.append(flat[idx])
    return sorted(set(out))


def corner_plot(runs: Sequence[Mapping[str, np.ndarray]], labels: Sequence[str], path: str | Path,
                params: Sequence[str] | None = None, log_params: Sequence[str] = (),
                bins: int = 40) -> Path:
    """Corner plot of one or more runs' equally weighted samples: 1-D histograms on the diagonal,
    68% and 95% highest-density contours below. Parameters in ``log_params`` are shown as log10."""
    params = list(params or [p for p in runs[0] if all(p in r for r in runs)])
    n = len(params)
    fig, axes = plt.subplots(n, n, figsize=(2.4 * n + 1, 2.4 * n + 1), squeeze=False)

    def values(run, p):
        x = np.asarray(run[p], float)
        return np.log10(np.clip(x, 1e-300, None)) if p in log_params else x

    ranges = {}
    for p in params:
        allx = np.concatenate([values(r, p) for r in runs])
        lo, hi = np.quantile(allx, [0.001, 0.999])
        ranges[p] = (lo, hi) if hi > lo else (lo - 0.5, hi + 0.5)
    for i, pi in enumerate(params):
        for j, pj in enumerate(params):
            ax = axes[i, j]
            if j > i:
                ax.axis("off")
                continue
            for k, run in enumerate(runs):
                c = COLOURS[k % len(COLOURS)]
                if i == j:
                    ax.hist(values(run, pi), bins=bins, range=ranges[pi], density=True,
                            histtype="step", color=c, label=labels[k] if i == 0 else None)
                    ax.set_yticks([])
                else:
                    h, xe, ye = np.histogram2d(values(run, pj), values(run, pi),
                                               bins=bins // 2, range=[ranges[pj], ranges[pi]])
                    h = gaussian_filter(h, 1.0)
                    lv = _levels(h, [0.95, 0.68])
                    if len(lv) > 1 or (lv and lv[0] > 0):
                        ax.contour(0.5 * (xe[1:] + xe[:-1]), 0.5 * (ye[1:] + ye[:-1]), h.T,
                                   levels=[v for v in lv if v > 0] or None, colors=c,
                                   linewidths=1.0)
            if i == n - 1:
                ax.set_xlabel(f"log10 {pj}" if pj in log_params else pj)
            else:
                ax.set_xticklabels([])
            if j == 0 and i > 0:
                ax.set_ylabel(f"log10 {pi}" if pi in log_params else pi)
            elif j > 0:
                ax.set_yticklabels([])
    if len(runs) > 1:
        handles, labs = axes[0, 0].get_legend_handles_labels()
        fig.legend(handles, labs, loc="upper right", fontsize=9, frameon=False)
    elif labels[0]:
        fig.suptitle(textwrap.fill(labels[0], 25 * n + 20), fontsize=9)
    return _save(fig, path, dpi=110)


def exclusion_plot(x: np.ndarray, curves: Mapping[str, np.ndarray], path: str | Path,
                   xlabel: str, ylabel: str, title: str = "") -> Path:
    """Log-log exclusion plot: each curve is the 95% upper limit on a coupling vs ``x``; the
    region above each curve is shaded (excluded). Non-finite points are left out."""
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    drawn = []
    for k, (label, y) in enumerate(curves.items()):
        y = np.asarray(y, float)
        ok = np.isfinite(y) & (y > 0)
        if ok.any():  # NaN breaks the line where a coupling is not constrained
            c = COLOURS[k % len(COLOURS)]
            y = np.where(ok, y, np.nan)
            ax.plot(np.asarray(x), y, marker="o", ms=3, color=c, label=label)
            drawn.append((np.asarray(x), y, ok, c))
    ax.set_xscale("log")
    ax.set_yscale("log")
    top = ax.get_ylim()[1]
    for xs, ys, ok, c in drawn:
        ax.fill_between(xs, np.where(ok, ys, top), top, where=ok, color=c, alpha=0.06)
    ax.set_ylim(top=top)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(textwrap.fill(title, 70), fontsize=9)
    if drawn:
        ax.legend(frameon=False, fontsize=9)
    else:
        ax.text(0.5, 0.5, "no coupling is constrained over this range", ha="center",
                va="center", transform=ax.transAxes)
    ax.grid(alpha=0.3, which="both")
    return _save(fig, path, dpi=120)
