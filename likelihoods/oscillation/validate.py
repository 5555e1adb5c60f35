"""Validation of the oscillation likelihoods: prints the table of docs/oscillation.md.

    GLOBALFIT_DATA_DIR=/work/shared/data python -m likelihoods.oscillation.validate [--quick]

1. engine vs NuOscProbExact at random points (worst absolute difference);
2. DUNE event counts per sample, TDR tables vs built-in; T2HK totals;
3. DUNE+T2HK profile Delta chi2 = 4 intervals, one coupling at a time, against the seed's Table 1
   (a few minutes on one CPU core), in two conventions: eps^u alone (eps = 3 eps^u) and
   quark-universal eps^u = eps^d (eps = 6 eps^q, the Z' convention of the seed's slide);
4. osc_global_2018 Delta chi2 = 4 intervals against the "current data" column.
"""

from __future__ import annotations

import sys

import jax
import jax.numpy as jnp
import numpy as np

import globalfit  # noqa: F401  (enables float64)
from globalfit.models import Point, get_model

SEED = {"ee": [(-0.407, -0.270), (-0.072, 0.064)], "mumu": [(-0.019, 0.018)],
        "tautau": [(-0.017, 0.017)]}
CURRENT = {"ee": [(-1.192, -0.802), (-0.020, 0.456)], "mumu": [(-0.130, 0.152)],
           "tautau": [(-0.152, 0.130)]}
GRIDS = {"ee": np.round(np.arange(-1.0, 0.30001, 0.02), 4),
         "mumu": np.round(np.arange(-0.08, 0.08001, 0.005), 4),
         "tautau": np.round(np.arange(-0.08, 0.08001, 0.005), 4)}


def event_counts() -> list[tuple[str, float, float]]:
    from likelihoods.oscillation.dune import DUNE

    m = get_model("nsi")
    res = {}
    for cfg in ("tdr", "builtin"):
        d = DUNE(config=cfg)
        pt = Point(m, m.defaults(), {**d.truth_osc, **{g: 0.0 for g in d.group_names}})
        res[cfg] = d.event_totals(pt)
    return [(k, res["tdr"][k], res["builtin"][k]) for k in res["tdr"]]


def t2hk_counts() -> dict[str, float]:
    from likelihoods.oscillation.t2hk import T2HK

    m = get_model("nsi")
    d = T2HK()
    pt = Point(m, m.defaults(), {**d.truth_osc, **{g: 0.0 for g in d.group_names}})
    return d.event_totals(pt)


def dune_t2hk_intervals(config: str = "builtin", universal: bool = False) -> dict:
    from likelihoods.oscillation import profile as pr
    from likelihoods.oscillation.dune import DUNE
    from likelihoods.oscillation.t2hk import T2HK

    liks = [DUNE(config=config, nuisances="profiled"), T2HK(nuisances="profiled")]
    out = {}
    for ab, grid in GRIDS.items():
        coup = [f"eps_{ab}_u", f"eps_{ab}_d"] if universal else f"eps_{ab}_u"
        g = grid / 2 if universal else grid
        f = pr.make_chi2(liks, coup)
        chi, _ = pr.profile_scan(f, g, liks[0].truth_osc)
        out[ab] = pr.intervals(g, chi - chi.min())
    return out


def global_intervals() -> dict:
    from likelihoods.oscillation import profile as pr
    from likelihoods.oscillation.global_2018 import OscGlobal2018

    lik = OscGlobal2018()
    m = get_model("nsi")
    out = {}
    for ab in ("ee", "mumu", "tautau"):
        grid = np.linspace(-1.4, 0.7, 2101)
        f = jax.jit(jax.vmap(lambda x, ab=ab: lik.chi2(
            Point(m, {**m.defaults(), f"eps_{ab}_u": x}, {}))))
        chi = np.asarray(f(jnp.asarray(grid)))
        out[ab] = pr.intervals(grid, chi - chi.min())
    return out


def _fmt(iv) -> str:
    return " U ".join(f"[{a:+.3f}, {b:+.3f}]" for a, b in iv)


def main(argv: list[str]) -> None:
    print("## DUNE event counts at NuFIT 6.0 (3.5 + 3.5 yr, 40 kt, 1.2 MW), window 0.5-18 GeV")
    print(f"| {'sample:component':24s} | TDR tables | built-in | ratio - 1 |")
    for k, a, b in event_counts():
        print(f"| {k:24s} | {a:10.1f} | {b:8.1f} | {b / a - 1:+.3f} |")
    print("\n## T2HK totals at NuFIT 6.0 (design exposure, one tank)")
    for k, v in t2hk_counts().items():
        print(f"| {k:24s} | {v:9.1f} |")
    print("\n## osc_global_2018: Delta chi2 = 4 intervals vs Esteban et al. (seed Table 1)")
    for ab, iv in global_intervals().items():
        print(f"| eps^u_{ab:7s} | {_fmt(iv):40s} | {_fmt(CURRENT[ab]):40s} |")
    if "--quick" in argv:
        return
    for universal in (False, True):
        conv = "eps^u = eps^d = x (eps = 6x)" if universal else "eps^u = x alone (eps = 3x)"
        print(f"\n## DUNE+T2HK profile Delta chi2 = 4, {conv}, vs seed Table 1 (30% per edge)")
        for ab, iv in dune_t2hk_intervals(universal=universal).items():
            print(f"| {ab:7s} | {_fmt(iv):40s} | {_fmt(SEED[ab]):40s} |")


if __name__ == "__main__":
    main(sys.argv[1:])
