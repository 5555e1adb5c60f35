"""Cholesky factorisation and triangular solves of dense matrices in plain XLA operations.

``jnp.linalg.cholesky`` and ``jax.scipy.linalg.solve_triangular`` lower on CPU to LAPACK
custom calls, which cost more than their arithmetic in the likelihoods here (jaxlib 0.10.2):

- a jitted function holding one runs slower as a whole on two XLA threads: Super-K
  atmospheric + MINOS (a 145 x 145 covariance) took 11.2-12.0 ms per point batched and 65-75
  ms per value + gradient, against 6.8-7.2 and 51-56 ms with these functions, the sum of its
  parts (benchmarks/bench_oscillation_data.py times the combination);
- batched calls running at the same time from two Python threads deadlock (both wait in the
  LAPACK batch map on XLA's thread pool).

The algorithms are the textbook ones, blocked by recursive halving down to ``LEAF`` columns
(Golub & Van Loan, Matrix Computations, 4th ed., 4.2.9): A = [[A11, .], [A21, A22]] gives
L11 = chol(A11), L21 = A21 L11^-T, L22 = chol(A22 - L21 L21^T); the leaves run a loop of one
column (Cholesky-Crout) or one row (substitution) per step. They vmap and differentiate as
ordinary JAX code and agree with LAPACK to rounding (tests/framework/test_linalg.py).
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

#: largest block factorised or solved by a loop over its columns (rows); bigger ones are halved.
#: 48 measured fastest for the 145 x 145 MINOS covariance (24: 1.1-1.3x, one loop of 145: 1.4x
#: slower; development script).
LEAF = 48


def cholesky(a: Any) -> jax.Array:
    """Lower-triangular L with L L^T = a, for ``a`` symmetric positive definite (n, n). A
    matrix that is not positive definite gives NaN entries (as LAPACK's does in JAX)."""
    a = jnp.asarray(a)
    n = a.shape[-1]
    if n <= LEAF:
        return _crout(a)
    k = n // 2
    l11 = cholesky(a[:k, :k])
    l21 = _solve_right_transposed(l11, a[k:, :k])
    l22 = cholesky(a[k:, k:] - l21 @ l21.T)
    top = jnp.concatenate([l11, jnp.zeros((k, n - k), a.dtype)], axis=1)
    return jnp.concatenate([top, jnp.concatenate([l21, l22], axis=1)], axis=0)


def solve_lower(low: Any, b: Any) -> jax.Array:
    """x with L x = b (forward substitution); L lower triangular (n, n), b (n,)."""
    low, b = jnp.asarray(low), jnp.asarray(b)
    n = low.shape[-1]
    if n <= LEAF:
        def row(i, x):
            return x.at[i].set((b[i] - low[i, :] @ x) / low[i, i])
        return jax.lax.fori_loop(0, n, row, jnp.zeros_like(b))
    k = n // 2
    x1 = solve_lower(low[:k, :k], b[:k])
    return jnp.concatenate([x1, solve_lower(low[k:, k:], b[k:] - low[k:, :k] @ x1)])


def solve_lower_transposed(low: Any, b: Any) -> jax.Array:
    """x with L^T x = b (back substitution); L lower triangular (n, n), b (n,)."""
    low, b = jnp.asarray(low), jnp.asarray(b)
    n = low.shape[-1]
    if n <= LEAF:
        def row(k, x):
            i = n - 1 - k
            return x.at[i].set((b[i] - low[:, i] @ x) / low[i, i])
        return jax.lax.fori_loop(0, n, row, jnp.zeros_like(b))
    k = n // 2
    x2 = solve_lower_transposed(low[k:, k:], b[k:])
    return jnp.concatenate([solve_lower_transposed(low[:k, :k], b[:k] - low[k:, :k].T @ x2),
                            x2])


def _crout(a: jax.Array) -> jax.Array:
    """Unblocked Cholesky, column by column: L[:, j] = (a[:, j] - L L[j, :]^T) / L[j, j] on and
    below the diagonal (the columns of L from j on are still zero)."""
    n = a.shape[-1]
    rows = jnp.arange(n)

    def column(j, low):
        v = a[:, j] - low @ low[j, :]
        return low.at[:, j].set(jnp.where(rows >= j, v / jnp.sqrt(v[j]), 0.0))

    return jax.lax.fori_loop(0, n, column, jnp.zeros_like(a))


def _solve_right_transposed(low: jax.Array, b: jax.Array) -> jax.Array:
    """X with X L^T = b, b (m, n): column by column, X[:, i] = (b[:, i] - X L[i, :]^T) / L[i, i]."""
    n = low.shape[-1]

    def column(i, x):
        return x.at[:, i].set((b[:, i] - x @ low[i, :]) / low[i, i])

    return jax.lax.fori_loop(0, n, column, jnp.zeros_like(b))
