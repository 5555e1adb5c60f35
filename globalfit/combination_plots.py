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
    """Left: the information gain of each combination [bits] (projections hatched). Middle: for
    each combination G, the bits it adds to the largest combination C it does not overlap (with
    C u G in the table). Right: how much G shrinks C's 95% upper limit of each coupling [%]."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from globalfit.labels import math as tex
    from globalfit.labels import parameter_labels
    from globalfit.plots import COLOURS, save_figure

    rows = [r for r in table["rows"] if r["information_bits"] is not None]
    contrib = [c for c in table["contributions"] if c["bits_added"] is not None]
    params = sorted({n for c in contrib for n in c["upper95_shrink"]})
    panels = 1 + bool(contrib) + bool(params)
    height = 0.42 * max(len(rows), len(contrib), 3) + 1.5
    fig, axes = plt.subplots(1, panels, figsize=(4.2 * panels, height), squeeze=False,
                             layout="constrained")
    ax = axes[0, 0]
    y = np.arange(len(rows))
    ax.barh(y, [r["information_bits"] for r in rows], color=COLOURS[0], alpha=0.85,
            xerr=[r["information_bits_err"] for r in rows], capsize=2,
            hatch=["//" if r["projection"] else "" for r in rows], edgecolor="white")
    ax.set_yticks(y, [r["combination"] for r in rows], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel(r"$D_\mathrm{KL}$(posterior $\|$ prior) [bits]")
    ax.set_title("information gain (hatched: projection)", fontsize=9)
    if contrib:
        names = [f"+ {c['group']}\nto {c['added_to']}" for c in contrib]
        y = np.arange(len(contrib))
        ax = axes[0, 1]
        ax.barh(y, [c["bits_added"] for c in contrib], color=COLOURS[2], alpha=0.85)
        ax.set_yticks(y, names, fontsize=7)
        ax.invert_yaxis()
        ax.axvline(0, color="k", lw=0.6)
        ax.set_xlabel("information added [bits]")
        ax.set_title("what each combination adds", fontsize=9)
    if params:
        labels = parameter_labels(params, *table.get("model", (None, None)))
        ax = axes[0, 2]
        h = 0.8 / len(params)
        for j, n in enumerate(params):
            ax.barh(y - 0.4 + h * (j + 0.5),
                    [100 * c["upper95_shrink"].get(n, np.nan) for c in contrib], height=h,
                    color=COLOURS[(j + 3) % len(COLOURS)], alpha=0.85, label=tex(labels[n]))
        ax.set_yticks(y, names, fontsize=7)
        ax.invert_yaxis()
        ax.axvline(0, color="k", lw=0.6)
        ax.set_xlabel("95% upper limit shrinks by [%]")
        ax.set_title("and how much tighter the limits get", fontsize=9)
        ax.legend(fontsize=8, frameon=False)
    if title:
        fig.suptitle(title, fontsize=9)
    return save_figure(fig, path, dpi=120)
