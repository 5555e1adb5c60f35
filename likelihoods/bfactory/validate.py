"""Validation table of ``babar_4mu``: ``python -m likelihoods.bfactory.validate``.

Rows against hand values: the 90% -> Delta chi^2 = 3.84 factor (3.84 / 2.706)^(1/4), and the
set A and B recast factors at 1 GeV from massive tree-level widths computed by hand (the numbers
of tests/bfactory). Then, when release ``babar/zprime_4mu_2016`` is present: the digitised curve's
minimum against the abstract's "as low as 7 x 10^-4", and a table of the published (digitised)
g'_90 next to our Delta chi^2 = 3.84 bounds for L_mu - L_tau, sets A and B.
"""

from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np

import globalfit
from likelihoods.bfactory.babar_4mu import BaBar4Mu
from likelihoods.limit_curves import LMU_LTAU_CHARGES

#: Masses [GeV] of the table: near threshold, the curve's minimum (0.2266), a few, its end.
MASSES = (0.22, 0.2266, 0.3, 0.5, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 7.68)
FLAT = {"mass_GeV": [0.212, 10.0], "g_prime": [1.0, 1.0]}  # unit curve: bound = recast factor


def bound_factor(lik: BaBar4Mu, charges, m: float) -> float:
    """Delta chi^2 = 3.84 bound on g' over the published g'_90 at mass m [GeV]: from
    -2 ln L = z^2 (g_eff^2/g_90^2)^2, g' = g_90 (3.84/z^2)^(1/4) / sqrt(g_eff^2(g' = 1))."""
    ch = globalfit.get_model("zprime", charges=charges).fermion_charges() \
        if isinstance(charges, str) else charges
    return float((3.84 / lik.chi2_cl) ** 0.25 / jnp.sqrt(lik.g2_eff(1.0, m, ch)))


def rows() -> list[tuple[str, float, float, str]]:
    lik = BaBar4Mu(limit_table=FLAT)
    return [
        ("95%/90% factor, L_mu - L_tau (hand)", bound_factor(lik, LMU_LTAU_CHARGES, 2.0),
         (3.84 / 2.70554) ** 0.25, "1e-5 rel"),
        ("set A bound / g'_90 at 1 GeV (hand)", bound_factor(lik, "A", 1.0), 0.32356, "1e-4 rel"),
        ("set B bound / g'_90 at 1 GeV (hand)", bound_factor(lik, "B", 1.0), 0.78501, "1e-4 rel"),
    ]


def table() -> list[tuple[float, float, float, float, float]] | None:
    """(M, digitised g'_90 at the nearest point, bound L_mu - L_tau, set A, set B), or None
    without the release."""
    try:
        lik = BaBar4Mu()
    except globalfit.GlobalfitError:
        return None
    out = []
    for m in MASSES:
        i = int(np.argmin(np.abs(lik.mass - m)))
        m_i, g90 = float(lik.mass[i]), float(math.exp(lik.log_g90[i]))
        out.append((m_i, g90, *(g90 * bound_factor(lik, c, m_i)
                                for c in (LMU_LTAU_CHARGES, "A", "B"))))
    return out


def main() -> None:
    print(f"{'quantity':40s} {'ours':>10s} {'hand':>10s}  tolerance")
    for q, ours, ref, tol in rows():
        print(f"{q:40s} {ours:10.5f} {ref:10.5f}  {tol}")
    t = table()
    if t is None:
        print("\nrelease babar/zprime_4mu_2016 not found: no table of the digitised curve")
        return
    lik = BaBar4Mu()
    print(f"\ndigitised minimum g'_90 = {math.exp(lik.log_g90.min()):.3e} at "
          f"{lik.mass[np.argmin(lik.log_g90)]:.4f} GeV (abstract: 'as low as 7 x 10^-4')")
    print("\nBaBar 1606.03501, 90% CL g' (digitised) and our 95% bounds (Delta chi^2 = 3.84):")
    print(f"{'M [GeV]':>8s} {'g90 pub.':>10s} {'Lmu-Ltau':>10s} {'set A':>10s} {'set B':>10s}")
    for row in t:
        print(f"{row[0]:8.4f} " + " ".join(f"{v:10.4g}" for v in row[1:]))


if __name__ == "__main__":
    main()
