"""Every sampler on every run card: time, likelihood calls, ESS, ESS per second, log Z, 95% limits.

    python benchmarks/bench_samplers.py [--cards gaussian_5d,leptonic_scalar,...]
                                        [--samplers dynesty,nuts,ultranest,nautilus]
                                        [--reduced] [--json FILE]

Each card runs with each sampler on the same Fit (``globalfit run CARD --sampler NAME``): the
card's own settings for its own sampler, the sampler's defaults otherwise (``--reduced``: smaller
settings for a quick look, stated in the table). UltraNest and nautilus run when the optional
extra is installed (``pip install "globalfit[samplers]"``) and are skipped otherwise.

ESS: Kish's effective sample size of the weighted samples for nested samplers, the smallest
per-parameter ESS of the chains for NUTS. "to 1000 ESS" is the wall time of a run that reached
1000 effective samples, scaled up linearly (wall x 1000 / ESS) for one that fell short, never
down: nested samplers gather their effective samples at the end and nautilus pays a fixed
exploration cost first, so a run is not a tenth as long for a tenth of its ESS. It is the
measure the default sampler of a card follows (a nested sampler where the evidence matters).
The 95% limits are each model parameter's 95% HDI (the one-sided upper limit where the HDI
touches the prior edge). Runs take minutes each on
2 cores: pick cards and samplers with the options. The machine is printed first.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_sampler_path import machine  # noqa: E402

from globalfit.card import RunCard  # noqa: E402
from globalfit.errors import GlobalfitError  # noqa: E402
from globalfit.runner import run_card, with_sampler  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SAMPLERS = ["dynesty", "nuts", "ultranest", "nautilus"]
OPTIONAL = {"ultranest": "ultranest", "nautilus": "nautilus"}
REDUCED = {"dynesty": {"nlive": 150}, "nuts": {"chains": 2, "warmup": 300, "samples": 500},
           "ultranest": {"nlive": 150, "min_ess": 400},
           "nautilus": {"nlive": 500, "n_eff": 2000, "n_networks": 2}}


def cards(spec: str | None) -> list[Path]:
    if not spec:
        return sorted((ROOT / "runs").glob("*.toml"))
    return [Path(c) if c.endswith(".toml") else ROOT / "runs" / f"{c}.toml"
            for c in spec.split(",")]


def configured(card: RunCard, sampler: str, reduced: bool) -> RunCard:
    card = with_sampler(card, sampler)
    if reduced:
        raw = dict(card.raw)
        raw["sampler"] = {**card.sampler, **REDUCED[sampler]}
        card = RunCard.from_dict(raw, card.path)
    return card


def ess_of(summary: dict) -> float:
    ess = summary["diagnostics"].get("ess")
    return float(min(ess.values())) if isinstance(ess, dict) else float(ess)


def limits(summary: dict, model_params: set[str]) -> str:
    out = []
    for name, p in summary["parameters"].items():
        if name not in model_params:
            continue
        lo, hi = p["hdi95"]
        prior = summary["priors"][name]
        at_edge = prior.get("min") is not None and abs(lo - prior["min"]) < 0.02 * (
            prior["max"] - prior["min"]) if prior.get("prior") == "uniform" else \
            prior.get("prior") == "loguniform"
        out.append(f"{name} < {p['upper95']:.3g}" if at_edge else f"{name} in [{lo:.3g}, {hi:.3g}]")
    return "; ".join(out)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cards", help="card stems or paths, comma-separated (default: all in runs/)")
    ap.add_argument("--samplers", default=",".join(SAMPLERS))
    ap.add_argument("--reduced", action="store_true", help="smaller settings (REDUCED)")
    ap.add_argument("--json", help="also write the rows to this JSON file")
    args = ap.parse_args(argv)
    print(f"machine: {machine()}")
    print(f"settings: {'reduced ' + json.dumps(REDUCED) if args.reduced else 'card / defaults'}\n")
    print("| card | sampler | wall [s] | calls | ESS | ESS/s | to 1000 ESS [s] | log Z | 95% |")
    print("|---|---|---|---|---|---|---|---|---|")
    rows = []
    for path in cards(args.cards):
        base = RunCard.load(path)
        for sampler in args.samplers.split(","):
            if sampler in OPTIONAL and importlib.util.find_spec(OPTIONAL[sampler]) is None:
                print(f"| {path.stem} | {sampler} | not installed |")
                continue
            try:
                card = configured(base, sampler, args.reduced)
                with tempfile.TemporaryDirectory() as tmp:
                    t0 = time.perf_counter()
                    _, s = run_card(card, out=Path(tmp) / "run", progress=False, force=True)
                    total = time.perf_counter() - t0
            except GlobalfitError as exc:
                print(f"| {path.stem} | {sampler} | failed: {exc} |")
                continue
            from globalfit.models import get_model

            model = get_model(base.model, **base.model_options)
            wall = s["sampler"]["wall_time_s"]
            ess = ess_of(s)
            ev = s["evidence"]
            row = {"card": path.stem, "sampler": sampler, "wall_s": wall, "total_s": total,
                   "calls": s["sampler"]["likelihood_calls"], "ess": ess, "ess_per_s": ess / wall,
                   "to_1000_ess_s": wall * max(1.0, 1000 / ess), "logz": ev and ev["logz"],
                   "logz_err": ev and ev["logz_err"],
                   "limits": limits(s, set(model.parameter_names)),
                   "settings": s["sampler"]["settings"]}
            rows.append(row)
            lz = f"{ev['logz']:.2f} ± {ev['logz_err']:.2f}" if ev else "-"
            print(f"| {path.stem} | {sampler} | {wall:.1f} | {row['calls']} | {ess:.0f} | "
                  f"{row['ess_per_s']:.1f} | {row['to_1000_ess_s']:.1f} | {lz} | "
                  f"{row['limits']} |")
            sys.stdout.flush()
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1, default=float))
    best = {}
    for r in rows:
        if r["card"] not in best or r["to_1000_ess_s"] < best[r["card"]]["to_1000_ess_s"]:
            best[r["card"]] = r
    nested = {}
    for r in rows:
        if r["logz"] is not None and (r["card"] not in nested
                                      or r["to_1000_ess_s"] < nested[r["card"]]["to_1000_ess_s"]):
            nested[r["card"]] = r
    print("\nfirst to 1000 effective samples (with evidence):")
    for c in best:
        n = nested.get(c)
        print(f"  {c}: {best[c]['sampler']} ({best[c]['to_1000_ess_s']:.1f} s)"
              + (f"; {n['sampler']} ({n['to_1000_ess_s']:.1f} s)" if n else ""))
    if not rows:
        print("  nothing ran")


if __name__ == "__main__":
    main()
