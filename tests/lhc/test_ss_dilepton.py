"""LHC same-sign dileptons from a leptonic scalar against the seed's table (arXiv:1910.01132)."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import globalfit
from globalfit import GlobalfitError
from globalfit.models import get_model
from globalfit.models.base import Point
from likelihoods.decays.validate import lhc_reach, lhc_significance
from likelihoods.lhc.ss_dilepton import SameSignDilepton

MODEL = get_model("scalar")
SIG = {0.0: {"ee": 3.87, "emu": 6.73, "mumu": 5.53, "total": 9.53},
       0.1: {"ee": 3.24, "emu": 4.21, "mumu": 4.00, "total": 4.83}}
REACH = {(300.0, 0.0): {"ee": 1.35, "emu": 0.95, "mumu": 1.07},
         (300.0, 0.1): {"ee": 1.38, "emu": 1.00, "mumu": 1.13},
         (3000.0, 0.0): {"ee": 0.68, "emu": 0.51, "mumu": 0.57},
         (3000.0, 0.1): {"ee": 0.76, "emu": 0.68, "mumu": 0.70}}


def point(**lam):
    p = MODEL.defaults()
    p.update(lam)
    return Point(MODEL, p, {})


@pytest.mark.parametrize("sigma_b", [0.0, 0.1])
@pytest.mark.parametrize("channel", ["ee", "emu", "mumu", "total"])
def test_seed_significances(channel, sigma_b):
    # seed table (arXiv:1910.01132 Table 2), 3000/fb, lambda = 1; the counts are rounded: +-0.03
    assert lhc_significance(channel, sigma_b) == pytest.approx(SIG[sigma_b][channel], abs=0.03)


@pytest.mark.parametrize("lum,sigma_b", list(REACH))
@pytest.mark.parametrize("channel", ["ee", "emu", "mumu"])
def test_seed_reaches(channel, lum, sigma_b):
    # |lambda| at Z = 2 (seed's reach table), root of -2 ln L = 4 on the likelihood: +-0.03
    assert lhc_reach(channel, sigma_b, lum) == pytest.approx(REACH[(lum, sigma_b)][channel],
                                                             abs=0.03)


def test_signal_scales_with_coupling_squared_and_luminosity():
    lik = SameSignDilepton()
    s1 = np.asarray(lik.signal(point(lambda_ee=1.0, lambda_emu=1.0, lambda_mumu=1.0)))
    np.testing.assert_allclose(s1, [40.0, 129.0, 84.0])
    s = np.asarray(lik.signal(point(lambda_ee=-0.3, lambda_emu=0.5, lambda_mumu=2.0)))
    np.testing.assert_allclose(s, [40 * 0.09, 129 * 0.25, 84 * 4.0])
    lhc = SameSignDilepton(luminosity_fb=300.0)
    np.testing.assert_allclose(np.asarray(lhc.signal(point(lambda_ee=1.0)))[0], 4.0)
    exp = lhc.expected(point())
    np.testing.assert_allclose(sum(np.asarray(v) for k, v in exp.items() if k != "signal"),
                               [6.8, 24.0, 14.5])


def test_uncorrelated_channels_add():
    # correlation = 0: chi2 of all channels with one coupling = that channel alone (Z^2 formula)
    s, b = 40 * 0.25, 68.0
    lik = SameSignDilepton(sigma_b=0.1)
    assert float(lik.chi2(point(lambda_ee=0.5))) == pytest.approx(
        s**2 / (s + b + (0.1 * b) ** 2), rel=1e-12)


def test_refuses_heavy_phi_and_bad_options():
    prior = {"lambda_ee": {"prior": "loguniform", "min": 1e-3, "max": 1.0}}
    globalfit.Fit(model="scalar", likelihoods=["lhc_ss_dilepton"], priors=prior | {"m_phi": 0.1})
    with pytest.raises(GlobalfitError, match="light phi"):
        globalfit.Fit(model="scalar", likelihoods=["lhc_ss_dilepton"],
                      priors=prior | {"m_phi": {"prior": "uniform", "min": 0.01, "max": 50.0}})
    with pytest.raises(GlobalfitError, match="light phi"):
        globalfit.Fit(model="scalar", likelihoods=["lhc_ss_dilepton"],
                      priors=prior | {"m_phi": 5.0})
    with pytest.raises(GlobalfitError, match="Unknown channel"):
        SameSignDilepton(channels=["tautau"])
    with pytest.raises(GlobalfitError):
        SameSignDilepton(luminosity_fb=-1.0)
    with pytest.raises(GlobalfitError, match="Unknown option"):
        SameSignDilepton(lumi=300.0)


def test_jit_vmap_grad():
    lik = SameSignDilepton(sigma_b=0.1, correlation=1.0)

    def f(x):
        return lik.loglike(point(lambda_ee=x[0], lambda_emu=x[1], lambda_mumu=x[2]))

    x = jnp.array([0.3, 0.2, 0.5])
    g = jax.jit(jax.grad(f))(x)
    # finite; with a common background systematic the fitted normalisation can make one
    # channel's residual negative, so the sign of each component is not fixed
    assert np.all(np.isfinite(g))
    lik0 = SameSignDilepton(sigma_b=0.1)  # independent channels: every coupling lowers L

    def f0(x):
        return lik0.loglike(point(lambda_ee=x[0], lambda_emu=x[1], lambda_mumu=x[2]))

    assert np.all(np.asarray(jax.grad(f0)(x)) < 0)
    v = jax.vmap(f)(jnp.ones((5, 3)) * jnp.linspace(0, 1, 5)[:, None])
    assert v.shape == (5,) and float(v[0]) == 0.0
    assert -2 * float(v[-1]) == pytest.approx(4.83**2, abs=0.3)  # total, common syst
    assert math.isfinite(float(jax.jit(f)(x)))
