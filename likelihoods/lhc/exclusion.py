"""95% CL upper bounds on g' against M_Z' from every registered likelihood, and their combination.

    python -m likelihoods.lhc.exclusion --charges A --out DIR [--n-mass 60] [--hl-lhc]

For each likelihood in ``globalfit.list_likelihoods()`` that accepts the ``zprime`` model, and for
each decade of mass in which its ``check_model`` accepts the model, the profile bound is found at
each mass by 1-D root finding: Delta chi^2(g') = -2 [ln L(g') - max ln L] = 3.84 above the best
fit (a log grid in g' brackets it, ``brentq`` refines it). Nuisance parameters are held at the
medians of their priors (no profiling over them; stated on the plot). Likelihoods that are not
registered or fail to load are skipped with a message. The combination sums the log-likelihoods of
all measurements that apply at a mass (projections, ``is_projection()``, are drawn dashed and
left out of it). Writes ``exclusion_<charges>.csv`` and ``.png``. A likelihood
with an ``out_of_range`` option (the LHC ones, BaBar) is used over the whole range with ``"zero"``;
``lhc_four_lepton`` is drawn as one curve per search (LHCb, CMS scouting, CMS Z -> 4 mu).
"""

from __future__ import annotations

import argparse
import functools
import math
import sys
from pathlib import Path

import jax.numpy as jnp
import numpy as np
from scipy.optimize import brentq

import globalfit
from globalfit.registry import likelihood_class

TEST_LIKELIHOODS = {"gaussian", "eggbox", "poisson_counting"}
#: Likelihoods drawn as one curve per search (option ``searches``); their sum is the likelihood.
SPLIT = {"lhc_four_lepton": ("lhcb", "cms_scouting", "cms_z4mu")}
G_GRID = np.logspace(-7, math.log10(4 * math.pi) - 1e-9, 90)
CHI2_95 = 3.84


def _band_fits(name: str, charges: str, lo: float, hi: float, opts: dict) -> list:
    """[(m_lo, m_hi, Fit)]: the whole of [lo, hi] if the likelihood accepts it, else the decades
    of [lo, hi] where it accepts the model."""
    out = []
    whole = _fit(name, charges, lo, hi, opts)
    if whole is not None:
        return [(lo, hi, whole)]
    edges = [lo] + [10.0**k for k in range(math.ceil(math.log10(lo)), math.floor(
        math.log10(hi)) + 1) if lo < 10.0**k < hi] + [hi]
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        f = _fit(name, charges, a, b, opts)
        if f is not None:
            out.append((a, b, f))
    return out


def _fit(name: str, charges: str, a: float, b: float, opts: dict) -> globalfit.Fit | None:
    try:
        return globalfit.Fit(model="zprime", model_options={"charges": charges},
                             likelihoods=[name], likelihood_options={name: opts},
                             priors={"g_prime": {"prior": "loguniform", "min": 1e-8,
                                                 "max": 4 * math.pi},
                                     "m_zprime": {"prior": "uniform", "min": a, "max": b}})
    except globalfit.GlobalfitError:
        return None


def _loglike_grid(fit: globalfit.Fit, m: float, g: np.ndarray) -> np.ndarray:
    """ln L on the g grid at mass m, nuisances at their prior medians."""
    names = fit.parameters
    base = np.array([float(fit.priors[n].transform(jnp.asarray(0.5))) for n in names])
    pts = np.tile(base, (len(g), 1))
    pts[:, names.index("g_prime")] = g
    pts[:, names.index("m_zprime")] = m
    return np.asarray(fit.loglike(jnp.asarray(pts)))


def bound(lnl) -> float:
    """Upper 95% bound on g' from a function g -> ln L (NaN when none below 4 pi)."""
    vals = np.array([lnl(np.array([0.0]))[0], *lnl(G_GRID)])
    if not np.all(np.isfinite(vals)):
        vals = np.where(np.isfinite(vals), vals, -np.inf)
    best = int(np.argmax(vals))
    dchi = -2 * (vals - vals[best])
    above = np.flatnonzero((np.arange(len(vals)) > best) & (dchi > CHI2_95))
    if len(above) == 0:
        return float("nan")
    i = above[0]
    g_all = np.concatenate([[0.0], G_GRID])
    if i == 1 or g_all[i - 1] == 0.0:
        return float(G_GRID[0])
    ref = vals[best]
    return float(10 ** brentq(lambda lg: -2 * (lnl(np.array([10**lg]))[0] - ref) - CHI2_95,
                             math.log10(g_all[i - 1]), math.log10(g_all[i])))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--charges", default="A")
    ap.add_argument("--out", required=True)
    ap.add_argument("--n-mass", type=int, default=60)
    ap.add_argument("--m-min", type=float, default=5e-3, help="GeV")
    ap.add_argument("--m-max", type=float, default=5e3, help="GeV")
    ap.add_argument("--hl-lhc", action="store_true", help="add the HL-LHC dilepton projection")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    masses = np.geomspace(args.m_min, args.m_max, args.n_mass)

    curves: dict[str, list] = {}
    for name in globalfit.list_likelihoods():
        if name in TEST_LIKELIHOODS:
            continue
        try:
            cls = likelihood_class(name)
            if not cls.requires <= globalfit.get_model("zprime").capabilities:
                continue
            opts = {"out_of_range": "zero"} if "out_of_range" in cls.options else {}
            variants = {f"{name} ({s})": {**opts, "searches": [s]}
                        for s in SPLIT.get(name, ())} or {name: opts}
            found = {label: _band_fits(name, args.charges, args.m_min, args.m_max, o)
                     for label, o in variants.items()}
        except Exception as exc:  # a likelihood being written by others may not load yet
            print(f"skipping {name}: {type(exc).__name__}: {exc}", file=sys.stderr)
            continue
        for label, bands in found.items():
            if not bands:
                print(f"skipping {label}: no mass range in [{args.m_min:g}, {args.m_max:g}] GeV "
                      "accepted for model zprime", file=sys.stderr)
                continue
            curves[label] = bands
            print(f"using {label}: " + ", ".join(f"[{a:g}, {b:g}] GeV" for a, b, _ in bands))
    if args.hl_lhc:
        hl = _band_fits("lhc_dilepton_resonance", args.charges, args.m_min, args.m_max,
                        {"luminosity_fb": 3000.0, "sqrt_s_TeV": 14.0,
                         "out_of_range": "zero"})
        if hl:
            curves["lhc_dilepton_resonance (HL-LHC 3/ab, 14 TeV)"] = hl

    rows = {n: np.full(len(masses), np.nan) for n in curves}
    comb = np.full(len(masses), np.nan)
    for k, m in enumerate(masses):
        terms = []
        for n, bands in curves.items():
            fit = next((f for a, b, f in bands if a <= m <= b), None)
            if fit is None:
                continue
            lnl = functools.partial(_loglike_grid, fit, float(m))
            try:
                rows[n][k] = bound(lnl)
            except Exception as exc:
                print(f"{n} at {m:g} GeV: {type(exc).__name__}: {exc}", file=sys.stderr)
                continue
            if not _projection(curves[n]):
                terms.append(lnl)
        if terms:
            comb[k] = bound(lambda g, t=terms: sum(f(g) for f in t))
    tag = args.charges
    header = "m_zprime_GeV," + ",".join(list(rows) + ["combined"])
    table = np.column_stack([masses, *rows.values(), comb])
    np.savetxt(out / f"exclusion_{tag}.csv", table, delimiter=",", header=header, comments="")
    _plot(masses, rows, comb, tag, out / f"exclusion_{tag}.png",
          {n for n, bands in curves.items() if _projection(bands)})
    print(f"wrote {out / f'exclusion_{tag}.csv'} and {out / f'exclusion_{tag}.png'}")
    return 0


def _projection(bands: list) -> bool:
    """Whether a curve is a projection (DUNE, T2HK, HL-LHC): kept out of the current-data
    combination and drawn dashed."""
    return any(lik.is_projection() for _, _, fit in bands for lik in fit.likelihoods)


def _plot(masses, rows, comb, tag, path, projections=frozenset()) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5.5))
    for n, y in rows.items():
        ax.plot(masses, y, lw=1.6, ls="--" if n in projections else "-",
                label=n + (" (projection)" if n in projections else ""))
    ax.plot(masses, comb, color="k", lw=5, alpha=0.35, label="combined (current data)",
            zorder=10)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(r"$M_{Z'}$ [GeV]")
    ax.set_ylabel(r"$g'$ (95% CL upper bound, profile $\Delta\chi^2 = 3.84$)")
    ax.set_title(f"Z' charge set {tag}: every registered likelihood (nuisances at prior medians)",
                 fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=130)
    plt.close(fig)


if __name__ == "__main__":
    raise SystemExit(main())
