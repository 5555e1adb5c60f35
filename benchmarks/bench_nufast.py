"""The oscillation engine against NuFast, side by side in one run, per probability set per core.

    python benchmarks/bench_nufast.py [--n 100000] [--rounds 5] [--nufast DIR]

NuFast (P. B. Denton and S. J. Parke, arXiv:2405.02400; C++, Standard Model, constant density) is
built here from its public source if ``../shared/peers/nufast/NuFast.cpp`` (or ``--nufast DIR``)
exists and g++ is installed, with the authors' flags (``-Ofast -ffast-math``, their compile.sh)
and a small driver of ours that times ``Probability_Matter_LBL`` over the energies; otherwise the
comparison is skipped with a message. Both compute all nine probabilities per energy at the DUNE
baseline (1300 km, 2.848 g/cm^3, Y_e = 0.5, NuFIT 6.0 NO, neutrinos, 0.5-20 GeV).

Ours is timed twice: with the probabilities returned flattened, P[..., 3 a + b] (``flat=True``:
the layout the engine computes in, NuFast's 3x3 array per energy, and what the likelihoods
read), and as the default (..., 3, 3) array, which costs XLA:CPU about as much again.

Per core: CPU time of the process (all its threads) per probability set, best of ``--rounds``
rounds that alternate between the two codes (the machine is shared: CPU time is what a set costs
a core, wall time also counts waiting). Accuracy: ours against NuOscProbExact (the 1e-12 test of
tests/oscillation/test_engine.py, repeated here on 1000 of the energies) and the largest
difference to NuFast with N_Newton = 0, 1, 2.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import jax
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_sampler_path import machine  # noqa: E402

import globalfit  # noqa: E402, F401  (float64)
from likelihoods.oscillation import probabilities  # noqa: E402
from likelihoods.oscillation.nufit import best_fit  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
L_KM, RHO, YE = 1300.0, 2.848, 0.5

#: our driver: times Probability_Matter_LBL over n energies (CPU and wall), prints the best
#: round and the nine probabilities at a few energies
DRIVER = r"""
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <vector>
void Probability_Matter_LBL(double, double, double, double, double, double, double, double,
                            double, double, int, double (*)[3][3]);
static double cpu() { timespec t; clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
                      return t.tv_sec + 1e-9 * t.tv_nsec; }
int main(int argc, char **argv) {
  if (argc < 13) return 2;
  double s12 = atof(argv[1]), s13 = atof(argv[2]), s23 = atof(argv[3]), d = atof(argv[4]);
  double m21 = atof(argv[5]), m31 = atof(argv[6]), L = atof(argv[7]), rho = atof(argv[8]);
  double ye = atof(argv[9]); int newton = atoi(argv[10]); long n = atol(argv[11]);
  int rounds = atoi(argv[12]);
  std::vector<double> e(n); double probs[3][3], sink = 0;
  for (long i = 0; i < n; ++i) e[i] = 0.5 + 19.5 * i / (n - 1);
  double best_cpu = 1e30, best_wall = 1e30;
  for (int r = 0; r < rounds; ++r) {
    double c0 = cpu(); auto w0 = std::chrono::steady_clock::now();
    for (long i = 0; i < n; ++i) {
      Probability_Matter_LBL(s12, s13, s23, d, m21, m31, L, e[i], rho, ye, newton, &probs);
      sink += probs[1][0];
    }
    double c = cpu() - c0;
    double w = std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count();
    if (c < best_cpu) best_cpu = c;
    if (w < best_wall) best_wall = w;
  }
  printf("%.6e %.6e %.17g\n", best_cpu / n, best_wall / n, sink);
  for (long i = 0; i < n; i += n / 7) {
    Probability_Matter_LBL(s12, s13, s23, d, m21, m31, L, e[i], rho, ye, newton, &probs);
    printf("%.17g", e[i]);
    for (int a = 0; a < 3; ++a) for (int b = 0; b < 3; ++b) printf(" %.17g", probs[a][b]);
    printf("\n");
  }
  return 0;
}
"""


def build_nufast(src_dir: Path, work: Path) -> Path | None:
    """Compile NuFast.cpp (its own main renamed away) with our driver; None if impossible."""
    src = src_dir / "NuFast.cpp"
    gxx = shutil.which("g++")
    if not src.is_file() or gxx is None:
        return None
    (work / "driver.cpp").write_text(DRIVER)
    flags = ["-Ofast", "-ffast-math", "-w"]  # the authors' compile.sh (-w: their example main)
    subprocess.run([gxx, *flags, "-c", "-Dmain=nufast_example_main", str(src), "-o",
                    str(work / "nufast.o")], check=True)
    subprocess.run([gxx, *flags, str(work / "driver.cpp"), str(work / "nufast.o"), "-o",
                    str(work / "nufast_bench")], check=True)
    return work / "nufast_bench"


def run_nufast(exe: Path, osc: dict, newton: int, n: int, rounds: int
               ) -> tuple[float, float, np.ndarray]:
    args = [math.sin(osc["theta12"]) ** 2, math.sin(osc["theta13"]) ** 2,
            math.sin(osc["theta23"]) ** 2, osc["delta_cp"], osc["dm21"], osc["dm31"], L_KM,
            RHO, YE, newton, n, rounds]
    out = subprocess.run([str(exe), *map(str, args)], capture_output=True, text=True,
                         check=True).stdout.split("\n")
    cpu, wall, _ = (float(v) for v in out[0].split())
    table = np.array([[float(v) for v in ln.split()] for ln in out[1:] if ln.strip()])
    return cpu, wall, table


def time_ours(e: np.ndarray, osc: dict, rounds: int, flat: bool) -> tuple[float, float]:
    def call():
        return probabilities(e, L_KM, RHO, osc=osc, Ye=YE, flat=flat).block_until_ready()

    call()
    best_cpu = best_wall = math.inf
    for _ in range(rounds):
        c0, w0 = time.process_time(), time.perf_counter()
        call()
        best_cpu = min(best_cpu, time.process_time() - c0)
        best_wall = min(best_wall, time.perf_counter() - w0)
    return best_cpu / len(e), best_wall / len(e)


def accuracy_vs_nuoscprobexact(osc: dict, e: np.ndarray) -> float | None:
    try:
        import hamiltonians3nu as h3
        import oscprob3nu
    except ImportError:
        return None
    from globalfit.constants import KM_TO_INV_EV, V_CC_EV_PER_GCM3

    hv = h3.hamiltonian_3nu_vacuum_energy_independent(
        math.sin(osc["theta12"]), math.sin(osc["theta23"]), math.sin(osc["theta13"]),
        osc["delta_cp"], osc["dm21"], osc["dm31"])
    v = V_CC_EV_PER_GCM3 * RHO * YE
    ours = np.asarray(probabilities(e, L_KM, RHO, osc=osc, Ye=YE))
    worst = 0.0
    for k, ek in enumerate(e):
        h = hv / (ek * 1e9) + v * np.diag([1.0, 0.0, 0.0])
        ref = np.array(oscprob3nu.probabilities_3nu(h, L_KM * KM_TO_INV_EV)).reshape(3, 3)
        worst = max(worst, float(np.max(np.abs(ours[k] - ref))))
    return worst


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=100_000, help="energies per call")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--nufast", default=str(ROOT.parent / "shared" / "peers" / "nufast"))
    args = ap.parse_args(argv)
    print(f"machine: {machine()}")
    print(f"XLA threads: process CPU time counts all of them (XLA_FLAGS="
          f"{os.environ.get('XLA_FLAGS', '')!r})\n")
    osc = {k: float(v) for k, v in best_fit("NO").items()}
    e = np.linspace(0.5, 20.0, args.n)
    acc = accuracy_vs_nuoscprobexact(osc, e[:: max(1, args.n // 1000)])
    with tempfile.TemporaryDirectory() as tmp:
        exe = build_nufast(Path(args.nufast), Path(tmp))
        if exe is None:
            print(f"NuFast not built (no {args.nufast}/NuFast.cpp or no g++): ours only")
        best = {"ours": [math.inf, math.inf], "ours 3x3": [math.inf, math.inf],
                0: [math.inf] * 2, 1: [math.inf] * 2, 2: [math.inf] * 2}
        tables = {}
        for _ in range(args.rounds):
            for key, flat in (("ours", True), ("ours 3x3", False)):
                c, w = time_ours(e, osc, 3, flat)
                best[key] = [min(best[key][0], c), min(best[key][1], w)]
            if exe is not None:
                for newton in (0, 1, 2):
                    c, w, tables[newton] = run_nufast(exe, osc, newton, args.n, 3)
                    best[newton] = [min(best[newton][0], c), min(best[newton][1], w)]
        print("| code | CPU ns per set | wall ns per set | ours / it (CPU) | max abs(dP) vs ours |")
        print("|---|---|---|---|---|")
        ours = best["ours"]
        print(f"| globalfit engine (JAX, exact, NSI-capable), P[..., 3 a + b] (flat=True, "
              f"NuFast's layout; what the likelihoods read) | {ours[0] * 1e9:.1f} | "
              f"{ours[1] * 1e9:.1f} | 1 | - |")
        c, w = best["ours 3x3"]
        print(f"| the same returned as P[..., a, b] (shape (..., 3, 3), the default) | "
              f"{c * 1e9:.1f} | {w * 1e9:.1f} | {ours[0] / c:.2f} | 0 |")
        if exe is not None:
            for newton in (0, 1, 2):
                t = tables[newton]
                p = np.asarray(probabilities(t[:, 0], L_KM, RHO, osc=osc, Ye=YE)).reshape(-1, 9)
                dp = float(np.max(np.abs(p - t[:, 1:])))
                c, w = best[newton]
                print(f"| NuFast C++, N_Newton = {newton} | {c * 1e9:.1f} | {w * 1e9:.1f} | "
                      f"{ours[0] / c:.2f} | {dp:.1e} |")
    if acc is not None:
        print(f"\nours vs NuOscProbExact on {len(e[:: max(1, args.n // 1000)])} energies: "
              f"max abs(dP) = {acc:.1e} (test tolerance 1e-12)")
    print(f"jax {jax.__version__}; {args.n} energies per call; best of {args.rounds} rounds")


if __name__ == "__main__":
    main()
