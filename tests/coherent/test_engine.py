"""Engine: fluxes, kernels, form factors, cross section, Z' sign (physics.md section 3)."""

from __future__ import annotations

import math

import jax.numpy as jnp
import numpy as np
import pytest
from scipy.integrate import quad

from globalfit.constants import G_F, G_V_NEUTRON, G_V_PROTON
from globalfit.errors import GlobalfitError
from globalfit.models import get_model
from globalfit.registry import get_likelihood
from likelihoods.coherent import flux as fl
from likelihoods.coherent.cross_section import INV_GEV2_TO_CM2, Nucleus, charges_squared, dsigma_dT
from likelihoods.coherent.form_factors import form_factor, helm, klein_nystrand

CS = Nucleus("Cs133", 55, 78, 132.905452)
AR = Nucleus("Ar40", 18, 22, 39.9623831)
ZERO = jnp.zeros((3, 3, 3), complex)


def test_prompt_line_energy():
    # physics.md: (m_pi^2 - m_mu^2) / (2 m_pi) = 29.79 MeV
    assert fl.e_numu() * 1e3 == pytest.approx(29.79, abs=0.01)


@pytest.mark.parametrize("flavour", ["nue", "numubar"])
def test_michel_normalised_and_kernel(flavour):
    m = fl.masses()[1]
    # each spectrum integrates to 1 over [0, m_mu/2] (physics.md), to 1e-10
    assert quad(lambda e: fl.michel(e, flavour), 0, m / 2)[0] == pytest.approx(1, abs=1e-10)
    # closed-form K(T) equals the direct quadrature of phi (1 - M T / 2E^2) above E_min
    M = CS.mass_gev
    for T in (1e-6, 5e-6, 2e-5, 4e-5):
        emin = fl.e_min(T, M)
        direct = quad(lambda e, T=T: fl.michel(e, flavour) * (1 - M * T / (2 * e**2)),
                      emin, m / 2)[0]
        assert fl.kernel_michel(np.array(T), M, flavour) == pytest.approx(direct, rel=1e-8)
    assert fl.kernel_michel(np.array(1.0), M, flavour) == 0.0  # beyond T_max


def test_time_profiles():
    edges = np.arange(-1.0, 30.0, 0.5)
    p = fl.time_pdf(edges, "numu", 0.44, 0.15)
    d = fl.time_pdf(edges, "nue", 0.44, 0.15)
    assert p.sum() == pytest.approx(1, abs=1e-3)
    assert d.sum() == pytest.approx(1, abs=1e-3)
    t = 0.5 * (edges[1:] + edges[:-1])
    # prompt mean = trace mean + tau_pi; delayed adds tau_mu = 2.197 us (to the 0.5-us binning)
    assert (t * p).sum() == pytest.approx(0.44 + fl.TAU_PI_US, abs=0.02)
    assert (t * d).sum() == pytest.approx(0.44 + fl.TAU_PI_US + fl.TAU_MU_US, abs=0.05)


def test_form_factors():
    q = np.array([1e-6])
    assert helm(q, 133)[0] == pytest.approx(1, abs=1e-9)
    assert klein_nystrand(q, 133)[0] == pytest.approx(1, abs=1e-9)
    # Helm has its first zero where q R0 = 4.4934 (first zero of j1), R0 from physics.md
    c, a, s = 1.23 * 133 ** (1 / 3) - 0.6, 0.52, 0.9
    r0 = math.sqrt(c**2 + 7 / 3 * math.pi**2 * a**2 - 5 * s**2)
    assert abs(helm(np.array([4.493409 / r0]), 133)[0]) < 1e-6
    # the two agree to 3% at CsI recoils of 10 keVnr (q ~ 0.25 fm^-1; known small spread)
    f_h = form_factor("helm", 1e-5, CS.mass_gev, 133)
    f_k = form_factor("klein_nystrand", 1e-5, CS.mass_gev, 133)
    assert f_h == pytest.approx(f_k, rel=0.03)
    with pytest.raises(GlobalfitError):
        form_factor("gaussian", 1e-5, CS.mass_gev, 133)


def test_total_cross_section_coherent_limit():
    # integral of dsigma/dT with F = 1 is G_F^2 E^2 Q^2 / pi (1 + O(E/M)); Q = Z g_p + N g_n
    E = 0.03
    tm = float(fl.t_max(E, CS.mass_gev))
    T = np.linspace(0, tm, 20001)
    ds = np.asarray(dsigma_dT(E, jnp.asarray(T), CS, ZERO))[:, 0]
    sig = np.trapezoid(ds, T)
    Q = CS.Z * G_V_PROTON + CS.N * G_V_NEUTRON
    hand = G_F**2 * E**2 * Q**2 / math.pi * INV_GEV2_TO_CM2
    assert sig == pytest.approx(hand, rel=2 * E / CS.mass_gev + 1e-4)


def test_flux_averaged_argon_cross_section():
    """Flux-averaged (3 flavours) CEvNS cross section on 40Ar with Helm form factor against
    COHERENT's measured (2.2 +- 0.7) 1e-39 cm^2 (arXiv:2003.10630): within the 1 sigma band."""
    M = AR.mass_gev
    T = np.geomspace(1e-9, float(fl.t_max(fl.masses()[1] / 2, M)), 4000)
    F2 = form_factor("helm", T, M, AR.A) ** 2
    Q = AR.Z * G_V_PROTON + AR.N * G_V_NEUTRON
    pref = G_F**2 * M / math.pi * INV_GEV2_TO_CM2 * Q**2
    sig = [np.trapezoid(pref * F2 * fl.kernel(T, M, f), T) for f in fl.SIGNAL_FLAVOURS]
    avg = np.mean(sig)
    assert 1.5e-39 < avg < 2.9e-39


def test_weak_charges_nsi():
    Z, N = CS.Z, CS.N
    e = np.zeros((3, 3, 3), complex)
    e[1, 0, 0], e[2, 0, 0] = 0.1, -0.05  # eps_ee^u, eps_ee^d
    e[1, 0, 1] = e[1, 1, 0] = 0.02  # eps_emu^u
    q2 = np.asarray(charges_squared(jnp.asarray(e), Z, N, G_V_PROTON, G_V_NEUTRON))
    qee = Z * (G_V_PROTON + 2 * 0.1 - 0.05) + N * (G_V_NEUTRON + 0.1 - 0.1)
    qemu = Z * 0.04 + N * 0.02
    qmm = Z * G_V_PROTON + N * G_V_NEUTRON
    assert q2[0] == pytest.approx(qee**2 + qemu**2, rel=1e-12)
    assert q2[1] == pytest.approx(qmm**2 + qemu**2, rel=1e-12)
    assert q2[2] == pytest.approx(qmm**2, rel=1e-12)


def test_zprime_sign_convention(csi17):
    """physics.md: eps has the sign of Q'_a Q'_q. Set A (Q'_mu Q'_q < 0) interferes
    constructively with the neutron-dominated weak charge; like-sign charges destructively."""
    from likelihoods.coherent.base import make_point

    for charges, sign in (("A", +1), ({"q": 1 / 3, "mu": 3.0}, -1)):
        model = get_model("zprime", charges=charges, allow_anomalous=True)
        eps = model.eps_vector({"g_prime": 1e-4, "m_zprime": 1.0}, jnp.zeros(()))
        assert np.sign(eps[1, 1, 1].real) == -sign
        sm = csi17.expected(make_point(csi17, model, g_prime=0.0))["cevns_numu"].sum()
        bsm = csi17.expected(make_point(csi17, model, g_prime=3e-4, m_zprime=1.0))
        assert np.sign(float(bsm["cevns_numu"].sum() - sm)) == sign


def test_bad_options():
    with pytest.raises(GlobalfitError):
        get_likelihood("coherent_csi_2017", form_factor="gaussian")
    with pytest.raises(GlobalfitError):
        get_likelihood("coherent_csi_2017", pe_smearing="gauss")
    with pytest.raises(GlobalfitError):
        get_likelihood("coherent_csi_2017", weak_couplings="loop")
    with pytest.raises(GlobalfitError):
        get_likelihood("coherent_csi_2017", nonsense=1)


def test_lar_argon_kernel_endpoint():
    # T_max of the prompt line on 40Ar: 2 E^2 / (M + 2E) = 47.6 keV (hand)
    E = fl.e_numu()
    assert fl.t_max(E, AR.mass_gev) * 1e6 == pytest.approx(2 * E**2 / (AR.mass_gev + 2 * E) * 1e6)
    assert fl.kernel_line(np.array([fl.t_max(E, AR.mass_gev) * 1.001]), AR.mass_gev)[0] == 0.0


class _GridNSI(type(get_model("nsi"))):
    """The nsi model without the q2-independence flag: COHERENT sums its recoil grid per call."""

    eps_q2_independent = False


@pytest.mark.parametrize("name,folder", [("coherent_csi_2017", None),
                                          ("coherent_lar_2020", "coherent/lar2020"),
                                          ("coherent_csi_2021", "coherent/csi2021")])
def test_recoil_grid_contracted_once_for_contact_nsi(name, folder, release):
    """For q2-independent eps the recoil sum is done at set-up (base.py); log L is unchanged
    to 1e-12 relative against the per-call sum over the grid, including off-diagonal and
    complex eps, and a batch of points agrees too."""
    from globalfit import Fit

    if folder:
        release(folder)
    pri = {n: {"prior": "uniform", "min": -0.5, "max": 0.5}
           for n in ("eps_ee_u", "eps_ee_d", "eps_mumu_u", "eps_emu_u", "eps_etau_d")}
    pri["phi_emu_u"] = {"prior": "uniform", "min": 0.0, "max": 6.0}
    fast = Fit("nsi", [name], priors=pri)
    slow = Fit(_GridNSI(), [name], priors=pri)
    u = np.random.default_rng(4).uniform(size=(16, fast.ndim))
    x = fast.prior_transform(u)
    a, b = np.asarray(fast.loglike(x)), np.asarray(slow.loglike(x))
    np.testing.assert_allclose(a, b, rtol=1e-12)
    assert float(fast.loglike(x[3])) == pytest.approx(float(b[3]), rel=1e-12)
