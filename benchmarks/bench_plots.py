"""What the corner plot costs a run, measured in the same process.

1. The default run (``runs/leptonic_scalar.toml``, nlive = 500) end to end with ``run_card``,
   and the corner plot it writes (GetDist, ``globalfit.results.write_corner``) timed again on
   the same result: the plot's share of the run's wall time.
2. The corner plot against a plain matplotlib figure of the same samples (step histograms and
   2-D histogram contours, what globalfit drew before GetDist): the cost of the smoothing.

Run: ``python benchmarks/bench_plots.py`` (about two minutes on 2 cores).
"""

from __future__ import annotations

import tempfile
import time
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from globalfit.chains import Chains  # noqa: E402
from globalfit.results import write_corner  # noqa: E402
from globalfit.runner import run_card  # noqa: E402

CARD = Path(__file__).resolve().parents[1] / "runs" / "leptonic_scalar.toml"


def histogram_corner(run: Chains, path: Path) -> None:
    """Baseline: step histograms and 68/95% contours of 2-D histograms of the equally
    weighted resample, no smoothing."""
    x = np.log10(run.samples[np.random.default_rng(0).choice(
        len(run.weights), 4000, p=run.weights / run.weights.sum())])
    n = x.shape[1]
    fig, axes = plt.subplots(n, n, figsize=(2.4 * n + 1, 2.4 * n + 1), squeeze=False)
    for i in range(n):
        for j in range(n):
            ax = axes[i, j]
            if j > i:
                ax.axis("off")
            elif i == j:
                ax.hist(x[:, i], bins=40, histtype="step")
            else:
                h, xe, ye = np.histogram2d(x[:, j], x[:, i], bins=20)
                flat = np.sort(h.ravel())[::-1]
                cum = np.cumsum(flat) / flat.sum()
                levels = sorted({flat[min(np.searchsorted(cum, p), flat.size - 1)]
                                 for p in (0.95, 0.68)})
                ax.contour(0.5 * (xe[1:] + xe[:-1]), 0.5 * (ye[1:] + ye[:-1]), h.T,
                           levels=levels)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def timed(fn, repeat: int = 3) -> float:
    """Best of ``repeat`` wall times [s] (the first call is discarded: imports, caches)."""
    fn()
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return float(best)


def main() -> None:
    warnings.filterwarnings("ignore")
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = Path(tmp) / "run"
        t0 = time.perf_counter()
        _, summary = run_card(CARD, out=run_dir, progress=False)
        t_run = time.perf_counter() - t0
        run = Chains.from_run(run_dir)
        import arviz as az

        idata = az.from_netcdf(str(run_dir / "posterior.nc"), engine="h5netcdf")
        t_corner = timed(lambda: write_corner(idata, summary, run_dir, "title"))
        t_hist = timed(lambda: histogram_corner(run, Path(tmp) / "hist.png"))
    sampler = summary["sampler"]["wall_time_s"]
    print(f"default run end to end        {t_run:7.2f} s (sampler {sampler:.1f} s)")
    print(f"its corner plot (GetDist)     {t_corner:7.2f} s = {t_corner / t_run:.1%} of the run")
    print(f"histogram corner (baseline)   {t_hist:7.2f} s; GetDist / baseline = "
          f"{t_corner / t_hist:.1f}x")


if __name__ == "__main__":
    main()
