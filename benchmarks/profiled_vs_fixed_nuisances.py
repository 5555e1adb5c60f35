"""Profiled against fixed nuisances: the 95% CL bound on g' of the set-A figure card at a few
masses, with every other parameter profiled (what ``globalfit scan`` computes) and with the
nuisance parameters held at their prior medians (what the old family scripts drew).

    python benchmarks/profiled_vs_fixed_nuisances.py [--card runs/zprime_A_figure.toml]

Prints a Markdown table (docs/combinations.md). Oscillation parameters count as nuisances here:
with them fixed at the NuFIT medians a projection is an Asimov fit at its own truth.
"""

from __future__ import annotations

import argparse
import copy
from pathlib import Path

import numpy as np

import globalfit  # noqa: F401  (x64)
from globalfit import combinations as comb
from globalfit.card import RunCard
from globalfit.combine import _declared
from globalfit.fit import Fit
from globalfit.profile import profile_upper_limit
from globalfit.scan import _active

ROOT = Path(__file__).resolve().parents[1]
COMBOS = ["coherent", "current", "dune_t2hk"]
MASSES = [0.005, 0.05, 0.5, 5.0, 50.0]


def bounds(card: RunCard, probe: Fit, combo: comb.Combination, mass: float
           ) -> tuple[float, float]:
    """(profiled, fixed-at-median) 95% CL bound on the card's coupling at ``mass``."""
    here = tuple(n for n in combo.likelihoods if n in _active(probe, "m_zprime", mass))
    if not here:
        return float("nan"), float("nan")
    raw = comb.card_for(card.raw, comb.Combination(combo.name, here), _declared(probe),
                        probe.model.parameters)
    raw["parameters"]["m_zprime"] = {"value": mass}
    fit = Fit.from_card(RunCard.from_dict(raw, card.path))
    coupling = next(n for n in fit.parameters if n in fit.model.parameters)
    profiled = profile_upper_limit(fit, coupling)
    fixed_raw = copy.deepcopy(raw)
    for name in fit.parameters:
        if name != coupling:
            median = float(np.asarray(fit.priors[name].transform(np.array(0.5))))
            fixed_raw["parameters"][name] = {"value": median}
    fixed = Fit.from_card(RunCard.from_dict(fixed_raw, card.path))
    return profiled, profile_upper_limit(fixed, coupling)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--card", default=str(ROOT / "runs" / "zprime_A_figure.toml"))
    args = ap.parse_args()
    card = RunCard.load(args.card)
    probe = Fit.from_card(card, check_ranges=False)
    groups = {c.name: c for c in comb.named(comb.resolve(card.raw["combinations"],
                                                         card.likelihoods))}
    print("| combination | M_Z' [GeV] | g' 95% profiled | g' 95% nuisances at medians | "
          "fixed / profiled |")
    print("|---|---|---|---|---|")
    for name in COMBOS:
        for m in MASSES:
            p, f = bounds(card, probe, groups[name], m)
            if np.isnan(p) and np.isnan(f):
                continue
            print(f"| {name} | {m:g} | {p:.4g} | {f:.4g} | {f / p:.3f} |", flush=True)


if __name__ == "__main__":
    main()
