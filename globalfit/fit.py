"""Fit: the combiner. Sum of log-likelihoods plus priors over a model's parameters and every
likelihood's nuisances, jit-compiled, vectorised over batches of points and differentiable.

Points are vectors ``theta`` over :attr:`Fit.parameters` (free parameters, in order), or mappings
from parameter name to value. A leading batch axis evaluates many points in one vectorised call.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from globalfit.card import RunCard
from globalfit.errors import GlobalfitError, suggest
from globalfit.likelihood import Likelihood
from globalfit.models import Model, Point, get_model
from globalfit.registry import get_likelihood
from priors import Fixed, Prior, prior_from_spec


class Fit:
    """Model + likelihoods + priors.

    ``priors`` maps parameter names to a :class:`~priors.Prior`, a run-card spec
    (``{prior = "uniform", min = .., max = ..}``) or a number (fixed). Model parameters not named
    stay at the model's default; nuisance parameters (``likelihood.short``) take their
    likelihood's default prior unless named.
    """

    def __init__(
        self,
        model: str | Model = "nsi",
        likelihoods: Sequence[str | Likelihood] = (),
        priors: Mapping[str, Any] | None = None,
        model_options: Mapping[str, Any] | None = None,
        likelihood_options: Mapping[str, Mapping[str, Any]] | None = None,
        prior_set: str = "default",
        card: RunCard | None = None,
    ) -> None:
        self.model = get_model(model, **dict(model_options or {}))
        self.card = card
        opts = dict(likelihood_options or {})
        self.likelihoods: list[Likelihood] = []
        for lik in likelihoods:
            if not isinstance(lik, Likelihood):
                lik = get_likelihood(lik, **dict(opts.get(lik, {})))
            self._check_capabilities(lik)
            if any(existing.name == lik.name for existing in self.likelihoods):
                raise GlobalfitError(f"Likelihood {lik.name!r} is listed twice.")
            self.likelihoods.append(lik)
        self._resolve_priors(dict(priors or {}), prior_set)
        ranges = {n: self._range(n) for n in self.model.parameter_names}
        for lik in self.likelihoods:
            lik.check_model(self.model, ranges)
        self._build()

    @classmethod
    def from_card(cls, card: str | Path | RunCard) -> Fit:
        """Build the Fit a run card describes."""
        if not isinstance(card, RunCard):
            card = RunCard.load(card)
        return cls(
            model=card.model, likelihoods=card.likelihoods, priors=card.parameters,
            model_options=card.model_options, likelihood_options=card.likelihood_options,
            prior_set=card.prior_set, card=card,
        )

    # -- set-up -----------------------------------------------------------------------------
    def _check_capabilities(self, lik: Likelihood) -> None:
        missing = sorted(lik.requires - self.model.capabilities)
        if missing:
            raise GlobalfitError(
                f"Likelihood {lik.name!r} needs {', '.join(missing)}, which model "
                f"{self.model.name!r} does not provide (it provides "
                f"{', '.join(sorted(self.model.capabilities))})."
            )

    def _resolve_priors(self, given: dict[str, Any], prior_set: str) -> None:
        nuisance: dict[str, Prior] = {}
        for lik in self.likelihoods:
            for short, prior in lik.nuisance_priors().items():
                nuisance[f"{lik.name}.{short}"] = prior
            for name, prior in lik.shared_priors().items():
                if name in self.model.parameters:
                    raise GlobalfitError(f"Likelihood {lik.name!r} declares a shared nuisance "
                                         f"{name!r} that clashes with a model parameter.")
                if name in nuisance and nuisance[name] != prior and name not in given:
                    first = next(lk.name for lk in self.likelihoods
                                 if name in lk.shared_priors())
                    raise GlobalfitError(
                        f"Likelihoods {first!r} and {lik.name!r} declare different priors for "
                        f"the shared parameter {name!r} ({nuisance[name].to_spec()} vs "
                        f"{prior.to_spec()}); give them the same options or set its prior in "
                        "the card.")
                nuisance.setdefault(name, prior)
        known = [*self.model.parameter_names, *nuisance]
        for name in given:
            if name not in known:
                raise GlobalfitError(
                    f"Unknown parameter {name!r} for model {self.model.name!r}"
                    + (f" with {', '.join(lk.name for lk in self.likelihoods)}"
                       if self.likelihoods else "") + "." + suggest(name, known)
                )
        self.priors: dict[str, Prior] = {}
        self.fixed: dict[str, float] = {}
        #: tied parameters: name -> (other, factor), value = factor x value of other
        self.tied: dict[str, tuple[str, float]] = {}
        defaults = self.model.defaults()
        for name, spec in given.items():
            if isinstance(spec, Mapping) and "same_as" in spec:
                self.tied[name] = self._tie(name, spec, given, known)
                continue
            prior = prior_from_spec(name, spec, self.model.name, prior_set)
            if name in defaults:
                lo, hi = prior.support
                self.model.check_range(name, lo, hi)
            if isinstance(prior, Fixed):
                self.fixed[name] = prior.value
            else:
                self.priors[name] = prior
        for name, value in defaults.items():
            if name not in given:
                self.fixed[name] = value
        for name, (other, _) in self.tied.items():
            if other not in self.priors and other not in self.fixed:
                raise GlobalfitError(f"Parameter {name!r} is tied to {other!r}, which has no "
                                     "value or prior of its own.")
        for name, prior in nuisance.items():
            if name not in given:
                if isinstance(prior, Fixed):
                    self.fixed[name] = prior.value
                else:
                    self.priors[name] = prior
        self.parameters: list[str] = list(self.priors)

    def _range(self, name: str) -> tuple[float, float]:
        """(lo, hi) that a parameter can take: its prior's support, its fixed value, or (for a
        tied parameter) its partner's range times the tie's factor."""
        if name in self.tied:
            other, k = self.tied[name]
            lo, hi = (k * v for v in self._range(other))
            return (min(lo, hi), max(lo, hi))
        return self.priors[name].support if name in self.priors else (self.fixed[name],) * 2

    @staticmethod
    def _tie(name: str, spec: Mapping[str, Any], given: Mapping[str, Any], known: list[str]
             ) -> tuple[str, float]:
        """``{same_as = "other", scale = k}``: the parameter equals k x other (k = 1 default),
        e.g. quark-universal NSI ``eps_ee_d = { same_as = "eps_ee_u" }``."""
        other = spec["same_as"]
        extra = [k for k in spec if k not in ("same_as", "scale")]
        if extra:
            raise GlobalfitError(f"Parameter {name!r}: a tie takes only same_as and scale, not "
                                 f"{extra[0]!r}.")
        if other not in known:
            raise GlobalfitError(f"Parameter {name!r} is tied to unknown parameter {other!r}."
                                 + suggest(str(other), known))
        if isinstance(given.get(other), Mapping) and "same_as" in given[other]:
            raise GlobalfitError(f"Parameter {name!r} is tied to {other!r}, which is itself "
                                 "tied; tie both to the same free parameter.")
        try:
            return other, float(spec.get("scale", 1.0))
        except (TypeError, ValueError):
            raise GlobalfitError(f"Parameter {name!r}: scale must be a number.") from None

    def _build(self) -> None:
        names = self.parameters
        model = self.model
        mnames = model.parameter_names
        fixed = {k: jnp.asarray(v, float) for k, v in self.fixed.items()}
        # (likelihood, [(name it reads, global parameter name)])
        liks = [(lik, [(s, f"{lik.name}.{s}") for s in lik.nuisance_priors()]
                 + [(s, s) for s in lik.shared_priors()]) for lik in self.likelihoods]
        priors = [self.priors[n] for n in names]

        tied = dict(self.tied)

        def values(theta):
            vals = dict(fixed)
            vals.update({n: theta[i] for i, n in enumerate(names)})
            vals.update({n: k * vals[other] for n, (other, k) in tied.items()})
            return vals

        def components(theta):
            v = values(theta)
            mp = {k: v[k] for k in mnames}
            out = [jnp.asarray(lik.loglike(Point(model, mp, {s: v[g] for s, g in sh})),
                               float).reshape(())
                   for lik, sh in liks]
            return jnp.stack(out) if out else jnp.zeros((0,))

        def loglike(theta):
            return jnp.sum(components(theta))

        def logprior(theta):
            return sum((p.log_prob(theta[i]) for i, p in enumerate(priors)), jnp.zeros(()))

        def logpost(theta):
            lp = logprior(theta)
            return jnp.where(jnp.isfinite(lp), lp + loglike(theta), -jnp.inf)

        def transform(u):
            return jnp.stack([p.transform(u[..., i]) for i, p in enumerate(priors)], axis=-1)

        def expected(theta):
            v = values(theta)
            mp = {k: v[k] for k in mnames}
            out = {}
            for lik, sh in liks:
                try:
                    out[lik.name] = lik.expected(
                        Point(model, mp, {s: v[g] for s, g in sh}))
                except GlobalfitError:
                    continue
            return out

        self._values = values
        chunk = self.CHUNK

        def batched(f):
            # one compiled call per batch shape: a vmap over chunks of at most CHUNK points,
            # looped inside XLA (bounded memory; no Python loop over chunks)
            return jax.jit(lambda xs: jax.lax.map(f, xs, batch_size=chunk))

        self._f = {name: (jax.jit(f), batched(f)) for name, f in
                   (("components", components), ("loglike", loglike),
                    ("logprior", logprior), ("logpost", logpost))}
        self._transform = jax.jit(transform)
        self._grad = jax.jit(jax.value_and_grad(logpost))
        self._expected = jax.jit(expected)
        self.raw_loglike = loglike  # un-jitted, for composing (samplers, benchmarks)
        self.raw_logpost = logpost

    # -- evaluation -------------------------------------------------------------------------
    @property
    def ndim(self) -> int:
        return len(self.parameters)

    @property
    def likelihood_names(self) -> list[str]:
        return [lik.name for lik in self.likelihoods]

    def vector(self, point: Mapping[str, Any]) -> jax.Array:
        """Free-parameter vector (batched if the values are arrays) from a name -> value map."""
        extra = [k for k in point if k not in self.priors and k not in self.fixed
                 and k not in self.tied]
        if extra:
            raise GlobalfitError(f"Unknown parameter {extra[0]!r}."
                                 + suggest(extra[0], [*self.priors, *self.fixed]))
        missing = [n for n in self.parameters if n not in point]
        if missing:
            raise GlobalfitError(f"The point has no value for free parameter {missing[0]!r}.")
        if not self.parameters:  # every parameter fixed: the empty vector
            return jnp.zeros((0,))
        return jnp.stack([jnp.asarray(point[n], float) for n in self.parameters], axis=-1)

    def _theta(self, x: Any) -> jax.Array:
        if isinstance(x, Mapping):
            return self.vector(x)
        if not isinstance(x, jax.Array):
            x = jnp.asarray(x, float)
        if (x.ndim == 0 and self.ndim) or (x.ndim and x.shape[-1] != self.ndim):
            raise GlobalfitError(
                f"A point needs {self.ndim} values ({', '.join(self.parameters)}), got shape "
                f"{tuple(x.shape)}.")
        return x

    #: Largest number of points in one vectorised step; bigger batches are mapped over chunks of
    #: this size inside the compiled call (``jax.lax.map``), which bounds memory. XLA:CPU has been
    #: seen to stall on one very large vmap (DUNE + T2HK at 2000 points at once).
    CHUNK = 512

    def _call(self, what: str, x: Any) -> jax.Array:
        theta = self._theta(x)
        single, batched = self._f[what]
        if theta.ndim == 1:
            return single(theta)
        out = batched(theta.reshape(-1, self.ndim))
        return out.reshape(theta.shape[:-1] + out.shape[1:])

    def loglike(self, x: Any) -> jax.Array:
        """Total log-likelihood at a point or a batch of points."""
        return self._call("loglike", x)

    def loglike_components(self, x: Any) -> dict[str, jax.Array]:
        """Log-likelihood of each likelihood, by name."""
        c = self._call("components", x)
        return {n: c[..., i] for i, n in enumerate(self.likelihood_names)}

    def logprior(self, x: Any) -> jax.Array:
        return self._call("logprior", x)

    def logpost(self, x: Any) -> jax.Array:
        """Unnormalised log-posterior: log prior + log-likelihood (-inf outside the prior)."""
        return self._call("logpost", x)

    def logpost_and_grad(self, x: Any) -> tuple[jax.Array, jax.Array]:
        return self._grad(self._theta(x))

    def prior_transform(self, u: Any) -> np.ndarray:
        """Map the unit cube onto the prior (dynesty's prior_transform)."""
        return np.asarray(self._transform(jnp.asarray(u, float)))

    def point(self, x: Any) -> dict[str, float]:
        """Every parameter's value (free, fixed and defaults) at one point."""
        v = self._values(self._theta(x))
        nuisance_fixed = [k for k in self.fixed if k not in self.model.parameters]
        names = [*self.model.parameter_names, *self.parameters, *nuisance_fixed]
        return {k: float(v[k]) for k in dict.fromkeys(names)}

    def expected(self, x: Any) -> dict[str, dict[str, np.ndarray]]:
        """``{likelihood: {sample: expected counts per bin}}`` at one point."""
        out = self._expected(self._theta(x))
        return jax.tree_util.tree_map(np.asarray, out)

    def check_finite(self, theta: Any, value: Any) -> None:
        """Raise a clear error naming the point where a likelihood returned NaN."""
        v = np.asarray(value)
        if np.all(np.isfinite(v) | (v == -np.inf)):
            return
        theta = np.atleast_2d(np.asarray(theta))
        bad = int(np.flatnonzero(~(np.isfinite(v) | (v == -np.inf)).ravel())[0])
        comps = self.loglike_components(theta[bad])
        culprit = next((n for n, c in comps.items() if not math.isfinite(float(c))
                        and float(c) != -math.inf), "?")
        pt = ", ".join(f"{n}={x:.6g}" for n, x in zip(self.parameters, theta[bad], strict=True))
        raise GlobalfitError(f"Likelihood {culprit!r} returned NaN at {pt}.")

    def describe(self) -> dict[str, Any]:
        return {
            "model": self.model.describe(),
            "likelihoods": [lik.describe() | {"config": lik.config} for lik in self.likelihoods],
            "parameters": {n: self.priors[n].to_spec() for n in self.parameters},
            "fixed": dict(self.fixed),
        }
