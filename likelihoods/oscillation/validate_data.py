"""Validation of the real-data oscillation likelihoods against the releases' own results.

    GLOBALFIT_DATA_DIR=../shared/data python -m likelihoods.oscillation.validate_data [--quick]

(also ``python -m likelihoods.oscillation.validate --data``). Prints the tables of
docs/oscillation.md, "Real data":

0. the layered Earth against nuSQuIDS' Earth body for PREM regions and 400-50 km shells;
1. minos_2017: chi2 on a (sin^2 theta23, dm32) grid (other parameters at NuFIT 6.0 NO): the
   minimum (the release's own chi2 surface of the sterile fit has its minimum, 99.308, at
   theta24 -> 0, i.e. three flavours), the best fit against the published one, and the extents
   of the 68/90% regions (Delta chi2 = 2.30, 4.61) against the digitised contour of the release;
2. superk_atm_2023: the predictions at the release's NO best fit against the release's NO Monte
   Carlo, per sample (the forward model rebuilt from the unoscillated MC);
3. superk_atm_2023 (skipped with ``--quick``; minutes per row): minima in NO and IO with
   theta23, dm31, delta and the nuisances free (theta13 fixed to NuFIT 6.0: "theta13
   constrained"), against the release's IO - NO Delta chi2 = 5.69; the delta_CP profile against
   the release's graph; the sin^2 theta23 and |dm32| profile ranges at Delta chi2 = 4.61 against
   the extents of the release's 90% contour (the extent of a 2-d region is the 1-d profile
   range at the same Delta chi2); per sample, the largest chi2 at the NO minimum and where
   the Delta chi2 of delta = 0 comes from (``--sections sk_profiles``);
4. the same with theta13 profiled too, against the release's theta13-free graphs (IO - NO
   5.23, delta_CP profile; ``--sections sk_profiles_q13free``).
"""

from __future__ import annotations

import functools
import math
import sys
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from scipy.optimize import minimize

import globalfit  # noqa: F401  (float64)
from globalfit.models import Point, get_model
from likelihoods.oscillation.nufit import best_fit
from likelihoods.oscillation.superk_atm_2023 import mc_truth

#: Step of each free oscillation parameter in the profiles' scaled variables (rad, eV^2).
PROFILE_SCALE = {"theta13": 0.005, "theta23": 0.02, "dm31": 3e-5, "delta_cp": 0.3}


def _point(lik: Any, osc: dict, nuis: dict | None = None, **eps: float) -> Point:
    m = get_model("nsi")
    return Point(m, {**m.defaults(), **eps}, {**osc, **(nuis or {})})


# -- layered Earth ----------------------------------------------------------------------------
def nusquids_three_flavour(energies_gev: Any, osc: dict[str, float], anti: bool = False) -> Any:
    """A nuSQuIDS three-flavour state at ``energies_gev`` with the oscillation parameters ``osc``
    (our names: theta12, theta13, theta23, dm21, dm31 [eV^2], delta_cp); body and track are the
    caller's. Needs nuSQuIDS."""
    import nuSQuIDS as nsq

    kind = nsq.NeutrinoType.antineutrino if anti else nsq.NeutrinoType.neutrino
    nus = nsq.nuSQUIDS(np.asarray(energies_gev, float) * nsq.Const().GeV, 3, kind, False)
    nus.Set_MixingAngle(0, 1, osc["theta12"])
    nus.Set_MixingAngle(0, 2, osc["theta13"])
    nus.Set_MixingAngle(1, 2, osc["theta23"])
    nus.Set_SquareMassDifference(1, osc["dm21"])
    nus.Set_SquareMassDifference(2, osc["dm31"])
    nus.Set_CPPhase(0, 2, osc["delta_cp"])
    return nus


def nusquids_chords(cosz: np.ndarray, energies: np.ndarray, anti: bool = False,
                    table_step_km: float = 0.5) -> np.ndarray:
    """nuSQuIDS (arXiv:2112.13804) through its Earth body built on our PREM table (r/R, rho,
    Y_e every ``table_step_km``; its cubic spline smooths each density jump over a few steps),
    along the chord of length -2 R cos z, NuFIT 6.0 NO: P[z, E, a, b]. Needs nuSQuIDS."""
    import nuSQuIDS as nsq

    from likelihoods.oscillation.earth import prem

    osc = best_fit("NO")
    u = nsq.Const()
    m = prem()
    x = np.linspace(0.0, 1.0, int(round(m.radius_km / table_step_km)) + 1)
    rho, ye = m.density(x * m.radius_km), m.ye[m.region(x * m.radius_km)]
    body = nsq.Earth(x.tolist(), rho.tolist(), ye.tolist())
    out = []
    for cz in cosz:
        nus = nusquids_three_flavour(energies, osc, anti)
        nus.Set_Body(body)
        nus.Set_Track(nsq.Earth.Track(-2.0 * m.radius_km * cz * u.km))
        nus.Set_rel_error(1e-10)
        nus.Set_abs_error(1e-10)
        rows = []
        for a in range(3):
            ini = np.zeros((len(energies), 3))
            ini[:, a] = 1.0
            nus.Set_initial_state(ini, nsq.Basis.flavor)
            nus.EvolveState()
            rows.append([[nus.EvalFlavorAtNode(b, i) for b in range(3)]
                         for i in range(len(energies))])
        out.append(np.transpose(np.array(rows), (1, 0, 2)))
    return np.array(out)


def earth_vs_nusquids(shells=(None, 400.0, 200.0, 100.0, 50.0), table_step_km: float = 1.0):
    """Worst |dP| per zenith of earth_probabilities against nuSQuIDS for each shell size."""
    from likelihoods.oscillation.earth import atmospheric_paths, earth_probabilities

    cosz = np.array([-1.0, -0.9, -0.8, -0.6, -0.4, -0.2, -0.05])
    e = np.geomspace(0.1, 100.0, 61)
    ref = nusquids_chords(cosz, e, table_step_km=table_step_km)
    rows = []
    for ms in shells:
        paths = atmospheric_paths(cosz, production_height_km=0.0, max_shell_km=ms)
        d = np.abs(np.asarray(earth_probabilities(e, paths, osc=best_fit("NO"))) - ref)
        rows.append((ms, d.max(axis=(1, 2, 3))))
    return cosz, rows


# -- MINOS ------------------------------------------------------------------------------------
def minos_grid(n_s: int = 56, n_dm: int = 46, lik: Any = None) -> dict[str, Any]:
    """chi2 of minos_2017 on a (sin^2 theta23, dm32) grid, sin^2 0.225-0.775 and dm32
    2.0-2.9e-3 eV^2 (the 90% region reaches 0.70), NuFIT 6.0 NO for the rest."""
    from likelihoods.oscillation.minos_2017 import MINOS2017

    lik = lik or MINOS2017()
    osc = best_fit("NO")
    s2 = np.linspace(0.225, 0.775, n_s)
    dm = np.linspace(2.0e-3, 2.9e-3, n_dm)
    # one point per call (0.7 ms each): no batch compilation needed for 2576 points
    f = jax.jit(lambda a, d: lik.chi2(_point(lik, {**osc, "theta23": jnp.arcsin(jnp.sqrt(a)),
                                                    "dm31": d + osc["dm21"]})))
    chi = np.array([[float(f(a, d)) for d in dm] for a in s2])
    return {"s2": s2, "dm32": dm, "chi2": chi, "card": lik.card}


def region_extent(x: np.ndarray, y: np.ndarray, dchi: np.ndarray, level: float) -> tuple:
    """(x_min, x_max, y_min, y_max) of the grid points with Delta chi2 < level."""
    ok = dchi < level
    xs, ys = x[np.any(ok, axis=1)], y[np.any(ok, axis=0)]
    return float(xs.min()), float(xs.max()), float(ys.min()), float(ys.max())


def release_three_flavour_limit() -> tuple[float, float]:
    """(min, max) over dm41 of the release's chi2 surface dm241vsth24 in its smallest-theta24
    column (theta24 = 0.010-0.011 rad, sin^2 theta24 ~ 1e-4: the three-flavour limit)."""
    from globalfit.data import release_path
    from likelihoods.oscillation.minos_2017 import read_root

    v = read_root(release_path("oscillation/minos_2017") / "dataRelease.root")[
        "dm241vsth24"].values()
    return float(v[0].min()), float(v[0].max())


def digitised_contour_extent(level: str) -> tuple:
    """Extent of the digitised MINOS 68 or 90% contour (wpd_datasets.csv of the release)."""
    from globalfit.data import release_path

    a = np.genfromtxt(release_path("oscillation/minos_2017") / "wpd_datasets.csv",
                      delimiter=",", skip_header=2)
    i = 0 if level == "68" else 2
    x, y = a[:, i], a[:, i + 1]
    ok = ~np.isnan(x)
    return float(x[ok].min()), float(x[ok].max()), float(y[ok].min()), float(y[ok].max())


# -- Super-K ----------------------------------------------------------------------------------
def sk_release_totals(lik: Any, config: str) -> np.ndarray:
    """Events per bin, all true types, of the release's MC ``config`` (NoOsc, NO or IO)."""
    from globalfit.data import release_path
    from likelihoods.oscillation.superk_atm_2023 import mc_counts, read_mc

    return mc_counts(read_mc(release_path(lik.card["release"]), config)).sum(axis=1)


def sk_totals(lik: Any) -> Any:
    """Jitted: oscillation parameters -> ``lik``'s expected events per bin (all true types),
    nuisances at 0."""
    nuis = {k: 0.0 for k in lik.nuisance_priors()}
    return jax.jit(lambda o: jnp.sum(lik.expected_by_type(_point(lik, o, nuis)), 1))


def sk_sample_sums(lik: Any, per_bin: np.ndarray) -> dict[str, float]:
    """Events per bin summed over each of ``lik``'s samples, in the release's sample order."""
    return {name: float(per_bin[lik.sample_names == name].sum())
            for name in dict.fromkeys(lik.sample_names)}


def sk_vs_release_mc(lik: Any) -> list[tuple[str, float, float]]:
    """(sample, ours, release MC NO) at the release's NO best fit, nuisances at 0."""
    ours = sk_sample_sums(lik, np.asarray(sk_totals(lik)(mc_truth(lik.card))))
    ref = sk_sample_sums(lik, sk_release_totals(lik, "NO"))
    return [(name, ours[name], ref[name]) for name in ours]


@functools.cache
def _sk_profile_function(lik: Any, free: tuple[str, ...]) -> Any:
    """jit(value_and_grad) of the superk_atm_2023 chi2 plus nuisance pulls in the scaled
    variables z (free oscillation parameters, then nuisances in units of their sd), with the
    start s0 and the fixed parameters as arguments: one compilation per (likelihood, free)."""
    pri = lik.nuisance_priors()
    names = list(pri)
    sd = np.array([pri[k].sd for k in names])

    def chi2(z, s0, fixed):
        osc = {**fixed, **{k: s0[i] + z[i] * PROFILE_SCALE[k] for i, k in enumerate(free)}}
        nu = {k: z[len(free) + j] * sd[j] for j, k in enumerate(names)}
        return lik.chi2(_point(lik, osc, nu)) + jnp.sum(z[len(free):] ** 2)

    return jax.jit(jax.value_and_grad(chi2))


def sk_profile(lik: Any, fixed: dict[str, float], start: dict[str, float],
               free: tuple[str, ...] = ("theta23", "dm31", "delta_cp")
               ) -> tuple[float, dict, dict]:
    """min over ``free`` oscillation parameters and all nuisances (Gaussian pulls) of the
    superk_atm_2023 chi2, the other oscillation parameters at ``fixed``; L-BFGS-B with jax
    gradients from ``start`` and, when theta23 is free, also from its other octant
    (pi/2 - theta23): the two octants are separate minima. Returns the minimum, the free
    parameters and the nuisances there."""
    f = _sk_profile_function(lik, free)
    fixed = {k: float(v) for k, v in fixed.items()}
    pri = lik.nuisance_priors()
    starts = [start]
    if "theta23" in free:
        starts.append({**start, "theta23": math.pi / 2 - start["theta23"]})
    best: tuple[float, dict, dict] = (np.inf, {}, {})
    for s0 in starts:
        x0 = jnp.asarray([s0[k] for k in free])

        def fun(z, x0=x0):
            v, g = f(jnp.asarray(z), x0, fixed)
            return float(v), np.asarray(g)

        r = minimize(fun, np.zeros(len(free) + len(pri)), jac=True, method="L-BFGS-B",
                     options={"maxiter": 200})
        if r.fun < best[0]:
            best = (float(r.fun),
                    {k: s0[k] + r.x[i] * PROFILE_SCALE[k] for i, k in enumerate(free)},
                    {k: float(r.x[len(free) + j]) * pri[k].sd for j, k in enumerate(pri)})
    return best


def sk_sample_chi2(lik: Any, osc: dict[str, float], nuis: dict[str, float]) -> dict[str, float]:
    """superk_atm_2023's Poisson chi2 per sample (the release's sample names) at ``osc`` and
    ``nuis`` (no pulls): where in the data a difference between two fits comes from."""
    from likelihoods.oscillation.experiment import poisson_chi2

    n = np.maximum(np.asarray(jnp.sum(lik.expected_by_type(_point(lik, osc, nuis)), axis=1)),
                   1e-3)                                   # as superk_atm_2023.chi2
    return {name: float(poisson_chi2(n[m], lik.data[m]))
            for name in dict.fromkeys(lik.sample_names) if (m := lik.sample_names == name).any()}


def print_sample_differences(a: dict[str, float], b: dict[str, float], label: str,
                             top: int = 6) -> None:
    """The ``top`` samples whose chi2 differs most between fits ``a`` and ``b`` (b - a)."""
    diff = sorted(((b[k] - a[k], k) for k in a), key=lambda t: -abs(t[0]))
    total = sum(b.values()) - sum(a.values())
    print(f"\n| sample ({label}) | Delta chi2 |")
    for d, k in diff[:top]:
        print(f"| {k} | {d:+.2f} |")
    print(f"| (all {len(a)} samples) | {total:+.2f} |", flush=True)


def nsi_profile(lik: Any, coupling: str, grid: np.ndarray, ordering: str = "NO") -> np.ndarray:
    """Delta chi2 of one likelihood without nuisances (minos_2017) in ``coupling`` (eps^u
    alone), theta23 and dm31 profiled (both octants tried), the rest at NuFIT 6.0."""
    osc0 = best_fit(ordering)

    def chi2(x, z):
        osc = {**osc0, "theta23": z[0], "dm31": z[1] * 1e-3}
        return lik.chi2(_point(lik, osc, **{coupling: x}))

    f = jax.jit(jax.value_and_grad(chi2, argnums=1))
    out = []
    for x in grid:
        best = np.inf
        for th in (osc0["theta23"], math.pi / 2 - osc0["theta23"]):
            def fun(z, x=x):
                v, g = f(x, jnp.asarray(z))
                return float(v), np.asarray(g)
            r = minimize(fun, np.array([th, osc0["dm31"] * 1e3]), jac=True, method="L-BFGS-B")
            best = min(best, float(r.fun))
        out.append(best)
    out = np.array(out)
    return out - out.min()


def combined_nsi_profile(liks: list, coupling: str, grid: np.ndarray, start: dict[str, float],
                         free: tuple[str, ...] = ("theta23", "dm31", "delta_cp")) -> np.ndarray:
    """chi2 of the sum of ``liks`` along ``grid`` of one NSI ``coupling``, minimised at each
    value over the ``free`` oscillation parameters and every likelihood's nuisances (Gaussian
    pulls), the rest at ``start``; L-BFGS-B with jax gradients, each grid point started from
    the minimum of its neighbour (walking out from the grid value nearest 0) and from the same
    with theta23 in the other octant (the better of the two kept)."""
    names = [(lk, k) for lk in liks for k in lk.nuisance_priors()]
    sd = np.array([lk.nuisance_priors()[k].sd for lk, k in names])
    scale = PROFILE_SCALE
    nf = len(free)

    def chi2(x, z):
        osc = {**start, **{k: start[k] + z[i] * scale[k] for i, k in enumerate(free)}}
        total = jnp.sum(z[nf:] ** 2)
        for lk in liks:
            nu = {k: z[nf + j] * sd[j] for j, (owner, k) in enumerate(names) if owner is lk}
            total = total + lk.chi2(_point(lk, osc, nu, **{coupling: x}))
        return total

    f = jax.jit(jax.value_and_grad(chi2, argnums=1))
    out = np.full(len(grid), np.nan)
    i0 = int(np.argmin(np.abs(grid)))
    k23 = free.index("theta23") if "theta23" in free else None
    for order in (range(i0, len(grid)), range(i0, -1, -1)):
        z = np.zeros(nf + len(names))
        for i in order:
            def fun(zz, x=float(grid[i])):
                v, g = f(x, jnp.asarray(zz))
                return float(v), np.asarray(g)
            starts = [z]
            if k23 is not None:  # the other theta23 octant: a separate minimum
                mirror = z.copy()
                th = start["theta23"] + z[k23] * scale["theta23"]
                mirror[k23] = (math.pi / 2 - th - start["theta23"]) / scale["theta23"]
                starts.append(mirror)
            r = min((minimize(fun, z0, jac=True, method="L-BFGS-B", options={"maxiter": 300})
                     for z0 in starts), key=lambda res: res.fun)
            z = r.x
            out[i] = min(out[i], r.fun) if np.isfinite(out[i]) else r.fun
            th = start["theta23"] + (z[k23] * scale["theta23"] if k23 is not None else 0.0)
            print(f"  {coupling} = {grid[i]:+.4f}: chi2 = {r.fun:.2f} (sin^2 theta23 = "
                  f"{math.sin(th) ** 2:.3f}, {r.nit} iterations)", flush=True)
    return out


def intervals(grid: np.ndarray, dchi: np.ndarray, level: float = 4.0) -> str:
    """Allowed ranges {Delta chi2 < level} (profile.py's interpolation), formatted."""
    from likelihoods.oscillation.profile import intervals as iv

    return " U ".join(f"[{a:+.3f}, {b:+.3f}]" for a, b in iv(grid, dchi, level))


def release_graphs(kind: str = "constrained") -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """TGraphs of chi2/sk_q13-<kind>_2023.root: name -> (x, y)."""
    from globalfit.data import release_path
    from likelihoods.oscillation.minos_2017 import read_root

    f = read_root(release_path("oscillation/superk_atm_2023") / "chi2" /
                  f"sk_q13-{kind}_2023.root")
    return {k.split(";")[0]: tuple(np.asarray(a) for a in f[k].values()) for k in f.keys()}


SECTIONS = ("earth", "minos", "minos_nsi", "sk", "sk_data", "sk_grid", "sk_profiles",
            "sk_profiles_q13free", "nsi")
#: NSI grids of the combined Super-K + MINOS profile (section "nsi"), eps^u
NSI_GRIDS = {"eps_tautau_u": np.linspace(-0.12, 0.12, 13),
             "eps_mutau_u": np.concatenate([[-0.03, -0.02, -0.015, -0.01],
                                            np.linspace(-0.008, 0.008, 9),
                                            [0.01, 0.015, 0.02, 0.03]]),
             "eps_ee_u": np.concatenate([[-1.0, -0.8, -0.6], np.linspace(-0.5, 0.3, 9),
                                         [0.4, 0.6, 0.8, 1.0]])}


def main(argv: list[str]) -> None:
    """``--quick``: the MINOS grid and the Super-K reweighting check only (a few minutes);
    ``--sections a,b``: any of SECTIONS; default all (on a shared two-core machine the Super-K
    profiles take ~14 minutes, the Super-K + MINOS NSI profiles ~15-20 minutes per coupling)."""
    sections = set(SECTIONS)
    if "--quick" in argv:
        sections = {"minos", "sk"}
    if "--sections" in argv:
        sections = set(argv[argv.index("--sections") + 1].split(","))
    if sections - set(SECTIONS):
        raise SystemExit(f"unknown sections {sorted(sections - set(SECTIONS))}; "
                         f"choose from {list(SECTIONS)}")
    if "earth" in sections:
        _earth()
    if "minos" in sections:
        _minos()
    if "minos_nsi" in sections:
        _minos_nsi()
    if sections & {"sk", "sk_profiles", "sk_profiles_q13free"}:
        _superk("sk" in sections, "sk_profiles" in sections,
                "sk_profiles_q13free" in sections)
    if "sk_data" in sections:
        _sk_data()
    if "sk_grid" in sections:
        _sk_grid()
    if "nsi" in sections:
        _nsi(argv[argv.index("--couplings") + 1].split(",") if "--couplings" in argv
             else list(NSI_GRIDS))


def sk_grid_points(lik: Any) -> dict[str, tuple[dict, dict]]:
    """Test points of the grid convergence: (oscillation parameters, NSI) around the release's
    NO best fit."""
    no = mc_truth(lik.card, "NO")

    def th(s2: float) -> float:
        return math.asin(math.sqrt(s2))

    return {"reference": (no, {}), "eps_mutau 0.01": (no, {"eps_mutau_u": 0.01}),
            "eps_mutau 0.03": (no, {"eps_mutau_u": 0.03}),
            "eps_tautau 0.05": (no, {"eps_tautau_u": 0.05}),
            "eps_ee 0.3": (no, {"eps_ee_u": 0.3}),
            "s23 0.40": ({**no, "theta23": th(0.40)}, {}),
            "s23 0.60": ({**no, "theta23": th(0.60)}, {}),
            "dm32 2.2e-3": ({**no, "dm31": 2.2e-3 + no["dm21"]}, {}),
            "delta 0": ({**no, "delta_cp": 0.0}, {}),
            "delta pi/2": ({**no, "delta_cp": math.pi / 2}, {})}


def _sk_grid() -> None:
    from likelihoods.oscillation.superk_atm_2023 import SuperKAtm2023

    print("\n## superk_atm_2023 grid convergence (plain reweighting, anchor none): "
          "chi2(point) - chi2(reference), nuisances 0")
    grids = (("120 x 256, 800 km (reference)", dict(n_cosz_up=120, n_log10e=256,
                                                     max_shell_km=800.0)),
             ("60 x 64, 800 km (default)", {}),
             ("40 x 64, 800 km", dict(n_cosz_up=40)),
             ("30 x 64, 800 km", dict(n_cosz_up=30)),
             ("40 x 48, 800 km", dict(n_cosz_up=40, n_log10e=48)),
             ("40 x 48, 500 km", dict(n_cosz_up=40, n_log10e=48, max_shell_km=500.0)))
    rows = {}
    for label, opts in grids:
        lik = SuperKAtm2023(anchor="none", **opts)
        nuis = {k: 0.0 for k in lik.nuisance_priors()}
        f = jax.jit(lambda o, e, lik=lik, nuis=nuis: lik.chi2(_point(lik, o, nuis, **e)))
        c = {k: float(f(o, e)) for k, (o, e) in sk_grid_points(lik).items()}
        rows[label] = np.array([v - c["reference"] for k, v in c.items() if k != "reference"])
        if len(rows) == 1:
            names = [k for k in c if k != "reference"]
            print("| grid (up-going cos z x energies, shells) | " + " | ".join(names)
                  + " | worst vs reference |")
        ref = next(iter(rows.values()))
        print(f"| {label} | " + " | ".join(f"{v:+.2f}" for v in rows[label])
              + f" | {np.abs(rows[label] - ref).max():.2f} |", flush=True)


def _nsi(couplings: list[str]) -> None:
    from likelihoods.oscillation.minos_2017 import MINOS2017
    from likelihoods.oscillation.superk_atm_2023 import SuperKAtm2023

    sk = SuperKAtm2023()
    liks = [sk, MINOS2017()]
    print("\n## superk_atm_2023 + minos_2017: NSI profile, theta23, dm31, delta and the Super-K "
          "nuisances profiled, theta12, theta13, dm21 at NuFIT 6.0 NO; 95% CL = Delta chi2 3.84")
    for coup in couplings:
        grid = NSI_GRIDS[coup]
        chi = combined_nsi_profile(liks, coup, grid, mc_truth(sk.card, "NO"))
        d = chi - chi.min()
        print(f"| {coup} | min at {grid[np.argmin(chi)]:+.3f} | 95% CL {intervals(grid, d, 3.84)} "
              f"| 90% CL {intervals(grid, d, 2.71)} |", flush=True)


def _earth() -> None:
    try:
        cosz, rows = earth_vs_nusquids()
        print("## layered Earth vs nuSQuIDS (table every 1 km), worst |dP| per cos z "
              + " ".join(f"{c:+.2f}" for c in cosz))
        for ms, d in rows:
            print(f"| {ms or 'PREM regions'} | {d.max():.1e} | "
                  + " ".join(f"{v:.1e}" for v in d) + " |", flush=True)
    except ImportError:
        print("## layered Earth vs nuSQuIDS: nuSQuIDS not installed")


def _minos() -> None:
    g = minos_grid()
    d = g["chi2"] - g["chi2"].min()
    i, j = np.unravel_index(np.argmin(g["chi2"]), d.shape)
    pub = g["card"]["published"]
    print("## minos_2017: chi2 on the (sin^2 theta23, dm32) grid, NuFIT 6.0 NO otherwise")
    print(f"minimum chi2 = {g['chi2'].min():.2f} (release's sterile chi2 surface minimum at "
          f"theta24 -> 0: 99.31), 91 + 54 bins")
    print(f"best fit sin^2 theta23 = {g['s2'][i]:.3f}, dm32 = {g['dm32'][j]:.3e} eV^2 "
          f"(published {pub['sin2_theta23'][0]} +{pub['sin2_theta23'][1]} "
          f"-{pub['sin2_theta23'][2]}, {pub['dm32'][0]:.2e} +{pub['dm32'][1]:.1e} "
          f"-{pub['dm32'][2]:.1e})")
    low = d[g["s2"] < 0.5].min()
    print(f"Delta chi2 of the best fit in the other octant: {low:.2f}")
    lim = release_three_flavour_limit()
    print(f"release's chi2 surface at theta24 = 0.01 (three-flavour limit, the collaboration's fit "
          f"of the other parameters): {lim[0]:.2f} ... {lim[1]:.2f} over dm41")
    prof = d.min(axis=1)
    ok = g["s2"][prof < 1.0]
    print(f"1-d profile in sin^2 theta23 (dm32 profiled): Delta chi2 < 1 for "
          f"{intervals(g['s2'], prof, 1.0)}; Delta chi2 at 0.43: "
          f"{np.interp(0.43, g['s2'], prof):.2f}, at 0.50: {np.interp(0.5, g['s2'], prof):.2f} "
          f"({ok.size} grid points)")
    for lev, dchi in (("68", 2.30), ("90", 4.61)):
        ours = region_extent(g["s2"], g["dm32"], d, dchi)
        ref = digitised_contour_extent(lev)
        print(f"| {lev}% | sin^2 theta23 [{ours[0]:.3f}, {ours[1]:.3f}] vs [{ref[0]:.3f}, "
              f"{ref[1]:.3f}] | dm32 [{ours[2]*1e3:.3f}, {ours[3]*1e3:.3f}] vs "
              f"[{ref[2]*1e3:.3f}, {ref[3]*1e3:.3f}] 1e-3 eV^2 |", flush=True)



def _minos_nsi() -> None:
    from likelihoods.oscillation.minos_2017 import MINOS2017

    minos = MINOS2017()
    print("\n## minos_2017 alone: NSI, Delta chi2 = 4 ranges of eps^u (eps = 3 eps^u), theta23 and"
          " dm31 profiled, NO")
    for coup, grid in (("eps_tautau_u", np.linspace(-0.3, 0.3, 25)),
                       ("eps_mutau_u", np.linspace(-0.1, 0.1, 21)),
                       ("eps_ee_u", np.linspace(-1.5, 1.5, 31))):
        print(f"| {coup} | {intervals(grid, nsi_profile(minos, coup, grid))} |", flush=True)



def _superk(reweighting: bool, profiles: bool, profiles_q13free: bool = False) -> None:
    from likelihoods.oscillation.superk_atm_2023 import SuperKAtm2023

    lik = SuperKAtm2023()
    if reweighting:
        plain = SuperKAtm2023(anchor="none")
        _sk_reweighting(plain)
        _sk_io_from_no(lik, plain)
    if profiles:
        _sk_profiles(lik)
    if profiles_q13free:
        _sk_profiles(lik, "free")


def sk_io_fit(lik: Any, total: Any, io_mc: np.ndarray) -> tuple[dict[str, float], float]:
    """IO parameters (sin^2 theta23, dm31 < 0, delta; theta13 of the NO MC, theta12 and dm21
    at NuFIT 6.0 IO) at which ``total`` (:func:`sk_totals` of ``lik``) comes closest to the
    release's IO MC ``io_mc`` (events per bin), and that Pearson sum over the 930 bins;
    Nelder-Mead from both theta23 octants."""
    base = {**best_fit("IO"), "theta13": mc_truth(lik.card)["theta13"]}

    def osc(z):
        return {**base, "theta23": math.asin(math.sqrt(z[0])), "dm31": -z[1] * 1e-3,
                "delta_cp": z[2]}

    def pearson(z):
        return float(np.sum((np.asarray(total(osc(z))) - io_mc) ** 2 / io_mc))

    r = min((minimize(pearson, [s2, 2.4, -1.7], method="Nelder-Mead",
                      options={"xatol": 1e-4, "fatol": 1e-4, "maxiter": 400})
             for s2 in (0.45, 0.55)), key=lambda r: r.fun)
    return osc(r.x), float(r.fun)


def _sk_io_from_no(anchored: Any, plain: Any) -> None:
    io_mc, no_mc = sk_release_totals(anchored, "IO"), sk_release_totals(anchored, "NO")
    print("\n## superk_atm_2023: the release's IO MC from the NO-anchored model")
    totals = {"anchored (NO)": (anchored, sk_totals(anchored)), "plain": (plain, sk_totals(plain))}
    best, fun = sk_io_fit(anchored, totals["anchored (NO)"][1], io_mc)
    print(f"closest IO point: sin^2 theta23 = {math.sin(best['theta23'])**2:.4f}, "
          f"dm31 = {best['dm31']:.4e}, delta = {best['delta_cp']:.3f}; Pearson sum {fun:.2f} "
          f"(NO MC vs IO MC: {np.sum((no_mc - io_mc) ** 2 / io_mc):.2f})")
    card_point = mc_truth(anchored.card, "IO")
    io_sums = sk_sample_sums(anchored, io_mc)
    print("| model, at card mc_truth.IO | Pearson sum vs IO MC | worst sample, ours / IO MC - 1 |")
    for label, (lik, total) in totals.items():
        n = np.asarray(total(card_point))
        dev = {name: v / io_sums[name] - 1 for name, v in sk_sample_sums(lik, n).items()}
        worst = max(dev, key=lambda k: abs(dev[k]))
        print(f"| {label} | {np.sum((n - io_mc) ** 2 / io_mc):.2f} | {worst} "
              f"{dev[worst]:+.4f} |", flush=True)


def _sk_data() -> None:
    """The release's data against its own NO MC: per sample, per migration group of the card
    (superk_atm_2023.toml ``[migrations]``) and in the lowest momentum bin of the sub-GeV
    samples: what the nuisances of the likelihood have to absorb (docs "Systematics")."""
    from globalfit.data import release_path
    from likelihoods.oscillation.superk_atm_2023 import SuperKAtm2023

    lik = SuperKAtm2023()
    mc, data = sk_release_totals(lik, "NO"), lik.data
    names = lik.sample_names
    info = np.genfromtxt(release_path(lik.card["release"]) / "bins" / "sk_2023_BinInfo.txt",
                         skip_header=1, dtype=None, encoding=None)
    log_p = np.array([row[1] for row in info])
    overall = data.sum() / mc.sum()
    print(f"\n## superk_atm_2023: the release's data / its NO MC (all bins {overall:.4f})")
    print("| sample | data / MC | relative to all bins |")
    for name in dict.fromkeys(names):
        m = names == name
        r = data[m].sum() / mc[m].sum()
        print(f"| {name} | {r:.3f} | {r / overall:.3f} |")
    print("\n| migration: from / to samples | from: data / MC | to: data / MC | both |")
    for key, spec in lik.card["migrations"].items():
        for group in spec["groups"]:
            src, dst = np.isin(names, group["from"]), np.isin(names, group["to"])
            both = src | dst
            print(f"| {key}: {', '.join(group['from'])} / {', '.join(group['to'])} | "
                  f"{data[src].sum() / mc[src].sum():.3f} | {data[dst].sum() / mc[dst].sum():.3f}"
                  f" | {data[both].sum() / mc[both].sum():.3f} |")
    print("\n| sub-GeV sample | lowest momentum bin: data / MC | other bins |")
    for name in dict.fromkeys(names):
        m = names == name
        if "subgev" not in name or len(np.unique(log_p[m])) < 2:
            continue
        low = m & (log_p == log_p[m].min())
        rest = m & ~low
        print(f"| {name} | {data[low].sum() / mc[low].sum():.3f} | "
              f"{data[rest].sum() / mc[rest].sum():.3f} |", flush=True)


def _sk_reweighting(lik: Any) -> None:
    print("\n## superk_atm_2023: plain reweighting (anchor none) at the release's NO best fit "
          "vs its NO MC")
    print("| sample | ours | release MC NO | ratio - 1 |")
    rows = sk_vs_release_mc(lik)
    for name, a, b in rows:
        print(f"| {name} | {a:.1f} | {b:.1f} | {a / b - 1:+.3f} |")
    a, b = sum(r[1] for r in rows), sum(r[2] for r in rows)
    print(f"| total | {a:.1f} | {b:.1f} | {a / b - 1:+.3f} |", flush=True)


def _sk_profiles(lik: Any, theta13: str = "constrained") -> None:
    """Minima (NO, IO), delta_CP profile and 1-d profiles of superk_atm_2023 against the
    release's graphs. ``theta13`` "constrained": fixed at NuFIT 6.0, against the release's
    reactor-constrained fits (sk_q13-constrained_2023.root); "free": profiled as well, against
    sk_q13-free_2023.root (minima and the delta_CP profile only)."""
    from likelihoods.oscillation.superk_atm_2023 import SuperKAtm2023

    free13 = ("theta13",) if theta13 == "free" else ()
    no = mc_truth(lik.card, "NO")
    io = {**best_fit("IO"), "theta23": no["theta23"], "delta_cp": no["delta_cp"],
          "dm31": -no["dm31"] + no["dm21"]}
    lik_io = SuperKAtm2023(mass_ordering="IO")
    c_no, b_no, n_no = sk_profile(lik, no, no, free=(*free13, "theta23", "dm31", "delta_cp"))
    c_io, b_io, n_io = sk_profile(lik_io, io, io, free=(*free13, "theta23", "dm31", "delta_cp"))
    gr = release_graphs(theta13)
    kind = "theta13 free" if free13 else "theta13 fixed (NuFIT 6.0)"

    def where(b: dict) -> str:
        s13 = f"sin^2 theta13 = {math.sin(b['theta13'])**2:.4f}, " if free13 else ""
        return (f"{s13}sin^2 theta23 = {math.sin(b['theta23'])**2:.3f}, dm31 = "
                f"{b['dm31']:.4e}, delta = {b['delta_cp']:.2f}")

    print(f"\n## superk_atm_2023: minima, {kind}, nuisances profiled")
    print(f"NO: chi2 = {c_no:.2f} at {where(b_no)}")
    print(f"IO: chi2 = {c_io:.2f} at {where(b_io)}")
    print(f"IO - NO = {c_io - c_no:.2f} (release: "
          f"{gr[f'SK2023_q13-{theta13}_dcp_chi2_io'][1].min():.2f})", flush=True)
    if free13:  # where IO gains from a free theta13: its minimum against theta13 fixed
        c_fix, b_fix, n_fix = sk_profile(lik_io, io, io)
        print(f"IO, theta13 fixed: chi2 = {c_fix:.2f} at {where({**io, **b_fix})}")
        print_sample_differences(sk_sample_chi2(lik_io, {**io, **b_fix}, n_fix),
                                 sk_sample_chi2(lik_io, {**io, **b_io}, n_io),
                                 "IO, theta13 free minus fixed", top=8)
    at_min = sk_sample_chi2(lik, {**no, **b_no}, n_no)
    nbins = {k: int((lik.sample_names == k).sum()) for k in at_min}
    worst = sorted(at_min, key=lambda k: nbins[k] - at_min[k])[:5]
    print("\n| sample (NO minimum) | chi2 | bins |")
    for k in worst:
        print(f"| {k} | {at_min[k]:.1f} | {nbins[k]} |")
    print(f"\n## superk_atm_2023: delta_CP profile (NO, {kind}), Delta chi2 vs the release's "
          "graph")
    x, y = gr[f"SK2023_q13-{theta13}_dcp_chi2_no"]
    print(f"release minimum at delta = {x[np.argmin(y)]:.2f}")
    for dcp in (-math.pi / 2, 0.0, math.pi / 2):
        c, b, n = sk_profile(lik, {**no, "delta_cp": dcp}, {**b_no, "delta_cp": dcp},
                             free=(*free13, "theta23", "dm31"))
        print(f"| delta = {dcp:+.2f} | {c - c_no:.2f} | {np.interp(dcp, x, y):.2f} |",
              flush=True)
        if dcp == 0.0:
            print_sample_differences(at_min, sk_sample_chi2(lik, {**no, **b, "delta_cp": dcp}, n),
                                     f"delta = 0 minus the minimum at {b_no['delta_cp']:.2f}")
    if free13:
        return
    print("\n## superk_atm_2023: 1-d profiles at Delta chi2 = 4.61 vs the 90% contour extent")
    cx, cy = gr["SK2023_q13-constrained_m23_s23_90percent_no"]
    print(f"release 90% NO: sin^2 theta23 [{cx.min():.3f}, {cx.max():.3f}], "
          f"|dm| [{cy.min()*1e3:.3f}, {cy.max()*1e3:.3f}] 1e-3 eV^2")
    for s2 in (0.40, 0.45, 0.60):
        th = math.asin(math.sqrt(s2))
        c, _, _ = sk_profile(lik, {**no, "theta23": th}, {**b_no, "theta23": th},
                             free=("dm31", "delta_cp"))
        print(f"| sin^2 theta23 = {s2:.2f} | Delta chi2 = {c - c_no:.2f} |", flush=True)
    for dm in (2.1e-3, 2.7e-3, 3.0e-3):
        c, _, _ = sk_profile(lik, {**no, "dm31": dm + no["dm21"]},
                             {**b_no, "dm31": dm + no["dm21"]}, free=("theta23", "delta_cp"))
        print(f"| dm32 = {dm:.2e} | Delta chi2 = {c - c_no:.2f} |", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])


