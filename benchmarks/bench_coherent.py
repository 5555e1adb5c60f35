"""Speed of the COHERENT likelihoods: ``python benchmarks/bench_coherent.py``.

Times the jitted log-likelihood (and value + gradient) per point for each data set with the Z'
model A (propagator evaluated on the recoil grid), single points and a vmapped batch of 1000. The
baseline, measured in the same process, is the framework's Gaussian test likelihood. Then the
card runs/coherent_nsi_ee.toml (contact NSI: the recoil grid contracted once at set-up) against
the same card with the grid summed in every call (the path before issue #14). Data sets whose
release is missing (GLOBALFIT_DATA_DIR) are skipped with a message.
"""

from __future__ import annotations

import time

import jax
import jax.numpy as jnp
import numpy as np

from globalfit import Fit
from globalfit.errors import DataReleaseMissing

PRIORS = {"g_prime": {"prior": "loguniform", "min": 1e-6, "max": 1.0},
          "m_zprime": {"prior": "loguniform", "min": 1e-3, "max": 10.0}}


def _time(f, x, n, repeats: int = 5):
    """Best of ``repeats`` averages over ``n`` calls [s] (shared machine: the best is fairest)."""
    jax.block_until_ready(f(x))
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        for _ in range(n):
            jax.block_until_ready(f(x))
        best = min(best, (time.perf_counter() - t) / n)
    return best


def bench(fit: Fit, n: int = 200) -> tuple[float, float, float]:
    rng = np.random.default_rng(0)
    th = jnp.asarray(fit.prior_transform(rng.uniform(size=fit.ndim)))
    batch = jnp.stack([fit.prior_transform(u) for u in rng.uniform(size=(1000, fit.ndim))])
    ll = jax.jit(fit.raw_loglike)
    vg = jax.jit(jax.value_and_grad(fit.raw_loglike))
    vb = jax.jit(jax.vmap(fit.raw_loglike))
    return _time(ll, th, n), _time(vg, th, n), _time(vb, batch, 5) / 1000


def main() -> None:
    print(f"jax {jax.__version__}, device {jax.devices()[0]}")
    print(f"{'likelihood':22s} {'loglike [us]':>13s} {'+grad [us]':>11s} {'vmap/pt [us]':>13s}")
    base = Fit(model="nsi", likelihoods=["gaussian"],
               priors={"eps_ee_u": {"prior": "uniform", "min": -1, "max": 1}})
    t = bench(base)
    print(f"{'baseline: gaussian':22s} {t[0] * 1e6:13.1f} {t[1] * 1e6:11.1f} {t[2] * 1e6:13.2f}")
    for name in ("coherent_csi_2017", "coherent_lar_2020", "coherent_csi_2021"):
        try:
            fit = Fit(model="zprime", model_options={"charges": "A"}, likelihoods=[name],
                      priors=PRIORS)
        except DataReleaseMissing as exc:
            print(f"{name:22s} skipped: {exc}")
            continue
        t = bench(fit)
        print(f"{name:22s} {t[0] * 1e6:13.1f} {t[1] * 1e6:11.1f} {t[2] * 1e6:13.2f}")
    nsi_card()


def nsi_card() -> None:
    from globalfit.models import NSIModel

    class GridNSI(NSIModel):  # q2 grid summed in every call, as before issue #14
        eps_q2_independent = False

    try:
        now = Fit.from_card("runs/coherent_nsi_ee.toml")
    except DataReleaseMissing as exc:
        print(f"runs/coherent_nsi_ee.toml skipped: {exc}")
        return
    card = now.card
    before = Fit(model=GridNSI(), likelihoods=card.likelihoods, priors=card.parameters,
                 likelihood_options=card.likelihood_options)
    tb, tn = bench(before), bench(now)
    print("\nruns/coherent_nsi_ee.toml (nsi, both data sets, 10 parameters with nuisances):")
    for label, t in (("grid summed per call", tb), ("contracted at set-up", tn)):
        print(f"{label:22s} {t[0] * 1e6:13.1f} {t[1] * 1e6:11.1f} {t[2] * 1e6:13.2f}")
    print(f"{'ratio before / now':22s} {tb[0] / tn[0]:13.2f} {tb[1] / tn[1]:11.2f} "
          f"{tb[2] / tn[2]:13.2f}")


if __name__ == "__main__":
    main()
