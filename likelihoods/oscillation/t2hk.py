"""T2HK Asimov projection from the Hyper-K design numbers (arXiv:1805.04163), physics.md section 2.

No public configuration files exist. Parametrised off-axis flux (peak 0.6 GeV), CCQE-like cross
sections on water, flat efficiencies and a Gaussian CCQE energy resolution (t2hk.toml). The
overall flux x cross-section x efficiency scale of each horn mode is fixed so that the NuFIT 6.0
truth gives the published expected appearance signal (about 2000 nu_e, 800 nubar_e; the nu_mu
disappearance count then follows). Samples: ``nue_app``, ``nuebar_app`` (1-ring e-like) and
``numu_dis``, ``numubar_dis`` (1-ring mu-like), each with signal (5%) and background (10%)
normalisations. Options as for ``dune``: ``exposure`` (POT in units of the design 2.7e22),
``tanks`` (1 or 2), ``mass_ordering``, ``truth``, ``nuisances``, ``Yn``, ``density_uncertainty``.
"""

from __future__ import annotations

import numpy as np

from globalfit.errors import GlobalfitError
from likelihoods.oscillation.dune import flux_param, gaussian_response
from likelihoods.oscillation.engine import probabilities
from likelihoods.oscillation.experiment import Component, OscillationExperiment, Sample

_MODE = {"nue_app": ("nu_mode", "app"), "nuebar_app": ("nubar_mode", "app"),
         "numu_dis": ("nu_mode", "dis"), "numubar_dis": ("nubar_mode", "dis")}


def xsec_t2hk(e: np.ndarray, p: dict) -> np.ndarray:
    """sigma [1e-38 cm^2]: sigma_max (1 - exp(-((E - E_th)/E_s)^2)) above E_th (t2hk.toml)."""
    x = np.clip(e - p["E_th"], 0.0, None)
    return p["sigma_max"] * (1.0 - np.exp(-((x / p["E_s"]) ** 2)))


class T2HK(OscillationExperiment):
    """Hyper-Kamiokande with the J-PARC beam, Asimov projection with NSI (module docstring)."""

    name = "t2hk"
    projection = True
    citation = ("Hyper-K Design Report arXiv:1805.04163; arXiv:2505.15019; "
                "NuFIT 6.0 arXiv:2410.05380")
    validity = "E 0.1-3 GeV; constant density 2.7 g/cm^3 along 295 km"
    card_file = "t2hk.toml"
    options = {**OscillationExperiment.base_options, "exposure": 1.0, "tanks": 1}

    def setup(self) -> None:
        c = self.card
        self.baseline_km = c["baseline_km"]
        self.density = c["density_gcm3"]
        self.systematics = dict(c["systematics"])
        if self.config["tanks"] not in (1, 2) or self.config["exposure"] <= 0:
            raise GlobalfitError("T2HK needs tanks = 1 or 2 and exposure > 0.")
        super().setup()

    def build(self):
        c = self.card
        g = c["grid"]
        e_edges = np.arange(g["true_lo"], g["true_hi"] + 1e-9, g["true_step"])
        e_true = 0.5 * (e_edges[1:] + e_edges[:-1])
        de = np.diff(e_edges)
        edges = np.array(g["reco_edges_GeV"], float)
        res = c["resolution"]
        sm_cc = gaussian_response(e_true, edges, res["scale"], res["a"], res["b"])
        sm_nc = gaussian_response(e_true, edges, res["nc_scale"], res["nc_a"], 0.0)
        eff = c["efficiency"]
        scale_exp = float(self.config["exposure"]) * float(self.config["tanks"])
        osc = self.truth_osc
        eps = self.truth_eps
        samples = []
        for sname, (mode, sel) in _MODE.items():
            fl = c["flux"][mode]

            def rate(flav, kind, e=e_true, fl=fl):
                bar = "bar" if flav.endswith("bar") else ""
                return flux_param(e, fl[flav]) * xsec_t2hk(e, c["xsec"][kind + bar]) * de

            s = Sample(sname)
            if sel == "app":
                comps = [("nue_sig", "sig", "mu", "e", False, rate("numu", "CC"), sm_cc,
                          eff["app_sig"]),
                         ("nuebar_sig", "sig", "mu", "e", True, rate("numubar", "CC"), sm_cc,
                          eff["app_sig"]),
                         ("nue_beam", "bkg", "e", "e", False, rate("nue", "CC"), sm_cc,
                          eff["app_nue_bkg"]),
                         ("nuebar_beam", "bkg", "e", "e", True, rate("nuebar", "CC"), sm_cc,
                          eff["app_nue_bkg"]),
                         ("numu_misid", "bkg", "mu", "mu", False, rate("numu", "CC"), sm_cc,
                          eff["app_numu_bkg"]),
                         ("numubar_misid", "bkg", "mu", "mu", True, rate("numubar", "CC"),
                          sm_cc, eff["app_numu_bkg"]),
                         ("NC", "bkg", "mu", None, False, rate("numu", "NC"), sm_nc,
                          eff["app_nc_bkg"]),
                         ("aNC", "bkg", "mu", None, True, rate("numubar", "NC"), sm_nc,
                          eff["app_nc_bkg"])]
            else:
                comps = [("numu_sig", "sig", "mu", "mu", False, rate("numu", "CC"), sm_cc,
                          eff["dis_sig"]),
                         ("numubar_sig", "sig", "mu", "mu", True, rate("numubar", "CC"), sm_cc,
                          eff["dis_sig"]),
                         ("NC", "bkg", "mu", None, False, rate("numu", "NC"), sm_nc,
                          eff["dis_nc_bkg"]),
                         ("aNC", "bkg", "mu", None, True, rate("numubar", "NC"), sm_nc,
                          eff["dis_nc_bkg"])]
            for name, grp, ini, fin, anti, r, sm, ef in comps:
                s.components.append(Component(name, grp, ini, fin, anti, ef * sm * r[None, :]))
            samples.append(s)
        # normalise each mode to the published appearance signal at the truth point
        flav = {"e": 0, "mu": 1, "tau": 2}
        pr = {a: np.asarray(probabilities(e_true, self.baseline_km, self.density, osc=osc,
                                          eps=eps, antineutrino=a)) for a in (False, True)}
        target = c["normalisation"]
        for mode, app in (("nu_mode", "nue_app"), ("nubar_mode", "nuebar_app")):
            n = sum(float(np.sum(x.response @ pr[x.anti][:, flav["mu"], flav["e"]]))
                    for x in samples[list(_MODE).index(app)].components if x.group == "sig")
            k = target[app] / n * scale_exp
            for s in samples:
                if _MODE[s.name][0] == mode:
                    for x in s.components:
                        x.response = x.response * k
        return e_true, samples, edges
