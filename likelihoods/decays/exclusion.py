"""95% bound on lambda_ee vs m_phi for each process and combined (the analogue of Fig. 9 of
arXiv:1910.01132), by 1-D root finding of the profile Delta chi^2 = 3.84 on each likelihood.

    python -m likelihoods.decays.exclusion --out DIR [--n-mass 101]

writes DIR/lambda_ee_exclusion.csv and DIR/lambda_ee_exclusion.png.
"""

from __future__ import annotations

import argparse
import csv
import math
from collections.abc import Callable
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from scipy.optimize import brentq

import globalfit  # noqa: F401  (enables x64)
from globalfit.likelihood import Likelihood
from globalfit.models import get_model
from globalfit.models.base import Point

#: Largest |lambda| searched (the scalar model's parameter domain is [-10, 10]).
LAMBDA_MAX = 10.0


def chi2_function(lik: Likelihood, coupling: str = "lambda_ee") -> Callable:
    """Jitted, vmapped -2 ln L(coupling, m_phi) with every other coupling at zero."""
    model = get_model("scalar")
    base = {k: jnp.asarray(v, float) for k, v in model.defaults().items()}

    def f(lam, m_phi):
        p = dict(base)
        p[coupling] = lam
        p["m_phi"] = m_phi
        return -2.0 * lik.loglike(Point(model, p, {}))

    return jax.jit(jax.vmap(f))


def upper_bound(chi2: Callable, m_phi: float, delta: float = 3.84,
                grid: np.ndarray | None = None) -> float:
    """Smallest lambda > lambda_best with chi2 - min chi2 = delta (profile over lambda >= 0);
    nan when it is not reached below LAMBDA_MAX."""
    grid = np.concatenate([[0.0], np.geomspace(1e-5, LAMBDA_MAX, 300)]) if grid is None else grid
    vals = np.asarray(chi2(jnp.asarray(grid), jnp.full(grid.shape, m_phi)))
    i_best = int(np.argmin(vals))
    dchi = vals - vals[i_best]
    above = np.nonzero((dchi > delta) & (np.arange(grid.size) > i_best))[0]
    if above.size == 0:
        return math.nan
    j = int(above[0])

    def g(x: float) -> float:
        return float(chi2(jnp.asarray([x]), jnp.asarray([m_phi]))[0]) - vals[i_best] - delta

    return brentq(g, grid[j - 1], grid[j], xtol=1e-10, rtol=1e-8)


def processes() -> dict[str, tuple[Likelihood, float]]:
    """Each process that constrains lambda_ee: (likelihood restricted to it, largest m_phi)."""
    from likelihoods.decays.mesons import MesonDecays
    from likelihoods.decays.tau import TauDecays
    from likelihoods.decays.w_decays import WDecays
    from likelihoods.decays.z_invisible import ZInvisible
    from likelihoods.lhc.ss_dilepton import SameSignDilepton

    out: dict[str, tuple[Likelihood, float]] = {}
    labels = {"pi_e": "pi -> e nu phi", "K_e": "K -> e nu phi", "D_e": "D -> e nu phi",
              "Ds_e": "Ds -> e nu phi", "B_e": "B -> e nu phi"}
    for ch, label in labels.items():
        lik = MesonDecays(channels=[ch])
        out[label] = (lik, lik.validity_range())
    tau = TauDecays(channels=["tau_e"])
    out["tau -> e nu nu phi"] = (tau, tau.validity_range())
    z = ZInvisible()
    out["Z -> invisible"] = (z, z.validity_range())
    w = WDecays(channels=["w_e"])
    out["W -> e nu phi"] = (w, w.validity_range())
    for label, lum, sb in [("LHC 300/fb", 300.0, 0.1), ("HL-LHC 3/ab, 10% syst", 3000.0, 0.1),
                           ("HL-LHC 3/ab, 0% syst", 3000.0, 0.0)]:
        lik = SameSignDilepton(luminosity_fb=lum, sigma_b=sb, channels=["ee"])
        out[label] = (lik, lik.m_phi_max)
    return out


class Combined(Likelihood):
    """Sum of several likelihoods (used for the combined bound)."""

    name = "combined"

    def __init__(self, parts: list[tuple[Likelihood, float]]) -> None:
        self.parts = parts
        self.config, self.card = {}, {}

    def loglike(self, point: Point):
        _, m_phi = point.scalar_couplings()
        return sum(jnp.where(m_phi <= m_max, lik.loglike(point), 0.0)
                   for lik, m_max in self.parts)


def compute(masses: np.ndarray) -> dict[str, np.ndarray]:
    """Bounds on |lambda_ee| per process (nan where it does not apply) and combined."""
    procs = processes()
    out: dict[str, np.ndarray] = {}
    for label, (lik, m_max) in procs.items():
        f = chi2_function(lik)
        out[label] = np.array([upper_bound(f, m) if m <= m_max else math.nan for m in masses])
    parts = [v for k, v in procs.items() if not k.startswith(("LHC 300", "HL-LHC 3/ab, 0%"))]
    comb = chi2_function(Combined(parts))
    out["combined (decays + HL-LHC 10%)"] = np.array([upper_bound(comb, m) for m in masses])
    return out


def plot(masses: np.ndarray, bounds: dict[str, np.ndarray], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 5.2))
    for label, b in bounds.items():
        if label.startswith("combined"):
            ax.fill_between(masses, np.where(np.isfinite(b), b, LAMBDA_MAX), LAMBDA_MAX,
                            color="0.85", label=label + " (excluded)")
            ax.plot(masses, b, color="k", lw=2)
        else:
            ls = "--" if "LHC" in label else "-"
            ax.plot(masses, b, ls, lw=1.4, label=label)
    ax.set(xscale="log", yscale="log", xlabel=r"$m_\phi$ [GeV]",
           ylabel=r"95% bound on $|\lambda_{ee}|$ (profile $\Delta\chi^2 = 3.84$)",
           xlim=(masses[0], masses[-1]), ylim=(1e-3, LAMBDA_MAX))
    ax.legend(fontsize=7, loc="lower right", ncol=2)
    ax.set_title(r"Leptonic scalar: $|\lambda_{ee}|$ (cf. arXiv:1910.01132 Fig. 9)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="output folder")
    ap.add_argument("--n-mass", type=int, default=101, help="masses from 1 MeV to 100 GeV")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    masses = np.geomspace(1e-3, 100.0, args.n_mass)
    bounds = compute(masses)
    with (out / "lambda_ee_exclusion.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["m_phi_GeV", *bounds])
        for i, m in enumerate(masses):
            w.writerow([f"{m:.6g}", *[f"{b[i]:.6g}" for b in bounds.values()]])
    plot(masses, bounds, out / "lambda_ee_exclusion.png")
    print(f"wrote {out / 'lambda_ee_exclusion.csv'} and {out / 'lambda_ee_exclusion.png'}")


if __name__ == "__main__":
    main()
