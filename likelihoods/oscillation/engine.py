"""Three-flavour neutrino propagation in matter with NSI (physics.md section 2), in ``jax.numpy``.

Flavour-basis Hamiltonian for neutrinos (PDG mixing matrix U)::

    H = U diag(0, dm21, dm31) U^dagger / (2E) + V_CC [diag(1, 0, 0) + eps],
    V_CC = sqrt2 G_F N_e = 7.6325e-14 eV x rho[g/cm^3] x Y_e  (globalfit.constants)

and for antineutrinos U -> U*, V_CC -> -V_CC, eps -> eps*, i.e. H_bar = conj(H(-V_CC)).

The evolution operator of a constant-density layer, S = exp(-i H L), is computed in closed form,
without eigenvectors: the eigenvalues a >= b >= c of the traceless part T of H L come from
Cardano's trigonometric formula, and exp(-iT) is the Newton interpolation polynomial

    exp(-iT) = f[a] + f[a,b] (T - a) + f[a,b,c] (T - a)(T - b),   f(x) = exp(-i x),

with the divided differences f[a,b] = -i exp(-i(a+b)/2) sinc((a-b)/2) (stable at a = b) and
f[a,b,c] = (f[a,b] - f[b,c]) / (a - c), where a - c >= 3 sqrt(tr(T^2)/6) vanishes only for T = 0
(then f[a,b,c] = f''/2). This is the Cayley-Hamilton / Sylvester route of Ohlsson & Snellman,
J. Math. Phys. 41 (2000) 2768, and of NuOscProbExact (Bustamante, arXiv:1904.12391) written with
divided differences, so no eigenvector (and no 1/(a-b) at a two-fold degeneracy) enters.
Layered matter multiplies the layer operators in the order the neutrino crosses them.
The overall phase exp(-i tr(H) L / 3) of each layer is dropped (it cancels in probabilities).
Sines, cosines and the arccosine come from globalfit.fastmath (vectorised polynomials; XLA:CPU's
own are scalar libm calls; benchmarks/bench_oscillation.py compares the two).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from globalfit.constants import KM_TO_INV_EV, V_CC_EV_PER_GCM3
from globalfit.fastmath import arccos, sin_over, sincos

#: The six standard oscillation parameters (radians, eV^2).
OSC_NAMES = ("theta12", "theta13", "theta23", "delta_cp", "dm21", "dm31")


def pmns(theta12: Any, theta13: Any, theta23: Any, delta_cp: Any) -> jax.Array:
    """PDG mixing matrix U = R23 U13(delta) R12 (complex 3x3), angles in radians."""
    s12, c12 = jnp.sin(theta12), jnp.cos(theta12)
    s13, c13 = jnp.sin(theta13), jnp.cos(theta13)
    s23, c23 = jnp.sin(theta23), jnp.cos(theta23)
    ep = jnp.exp(1j * delta_cp)
    em = jnp.exp(-1j * delta_cp)
    return jnp.array([
        [c12 * c13 + 0j, s12 * c13 + 0j, s13 * em],
        [-s12 * c23 - c12 * s23 * s13 * ep, c12 * c23 - s12 * s23 * s13 * ep, s23 * c13 + 0j],
        [s12 * s23 - c12 * c23 * s13 * ep, -c12 * s23 - s12 * c23 * s13 * ep, c23 * c13 + 0j],
    ])


def vacuum_mass_matrix(osc: Mapping[str, Any]) -> jax.Array:
    """U diag(0, dm21, dm31) U^dagger [eV^2] (the vacuum Hamiltonian times 2E)."""
    u = pmns(osc["theta12"], osc["theta13"], osc["theta23"], osc["delta_cp"])
    m2 = jnp.array([0.0, osc["dm21"], osc["dm31"]])
    return (u * m2[None, :]) @ jnp.conj(u).T


def _traceless_hermitian(m: jax.Array) -> jax.Array:
    """(M + M^dagger)/2 minus tr/3 (exact hermiticity against rounding)."""
    m = 0.5 * (m + jnp.conj(m).T)
    return m - jnp.trace(m).real / 3.0 * jnp.eye(3)


def _layer_operator(mvac: jax.Array, y: jax.Array, scale: float, v: Any, eps: jax.Array,
                    l_inv_ev: Any, antineutrino: bool) -> tuple[jax.Array, jax.Array]:
    """exp(-i H L) up to a phase for y = L / (2 E scale) [...], one layer of potential v [eV]:
    real and imaginary parts of S^T flattened to (..., 9) (entry 3 a + b is S[b, a]).

    The traceless part of H L is T(y) = y A + B with energy-independent A (vacuum, times
    ``scale``) and B (matter), so every energy-independent piece is formed once per point:
    A^2, AB + BA, B^2, and the invariants tr(T^2)/2 = c2 y^2 + c1 y + c0 and
    det T = d3 y^3 + d2 y^2 + d1 y + d0. Per energy only scalars are computed (the Cardano
    eigenvalues a >= b >= c and the Newton divided differences of exp(-i x)), and
    S = k0 1 + k1 T + k2 T^2 is a sum of nine-entry arrays (no per-energy matrix product), in
    real arithmetic throughout.
    """
    mat = jnp.zeros((3, 3), jnp.complex128).at[0, 0].set(1.0) + eps
    if antineutrino:
        a_m = _traceless_hermitian(jnp.conj(mvac) * scale)
        b_m = _traceless_hermitian(-v * l_inv_ev * jnp.conj(mat))
    else:
        a_m = _traceless_hermitian(mvac * scale)
        b_m = _traceless_hermitian(v * l_inv_ev * mat)
    a2 = a_m @ a_m
    b2 = b_m @ b_m
    ab = a_m @ b_m + b_m @ a_m

    def tr(x, z):  # tr(x z), real for Hermitian x, z; no element indexing (cheap to transpose)
        return jnp.sum(x * z.T).real

    # tr(T^2)/2 and det T = tr(T^3)/3 (T traceless) as polynomials in y
    c2, c1, c0 = 0.5 * tr(a_m, a_m), tr(a_m, b_m), 0.5 * tr(b_m, b_m)
    d3, d2, d1, d0 = tr(a2, a_m) / 3.0, tr(a2, b_m), tr(a_m, b2), tr(b2, b_m) / 3.0
    c = (c2 * y + c1) * y + c0                      # = -(sum of principal minors) >= 0
    q = ((d3 * y + d2) * y + d1) * y + d0           # det T
    nonzero = c > 1e-300
    p = jnp.where(nonzero, jnp.sqrt(jnp.where(nonzero, c, 1.0) / 3.0), 0.0)
    r = jnp.clip(q / (2.0 * jnp.where(nonzero, p, 1.0) ** 3), -1.0 + 1e-15, 1.0 - 1e-15)
    phi = arccos(r) / 3.0
    sphi, cphi = sincos(phi)
    # Cardano: a = 2p cos(phi) >= b = 2p cos(phi - 2pi/3) >= c = -a - b (T is traceless)
    ea = 2.0 * p * cphi
    eb = p * (math.sqrt(3.0) * sphi - cphi)
    # Divided by an exact runtime 1 (p / p), the eigenvalues are computed once per energy and
    # stored: otherwise XLA:CPU recomputes the whole Cardano chain inside each of the four
    # loops that use them (the divisions below and the nine-entry output).
    p_safe = jnp.where(nonzero, p, 1.0)
    one = jax.lax.stop_gradient(p_safe / p_safe)
    ea, eb = ea / one, eb / one
    ec = -ea - eb
    # everything below in real arithmetic (XLA:CPU vectorises it; complex ops it does not):
    # f(x) = exp(-ix); with a + b + c = 0: exp(-i(a+b)/2) = exp(ic/2), exp(-i(b+c)/2) = exp(ia/2)
    sa, ca = sincos(0.5 * ea)
    sc, cc = sincos(0.5 * ec)
    fa_r, fa_i = ca * ca - sa * sa, -2.0 * ca * sa                    # f[a] = exp(-ia)
    s_ab = sin_over(0.5 * (ea - eb))                                  # stable at a = b
    s_bc = sin_over(0.5 * (eb - ec))
    fab_r, fab_i = s_ab * sc, -s_ab * cc      # f[a,b] = -i exp(ic/2) sinc((a-b)/2)
    fbc_r, fbc_i = s_bc * sa, -s_bc * ca      # f[b,c] = -i exp(ia/2) sinc((b-c)/2)
    gap = ea - ec
    big = gap > 1e-12
    inv = 1.0 / jnp.where(big, gap, 1.0)
    fabc_r = jnp.where(big, (fab_r - fbc_r) * inv, -0.5 * fa_r)        # f[a,b,c]
    fabc_i = jnp.where(big, (fab_i - fbc_i) * inv, -0.5 * fa_i)
    # S = f[a] + f[a,b] (T - a) + f[a,b,c] (T - a)(T - b) = k0 + k1 T + k2 T^2
    eab, sab = ea * eb, ea + eb
    k0 = (fa_r - fab_r * ea + fabc_r * eab, fa_i - fab_i * ea + fabc_i * eab)
    k1 = (fab_r - fabc_r * sab, fab_i - fabc_i * sab)
    k2 = (fabc_r, fabc_i)
    # entries of S^T, flattened (index 3 a + b holds S[b, a], the amplitude nu_a -> nu_b), with
    # T = y A + B and T^2 = y^2 A^2 + y (AB + BA) + B^2
    def flat(m):
        return jnp.real(m).T.ravel(), jnp.imag(m).T.ravel()
    (ar, ai), (br, bi) = flat(a_m), flat(b_m)
    (a2r, a2i), (abr, abi), (b2r, b2i) = flat(a2), flat(ab), flat(b2)
    yc, y2c = y[..., None], (y * y)[..., None]
    tr, ti = yc * ar + br, yc * ai + bi
    ur, ui = y2c * a2r + yc * abr + b2r, y2c * a2i + yc * abi + b2i
    k1r, k1i, k2r, k2i = (k[..., None] for k in (*k1, *k2))
    diag = jnp.eye(3).ravel()
    s_r = k1r * tr - k1i * ti + k2r * ur - k2i * ui + diag * k0[0][..., None]
    s_i = k1r * ti + k1i * tr + k2r * ui + k2i * ur + diag * k0[1][..., None]
    return s_r, s_i


#: scale of the vacuum term: y = L / (2 E) / _SCALE is O(1) for long-baseline values
_SCALE = 1e3


def _path_probabilities(mvac, v_sign, eps, e_ev, l_km, rho, ye, antineutrino):
    """P[..., 3 a + b] = P(nu_a -> nu_b) along layers of lengths ``l_km`` (flattened: the
    layout the operators are computed in); ``v_sign`` = +-1 multiplies the potential (the
    antineutrino pair of :func:`probabilities_nu_nubar` passes conj(mvac), -1, conj(eps))."""
    st = None  # S^T: the transposed evolution operator, (..., 3, 3), complex
    for k in range(l_km.shape[0]):  # layers, in the order crossed
        v = v_sign * V_CC_EV_PER_GCM3 * rho[k] * ye[k]
        l_inv = l_km[k] * KM_TO_INV_EV
        y = l_inv / (2.0 * e_ev * _SCALE)
        s_r, s_i = _layer_operator(mvac, y, _SCALE, v, eps, l_inv, antineutrino)
        if l_km.shape[0] == 1:  # P[..., 3 a + b] = |S[b, a]|^2, all real
            return s_r * s_r + s_i * s_i
        sk = jax.lax.complex(s_r, s_i).reshape(*y.shape, 3, 3)
        st = sk if st is None else st @ sk  # (S_k S)^T = S^T S_k^T
    return (jnp.real(st) ** 2 + jnp.imag(st) ** 2).reshape(*st.shape[:-2], 9)


@functools.partial(jax.jit, static_argnames=("antineutrino", "both", "flat"))
def _probabilities(e_gev, l_km, rho, ye, osc, eps, antineutrino=False, both=False, flat=False):
    mvac = vacuum_mass_matrix(osc)
    e_ev = jnp.asarray(e_gev, float) * 1e9
    eps = jnp.asarray(eps, jnp.complex128)
    if not both:
        p = _path_probabilities(mvac, 1.0, eps, e_ev, l_km, rho, ye, antineutrino)
    else:
        # neutrinos and antineutrinos as one vectorised computation: H_bar = conj(H(-V_CC))
        pair = (jnp.stack([mvac, jnp.conj(mvac)]), jnp.array([1.0, -1.0]),
                jnp.stack([eps, jnp.conj(eps)]))
        p = jax.vmap(lambda m, sign, ep: _path_probabilities(m, sign, ep, e_ev, l_km, rho, ye,
                                                             False))(*pair)
    return p if flat else p.reshape(*p.shape[:-1], 3, 3)


def _path_arguments(E_GeV: Any, L_km: Any, rho: Any, osc: Mapping[str, Any], eps: Any,
                    Ye: Any) -> tuple[Any, ...]:
    l_km = jnp.atleast_1d(jnp.asarray(L_km, float))
    rho_a = jnp.atleast_1d(jnp.asarray(rho, float))
    if l_km.ndim != 1 or rho_a.shape != l_km.shape:
        raise ValueError("L_km and rho must both be scalars or equal-length 1-d sequences.")
    ye = jnp.broadcast_to(jnp.asarray(Ye, float), l_km.shape)
    osc = {k: jnp.asarray(osc[k], float) for k in OSC_NAMES}
    eps_m = jnp.zeros((3, 3), jnp.complex128) if eps is None else eps
    return jnp.asarray(E_GeV, float), l_km, rho_a, ye, osc, eps_m


def probabilities(E_GeV: Any, L_km: Any, rho: Any, *, osc: Mapping[str, Any], eps: Any = None,
                  antineutrino: bool = False, Ye: Any = 0.5, flat: bool = False) -> jax.Array:
    """Oscillation probabilities P[..., a, b] = P(nu_a -> nu_b), a, b in (e, mu, tau).

    ``E_GeV``: energies [GeV], any shape. ``L_km`` [km] and ``rho`` [g/cm^3]: scalars for constant
    density, or equal-length sequences of layers in the order crossed (``Ye`` scalar or per
    layer). ``osc``: mapping with theta12, theta13, theta23, delta_cp [rad], dm21, dm31 [eV^2].
    ``eps``: effective 3x3 Hermitian NSI matrix in matter per electron (None = 0). Jitted,
    vectorised over energies and differentiable in every argument (module docstring).
    ``flat``: P[..., 3 a + b] instead, the layout the engine computes in; on XLA:CPU the
    (..., 3, 3) shape costs about as much again as the whole computation (one layer: 2x the
    time per energy, ``python benchmarks/bench_nufast.py``), so likelihoods read the flat one.
    """
    return _probabilities(*_path_arguments(E_GeV, L_km, rho, osc, eps, Ye),
                          antineutrino=bool(antineutrino), flat=bool(flat))


def probabilities_nu_nubar(E_GeV: Any, L_km: Any, rho: Any, *, osc: Mapping[str, Any],
                           eps: Any = None, Ye: Any = 0.5, flat: bool = False) -> jax.Array:
    """:func:`probabilities` for neutrinos ([0]) and antineutrinos ([1]) in one vectorised
    computation, shape (2, ..., 3, 3) (``flat``: (2, ..., 9)): half the operations of two
    calls (what a sampler pays per operation at one point: docs/performance.md)."""
    return _probabilities(*_path_arguments(E_GeV, L_km, rho, osc, eps, Ye), both=True,
                          flat=bool(flat))


def probabilities_np(*args: Any, **kwargs: Any) -> np.ndarray:
    """:func:`probabilities` as a NumPy array."""
    return np.asarray(probabilities(*args, **kwargs))


@functools.partial(jax.jit, static_argnames=("antineutrino", "real_pair", "flat"))
def transposed_layer_operators(E_GeV: Any, L_km: Any, rho: Any, Ye: Any, *,
                               osc: Mapping[str, Any], eps: Any, antineutrino: bool = False,
                               real_pair: bool = False, flat: bool = False) -> Any:
    """S^T = exp(-i H L)^T (up to a phase) of many constant-density layers at once.

    ``L_km`` [km], ``rho`` [g/cm^3] and ``Ye``: 1-d arrays of equal length n (one layer each);
    ``E_GeV``: energies, 1-d (m,). ``eps``: the effective NSI matrix in matter, (3, 3) for all
    layers or (n, 3, 3), one per layer. Returns complex (n, m, 3, 3) with [k, j, a, b] =
    S_k[b, a] at energy j, so a path crossing layers 1, 2, ... has S^T = S_1^T S_2^T ... and
    P(nu_a -> nu_b) = |S^T[a, b]|^2 (layered Earth, earth.py). A zero-length layer is the unit.
    ``real_pair``: return the real and imaginary parts as two real arrays instead (products of
    them in real arithmetic vectorise on XLA:CPU; complex ones do not). ``flat``: the real pair
    with the last two axes flattened, (n, m, 9), entry 3 a + b = S_k[b, a]: the layout the
    operators are computed in. Reshaping it to (n, m, 3, 3) is not free on XLA:CPU: the
    computation is then emitted as loops over the two 3-long axes and runs ~2x slower
    (benchmarks/bench_oscillation_data.py), so consumers that multiply many operators
    (earth.py) read the flat layout.
    """
    mvac = vacuum_mass_matrix(osc)
    e_ev = jnp.asarray(E_GeV, float) * 1e9
    eps = jnp.asarray(eps, jnp.complex128)
    l_inv = jnp.asarray(L_km, float) * KM_TO_INV_EV
    v = V_CC_EV_PER_GCM3 * jnp.asarray(rho, float) * jnp.asarray(Ye, float)
    y = l_inv[:, None] / (2.0 * e_ev[None, :] * _SCALE)

    def one(y_k, v_k, eps_k, l_k):
        return _layer_operator(mvac, y_k, _SCALE, v_k, eps_k, l_k, antineutrino)

    s_r, s_i = jax.vmap(one, in_axes=(0, 0, 0 if eps.ndim == 3 else None, 0))(y, v, eps, l_inv)
    if flat:
        return s_r, s_i
    s_r, s_i = s_r.reshape(*y.shape, 3, 3), s_i.reshape(*y.shape, 3, 3)
    return (s_r, s_i) if real_pair else jax.lax.complex(s_r, s_i)
