"""Fit: the combiner. Sum of log-likelihoods plus priors over a model's parameters and every
likelihood's nuisances, jit-compiled, vectorised over batches of points and differentiable.

Points are vectors ``theta`` over :attr:`Fit.parameters` (free parameters, in order), or mappings
from parameter name to value. A leading batch axis evaluates many points in one vectorised call.

Compilation happens once per *card shape*: the jitted functions take the free-parameter values
and the values of the parameters the card fixes as runtime inputs, and are shared by every Fit
of the same model, likelihoods (with their options), free parameters and priors, whatever the
fixed values. A scan over a fixed mass therefore compiles once per worker process, not once per
point. Likelihood instances (their set-up: data releases read, responses tabulated) are shared
the same way.
"""

from __future__ import annotations

import json
import math
import os
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from functools import partial
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
from globalfit.threaded_batch import ThreadedBatch, cpu_cores
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
        check_ranges: bool = True,
    ) -> None:
        self.model = get_model(model, **dict(model_options or {}))
        self.card = card
        opts = dict(likelihood_options or {})
        self.likelihoods: list[Likelihood] = []
        for lik in likelihoods:
            if not isinstance(lik, Likelihood):
                lik = _shared_likelihood(*_registered(lik, dict(opts.get(lik, {}))), alias=lik)
            self._check_capabilities(lik)
            if any(existing.name == lik.name for existing in self.likelihoods):
                raise GlobalfitError(f"Likelihood {lik.name!r} is listed twice.")
            self.likelihoods.append(lik)
        self._resolve_priors(dict(priors or {}), prior_set)
        ranges = {n: self._range(n) for n in self.model.parameter_names}
        for lik in self.likelihoods if check_ranges else ():
            lik.check_model(self.model, ranges)
        self._build()

    @classmethod
    def from_card(cls, card: str | Path | RunCard, check_ranges: bool = True) -> Fit:
        """Build the Fit a run card describes. ``check_ranges=False`` skips the likelihoods'
        validity windows (a scan or combine job checks them value by value, combination by
        combination)."""
        if not isinstance(card, RunCard):
            card = RunCard.load(card)
        return cls(
            model=card.model, likelihoods=card.likelihoods, priors=card.parameters,
            model_options=card.model_options, likelihood_options=card.likelihood_options,
            prior_set=card.prior_set, card=card, check_ranges=check_ranges,
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
        #: parameters the card fixes: runtime inputs of the compiled functions, so every value
        #: (each point of a scan) shares one compilation; defaults are compile-time constants
        self._runtime_fixed: list[str] = list(self.fixed)
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

    def _shape_key(self) -> tuple | None:
        """What the compiled functions depend on besides the runtime inputs (free-parameter
        values and the values of the parameters the card fixes): the model, the likelihood
        instances, the free parameters and their priors, the constant defaults and the ties.
        None when something in it cannot be compared by value (then nothing is shared)."""
        try:
            return (
                type(self.model).__module__, type(self.model).__qualname__,
                _canonical(self.model.options),
                tuple(id(lik) for lik in self.likelihoods),
                tuple((n, type(self.priors[n]).__qualname__, _canonical(self.priors[n].to_spec()))
                      for n in self.parameters),
                tuple(self._runtime_fixed),
                tuple((k, float(v)) for k, v in self.fixed.items()
                      if k not in self._runtime_fixed),
                tuple(sorted((n, o, float(k)) for n, (o, k) in self.tied.items())),
            )
        except TypeError:
            return None

    def _build(self) -> None:
        self._fixed_values = jnp.asarray([self.fixed[n] for n in self._runtime_fixed], float)
        key = self._shape_key()
        compiled = _COMPILED.get(key) if key is not None else None
        if compiled is None:
            compiled = _CompiledFit(self)
            if key is not None:
                _COMPILED.put(key, compiled)
        self._c = compiled
        fixed = self._fixed_values
        self.raw_loglike = partial(compiled.loglike, fixed=fixed)  # for composing (NUTS, ...)
        self.raw_logpost = partial(compiled.logpost, fixed=fixed)

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

    def _theta(self, x: Any) -> Any:
        """A point or batch as a float64 array: JAX arrays (and tracers) pass through, anything
        else becomes a NumPy array, which a jitted function takes without a conversion call."""
        if isinstance(x, Mapping):
            return self.vector(x)
        if not isinstance(x, jax.Array):
            x = np.asarray(x, dtype=np.float64)
        if (x.ndim == 0 and self.ndim) or (x.ndim and x.shape[-1] != self.ndim):
            raise GlobalfitError(
                f"A point needs {self.ndim} values ({', '.join(self.parameters)}), got shape "
                f"{tuple(x.shape)}.")
        return x

    #: Largest number of points in one vectorised call; bigger batches go in chunks of this size.
    #: A batch is padded to the next power of two (at most CHUNK), so a Fit compiles at most
    #: log2(CHUNK) + 1 batch shapes whatever the samplers ask for. XLA:CPU has been seen to
    #: stall on one very large vmap (DUNE + T2HK at 2000 points at once).
    CHUNK = 512

    def _batch(self, f: Callable[..., Any], xs: Any, *args: Any) -> Any:
        """``f`` over the rows of ``xs`` (n, d) in padded chunks (see :attr:`CHUNK`). NumPy in,
        NumPy out (no JAX operation, hence no compilation, outside ``f``)."""
        host = isinstance(xs, np.ndarray)
        xp = np if host else jnp
        n = xs.shape[0]
        outs = []
        for s in range(0, max(n, 1), self.CHUNK):
            part = xs[s:s + self.CHUNK] if n else xp.zeros((1,) + xs.shape[1:])
            m = part.shape[0]
            size = 1 << (m - 1).bit_length() if getattr(f, "pads", True) else m
            if size != m:
                part = xp.concatenate([part, xp.repeat(part[:1], size - m, axis=0)])
            out = f(part, *args)
            if host:
                out = jax.tree_util.tree_map(np.asarray, out)
            if size != m or not n:
                out = jax.tree_util.tree_map(lambda o, k=m if n else 0: o[:k], out)
            outs.append(out)
        return outs[0] if len(outs) == 1 else jax.tree_util.tree_map(
            lambda *o: xp.concatenate(o), *outs)

    def _call(self, what: str, x: Any) -> jax.Array:
        theta = self._theta(x)
        single, batched = self._c.functions[what]
        if theta.ndim == 1:
            return single(theta, self._fixed_values)
        out = self._batch(batched, theta.reshape(-1, self.ndim), self._fixed_values)
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
        return self._c.logpost_grad(self._theta(x), self._fixed_values)

    def chi2_and_grad(self, x: Any) -> tuple[jax.Array, jax.Array]:
        """-2 (log L + the log-priors of the nuisance parameters) and its gradient at one point:
        the profile-likelihood objective (nuisance priors are penalties, model-parameter priors
        are not; :mod:`globalfit.profile`)."""
        return self._c.chi2_grad(self._theta(x), self._fixed_values)

    def prior_transform(self, u: Any) -> np.ndarray:
        """Map the unit cube onto the prior (dynesty's prior_transform); one point or a batch."""
        u = np.asarray(u, dtype=np.float64)
        if u.ndim <= 1:
            return np.asarray(self._c.transform(u))
        return np.asarray(self._batch(self._c.transform, u.reshape(-1, u.shape[-1]))
                          ).reshape(u.shape)

    def cube_loglike(self, u: Any) -> Any:
        """log L at the prior transform of unit-cube point(s) ``u``, in one jitted call: the
        fast path of the nested samplers, which then run with an identity prior transform.
        NumPy in, a float (one point) or a NumPy array (a batch, shape ``u.shape[:-1]``) out;
        a NaN raises :class:`GlobalfitError` naming the likelihood and the point."""
        u = np.asarray(u, dtype=np.float64)
        if u.ndim == 1 and u.shape[0] == self.ndim:
            v = float(np.asarray(self._c.cube_loglike(u, self._fixed_values)))
            if v != v or v == math.inf:
                self.check_finite(self.prior_transform(u), v)
            return v
        if u.ndim < 1 or u.shape[-1] != self.ndim:
            raise GlobalfitError(f"A unit-cube point needs {self.ndim} values, got shape "
                                 f"{tuple(u.shape)}.")
        flat = u.reshape(-1, self.ndim)
        out = np.asarray(self._batch(self._c.cube_loglike_batched, flat, self._fixed_values))
        if not np.all(np.isfinite(out) | (out == -np.inf)):
            self.check_finite(self.prior_transform(flat), out)
        return out.reshape(u.shape[:-1])

    def point(self, x: Any) -> dict[str, float]:
        """Every parameter's value (free, fixed and defaults) at one point."""
        v = self._c.values(self._theta(x), self._fixed_values)
        nuisance_fixed = [k for k in self.fixed if k not in self.model.parameters]
        names = [*self.model.parameter_names, *self.parameters, *nuisance_fixed]
        return {k: float(v[k]) for k in dict.fromkeys(names)}

    def expected(self, x: Any) -> dict[str, dict[str, np.ndarray]]:
        """``{likelihood: {sample: expected counts per bin}}`` at one point."""
        out = self._c.expected(self._theta(x), self._fixed_values)
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


# -- sharing set-up and compilations between Fits of one card shape -----------------------------
class _LRU:
    """A small least-recently-used cache."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.items: OrderedDict[Any, Any] = OrderedDict()

    def get(self, key: Any) -> Any:
        if key in self.items:
            self.items.move_to_end(key)
            return self.items[key]
        return None

    def put(self, key: Any, value: Any) -> None:
        self.items[key] = value
        self.items.move_to_end(key)
        while len(self.items) > self.size:
            self.items.popitem(last=False)

    def clear(self) -> None:
        self.items.clear()


#: likelihood instances by (name, options, data folder); compiled functions by card shape
_LIKELIHOODS = _LRU(32)
_COMPILED = _LRU(16)


def clear_caches() -> None:
    """Forget the shared likelihood instances and compiled functions (the next Fit rebuilds)."""
    _LIKELIHOODS.clear()
    _COMPILED.clear()


def _canonical(x: Any) -> str:
    """A JSON text that compares equal exactly when ``x`` does (TypeError if it cannot)."""
    def plain(v: Any) -> Any:
        if isinstance(v, Mapping):
            return {str(k): plain(w) for k, w in v.items()}
        if isinstance(v, list | tuple):
            return [plain(w) for w in v]
        if isinstance(v, np.ndarray):
            return plain(v.tolist())
        if isinstance(v, np.generic):
            return v.item()
        if v is None or isinstance(v, bool | int | float | str):
            return v
        raise TypeError(f"cannot compare {type(v).__name__} by value")

    return json.dumps(plain(x), sort_keys=True)


def _registered(name: str, options: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(registered likelihood, its options) of a card entry. An entry whose options name
    ``likelihood = "REGISTERED"`` is a second configuration of a registered likelihood under its
    own name (e.g. the HL-LHC option set of a search beside the published one)."""
    if "likelihood" not in options:
        return name, options
    options = dict(options)
    base = options.pop("likelihood")
    if not isinstance(base, str):
        raise GlobalfitError(f"[likelihoods.{name}] likelihood must be the name of a registered "
                             "likelihood.")
    from globalfit.registry import list_likelihoods

    if name != base and name in list_likelihoods():
        raise GlobalfitError(f"{name!r} is a registered likelihood; give the configuration of "
                             f"{base!r} another name.")
    return base, options


def _shared_likelihood(name: str, options: dict[str, Any], alias: str | None = None
                       ) -> Likelihood:
    """The registered likelihood ``name`` with ``options`` (named ``alias`` in the card), built
    once per process (per data folder) and shared by every Fit that asks for the same."""
    alias = alias or name
    try:
        key = (name, alias, _canonical(options), os.environ.get("GLOBALFIT_DATA_DIR"))
    except TypeError:
        key = None
    lik = _LIKELIHOODS.get(key) if key is not None else None
    if lik is None:
        lik = get_likelihood(name, **options)
        if alias != name:  # a second configuration: its own name, nuisances and options table
            lik.name = alias
            lik.registered_name = name
        if key is not None:
            _LIKELIHOODS.put(key, lik)
    return lik


class _CompiledFit:
    """The jitted functions of one card shape. Every function takes ``theta`` (free parameters)
    and ``fixed`` (the values of the parameters the card fixes, in ``Fit._runtime_fixed`` order)."""

    def __init__(self, fit: Fit) -> None:
        names = list(fit.parameters)
        model = fit.model
        mnames = model.parameter_names
        runtime = list(fit._runtime_fixed)
        const = {k: jnp.asarray(v, float) for k, v in fit.fixed.items() if k not in runtime}
        # (likelihood, [(name it reads, global parameter name)])
        liks = [(lik, [(s, f"{lik.name}.{s}") for s in lik.nuisance_priors()]
                 + [(s, s) for s in lik.shared_priors()]) for lik in fit.likelihoods]
        self.likelihoods = list(fit.likelihoods)  # keeps the instances (and their ids) alive
        priors = [fit.priors[n] for n in names]
        nuisance = [(i, p) for i, (n, p) in enumerate(zip(names, priors, strict=True))
                    if n not in model.parameters]
        tied = dict(fit.tied)

        def values(theta, fixed):
            vals = dict(const)
            vals.update({n: fixed[i] for i, n in enumerate(runtime)})
            vals.update({n: theta[i] for i, n in enumerate(names)})
            vals.update({n: k * vals[other] for n, (other, k) in tied.items()})
            return vals

        def points(theta, fixed):
            v = values(theta, fixed)
            mp = {k: v[k] for k in mnames}
            return [(lik, Point(model, mp, {s: v[g] for s, g in sh})) for lik, sh in liks]

        def components(theta, fixed):
            out = [jnp.asarray(lik.loglike(p), float).reshape(()) for lik, p in
                   points(theta, fixed)]
            return jnp.stack(out) if out else jnp.zeros((0,))

        def loglike(theta, fixed):
            return jnp.sum(components(theta, fixed))

        def logprior(theta, fixed):
            return sum((p.log_prob(theta[i]) for i, p in enumerate(priors)), jnp.zeros(()))

        def logpost(theta, fixed):
            lp = logprior(theta, fixed)
            return jnp.where(jnp.isfinite(lp), lp + loglike(theta, fixed), -jnp.inf)

        def chi2(theta, fixed):
            pulls = sum((p.log_prob(theta[i]) for i, p in nuisance), jnp.zeros(()))
            return -2.0 * (loglike(theta, fixed) + pulls)

        def transform(u):
            if not priors:
                return jnp.zeros(u.shape)
            return jnp.stack([p.transform(u[..., i]) for i, p in enumerate(priors)], axis=-1)

        def cube_loglike(u, fixed):
            return loglike(transform(u), fixed)

        def expected(theta, fixed):
            out = {}
            for lik, p in points(theta, fixed):
                try:
                    out[lik.name] = lik.expected(p)
                except GlobalfitError:
                    continue
            return out

        sizes = [lik.batch_size for lik in fit.likelihoods if lik.batch_size]
        self.batch_size = min(sizes) if sizes else None
        # batches of expensive likelihoods: one point per call on every core when all allow it
        cores = cpu_cores() if jax.default_backend() == "cpu" else 1
        self.point_threads = cores if (
            self.batch_size is not None and cores > 1
            and all(lik.parallel_points for lik in fit.likelihoods)) else 1

        def both(f):
            single = jax.jit(f)
            if self.batch_size is None:
                return single, jax.jit(jax.vmap(f, in_axes=(0, None)))
            if self.point_threads > 1:
                return single, ThreadedBatch(single, self.point_threads)
            return single, jax.jit(lambda xs, fixed: jax.lax.map(
                lambda x: f(x, fixed), xs, batch_size=self.batch_size))

        self.loglike, self.logpost = loglike, logpost
        self.values = values
        self.functions = {name: both(f) for name, f in
                          (("components", components), ("loglike", loglike),
                           ("logprior", logprior), ("logpost", logpost))}
        self.transform = jax.jit(transform)
        self.cube_loglike, self.cube_loglike_batched = both(cube_loglike)
        self.logpost_grad = jax.jit(jax.value_and_grad(logpost))
        self.chi2_grad = jax.jit(jax.value_and_grad(chi2))
        self.expected = jax.jit(expected)
