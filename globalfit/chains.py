"""A run's posterior samples as chain-analysis tools see them: weighted samples with ln L, the
birth contours of nested sampling, chain indices of MCMC, prior ranges and LaTeX labels.

Nested runs (dynesty) give their weighted dead points, the most informative form (weights
exp(ln w - max ln w)); NUTS runs give every draw of every chain with weight 1. Corner plots
(:mod:`globalfit.plots`) and exports (:mod:`globalfit.export`) both start from :class:`Chains`.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from globalfit.errors import GlobalfitError
from globalfit.labels import labels_for_summary
from globalfit.results import POSTERIOR, load_summary


def _finite(v: float | None) -> bool:
    return v is not None and math.isfinite(v)


@dataclass
class Chains:
    """Samples of one run. ``samples`` is (n, len(names)); ``chain`` the MCMC chain of each
    sample (None for nested runs); ``logl_birth`` the nested-sampling birth contours (None for
    MCMC); ``name`` the run's short name (legends, exported file roots)."""

    names: list[str]
    samples: np.ndarray
    weights: np.ndarray
    loglike: np.ndarray
    summary: dict[str, Any]
    name: str
    logl_birth: np.ndarray | None = None
    chain: np.ndarray | None = None
    #: a reweighted run (``reweight`` sampler): ln L of its base run at each point, to which
    #: ``logl_birth`` belongs (``loglike`` = ln L_base + ln L_added)
    loglike_base: np.ndarray | None = None

    @property
    def nested(self) -> bool:
        return self.chain is None

    @property
    def labels(self) -> dict[str, str]:
        """LaTeX label per parameter (globalfit.labels)."""
        return labels_for_summary(self.summary, self.names)

    def prior(self, name: str) -> dict[str, Any]:
        return self.summary.get("priors", {}).get(name, {})

    def prior_range(self, name: str) -> tuple[float | None, float | None]:
        """Hard edges of the prior (None where it has none): where the posterior may be cut."""
        p = self.prior(name)
        lo, hi = (p.get(k) for k in ("min", "max"))
        return (lo if _finite(lo) else None, hi if _finite(hi) else None)

    def log_uniform(self, name: str) -> bool:
        return self.prior(name).get("prior") == "loguniform"

    @property
    def model_parameters(self) -> list[str]:
        """Sampled parameters of the model (couplings, masses), without nuisances."""
        from globalfit.models import get_model

        m = self.summary["model"]
        known = get_model(m["name"], **m.get("options", {})).parameters
        return [n for n in self.names if n in known]

    def column(self, name: str) -> np.ndarray:
        return self.samples[:, self.names.index(name)]

    @classmethod
    def from_idata(cls, idata: Any, summary: dict[str, Any], name: str) -> Chains:
        """From an ArviZ InferenceData of :func:`globalfit.results.build_inference_data`."""
        names = list(summary["parameters"])
        if "nested_samples" in idata.groups():
            ns = idata.nested_samples
            logwt = np.asarray(ns["logwt"], float)
            birth = np.asarray(ns["logl_birth"], float) if "logl_birth" in ns else None
            base = np.asarray(ns["logl_base"], float) if "logl_base" in ns else None
            return cls(names=names, samples=np.column_stack([np.asarray(ns[n]) for n in names]),
                       weights=np.exp(logwt - logwt.max()), loglike=np.asarray(ns["logl"]),
                       summary=summary, name=name, logl_birth=birth, loglike_base=base)
        post = idata.posterior
        nchain, ndraw = post.sizes["chain"], post.sizes["draw"]
        loglike = np.zeros((nchain, ndraw))
        if "log_likelihood" in idata.groups():
            for v in idata.log_likelihood.data_vars.values():
                loglike = loglike + np.asarray(v)
        return cls(names=names,
                   samples=np.column_stack([np.asarray(post[n]).ravel() for n in names]),
                   weights=np.ones(nchain * ndraw), loglike=loglike.ravel(), summary=summary,
                   name=name, chain=np.repeat(np.arange(nchain), ndraw))

    @classmethod
    def from_run(cls, run_dir: str | Path) -> Chains:
        """Load a finished run folder (refused, in one sentence, when it is not one)."""
        import arviz as az

        summary = load_summary(run_dir)
        path = Path(run_dir) / POSTERIOR
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                idata = az.from_netcdf(str(path), engine="h5netcdf")
        except (OSError, ValueError) as exc:
            raise GlobalfitError(f"Cannot read the samples {path}: {exc}.") from None
        return cls.from_idata(idata, summary, Path(run_dir).resolve().name)
