"""Spread and bias of one scan point's 95% upper limit against dynesty's number of live points.

Runs runs/zprime_A_lhc_scan.toml (one scan point, m_Z' = 1 TeV, 1-D in g') with dynesty at
nlive 300 and 500, seeds 1-30, and prints each run's g' upper limit (summary ``upper95``), the
Monte Carlo error the run claims for it (``upper95_err``, globalfit.limit_error), its effective
sample size and wall time, then the mean and standard deviation over seeds per nlive (the spread
the claimed errors should match), next to
the limit from a 1-D quadrature of the same posterior (trapezoids on 20001 points uniform in
ln g', the loguniform prior's variable).

    python benchmarks/bench_scan_nlive.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from globalfit import Fit
from globalfit.card import RunCard
from globalfit.runner import run_card

ROOT = Path(__file__).resolve().parents[1]


def quadrature_upper95(card: Path) -> float:
    """95% upper limit of the card's one parameter (loguniform prior) by quadrature in ln x."""
    fit = Fit.from_card(card)
    (name,) = fit.parameters
    lo, hi = fit.priors[name].min, fit.priors[name].max
    u = np.linspace(0.0, 1.0, 20001)
    x = np.exp(np.log(lo) + u * (np.log(hi) - np.log(lo)))
    logl = np.asarray(fit.loglike(x[:, None]), dtype=float)
    w = np.exp(logl - logl.max())
    cdf = np.concatenate([[0.0], np.cumsum(0.5 * (w[1:] + w[:-1]) * np.diff(u))])
    return float(np.interp(0.95, cdf / cdf[-1], x))


def main() -> None:
    path = ROOT / "runs" / "zprime_A_lhc_scan.toml"
    base = RunCard.load(path)
    print(f"quadrature: g' < {quadrature_upper95(path):.6f}")
    print("| nlive | seed | g' upper 95% | its claimed error (upper95_err) | ESS | wall [s] |\n"
          "|---|---|---|---|---|---|")
    for nlive in (300, 500):
        ups, errs = [], []
        for seed in range(1, 31):
            raw = {**base.raw, "sampler": {**base.sampler, "nlive": nlive, "seed": seed}}
            with tempfile.TemporaryDirectory() as tmp:
                _, s = run_card(RunCard.from_dict(raw, base.path), out=Path(tmp) / "run",
                                progress=False, force=True)
            ups.append(s["parameters"]["g_prime"]["upper95"])
            errs.append(s["parameters"]["g_prime"]["upper95_err"])
            print(f"| {nlive} | {seed} | {ups[-1]:.6f} | {errs[-1]:.6f} | "
                  f"{float(s['diagnostics']['ess']):.0f} | "
                  f"{s['sampler']['wall_time_s']:.1f} |", flush=True)
        u = np.array(ups)
        print(f"| {nlive} | mean, sd over seeds | {u.mean():.6f} | sd {u.std(ddof=1):.6f}, "
              f"mean claimed {np.mean(errs):.6f} | | |")


if __name__ == "__main__":
    main()
