"""globalfit.linalg against LAPACK (numpy / scipy) on random positive-definite matrices."""

import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.linalg
from hypothesis import given, settings
from hypothesis import strategies as st

from globalfit import linalg


def spd(n: int, seed: int, cond: float = 1e4) -> np.ndarray:
    """Random symmetric positive-definite matrix with condition number ``cond``."""
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    return (q * np.geomspace(1.0, 1.0 / cond, n)) @ q.T


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 2 * linalg.LEAF + 7), seed=st.integers(0, 2**31))
def test_cholesky_and_solves_match_lapack(n, seed):
    # leaves, one halving and two (n up to 2 LEAF + 7); tolerance: rounding of a
    # condition-1e4 matrix (LAPACK's own backward error ~ n eps cond)
    a = spd(n, seed)
    b = np.random.default_rng(seed + 1).normal(size=n)
    low = np.asarray(linalg.cholesky(a))
    ref = np.linalg.cholesky(a)
    assert np.allclose(low, ref, rtol=0, atol=1e-12 * np.abs(ref).max())
    assert np.array_equal(np.triu(low, 1), np.zeros((n, n)))        # exactly lower triangular
    x = np.asarray(linalg.solve_lower(low, b))
    assert np.allclose(x, scipy.linalg.solve_triangular(ref, b, lower=True), rtol=1e-10,
                       atol=1e-10 * np.abs(x).max())
    y = np.asarray(linalg.solve_lower_transposed(low, b))
    assert np.allclose(y, scipy.linalg.solve_triangular(ref, b, lower=True, trans="T"),
                       rtol=1e-10, atol=1e-10 * np.abs(y).max())


def test_quadratic_form_jit_vmap_and_gradient():
    """r^T A^-1 r through the three functions, jitted and vmapped, with its gradient in r
    (2 A^-1 r), against numpy (1e-10 relative)."""
    n = 145                                      # the MINOS covariance's size: two halvings
    a = spd(n, 3, cond=1e3)
    r = np.random.default_rng(4).normal(size=(5, n))

    def chi2(rr):
        z = linalg.solve_lower(linalg.cholesky(jnp.asarray(a)), rr)
        return z @ z

    ref = np.einsum("ki,ki->k", r, np.linalg.solve(a, r.T).T)
    assert np.allclose(jax.jit(jax.vmap(chi2))(r), ref, rtol=1e-10)
    grad = jax.jit(jax.grad(chi2))(r[0])
    assert np.allclose(grad, 2.0 * np.linalg.solve(a, r[0]), rtol=1e-9, atol=1e-9)


def test_not_positive_definite_gives_nan():
    """As jnp.linalg.cholesky: NaN, which the likelihoods turn into a rejected point."""
    a = spd(60, 5)
    a[40, 40] = -1.0
    assert np.isnan(np.asarray(linalg.cholesky(a))).any()


@pytest.mark.parametrize("n", [1, linalg.LEAF, linalg.LEAF + 1])
def test_edges_of_the_blocking(n):
    a = spd(n, n)
    assert np.allclose(linalg.cholesky(a), np.linalg.cholesky(a), atol=1e-13)


def test_no_lapack_custom_call():
    """The reason for the module: the compiled computation holds no LAPACK custom call."""
    a = spd(100, 7)
    text = jax.jit(lambda m, b: linalg.solve_lower_transposed(
        linalg.cholesky(m), linalg.solve_lower(linalg.cholesky(m), b))).lower(
        a, np.ones(100)).compile().as_text()
    assert re.findall(r'custom_call_target="([^"]+)"', text) == []
