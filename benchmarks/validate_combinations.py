"""The combination statistics against their closed forms: ``globalfit combine`` on two Gaussian
likelihoods with known means and covariances (runs/validation/gaussian_tension.toml), run in full
and with ``--reweight``; prints the Markdown table of docs/combinations.md.

    python benchmarks/validate_combinations.py [--out DIR]

Closed forms: globalfit.information.gaussian_closed_form and gaussian_tension_closed_form
(Handley & Lemos, arXiv:1902.04029 and 1903.06682). Errors are anesthetic's spread over the
prior-volume draws of the nested runs.
"""

from __future__ import annotations

import argparse
import math
import tempfile
from pathlib import Path

from globalfit import information as info
from globalfit.card import RunCard
from globalfit.combine import run_combine

ROOT = Path(__file__).resolve().parents[1]
CARD = ROOT / "runs" / "validation" / "gaussian_tension.toml"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    base = Path(args.out or tempfile.mkdtemp(prefix="validate_combinations_"))
    raw = RunCard.load(CARD).raw
    ga, gb = raw["likelihoods"]["gaussian"], raw["likelihoods"]["gaussian_b"]
    lo, hi = [-2.0, -2.0], [2.0, 2.0]
    exact = {"A": info.gaussian_closed_form(ga["mean"], ga["cov"], lo, hi),
             "B": info.gaussian_closed_form(gb["mean"], gb["cov"], lo, hi)}
    t_exact = info.gaussian_tension_closed_form(ga["mean"], ga["cov"], gb["mean"], gb["cov"],
                                                lo, hi)
    exact["AB"] = {"logZ": exact["A"]["logZ"] + exact["B"]["logZ"] + t_exact["logR"],
                   "D_KL": exact["A"]["D_KL"] + exact["B"]["D_KL"] - t_exact["logI"],
                   "d_G": 2.0}
    print("| quantity | closed form | full runs | pull | with --reweight (AB from A) | pull |")
    print("|---|---|---|---|---|---|")
    tables = {m: run_combine(CARD, out=base / m, reweight=m == "reweight", progress=False)[1]
              for m in ("full", "reweight")}

    def pull(v: float, e: float, x: float) -> str:
        return f"{(v - x) / e:+.1f}" if e else "-"

    rows = {m: {r["combination"]: r for r in t["rows"]} for m, t in tables.items()}
    for c in ("A", "B", "AB"):
        f, r = rows["full"][c], rows["reweight"][c]
        for key, col, scale in (("logZ", "logZ", 1.0), ("D_KL", "information_bits", math.log(2))):
            x = exact[c][key]
            vf, ef = f[col] * scale, f[f"{col}_err"] * scale
            vr, er = r[col] * scale, r[f"{col}_err"] * scale
            print(f"| {c}: {key} [nats] | {x:.4f} | {vf:.3f} ± {ef:.3f} | {pull(vf, ef, x)} | "
                  f"{vr:.3f} ± {er:.3f} ({r['how']}) | {pull(vr, er, x)} |")
        print(f"| {c}: d_G | 2 | {f['dimensionality']:.2f} ± {f['dimensionality_err']:.2f} | - "
              f"| {r['dimensionality']:.2f} ± {r['dimensionality_err']:.2f} | - |")
    for m, t in tables.items():
        (ten,) = t["tensions"]
        for key in ("logR", "logI", "logS", "d", "p"):
            print(f"| tension A-B ({m}): {key} | {t_exact[key]:.4f} | {ten[key]:.3f} ± "
                  f"{ten[f'{key}_err']:.3f} | {pull(ten[key], ten[f'{key}_err'], t_exact[key])} "
                  "| | |")
    print(f"\nfolders: {base}")


if __name__ == "__main__":
    main()
