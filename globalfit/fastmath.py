"""Vectorisable double-precision sine, cosine and arccosine for XLA:CPU, differentiable.

XLA:CPU lowers float64 ``sin``, ``cos`` and ``arccos`` to a scalar libm call per element, which
dominated the oscillation engine. Here they are plain arithmetic that XLA fuses and vectorises
(``python benchmarks/bench_oscillation.py`` times the engine with both; docs/performance.md).

:func:`sincos` computes both from one range reduction and two polynomials:

* reduction: k = round(x 2/pi), r = x - k pi/2 in [-pi/4, pi/4] with pi/2 split into three
  doubles (Cody & Waite, "Software Manual for the Elementary Functions", 1980): the first two
  carry 33 significant bits, so k P1 and k P2 are exact for |k| < 2^20 (|x| < 1.6e6);
* sin r and cos r: their Taylor polynomials to r^17 and r^18; the first omitted terms,
  (pi/4)^19/19! = 8e-20 and (pi/4)^20/20! = 3e-21, are below half an ulp;
* the quadrant k mod 4 picks (sin, cos) among (s, c), (c, -s), (-s, -c), (-c, s).

Accuracy: within 1 ulp of NumPy for |x| <= 1e6 (tests/framework/test_fastmath.py); the error grows
as |x| 2^-53 beyond.

:func:`arccos` uses the Maclaurin series of arcsin, sum_n (2n)! / (4^n n!^2 (2n+1)) x^(2n+1),
on |x| <= 1/2 (27 terms: the first omitted one is below 1e-19) with acos r = pi/2 - asin r for
|r| <= 1/2 and acos r = 2 asin sqrt((1 - r)/2), pi - 2 asin sqrt((1 + r)/2) beyond (1 -+ r is
exact there). Accuracy: a few ulp of NumPy on [-1, 1].

Derivatives are the exact ones (custom JVPs: d sin = cos dx, d cos = -sin dx,
d acos = -dx / sqrt(1 - x^2)).
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import jax
import jax.numpy as jnp

#: |x| up to which the reduction is exact (k P1, k P2 exact for |k| < 2^20)
EXACT_REDUCTION_BELOW = 2.0**20

_PI = Fraction("3.14159265358979323846264338327950288419716939937510582097494459")


def _leading_bits(value: Fraction, bits: int) -> float:
    """``value`` truncated to its leading ``bits`` significant bits (a double)."""
    mantissa, exponent = math.frexp(float(value))
    return math.ldexp(math.floor(mantissa * 2**bits), exponent - bits)


_P1 = _leading_bits(_PI / 2, 33)
_P2 = _leading_bits(_PI / 2 - Fraction(_P1), 33)
_P3 = float(_PI / 2 - Fraction(_P1) - Fraction(_P2))
#: Taylor coefficients of sin (r^1 .. r^17) and cos (r^0 .. r^18)
_SIN = tuple((-1) ** k / math.factorial(2 * k + 1) for k in range(9))
_COS = tuple((-1) ** k / math.factorial(2 * k) for k in range(10))
#: Maclaurin coefficients of arcsin (x^1 .. x^53)
_ASIN = tuple(float(Fraction(math.factorial(2 * n), 4**n * math.factorial(n) ** 2 * (2 * n + 1)))
              for n in range(27))


def _horner(coefficients: tuple[float, ...], z: jax.Array) -> jax.Array:
    acc = jnp.full_like(z, coefficients[-1])
    for c in reversed(coefficients[:-1]):
        acc = acc * z + c
    return acc


@jax.custom_jvp
def sincos(x: Any) -> tuple[jax.Array, jax.Array]:
    """(sin x, cos x) of a float64 array (module docstring: method, accuracy)."""
    x = jnp.asarray(x, jnp.float64)
    k = jnp.round(x * (2.0 / math.pi))
    r = ((x - k * _P1) - k * _P2) - k * _P3
    r2 = r * r
    s = r * _horner(_SIN, r2)
    c = _horner(_COS, r2)
    quadrant = k - 4.0 * jnp.floor(0.25 * k)  # 0, 1, 2, 3
    sin = jnp.where(quadrant == 0, s, jnp.where(quadrant == 1, c,
                                                 jnp.where(quadrant == 2, -s, -c)))
    cos = jnp.where(quadrant == 0, c, jnp.where(quadrant == 1, -s,
                                                 jnp.where(quadrant == 2, -c, s)))
    return sin, cos


@sincos.defjvp
def _sincos_jvp(primals: tuple[Any], tangents: tuple[Any]) -> tuple[Any, Any]:
    (x,), (dx,) = primals, tangents
    s, c = sincos(x)
    return (s, c), (c * dx, -s * dx)


def sin_over(x: Any) -> jax.Array:
    """sin(x) / x, equal to 1 - x^2/6 + x^4/120 for |x| < 1e-3 (the next term, x^6/5040, is
    below 2e-22) and differentiable everywhere."""
    x = jnp.asarray(x, jnp.float64)
    small = jnp.abs(x) < 1e-3
    safe = jnp.where(small, 1.0, x)
    x2 = x * x
    return jnp.where(small, 1.0 - x2 / 6.0 + x2 * x2 / 120.0, sincos(safe)[0] / safe)


def _arcsin_small(x: jax.Array) -> jax.Array:
    """arcsin x for |x| <= 1/2 (Maclaurin series, module docstring)."""
    return x * _horner(_ASIN, x * x)


@jax.custom_jvp
def arccos(x: Any) -> jax.Array:
    """arccos x [rad] of a float64 array in [-1, 1] (module docstring: method, accuracy)."""
    x = jnp.asarray(x, jnp.float64)
    middle = jnp.abs(x) <= 0.5
    asin = _arcsin_small(jnp.where(middle, x, jnp.sqrt(0.5 * (1.0 - jnp.abs(x)))))
    return jnp.where(middle, 0.5 * math.pi - asin,
                     jnp.where(x > 0.0, 2.0 * asin, math.pi - 2.0 * asin))


@arccos.defjvp
def _arccos_jvp(primals: tuple[Any], tangents: tuple[Any]) -> tuple[Any, Any]:
    (x,), (dx,) = primals, tangents
    return arccos(x), -dx / jnp.sqrt(1.0 - x * x)
