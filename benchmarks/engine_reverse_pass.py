"""An experiment kept for the record: the layer operator's reverse pass written out by hand.

Not used by the package. ``benchmarks/bench_value_grad.py`` swaps it into the engine
(``engine._layer_operator``) to time it against JAX's own reverse pass; docs/performance.md,
section 4, gives the figures (on XLA:CPU it cuts the operations of the DUNE + T2HK value +
gradient by a third but runs slower; it may pay on an accelerator, where each operation is a
kernel launch).

The forward pass is the engine's (engine._layer_operator: S = exp(-i T), T = y A + B traceless
Hermitian, S = k0 1 + k1 T + k2 T^2 with the k's from the invariants c = tr(T^2)/2 and
q = det T). The reverse pass is the Frechet derivative through the invariants: with G the
cotangent of S (as a complex matrix, delta L = Re sum conj(G) dS) and

    dS = dk0 1 + dk1 T + k1 dT + dk2 T^2 + k2 (dT T + T dT),
    dk = dk/dc tr(T dT) + dk/dq tr(T^2 dT)

(c and q are real polynomials in the entries; tr(T dT) = <T, dT> for Hermitian T), the cotangent
of T is

    Tbar = conj(k1) G + conj(k2) (G T + T G) + gamma_c T + gamma_q T^2,
    gamma_v = sum_k Re(conj(g_k) dk_k/dv),   g_k = sum_ij G_ij conj(M_k)_ij,  M = 1, T, T^2,

exact along Hermitian dT (the only directions the inputs take; it is projected onto them), and
A, B receive sum_y y Tbar and sum_y Tbar. The flats of S^T, T^T obey the same formula (the
transposes cancel), so the engine's flattened layout is used throughout. dk/dc and dk/dq come
from jax.jvp of :func:`_newton` (a copy of the engine's) in the forward pass under differentiation.
"""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from globalfit.fastmath import arccos, sin_over, sincos
from likelihoods.oscillation import engine

_DIAG = np.eye(3).ravel()


def _flat(m: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Real and imaginary parts of M^T flattened to (9,) (entry 3 a + b holds M[b, a])."""
    return jnp.real(m).T.ravel(), jnp.imag(m).T.ravel()


def _layer_pieces(a_m: jax.Array, b_m: jax.Array) -> tuple[Any, ...]:
    """Flats of A, B, A^2, AB + BA, B^2 and the coefficients of tr(T^2)/2 and det T in y."""
    a2, b2, ab = a_m @ a_m, b_m @ b_m, a_m @ b_m + b_m @ a_m

    def tr(x, z):
        return jnp.sum(x * z.T).real

    cs = (0.5 * tr(a_m, a_m), tr(a_m, b_m), 0.5 * tr(b_m, b_m))
    ds = (tr(a2, a_m) / 3.0, tr(a2, b_m), tr(a_m, b2), tr(b2, b_m) / 3.0)
    return tuple(_flat(m) for m in (a_m, b_m, a2, ab, b2)), cs, ds


def _per_energy(y: Any, pieces: tuple[Any, ...]) -> tuple[Any, ...]:
    """Flats of T(y), T(y)^2 and the invariants c, q at every y."""
    ((ar, ai), (br, bi), (a2r, a2i), (abr, abi), (b2r, b2i)), (c2, c1, c0), (d3, d2, d1, d0) \
        = pieces
    yc, y2c = y[..., None], (y * y)[..., None]
    return (yc * ar + br, yc * ai + bi, y2c * a2r + yc * abr + b2r, y2c * a2i + yc * abi + b2i,
            (c2 * y + c1) * y + c0, ((d3 * y + d2) * y + d1) * y + d0)


def _newton(c: Any, q: Any) -> tuple[Any, ...]:
    """(k0r, k0i, k1r, k1i, k2r, k2i) of exp(-i T) = k0 + k1 T + k2 T^2 (the engine's
    Cardano and Newton divided differences, module docstring of engine.py)."""
    nonzero = c > 1e-300
    p = jnp.where(nonzero, jnp.sqrt(jnp.where(nonzero, c, 1.0) / 3.0), 0.0)
    r = jnp.clip(q / (2.0 * jnp.where(nonzero, p, 1.0) ** 3), -1.0 + 1e-15, 1.0 - 1e-15)
    sphi, cphi = sincos(arccos(r) / 3.0)
    p_safe = jnp.where(nonzero, p, 1.0)
    one = jax.lax.stop_gradient(p_safe / p_safe)
    ea, eb = 2.0 * p * cphi / one, p * (math.sqrt(3.0) * sphi - cphi) / one
    ec = -ea - eb
    sa, ca = sincos(0.5 * ea)
    sc, cc = sincos(0.5 * ec)
    fa_r, fa_i = ca * ca - sa * sa, -2.0 * ca * sa
    s_ab, s_bc = sin_over(0.5 * (ea - eb)), sin_over(0.5 * (eb - ec))
    fab_r, fab_i, fbc_r, fbc_i = s_ab * sc, -s_ab * cc, s_bc * sa, -s_bc * ca
    gap = ea - ec
    big = gap > 1e-12
    inv = 1.0 / jnp.where(big, gap, 1.0)
    fabc_r = jnp.where(big, (fab_r - fbc_r) * inv, -0.5 * fa_r)
    fabc_i = jnp.where(big, (fab_i - fbc_i) * inv, -0.5 * fa_i)
    eab, sab = ea * eb, ea + eb
    return (fa_r - fab_r * ea + fabc_r * eab, fa_i - fab_i * ea + fabc_i * eab,
            fab_r - fabc_r * sab, fab_i - fabc_i * sab, fabc_r, fabc_i)


def _combine(k: tuple[Any, ...], tr_: Any, ti_: Any, ur: Any, ui: Any) -> tuple[Any, Any]:
    k0r, k0i, k1r, k1i, k2r, k2i = (x[..., None] for x in k)
    return (k1r * tr_ - k1i * ti_ + k2r * ur - k2i * ui + _DIAG * k0r,
            k1r * ti_ + k1i * tr_ + k2r * ui + k2i * ur + _DIAG * k0i)


@jax.custom_vjp
def exp_minus_i(a_m: jax.Array, b_m: jax.Array, y: Any) -> tuple[jax.Array, jax.Array]:
    """Flats of exp(-i (y A + B))^T (engine layout) with the hand-written reverse pass."""
    tr_, ti_, ur, ui, c, q = _per_energy(y, _layer_pieces(a_m, b_m))
    return _combine(_newton(c, q), tr_, ti_, ur, ui)


def _fwd(a_m, b_m, y):
    tr_, ti_, ur, ui, c, q = _per_energy(y, _layer_pieces(a_m, b_m))
    zero, unit = jnp.zeros_like(c), jnp.ones_like(c)
    k, dk_c = jax.jvp(_newton, (c, q), (unit, zero))
    dk_q = jax.jvp(_newton, (c, q), (zero, unit))[1]
    one = (unit + c) / (unit + c)   # an exact runtime 1: the scalars stored once (tried)
    k12, dk_c, dk_q = jax.tree_util.tree_map(lambda x: x / one, (k[2:], dk_c, dk_q))
    return _combine(k, tr_, ti_, ur, ui), (a_m, b_m, y, k12, dk_c, dk_q)


def _cotangent_of_matrix(xr: Any, xi: Any) -> jax.Array:
    """JAX's cotangent of a complex matrix input (d/dRe - i d/dIm) from the flat cotangent of
    its transpose, projected onto Hermitian matrices."""
    m = (xr - 1j * xi).reshape(3, 3).T
    return 0.5 * (m + jnp.conj(m).T)


def _bwd(res, ct):
    """Entry by entry over nine arrays in y (a structure-of-arrays layout, tried so that the
    3x3 products are not inside a (..., 9) loop)."""
    a_m, b_m, y, (k1r, k1i, k2r, k2i), dk_c, dk_q = res
    ((ar, ai), (br, bi), (a2r, a2i), (abr, abi), (b2r, b2i)), _, _ = _layer_pieces(a_m, b_m)
    y2 = y * y
    t = [(y * ar[n] + br[n], y * ai[n] + bi[n]) for n in range(9)]
    u = [(y2 * a2r[n] + y * abr[n] + b2r[n], y2 * a2i[n] + y * abi[n] + b2i[n])
         for n in range(9)]
    g = [(ct[0][..., n], ct[1][..., n]) for n in range(9)]

    def conj_sum(m):  # sum_n G_n conj(M_n)
        return (sum(g[n][0] * m[n][0] + g[n][1] * m[n][1] for n in range(9)),
                sum(g[n][1] * m[n][0] - g[n][0] * m[n][1] for n in range(9)))

    gk = ((g[0][0] + g[4][0] + g[8][0], g[0][1] + g[4][1] + g[8][1]), conj_sum(t), conj_sum(u))
    one = (1.0 + y2) / (1.0 + y2)
    gam_c = sum(gk[n][0] * dk_c[2 * n] + gk[n][1] * dk_c[2 * n + 1] for n in range(3)) / one
    gam_q = sum(gk[n][0] * dk_q[2 * n] + gk[n][1] * dk_q[2 * n + 1] for n in range(3)) / one

    def prod(x, z, a, b):  # (X Z)[a, b]
        return (sum(x[3 * a + j][0] * z[3 * j + b][0] - x[3 * a + j][1] * z[3 * j + b][1]
                    for j in range(3)),
                sum(x[3 * a + j][0] * z[3 * j + b][1] + x[3 * a + j][1] * z[3 * j + b][0]
                    for j in range(3)))

    rows = []
    for n in range(9):
        a, b = divmod(n, 3)
        (p1r, p1i), (p2r, p2i) = prod(g, t, a, b), prod(t, g, a, b)
        sr, si = p1r + p2r, p1i + p2i
        (gr, gi), (tr_, ti_), (ur, ui) = g[n], t[n], u[n]
        rows.append((k1r * gr + k1i * gi + k2r * sr + k2i * si + gam_c * tr_ + gam_q * ur,
                     k1r * gi - k1i * gr + k2r * si - k2i * sr + gam_c * ti_ + gam_q * ui))
    xbar = jnp.stack([r for r, _ in rows] + [i for _, i in rows]).reshape(18, -1)
    sums = jnp.stack([y.reshape(-1), jnp.ones(y.size)]) @ xbar.T                  # (2, 18)
    y_bar = sum(rows[n][0] * ar[n] + rows[n][1] * ai[n] for n in range(9))
    return (_cotangent_of_matrix(sums[0, :9], sums[0, 9:]),
            _cotangent_of_matrix(sums[1, :9], sums[1, 9:]), y_bar)


exp_minus_i.defvjp(_fwd, _bwd)


def layer_operator(mvac: jax.Array, y: jax.Array, scale: float, v: Any, eps: jax.Array,
                   l_inv_ev: Any, antineutrino: bool) -> tuple[jax.Array, jax.Array]:
    """Drop-in for engine._layer_operator (same arguments and result) using
    :func:`exp_minus_i`."""
    mat = jnp.zeros((3, 3), jnp.complex128).at[0, 0].set(1.0) + eps
    if antineutrino:
        a_m = engine._traceless_hermitian(jnp.conj(mvac) * scale)
        b_m = engine._traceless_hermitian(-v * l_inv_ev * jnp.conj(mat))
    else:
        a_m = engine._traceless_hermitian(mvac * scale)
        b_m = engine._traceless_hermitian(v * l_inv_ev * mat)
    return exp_minus_i(a_m, b_m, y)
