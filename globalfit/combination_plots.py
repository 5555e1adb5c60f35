"""Figures of a combine job: the physics parameters of every combination overlaid in one corner
plot, and what each combination adds (bits of information, how much each 95% limit shrinks)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np


def plot_combinations(base: Path, runs: list[Any], table: dict[str, Any], physics: list[str],
                      title: str = "") -> list[Path]:
    """Write ``corner.png`` (overlay) and ``information.png`` (contributions) into ``base``."""
    written = []
    models = [p for p in runs if not p.null and p.summary]
    if physics and models:
        from globalfit.compare import overlay_corner

        written.append(overlay_corner(
            [p.dir for p in models], base / "corner.png",
            labels=[p.combo.name + (" (projection)" if p.projection else "") for p in models],
            params=physics))
    if table["rows"]:
        written.append(information_chart(table, base / "information.png", title))
    return written


def information_chart(table: dict[str, Any], path: Path, title: str = "") -> Path:
    """Left: information gain of each combination [bits] (projections hatched). Right: for each
    combination G, the bits it adds to the largest combination C it does not overlap (C u G in
    the table) and, per coupling, how much it shrinks C's 95% upper limit [%]."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from globalfit.plots import COLOURS, _save

    rows = [r for r in table["rows"] if r["information_bits"] is not None]
    contrib = [c for c in table["contributions"] if c["bits_added"] is not None]
    ncol = 2 if contrib else 1
    fig, axes = plt.subplots(1, ncol, figsize=(5.2 * ncol, 0.45 * max(len(rows), 4) + 1.6),
                             squeeze=False)
    ax = axes[0, 0]
    names = [r["combination"] for r in rows]
    y = np.arange(len(rows))
    ax.barh(y, [r["information_bits"] for r in rows],
            xerr=[r["information_bits_err"] for r in rows], color=COLOURS[0],
            hatch=None, alpha=0.85)
    for k, r in enumerate(rows):
        if r["projection"]:
            ax.barh(k, r["information_bits"], color="none", edgecolor="k", hatch="//", lw=0)
    ax.set_yticks(y, names, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel(r"information gain $D_\mathrm{KL}$(posterior$\,\|\,$prior) [bits]")
    ax.set_title("per combination (hatched: projection)", fontsize=9)
    if contrib:
        ax = axes[0, 1]
        labels = [f"{c['group']} → {c['added_to']}" for c in contrib]
        y = np.arange(len(contrib))
        params = sorted({n for c in contrib for n in c["upper95_shrink"]})
        h = 0.8 / (1 + len(params))
        ax.barh(y - 0.4 + h / 2, [c["bits_added"] for c in contrib], height=h,
                color=COLOURS[0], label="bits added")
        ax2 = ax.twiny()
        for j, n in enumerate(params):
            ax2.barh(y - 0.4 + h * (j + 1.5), [100 * c["upper95_shrink"].get(n, np.nan)
                                               for c in contrib], height=h,
                     color=COLOURS[(j + 1) % len(COLOURS)], alpha=0.8,
                     label=f"{n}: 95% limit shrinks [%]")
        ax.set_yticks(y, labels, fontsize=8)
        ax.invert_yaxis()
        ax.set_xlabel("information added [bits]")
        ax2.set_xlabel("95% upper limit shrinks by [%]")
        h1, l1 = ax.get_legend_handles_labels()
        h2, l2 = ax2.get_legend_handles_labels()
        ax.legend(h1 + h2, l1 + l2, fontsize=7, loc="lower right", frameon=False)
    if title:
        fig.suptitle(title, fontsize=9)
    return _save(fig, path, dpi=120)
