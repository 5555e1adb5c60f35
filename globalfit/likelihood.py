"""Likelihood base class and data cards.

A likelihood is a class with a ``name``, the model capabilities it ``requires``, a ``citation``,
a ``validity`` statement, keyword ``options`` with defaults, nuisance parameters with default
priors, and ``loglike(point)`` written in ``jax.numpy``. Its numbers live in a TOML data card next
to its module (``card_file``), so a variant of a data set is a new card and a few lines.

A minimal likelihood::

    class MyCount(Likelihood):
        name = "my_count"
        requires = frozenset({"eps_vector"})
        citation = "arXiv:0000.00000"
        card_file = "my_count.toml"

        def loglike(self, point):
            mu = self.card["background"] + self.card["signal"] * point.eps_vector(0.0)[1, 0, 0].real
            return poisson_logpmf(self.card["observed"], mu)
"""

from __future__ import annotations

import inspect
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from globalfit.errors import GlobalfitError, unknown
from globalfit.models.base import Model, Point
from globalfit.schema import check_like
from priors import Prior, prior_from_spec


def load_data_card(path: str | Path) -> dict[str, Any]:
    """Read a TOML data card; a malformed card is one clear error naming the file and line."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise GlobalfitError(f"Data card {path} does not exist.") from None
    except tomllib.TOMLDecodeError as exc:
        raise GlobalfitError(f"Data card {path} is not valid TOML: {exc}.") from None


class Likelihood:
    """Base class of every likelihood (see the module docstring)."""

    name: ClassVar[str]
    requires: ClassVar[frozenset[str]] = frozenset()
    citation: ClassVar[str] = ""
    validity: ClassVar[str] = ""
    #: TOML data card next to the module, or None.
    card_file: ClassVar[str | None] = None
    #: Keyword options and their defaults; run-card keys under ``[likelihoods.NAME]``. A default
    #: also types its option (``globalfit.schema.check_like``: a number, a whole number, a bool,
    #: a string, a list like the default's items, a table; a None default accepts anything).
    options: ClassVar[Mapping[str, Any]] = {}
    #: True for the projection of a future experiment or run (DUNE, T2HK, HL-LHC), False for a
    #: measurement; a combination holding any projection is a projection (architecture.md).
    projection: ClassVar[bool] = False
    #: Points a batch evaluates at once (``jax.lax.map`` with this ``batch_size``), or None for
    #: the whole batch in one vectorised call (the default). For a likelihood whose single point
    #: already fills the vector units with large arrays, a batch axis only multiplies the
    #: temporaries: superk_atm_2023 (70,000 layer operators per point) runs 1.2x faster per
    #: point two at a time (benchmarks/bench_oscillation_data.py). A Fit takes the smallest of
    #: its likelihoods' values.
    batch_size: ClassVar[int | None] = None
    #: True when points of this likelihood may be computed at the same time from several
    #: threads: its computation holds no batched LAPACK custom call (jnp.linalg.*,
    #: jax.scipy.linalg.*; two running at once deadlock in jaxlib 0.10.2; globalfit/linalg.py
    #: has replacements). When every likelihood of a Fit says so and one sets ``batch_size``,
    #: the Fit's batches run one point per call on every CPU core (globalfit/threaded_batch.py).
    parallel_points: ClassVar[bool] = False
    #: the registered name; differs from ``name`` for a second configuration under its own name
    #: (``[likelihoods.NAME] likelihood = "REGISTERED"`` in a card)
    registered_name: str = ""

    def __init__(self, **options: Any) -> None:
        from globalfit.data import recording

        for key in options:
            if key not in self.options:
                raise unknown(f"option of likelihood {self.name!r}", key, self.options)
            options[key] = check_like(options[key], self.options[key],
                                      f"Likelihood {self.name!r} option {key}")
        self.config: dict[str, Any] = {**self.options, **options}
        self.card: dict[str, Any] = (
            load_data_card(self.card_path()) if self.card_file is not None else {}
        )
        with recording() as used:
            self.setup()
        #: ``{release: {file: "sha256:..."}}`` of the data releases this likelihood read.
        self.releases_read: dict[str, dict[str, str]] = used

    @classmethod
    def card_path(cls) -> Path:
        """Path of the data card next to the module that defines the class."""
        return Path(inspect.getfile(cls)).with_name(cls.card_file or "")

    # -- to override -------------------------------------------------------------------------
    def setup(self) -> None:
        """Precompute everything that does not depend on the parameters (called once)."""

    def nuisance_priors(self) -> dict[str, Prior]:
        """Default priors of this likelihood's nuisance parameters, by short name."""
        return {}

    def shared_priors(self) -> dict[str, Prior]:
        """Default priors of nuisance parameters *shared* between likelihoods, by global name
        (the oscillation parameters ``theta12``, ``dm31``, ...). Unprefixed; every likelihood
        that declares the same name sees the same parameter (the first declaration's prior)."""
        return {}

    def check_model(self, model: Model, ranges: Mapping[str, tuple[float, float]]) -> None:
        """Refuse a model or a parameter range outside this likelihood's validity (raise
        :class:`GlobalfitError`). ``ranges`` maps each model parameter to its (lo, hi) range."""

    def require_within(self, ranges: Mapping[str, tuple[float, float]], param: str, lo: float,
                       hi: float, unit: str = "GeV") -> None:
        """Refuse a card whose range of ``param`` leaves this likelihood's validity window
        [lo, hi] (for :meth:`check_model`); a parameter the model lacks is not checked."""
        if param not in ranges:
            return
        a, b = ranges[param]
        if a < lo * (1 - 1e-9) or b > hi * (1 + 1e-9):
            raise GlobalfitError(
                f"Likelihood {self.name!r} applies for {lo:g} {unit} <= {param} <= {hi:g} {unit}; "
                f"the card asks for [{a:g}, {b:g}] {unit}.")

    def require_parameters(self, model: Model, names: list[str], option: str) -> None:
        """Refuse names in option ``option`` that are not parameters of ``model`` (for
        likelihoods that read named model parameters, e.g. the analytic test likelihoods)."""
        for n in names:
            if n not in model.parameters:
                raise unknown(f"parameter of model {model.name!r} in option {option!r} of "
                              f"likelihood {self.name!r}:", str(n), model.parameter_names)

    @classmethod
    def kind(cls) -> str:
        """``measurement`` (published data), ``projection`` (a future experiment or luminosity)
        or ``test`` (the analytic likelihoods of likelihoods/testing)."""
        if cls.__module__.startswith("likelihoods.testing"):
            return "test"
        return "projection" if cls.projection else "measurement"

    def is_projection(self) -> bool:
        """Whether this configured likelihood is a projection; options can make a measurement's
        likelihood one (e.g. a higher luminosity or energy than the data it was built from)."""
        return self.projection

    def loglike(self, point: Point) -> Any:
        """log L at ``point`` (a JAX scalar); ``point`` exposes the model's capabilities."""
        raise NotImplementedError

    def expected(self, point: Point) -> dict[str, Any]:
        """Expected counts per bin for each sample (signal and each background apart)."""
        raise GlobalfitError(f"Likelihood {self.name!r} is not a counting experiment.")

    # -- helpers ---------------------------------------------------------------------------
    def nuisance_prior(self, short: str, spec: Any) -> Prior:
        return prior_from_spec(f"{self.name}.{short}", spec)

    @classmethod
    def describe(cls) -> dict[str, Any]:
        return {
            "name": cls.name,
            "requires": sorted(cls.requires),
            "citation": cls.citation,
            "validity": cls.validity,
            "projection": cls.projection,
            "kind": cls.kind(),
            "options": {k: v for k, v in cls.options.items()},
            "doc": (inspect.getdoc(cls) or "").split("\n\n")[0],
        }
