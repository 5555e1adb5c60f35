"""Priors: one definition, two samplers. The dynesty transform must draw from the density that
log_prob and the numpyro distribution describe."""

import math

import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

from globalfit import GlobalfitError
from priors import (
    Fixed,
    LogUniform,
    MirroredNormal,
    Normal,
    TruncNormal,
    Uniform,
    default_prior,
    prior_from_spec,
)


class _Mirrored:
    """scipy-like reference for MirroredNormal(0.3, 0.03, 0.6): 0.5 N(0.3, 0.03) + 0.5 N(0.9, 0.03)
    (islands 20 sd apart, so the island-wise quantile equals the mixture's to machine precision)."""

    a, b = stats.norm(0.3, 0.03), stats.norm(0.9, 0.03)

    def cdf(self, x):
        return 0.5 * (self.a.cdf(x) + self.b.cdf(x))

    def logpdf(self, x):
        return np.logaddexp(self.a.logpdf(x), self.b.logpdf(x)) - math.log(2.0)

    def ppf(self, u):
        u = np.asarray(u)
        return np.where(u < 0.5, self.a.ppf(2 * u), self.b.ppf(2 * u - 1))


PRIORS = [Uniform(-1.0, 3.0), LogUniform(1e-4, 1.0), Normal(0.3, 0.2),
          TruncNormal(0.0, 1.0, -0.5, 2.0), MirroredNormal(0.3, 0.03, 0.6)]
SCIPY = [stats.uniform(-1, 4), stats.loguniform(1e-4, 1.0), stats.norm(0.3, 0.2),
         stats.truncnorm(-0.5, 2.0, 0.0, 1.0), _Mirrored()]


@pytest.mark.parametrize("prior,ref", list(zip(PRIORS, SCIPY, strict=True)))
def test_transform_draws_the_density(prior, ref):
    u = np.random.default_rng(0).random(20000)
    x = np.asarray(prior.transform(jnp.asarray(u)))
    # KS test against scipy's distribution: p > 1e-3 (a correct transform fails 0.1% of seeds)
    assert stats.kstest(x, ref.cdf).pvalue > 1e-3
    # the quantile function is exact: transform(u) = ppf(u) to 1e-8
    np.testing.assert_allclose(x[:200], ref.ppf(u[:200]), rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("prior,ref", list(zip(PRIORS, SCIPY, strict=True)))
def test_log_prob_matches_scipy_and_numpyro(prior, ref):
    lo, hi = prior.support
    xs = np.linspace(max(lo, -2), min(hi, 2), 7)[1:-1]
    np.testing.assert_allclose(np.asarray(prior.log_prob(jnp.asarray(xs))), ref.logpdf(xs),
                               rtol=1e-10)
    np.testing.assert_allclose(np.asarray(prior.to_numpyro().log_prob(jnp.asarray(xs))),
                               ref.logpdf(xs), rtol=1e-6)


def test_outside_support_is_minus_inf():
    assert Uniform(0, 1).log_prob(1.5) == -math.inf
    assert LogUniform(1e-3, 1).log_prob(2.0) == -math.inf
    assert TruncNormal(0, 1, -1, 1).log_prob(-1.5) == -math.inf


@pytest.mark.parametrize("spec,msg", [
    ({"prior": "uniform", "min": 1.0, "max": 1.0}, "min < max"),
    ({"prior": "uniform", "min": 2.0, "max": 1.0}, "min < max"),
    ({"prior": "loguniform", "min": 0.0, "max": 1.0}, "min > 0"),
    ({"prior": "normal", "mean": 0.0, "sd": -1.0}, "sd > 0"),
    ({"prior": "unifrom", "min": 0, "max": 1}, "uniform"),
    ({"prior": "uniform", "min": 0}, "needs max"),
    ({"prior": "uniform", "min": 0, "max": 1, "mx": 2}, "max"),
    ({"min": 0, "max": 1}, "prior"),
])
def test_bad_prior_specs(spec, msg):
    with pytest.raises(GlobalfitError, match=msg):
        prior_from_spec("eps_ee_u", spec)


def test_specs_numbers_and_defaults():
    assert prior_from_spec("m_zprime", 0.01) == Fixed(0.01)
    assert prior_from_spec("m_zprime", {"value": 0.01}) == Fixed(0.01)
    assert prior_from_spec("g_prime", {"prior": "default"}, "zprime") == default_prior(
        "zprime", "g_prime")
    with pytest.raises(GlobalfitError, match="prior set"):
        default_prior("zprime", "g_prime", "wide")


@pytest.mark.parametrize("prior,ref", list(zip(PRIORS, SCIPY, strict=True)))
def test_standard_form_pushes_forward_to_the_prior(prior, ref):
    # NUTS samples the unit-scale base and maps it: the result must follow the same prior
    import jax

    base, to_value = prior.standard_form()
    z = base.sample(jax.random.PRNGKey(0), (20000,))
    x = np.asarray(to_value(z))
    assert stats.kstest(x, ref.cdf).pvalue > 1e-3
