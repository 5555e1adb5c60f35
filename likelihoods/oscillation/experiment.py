"""Binned Asimov projection of a long-baseline experiment (physics.md section 2, "Projections").

A subclass describes, in ``build()``, one true-energy grid (probabilities are computed once per
point there, for neutrinos and antineutrinos) and samples made of components. A component is one
channel: an initial flavour in the beam, a final flavour (or NC), neutrino or antineutrino, and a
response matrix R[reco bin, true bin] that already holds flux x cross section x exposure x
efficiency x energy resolution; its expected counts are R @ P(E_true). Each component belongs to
a normalisation group of its sample (``sig``, ``nue_bkg``, ``numu_bkg``, ``nutau_bkg``,
``nc_bkg``, ...) with a Gaussian systematic; the group nuisance b scales it by (1 + b).

log L = -chi2 / 2 with the Poisson chi2 = 2 sum [N_th - N_obs + N_obs ln(N_obs / N_th)] against the
Asimov counts at the truth point. Normalisations are either ``sampled`` (nuisances
``NAME.<sample>_<group>`` with normal priors; the Fit adds the Gaussian pulls) or ``profiled``:
per sample, the Gaussian (Neyman) approximation of the chi2 is minimised in closed form over its
normalisations (a small linear solve), and the exact Poisson chi2 plus pulls is evaluated there.
Both are differentiable; ``profiled`` leaves only the six oscillation parameters to sample.

Option ``density_uncertainty`` (relative 1 sigma, default 0): a nuisance ``NAME.density`` scales
the matter density, rho -> rho (1 + density), with a normal prior (a standard systematic of
GLoBES long-baseline projections); profile scans (profile.py) hold it at the nominal density.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import jax.numpy as jnp
import numpy as np

from globalfit.errors import GlobalfitError
from globalfit.likelihood import Likelihood
from likelihoods.oscillation import nufit
from likelihoods.oscillation.engine import OSC_NAMES, probabilities_nu_nubar
from priors import Normal, Prior

FLAV = {"e": 0, "mu": 1, "tau": 2}
NUISANCE_MODES = ("sampled", "profiled")


@dataclass
class Component:
    """One channel of a sample: nu_{initial} -> nu_{final} (final None = NC, no oscillation)."""

    name: str
    group: str
    initial: str
    final: str | None
    anti: bool
    response: np.ndarray  # (n_reco, n_true) events per unit probability


@dataclass
class Sample:
    name: str
    components: list[Component] = field(default_factory=list)


def poisson_chi2(n_th: Any, n_obs: Any) -> Any:
    """2 sum [N_th - N_obs + N_obs ln(N_obs / N_th)] (bins with N_obs = 0 give 2 N_th)."""
    n_th = jnp.maximum(n_th, 1e-30)
    safe = jnp.where(n_obs > 0, n_obs, 1.0)
    return 2.0 * jnp.sum(n_th - n_obs + jnp.where(n_obs > 0, n_obs * jnp.log(safe / n_th), 0.0))


def eps_from_truth(truth: dict[str, Any]) -> np.ndarray:
    """3x3 symmetric eps in matter from truth keys eps_ee, eps_mumu, eps_tautau, eps_emu, ..."""
    idx = {"ee": (0, 0), "mumu": (1, 1), "tautau": (2, 2), "emu": (0, 1), "etau": (0, 2),
           "mutau": (1, 2)}
    m = np.zeros((3, 3), complex)
    for k, v in truth.items():
        if k.startswith("eps_"):
            ab = k[4:]
            if ab not in idx:
                raise GlobalfitError(
                    f"Unknown truth entry {k!r}: use eps_ee, eps_mumu, eps_tautau, eps_emu, "
                    "eps_etau, eps_mutau (eps in matter, per electron).")
            i, j = idx[ab]
            m[i, j] = v
            m[j, i] = np.conj(v)
    return m


class OscillationExperiment(Likelihood):
    """Base class of ``dune`` and ``t2hk`` (module docstring)."""

    requires = frozenset({"eps_matter"})
    #: systematic (1 sigma) per normalisation group, or per "<sample>_<group>", set by subclasses
    systematics: dict[str, float] = {}
    #: common options; subclasses extend
    base_options: dict[str, Any] = {"mass_ordering": "NO", "truth": {}, "nuisances": "sampled",
                                    "Yn": 1.0, "osc_priors": "nufit", "density_uncertainty": 0.0}

    # subclass API ----------------------------------------------------------------------------
    baseline_km: float
    density: float
    ye: float = 0.5

    def build(self) -> tuple[np.ndarray, list[Sample], np.ndarray]:
        """Return (true energies [GeV], samples, reco bin edges [GeV])."""
        raise NotImplementedError

    # set-up ----------------------------------------------------------------------------------
    def setup(self) -> None:
        nufit.check_ordering(self.config["mass_ordering"])
        if self.config["nuisances"] not in NUISANCE_MODES:
            raise GlobalfitError(f"nuisances must be 'sampled' or 'profiled', got "
                                 f"{self.config['nuisances']!r}.")
        sd_rho = self.config["density_uncertainty"]
        if isinstance(sd_rho, bool) or not isinstance(sd_rho, int | float) \
                or not 0.0 <= sd_rho < 0.5:
            raise GlobalfitError("density_uncertainty is the relative 1 sigma of the matter "
                                 f"density, a number in [0, 0.5); got {sd_rho!r}.")
        truth = dict(self.config["truth"])
        osc_over = {k: v for k, v in truth.items() if not k.startswith("eps_")}
        self._shared = nufit.shared_priors(self.config["mass_ordering"],
                                           self.config["osc_priors"], osc_over)
        self.truth_osc = nufit.truth_point(self.config["mass_ordering"], osc_over)
        self.truth_eps = eps_from_truth(truth)
        e_true, samples, edges = self.build()
        self.e_true = jnp.asarray(e_true, float)
        self.reco_edges = np.asarray(edges)
        self.samples = samples
        comps = [c for s in samples for c in s.components]
        resp = np.stack([c.response for c in comps])  # (C, R, T)
        # channel of each component: 9 anti + 3 initial + final (P_nu, P_nubar), 18 for NC
        sel = []
        for c in comps:
            if c.final is None:
                sel.append(18)
            else:
                sel.append(9 * int(c.anti) + 3 * FLAV[c.initial] + FLAV[c.final])
        self._setup_contraction(resp, np.asarray(sel))
        # groups: one nuisance per (sample, group)
        self.group_names: list[str] = []
        gidx = []
        self._sample_groups: list[list[int]] = []
        self._sample_comps: list[list[int]] = []
        k = 0
        for s in samples:
            groups_here: list[int] = []
            comp_here: list[int] = []
            for c in s.components:
                gname = f"{s.name}_{c.group}"
                if gname not in self.systematics and c.group not in self.systematics:
                    raise GlobalfitError(f"No systematic for group {c.group!r}.")
                if gname not in self.group_names:
                    self.group_names.append(gname)
                    groups_here.append(self.group_names.index(gname))
                gidx.append(self.group_names.index(gname))
                comp_here.append(k)
                k += 1
            self._sample_groups.append(groups_here)
            self._sample_comps.append(comp_here)
        self._gidx = jnp.asarray(gidx)
        self._gsd = np.array([self.systematics.get(g, self.systematics.get(self._group_of(g)))
                              for g in self.group_names])
        # all samples at once (they share the reco binning): sample x component indicator, and
        # sample x group x component indicator padded to the largest group count (a padded
        # group has no component and unit width, so its normalisation solves to 0)
        n_s, g_max = len(samples), max(len(gs) for gs in self._sample_groups)
        self._in_sample = np.zeros((n_s, len(comps)))
        self._in_group = np.zeros((n_s, g_max, len(comps)))
        self._group_sd = np.ones((n_s, g_max))
        for si, (ci, gs) in enumerate(zip(self._sample_comps, self._sample_groups, strict=True)):
            self._in_sample[si, ci] = 1.0
            for gi, g in enumerate(gs):
                self._in_group[si, gi, [k for k in ci if gidx[k] == g]] = 1.0
                self._group_sd[si, gi] = self._gsd[g]
        # Asimov data at the truth point, (samples, reco bins)
        comp = self._component_counts(self.truth_osc, jnp.asarray(self.truth_eps))
        self.observed = self._in_sample @ np.asarray(comp)

    def _group_of(self, gname: str) -> str:
        for s in self.samples:
            if gname.startswith(s.name + "_"):
                return gname[len(s.name) + 1:]
        raise KeyError(gname)

    # physics ---------------------------------------------------------------------------------
    def probs(self, osc: dict[str, Any], eps: Any, rho_scale: Any = 1.0) -> Any:
        """(2, n_true, 9): P_nu[a, b] and P_nubar[a, b] (index 3 a + b); density times
        ``rho_scale``."""
        return probabilities_nu_nubar(self.e_true, self.baseline_km, self.density * rho_scale,
                                      osc=osc, eps=eps, Ye=self.ye, flat=True)

    def _setup_contraction(self, resp: np.ndarray, sel: np.ndarray) -> None:
        """Regroup the responses for :meth:`_component_counts`: NC components do not oscillate,
        so their counts are constant (summed here once); the others are grouped by the
        probability channel they read, one (T, n_k x R) block per channel, zero-padded to the
        widest and stacked (K, T, width), so that a call is one batched contraction over the
        true energies for all channels instead of one matrix product per channel (24 fewer
        operations in the DUNE + T2HK value, 56 in its value + gradient: that 1.13-1.24x
        faster, the batched log-likelihood 3-10% slower for the padding;
        ``python benchmarks/bench_value_grad.py``)."""
        n_r, n_t = resp.shape[1:]
        osc = [k for k in range(18) if np.any(sel == k)]
        blocks = [resp[sel == k].transpose(2, 0, 1).reshape(n_t, -1) for k in osc]
        self._responses = np.zeros((len(osc), n_t, max(b.shape[1] for b in blocks)))
        for i, b in enumerate(blocks):
            self._responses[i, :, : b.shape[1]] = b
        self._channel = np.array(osc)  # block i reads probs()[k // 9, :, k % 9], k = channel
        self._channel_width = [b.shape[1] for b in blocks]
        order = np.concatenate([np.flatnonzero(sel == k) for k in osc]
                               + [np.flatnonzero(sel == 18)])
        self._nc_counts = jnp.asarray(resp[sel == 18].sum(-1))  # (n_NC, R)
        self._unsort = jnp.asarray(np.argsort(order))
        self._n_r = n_r

    def _component_counts(self, osc: dict[str, Any], eps: Any, rho_scale: Any = 1.0) -> Any:
        """Expected counts per component and reco bin, (C, R): sum_t R[c, r, t] P_c(E_t)."""
        p = self.probs(osc, eps, rho_scale)                                  # (2, T, 9)
        per_channel = jnp.moveaxis(p, 1, 0).reshape(p.shape[1], 18)[:, self._channel]
        out = jnp.einsum("tk,ktj->kj", per_channel, self._responses)         # (K, width)
        parts = [out[i, :w].reshape(-1, self._n_r) for i, w in enumerate(self._channel_width)]
        return jnp.concatenate([*parts, self._nc_counts])[self._unsort]

    def _osc(self, point: Any) -> dict[str, Any]:
        return {k: point[k] for k in OSC_NAMES}

    # Likelihood API --------------------------------------------------------------------------
    def shared_priors(self) -> dict[str, Prior]:
        """NuFIT 6.0 priors of the oscillation parameters (nufit.py; option ``osc_priors``).
        dune and t2hk declare the same names: give them the same ``mass_ordering`` and
        ``osc_priors`` (the Fit keeps the first declaration)."""
        return self._shared

    def nuisance_priors(self) -> dict[str, Prior]:
        """Normalisations (``sampled`` mode) and, with ``density_uncertainty`` > 0, the relative
        shift ``density`` of the matter density (rho -> rho (1 + density), either mode)."""
        out: dict[str, Prior] = {}
        if self.config["nuisances"] == "sampled":
            out = {g: Normal(0.0, float(sd)) for g, sd in zip(self.group_names, self._gsd,
                                                              strict=True)}
        if self.config["density_uncertainty"] > 0:
            out["density"] = Normal(0.0, float(self.config["density_uncertainty"]))
        return out

    def _rho_scale(self, point: Any) -> Any:
        """1 + the density nuisance (1 without ``density_uncertainty``; a point without the
        nuisance, as in the profile scans of profile.py, holds the nominal density)."""
        if self.config["density_uncertainty"] > 0:
            return 1.0 + point.nuisance.get("density", 0.0)
        return 1.0

    def _norms(self, point: Any) -> Any:
        return jnp.stack([jnp.asarray(point[g], float) for g in self.group_names])

    def expected(self, point: Any) -> dict[str, Any]:
        """``{"<sample>:<group>": counts per reco bin}`` with the normalisations applied."""
        comp = self._component_counts(self._osc(point), point.eps_matter(self.config["Yn"]),
                                      self._rho_scale(point))
        if self.config["nuisances"] == "sampled":
            comp = comp * (1.0 + self._norms(point)[self._gidx])[:, None]
        out: dict[str, Any] = {}
        for s, ci in zip(self.samples, self._sample_comps, strict=True):
            for k, c in zip(ci, s.components, strict=True):
                key = f"{s.name}:{c.group}"
                out[key] = out[key] + comp[k] if key in out else comp[k]
        return out

    def chi2(self, point: Any) -> Any:
        """Poisson chi2 of all samples (plus the normalisation pulls when profiled), every
        sample in one batched computation (few large operations, not a few per sample)."""
        comp = self._component_counts(self._osc(point), point.eps_matter(self.config["Yn"]),
                                      self._rho_scale(point))
        obs = self.observed
        if self.config["nuisances"] == "sampled":
            comp = comp * (1.0 + self._norms(point)[self._gidx])[:, None]
            return poisson_chi2(self._in_sample @ comp, obs)
        # profiled: per sample, the normalisations b minimising the Gaussian approximation
        # sum_r (n0 + b cg - obs)^2 / obs + sum_g (b_g / sd_g)^2 (normal equations a b = rhs)
        cg = jnp.einsum("sgc,cr->sgr", self._in_group, comp)  # counts per group
        n0 = self._in_sample @ comp
        cgw = cg / np.maximum(obs, 1.0)[:, None, :]
        a = jnp.einsum("sgr,shr->sgh", cgw, cg) + jnp.asarray(
            np.eye(self._group_sd.shape[1]) / self._group_sd[:, :, None] ** 2)
        rhs = -jnp.einsum("sgr,sr->sg", cgw, n0 - obs)
        b = jnp.linalg.solve(a, rhs[..., None])[..., 0]
        n_th = n0 + jnp.einsum("sg,sgr->sr", b, cg)
        return poisson_chi2(n_th, obs) + jnp.sum((b / self._group_sd) ** 2)

    def loglike(self, point: Any) -> Any:
        return -0.5 * self.chi2(point)

    def event_totals(self, point: Any) -> dict[str, float]:
        """Total expected events per sample and group in the analysis window."""
        return {k: float(jnp.sum(v)) for k, v in self.expected(point).items()}
