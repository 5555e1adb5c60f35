"""lhc_four_lepton, CMS Z -> 4 mu channel (arXiv:1808.03684): recast of the L_mu - L_tau limit.

The published g'_95 curve is not available offline (see four_lepton.toml), so these tests pass a
synthetic table through the ``z4mu_table`` option: TEST_TABLE is a made-up power law used only to
exercise the recast, NOT the CMS result. The physics checked is the charge scaling, which does not
depend on the table values.
"""

import math

import jax.numpy as jnp
import pytest
from scipy.optimize import brentq

import globalfit
from likelihoods.lhc.four_lepton import FourLepton

LMU_LTAU = {"mu": 1.0, "tau": -1.0}
_M = [5.0, 10.0, 20.0, 40.0, 60.0, 70.0]
TEST_TABLE = {"mass_GeV": _M, "g_prime": [2e-3 * (m / 5.0) ** 1.5 for m in _M]}  # synthetic


def fit(m, charges, **opts):
    opts = {"searches": ["cms_z4mu"], "z4mu_table": TEST_TABLE, **opts}
    return globalfit.Fit(model="zprime", model_options={"charges": charges},
                         likelihoods=["lhc_four_lepton"],
                         likelihood_options={"lhc_four_lepton": opts},
                         priors={"g_prime": {"prior": "loguniform", "min": 1e-6, "max": 1.0},
                                 "m_zprime": m})


def g95(f):
    return 10 ** brentq(lambda lg: -2 * float(f.loglike(jnp.array([10**lg]))) - 3.84, -6, 0.5)


@pytest.mark.parametrize("i", range(len(_M)))
def test_lmu_ltau_bound_is_the_table_at_its_masses(i):
    # For the reference charges (Q_mu = -Q_tau = 1, quarks 0) g_eff = g', so Delta chi2 = 3.84
    # exactly at the tabulated g'_95 (interpolation in log g' is exact at the nodes); rel 1e-6 is
    # the root finder's precision.
    m, g_ref = _M[i], TEST_TABLE["g_prime"][i]
    assert g95(fit(m, LMU_LTAU)) == pytest.approx(g_ref, rel=1e-6)


def test_set_a_bound_by_hand_at_60_gev():
    # Set A: Q_mu = Q_nu_mu = -3, Q_q = 1/3, no e, tau. The rate scales as (g' Q_mu)^2 BR(mu mu), so
    # g'_95(A) = g'_95(ref) / 3 * sqrt(BR_ref / BR_A). Massless widths at 60 GeV (M/(12 pi) per
    # Dirac unit charge x N_c, M/(24 pi) per left-handed neutrino), t closed:
    #   BR_ref = 1 / (1 + 1 + 1/2 + 1/2) = 1/3,
    #   BR_A = 9 / (9 + 9/2 + 5 quarks x 3 colours x 1/9) = 9 / (27/2 + 5/3).
    # Mass corrections (1 + 2x) sqrt(1 - 4x) at 60 GeV are < 4e-4 (b: m_B = 5.28 GeV): rel 1e-3.
    br_ref = 1 / 3
    br_a = 9 / (27 / 2 + 5 / 3)
    g_ref = TEST_TABLE["g_prime"][_M.index(60.0)]
    hand = g_ref / 3 * math.sqrt(br_ref / br_a)
    assert g95(fit(60.0, "A")) == pytest.approx(hand, rel=1e-3)


def test_set_a_over_reference_between_nodes_is_the_same_scaling():
    # Off the nodes the interpolated limit is common to both charge sets: the ratio of the bounds
    # is still (1/3) sqrt(BR_ref/BR_A); at 33 GeV the massless BRs hold to 2e-3 (b: x = 0.026).
    r = g95(fit(33.0, "A")) / g95(fit(33.0, LMU_LTAU))
    assert r == pytest.approx(math.sqrt((1 / 3) / (9 / (27 / 2 + 5 / 3))) / 3, rel=2e-3)


def test_no_muon_charge_no_z4mu_constraint():
    # Set C (Q_mu = 0): no Z -> mu mu Z' radiation at this order, the channel contributes nothing.
    f = fit(30.0, "C")
    assert float(f.loglike(jnp.array([0.5]))) == 0.0


def test_default_searches_follow_the_card():
    # Without a table the channel is off by default; with the option it is on.
    lik = FourLepton()
    assert ("cms_z4mu" in lik.tables) == ("mass_GeV" in lik.card["cms_z4mu"])
    assert "cms_z4mu" in FourLepton(z4mu_table=TEST_TABLE).tables


def test_refusals():
    if "mass_GeV" not in FourLepton().card["cms_z4mu"]:
        with pytest.raises(globalfit.GlobalfitError, match="1808.03684"):
            FourLepton(searches=["cms_z4mu"])
    for bad in ({"mass_GeV": [5.0, 70.0]}, {"mass_GeV": [70.0, 5.0], "g_prime": [0.1, 0.01]},
                {"mass_GeV": [5.0, 70.0], "g_prime": [0.01, -1.0]}, [1.0, 2.0]):
        with pytest.raises(globalfit.GlobalfitError, match="z4mu_table"):
            FourLepton(z4mu_table=bad)
    # mass window 5-70 GeV when it is the only search
    with pytest.raises(globalfit.GlobalfitError, match="applies for"):
        globalfit.Fit(model="zprime", likelihoods=["lhc_four_lepton"],
                      likelihood_options={"lhc_four_lepton": {"searches": ["cms_z4mu"],
                                                              "z4mu_table": TEST_TABLE}},
                      priors={"g_prime": 0.1,
                              "m_zprime": {"prior": "uniform", "min": 2.0, "max": 20.0}})


def test_jit_vmap_grad_finite_with_z4mu():
    f = globalfit.Fit(model="zprime", likelihoods=["lhc_four_lepton"],
                      likelihood_options={"lhc_four_lepton": {"z4mu_table": TEST_TABLE}},
                      priors={"g_prime": {"prior": "loguniform", "min": 1e-6, "max": 1.0},
                              "m_zprime": {"prior": "uniform", "min": 5.0, "max": 70.0}})
    pts = jnp.array([[1e-3, 6.0], [1e-2, 30.0], [0.3, 69.0]])
    v = f.loglike(pts)
    assert v.shape == (3,) and bool(jnp.all(jnp.isfinite(v)))
    _, grad = f.logpost_and_grad(pts[1])
    assert bool(jnp.all(jnp.isfinite(grad)))
    assert float(f.loglike(jnp.array([0.0, 30.0]))) == 0.0
