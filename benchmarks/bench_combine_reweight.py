"""Reweighting instead of rerunning: a lattice of 4 groups on the leptonic-scalar card (the 15
non-empty unions of mesons, tau, Z invisible and W decays at m_phi = 100 MeV), run in full and
with ``--reweight``; likelihood calls and the 95% upper limits on lambda_ee side by side.

    python benchmarks/bench_combine_reweight.py [--out DIR] [--nlive 300]

Target (issue #11): at least 3x fewer likelihood calls with --reweight, limits within Monte Carlo
error. The MC error of a 95% upper limit is estimated from the spread of the posterior around
it: sd(U) ~ sqrt(0.95 * 0.05 / ESS) / p(U), p the posterior density at U (a histogram estimate).
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
import time
from pathlib import Path

import numpy as np

from globalfit.chains import Chains
from globalfit.combine import run_combine

ROOT = Path(__file__).resolve().parents[1]
CARD = ROOT / "runs" / "leptonic_scalar_figure.toml"
GROUPS = ["mesons", "tau", "z_invisible", "w_decays"]


def upper_limit_error(run: Path, name: str = "lambda_ee") -> float:
    """Monte Carlo standard error of the 95% upper limit of ``name`` in one run folder."""
    ch = Chains.from_run(run)
    x, w = ch.column(name), ch.weights
    w = w / w.sum()
    ess = 1.0 / np.sum(w**2)
    order = np.argsort(x)
    cdf = np.cumsum(w[order])
    u = float(np.interp(0.95, cdf, x[order]))
    lo, hi = np.interp([0.93, 0.97], cdf, x[order])
    density = 0.04 / max(hi - lo, 1e-300)
    return math.sqrt(0.95 * 0.05 / ess) / density if math.isfinite(u) else math.nan


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=None, help="folder for the two combine jobs (default: temp)")
    args = ap.parse_args()
    base = Path(args.out or tempfile.mkdtemp(prefix="bench_reweight_"))
    res = {}
    for mode in ("full", "reweight"):
        t = time.perf_counter()
        _, table = run_combine(CARD, out=base / mode, lattice=GROUPS,
                               reweight=mode == "reweight", progress=False)
        res[mode] = (time.perf_counter() - t, table)
    calls = {m: sum(r["likelihood_calls"] or 0 for r in t["rows"]) for m, (_, t) in res.items()}
    print(f"{'combination':42s} {'full U95':>10s} {'rew. U95':>10s} {'MC err':>8s} "
          f"{'|diff|/err':>10s}  how (reweight job)")
    worst = 0.0
    full_rows = {r["combination"]: r for r in res["full"][1]["rows"]}
    for r in res["reweight"][1]["rows"]:
        f = full_rows[r["combination"]]
        uf = f["limits"]["lambda_ee"].get("upper95", math.nan)
        ur = r["limits"]["lambda_ee"].get("upper95", math.nan)
        err = math.hypot(upper_limit_error(Path(f["dir"])), upper_limit_error(Path(r["dir"])))
        z = abs(uf - ur) / err
        worst = max(worst, z)
        print(f"{r['combination']:42s} {uf:10.4g} {ur:10.4g} {err:8.2g} {z:10.2f}  {r['how']}")
    summary = {"calls_full": calls["full"], "calls_reweight": calls["reweight"],
               "ratio": calls["full"] / calls["reweight"],
               "wall_full_s": res["full"][0], "wall_reweight_s": res["reweight"][0],
               "worst_diff_in_mc_errors": worst}
    print(json.dumps(summary, indent=2))
    print(f"likelihood calls: full {calls['full']}, reweight {calls['reweight']} "
          f"({summary['ratio']:.1f}x fewer; target >= 3x); worst limit difference "
          f"{worst:.2f} combined MC errors")


if __name__ == "__main__":
    main()
