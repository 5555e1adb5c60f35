"""Result folders (architecture.md, "Results"): posterior.nc, summary.json, corner.png.

Every file is written to a temporary name and renamed, and summary.json is written last: a folder
without summary.json is not a finished result (an interrupted run leaves only its checkpoint).
The folder's life (lock, fingerprint, staging, resume) is ``globalfit.run_folder``.
"""

from __future__ import annotations

import json
import platform
import subprocess
import warnings
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from globalfit.card import RunCard
from globalfit.convergence import verdict
from globalfit.errors import GlobalfitError
from globalfit.limit_error import limits_with_errors
from globalfit.run_folder import (
    SUMMARY,
    Fingerprint,
    atomic_write,
    is_finished,
    plain,
    read_summary,
)
from globalfit.samplers.base import SamplerOutput

POSTERIOR = "posterior.nc"
CORNER = "corner.png"
__all__ = ["POSTERIOR", "SUMMARY", "atomic_write", "is_finished", "load_summary", "write_run"]


def parameter_summary(x: np.ndarray) -> dict[str, Any]:
    """mean, sd, median, 68% and 95% HDIs, one-sided 95% upper and lower limits of 1-D samples,
    and the 95% highest-density regions (several intervals for a multimodal posterior)."""
    import arviz as az

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hdi68 = az.hdi(x, hdi_prob=0.68)
        hdi95 = az.hdi(x, hdi_prob=0.95)
    regions = hdi_regions(x, 0.95)
    return {
        "mean": float(np.mean(x)), "sd": float(np.std(x, ddof=1)) if x.size > 1 else 0.0,
        "median": float(np.median(x)),
        "hdi68": [float(v) for v in hdi68], "hdi95": [float(v) for v in hdi95],
        "upper95": float(np.quantile(x, 0.95)), "lower95": float(np.quantile(x, 0.05)),
        "hdi95_regions": [[float(a), float(b)] for a, b in regions],
    }


#: widest gap [bins] between two kept histogram bins that hdi_regions still closes
MAX_GAP = 3


def hdi_regions(x: np.ndarray, prob: float = 0.95, bins: int | None = None) -> list[list[float]]:
    """Highest-density region of 1-D samples as a union of intervals: the densest histogram
    bins holding ``prob`` of the samples, adjacent bins merged (a multimodal posterior gives
    several intervals; gaps of up to ``MAX_GAP`` bins are closed). Bins: the finer of
    Freedman-Diaconis and sqrt(n), kept within 50-400."""
    x = np.asarray(x, float)
    if x.size < 10 or np.ptp(x) == 0:
        return [[float(np.min(x)), float(np.max(x))]]
    if bins is None:
        iqr = np.subtract(*np.percentile(x, [75, 25]))
        width = 2 * iqr / x.size ** (1 / 3) if iqr > 0 else np.ptp(x) / 100
        bins = int(np.clip(max(np.ptp(x) / width, np.sqrt(x.size)), 50, 400))
    counts, edges = np.histogram(x, bins=bins)
    order = np.argsort(counts)[::-1]
    keep = np.zeros(bins, bool)
    keep[order[:np.searchsorted(np.cumsum(counts[order]), prob * x.size) + 1]] = True
    # close gaps of up to MAX_GAP bins: tail bins whose counts fluctuate around the density
    # threshold otherwise split off sliver "islands" (seen on 4000-draw NUTS runs)
    idx = np.flatnonzero(keep)
    for a, b in zip(idx[:-1], idx[1:], strict=True):
        if 1 < b - a <= MAX_GAP + 1:
            keep[a:b] = True
    out, start = [], None
    for i, k in enumerate(keep):
        if k and start is None:
            start = i
        if start is not None and (not k or i == bins - 1):
            stop = i if k else i - 1
            lo = max(edges[start], x.min())
            hi = min(edges[stop + 1], x.max())
            out.append([float(lo), float(hi)])
            start = None
    return out


def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).parent,
                             capture_output=True, text=True, timeout=5)
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def provenance(fp: Fingerprint, card: RunCard, seed: Any) -> dict[str, Any]:
    """Versions, the card as run, the fingerprint of the resolved run and the hashes of the data
    actually read (computed from the files, not copied from ``releases.toml``)."""
    import jax

    from globalfit import __version__

    libs = {}
    for lib in ("jax", "jaxlib", "numpyro", "dynesty", "arviz", "numpy", "scipy", "particle"):
        try:
            libs[lib] = metadata.version(lib)
        except metadata.PackageNotFoundError:
            libs[lib] = None
    return {
        "package_version": __version__, "git_commit": _git_commit(), "card": card.raw,
        "card_path": str(card.path) if card.path else None,
        "fingerprint": fp.digest, "resolved": fp.content,
        "data_hashes": {"data_cards": fp.content["data"]["cards"],
                        "releases": fp.content["data"]["releases"]},
        "library_versions": libs, "python": platform.python_version(),
        "device": f"{jax.default_backend()}: {', '.join(str(d) for d in jax.devices())}",
        "seed": seed,
    }


def build_inference_data(fit: Any, out: SamplerOutput, nprior: int = 2000):
    """ArviZ InferenceData: posterior, sample_stats, log_likelihood per likelihood, prior
    (and, for nested sampling, the raw weighted samples in the group ``nested_samples``)."""
    import arviz as az
    import xarray as xr

    names = fit.parameters
    samples = out.samples
    comps = fit.loglike_components(samples.reshape(-1, fit.ndim))
    loglik = {k: np.asarray(v).reshape(samples.shape[:2]) for k, v in comps.items()}
    rng = np.random.default_rng(0)
    prior = fit.prior_transform(rng.random((nprior, fit.ndim)))
    stats = dict(out.sample_stats)
    stats["lp"] = np.asarray(fit.logpost(samples.reshape(-1, fit.ndim))).reshape(samples.shape[:2])
    idata = az.from_dict(
        posterior={n: samples[..., i] for i, n in enumerate(names)},
        sample_stats=stats,
        log_likelihood=loglik or None,
        prior={n: prior[None, :, i] for i, n in enumerate(names)},
    )
    if out.weighted is not None:
        w = out.weighted
        ds = xr.Dataset(
            {**{n: ("sample", w["samples"][:, i]) for i, n in enumerate(names)},
             **{k: ("sample", np.asarray(w[k]))
                for k in ("logwt", "logl", "logl_birth", "logl_base") if k in w}},
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            idata.add_groups({"nested_samples": ds})
    return idata


def parameters_with_limits(fit: Any, out: SamplerOutput, flat: np.ndarray) -> dict[str, Any]:
    """Per parameter: :func:`parameter_summary` of the equal-weight draws, with the one-sided
    95% limits and their Monte Carlo errors of :mod:`globalfit.limit_error` (from the weighted
    dead points for a nested run)."""
    limits = limits_with_errors(out.samples, out.weighted, int(out.settings.get("seed") or 0))
    return {n: {**parameter_summary(flat[:, i]), **limits[i]}
            for i, n in enumerate(fit.parameters)}


def best_fit(fit: Any, out: SamplerOutput) -> dict[str, Any]:
    """The highest-likelihood point among the samples, with chi2 = -2 log L per likelihood."""
    if out.weighted is not None:  # nested sampling already has log L of every dead point
        pts, ll = out.weighted["samples"], np.asarray(out.weighted["logl"])
    else:
        pts = out.samples.reshape(-1, fit.ndim)
        ll = np.asarray(fit.loglike(pts))
    i = int(np.nanargmax(ll))
    comps = fit.loglike_components(pts[i])
    return {
        "point": {n: float(pts[i, k]) for k, n in enumerate(fit.parameters)},
        "loglike": float(ll[i]),
        "chi2": {k: float(-2 * v) for k, v in comps.items()},
    }


def write_run(run_dir: Path, fit: Any, card: RunCard, out: SamplerOutput,
              fingerprint: Fingerprint | None = None, segments: int = 1,
              corner: bool = True) -> dict[str, Any]:
    """Write posterior.nc, corner.png and (last) summary.json into ``run_dir``. ``out.wall_time``
    is the run's total (every kept segment); ``segments`` counts the resumes plus one."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    fp = fingerprint or Fingerprint.of(fit, card)
    idata = build_inference_data(fit, out)
    atomic_write(run_dir / POSTERIOR, lambda p: idata.to_netcdf(str(p), engine="h5netcdf"))
    files = [POSTERIOR]
    flat = out.samples.reshape(-1, fit.ndim)
    diagnostics = plain({"ess": out.diagnostics.get("ess"),
                         "r_hat": out.diagnostics.get("r_hat"),
                         "divergences": out.diagnostics.get("divergences"),
                         **{k: v for k, v in out.diagnostics.items()
                            if k not in ("ess", "r_hat", "divergences")}})
    summary = {
        "model": {"name": fit.model.name, "options": fit.model.options},
        "likelihoods": {lik.name: {"likelihood": lik.registered_name or lik.name,
                                   "config": plain(lik.config), "citation": lik.citation,
                                   "projection": lik.is_projection()}
                        for lik in fit.likelihoods},
        "sampler": {"name": out.sampler, "settings": plain(out.settings),
                    "seed": out.settings.get("seed"), "wall_time_s": out.wall_time,
                    "segments": segments, "likelihood_calls": out.ncall},
        "convergence": verdict(diagnostics),
        "evidence": ({"logz": out.logz, "logz_err": out.logz_err} if out.logz is not None
                     else None),
        "priors": {n: fit.priors[n].to_spec() for n in fit.parameters},
        "fixed": dict(fit.fixed),
        "tied": {n: {"same_as": o, "scale": k} for n, (o, k) in fit.tied.items()},
        "parameters": parameters_with_limits(fit, out, flat),
        "best_fit": best_fit(fit, out),
        "diagnostics": diagnostics,
        "provenance": provenance(fp, card, out.settings.get("seed")),
    }
    if corner and fit.ndim >= 1:
        if write_corner(idata, plain(summary), run_dir, card.title):
            files.append(CORNER)
    summary["files"] = [*files, SUMMARY]
    summary = plain(summary)
    text = json.dumps(summary, indent=2, allow_nan=False)
    atomic_write(run_dir / SUMMARY, lambda p: p.write_text(text))
    return summary


def write_corner(idata: Any, summary: dict[str, Any], run_dir: Path, title: str = "") -> bool:
    """The run's corner.png (globalfit.plots); whether it was written. A plot that fails does
    not cost the result: it warns, and ``globalfit plot DIR`` can draw it later."""
    from globalfit.chains import Chains
    from globalfit.plots import corner_plot

    try:
        corner_plot([Chains.from_idata(idata, summary, run_dir.name)], run_dir / CORNER,
                    title=title or run_dir.name)
    except Exception as exc:  # any failure: the samples are worth more than the figure
        warnings.warn(f"No corner.png for {run_dir}: {type(exc).__name__}: {exc}", stacklevel=2)
        return False
    return True


def load_samples_from(idata: Any, names: list[str] | None = None) -> dict[str, np.ndarray]:
    post = idata.posterior
    names = names or list(post.data_vars)
    return {n: np.asarray(post[n]).ravel() for n in names}


def load_summary(run_dir: str | Path) -> dict[str, Any]:
    """The summary of a finished result (one sentence if there is none or it is damaged)."""
    return read_summary(run_dir)


def load_samples(run_dir: str | Path) -> dict[str, np.ndarray]:
    """Equally weighted posterior samples of a finished run, by parameter."""
    import arviz as az

    load_summary(run_dir)
    path = Path(run_dir) / POSTERIOR
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            idata = az.from_netcdf(str(path), engine="h5netcdf")
        return load_samples_from(idata)
    except (OSError, ValueError, KeyError, AttributeError) as exc:
        raise GlobalfitError(f"{path} cannot be read ({type(exc).__name__}); rerun the card "
                             "with --force to replace it.") from None
