"""Density estimates at a prior edge: GetDist (our corner plots) against anesthetic, on exact
draws of densities known in closed form (docs/plots.md, "Why GetDist").

- half-normal, sigma = 0.3, on the prior [0, 1]: the density is largest at the edge 0, and
  p(0) / p(0.15) = exp(0.125) = 1.133;
- log10 of a log-uniform coupling on [1e-4, 1] times exp(-g^2 / 2 (0.01)^2): flat from the edge
  -4 to about -2.5, p(-4) / p(-3) = 1.000.

For 2000 draws (about the effective sample size of the default run) and 20000, and 12 seeds
each, both libraries estimate the 1-D density as they draw
it in a corner plot (GetDist with the prior edges as hard ranges; anesthetic's kde_plot_1d,
which corrects at the extreme samples), and the table gives the estimate divided by the truth
(mean and scatter over seeds; 1 is right, below 1 a dip at the edge) and the time per estimate.

Run: ``python benchmarks/kde_edges.py`` (needs the test extras: anesthetic).
"""

from __future__ import annotations

import logging
import math
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

SEEDS = range(12)
#: draws per estimate: about the ESS of a default run, and ten times more
NDRAWS = (2000, 20000)


def draws(seed: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = np.abs(rng.normal(0, 0.3, 3 * n))
    x = x[x < 1][:n]
    lg = rng.uniform(-4, 0, 10 * n)
    lg = lg[rng.random(lg.size) < np.exp(-0.5 * (10**lg / 0.01) ** 2)][:n]
    return x, lg


def getdist_density(x: np.ndarray, lo: float, hi: float):
    from getdist import MCSamples, chains

    chains.print_load_details = False
    s = MCSamples(samples=x[:, None], names=["x"], ranges={"x": [lo, hi]})
    d = s.get1DDensity("x")
    return lambda v: float(np.squeeze(d.Prob(v)))


def anesthetic_density(x: np.ndarray, lo: float, hi: float):
    from anesthetic.plot import kde_plot_1d

    fig, ax = plt.subplots()
    line = kde_plot_1d(ax, x)[0]
    xs, ys = (np.asarray(v, float) for v in line.get_data())
    plt.close(fig)
    return lambda v: float(np.interp(v, xs, ys))


def main() -> None:
    logging.getLogger().setLevel(logging.ERROR)
    print("| draws | library | half-normal p(0)/p(0.15), / truth | log-flat p(-4)/p(-3), / truth "
          "| time per 1-D estimate |")
    print("|---|---|---|---|---|")
    for n in NDRAWS:
        for name, density in (("GetDist", getdist_density), ("anesthetic", anesthetic_density)):
            edge, flat, times = [], [], []
            for seed in SEEDS:
                x, lg = draws(seed, n)
                t0 = time.perf_counter()
                p = density(x, 0.0, 1.0)
                q = density(lg, -4.0, 0.0)
                times.append((time.perf_counter() - t0) / 2)
                edge.append(p(0.0) / p(0.15) / math.exp(0.125))
                flat.append(q(-4.0) / q(-3.0))
            print(f"| {n} | {name} | {np.mean(edge):.3f} ± {np.std(edge):.3f} | "
                  f"{np.mean(flat):.3f} ± {np.std(flat):.3f} | {np.median(times) * 1e3:.0f} ms |")


if __name__ == "__main__":
    main()
