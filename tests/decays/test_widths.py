"""Widths of the phi-emitting decays against independent numbers (physics.md section 4)."""

from __future__ import annotations

import math

import pytest
from scipy.integrate import quad

import globalfit  # noqa: F401
from globalfit.constants import pdg_mass
from likelihoods.decays import widths
from likelihoods.decays.mesons import sm_two_body
from likelihoods.decays.tau import sm_branching as tau_sm
from likelihoods.decays.w_decays import sm_branching as w_sm


def test_meson_integral_at_zero_is_one_third():
    # I(0, 0) = int_0^1 (1 - x)^2 dx = 1/3 (physics.md section 4); quadrature error < 1e-9
    assert widths.meson_integral(0.0, 0.0) == pytest.approx(1 / 3, abs=1e-9)


@pytest.mark.parametrize("x_l,x_phi", [(0.0458, 0.01), (1e-5, 0.3), (0.003, 1e-6), (0.1, 0.2)])
def test_meson_integral_against_adaptive_quadrature(x_l, x_phi):
    # independent: scipy's adaptive QUADPACK on the seed's integrand, relative 1e-8
    x_max = (1 - math.sqrt(x_l)) ** 2
    ref = quad(lambda x: ((x + x_l) - (x - x_l) ** 2) * (x - x_phi) ** 2 / x**3
               * math.sqrt(max(widths.kallen(1, x, x_l), 0)), x_phi, x_max,
               epsabs=0, epsrel=1e-12, limit=500)[0]
    assert widths.meson_integral(x_l, x_phi) == pytest.approx(ref, rel=1e-8)


@pytest.mark.parametrize("a", [1e-10, 1e-6, 1e-3, 0.05, 0.3, 0.8])
def test_j_closed_form_against_quadrature(a):
    # J(a) = int_a^1 (1-x)^2 (x-a)^2 (2+x)/x^3 (physics.md), adaptive quadrature, relative 1e-8
    ref = quad(lambda x: (1 - x) ** 2 * (x - a) ** 2 * (2 + x) / x**3, a, 1, epsrel=1e-12,
               limit=500, points=[min(10 * a, 0.5)])[0]
    assert widths.j_function(a) == pytest.approx(ref, rel=1e-8)


def test_j_small_mass_asymptote_and_endpoint():
    # J -> -2 ln a - 17/3 as a -> 0 (corrections O(a ln a)); J(1) = 0: width vanishes at M_V
    a = 1e-12
    assert widths.j_function(a) == pytest.approx(-2 * math.log(a) - 17 / 3, abs=1e-9)
    assert widths.j_function(1.0) == pytest.approx(0.0, abs=1e-14)
    assert 0 < widths.j_function(0.999) < 1e-12


def test_mass_convolution_reproduces_meson_and_vector_formulas():
    # The identity Gamma_phi = 1/(32 pi^2) int Gamma_SM(q^2)(q^2 - m^2)^2/q^6 applied to the
    # massive-neutrino SM widths must give the seed's I (x 1/(32 pi^2)) and J/(64 pi^2).
    for a in (1e-4, 0.1):
        conv = widths.convolve(widths.vector_massive_nu, a, 1.0)
        assert conv == pytest.approx(widths.j_function(a) / (64 * math.pi**2), rel=1e-8)
    x_l, x_phi = 0.0458, 0.05
    conv = widths.convolve(lambda x: widths.meson_massive_nu(x, x_l), x_phi, (1 - x_l**0.5) ** 2)
    assert conv * 32 * math.pi**2 == pytest.approx(widths.meson_integral(x_l, x_phi), rel=1e-8)


@pytest.mark.parametrize("y", [1e-6, 1e-3, 0.1, 0.5])
def test_tau_massive_neutrino_width_is_michel_function(y):
    # classic: mu -> e nu nu with one massive final fermion of mass^2 y: f(y) = 1 - 8y + 8y^3 - y^4
    # - 12 y^2 ln y, for either neutrino leg when the charged lepton is massless; rel 1e-7
    f = float(widths.michel_f(y))
    assert widths.tau_massive_nubar(y, 1e-14) == pytest.approx(f, rel=1e-7)
    assert widths.tau_massive_nutau(y, 1e-14) == pytest.approx(f, rel=1e-7)


def test_tau_k_log_slope_and_endpoint():
    # for x_phi -> 0: K = (1/(32 pi^2)) [g(0) ln(1/x_phi) + c], g(0) = f(x_l) ~ 1 for the electron
    m_tau, m_e = pdg_mass("tau-"), pdg_mass("e-")
    x_e = (m_e / m_tau) ** 2
    k1 = widths.tau_k(1e-10, x_e, "nubar")
    k2 = widths.tau_k(1e-9, x_e, "nubar")
    assert (k1 - k2) * 32 * math.pi**2 == pytest.approx(math.log(10) * widths.michel_f(x_e),
                                                        rel=1e-4)
    y_max = (1 - math.sqrt(x_e)) ** 2
    assert widths.tau_k(y_max, x_e, "nubar") == 0.0
    assert widths.tau_k(0.998 * y_max, x_e, "nubar") < 1e-9 * k1
    # both legs give the same K (the massive-neutrino width is the same function)
    assert widths.tau_k(0.01, x_e, "nutau") == pytest.approx(widths.tau_k(0.01, x_e, "nubar"),
                                                             rel=1e-9)


@pytest.mark.parametrize("meson,lepton", [("pi+", "e-"), ("K+", "mu-"), ("B+", "e-")])
def test_meson_width_vanishes_at_kinematic_endpoint(meson, lepton):
    from likelihoods.decays.base import LogitTable

    m_p, m_l = pdg_mass(meson), pdg_mass(lepton)
    x_l = (m_l / m_p) ** 2
    i0 = widths.meson_integral(x_l, 0.0)
    x_end = (1 - math.sqrt(x_l)) ** 2
    assert widths.meson_integral(x_l, x_end) == 0.0
    assert widths.meson_integral(x_l, 0.999 * x_end) < 1e-9 * i0
    tab = LogitTable([m_p - m_l], [widths.meson_table(m_p, m_l)])
    assert float(tab(m_p - m_l)[0]) == 0.0 and float(tab(2 * m_p)[0]) == 0.0
    assert 0.0 < float(tab(0.999 * (m_p - m_l))[0]) < 1e-9 * i0


@pytest.mark.parametrize("m_phi", [1e-7, 1e-3, 0.02, 0.05, 0.09, 0.12, 0.135, 0.1385])
def test_meson_table_interpolation_accuracy(m_phi):
    # table look-up against the direct integral: 0.2%, up to 0.5 MeV from the endpoint 139.06 MeV
    from likelihoods.decays.base import LogitTable

    m_p, m_l = pdg_mass("pi+"), pdg_mass("e-")
    direct = widths.meson_integral((m_l / m_p) ** 2, (m_phi / m_p) ** 2)
    tab = LogitTable([m_p - m_l], [widths.meson_table(m_p, m_l)])
    assert float(tab(m_phi)[0]) == pytest.approx(direct, rel=2e-3)


@pytest.mark.parametrize("m_phi", [1e-6, 1e-4, 0.01, 0.3, 1.0, 1.5, 1.66])
def test_tau_table_interpolation_accuracy(m_phi):
    from likelihoods.decays.base import LogitTable

    m_tau, m_mu = pdg_mass("tau-"), pdg_mass("mu-")
    direct = widths.tau_k((m_phi / m_tau) ** 2, (m_mu / m_tau) ** 2, "nubar")
    tab = LogitTable([m_tau - m_mu], [widths.tau_table(m_tau, m_mu, "nubar")])
    assert float(tab(m_phi)[0]) == pytest.approx(direct, rel=2e-3)


def test_sm_pion_electron_muon_ratio():
    # tree-level R_e/mu(pi) = (m_e/m_mu)^2 ((m_pi^2 - m_e^2)/(m_pi^2 - m_mu^2))^2 = 1.2834e-4
    # (Marciano and Sirlin, PRL 71 (1993) 3629, before radiative corrections); rel 1e-3
    m_pi, m_e, m_mu = pdg_mass("pi+"), pdg_mass("e-"), pdg_mass("mu-")
    r = sm_two_body(m_pi, m_e, 0.13, 1.0) / sm_two_body(m_pi, m_mu, 0.13, 1.0)
    assert r == pytest.approx(1.2834e-4, rel=1e-3)


def test_sm_tau_and_w_branching_ratios():
    m_tau, m_w = pdg_mass("tau-"), pdg_mass("W+")
    from globalfit.constants import pdg_width

    g = pdg_width("tau-")
    be = tau_sm(m_tau, pdg_mass("e-"), g, 0.0075019, m_w)
    bmu = tau_sm(m_tau, pdg_mass("mu-"), g, 0.0075019, m_w)
    # B_mu/B_e = f(m_mu^2/m_tau^2) = 0.9726 (PDG review 'tau branching fractions'); 1e-3
    assert bmu / be == pytest.approx(0.9726, rel=1e-3)
    # B_e within 2 sigma of PDG (17.82 +- 0.04)% with the 0.17% lifetime uncertainty
    assert abs(be - 0.1782) < 2 * math.hypot(0.0004, 0.0017 * be)
    # W: SM 1/(3 + 6(1 + alpha_s/pi + ...)) against the PDG lepton-universal average
    # B(W -> l nu) = (10.86 +- 0.09)%, within 1 sigma
    assert abs(w_sm(0.1203) - 0.1086) < 0.0009
