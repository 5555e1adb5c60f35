"""Model base class: a parameter space that provides *capabilities* to likelihoods (physics.md 1).

Likelihoods never read a model's raw parameters. They receive a :class:`Point` and call the
capabilities it exposes (``eps_vector(q2)``, ``eps_matter(Yn)``, ``zprime_couplings()``,
``scalar_couplings()``). One likelihood thereby serves every model that provides what it needs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

import jax.numpy as jnp

from globalfit.errors import GlobalfitError, unknown

#: Flavour order of every 3x3 matrix: e, mu, tau.
FLAVOURS = ("e", "mu", "tau")
#: Fermion order of the first axis of ``eps_vector``: electron, up quark, down quark.
FERMIONS = ("e", "u", "d")
#: LaTeX of the flavour indices, same order as FLAVOURS.
FLAVOUR_TEX = ("e", r"\mu", r"\tau")


def flavour_pair_tex(a: int, b: int) -> str:
    r"""LaTeX of the flavour index pair (a, b), e.g. (0, 1) -> ``e\mu``."""
    return FLAVOUR_TEX[a] + FLAVOUR_TEX[b]

CAPABILITIES = ("eps_vector", "eps_matter", "zprime_couplings", "scalar_couplings")


@dataclass(frozen=True)
class ParameterSpec:
    """One model parameter: default value, physical domain [lo, hi], unit and meaning."""

    default: float
    lo: float = -math.inf
    hi: float = math.inf
    unit: str = ""
    doc: str = ""
    #: LaTeX symbol for plots and exported chains (without $), units in brackets; the one place
    #: a model's parameter labels are declared (globalfit.labels reads it)
    latex: str = ""


class ZprimeCouplings(NamedTuple):
    """U(1)' couplings: gauge coupling, mass [GeV] and charges Q'_f by fermion name.

    ``charges`` keys: ``u d c s t b`` (quarks) and ``e mu tau`` (lepton doublets: the neutrino
    and the charged lepton of that flavour carry the same charge).
    """

    g_prime: Any
    m_zprime: Any
    charges: Mapping[str, float]


class ScalarCouplings(NamedTuple):
    """Leptonic scalar: symmetric 3x3 ``lam[a, b]`` (a, b in e, mu, tau), mass ``m_phi`` [GeV]."""

    lam: Any
    m_phi: Any


class Model:
    """Base class of the parameter spaces. Subclasses set ``name``, ``capabilities`` and
    ``parameters`` and implement the capability methods they list, each taking ``params``
    (a mapping from canonical parameter name to a JAX scalar)."""

    name: ClassVar[str]
    capabilities: ClassVar[frozenset[str]]
    doc: ClassVar[str] = ""
    #: True when eps_vector(q2) is the same for every q2 (contact interactions): a likelihood
    #: may then evaluate eps once and contract its q2 grid at set-up (COHERENT does)
    eps_q2_independent: ClassVar[bool] = False

    def __init__(self, **options: Any) -> None:
        if options:
            raise unknown(f"option of model {self.name!r}", next(iter(options)), [])
        self.options: dict[str, Any] = {}
        self.parameters: dict[str, ParameterSpec] = self._parameters()

    def _parameters(self) -> dict[str, ParameterSpec]:
        raise NotImplementedError

    # -- parameters ---------------------------------------------------------------------------
    @property
    def parameter_names(self) -> list[str]:
        return list(self.parameters)

    def defaults(self) -> dict[str, float]:
        return {k: v.default for k, v in self.parameters.items()}

    def spec(self, name: str) -> ParameterSpec:
        try:
            return self.parameters[name]
        except KeyError:
            raise unknown(f"parameter of model {self.name!r}", name, self.parameters) from None

    def check_range(self, name: str, lo: float, hi: float) -> None:
        """Refuse a prior range [lo, hi] that leaves the parameter's physical domain."""
        s = self.spec(name)
        if lo < s.lo or hi > s.hi:
            raise GlobalfitError(
                f"Parameter {name!r} of model {self.name!r} must lie in [{s.lo:g}, {s.hi:g}]"
                f"{' ' + s.unit if s.unit else ''}; the card asks for [{lo:g}, {hi:g}]."
            )

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "doc": self.doc,
            "capabilities": sorted(self.capabilities),
            "options": dict(self.options),
            "parameters": {
                k: {"default": v.default, "domain": [v.lo, v.hi], "unit": v.unit, "doc": v.doc}
                for k, v in self.parameters.items()
            },
        }

    # -- capabilities (override those listed in ``capabilities``) ---------------------------
    def eps_vector(self, params: Mapping[str, Any], q2: Any) -> Any:
        """eps^{fV}_{ab}(q2), shape ``q2.shape + (3, 3, 3)`` complex, axes (f in e,u,d; a; b)."""
        raise NotImplementedError

    def eps_matter(self, params: Mapping[str, Any], Yn: float = 1.0) -> Any:
        """Effective 3x3 Hermitian eps_ab in matter per electron (physics.md 2), from eps_vector(0):
        eps = eps^e + (2 + Yn) eps^u + (1 + 2 Yn) eps^d."""
        e = self.eps_vector(params, jnp.zeros(()))
        return e[0] + (2.0 + Yn) * e[1] + (1.0 + 2.0 * Yn) * e[2]

    def zprime_couplings(self, params: Mapping[str, Any]) -> ZprimeCouplings:
        raise NotImplementedError

    def scalar_couplings(self, params: Mapping[str, Any]) -> ScalarCouplings:
        raise NotImplementedError


class Point:
    """A model at one parameter point plus one likelihood's nuisance values.

    This is what :meth:`Likelihood.loglike` receives. Capabilities the model lacks raise;
    nuisances are read by their short name: ``point["alpha"]``.
    """

    __slots__ = ("model", "params", "nuisance")

    def __init__(self, model: Model, params: Mapping[str, Any], nuisance: Mapping[str, Any]):
        self.model = model
        self.params = params
        self.nuisance = nuisance

    def _need(self, cap: str) -> None:
        if cap not in self.model.capabilities:
            raise GlobalfitError(f"Model {self.model.name!r} does not provide {cap!r}.")

    def eps_vector(self, q2: Any) -> Any:
        self._need("eps_vector")
        return self.model.eps_vector(self.params, jnp.asarray(q2))

    def eps_matter(self, Yn: float = 1.0) -> Any:
        self._need("eps_matter")
        return self.model.eps_matter(self.params, Yn)

    def zprime_couplings(self) -> ZprimeCouplings:
        self._need("zprime_couplings")
        return self.model.zprime_couplings(self.params)

    def scalar_couplings(self) -> ScalarCouplings:
        self._need("scalar_couplings")
        return self.model.scalar_couplings(self.params)

    def __getitem__(self, key: str) -> Any:
        return self.nuisance[key]
