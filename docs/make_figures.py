"""Regenerate the figures of docs/plots.md and the stored outputs of docs/tutorial.ipynb.

    python docs/make_figures.py            # about 5 minutes on 2 cores

Runs runs/leptonic_scalar.toml as it is (nlive = 500) and the same card split into two
combinations (low energy: meson and tau decays; high energy: Z and W decays and the HL-LHC
same-sign dileptons) into out/docs_figures/, then writes docs/figures/leptonic_scalar_corner.png,
docs/figures/leptonic_scalar_overlay.png and docs/figures/leptonic_scalar_exclusion.png, and
executes the tutorial notebook in place.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

import globalfit
from globalfit.card import RunCard
from globalfit.chains import Chains
from globalfit.plots import ExclusionCurve, corner_plot, exclusion_plot
from globalfit.results import is_finished
from globalfit.runner import run_card

REPO = Path(__file__).resolve().parents[1]
FIGURES = REPO / "docs" / "figures"
OUT = REPO / "out" / "docs_figures"
COMBINATIONS = {
    "low_energy": (["meson_decays", "tau_decays"], r"meson + $\tau$ decays"),
    "high_energy": (["z_invisible", "w_decays", "lhc_ss_dilepton"],
                    r"$Z$, $W$ decays + HL-LHC (projection)"),
}


def run(card: RunCard, name: str, use: list[str] | None = None) -> Path:
    raw = dict(card.raw)
    raw["output"] = {"dir": str(OUT / name)}
    if use is not None:
        raw["likelihoods"] = {"use": use, **{k: v for k, v in card.raw["likelihoods"].items()
                                             if k in use}}
    if not is_finished(OUT / name):
        run_card(RunCard.from_dict(raw, card.path), progress=False)
    return OUT / name


def profile_bounds(fit: globalfit.Fit, lam: np.ndarray, masses: np.ndarray) -> list[float]:
    """95% CL upper bound on lambda_ee at each mass: Delta chi2 = 3.84 above the best fit."""
    grid = np.stack(np.meshgrid(lam, masses, indexing="ij"), axis=-1).reshape(-1, 2)
    lnl = np.asarray(fit.loglike(grid)).reshape(len(lam), len(masses))
    out = []
    for j in range(len(masses)):
        d = -2 * (lnl[:, j] - lnl[:, j].max())
        best = int(np.argmax(lnl[:, j]))
        above = best + np.flatnonzero(d[best:] >= 3.84)
        i = above[0] if above.size else None
        out.append(np.nan if i is None else
                   float(10 ** np.interp(3.84, d[i - 1:i + 1], np.log10(lam[i - 1:i + 1]))))
    return out


def main() -> None:
    FIGURES.mkdir(parents=True, exist_ok=True)
    card = RunCard.load(REPO / "runs" / "leptonic_scalar.toml")
    full = Chains.from_run(run(card, "all"))
    corner_plot([full], FIGURES / "leptonic_scalar_corner.png", title=card.title, dpi=110)
    runs = [Chains.from_run(run(card, name, use)) for name, (use, _) in COMBINATIONS.items()]
    corner_plot(runs, FIGURES / "leptonic_scalar_overlay.png", dpi=110,
                legend=[label for _, label in COMBINATIONS.values()])

    lam, masses = np.geomspace(1e-4, 10.0, 401), np.geomspace(1e-3, 1.0, 31)
    curves = []
    for use, label in COMBINATIONS.values():
        fit = globalfit.Fit(
            model="scalar", likelihoods=use,
            likelihood_options={k: v for k, v in card.likelihood_options.items() if k in use},
            priors={"lambda_ee": {"prior": "loguniform", "min": 1e-4, "max": 10.0},
                    "m_phi": {"prior": "loguniform", "min": 1e-3, "max": 1.0}})
        curves.append(ExclusionCurve(masses, profile_bounds(fit, lam, masses), label,
                                     projection=any(lk.is_projection() for lk in fit.likelihoods)))
    # the Bayesian 95% upper limit of each combination's run at m_phi = 100 MeV
    for ch, (_, label), c in zip(runs, COMBINATIONS.values(), list(curves), strict=True):
        curves.append(ExclusionCurve([0.1], [ch.summary["parameters"]["lambda_ee"]["upper95"]],
                                     label, "bayesian", c.projection))
    exclusion_plot(curves, FIGURES / "leptonic_scalar_exclusion.png", dpi=110,
                   xlabel=r"$m_\phi$ [GeV]", ylabel=r"$|\lambda_{ee}|$, 95% upper bound",
                   note=r"profile: other couplings zero; Bayesian (100 MeV): "
                        r"$\lambda_{e\mu}$, $\lambda_{\mu\mu}$ marginalised")

    import nbclient
    import nbformat

    nb_path = REPO / "docs" / "tutorial.ipynb"
    nb = nbformat.read(nb_path, as_version=4)
    with tempfile.TemporaryDirectory() as tmp:
        nbclient.NotebookClient(nb, timeout=600, kernel_name="python3", record_timing=False,
                                resources={"metadata": {"path": tmp}}).execute()
    nbformat.write(nb, nb_path)
    print(f"wrote {FIGURES} and executed {nb_path}")


if __name__ == "__main__":
    main()
