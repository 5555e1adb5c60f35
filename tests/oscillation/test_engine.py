"""Propagation engine vs NuOscProbExact (peer code), nuSQuIDS, vacuum and LMA-Dark limits."""

import math

import jax
import numpy as np
import pytest

import globalfit  # noqa: F401
from globalfit.constants import KM_TO_INV_EV
from likelihoods.oscillation import probabilities
from likelihoods.oscillation.nufit import best_fit
from likelihoods.oscillation.validate import engine_vs_nuoscprobexact, random_case

OSC = best_fit("NO")


def test_engine_vs_nuoscprobexact_1000_points():
    """1000 random cases (500 points, 0.1-20 GeV, 100-13000 km, 0-13 g/cm^3, random complex eps,
    nu and nubar); NuOscProbExact (Bustamante arXiv:1904.12391) given our V_CC. Tolerance 1e-6
    absolute (measured 6.8e-13)."""
    pytest.importorskip("oscprob3nu")
    assert engine_vs_nuoscprobexact(500, seed=2024) < 1e-6


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
        osc, eps = random_case(rng)
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
    from likelihoods.oscillation.validate_data import nusquids_three_flavour

    e = np.array([1.0, 2.5, 5.0])
    nus = nusquids_three_flavour(e, OSC)
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


def test_nu_nubar_in_one_call_equals_two_calls():
    """probabilities_nu_nubar = (neutrino, antineutrino) calls, constant density and two layers,
    random complex NSI (1e-13: the same operations, vectorised over the pair)."""
    from likelihoods.oscillation import probabilities_nu_nubar

    rng = np.random.default_rng(11)
    osc, eps = random_case(rng)
    e = np.linspace(0.2, 12.0, 40)
    for length, rho in ((1300.0, 2.8), ([400.0, 900.0], [2.6, 3.1])):
        both = np.asarray(probabilities_nu_nubar(e, length, rho, osc=osc, eps=eps))
        for k, anti in enumerate((False, True)):
            one = np.asarray(probabilities(e, length, rho, osc=osc, eps=eps, antineutrino=anti))
            assert np.allclose(both[k], one, rtol=0, atol=1e-13)


def test_flat_layout_is_the_same_probabilities():
    """``flat=True`` (P[..., 3 a + b], what the likelihoods read) holds exactly the entries of
    the default (..., 3, 3) array: one layer, two layers, the nu/nubar pair, and the layer
    operators of the layered Earth (engine.transposed_layer_operators); bit for bit (the same
    computation, only the output shape differs)."""
    from likelihoods.oscillation import probabilities_nu_nubar
    from likelihoods.oscillation.engine import transposed_layer_operators

    rng = np.random.default_rng(12)
    osc, eps = random_case(rng)
    e = np.linspace(0.2, 12.0, 40)
    for length, rho in ((1300.0, 2.8), ([400.0, 900.0], [2.6, 3.1])):
        square = np.asarray(probabilities(e, length, rho, osc=osc, eps=eps))
        flat = np.asarray(probabilities(e, length, rho, osc=osc, eps=eps, flat=True))
        assert flat.shape == (40, 9) and np.array_equal(flat, square.reshape(40, 9))
        pair = np.asarray(probabilities_nu_nubar(e, length, rho, osc=osc, eps=eps, flat=True))
        assert np.array_equal(pair.reshape(2, 40, 3, 3),
                              np.asarray(probabilities_nu_nubar(e, length, rho, osc=osc,
                                                                eps=eps)))
    lengths, dens = np.array([300.0, 2000.0, 0.0]), np.array([3.3, 11.0, 5.0])
    s_r, s_i = transposed_layer_operators(e, lengths, dens, np.full(3, 0.47), osc=osc, eps=eps,
                                          real_pair=True)
    f_r, f_i = transposed_layer_operators(e, lengths, dens, np.full(3, 0.47), osc=osc, eps=eps,
                                          flat=True)
    assert np.array_equal(np.asarray(f_r).reshape(3, 40, 3, 3), np.asarray(s_r))
    assert np.array_equal(np.asarray(f_i).reshape(3, 40, 3, 3), np.asarray(s_i))
    # a zero-length layer is the unit operator (entries 0, 4, 8 are 1, the rest 0)
    assert np.allclose(np.asarray(f_r)[2], np.eye(3).ravel(), atol=1e-15)
    assert np.allclose(np.asarray(f_i)[2], 0.0, atol=1e-15)
