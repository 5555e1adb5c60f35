"""MINOS / MINOS+ beam nu_mu data (arXiv:1710.06488 data release) with NSI in matter.

The release (minos_2017.toml) gives, per detector (near ND, far FD), selection (CC, NC) and
running period (MINOS, MINOS+), the observed reconstructed-energy spectrum and five migration
matrices M_c[x, r] from the true-side axis x = L/E [km/GeV] to reconstructed-energy bin r, one per
true component c (NuMu, TrueNC, BeamNue, AppNue, AppNuTau), each holding the expected selected
events before the oscillation weight; plus a fractional systematic covariance F of the stacked
[FD; ND] spectrum for CC (91 bins) and for NC (54 bins). The periods are summed.

Prediction: t_r = sum_c sum_x M_c[x, r] w_c(x), with w = P(mu->mu), 1 (NC: the active flavours
sum to one), P(e->e), P(mu->e), P(mu->tau), computed by the engine in constant-density matter
(2.7 g/cm^3) at E = L / x with L = 735 km (FD) or 1.04 km (ND), NSI through
``point.eps_matter(Yn)``. The weights are computed on a grid of L/E nodes (card:
``node_spacing_km_per_GeV``, 4 km/GeV at the FD: the dm31 phase moves 0.025 rad per step) and
interpolated linearly to the release's L/E bins, the interpolation folded into the matrices
at set-up. The beam's ~6% nubar_mu share is treated with neutrino probabilities.

Likelihood (the release's two-detector fit): for CC and NC separately,
chi2 = (d - t)^T V^-1 (d - t) over the stacked [FD; ND] spectra with V = F o (t t^T) + diag(t)
(systematics scale with the prediction; Poisson variance of the prediction), log L = -chi2 / 2.
The near detector (oscillation phase ~1e-3 of the far one) fixes the flux and cross sections
through the FD-ND correlations of F, as in the collaboration's fit.

Oscillation parameters are the shared nuisances theta12 ... dm31 with the ``osc_priors``
of nufit.py (default ``"measured"``: NuFIT 6.0 for theta12, theta13, dm21; flat theta23, dm31,
delta). MINOS measures theta23 and |dm32|: only eps_tautau - eps_mumu and eps_mutau (and, weakly,
the e-row entries through nu_e appearance) are seen.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import scipy.linalg

from globalfit.errors import GlobalfitError
from globalfit.likelihood import Likelihood
from globalfit.linalg import cholesky, solve_lower, solve_lower_transposed
from likelihoods.oscillation import nufit
from likelihoods.oscillation.engine import OSC_NAMES, probabilities
from priors import Prior

FLAV = {"e": 0, "mu": 1, "tau": 2}
SELECTIONS = ("CC", "NC")


def read_root(path: Any) -> Any:
    """Open a ROOT file with uproot (a dependency of globalfit, for the releases that are ROOT)."""
    import uproot

    return uproot.open(path)


def linear_interpolation_matrix(x: np.ndarray, nodes: np.ndarray) -> np.ndarray:
    """W[i, n] with f(x_i) = sum_n W[i, n] f(nodes_n) for piecewise-linear f (x within nodes)."""
    j = np.clip(np.searchsorted(nodes, x) - 1, 0, len(nodes) - 2)
    t = (x - nodes[j]) / (nodes[j + 1] - nodes[j])
    w = np.zeros((len(x), len(nodes)))
    w[np.arange(len(x)), j] = 1.0 - t
    w[np.arange(len(x)), j + 1] = t
    return w


#: floor of the Poisson variance term of the covariance (empty predicted bins)
_VAR_FLOOR = 1e-3


def _whitened(t: Any, data: Any, frac: Any) -> tuple[Any, Any]:
    """Cholesky factor L of V and z = L^-1 (data - t), so chi2 = z.z."""
    cov = frac * jnp.outer(t, t) + jnp.diag(jnp.maximum(t, _VAR_FLOOR))
    chol = cholesky(cov)      # globalfit.linalg: no LAPACK custom call (see there why)
    return chol, solve_lower(chol, data - t)


@jax.custom_vjp
def covariance_chi2(t: Any, data: Any, frac: Any) -> Any:
    """chi2 = r^T V^-1 r with r = data - t and V = frac o (t t^T) + diag(max(t, 1e-3)), the
    release's fractional systematics scaled by the prediction t plus its Poisson variance.
    Reverse mode in closed form (u = V^-1 r): d chi2/dt = -2 u - 2 u o (frac (t o u))
    - u^2 [t > 1e-3], d chi2/d data = 2 u, d chi2/d frac = -(t o u)(t o u)^T; JAX's own
    transpose of the Cholesky factorisation and triangular solve costs ~50x the value on CPU."""
    z = _whitened(t, data, frac)[1]
    return z @ z


def _covariance_chi2_fwd(t, data, frac):
    chol, z = _whitened(t, data, frac)
    u = solve_lower_transposed(chol, z)                            # V^-1 r = L^-T z
    return z @ z, (t, u, frac)


def _covariance_chi2_bwd(res, g):
    t, u, frac = res
    tu = t * u
    d_t = -2.0 * u - 2.0 * u * (frac @ tu) - jnp.where(t > _VAR_FLOOR, u * u, 0.0)
    return g * d_t, g * 2.0 * u, -g * jnp.outer(tu, tu)


covariance_chi2.defvjp(_covariance_chi2_fwd, _covariance_chi2_bwd)


class MINOS2017(Likelihood):
    """MINOS + MINOS+ nu_mu CC and NC spectra, near and far detector (module docstring)."""

    name = "minos_2017"
    requires = frozenset({"eps_matter"})
    citation = ("MINOS+, PRL 122 (2019) 091803, arXiv:1710.06488 (data release); "
                "NuFIT 6.0 arXiv:2410.05380 for the unconstrained oscillation priors")
    validity = "beam nu_mu, E_reco 0-40 GeV, 735 km at constant density; three active flavours"
    card_file = "minos_2017.toml"
    parallel_points = True   # its Cholesky is globalfit.linalg's, not a LAPACK custom call
    options = {"mass_ordering": "NO", "osc_priors": "measured", "Yn": 1.0,
               "selections": ["CC", "NC"]}

    def setup(self) -> None:
        from globalfit.data import release_path

        nufit.check_ordering(self.config["mass_ordering"])
        sel = list(self.config["selections"])
        if not sel or any(s not in SELECTIONS for s in sel):
            raise GlobalfitError(f"minos_2017 selections must be a non-empty subset of "
                                 f"{list(SELECTIONS)}, got {sel!r}.")
        self._shared = nufit.shared_priors(self.config["mass_ordering"],
                                           self.config["osc_priors"])
        c = self.card
        f = read_root(release_path(c["release"]) / "dataRelease.root")
        comps = list(c["components"])
        self._weights = [tuple(c["components"][k]) for k in comps]
        self.baselines = {"FD": c["fd_baseline_km"], "ND": c["nd_baseline_km"]}
        self.blocks: list[dict[str, Any]] = []
        step = c["node_spacing_km_per_GeV"]
        raw: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}
        for s in sel:
            for det in ("FD", "ND"):
                mats = np.stack([sum(f[f"hRecoToTrue{det}{s}Selected{k}_{p}"].values()
                                     for p in c["periods"]) for k in comps])  # (C, X, R)
                edges = f[f"hRecoToTrue{det}{s}Selected{comps[0]}_{c['periods'][0]}"] \
                    .axes[0].edges()
                raw[(s, det)] = (mats, 0.5 * (edges[:-1] + edges[1:]))
        # one grid of L/E nodes per detector, shared by CC and NC: the oscillation weights are
        # evaluated there and interpolated linearly to every populated L/E bin (folded into the
        # matrices once, here)
        self.e_nodes: dict[str, Any] = {}
        nodes: dict[str, np.ndarray] = {}
        for det in ("FD", "ND"):
            used = np.concatenate([x[np.any(m != 0, axis=(0, 2))] for (s, d), (m, x)
                                   in raw.items() if d == det])
            n = max(2, int(np.ceil((used.max() - used.min()) / step[det])) + 1)
            nodes[det] = np.linspace(used.min(), used.max(), n)
            self.e_nodes[det] = jnp.asarray(self.baselines[det] / nodes[det])
        for s in sel:
            parts = {}
            for det in ("FD", "ND"):
                mats, x = raw[(s, det)]
                keep = np.any(mats != 0, axis=(0, 2))
                interp = linear_interpolation_matrix(x[keep], nodes[det])  # (X, N)
                data = sum(f[f"data{det}{s}_{p}"].values() for p in c["periods"])
                # (C, N, R) flattened to (C N, R): the prediction is one matrix-vector product
                # with the weights w[n, c] flattened as w.T.ravel() (vmaps to one matmul)
                m = np.einsum("cxr,xn->cnr", mats[:, keep, :], interp)
                parts[det] = dict(m=jnp.asarray(m.reshape(-1, m.shape[2])),
                                  data=np.asarray(data, float))
            frac = np.asarray(f[f"Total{s}Covar"].member("fElements"), float)
            n = len(parts["FD"]["data"]) + len(parts["ND"]["data"])
            frac = frac.reshape(n, n)
            self.blocks.append(dict(selection=s, parts=parts, frac=0.5 * (frac + frac.T),
                                    data=np.concatenate([parts["FD"]["data"],
                                                         parts["ND"]["data"]])))
        # every selection in one chi2 (chi2 below): data and block-diagonal fractional covariance
        self._data_all = jnp.asarray(np.concatenate([blk["data"] for blk in self.blocks]))
        self._frac_all = jnp.asarray(scipy.linalg.block_diag(*[blk["frac"]
                                                               for blk in self.blocks]))

    def shared_priors(self) -> dict[str, Prior]:
        return self._shared

    # physics -------------------------------------------------------------------------------
    def _weights_at(self, e_true: Any, det: str, osc: dict[str, Any], eps: Any) -> Any:
        """Oscillation weight of each component at the true energies: (X, C)."""
        p = probabilities(e_true, self.baselines[det], self.card["density_gcm3"], osc=osc,
                          eps=eps, Ye=self.card["ye"], flat=True)
        cols = [jnp.ones_like(e_true) if b == "nc" else p[:, 3 * FLAV[a] + FLAV[b]]
                for a, b in self._weights]
        return jnp.stack(cols, axis=1)

    def expected(self, point: Any) -> dict[str, Any]:
        """``{"<det>_<selection>": predicted spectrum}`` (all components summed)."""
        osc = {k: point[k] for k in OSC_NAMES}
        eps = point.eps_matter(self.config["Yn"])
        w = {det: self._weights_at(e, det, osc, eps) for det, e in self.e_nodes.items()}
        out = {}
        for blk in self.blocks:
            for det, part in blk["parts"].items():
                out[f"{det}_{blk['selection']}"] = w[det].T.ravel() @ part["m"]
        return out

    def chi2(self, point: Any) -> Any:
        """Sum of the selections' covariance chi2, computed as ONE chi2 of the block-diagonal
        covariance (equal: the selections are uncorrelated in the release). One Cholesky call,
        not one per selection: two LAPACK calls that XLA:CPU runs at the same time on a 2-thread
        pool can deadlock in jaxlib 0.10.2 (each waits for pool tasks the other occupies)."""
        pred = self.expected(point)
        t = jnp.concatenate([jnp.concatenate([pred[f"FD_{blk['selection']}"],
                                              pred[f"ND_{blk['selection']}"]])
                             for blk in self.blocks])
        return covariance_chi2(t, self._data_all, self._frac_all)

    def loglike(self, point: Any) -> Any:
        return -0.5 * self.chi2(point)
