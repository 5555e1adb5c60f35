"""Prior families. One definition gives the dynesty prior transform (unit cube -> value), the
log-density and the numpyro distribution, so both samplers see the same prior."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

import jax.numpy as jnp
import jax.scipy.special as jsp
import numpyro.distributions as dist

from globalfit.errors import GlobalfitError


class Prior:
    """Base class. ``transform`` maps u in [0, 1] to the parameter; ``log_prob`` is normalised."""

    kind: ClassVar[str]
    fixed: ClassVar[bool] = False

    def transform(self, u: Any) -> Any:
        raise NotImplementedError

    def log_prob(self, x: Any) -> Any:
        raise NotImplementedError

    def to_numpyro(self) -> dist.Distribution:
        raise NotImplementedError

    def standard_form(self) -> tuple[dist.Distribution, Any]:
        """(base distribution of unit scale, map from it to the parameter): NUTS samples the base,
        so parameters of very different scales (dm21 ~ 1e-5, theta ~ 1) look alike to it."""
        raise NotImplementedError

    @property
    def support(self) -> tuple[float, float]:
        raise NotImplementedError

    def to_spec(self) -> dict[str, Any]:
        return {"prior": self.kind, **{k: v for k, v in self.__dict__.items()}}


def _check_range(lo: float, hi: float, what: str) -> None:
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise GlobalfitError(f"{what} needs finite min and max, got min={lo}, max={hi}.")
    if not lo < hi:
        raise GlobalfitError(f"{what} needs min < max, got min={lo:g}, max={hi:g}.")


@dataclass(frozen=True)
class Uniform(Prior):
    min: float
    max: float
    kind: ClassVar[str] = "uniform"

    def __post_init__(self) -> None:
        _check_range(self.min, self.max, "A uniform prior")

    def transform(self, u):
        return self.min + (self.max - self.min) * u

    def log_prob(self, x):
        inside = (x >= self.min) & (x <= self.max)
        return jnp.where(inside, -math.log(self.max - self.min), -jnp.inf)

    def to_numpyro(self):
        return dist.Uniform(self.min, self.max)

    def standard_form(self):
        return dist.Uniform(0.0, 1.0), self.transform

    @property
    def support(self):
        return (self.min, self.max)


@dataclass(frozen=True)
class LogUniform(Prior):
    """Uniform in log x on [min, max], 0 < min < max."""

    min: float
    max: float
    kind: ClassVar[str] = "loguniform"

    def __post_init__(self) -> None:
        _check_range(self.min, self.max, "A log-uniform prior")
        if self.min <= 0:
            raise GlobalfitError(f"A log-uniform prior needs min > 0, got min={self.min:g}.")

    def transform(self, u):
        return self.min * (self.max / self.min) ** u

    def log_prob(self, x):
        inside = (x >= self.min) & (x <= self.max)
        xs = jnp.where(inside, x, self.min)
        return jnp.where(inside, -jnp.log(xs) - math.log(math.log(self.max / self.min)), -jnp.inf)

    def to_numpyro(self):
        return dist.LogUniform(self.min, self.max)

    def standard_form(self):
        return dist.Uniform(0.0, 1.0), self.transform

    @property
    def support(self):
        return (self.min, self.max)


@dataclass(frozen=True)
class Normal(Prior):
    mean: float
    sd: float
    kind: ClassVar[str] = "normal"

    def __post_init__(self) -> None:
        if not self.sd > 0:
            raise GlobalfitError(f"A normal prior needs sd > 0, got sd={self.sd:g}.")

    def transform(self, u):
        u = jnp.clip(u, 1e-16, 1 - 1e-16)
        return self.mean + self.sd * jsp.ndtri(u)

    def log_prob(self, x):
        z = (x - self.mean) / self.sd
        return -0.5 * z**2 - math.log(self.sd * math.sqrt(2 * math.pi))

    def to_numpyro(self):
        return dist.Normal(self.mean, self.sd)

    def standard_form(self):
        return dist.Normal(0.0, 1.0), lambda z: self.mean + self.sd * z

    @property
    def support(self):
        return (-math.inf, math.inf)


@dataclass(frozen=True)
class TruncNormal(Prior):
    mean: float
    sd: float
    min: float
    max: float
    kind: ClassVar[str] = "truncnormal"

    def __post_init__(self) -> None:
        if not self.sd > 0:
            raise GlobalfitError(f"A truncated normal prior needs sd > 0, got sd={self.sd:g}.")
        if not self.min < self.max:
            raise GlobalfitError(
                f"A truncated normal prior needs min < max, got min={self.min:g}, max={self.max:g}."
            )

    def _cdf_bounds(self):
        a = (self.min - self.mean) / self.sd
        b = (self.max - self.mean) / self.sd
        return jsp.ndtr(a), jsp.ndtr(b)

    def transform(self, u):
        ca, cb = self._cdf_bounds()
        p = jnp.clip(ca + u * (cb - ca), 1e-16, 1 - 1e-16)
        return jnp.clip(self.mean + self.sd * jsp.ndtri(p), self.min, self.max)

    def log_prob(self, x):
        ca, cb = self._cdf_bounds()
        z = (x - self.mean) / self.sd
        lp = -0.5 * z**2 - jnp.log(self.sd * math.sqrt(2 * math.pi) * (cb - ca))
        return jnp.where((x >= self.min) & (x <= self.max), lp, -jnp.inf)

    def to_numpyro(self):
        return dist.TruncatedNormal(self.mean, self.sd, low=self.min, high=self.max)

    def standard_form(self):
        lo, hi = (self.min - self.mean) / self.sd, (self.max - self.mean) / self.sd
        return (dist.TruncatedNormal(0.0, 1.0, low=lo, high=hi),
                lambda z: self.mean + self.sd * z)

    @property
    def support(self):
        return (self.min, self.max)


@dataclass(frozen=True)
class MirroredNormal(Prior):
    """Equal mixture of N(mean, sd) and its mirror image N(2 mirror - mean, sd): a measurement
    that cannot tell an angle from its reflection, e.g. theta12 in the light (LMA) or the dark
    (LMA-D, theta12 -> pi/2 - theta12, mirror = pi/4) octant. The transform picks the island with
    u < 1/2 and draws inside it with the rescaled u (exact draws from the mixture)."""

    mean: float
    sd: float
    mirror: float
    kind: ClassVar[str] = "mirrorednormal"

    def __post_init__(self) -> None:
        if not self.sd > 0:
            raise GlobalfitError(f"A mirrored normal prior needs sd > 0, got sd={self.sd:g}.")

    @property
    def image(self) -> float:
        return 2.0 * self.mirror - self.mean

    def transform(self, u):
        low = u < 0.5
        v = jnp.clip(jnp.where(low, 2.0 * u, 2.0 * u - 1.0), 1e-16, 1 - 1e-16)
        return jnp.where(low, self.mean, self.image) + self.sd * jsp.ndtri(v)

    def log_prob(self, x):
        za, zb = (x - self.mean) / self.sd, (x - self.image) / self.sd
        norm = math.log(2.0 * self.sd * math.sqrt(2 * math.pi))
        return jnp.logaddexp(-0.5 * za**2, -0.5 * zb**2) - norm

    def to_numpyro(self):
        return dist.MixtureSameFamily(dist.Categorical(probs=jnp.array([0.5, 0.5])),
                                      dist.Normal(jnp.array([self.mean, self.image]), self.sd))

    def standard_form(self):
        # NUTS cannot jump between the islands: it samples u and maps it (piecewise smooth)
        return dist.Uniform(0.0, 1.0), self.transform

    @property
    def support(self):
        return (-math.inf, math.inf)


@dataclass(frozen=True)
class Fixed(Prior):
    """A parameter held at ``value``: not sampled."""

    value: float
    kind: ClassVar[str] = "fixed"
    fixed: ClassVar[bool] = True

    def transform(self, u):
        return jnp.full_like(u, self.value)

    def log_prob(self, x):
        return jnp.zeros_like(x)

    def to_numpyro(self):
        return dist.Delta(self.value)

    @property
    def support(self):
        return (self.value, self.value)


FAMILIES: dict[str, type[Prior]] = {
    c.kind: c for c in (Uniform, LogUniform, Normal, TruncNormal, MirroredNormal, Fixed)
}
