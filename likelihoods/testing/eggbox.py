"""The 2-D eggbox of Feroz et al. (arXiv:0809.3437): log L = (2 + cos(x/2) cos(y/2))^5 on
[0, 10 pi]^2; with uniform priors there log Z = 235.88 (their table 1)."""

from __future__ import annotations

import jax.numpy as jnp

from globalfit.likelihood import Likelihood


class EggboxLikelihood(Likelihood):
    """Multimodal test likelihood with a known evidence."""

    name = "eggbox"
    citation = "Feroz, Hobson, Bridges, arXiv:0809.3437"
    validity = "two named parameters on [0, 10 pi]"
    options = {"parameters": ["eps_ee_u", "eps_mumu_u"]}

    def check_model(self, model, ranges):
        self.require_parameters(model, list(self.config['parameters']), "parameters")

    def loglike(self, point):
        x, y = (point.params[n] for n in self.config["parameters"])
        return (2.0 + jnp.cos(x / 2.0) * jnp.cos(y / 2.0)) ** 5
