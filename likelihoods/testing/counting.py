"""Single-bin Poisson counting experiment: n observed, mu = b + s x (named parameter)."""

from __future__ import annotations

import jax.numpy as jnp
from jax.scipy.special import gammaln

from globalfit.likelihood import Likelihood
from priors import Normal


def poisson_loglike(n, mu):
    """log Poisson(n | mu), elementwise, safe at mu = 0 with n = 0."""
    mu = jnp.maximum(mu, 1e-300)
    return n * jnp.log(mu) - mu - gammaln(n + 1.0)


class PoissonCountingLikelihood(Likelihood):
    """mu = b (1 + beta) + s x; the background normalisation beta is a nuisance with a Gaussian
    prior of width ``sigma_b`` (fixed at 0 when ``sigma_b`` = 0). With n = b = 0 and a flat prior
    on x >= 0 the 95% upper limit on s x is -ln 0.05 = 2.996 (textbook Poisson limit)."""

    name = "poisson_counting"
    citation = "analytic test likelihood"
    validity = "any model; reads the parameter named in 'parameter'"
    options = {"parameter": "eps_ee_u", "observed": 0, "background": 0.0, "signal": 1.0,
               "sigma_b": 0.0}

    def nuisance_priors(self):
        return {"beta": Normal(0.0, self.config["sigma_b"])} if self.config["sigma_b"] > 0 else {}

    def expected(self, point):
        beta = point["beta"] if self.config["sigma_b"] > 0 else 0.0
        x = point.params[self.config["parameter"]]
        return {"signal": jnp.atleast_1d(self.config["signal"] * x),
                "background": jnp.atleast_1d(self.config["background"] * (1.0 + beta))}

    def check_model(self, model, ranges):
        self.require_parameters(model, [self.config['parameter']], "parameter")

    def loglike(self, point):
        e = self.expected(point)
        return poisson_loglike(float(self.config["observed"]), e["signal"] + e["background"])[0]
