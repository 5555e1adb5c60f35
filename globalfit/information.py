"""Evidence, information gain, model dimensionality and tension between experiment combinations.

For a nested-sampling run with dead points of log-likelihood ln L_i and live-point counts n_i,
anesthetic (Handley et al., arXiv:1905.04768) draws the prior volumes X_i (t_i ~ Beta(n_i, 1))
and gives, with their Monte Carlo spread, the evidence ln Z, the Kullback-Leibler divergence
D_KL = <ln L>_P - ln Z (information gain, nats; bits = nats / ln 2), the posterior-averaged
<ln L>_P and the Bayesian model dimensionality d_G = 2 Var_P(ln L) (Handley & Lemos,
arXiv:1903.06682). For two data sets A and B and their union AB (Handley & Lemos,
arXiv:1902.04029; anesthetic.tension.tension_stats):

    ln R = ln Z_AB - ln Z_A - ln Z_B                     (evidence ratio)
    ln I = D_A + D_B - D_AB                              (mutual information, nats)
    ln S = <ln L_AB> - <ln L_A> - <ln L_B> = ln R - ln I (suspiciousness)
    d    = d_A + d_B - d_AB                              (shared constrained dimensions)
    p    = P(chi2_d > d - 2 ln S),  sigma = sqrt(2) erfc^-1(p)

Reweighting (``globalfit.samplers.reweight_sampler``): the dead points of A weighted by L_B
estimate the posterior of A+B and Z_AB / Z_A = E_{P_A}[L_B] (the importance weights of Cobaya's
post-processing); :func:`run_draws` gives its statistics with the prior volumes of A's draws.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy.special import logsumexp

from globalfit.errors import GlobalfitError

#: The per-run statistics (columns of every table of draws here).
STATS = ("logZ", "D_KL", "logL_P", "d_G")
#: The pairwise tension statistics.
TENSION = ("logR", "logI", "logS", "d", "p", "sigma")
BITS_PER_NAT = 1.0 / math.log(2.0)


def nested_samples(logl: np.ndarray, logl_birth: np.ndarray, extra: np.ndarray | None = None,
                   points: np.ndarray | None = None):
    """anesthetic ``NestedSamples`` of a nested run's dead points (ln L and birth contours, as
    posterior.nc keeps them), with ``extra`` (ln L added by reweighting) and the parameter values
    ``points`` (N, d; columns ``p0``, ``p1``, ...) as columns that follow anesthetic's sorting of
    the points."""
    import warnings

    from anesthetic import NestedSamples

    logl = np.asarray(logl, float)
    extra = np.zeros(logl.size) if extra is None else np.asarray(extra, float)
    data, columns = extra[:, None], ["extra"]
    if points is not None:
        data = np.column_stack([data, np.asarray(points, float)])
        columns += [f"p{i}" for i in range(data.shape[1] - 1)]
    with warnings.catch_warnings():  # ties at the peak (logL == logL_birth) are dropped
        warnings.simplefilter("ignore")
        return NestedSamples(data=data, columns=columns, logL=logl,
                             logL_birth=np.asarray(logl_birth, float))


def _stats_from_logw(logw: np.ndarray, logl: np.ndarray) -> np.ndarray:
    """(logZ, D_KL, logL_P, d_G) for each column of log-weights ``logw`` (N, S); ``logl`` (N,)."""
    logz = logsumexp(logw, axis=0)
    w = np.exp(logw - logz)
    mean = np.sum(w * logl[:, None], axis=0)
    var = np.sum(w * (logl[:, None] - mean) ** 2, axis=0)
    return np.stack([logz, mean - logz, mean, 2.0 * var], axis=-1)


def run_draws(logl: np.ndarray, logl_birth: np.ndarray | None,
              logl_base: np.ndarray | None = None, nsamples: int = 1000, seed: int = 0
              ) -> np.ndarray:
    """Draws of (logZ, D_KL, logL_P, d_G) of one nested run, shape (nsamples, 4), from its
    dead points' ln L and birth contours.

    A reweighted run gives ``logl_base``, its base run's ln L (to which ``logl_birth`` belongs),
    beside ``logl`` = ln L_base + ln L_added: the base's prior volumes with weights
    L_base L_added dX estimate Z_AB / Z_A = E_{P_A}[L_B]."""
    if logl_birth is None:
        raise GlobalfitError("This run has no nested-sampling birth contours (not a nested "
                             "run, or a result of an older globalfit): no evidence statistics.")
    logl = np.asarray(logl, float)
    base = logl if logl_base is None else np.asarray(logl_base, float)
    ns = nested_samples(base, logl_birth, logl - base)
    np.random.seed(seed)  # anesthetic draws the volumes from numpy's global generator
    logw = np.asarray(ns.logw(nsamples))  # (N, nsamples): ln(L_base dX), in ns's order
    extra = np.asarray(ns["extra"], float)
    return _stats_from_logw(logw + extra[:, None], np.asarray(ns.logL, float) + extra)


def effective_sample_size(logw: np.ndarray) -> float:
    """Kish's effective sample size (sum w)^2 / sum w^2 of log-weights (-inf weights allowed)."""
    logw = np.asarray(logw, float)
    if not np.any(np.isfinite(logw)):
        return 0.0
    return float(math.exp(2 * logsumexp(logw) - logsumexp(2 * logw)))


def summarise(draws: np.ndarray) -> dict[str, dict[str, float]]:
    """Mean and standard deviation of each statistic, plus the information gain in bits."""
    out = {s: {"mean": float(np.mean(draws[:, i])), "sd": float(np.std(draws[:, i], ddof=1))}
           for i, s in enumerate(STATS)}
    out["bits"] = {k: v * BITS_PER_NAT for k, v in out["D_KL"].items()}
    return out


def tension(joint: np.ndarray, *separate: np.ndarray) -> dict[str, dict[str, float]]:
    """Tension statistics of the union ``joint`` against its disjoint parts ``separate`` (each a
    table of draws from :func:`run_draws`), through anesthetic.tension.tension_stats."""
    from anesthetic.samples import Samples
    from anesthetic.tension import tension_stats

    def frame(d: np.ndarray) -> Samples:
        return Samples(d, columns=list(STATS))

    t = tension_stats(frame(joint), *(frame(s) for s in separate))
    cols = {"logR": "logR", "logI": "I", "logS": "logS", "d": "d_G", "p": "p", "sigma": "sigma"}
    out = {}
    for key, col in cols.items():
        x = np.asarray(t[col], float)
        x = x[np.isfinite(x)] if key == "sigma" else x
        out[key] = {"mean": float(np.mean(x)) if x.size else float("nan"),
                    "sd": float(np.std(x, ddof=1)) if x.size > 1 else float("nan")}
    return out


def gaussian_closed_form(mean: Any, cov: Any, lower: Any, upper: Any, logl_max: float = None
                         ) -> dict[str, float]:
    """(logZ, D_KL, logL_P, d_G) of a Gaussian likelihood (normalised to integrate to 1 over the
    parameters unless ``logl_max`` is given) inside a uniform box prior much wider than it:
    ln Z = ln Lmax + ln((2 pi)^(d/2) |C|^(1/2)) - ln V, D_KL = ln V - ln((2 pi e)^(d/2) |C|^(1/2)),
    <ln L>_P = ln Lmax - d/2, d_G = d."""
    cov = np.atleast_2d(np.asarray(cov, float))
    d = cov.shape[0]
    logdet = float(np.linalg.slogdet(cov)[1])
    logv = float(np.sum(np.log(np.asarray(upper, float) - np.asarray(lower, float))))
    lmax = (-0.5 * d * math.log(2 * math.pi) - 0.5 * logdet) if logl_max is None else logl_max
    logz = lmax + 0.5 * d * math.log(2 * math.pi) + 0.5 * logdet - logv
    return {"logZ": logz, "D_KL": logv - 0.5 * d * math.log(2 * math.pi * math.e) - 0.5 * logdet,
            "logL_P": lmax - 0.5 * d, "d_G": float(d)}


def gaussian_tension_closed_form(mean_a: Any, cov_a: Any, mean_b: Any, cov_b: Any, lower: Any,
                                 upper: Any) -> dict[str, float]:
    """Tension statistics of two normalised Gaussian likelihoods in the same d parameters under
    one wide uniform box prior: with chi2 = (mu_A - mu_B)^T (C_A + C_B)^-1 (mu_A - mu_B),
    ln S = d/2 - chi2/2, d = d, p = P(chi2_d > chi2); ln R = ln S + ln I with
    ln I = D_A + D_B - D_AB (Handley & Lemos arXiv:1902.04029, section III)."""
    ma, mb = np.asarray(mean_a, float), np.asarray(mean_b, float)
    ca, cb = np.atleast_2d(cov_a).astype(float), np.atleast_2d(cov_b).astype(float)
    d = ca.shape[0]
    delta = ma - mb
    chi2 = float(delta @ np.linalg.solve(ca + cb, delta))
    cab = np.linalg.inv(np.linalg.inv(ca) + np.linalg.inv(cb))
    # ln Lmax of the product of two normalised Gaussians: -1/2 chi2 - 1/2 ln det(2 pi (C_A+C_B))
    # plus the normalisation of the product's own Gaussian
    lmax_ab = (-0.5 * chi2 - 0.5 * float(np.linalg.slogdet(2 * math.pi * (ca + cb))[1])
               - 0.5 * d * math.log(2 * math.pi) - 0.5 * float(np.linalg.slogdet(cab)[1]))
    a = gaussian_closed_form(ma, ca, lower, upper)
    b = gaussian_closed_form(mb, cb, lower, upper)
    ab = gaussian_closed_form(None, cab, lower, upper, logl_max=lmax_ab)
    from scipy.special import erfcinv
    from scipy.stats import chi2 as chi2_dist

    p = float(chi2_dist.sf(chi2, d))
    return {"logR": ab["logZ"] - a["logZ"] - b["logZ"],
            "logI": a["D_KL"] + b["D_KL"] - ab["D_KL"],
            "logS": ab["logL_P"] - a["logL_P"] - b["logL_P"], "d": float(d), "p": p,
            "sigma": float(math.sqrt(2) * erfcinv(p)), "chi2": chi2}
