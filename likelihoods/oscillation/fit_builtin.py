"""Derive the parameters of DUNE's built-in configuration from the TDR tables (a maintenance tool).

    GLOBALFIT_DATA_DIR=/work/shared/data python -m likelihoods.oscillation.fit_builtin

prints the ``[builtin.flux]``, ``[builtin.xsec]``, ``[builtin.efficiency]``,
``[builtin.calibration]`` and ``[builtin.resolution]`` tables of dune.toml: least-squares fits of
the flux and cross-section parametrisations of dune.py to the TDR files; a cubic in ln E_reco
fitted to each channel's post-smearing efficiency (reco bins 0.5-18 GeV weighted by the channel's
events); the calibration factor of each channel (the current card value times TDR-table events /
built-in events in 0.5-18 GeV at the NuFIT 6.0 NO truth: exact in one step since counts are
linear in it; run after the other tables are updated); and a least-squares fit of the resolution
model of dune.py (``gaussian_response``: scale, a, b, tail) to each 80 x 99 migration matrix,
columns of true energy 0.5-10 GeV weighted by the unoscillated event rate. The TDR files
themselves are not copied: only these few summary numbers are typed into the card.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import least_squares

from globalfit.data import release_path
from likelihoods.oscillation.dune import (
    _SAMPLE_DEF,
    SAMPLES,
    _channels,
    flux_param,
    gaussian_response,
    xsec_param,
)
from likelihoods.oscillation.experiment import FLAV


def _csv(d, name):
    return np.genfromtxt(d / name, delimiter=",", names=True)


def fit_flux(e, y):
    keys = ("N", "E0", "s", "N2", "E2", "s2", "t", "g", "Ec", "c")
    m = (e < 30) & (y > 0)
    e, y = e[m], y[m]
    scale = y.max()

    def unpack(v):
        p = dict(zip(keys, v, strict=True))
        p["N"] *= scale
        p["N2"] *= scale
        p["t"] *= scale
        return p

    def res(v):
        # relative (log) residuals, weighted towards the peak: tails and peak both matter
        w = (y / scale) ** 0.5
        return w * np.log(np.maximum(flux_param(e, unpack(v)), 1e-300) / y)

    best = None
    for e0 in (0.7, 1.5, 2.5):
        for ec in (1.0, 4.0):
            r = least_squares(res, [1.0, e0, 0.5, 0.3, 1.5 * e0, 0.8, 0.3, 1.5, ec, 3.0],
                              bounds=([0, 0.1, 0.05, 0, 0.1, 0.05, 0, 0, 0.1, 0],
                                      [100, 10, 3, 100, 10, 3, 100, 6, 20, 30]))
            if best is None or r.cost < best.cost:
                best = r
    return unpack(best.x)


def fit_xsec(tab, col):
    keys = ("s_inf", "A", "E0", "w", "E1")
    le = tab["log10_E_GeV"]
    y = tab[col]
    m = y > 0
    e = 10 ** le[m]
    y = y[m] * e  # sigma

    def res(v):
        return (xsec_param(e, dict(zip(keys, v, strict=True))) - y) / np.maximum(y, 1e-3)

    r = least_squares(res, [0.6, 0.2, 1.0, 0.7, 0.3],
                      bounds=([0, 0, 0.1, 0.05, 0.01], [2, 2, 10, 5, 5]))
    return dict(zip(keys, r.x, strict=True))


def fit_efficiency(e_reco: np.ndarray, eff: np.ndarray, events: np.ndarray) -> list[float]:
    """Weighted least-squares cubic in ln(E_reco / GeV) to a post-smearing efficiency column
    (reco bins 0.5-18 GeV, weights sqrt(events)); coefficients c0..c3 of ``efficiency_param``."""
    sel = (e_reco > 0.5) & (e_reco < 18.0)
    lg = np.log(e_reco[sel])
    w = np.sqrt(np.maximum(events[sel], 0.0) / max(events[sel].sum(), 1e-30)) + 1e-6
    a = np.vander(lg, 4, increasing=True) * w[:, None]
    return [float(c) for c in np.linalg.lstsq(a, eff[sel] * w, rcond=None)[0]]


def fit_resolution(m: np.ndarray, e_true: np.ndarray, reco_edges: np.ndarray,
                   rate: np.ndarray) -> tuple[dict[str, float], float]:
    """Least-squares fit of ``gaussian_response`` (scale, a, b, tail) to a migration matrix
    m[reco, true], true energies 0.5-10 GeV, each column weighted by its event rate. Returns
    the parameters and the r.m.s. residual per matrix element."""
    sel = (e_true > 0.5) & (e_true < 10.0) & (m.sum(axis=0) > 0)
    w = np.sqrt(rate[sel] / rate[sel].sum())
    target = m[:, sel]

    def res(v):
        return ((gaussian_response(e_true[sel], reco_edges, *v) - target) * w[None, :]).ravel()

    r = least_squares(res, [1.0, 0.15, 0.0, 0.02],
                      bounds=([0.3, 0.0, 0.0, 0.0], [1.5, 1.0, 1.0, 1.0]))
    keys = ("scale", "a", "b", "tail")
    return dict(zip(keys, map(float, r.x), strict=True)), float(np.sqrt(np.mean(res(r.x) ** 2)))


def main() -> None:
    d = release_path("oscillation/dune_tdr_globes")
    out = []
    out.append("[builtin.flux.FHC]  # fits to the TDR flux files (fit_builtin.py)")
    for mode in ("FHC", "RHC"):
        f = _csv(d, f"flux_{mode}.csv")
        if mode == "RHC":
            out.append("[builtin.flux.RHC]")
        for col in ("nue", "numu", "nuebar", "numubar"):
            p = fit_flux(f["E_GeV"], f[col])
            out.append(f"{col} = {{ " + ", ".join(f"{k} = {v:.6g}" for k, v in p.items()) + " }")
    out.append("[builtin.xsec]  # fits to GENIE 2.12 on Ar from the TDR files (fit_builtin.py)")
    for name, fname, col in (("CC", "xsec_CC.csv", "numu"), ("CCbar", "xsec_CC.csv", "numubar"),
                             ("NC", "xsec_NC.csv", "numu"), ("NCbar", "xsec_NC.csv", "numubar")):
        p = fit_xsec(_csv(d, fname), col)
        out.append(f"{name} = {{ " + ", ".join(f"{k} = {v:.6g}" for k, v in p.items()) + " }")
    from likelihoods.oscillation.dune import DUNE
    from likelihoods.oscillation.engine import probabilities

    dune = DUNE(config="tdr")
    rb = _csv(d, "reco_bins.csv")
    et = np.asarray(dune.e_true)
    er = 0.5 * (rb["E_lo_GeV"] + rb["E_hi_GeV"])
    probs = {anti: np.asarray(probabilities(et, dune.baseline_km, dune.density,
                                            osc=dune.truth_osc, antineutrino=anti))
             for anti in (False, True)}
    effs: dict[str, dict[str, list[float]]] = {}
    ress: dict[str, dict[str, dict]] = {"app": {}, "dis": {}}
    edges = np.append(rb["E_lo_GeV"], rb["E_hi_GeV"][-1])
    for sname in SAMPLES:
        _, sel = _SAMPLE_DEF[sname]
        effs[sname] = {}
        for comp, _, ini, fin, anti, *_ in _channels(sel):
            rate, m, e_col = dune.tdr_parts[(sname, comp)]
            p = 1.0 if fin is None else probs[anti][:, FLAV[ini], FLAV[fin]]
            effs[sname][comp] = fit_efficiency(er, e_col, m @ (rate * p))
            if comp not in ress[sel]:  # one migration matrix per selection and channel
                ress[sel][comp] = fit_resolution(m, et, edges, rate)[0]
    # calibration: the built-in totals to the TDR totals, channel by channel
    import jax.numpy as jnp

    built = DUNE(config="builtin")
    counts = {}
    for lik in (dune, built):
        c = np.asarray(lik._component_counts(lik.truth_osc, jnp.asarray(lik.truth_eps))).sum(1)
        names = [(s.name, x.name) for s in lik.samples for x in s.components]
        counts[lik.config["config"]] = dict(zip(names, c, strict=True))
    card_cal = built.card["builtin"]["calibration"]
    for i, sname in enumerate(SAMPLES):
        note = "  # c0..c3, cubic in ln(E_reco/GeV) (fit_builtin.py)" if i == 0 else ""
        out.append(f"[builtin.efficiency.{sname}]{note}")
        for comp, coef in effs[sname].items():
            out.append(f"{comp} = [" + ", ".join(f"{c:.5g}" for c in coef) + "]")
    for i, sname in enumerate(SAMPLES):
        note = "  # TDR / built-in events at the NuFIT 6.0 NO truth" if i == 0 else ""
        out.append(f"[builtin.calibration.{sname}]{note}")
        for comp in effs[sname]:
            k = (sname, comp)
            cal = card_cal[sname][comp] * counts["tdr"][k] / counts["builtin"][k]
            out.append(f"{comp} = {cal:.4f}")
    for sel in ("app", "dis"):
        out.append(f"[builtin.resolution.{sel}]  # least-squares fits to the TDR migration "
                   "matrices (fit_builtin.py)")
        for k, p in ress[sel].items():
            out.append(f"{k} = {{ " + ", ".join(f"{n} = {v:.4f}" for n, v in p.items()) + " }")
    print("\n".join(out))


if __name__ == "__main__":
    main()
