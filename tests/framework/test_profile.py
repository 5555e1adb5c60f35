"""Profile-likelihood bounds against closed forms (globalfit.profile)."""

from __future__ import annotations

import math

import pytest

import globalfit
from globalfit.profile import profile_chi2, profile_upper_limit


def _options(sx: float, sy: float, rho: float) -> dict:
    cov = [[sx**2, rho * sx * sy], [rho * sx * sy, sy**2]]
    return {"gaussian": {"parameters": ["eps_ee_u", "eps_mumu_u"], "mean": [0.1, 0.0],
                         "cov": cov}}


def _fit(sx: float, sy: float, rho: float, ybox: float) -> globalfit.Fit:
    return globalfit.Fit(
        "nsi", ["gaussian"],
        priors={"eps_ee_u": {"prior": "uniform", "min": -1.0, "max": 1.0},
                "eps_mumu_u": {"prior": "uniform", "min": -ybox, "max": ybox}},
        likelihood_options=_options(sx, sy, rho))


@pytest.mark.parametrize("sy", [1.0, 1e-5])
def test_profiled_bound_of_a_correlated_gaussian(sy):
    """Two correlated Gaussian parameters, the second profiled: Delta chi2(x) = (x - mu)^2 /
    sigma_x^2 whatever the correlation, so the 95% bound is mu + sqrt(3.84) sigma_x = 0.29596
    (rel 1e-4, the root finder's tolerance). sy = 1e-5 checks a nuisance five orders of
    magnitude narrower than the coupling (like Delta m^2_31 next to an angle)."""
    fit = _fit(0.1, sy, 0.6, 10 * sy)
    assert profile_upper_limit(fit, "eps_ee_u") == pytest.approx(0.1 + math.sqrt(3.84) * 0.1,
                                                                 rel=1e-4)
    # the profiled curve itself: chi2 at x = mu + k sigma_x is k^2 above the minimum (1e-6)
    chi2, points = profile_chi2(fit, "eps_ee_u", [0.1, 0.2, 0.3])
    assert chi2 - chi2[0] == pytest.approx([0.0, 1.0, 4.0], abs=1e-6)
    # and the nuisance follows its conditional mean mu_y + rho sy / sx (x - mu_x)
    assert points[2, 1] == pytest.approx(0.6 * sy / 0.1 * 0.2, rel=1e-3)


def test_fixed_nuisance_gives_the_conditional_bound():
    """With the second parameter fixed at its mean the bound is the conditional one:
    mu + sqrt(3.84) sigma_x sqrt(1 - rho^2) = 0.1 + 1.9596 * 0.08 = 0.25677 (rel 1e-4)."""
    fixed = globalfit.Fit("nsi", ["gaussian"],
                          priors={"eps_ee_u": {"prior": "uniform", "min": -1.0, "max": 1.0},
                                  "eps_mumu_u": {"prior": "fixed", "value": 0.0}},
                          likelihood_options=_options(0.1, 1.0, 0.6))
    assert profile_upper_limit(fixed, "eps_ee_u") == pytest.approx(
        0.1 + math.sqrt(3.84) * 0.1 * math.sqrt(1 - 0.36), rel=1e-4)


def test_no_crossing_inside_the_prior_is_nan():
    fit = _fit(10.0, 1.0, 0.0, 10.0)  # sigma_x = 10 in a [-1, 1] box
    assert math.isnan(profile_upper_limit(fit, "eps_ee_u"))
