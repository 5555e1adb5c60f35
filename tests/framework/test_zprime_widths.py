"""Z' widths and branching ratios against hand computations (physics.md section 5)."""

import math

import jax
import jax.numpy as jnp
import pytest

import globalfit
from globalfit.constants import pdg_mass
from globalfit.models import zprime_widths as zw


def test_set_A_mumu_branching_ratio_above_top_is_18_over_31():
    # Hand count (physics.md 5): quarks 6 x 3 x (1/3)^2 = 2, mu 9, nu_mu 9/2 -> BR(mumu) = 18/31.
    br = globalfit.get_model("zprime", charges="A").branching_ratios(g_prime=0.1, m_zprime=5000.0)
    # 5 TeV: top and muon mass corrections are O(m_t^4/M^4) ~ 1e-6 -> tolerance 1e-4.
    assert float(br["mumu"]) == pytest.approx(18 / 31, rel=1e-4)
    assert float(br["nunu"]) == pytest.approx(9 / 31, rel=1e-4)
    assert float(br["qq"]) == pytest.approx(4 / 31, rel=1e-3)
    assert float(sum(br.values())) == pytest.approx(1.0, abs=1e-12)


def test_set_B_and_C_channel_counts():
    # B: mu and tau -3/2 each: mumu 9/4, tautau 9/4, nunu 9/4, qq 2 -> total 35/4.
    br = globalfit.get_model("zprime", charges="B").branching_ratios(m_zprime=5000.0)
    assert float(br["mumu"]) == pytest.approx((9 / 4) / (35 / 4), rel=1e-4)
    assert float(br["tautau"]) == pytest.approx((9 / 4) / (35 / 4), rel=1e-4)
    br = globalfit.get_model("zprime", charges="C").branching_ratios(m_zprime=5000.0)
    assert float(br["mumu"]) == 0.0
    assert float(br["tautau"]) == pytest.approx(18 / 31, rel=1e-4)


def test_partial_width_formula_by_hand():
    # Gamma(mumu) = g^2 Q^2 M/(12 pi)(1 + 2x) sqrt(1 - 4x), x = m_mu^2/M^2, at M = 1 GeV, g = 0.01.
    m, g, q = 1.0, 0.01, -3.0
    x = pdg_mass("mu-") ** 2 / m**2
    hand = g**2 * q**2 * m / (12 * math.pi) * (1 + 2 * x) * math.sqrt(1 - 4 * x)
    w = globalfit.get_model("zprime", charges="A").partial_widths(g_prime=g, m_zprime=m)
    assert float(w["mu"]) == pytest.approx(hand, rel=1e-12)
    # neutrino: g^2 Q^2 M/(24 pi), no threshold
    assert float(w["nu_mu"]) == pytest.approx(g**2 * 9 * m / (24 * math.pi), rel=1e-12)
    # tau closed at 1 GeV, top closed below 2 m_t
    assert float(w["tau"]) == 0.0 and float(w["t"]) == 0.0
    # quark width at 1 TeV (b open, top closed): N_c g^2 Q^2 M/(12 pi) for b up to (m_B/M)^2
    w = globalfit.get_model("zprime", charges="A").partial_widths(g_prime=1.0, m_zprime=1000.0)
    assert float(w["b"]) == pytest.approx(3 * (1 / 9) * 1000 / (12 * math.pi), rel=1e-4)


def test_below_top_threshold_set_A():
    # 5 open quarks: qq = 5/3, mumu 9, nunu 9/2 -> BR(mumu) = 9 / (9 + 4.5 + 5/3) = 54/91.
    br = globalfit.get_model("zprime", charges="A").branching_ratios(m_zprime=300.0)
    assert float(br["mumu"]) == pytest.approx(54 / 91, rel=2e-3)  # b, tau mass terms < 1e-3


def test_dark_photon_like_charges_have_no_neutrinos():
    ch = {"u": 2 / 3, "c": 2 / 3, "t": 2 / 3, "d": -1 / 3, "s": -1 / 3, "b": -1 / 3,
          "e": -1.0, "mu": -1.0, "tau": -1.0}
    br = zw.branching_ratios(1.0, 20.0, ch, nu_charges={})
    assert float(br["nunu"]) == 0.0
    # R = 3 (4/9 + 1/9 + 1/9 + 4/9 + 1/9) = 11/3 above b (20 GeV): BR(mumu) ~ 1/(3 + 11/3)
    assert float(br["mumu"]) == pytest.approx(1 / (3 + 11 / 3), rel=0.02)  # masses of c, b, tau


def test_widths_jit_and_grad():
    ch = globalfit.get_model("zprime", charges="A").fermion_charges()
    f = jax.jit(lambda g, m: zw.branching_ratios(g, m, ch)["mumu"] * zw.total_width(g, m, ch))
    val, grad = jax.value_and_grad(f, argnums=(0, 1))(jnp.asarray(0.1), jnp.asarray(10.0))
    assert jnp.isfinite(val) and all(jnp.isfinite(x) for x in grad)
    # Gamma(mumu) = BR x Gamma_tot is linear in M (far above 2 m_mu): d/dM = Gamma/M
    assert float(grad[1]) == pytest.approx(float(val) / 10.0, rel=1e-3)
