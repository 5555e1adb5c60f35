"""LaTeX labels of every parameter a run can hold, from one place.

- model parameters: the ``latex`` field of the model's :class:`~globalfit.models.ParameterSpec`
  (declared with the model);
- oscillation parameters shared between likelihoods (``theta12`` ... ``dm31``): :data:`SHARED`;
- a likelihood's own nuisances ``NAME.short``: the likelihood class's optional
  ``nuisance_labels`` mapping (short name -> LaTeX), else a symbol built from the short name
  (Greek names become Greek letters, anything else a relative shift delta) with the experiment
  (:data:`EXPERIMENT_TAGS`, else the likelihood name) as a superscript.

Labels carry no ``$``: GetDist's ``.paramnames`` format and :func:`math` add them where needed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

#: oscillation parameters shared by the long-baseline likelihoods (angles in rad)
SHARED = {
    "theta12": r"\theta_{12}",
    "theta13": r"\theta_{13}",
    "theta23": r"\theta_{23}",
    "delta_cp": r"\delta_\mathrm{CP}",
    "dm21": r"\Delta m^2_{21}\,[\mathrm{eV}^2]",
    "dm31": r"\Delta m^2_{31}\,[\mathrm{eV}^2]",
}

#: short experiment names for the superscript of nuisance labels
EXPERIMENT_TAGS = {
    "coherent_csi_2017": r"CsI\,2017",
    "coherent_csi_2021": r"CsI\,2021",
    "coherent_lar_2020": r"LAr\,2020",
    "dune": "DUNE",
    "t2hk": "T2HK",
    "poisson_counting": "count",
}

_GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "kappa", "mu",
          "nu", "xi", "rho", "sigma", "tau", "phi", "chi", "psi", "omega"}


def _escape(text: str) -> str:
    return text.replace("_", r"\_")


def nuisance_label(likelihood: str, short: str) -> str:
    """LaTeX of the nuisance ``short`` of likelihood ``likelihood``."""
    from globalfit.errors import GlobalfitError
    from globalfit.registry import likelihood_class

    try:
        declared = getattr(likelihood_class(likelihood), "nuisance_labels", {})
    except GlobalfitError:  # a run folder may name a likelihood that is no longer installed
        declared = {}
    if short in declared:
        return declared[short]
    symbol = "\\" + short if short in _GREEK else r"\delta_{\mathrm{" + _escape(short) + "}}"
    tag = EXPERIMENT_TAGS.get(likelihood, _escape(likelihood))
    return symbol + r"^{\mathrm{" + tag + "}}"


def parameter_labels(names: Iterable[str], model: str | Any = None,
                     model_options: Mapping[str, Any] | None = None) -> dict[str, str]:
    """LaTeX label of each name: model parameters of ``model`` (a name or a Model), shared
    oscillation parameters and nuisances ``likelihood.short``; ``\\mathrm{name}`` otherwise."""
    specs = {}
    if model is not None:
        from globalfit.errors import GlobalfitError
        from globalfit.models import get_model

        try:
            specs = get_model(model, **dict(model_options or {})).parameters
        except GlobalfitError:  # an unknown model in an old folder: fall back to plain names
            specs = {}
    out = {}
    for n in names:
        if n in specs and specs[n].latex:
            out[n] = specs[n].latex
        elif n in SHARED:
            out[n] = SHARED[n]
        elif "." in n:
            out[n] = nuisance_label(*n.split(".", 1))
        else:
            out[n] = r"\mathrm{" + _escape(n) + "}"
    return out


def labels_for_summary(summary: Mapping[str, Any], names: Iterable[str]) -> dict[str, str]:
    """Labels of ``names`` for the run a ``summary.json`` describes."""
    model = summary.get("model", {})
    return parameter_labels(names, model.get("name"), model.get("options"))


def math(label: str) -> str:
    """``$label$`` for matplotlib text."""
    return f"${label}$"
