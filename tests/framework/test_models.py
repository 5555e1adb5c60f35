"""Models: canonical parameters, capabilities, the Z' -> eps map (sign and propagator)."""

import math

import jax.numpy as jnp
import numpy as np
import pytest

from globalfit import GlobalfitError, get_model
from globalfit.constants import G_F, G_V_NEUTRON, G_V_PROTON
from globalfit.models.zprime import CHARGE_SETS, anomaly_sum, resolve_charges


def test_canonical_parameter_names():
    # physics.md section 1
    nsi = get_model("nsi")
    for ab in ("ee", "mumu", "tautau", "emu", "etau", "mutau"):
        for f in ("u", "d", "e"):
            assert f"eps_{ab}_{f}" in nsi.parameters
    assert "phi_emu_u" in nsi.parameters
    assert set(get_model("zprime").parameters) == {"g_prime", "m_zprime"}
    assert set(get_model("scalar").parameters) == {
        "lambda_ee", "lambda_emu", "lambda_etau", "lambda_mumu", "lambda_mutau",
        "lambda_tautau", "m_phi"}


def test_nsi_eps_vector_is_hermitian_with_phase():
    m = get_model("nsi")
    p = m.defaults() | {"eps_emu_u": 0.1, "phi_emu_u": 0.7, "eps_ee_d": -0.3}
    e = np.asarray(m.eps_vector(p, jnp.zeros(4)))
    assert e.shape == (4, 3, 3, 3)
    np.testing.assert_allclose(e[0, 1], e[0, 1].conj().T, atol=0)
    assert e[0, 1, 0, 1] == pytest.approx(0.1 * np.exp(0.7j), abs=1e-15)
    assert e[0, 2, 0, 0] == pytest.approx(-0.3)


def test_nsi_eps_matter_weights_isoscalar():
    # physics.md 2: eps = eps^e + (2 + Yn) eps^u + (1 + 2 Yn) eps^d; Yn = 1 gives 3u + 3d
    m = get_model("nsi")
    p = m.defaults() | {"eps_mumu_u": 0.01, "eps_mumu_d": 0.02, "eps_mumu_e": 0.05}
    e = np.asarray(m.eps_matter(p, 1.0))
    assert e[1, 1].real == pytest.approx(0.05 + 3 * 0.01 + 3 * 0.02, rel=1e-14)
    e105 = np.asarray(m.eps_matter(p, 1.05))
    assert e105[1, 1].real == pytest.approx(0.05 + 3.05 * 0.01 + 3.1 * 0.02, rel=1e-14)


@pytest.mark.parametrize("name", ["A", "B", "C"])
def test_charge_sets_are_anomaly_free(name):
    assert anomaly_sum(resolve_charges(name)) == pytest.approx(0.0, abs=1e-12)


def test_anomalous_charges_refused_unless_allowed():
    with pytest.raises(GlobalfitError, match="anomaly"):
        get_model("zprime", charges={"q": 1 / 3, "mu": 3.0})
    m = get_model("zprime", charges={"q": 1 / 3, "mu": 3.0}, allow_anomalous=True)
    assert m.charges["mu"] == 3.0


def test_zprime_eps_sign_and_value():
    # eps^{qV}_aa = + g'^2 Q'_a Q'_q / (sqrt2 G_F M^2) at q2 = 0 (physics.md 1); set A: Q_mu = -3,
    # Q_q = 1/3, so eps_mumu^u = -g'^2 / (sqrt2 G_F M^2) < 0 (opposite charges).
    m = get_model("zprime", charges="A")
    g, M = 1e-3, 0.01
    e = np.asarray(m.eps_vector({"g_prime": g, "m_zprime": M}, jnp.zeros(())))
    expected = -(g**2) / (math.sqrt(2) * G_F * M**2)
    assert e[1, 1, 1].real == pytest.approx(expected, rel=1e-12)
    assert e[2, 1, 1].real == pytest.approx(expected, rel=1e-12)  # d quark, same charge
    assert e[1, 0, 0] == 0 and e[1, 2, 2] == 0 and e[0, 1, 1] == 0  # Q_e = Q_tau = 0
    like = get_model("zprime", charges={"q": 1 / 3, "mu": 3.0}, allow_anomalous=True)
    e2 = np.asarray(like.eps_vector({"g_prime": g, "m_zprime": M}, jnp.zeros(())))
    assert e2[1, 1, 1].real == pytest.approx(-expected, rel=1e-12)  # like charges: eps > 0
    # oscillations: eps_mumu = 3 eps^u + 3 eps^d = 6 eps^q (physics.md 2)
    em = np.asarray(m.eps_matter({"g_prime": g, "m_zprime": M}))
    assert em[1, 1].real == pytest.approx(6 * expected, rel=1e-12)


def test_zprime_propagator_q2_dependence():
    # eps(q2)/eps(0) = M^2 / (M^2 + q2): the momentum-dependent propagator
    m = get_model("zprime", charges="B")
    M = 0.02
    q2 = jnp.array([0.0, M**2, 3 * M**2, 100 * M**2])
    e = np.asarray(m.eps_vector({"g_prime": 1e-4, "m_zprime": M}, q2))[:, 1, 2, 2].real
    np.testing.assert_allclose(e / e[0], [1.0, 0.5, 0.25, 1 / 101], rtol=1e-12)


def test_same_sign_charges_cancel_csi_weak_charge():
    # With eps^u = eps^d = eps the CsI weak charge Z(gp + 3 eps) + N(gn + 3 eps) vanishes at
    # eps* = -(Z gp + N gn) / (3 (Z + N)) > 0: reachable only with like-sign charges (eps > 0).
    Z, N = 55, 78  # 133Cs
    eps_star = -(Z * G_V_PROTON + N * G_V_NEUTRON) / (3 * (Z + N))
    assert eps_star > 0
    M = 0.05
    like = get_model("zprime", charges={"q": 1 / 3, "mu": 3.0}, allow_anomalous=True)
    g = math.sqrt(eps_star * math.sqrt(2) * G_F * M**2 / (3.0 * (1 / 3)))
    e = np.asarray(like.eps_vector({"g_prime": g, "m_zprime": M}, jnp.zeros(())))
    qw = Z * (G_V_PROTON + 2 * e[1, 1, 1].real + e[2, 1, 1].real) + N * (
        G_V_NEUTRON + e[1, 1, 1].real + 2 * e[2, 1, 1].real)
    assert abs(qw) < 1e-10
    # set A (opposite charges) only increases |Q_W|
    a = get_model("zprime", charges="A")
    ea = np.asarray(a.eps_vector({"g_prime": g, "m_zprime": M}, jnp.zeros(())))
    qa = Z * (G_V_PROTON + 3 * ea[1, 1, 1].real) + N * (G_V_NEUTRON + 3 * ea[1, 1, 1].real)
    assert abs(qa) > abs(Z * G_V_PROTON + N * G_V_NEUTRON)


def test_scalar_couplings_symmetric():
    m = get_model("scalar")
    p = m.defaults() | {"lambda_emu": 0.2, "lambda_tautau": 0.5}
    lam, mphi = m.scalar_couplings(p)
    lam = np.asarray(lam)
    np.testing.assert_array_equal(lam, lam.T)
    assert lam[0, 1] == 0.2 and lam[2, 2] == 0.5 and mphi == m.parameters["m_phi"].default


def test_unknown_model_and_charge_set_suggest():
    with pytest.raises(GlobalfitError, match="zprime"):
        get_model("zprim")
    with pytest.raises(GlobalfitError, match="Unknown Z' charge set"):
        get_model("zprime", charges="D")
    with pytest.raises(GlobalfitError, match="charges"):
        get_model("zprime", charge="A")


def test_charge_set_table_matches_seed():
    # arXiv:1910.03272 (seed talk): A, B, C
    assert CHARGE_SETS["A"] == {"q": 1 / 3, "e": 0.0, "mu": -3.0, "tau": 0.0}
    assert CHARGE_SETS["B"]["mu"] == CHARGE_SETS["B"]["tau"] == -1.5
    assert CHARGE_SETS["C"]["tau"] == -3.0
