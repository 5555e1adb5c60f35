"""Correlated multivariate Gaussian in named model parameters (analytic evidence and moments)."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from globalfit.errors import GlobalfitError
from globalfit.likelihood import Likelihood


class GaussianLikelihood(Likelihood):
    """log L = -1/2 (x - mean)^T C^-1 (x - mean) - 1/2 log det(2 pi C), x = the named parameters."""

    name = "gaussian"
    citation = "analytic test likelihood"
    validity = "any model; reads the parameters named in 'parameters'"
    options = {"parameters": ["eps_ee_u"], "mean": [0.0], "cov": [[1.0]]}
    parallel_points = True   # a quadratic form with a precision matrix formed at set-up

    def setup(self) -> None:
        self.names = list(self.config["parameters"])
        n = len(self.names)
        try:
            self.mean = np.asarray(self.config["mean"], float)
            self.cov = np.atleast_2d(np.asarray(self.config["cov"], float))
        except ValueError:
            raise GlobalfitError(f"Likelihood 'gaussian': mean needs {n} numbers and cov {n} "
                                 f"rows of {n} numbers.") from None
        if self.mean.shape != (n,) or self.cov.shape != (n, n):
            raise GlobalfitError(
                f"Likelihood 'gaussian': mean needs {n} values and cov {n}x{n} for parameters "
                f"{self.names}.")
        try:
            chol = np.linalg.cholesky(self.cov)
        except np.linalg.LinAlgError:
            raise GlobalfitError("Likelihood 'gaussian': cov is not positive definite.") from None
        self.prec = jnp.asarray(np.linalg.inv(self.cov))
        self.norm = -0.5 * n * np.log(2 * np.pi) - np.sum(np.log(np.diag(chol)))

    def check_model(self, model, ranges):
        self.require_parameters(model, self.names, "parameters")

    def loglike(self, point):
        x = jnp.stack([point.params[n] for n in self.names]) - self.mean
        return self.norm - 0.5 * x @ self.prec @ x


class SecondGaussian(GaussianLikelihood):
    """An independent second Gaussian data set (combination, reweighting and tension checks)."""

    name = "gaussian_b"
