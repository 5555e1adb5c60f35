"""Observed counts against the SM expectation and a best fit, one PNG per data set.

    python -m likelihoods.coherent.plot_spectra --out DIR

The best fit maximises the log-posterior of the ``nsi`` model with eps_ee_u and eps_mumu_u free
(uniform in [-1, 1]) and every nuisance of the likelihood (L-BFGS-B with JAX gradients, started at
the SM). CsI 2017 shows the residual (coincidence minus anti-coincidence) spectrum; LAr 2020 and
CsI 2021 show the energy and time projections of the on-beam counts with the stacked prediction.
Data sets whose release is missing are skipped with a message.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import jax
import numpy as np
from scipy.optimize import minimize

from globalfit import Fit
from globalfit.errors import DataReleaseMissing

NAMES = ("coherent_csi_2017", "coherent_lar_2020", "coherent_csi_2021")
FREE = {"eps_ee_u": {"prior": "uniform", "min": -1, "max": 1},
        "eps_mumu_u": {"prior": "uniform", "min": -1, "max": 1}}


def best_fit(fit: Fit) -> np.ndarray:
    """Maximum of the log-posterior from the SM point (all parameters at 0)."""
    f = jax.jit(jax.value_and_grad(lambda th: -fit.raw_logpost(th)))
    bounds = [tuple(max(min(v, 50.0), -50.0) for v in fit.priors[n].support)
              for n in fit.parameters]

    def fun(x):
        v, g = f(x)
        return float(v), np.asarray(g, float)

    res = minimize(fun, np.zeros(fit.ndim), jac=True, method="L-BFGS-B", bounds=bounds)
    return res.x


def _stairs(ax, edges, y, **kw):
    ax.stairs(np.asarray(y), edges, **kw)


def plot_one(name: str, out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fit = Fit(model="nsi", likelihoods=[name], priors=FREE)
    lik = fit.likelihoods[0]
    x_sm = np.zeros(fit.ndim)
    x_bf = best_fit(fit)
    e_sm, e_bf = fit.expected(x_sm)[name], fit.expected(x_bf)[name]
    bf = fit.point(x_bf)
    label = f"best fit (eps_ee_u={bf['eps_ee_u']:.2f}, eps_mumu_u={bf['eps_mumu_u']:.2f})"
    path = out / f"{name}.png"
    if name == "coherent_csi_2017":
        fig, ax = plt.subplots(figsize=(6, 4))
        edges = lik.edges
        c = 0.5 * (edges[1:] + edges[:-1])
        ax.errorbar(c, np.asarray(lik.n_obs), np.sqrt(np.asarray(lik.sigma2)), fmt="ko",
                    label="data (C - AC)")
        for e, lab, st in ((e_sm, "SM", "-"), (e_bf, label, "--")):
            _stairs(ax, edges, e["cevns"] + e["prompt_neutrons"], label=lab, linestyle=st)
        _stairs(ax, edges, e_sm["prompt_neutrons"], label="prompt neutrons", color="grey")
        ax.set_xlabel("photoelectrons")
        ax.set_ylabel("events / 2 PE")
    else:
        fig, axes = plt.subplots(1, 2, figsize=(11, 4))
        bkg = [k for k in e_sm if not k.startswith("cevns")]
        ax_e = (1, 2) if name == "coherent_lar_2020" else (1,)
        ax_t = (0, 1) if name == "coherent_lar_2020" else (0,)
        ed = lik.eedges if name == "coherent_lar_2020" else lik.pedges
        for ax, axes_sum, edges, xl in ((axes[0], ax_e, ed, "energy"),
                                        (axes[1], ax_t, lik.tedges, "time [us]")):
            obs = np.asarray(lik.n_obs).sum(axes_sum)
            c = 0.5 * (edges[1:] + edges[:-1])
            ax.errorbar(c, obs, np.sqrt(obs), fmt="ko", label="data (beam on)")
            for e, lab, st in ((e_sm, "SM total", "-"), (e_bf, label, "--")):
                tot = sum(np.asarray(e[k]) for k in ["cevns", *bkg]).sum(axes_sum)
                _stairs(ax, edges, tot, label=lab, linestyle=st)
            _stairs(ax, edges, sum(np.asarray(e_sm[k]) for k in bkg).sum(axes_sum),
                    label="backgrounds", color="grey")
            _stairs(ax, edges, np.asarray(e_sm["cevns"]).sum(axes_sum), label="SM CEvNS",
                    color="tab:green")
            ax.set_xlabel(xl + (" [keVee]" if xl == "energy" and name.endswith("lar_2020")
                                else " [PE]" if xl == "energy" else ""))
            ax.set_ylabel("events / bin")
        ax = axes[0]
    ax.legend(fontsize=7)
    fig.suptitle(name)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="folder for the PNG files")
    ap.add_argument("--only", choices=NAMES, help="one data set")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name in [args.only] if args.only else NAMES:
        try:
            print(plot_one(name, out))
        except DataReleaseMissing as exc:
            print(f"{name}: skipped: {exc}")


if __name__ == "__main__":
    main()
