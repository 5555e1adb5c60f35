"""DUNE Asimov projection (TDR configuration, arXiv:2103.04797), physics.md section 2.

Four samples: ``nue_app`` (FHC nu_e appearance), ``nuebar_app`` (RHC), ``numu_dis`` (FHC nu_mu
disappearance), ``numubar_dis`` (RHC), each in reconstructed energy 0.5-18 GeV, with signal
(right- and wrong-sign), beam nu_e, mis-identified nu_mu, nu_tau CC and NC backgrounds and the
normalisation systematics of the TDR (dune.toml). Two configurations:

- ``config = "builtin"`` (default, no download): parametrised fluxes, cross sections,
  efficiencies (cubic in ln E_reco) and Gaussian energy resolution with a feed-down tail, each a
  least-squares fit to the TDR tables (fit_builtin.py), every number in ``dune.toml``.
- ``config = "tdr"``: the TDR GLoBES tables (fluxes, GENIE cross sections on Ar, 80 x 99 migration
  matrices, post-smearing efficiencies) from the data release ``oscillation/dune_tdr_globes``.

Options: ``exposure`` [kt MW yr, 336 = 40 kt x 1.2 MW x (3.5 + 3.5) yr], ``nu_fraction`` (share of
the running in FHC), ``mass_ordering`` and ``truth`` (Asimov truth point: NuFIT 6.0 of that
ordering with overrides, e.g. ``{theta23 = 0.85, eps_ee = 0.1}``), ``nuisances`` (``sampled`` or
``profiled``, see experiment.py), ``Yn`` (N_n/N_e of the crust, 1 = isoscalar),
``density_uncertainty`` (relative 1 sigma of the matter density, a nuisance; default 0). The
nu_tau CC cross section is the nu_mu one times the parametrised ratio of dune.toml in both
configurations (the release's nu_tau cross-section columns are empty).

Only eps_ee - eps_mumu and eps_tautau - eps_mumu are observable: a fit in all three diagonal
entries has an exactly flat direction.
"""

from __future__ import annotations

import numpy as np
from scipy.special import erf

from globalfit.errors import GlobalfitError
from likelihoods.oscillation.experiment import Component, OscillationExperiment, Sample

SAMPLES = ("nue_app", "nuebar_app", "numu_dis", "numubar_dis")
_FLAV = {"nue": ("e", False), "numu": ("mu", False), "nutau": ("tau", False),
         "nuebar": ("e", True), "numubar": ("mu", True), "nutaubar": ("tau", True)}


def _channels(selection: str) -> list[tuple[str, str, str, str | None, bool, str, str]]:
    """(component, group, initial flavour, final flavour or None, anti, xsec kind, smear name)."""
    out = []
    if selection == "app":
        out += [("nue_sig", "sig", "mu", "e", False, "CC:nue", "app_nue_sig"),
                ("nuebar_sig", "sig", "mu", "e", True, "CC:nuebar", "app_nuebar_sig"),
                ("nue_bkg", "nue_bkg", "e", "e", False, "CC:nue", "app_nue_bkg"),
                ("nuebar_bkg", "nue_bkg", "e", "e", True, "CC:nuebar", "app_nuebar_bkg"),
                ("numu_bkg", "numu_bkg", "mu", "mu", False, "CC:numu", "app_numu_bkg"),
                ("numubar_bkg", "numu_bkg", "mu", "mu", True, "CC:numubar", "app_numubar_bkg"),
                ("nutau_bkg", "nutau_bkg", "mu", "tau", False, "CC:nutau", "app_nutau_bkg"),
                ("nutaubar_bkg", "nutau_bkg", "mu", "tau", True, "CC:nutaubar",
                 "app_nutaubar_bkg"),
                ("NC_bkg", "nc_bkg", "mu", None, False, "NC:numu", "app_NC_bkg"),
                ("aNC_bkg", "nc_bkg", "mu", None, True, "NC:numubar", "app_aNC_bkg")]
    else:
        out += [("numu_sig", "sig", "mu", "mu", False, "CC:numu", "dis_numu_sig"),
                ("numubar_sig", "sig", "mu", "mu", True, "CC:numubar", "dis_numubar_sig"),
                ("nutau_bkg", "nutau_bkg", "mu", "tau", False, "CC:nutau", "dis_nutau_bkg"),
                ("nutaubar_bkg", "nutau_bkg", "mu", "tau", True, "CC:nutaubar",
                 "dis_nutaubar_bkg"),
                ("NC_bkg", "nc_bkg", "mu", None, False, "NC:numu", "dis_NC_bkg"),
                ("aNC_bkg", "nc_bkg", "mu", None, True, "NC:numubar", "dis_aNC_bkg")]
    return out


_SAMPLE_DEF = {"nue_app": ("FHC", "app"), "nuebar_app": ("RHC", "app"),
               "numu_dis": ("FHC", "dis"), "numubar_dis": ("RHC", "dis")}


def tau_ratio(e: np.ndarray, card: dict) -> np.ndarray:
    """sigma(nu_tau CC) / sigma(nu_mu CC): (1 - E_th/E)^power above threshold (dune.toml)."""
    t = card["nutau"]
    x = np.clip(1.0 - t["threshold_GeV"] / np.maximum(e, 1e-9), 0.0, None)
    return x ** t["power"]


class DUNE(OscillationExperiment):
    """DUNE far detector, Asimov projection with NSI in matter (module docstring)."""

    name = "dune"
    projection = True
    citation = ("DUNE, arXiv:2103.04797 (TDR long-baseline configuration) and arXiv:2002.03005; "
                "NuFIT 6.0 arXiv:2410.05380")
    validity = "E_reco 0.5-18 GeV; constant density 2.848 g/cm^3 along 1284.9 km"
    card_file = "dune.toml"
    options = {**OscillationExperiment.base_options, "config": "builtin", "exposure": 336.0,
               "nu_fraction": 0.5}

    def setup(self) -> None:
        c = self.card
        self.baseline_km = c["baseline_km"]
        self.density = c["density_gcm3"]
        sy = dict(c["systematics"])
        self.systematics = {k: v for k, v in sy.items() if not k.endswith("_sig")}
        for sname, (_, sel) in _SAMPLE_DEF.items():
            self.systematics[f"{sname}_sig"] = sy[f"{sel}_sig"]
        if self.config["config"] not in ("builtin", "tdr"):
            raise GlobalfitError(f"DUNE config must be 'builtin' or 'tdr', got "
                                 f"{self.config['config']!r}.")
        if not 0.0 <= float(self.config["nu_fraction"]) <= 1.0 or self.config["exposure"] <= 0:
            raise GlobalfitError("DUNE needs exposure > 0 and 0 <= nu_fraction <= 1.")
        super().setup()

    def _years(self, mode: str) -> float:
        """Running time [yr] of a horn mode at the TDR beam power and mass."""
        c = self.card
        per_year = c["mass_kt"] * c["beam_power_MW"]
        f = float(self.config["nu_fraction"])
        return float(self.config["exposure"]) / per_year * (f if mode == "FHC" else 1.0 - f)

    def _norm(self, table: dict, mode: str) -> float:
        """Events = norm x phi [1/(m^2 GeV POT) at 1 km] x sigma [1e-38 cm^2] x dE: the GLoBES
        normalisation of the TDR tables, POT, running time, mass and 1/L^2 (``table``: the card's
        ``tdr`` or ``builtin`` entries)."""
        return (table["norm"] * table["pot_per_year_1e20"] * self._years(mode)
                * self.card["mass_kt"] / self.baseline_km**2)

    def build(self):
        if self.config["config"] == "tdr":
            return self._build_tdr()
        return self._build_builtin()

    # -- TDR tables ----------------------------------------------------------------------------
    def _build_tdr(self):
        from globalfit.data import release_path

        d = release_path("oscillation/dune_tdr_globes")
        def csv(name):
            return np.genfromtxt(d / name, delimiter=",", names=True)
        tb = csv("true_sampling_bins.csv")
        rb = csv("reco_bins.csv")
        e_true = 0.5 * (tb["E_lo_GeV"] + tb["E_hi_GeV"])
        de = tb["E_hi_GeV"] - tb["E_lo_GeV"]
        lo, hi = self.card["reco_window_GeV"]
        keep = (rb["E_lo_GeV"] >= lo - 1e-9) & (rb["E_hi_GeV"] <= hi + 1e-9)
        edges = np.append(rb["E_lo_GeV"][keep], rb["E_hi_GeV"][keep][-1])
        eff = csv("efficiencies_post_smearing.csv")
        xs = {"CC": csv("xsec_CC.csv"), "NC": csv("xsec_NC.csv")}
        flux = {m: csv(f"flux_{m}.csv") for m in ("FHC", "RHC")}
        self.tdr_parts: dict[tuple[str, str], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        samples = []
        for sname in SAMPLES:
            mode, sel = _SAMPLE_DEF[sname]
            norm = self._norm(self.card["tdr"], mode)
            s = Sample(sname)
            for comp, group, ini, fin, anti, xkind, smear in _channels(sel):
                kind, col = xkind.split(":")
                fcol = "nu" + ini + ("bar" if anti else "")  # flux column: nue, numubar, ...
                phi = np.interp(e_true, flux[mode]["E_GeV"], flux[mode][fcol])
                if kind == "NC":  # NC: nu_e and nu_mu beam components (no oscillation)
                    ecol = "nuebar" if anti else "nue"
                    phi_e = np.interp(e_true, flux[mode]["E_GeV"], flux[mode][ecol])
                    sig = (phi * self._xs_tab(xs["NC"], col, e_true)
                           + phi_e * self._xs_tab(xs["NC"], ecol, e_true))
                    rate = sig
                else:
                    if col.startswith("nutau"):
                        base = self._xs_tab(xs["CC"], col.replace("tau", "mu"), e_true)
                        sigma = base * tau_ratio(e_true, self.card)
                    else:
                        sigma = self._xs_tab(xs["CC"], col, e_true)
                    rate = phi * sigma
                m = np.genfromtxt(d / "smearing" / f"{smear}.csv", delimiter=",", comments="#")
                ecol_name = f"{sel}_{mode}_{comp}"
                r = eff[ecol_name][:, None] * m * (norm * rate * de)[None, :]
                self.tdr_parts[(sname, comp)] = (norm * rate * de, m, eff[ecol_name])
                s.components.append(Component(comp, group, ini, fin, anti, r[keep]))
            samples.append(s)
        return e_true, samples, edges

    @staticmethod
    def _xs_tab(tab, col: str, e: np.ndarray) -> np.ndarray:
        """sigma [1e-38 cm^2] from a GLoBES sigma/E table (linear in log10 E)."""
        y = tab[col]
        return np.interp(np.log10(e), tab["log10_E_GeV"], y, left=0.0, right=y[-1]) * e

    # -- built-in parametrisation --------------------------------------------------------------
    def _build_builtin(self):
        b = self.card["builtin"]
        g = b["grid"]
        e_edges = np.concatenate([np.arange(g["true_lo"], g["true_mid"], g["true_step_lo"]),
                                  np.arange(g["true_mid"], g["true_hi"] + 1e-9, g["true_step_hi"])])
        e_true = 0.5 * (e_edges[1:] + e_edges[:-1])
        de = np.diff(e_edges)
        edges = np.array(g["reco_edges_GeV"], float)
        reco_mid = 0.5 * (edges[1:] + edges[:-1])
        samples = []
        for sname in SAMPLES:
            mode, sel = _SAMPLE_DEF[sname]
            norm = self._norm(b, mode)
            s = Sample(sname)
            for comp, group, ini, fin, anti, xkind, _ in _channels(sel):
                kind, col = xkind.split(":")
                bar = "bar" if anti else ""
                if kind == "NC":
                    rate = (flux_param(e_true, b["flux"][mode][f"numu{bar}"])
                            + flux_param(e_true, b["flux"][mode][f"nue{bar}"])) \
                        * xsec_param(e_true, b["xsec"][f"NC{bar}"])
                else:
                    fl = b["flux"][mode][f"nu{'e' if ini == 'e' else 'mu'}{bar}"]
                    sigma = xsec_param(e_true, b["xsec"][f"CC{bar}"])
                    if fin == "tau":
                        sigma = sigma * tau_ratio(e_true, self.card)
                    rate = flux_param(e_true, fl) * sigma
                eff = (efficiency_param(reco_mid, b["efficiency"][sname][comp])
                       * b["calibration"][sname][comp])
                res = b["resolution"][sel][comp]
                smear = gaussian_response(e_true, edges, res["scale"], res["a"], res["b"],
                                          res.get("tail", 0.0))
                r = eff[:, None] * smear * (norm * rate * de)[None, :]
                s.components.append(Component(comp, group, ini, fin, anti, r))
            samples.append(s)
        return e_true, samples, edges


def flux_param(e: np.ndarray, p: dict) -> np.ndarray:
    """Flux [per m^2 GeV POT at 1 km], x = E / 1 GeV: two log-normal focusing peaks plus a
    power-law tail switched on above E_c,
    N exp(-ln^2(x/E0) / (2 s^2)) + N2 exp(-ln^2(x/E2) / (2 s2^2)) + t x^-g / (1 + (E_c/x)^c).

    The parameters are fits to the DUNE TDR flux files (dune.toml), per component and horn mode."""
    x = np.maximum(e, 1e-6)
    peak = p["N"] * np.exp(-np.log(x / p["E0"]) ** 2 / (2 * p["s"] ** 2))
    peak = peak + p["N2"] * np.exp(-np.log(x / p["E2"]) ** 2 / (2 * p["s2"] ** 2))
    return peak + p["t"] * x ** (-p["g"]) / (1 + (p["Ec"] / x) ** p["c"])


def xsec_param(e: np.ndarray, p: dict) -> np.ndarray:
    """sigma [1e-38 cm^2 per nucleon]
    = E [s_inf + A exp(-(ln(E/E0))^2 / (2 w^2))] (1 - exp(-E/E1))."""
    x = np.maximum(e, 1e-6)
    shape = p["s_inf"] + p["A"] * np.exp(-np.log(x / p["E0"]) ** 2 / (2 * p["w"] ** 2))
    return x * shape * (1.0 - np.exp(-x / p["E1"]))


def efficiency_param(e_reco: np.ndarray, coef: list[float]) -> np.ndarray:
    """Selection efficiency at reconstructed energy E [GeV]: a cubic in L = ln(E / 1 GeV),
    c0 + c1 L + c2 L^2 + c3 L^3, clipped to [0, 1]; the coefficients are least-squares fits to
    the TDR post-smearing efficiencies (dune.toml, fit_builtin.py)."""
    lg = np.log(np.maximum(e_reco, 1e-6))
    return np.clip(np.polyval(list(coef)[::-1], lg), 0.0, 1.0)


def gaussian_response(e_true: np.ndarray, edges: np.ndarray, scale: float, a: float,
                      b: float, tail: float = 0.0) -> np.ndarray:
    """R[reco, true]: probability that E_true is reconstructed in each bin. A Gaussian core with
    mean scale x E and sigma = a E + b sqrt(E), weight 1 - tail, plus a feed-down tail flat in
    E_reco on [0, E / 2] (events that lose much of their hadronic energy), weight tail."""
    mu = scale * e_true
    sd = a * e_true + b * np.sqrt(e_true)
    z = (edges[:, None] - mu[None, :]) / (np.sqrt(2.0) * sd[None, :])
    core = np.diff(0.5 * (1 + erf(z)), axis=0)
    u = np.clip(edges[:, None] / (0.5 * e_true[None, :]), 0.0, 1.0)
    flat = np.diff(u, axis=0)
    return (1.0 - tail) * core + tail * flat
