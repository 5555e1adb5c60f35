"""Framework validation table: samplers against analytic answers (docs/framework.md).

Run: ``python benchmarks/validate_framework.py`` (about 5 minutes on 2 cores).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from globalfit.card import RunCard  # noqa: E402
from globalfit.results import load_samples  # noqa: E402
from globalfit.runner import run_card  # noqa: E402
from tests.framework.cards import COV, LOGZ, MEAN, NAMES, counting_card, gaussian_card  # noqa: E402


def run(raw: dict) -> tuple[dict, dict]:
    d, s = run_card(RunCard.from_dict(raw), progress=False)
    return s, load_samples(d)


def main() -> None:
    tmp = Path(tempfile.mkdtemp())
    sd = np.sqrt(np.diag(COV))
    print("| check | ours | reference | tolerance |")
    print("|---|---|---|---|")
    pooled = {n: [] for n in NAMES}
    for seed in range(1, 6):
        s, x = run(gaussian_card({"name": "dynesty", "nlive": 500, "seed": seed},
                                 str(tmp / f"g{seed}")))
        ev = s["evidence"]
        pull = (ev["logz"] - LOGZ) / ev["logz_err"]
        print(f"| 5-D Gaussian log Z, dynesty seed {seed} | {ev['logz']:.3f} ± {ev['logz_err']:.3f}"
              f" ({pull:+.1f} σ) | {LOGZ:.3f} (-5 ln 2) | 3 σ |")
        for n in NAMES:
            pooled[n].append(x[n])
    s, xn = run(gaussian_card({"name": "nuts", "chains": 4, "warmup": 500, "samples": 2000,
                               "seed": 1}, str(tmp / "nuts")))
    for label, xs in (("dynesty (5 seeds pooled)", {n: np.concatenate(v)
                                                    for n, v in pooled.items()}), ("NUTS", xn)):
        dm = max(abs(xs[n].mean() - MEAN[i]) / sd[i] for i, n in enumerate(NAMES))
        ds = max(abs(xs[n].std() / sd[i] - 1) for i, n in enumerate(NAMES))
        print(f"| 5-D Gaussian, {label}: max |Δmean|/σ, max |Δsd|/sd | {dm:.3f}, {ds:.3f} | "
              "0, 0 (analytic) | 0.05, 0.05 |")
    print(f"| NUTS divergences, max R-hat | {s['diagnostics']['divergences']}, "
          f"{max(s['diagnostics']['r_hat'].values()):.4f} | 0, 1 | 0, 1.01 |")
    for name, st in (("dynesty", {"nlive": 400, "seed": 1}),
                     ("nuts", {"chains": 2, "warmup": 300, "samples": 3000, "seed": 1})):
        s, _ = run(counting_card({"name": name, **st}, str(tmp / f"c{name}")))
        up = s["parameters"]["g_prime"]["upper95"]
        print(f"| Poisson n=b=0 95% upper limit, {name} | {up:.3f} | 2.996 (-ln 0.05) | 5% |")
    raw = {"model": {"name": "nsi"}, "likelihoods": {"use": ["eggbox"]},
           "parameters": {n: {"prior": "uniform", "min": 0.0, "max": 10 * np.pi}
                          for n in ("eps_ee_u", "eps_mumu_u")},
           "sampler": {"name": "dynesty", "nlive": 1000, "seed": 1, "sample": "unif"},
           "output": {"dir": str(tmp / "egg")}}
    s, _ = run(raw)
    ev = s["evidence"]
    print(f"| Eggbox log Z, dynesty | {ev['logz']:.2f} ± {ev['logz_err']:.2f} | 235.88 "
          "(Feroz et al. 0809.3437) | 3 σ |")


if __name__ == "__main__":
    main()
