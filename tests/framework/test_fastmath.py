"""globalfit.fastmath against NumPy's libm (sin, cos, arccos) and the exact derivatives."""

import math

import jax
import jax.numpy as jnp
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import globalfit  # noqa: F401  (float64)
from globalfit.fastmath import arccos, sin_over, sincos

ULP1 = np.spacing(1.0)  # 2.2e-16


def _sincos(x):
    s, c = jax.jit(sincos)(np.asarray(x, float))
    return np.asarray(s), np.asarray(c)


def test_sincos_within_two_ulp_of_libm():
    """|x| <= 1e5 (phases of the engine reach ~1e3), multiples of pi/2 (quadrant edges) and tiny
    arguments: absolute error <= 2 ulp of 1 against NumPy, relative <= 1 ulp for |x| < 1e-3."""
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.uniform(-1e5, 1e5, 200_000), rng.uniform(-10, 10, 100_000),
                        np.arange(-2000, 2001) * (math.pi / 2), [0.0, -0.0]])
    s, c = _sincos(x)
    assert np.max(np.abs(s - np.sin(x))) <= 2 * ULP1
    assert np.max(np.abs(c - np.cos(x))) <= 2 * ULP1
    tiny = np.geomspace(1e-300, 1e-3, 2000)
    s, c = _sincos(np.concatenate([tiny, -tiny]))
    assert np.max(np.abs(s / np.sin(np.concatenate([tiny, -tiny])) - 1)) <= ULP1
    assert np.all(c <= 1.0) and np.max(np.abs(c - np.cos(np.concatenate([tiny, -tiny])))) <= ULP1


@settings(max_examples=300, deadline=None)
@given(st.floats(-1e6, 1e6, allow_nan=False))
def test_sincos_fuzz(x):
    """Any |x| <= 1e6 (the exact-reduction range): within 4 ulp of 1 of libm."""
    s, c = _sincos([x])
    assert abs(s[0] - math.sin(x)) <= 4 * ULP1 and abs(c[0] - math.cos(x)) <= 4 * ULP1


def test_arccos_within_two_ulp_of_libm():
    """Dense [-1, 1] and points within 1e-16..1e-3 of +-1 and of the branch points +-1/2:
    within 2 ulp of NumPy's arccos (relative)."""
    edge = np.geomspace(1e-16, 1e-3, 500)
    x = np.concatenate([np.linspace(-1, 1, 400_001), 1 - edge, -1 + edge, 0.5 + edge,
                        0.5 - edge, -0.5 + edge, -0.5 - edge, [1.0, -1.0]])
    ours = np.asarray(jax.jit(arccos)(x))
    ref = np.arccos(x)
    assert np.max(np.abs(ours - ref) / np.spacing(np.maximum(ref, 1e-300))) <= 2


def test_sin_over_against_sinc():
    """sin(x)/x against NumPy's sinc(x/pi) across the small-argument switch at 1e-3: 2e-16."""
    x = np.concatenate([np.geomspace(1e-12, 1e4, 20_000), [0.0, 9.999e-4, 1e-3, 1.0001e-3]])
    x = np.concatenate([x, -x])
    ours = np.asarray(jax.jit(sin_over)(x))
    assert np.max(np.abs(ours - np.sinc(x / np.pi))) <= 2 * ULP1


def test_derivatives_are_exact():
    """Gradients: d sin = cos, d cos = -sin, d arccos = -1/sqrt(1 - x^2), d(sin x / x) =
    (x cos x - sin x)/x^2 (-> -x/3 + x^3/30 near 0): 1e-15 absolute (sin, cos), 1e-14
    relative (arccos), 1e-14 absolute (sin x / x; measured 7e-15, the reference formula's own
    cancellation)."""
    x = jnp.linspace(-50.0, 50.0, 1001)
    ds = jax.vmap(jax.grad(lambda v: sincos(v)[0]))(x)
    dc = jax.vmap(jax.grad(lambda v: sincos(v)[1]))(x)
    assert np.allclose(ds, np.cos(x), rtol=0, atol=1e-15)
    assert np.allclose(dc, -np.sin(x), rtol=0, atol=1e-15)
    r = jnp.linspace(-0.999, 0.999, 2001)
    da = jax.vmap(jax.grad(arccos))(r)
    assert np.allclose(da, -1 / np.sqrt(1 - np.asarray(r) ** 2), rtol=1e-14)
    z = jnp.concatenate([jnp.linspace(-20.0, -0.01, 500), jnp.linspace(0.01, 20.0, 500)])
    dz = jax.vmap(jax.grad(sin_over))(z)
    zn = np.asarray(z)
    assert np.allclose(dz, (zn * np.cos(zn) - np.sin(zn)) / zn**2, rtol=0, atol=1e-14)
    assert abs(float(jax.grad(sin_over)(1e-5)) - (-1e-5 / 3 + 1e-15 / 30)) < 1e-20
