"""lhc_four_lepton, CMS Z -> 4 mu channel (arXiv:1808.03684): the built-in curve against the
release (the figure's own ROOT-file points), and the recast of the L_mu - L_tau limit to other
charges at a few masses against hand-derived branching ratios."""

import math

import jax.numpy as jnp
import numpy as np
import pytest
from scipy.optimize import brentq

import globalfit
from globalfit.constants import pdg_mass
from globalfit.data import locate
from likelihoods.lhc.four_lepton import FourLepton
from likelihoods.limit_curves import read_csv

LMU_LTAU = {"mu": 1.0, "tau": -1.0}
LMU_LE = {"e": 1.0, "mu": -1.0}  # anomaly free: Q_e + Q_mu = 0
needs_cms = pytest.mark.skipif(locate("lhc/cms_z4mu_2018") is None,
                               reason="release lhc/cms_z4mu_2018 not found (GLOBALFIT_DATA_DIR)")


def fit(m, charges, **opts):
    opts = {"searches": ["cms_z4mu"], **opts}
    return globalfit.Fit(model="zprime", model_options={"charges": charges},
                         likelihoods=["lhc_four_lepton"],
                         likelihood_options={"lhc_four_lepton": opts},
                         priors={"g_prime": {"prior": "loguniform", "min": 1e-6, "max": 1.0},
                                 "m_zprime": m})


def g95(f):
    return 10 ** brentq(lambda lg: -2 * float(f.loglike(jnp.array([10**lg]))) - 3.84, -6, 0.5)


def curve(m, lik=None):
    """The CMS observed g'_95 at m [GeV] as the likelihood interpolates it."""
    ms, loglim, _, _ = (lik or FourLepton()).tables["cms_z4mu"]
    return float(np.exp(np.interp(m, ms, loglim)))


def f_vec(m_f, m):
    """Phase space of Gamma(Z' -> f fbar): (1 + 2x) sqrt(1 - 4x), x = m_f^2/M^2 (0 if closed)."""
    x = (m_f / m) ** 2
    return (1 + 2 * x) * math.sqrt(1 - 4 * x) if 4 * x < 1 else 0.0


def test_default_uses_all_three_searches_with_the_builtin_z4mu_curve():
    lik = FourLepton()
    assert set(lik.tables) == {"lhcb", "cms_scouting", "cms_z4mu"}
    # the abstract: "excludes a Z' coupling strength to muons above 0.004-0.3" over 5-70 GeV
    ms, loglim, lo, hi = lik.tables["cms_z4mu"]
    assert (lo, hi) == (5.0, 70.0)
    assert 0.003 < math.exp(loglim.min()) < 0.0045 and 0.25 < math.exp(loglim.max()) < 0.35


@pytest.mark.parametrize("m", [5.0, 20.0, 60.0])
def test_lmu_ltau_bound_is_the_published_curve_times_the_br_correction(m):
    # CMS assumed B(Z' -> mu mu) = 1/3 (figure label); the L_mu - L_tau BR with lepton masses is
    # f_mu / (f_mu + 1/2 + 1/2 + f_tau), f = (1 + 2x) sqrt(1 - 4x): 0.347 at 5 GeV, so the bound is
    # the curve x sqrt((1/3) / BR). At 60 GeV BR = 0.3334. Tolerance 1e-6: root finder.
    f_mu, f_tau = f_vec(pdg_mass("mu-"), m), f_vec(pdg_mass("tau-"), m)
    br = f_mu / (f_mu + 1 + f_tau)
    assert g95(fit(m, LMU_LTAU)) == pytest.approx(curve(m) * math.sqrt((1 / 3) / br), rel=1e-6)
    if m == 5.0:
        assert br == pytest.approx(0.3471, abs=1e-4)


def test_set_a_bound_by_hand_at_60_gev():
    # Set A: Q_mu = Q_nu_mu = -3, Q_q = 1/3, no e, tau. The rate scales as (g' Q_mu)^2 BR(mu mu), so
    # g'_95(A) = g'_95(CMS) / 3 * sqrt((1/3) / BR_A). Massless widths at 60 GeV (N_c Q^2 per Dirac
    # fermion, Q^2/2 per left-handed neutrino), t closed: BR_A = 9 / (9 + 9/2 + 5 x 3 x 1/9)
    # = 9 / (27/2 + 5/3). Mass corrections at 60 GeV < 4e-4 (b: m_B = 5.28 GeV): rel 1e-3.
    br_a = 9 / (27 / 2 + 5 / 3)
    assert g95(fit(60.0, "A")) == pytest.approx(curve(60.0) / 3 * math.sqrt((1 / 3) / br_a),
                                                rel=1e-3)


def test_set_b_bound_by_hand_at_30_gev():
    # Set B: Q_mu = Q_tau = -3/2, Q_q = 1/3. Widths in units g'^2 M/(12 pi) at 30 GeV:
    # mu 2.25 f_mu, tau 2.25 f_tau, nu_mu + nu_tau 2 x 2.25/2, quarks (u d s c b) f_q/3 each
    # (kinematic masses 3 m_pi/2, m_K, m_D, m_B). g'_95(B) = g'_95(CMS)/1.5 sqrt((1/3)/BR_B).
    m = 30.0
    fq = [f_vec(1.5 * pdg_mass("pi+"), m)] * 2 + [f_vec(pdg_mass(p), m)
                                                  for p in ("K+", "D0", "B+")]
    mu, tau = 2.25 * f_vec(pdg_mass("mu-"), m), 2.25 * f_vec(pdg_mass("tau-"), m)
    br_b = mu / (mu + tau + 2.25 + sum(fq) / 3)
    assert br_b == pytest.approx(0.2674, abs=1e-4)  # the hand number, typed
    assert g95(fit(m, "B")) == pytest.approx(curve(m) / 1.5 * math.sqrt((1 / 3) / br_b),
                                             rel=1e-6)


def test_explicit_lmu_minus_le_charges_at_30_gev():
    # L_mu - L_e (Q_e = 1, Q_mu = -1): BR(mu mu) = 1/(1 + 1 + 1/2 + 1/2) = 1/3 (massless; the
    # muon mass changes it by 1e-5 at 30 GeV), so the bound is the CMS curve itself. Z -> e e Z'
    # gives no 4 mu final state and is not counted.
    assert g95(fit(30.0, LMU_LE)) == pytest.approx(curve(30.0), rel=1e-4)


def test_set_a_over_set_b_is_the_charge_and_br_ratio_off_the_nodes():
    # The interpolated curve cancels in the ratio: (1.5/3) sqrt(BR_B/BR_A) at 33.3 GeV.
    br = {s: float(globalfit.get_model("zprime", charges=s).branching_ratios(1.0, 33.3)["mumu"])
          for s in "AB"}
    r = g95(fit(33.3, "A")) / g95(fit(33.3, "B"))
    assert r == pytest.approx(0.5 * math.sqrt(br["B"] / br["A"]), rel=1e-6)


def test_no_muon_charge_no_z4mu_constraint():
    # Set C (Q_mu = 0): no Z -> mu mu Z' radiation at this order, the channel contributes nothing.
    f = fit(30.0, "C")
    assert float(f.loglike(jnp.array([0.5]))) == 0.0


def test_user_table_replaces_the_curve():
    # e.g. the expected limit: for L_mu - L_e at a node the bound is the table value (rel 1e-6)
    table = {"mass_GeV": [5.0, 40.0, 70.0], "g_prime": [0.01, 0.02, 0.2]}
    assert g95(fit(40.0, LMU_LE, z4mu_table=table)) == pytest.approx(0.02, rel=1e-4)


def test_refusals():
    for bad in ({"mass_GeV": [5.0, 70.0]}, {"mass_GeV": [70.0, 5.0], "g_prime": [0.1, 0.01]},
                {"mass_GeV": [5.0, 70.0], "g_prime": [0.01, -1.0]}, [1.0, 2.0]):
        with pytest.raises(globalfit.GlobalfitError, match="z4mu_table"):
            FourLepton(z4mu_table=bad)
    with pytest.raises(globalfit.GlobalfitError, match="names no search"):
        FourLepton(searches=[])
    with pytest.raises(globalfit.GlobalfitError, match="applies for"):  # 5-70 GeV alone
        globalfit.Fit(model="zprime", likelihoods=["lhc_four_lepton"],
                      likelihood_options={"lhc_four_lepton": {"searches": ["cms_z4mu"]}},
                      priors={"g_prime": 0.1,
                              "m_zprime": {"prior": "uniform", "min": 2.0, "max": 20.0}})


def test_jit_vmap_grad_finite_with_z4mu():
    f = globalfit.Fit(model="zprime", likelihoods=["lhc_four_lepton"],
                      priors={"g_prime": {"prior": "loguniform", "min": 1e-6, "max": 1.0},
                              "m_zprime": {"prior": "uniform", "min": 5.0, "max": 70.0}})
    pts = jnp.array([[1e-3, 6.0], [1e-2, 30.0], [0.3, 69.0]])
    v = f.loglike(pts)
    assert v.shape == (3,) and bool(jnp.all(jnp.isfinite(v)))
    _, grad = f.logpost_and_grad(pts[1])
    assert bool(jnp.all(jnp.isfinite(grad)))
    assert float(f.loglike(jnp.array([0.0, 30.0]))) == 0.0


@pytest.mark.data
@needs_cms
def test_builtin_curve_is_a_subset_of_the_release_within_1_percent():
    # Every built-in point is a release point (6 significant digits), and between them the
    # built-in curve stays within 0.8% (the generator's tolerance; the issue asks 1%) of every
    # one of the 531 release points and of the midpoints between them.
    a = read_csv(locate("lhc/cms_z4mu_2018") / "cms_exo18008_Lmu-Ltau_gprime_95CL_limit.csv")
    m, g = a[:, 0], a[:, 1]
    lik = FourLepton()
    mb, loglim, _, _ = lik.tables["cms_z4mu"]
    idx = np.searchsorted(m, mb - 1e-4)
    assert np.allclose(m[idx], mb, rtol=1e-5) and np.allclose(g[idx], np.exp(loglim), rtol=1e-5)
    x = np.sort(np.concatenate([m, 0.5 * (m[1:] + m[:-1])]))
    rel = np.exp(np.interp(x, mb, loglim) - np.interp(x, m, np.log(g))) - 1
    assert np.max(np.abs(rel)) < 0.008


@pytest.mark.data
@needs_cms
@pytest.mark.parametrize("m", [6.13, 25.0, 52.7])
def test_release_and_builtin_bounds_agree(m):
    # The profile bound with limits = "release" (all 531 points) and the built-in default agree
    # within 1% (set A).
    assert g95(fit(m, "A")) == pytest.approx(g95(fit(m, "A", limits="release")), rel=0.01)
