"""Super-Kamiokande I-V atmospheric neutrinos (release doi:10.5281/zenodo.8401262) with NSI.

The release gives, for each of 930 analysis bins (29 samples in reconstructed momentum and
zenith) and each true type t (nu_e, nubar_e, nu_mu, nubar_mu, nu_tau, NC), the Monte Carlo count
without oscillations N0[b, t] and the quantiles (2.3, 15.9, 50, 84.1, 97.7%) of the true energy and
true cos(zenith) of those events. (The unoscillated nu_tau file holds nu_mu-flux events with the
nu_tau cross section, i.e. full conversion, as its counts and energies show.)

Prediction (per bin, rebuilt from the release's MC): each type's true-(E, cos z) distribution is
the product of two piecewise-linear CDFs through its quantiles (tails extended linearly to 0 and
1; cos z cut to [-1, 1]), integrated over a grid (card ``[grid]``) with the oscillation weight
computed at the cell centres and interpolated linearly between them (quantile_node_weights);
the oscillation weight is

    nu_e:   P_ee + r P_mue,    nu_mu:  P_mumu + P_emu / r,   nu_tau: P_mutau + P_etau / r

(neutrino or antineutrino probabilities; nu_tau a 0.67 : 0.33 mix), NC 1, with r the nu_mu/nu_e
flux ratio (card ``[flux_ratio]``) and P through the PREM Earth (earth.py) with NSI from
``point.eps_matter`` in each layer (its own Y_n). Then N[b] = sum_t N0[b, t] <weight>_bt times the
systematic factors. Likelihood: Poisson, chi2 = 2 sum [N - d + d ln(d / N)] over the 930 bins
(non-integer up-going-muon data kept as they are).

Anchoring (card ``anchor``, option ``anchor``; default "NO"): the rebuilt distributions lose
what the release's per-event weights know (at the release's NO best fit the reweighted mu-like
samples lie 1-4% and the up-going muons 7-12% above the release's own NO MC). With ``anchor =
"NO"`` each bin and type is scaled by the constant c[b, t] = N_NO[b, t] / (N0 <weight>)[b, t]
(the release's NO MC over our prediction at the release's NO best fit, card ``[mc_truth.NO]``;
clipped to [1/3, 3], which only touches nu_tau bins holding 0.9 of 61570 events), so that the
prediction equals the release's MC at its best fit and this model only supplies the change away
from it: N[b](theta) = sum_t c[b, t] N0[b, t] <weight(theta)>_bt. ``anchor = "none"`` gives the
plain reweighting.

Systematics (cards ``[systematics]`` and ``[migrations]``): the release has no response
functions of its bins to the analysis's ~100 systematic parameters, so this likelihood carries a
simplified set of nuisances, sampled with normal priors: flux normalisation, spectral tilt, an
extra normalisation below 1 GeV rising as log10(1 GeV / E) down to 0.1 GeV, the nu_mu/nu_e and
nubar/nu flux ratios, four sample-class normalisations, the nu_tau and NC cross sections, and
migrations between partner samples that conserve their events (SK IV-V neutron tagging, SK I-III
nu_e / nubar_e separation; :func:`migration_matrix`). This, the separable (E, cos z)
distributions rebuilt from quantiles, and binned rather than per-event oscillation weights (the
release's disclaimer) limit how closely the published results are reproduced
(docs/oscillation.md).
"""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from globalfit.errors import GlobalfitError, unknown
from globalfit.likelihood import Likelihood
from likelihoods.oscillation import nufit
from likelihoods.oscillation.earth import atmospheric_paths, earth_probabilities
from likelihoods.oscillation.engine import OSC_NAMES
from likelihoods.oscillation.experiment import poisson_chi2
from likelihoods.oscillation.minos_2017 import linear_interpolation_matrix
from priors import Normal, Prior

#: release file stem, final flavour index (None: NC), antineutrino (None: nu_tau mix)
TYPES = (("Nue", 0, False), ("NueBar", 0, True), ("Numu", 1, False), ("NumuBar", 1, True),
         ("Nutau", 2, None), ("NC", None, False))
QUANTILES = np.array([0.023, 0.159, 0.5, 0.841, 0.977])
CLASSES = ("fc_subgev", "fc_multigev", "pc", "upmu")
MC_FOLDER = {"NoOsc": "unoscillated", "NO": "normal", "IO": "inverted"}
ANCHORS = ("NO", "none")
#: the anchoring factors are clipped to [1 / ANCHOR_CLIP, ANCHOR_CLIP]
ANCHOR_CLIP = 3.0


def sample_class(name: str) -> str:
    """fc_subgev, fc_multigev, pc or upmu from a release sample name (the single- and two-ring
    NC pi0 samples are fully contained sub-GeV)."""
    if "upmu" in name:
        return "upmu"
    if "_pc_" in name:
        return "pc"
    if "multigev" in name:
        return "fc_multigev"
    return "fc_subgev"


def migration_matrix(names: np.ndarray, counts: np.ndarray,
                     spec: dict[str, Any]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Per-bin response to the sample migrations of card ``[migrations]``: (names, sd, M) with
    M (bins, migrations) such that the bins scale by 1 + M @ x. Migration x moves events
    between partner samples with the total conserved: in each of its groups the ``from``
    samples scale by 1 + x and the ``to`` samples by 1 - x F / T, F and T the ``counts``
    (events per bin at the release's best fit) summed over the from and to samples."""
    known = [str(n) for n in dict.fromkeys(names)]
    cols, sds, keys = [], [], []
    for key, m in spec.items():
        if not isinstance(m, dict) or "sd" not in m or "groups" not in m or any(
                set(g) != {"from", "to"} for g in m["groups"]):
            raise GlobalfitError(f"Super-K migration {key!r} needs sd and groups of "
                                 f"{{from = [...], to = [...]}} samples (superk_atm_2023.toml).")
        col = np.zeros(len(names))
        for group in m["groups"]:
            for s in (*group["from"], *group["to"]):
                if s not in known:
                    raise unknown(f"Super-K sample in migration {key!r}:", s, known)
            src, dst = np.isin(names, group["from"]), np.isin(names, group["to"])
            col[src] += 1.0
            col[dst] -= counts[src].sum() / counts[dst].sum()
        cols.append(col)
        sds.append(float(m["sd"]))
        keys.append(key)
    matrix = np.stack(cols, axis=1) if cols else np.zeros((len(names), 0))
    return keys, np.array(sds), matrix


def quantile_cdf_weights(q: np.ndarray, edges: np.ndarray, lo: float | None = None,
                         hi: float | None = None) -> np.ndarray:
    """Share of a distribution in each cell [edges[i], edges[i+1]], given its quantiles q (n, 5)
    at QUANTILES: the CDF is piecewise linear through them, extended linearly to 0 and 1 with
    the slopes of the outer quantile pairs; optionally cut to [lo, hi] and renormalised. Rows
    with no spread (empty bins) get weight 0. Returns (n, cells)."""
    q = np.maximum.accumulate(np.asarray(q, float), axis=1)
    empty = q[:, 4] <= q[:, 0]
    q = q + 1e-9 * np.arange(5)[None, :]                     # strictly increasing
    p = QUANTILES
    x0 = q[:, :1] - (q[:, 1:2] - q[:, :1]) * p[0] / (p[1] - p[0])
    x1 = q[:, 4:] + (q[:, 4:] - q[:, 3:4]) * (1 - p[4]) / (p[4] - p[3])
    xs = np.concatenate([x0, q, x1], axis=1)
    ps = np.concatenate([[0.0], p, [1.0]])
    e = np.asarray(edges, float)
    if lo is not None:
        e = np.clip(e, lo, hi)
    cdf = np.stack([np.interp(e, x, ps) for x in xs])
    w = np.diff(cdf, axis=1)
    tot = w.sum(axis=1, keepdims=True)
    ok = (tot > 0) & ~empty[:, None]
    return np.where(ok, w / np.where(ok, tot, 1.0), 0.0)


def quantile_node_weights(q: np.ndarray, edges: np.ndarray, lo: float | None = None,
                          hi: float | None = None, n_sub: int = 16) -> np.ndarray:
    """Quadrature weights W (n, nodes) with int f(x) dF(x) ~ sum_k W[:, k] f(x_k) for f
    interpolated linearly between the nodes x_k (the cell centres of ``edges``, f constant
    beyond the outer nodes), the distribution F rebuilt from the quantiles as in
    quantile_cdf_weights. Second-order in the node spacing where f is smooth (the cell
    weights of quantile_cdf_weights, f constant per cell, are first-order): each cell is cut
    into ``n_sub`` parts whose masses are shared between the neighbouring nodes."""
    e = np.asarray(edges, float)
    fine = np.concatenate([np.linspace(a, b, n_sub + 1)[:-1] for a, b in zip(e[:-1], e[1:],
                                                                             strict=True)]
                          + [e[-1:]])
    mass = quantile_cdf_weights(q, fine, lo, hi)                     # (n, fine cells)
    nodes = 0.5 * (e[1:] + e[:-1])
    x = np.clip(0.5 * (fine[1:] + fine[:-1]), nodes[0], nodes[-1])
    return mass @ linear_interpolation_matrix(x, nodes)


def mc_truth(card: dict[str, Any], ordering: str = "NO") -> dict[str, float]:
    """Oscillation parameters of the release's MC (card ``[mc_truth.<ordering>]``; theta12 and
    dm21 from NuFIT 6.0, not varied by the release's fit)."""
    t = card["mc_truth"][ordering]
    return {**nufit.best_fit(ordering), "theta23": math.asin(math.sqrt(t["sin2_theta23"])),
            "theta13": math.asin(math.sqrt(t["sin2_theta13"])), "dm31": t["dm31"],
            "delta_cp": t["delta_cp"]}


def read_mc(folder: Any, config: str) -> dict[str, np.ndarray]:
    """{type stem: (930, 15) table} of one MC configuration (NoOsc, NO or IO)."""
    out = {}
    for stem, _, _ in TYPES:
        path = folder / "bins" / MC_FOLDER[config] / f"sk_2023_MC{stem}{config}.txt"
        out[stem] = np.loadtxt(path, comments="#")
    return out


def mc_counts(mc: dict[str, np.ndarray]) -> np.ndarray:
    """(930, 6) expected events per bin and true type (TYPES order) of a :func:`read_mc` set."""
    return np.stack([mc[stem][:, 0] for stem, _, _ in TYPES], axis=1)


class SuperKAtm2023(Likelihood):
    """Super-K I-V atmospheric neutrinos, 930 bins, through the PREM Earth (module docstring)."""

    name = "superk_atm_2023"
    requires = frozenset({"eps_matter"})
    citation = ("Super-Kamiokande, arXiv:2311.05105; data release doi:10.5281/zenodo.8401262; "
                "PREM (Dziewonski and Anderson 1981); NuFIT 6.0 arXiv:2410.05380 for the "
                "unconstrained oscillation priors")
    validity = ("atmospheric nu, true E 0.06 GeV - 100 TeV (oscillations computed below 10^5 "
                "GeV), all zeniths; three active flavours; its delta_CP preference is stronger "
                "than the release's own and not validated (docs/oscillation.md)")
    card_file = "superk_atm_2023.toml"
    batch_size = 2   # batches two points at a time (Likelihood.batch_size) ...
    parallel_points = True   # ... or one point per core (no LAPACK custom call inside)
    options = {"mass_ordering": "NO", "osc_priors": "measured", "max_shell_km": None,
               "n_cosz_up": None, "n_log10e": None, "anchor": None, "migrations": True}

    def setup(self) -> None:
        from globalfit.data import release_path

        nufit.check_ordering(self.config["mass_ordering"])
        self._shared = nufit.shared_priors(self.config["mass_ordering"],
                                           self.config["osc_priors"])
        c = self.card
        folder = release_path(c["release"])
        names = np.loadtxt(folder / "bins" / "sk_2023_BinInfo.txt", skiprows=1, dtype=str,
                           usecols=0)
        self.sample_names = names
        self.data = np.loadtxt(folder / "bins" / "sk_2023_Data.txt", comments="#")
        cls = np.array([CLASSES.index(sample_class(n)) for n in names])
        self._class_onehot = jnp.asarray(np.eye(len(CLASSES))[cls])
        g = c["grid"]
        le = g["log10e_edges"]
        n_e = int(self.config["n_log10e"] or le["n"])
        self.log10e_edges = np.concatenate([np.linspace(le["lo"], le["hi"], n_e + 1),
                                            le["tail"]])
        n_up = int(self.config["n_cosz_up"] or g["n_cosz_up"])
        self.cosz_edges = np.concatenate([np.linspace(-1, 0, n_up + 1),
                                          np.linspace(0, 1, g["n_cosz_down"] + 1)[1:]])
        self.e_centres = 10 ** (0.5 * (self.log10e_edges[1:] + self.log10e_edges[:-1]))
        cz = 0.5 * (self.cosz_edges[1:] + self.cosz_edges[:-1])
        shell = self.config["max_shell_km"] or g["max_shell_km"]
        self.paths = atmospheric_paths(cz, production_height_km=g["production_height_km"],
                                       max_shell_km=shell)
        mc = read_mc(folder, "NoOsc")
        self.n0 = mc_counts(mc)                                            # (930, 6)
        self._we, self._wz = [], []
        for stem, _, _ in TYPES[:-1]:                                      # NC: no weights
            t = mc[stem]
            self._we.append(jnp.asarray(quantile_node_weights(np.log10(np.maximum(
                t[:, 3:8], 1e-6)), self.log10e_edges)))
            self._wz.append(jnp.asarray(quantile_node_weights(t[:, 10:15], self.cosz_edges,
                                                              -1.0, 1.0)))
        fr = c["flux_ratio"]
        self._ratio = jnp.asarray(fr["r0"] * np.maximum(self.e_centres, 1.0) ** fr["slope"])
        self._log_e10 = jnp.asarray(np.log(self.e_centres / 10.0))
        self._low_energy_ramp = jnp.asarray(np.clip(-np.log10(self.e_centres), 0.0, 1.0))
        self._sd = dict(c["systematics"])
        if len(self.data) != self.n0.shape[0]:
            raise GlobalfitError("Super-K release: data and MC have different bin counts.")
        self.anchor = self.config["anchor"] or c["anchor"]
        if self.anchor not in ANCHORS:
            raise GlobalfitError(f"superk_atm_2023: anchor {self.anchor!r} is not one of "
                                 f"{', '.join(ANCHORS)}.")
        release_no = mc_counts(read_mc(folder, "NO"))                      # (930, 6)
        self.anchor_factors = np.ones_like(self.n0)
        if self.anchor != "none":
            self.anchor_factors = self._anchor_factors(release_no, self.anchor)
        self._n0_anchored = jnp.asarray(self.n0 * self.anchor_factors)
        spec = c["migrations"] if self.config["migrations"] else {}
        self._migration_names, sd, matrix = migration_matrix(names, release_no.sum(axis=1),
                                                             spec)
        self._migration_sd = dict(zip(self._migration_names, sd.tolist(), strict=True))
        if both := sorted(set(self._migration_sd) & set(self._sd)):
            raise GlobalfitError(f"superk_atm_2023: {', '.join(both)} named both a systematic "
                                 "and a migration in the data card.")
        self._migration_matrix = jnp.asarray(matrix)

    def _anchor_factors(self, release: np.ndarray, config: str) -> np.ndarray:
        """c[b, t] (module docstring, "Anchoring"): the release's ``config`` MC (``release``,
        (930, 6)) over our prediction at the release's parameters for it, clipped to [1/3, 3];
        1 where either vanishes."""
        eps0 = jnp.zeros((3, 3), jnp.complex128)
        ours = self.n0 * np.asarray(jax.jit(self.mean_weights)(mc_truth(self.card, config),
                                                                eps0))
        ok = (ours > 0) & (release > 0)
        ratio = release / np.where(ok, ours, 1.0)
        return np.where(ok, np.clip(ratio, 1.0 / ANCHOR_CLIP, ANCHOR_CLIP), 1.0)

    # Likelihood API ----------------------------------------------------------------------
    def shared_priors(self) -> dict[str, Prior]:
        return self._shared

    def nuisance_priors(self) -> dict[str, Prior]:
        return {k: Normal(0.0, float(v)) for k, v in {**self._sd, **self._migration_sd}.items()}

    def oscillation_weights(self, osc: dict[str, Any], eps: Any, mu_e: Any = 0.0) -> list[Any]:
        """Per type (without NC): (E cells, cos z cells) oscillation weights (module docstring);
        ``mu_e`` scales the nu_mu flux, and so the nu_mu/nu_e flux ratio, by s = 1 + mu_e:
        every term fed by nu_mu is multiplied by s (nu_e: P_ee + s r P_mue; nu_mu: s P_mumu +
        P_emu / r; nu_tau: s P_mutau + P_etau / r)."""
        r = self._ratio[:, None]
        s = 1.0 + mu_e
        p = [jnp.swapaxes(earth_probabilities(self.e_centres, self.paths, osc=osc, eps=eps,
                                              antineutrino=a, initial=(0, 1)), 0, 1)
             for a in (False, True)]
        out = []
        for _, fin, anti in TYPES[:-1]:
            def weight(pp, fin=fin):
                if fin == 0:
                    return pp[..., 0, 0] + s * r * pp[..., 1, 0]
                if fin == 1:
                    return s * pp[..., 1, 1] + pp[..., 0, 1] / r
                return s * pp[..., 1, 2] + pp[..., 0, 2] / r
            if anti is None:
                f = self.card["nutau_nu_fraction"]
                out.append(f * weight(p[0]) + (1 - f) * weight(p[1]))
            else:
                out.append(weight(p[int(anti)]))
        return out

    def mean_weights(self, osc: dict[str, Any], eps: Any, mu_e: Any = 0.0,
                     tilt: Any = 0.0, low: Any = 0.0) -> Any:
        """(930, 6) oscillation weight of each bin and true type averaged over the type's true
        (E, cos z) distribution in the bin, times the flux shape (E / 10 GeV)^tilt (1 + low
        clip(log10(1 GeV / E), 0, 1)); NC: 1."""
        w = self.oscillation_weights(osc, eps, mu_e)
        spectral = (jnp.exp(tilt * self._log_e10) * (1.0 + low * self._low_energy_ramp))[:, None]
        cols = []
        for k, f in enumerate(w):
            g = self._we[k] @ (f * spectral)                              # (930, cos z cells)
            cols.append(jnp.sum(g * self._wz[k], axis=1))
        cols.append(jnp.ones(self.n0.shape[0]))                          # NC: no oscillation
        return jnp.stack(cols, axis=1)

    def expected_by_type(self, point: Any) -> Any:
        """(930, 6) expected events per bin and true type (TYPES order), anchored (module
        docstring) and with the systematics applied."""
        osc = {k: point[k] for k in OSC_NAMES}
        nu = point.nuisance
        n = self._n0_anchored * self.mean_weights(osc, point.eps_matter,
                                                  nu.get("flux_mu_e", 0.0),
                                                  nu.get("flux_tilt", 0.0),
                                                  nu.get("flux_low_energy", 0.0))
        nubar = 1.0 + nu.get("flux_nubar", 0.0)
        type_scale = jnp.stack([jnp.asarray(1.0), nubar, jnp.asarray(1.0), nubar,
                                1.0 + nu.get("nutau", 0.0), 1.0 + nu.get("nc", 0.0)])
        classes = jnp.stack([nu.get(c, 0.0) for c in CLASSES])
        per_bin = (1.0 + nu.get("norm", 0.0)) * (1.0 + self._class_onehot @ classes)
        if self._migration_names:
            x = jnp.stack([nu.get(k, 0.0) for k in self._migration_names])
            per_bin = per_bin * (1.0 + self._migration_matrix @ x)
        return n * type_scale[None, :] * per_bin[:, None]

    def expected(self, point: Any) -> dict[str, Any]:
        """``{type: expected events per bin}`` for the six true types of the release."""
        n = self.expected_by_type(point)
        return {stem: n[:, k] for k, (stem, _, _) in enumerate(TYPES)}

    def chi2(self, point: Any) -> Any:
        n = jnp.sum(self.expected_by_type(point), axis=1)
        return poisson_chi2(jnp.maximum(n, 1e-3), jnp.asarray(self.data))

    def loglike(self, point: Any) -> Any:
        return -0.5 * self.chi2(point)
