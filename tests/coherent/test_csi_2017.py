"""CsI 2017 chi-square: SM rate, profiling, the NSI degeneracy and the Z' bound (physics.md 3)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.optimize import minimize

from globalfit import Fit
from globalfit.constants import G_V_NEUTRON, G_V_PROTON
from globalfit.registry import get_likelihood
from likelihoods.coherent.base import make_point
from likelihoods.coherent.validate import g_prime_bound, zprime_chi2


def test_sm_counts(csi17):
    # published SM expectation 173 +- 48 in 6-30 PE (arXiv:1708.01294); tolerance 5%
    n = float(csi17.expected(make_point(csi17))["cevns"].sum())
    assert n == pytest.approx(173, rel=0.05)
    # the flavour split: prompt nu_mu about 1/5 of the 6-30 PE signal (sum of flavours = total)
    e = csi17.expected(make_point(csi17))
    parts = sum(float(e[f"cevns_{f}"].sum()) for f in ("numu", "nue", "numubar"))
    assert parts == pytest.approx(n, rel=1e-12)


def test_profile_equals_numerical_minimum(csi17):
    p = make_point(csi17, eps_ee_u=0.05)
    n_th = csi17.signal_energy(p).sum(0)
    a, b = csi17.profile_nuisances(n_th)
    f = lambda x: float(csi17.chi2(p, x[0], x[1]))  # noqa: E731
    res = minimize(f, [0.0, 0.0], method="Nelder-Mead", options={"xatol": 1e-8, "fatol": 1e-10})
    assert float(a) == pytest.approx(res.x[0], abs=1e-4)
    assert float(b) == pytest.approx(res.x[1], abs=1e-4)
    assert float(csi17.chi2(p)) == pytest.approx(res.fun, abs=1e-7)


def test_sampled_nuisances_match_profile():
    prof = get_likelihood("coherent_csi_2017", profile=True)
    samp = get_likelihood("coherent_csi_2017", profile=False)
    assert set(samp.nuisance_priors()) == {"alpha", "beta"} and prof.nuisance_priors() == {}
    p = make_point(prof, eps_ee_u=0.1)
    a, b = prof.profile_nuisances(prof.signal_energy(p).sum(0))
    ps = make_point(samp, eps_ee_u=0.1, nuisance={"alpha": a, "beta": b})
    # sampled loglike + the Gaussian prior penalties = profiled loglike at the profiled point
    pen = -0.5 * ((a / 0.28) ** 2 + (b / 0.25) ** 2)
    assert float(samp.loglike(ps) + pen) == pytest.approx(float(prof.loglike(p)), rel=1e-10)


def _chi2_grid(lik, u, d):
    f = jax.jit(jax.vmap(lambda uu, dd: lik.chi2(make_point(lik, eps_ee_u=uu, eps_ee_d=dd))))
    return np.asarray(f(jnp.asarray(u), jnp.asarray(d)))


def test_nsi_two_bands_along_weak_charge_lines(csi17):
    """chi2 is (nearly) constant along Z(2u+d) + N(u+2d) = const: the SM line through 0 and the
    mirror line where Q_ee -> -Q_ee^SM (Cs values; I differs by 1% in (2Z+N)/(Z+2N))."""
    Z, N = 55, 78
    qsm = Z * G_V_PROTON + N * G_V_NEUTRON
    along = np.array([Z + 2 * N, -(2 * Z + N)], float)  # keeps (2Z+N) u + (Z+2N) d fixed
    along /= np.linalg.norm(along)
    t = np.linspace(-0.3, 0.3, 7)
    mirror_c = -2 * qsm  # (2Z+N) u + (Z+2N) d = -2 Q_SM
    u0 = mirror_c / (2 * Z + N)  # on the u axis
    sm_line = _chi2_grid(csi17, t * along[0], t * along[1])
    mir_line = _chi2_grid(csi17, u0 + t * along[0], t * along[1])
    c_sm = float(csi17.chi2(make_point(csi17)))
    # flat along both lines (within 0.5 of chi2_SM, the Cs/I mismatch over |t| <= 0.3)
    assert np.ptp(sm_line) < 0.5 and np.max(np.abs(mir_line - c_sm)) < 0.5
    # mirror symmetry across the bands: Q_ee(u) = -Q_ee(u0 - u) on the u axis (d = 0)
    du = np.linspace(-0.2, 0.2, 9)
    np.testing.assert_allclose(_chi2_grid(csi17, du, 0 * du), _chi2_grid(csi17, u0 - du, 0 * du),
                               atol=0.05)
    # and steep across them, away from both lines (4 x the nu_e rate at u = -u0/2)
    assert float(csi17.chi2(make_point(csi17, eps_ee_u=-u0 / 2))) - c_sm > 3.84
    # degeneracy direction: slope du/dd = -(Z+2N)/(2Z+N) = -1.122 for Cs
    assert along[0] / along[1] == pytest.approx(-(Z + 2 * N) / (2 * Z + N))


@pytest.fixture(scope="module")
def chi2_a(csi17):
    return zprime_chi2(csi17, "A")


def test_zprime_contact_scaling(chi2_a):
    """M >> 100 MeV: the bound obeys g'/M = const over a decade of mass (1-10 GeV), to 1%
    (propagator correction 2 M_N T / M^2 < 1% at M = 1 GeV)."""
    r = [g_prime_bound(chi2_a, m) / m for m in (1.0, 3.0, 10.0)]
    assert r[0] == pytest.approx(r[2], rel=0.01) and r[1] == pytest.approx(r[2], rel=0.01)


def test_zprime_light_mediator_flattens(chi2_a):
    """M << sqrt(2 M_N T) ~ 50-90 MeV: the propagator is 1/q^2 and the bound on g' is flat
    (within 5% from 1 to 3 MeV), while g'/M would change by a factor 3."""
    g1, g3 = g_prime_bound(chi2_a, 0.001), g_prime_bound(chi2_a, 0.003)
    assert g1 == pytest.approx(g3, rel=0.05)
    g100 = g_prime_bound(chi2_a, 0.1)
    assert g100 > 1.5 * g3  # the transition to the contact regime


def test_zprime_like_sign_cancellation_band(csi17):
    """Like-sign charges (Q'_q = 1/3, Q'_mu = +3, anomalous, allowed explicitly) give eps > 0, which
    cancels the nu_mu weak charge at eps* / 2 and restores the SM rate at eps* = -2 Q_SM / (3A)
    (u = d): a second allowed band in g'."""
    fn = zprime_chi2(csi17, {"q": 1 / 3, "mu": 3.0}, allow_anomalous=True)
    m = 1.0
    from globalfit.constants import G_F, SQRT2

    A_cs, qsm = 133, 55 * G_V_PROTON + 78 * G_V_NEUTRON
    eps_star = -2 * qsm / (3 * A_cs)
    g_star = np.sqrt(eps_star * SQRT2 * G_F * m**2 / (1 / 3 * 3.0))
    g = jnp.asarray([0.0, g_star / np.sqrt(2), g_star])
    c = np.asarray(fn(g, m))
    assert c[1] - c[0] > 3.84  # inside the cancellation (no mu-flavour signal): excluded
    assert abs(c[2] - c[0]) < 2.0  # the mirror band is allowed again (Cs/I mismatch)


def test_gradients_finite_in_prior_box():
    fit = Fit(model="zprime", likelihoods=["coherent_csi_2017"],
              priors={"g_prime": {"prior": "loguniform", "min": 1e-6, "max": 1.0},
                      "m_zprime": {"prior": "loguniform", "min": 1e-3, "max": 10.0}})
    rng = np.random.default_rng(1)
    for u in rng.uniform(size=(20, 2)):
        th = fit.prior_transform(u)
        v, g = fit.logpost_and_grad(th)
        assert np.isfinite(v) and np.all(np.isfinite(np.asarray(g)))


@pytest.mark.data
def test_card_matches_release(csi17, need_release):
    """The typed numbers of csi_2017.toml equal those derived from the release arXiv:1804.09459."""
    folder = need_release("coherent/csi2017")
    C = np.loadtxt(folder / "data_coincidence_beamOn.txt", delimiter=",", comments="P")
    AC = np.loadtxt(folder / "data_anticoincidence_beamOn.txt", delimiter=",", comments="P")
    P = np.loadtxt(folder / "promptPDF.txt", delimiter=",", comments="#")
    centres = np.arange(7, 31, 2)
    c = np.array([C[C[:, 0] == x, 2].sum() for x in centres])
    ac = np.array([AC[AC[:, 0] == x, 2].sum() for x in centres])
    card = csi17.card["data"]
    np.testing.assert_array_equal(c - ac, card["observed"])
    np.testing.assert_array_equal(ac, card["steady_state"])
    from likelihoods.coherent.csi_2017 import acceptance_2017

    pn = P[:, 1] * 7.47594 * acceptance_2017(P[:, 0], **csi17.card["detector"]["acceptance"])
    b = np.array([pn[(P[:, 0] > lo) & (P[:, 0] < lo + 2)].sum() for lo in range(6, 30, 2)])
    np.testing.assert_allclose(b, card["prompt_neutrons"], atol=6e-4)


@pytest.mark.data
def test_nsi_two_separated_bands_csi_2021(csi21):
    """With the 2021 statistics the two bands separate: the chi2 along eps_ee^u (d = 0) has two
    minima, mirror images about u0/2 (u0 = -2 Q_SM / (2Z+N) for Cs), with a barrier between."""
    Z, N = 55, 78
    u0 = -2 * (Z * G_V_PROTON + N * G_V_NEUTRON) / (2 * Z + N)
    f = jax.jit(jax.vmap(lambda u: -2 * csi21.loglike(make_point(csi21, eps_ee_u=u))))
    u = np.linspace(-0.2, 0.6, 161)
    c = np.asarray(f(jnp.asarray(u)))
    left, right = u < u0 / 2, u >= u0 / 2
    i, j = np.argmin(np.where(left, c, np.inf)), np.argmin(np.where(right, c, np.inf))
    assert u[i] + u[j] == pytest.approx(u0, abs=0.02)  # mirror images
    assert abs(c[i] - c[j]) < 0.5  # equally allowed
    assert c[np.argmin(np.abs(u - u0 / 2))] - max(c[i], c[j]) > 3.0  # separated
