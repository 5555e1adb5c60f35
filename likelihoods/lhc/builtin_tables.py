"""Built-in limit tables of the LHC likelihoods, chosen from the public releases by a rule.

    python -m likelihoods.lhc.builtin_tables            # rewrite the tables in the data cards
    python -m likelihoods.lhc.builtin_tables --check    # exit 1 if a card is not what it gives

Each built-in table is the smallest subset of a release's own points (values copied, six
significant digits) through which linear interpolation of log(limit) in M, the interpolation
the likelihoods use, reproduces every point of the release within a tolerance. Between two kept
points the subset's and the release's curves are both piecewise linear in log(limit) with nodes
at release masses, so the largest deviation is at a release point: the tolerance holds at every
mass. The subset is found exactly as a shortest path over the segments that keep every
intermediate point within the tolerance (all columns at once for a table with several widths).

Tables (and what sets each tolerance):
- ``atlas``: ATLAS 139 fb^-1 dilepton limits (release ``lhc/atlas_1903.06248``), the six width
  columns, 1.5% in sigma x B: the bound on g' scales as sqrt(limit) for a narrow Z', so g' stays
  within 0.75% (tests/lhc check within 1% over the whole mass range for sets A, B and B - L);
- ``cms_z4mu``: CMS Z -> 4 mu observed g'_95 of L_mu - L_tau (release ``lhc/cms_z4mu_2018``),
  0.8% in g' (the bound on g' is proportional to the table).

The generated lines sit between ``# BEGIN GENERATED <table>`` and ``# END GENERATED <table>`` in
the data card; everything else in the card is left as it is.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from globalfit.data import release_path
from likelihoods.limit_curves import read_csv

HERE = Path(__file__).parent


@dataclass(frozen=True)
class Table:
    """One built-in table: where it comes from, where it goes, and its tolerance (in log)."""

    name: str
    card: str
    release: str
    release_file: str
    columns: tuple[int, ...]  # columns of the release CSV after the mass column
    tolerance: float
    value_key: str


TABLES = {
    "atlas": Table("atlas", "dilepton_resonance.toml", "lhc/atlas_1903.06248",
                   "atlas_1903.06248_dilepton_obs_fid_xsecBR_limit.csv", (1, 2, 3, 4, 5, 6),
                   0.015, "limit_fb"),
    "cms_z4mu": Table("cms_z4mu", "four_lepton.toml", "lhc/cms_z4mu_2018",
                      "cms_exo18008_Lmu-Ltau_gprime_95CL_limit.csv", (1,), 0.008, "g_prime"),
}


def read_release(t: Table) -> tuple[np.ndarray, np.ndarray]:
    """(masses [GeV], limits (n, columns)) of the release, as published."""
    a = read_csv(release_path(t.release) / t.release_file)
    return a[:, 0], a[:, list(t.columns)]


def max_log_error(x: np.ndarray, logy: np.ndarray, keep: np.ndarray) -> float:
    """Largest |log y_interp - log y| over all points when interpolating through ``keep``."""
    cols = [np.interp(x, x[keep], logy[keep, j]) for j in range(logy.shape[1])]
    return float(np.max(np.abs(np.stack(cols, axis=1) - logy)))


def thin(x: np.ndarray, logy: np.ndarray, tol: float, window: int = 256) -> np.ndarray:
    """Indices of the fewest points (first and last included) through which linear
    interpolation reproduces every (x, logy) within ``tol`` (segments span < ``window``)."""
    n = len(x)
    logy = logy.reshape(n, -1)
    cost = np.full(n, np.iinfo(np.int64).max)
    prev = np.full(n, -1)
    cost[0] = 1
    for i in range(n - 1):
        j = np.arange(i + 1, min(n, i + window))
        k = np.arange(i + 1, j[-1] + 1)
        t = (x[k][None, :] - x[i]) / (x[j] - x[i])[:, None]  # (j, k)
        interp = logy[i] + t[..., None] * (logy[j] - logy[i])[:, None, :]
        err = np.abs(interp - logy[k][None, :, :]).max(axis=2)
        err = np.where(k[None, :] < j[:, None], err, 0.0).max(axis=1)
        ok = j[err <= tol]
        better = ok[cost[i] + 1 < cost[ok]]
        cost[better] = cost[i] + 1
        prev[better] = i
    idx = [n - 1]
    while idx[-1] != 0:
        idx.append(int(prev[idx[-1]]))
    return np.array(idx[::-1])


def _fmt(v: float) -> str:
    return f"{v:.6g}"


def _array(key: str, values: np.ndarray, per_line: int = 10) -> list[str]:
    """A TOML array of numbers, ``per_line`` to a line."""
    rows = [", ".join(_fmt(v) for v in values[i:i + per_line])
            for i in range(0, len(values), per_line)]
    return [f"{key} = ["] + [f"  {r}," for r in rows] + ["]"]


def generated_block(t: Table) -> str:
    """The card lines of table ``t`` (markers included)."""
    m, lim = read_release(t)
    keep = thin(m, np.log(lim), t.tolerance)
    m_k, lim_k = np.array([float(_fmt(v)) for v in m[keep]]), lim[keep]
    err = max_log_error(m, np.log(lim), keep)
    lines = [f"# BEGIN GENERATED {t.name}: python -m likelihoods.lhc.builtin_tables (do not edit)",
             f"# {len(keep)} of the {len(m)} points of release {t.release!r},",
             "# values as published (6 significant digits); linear interpolation of log(limit)",
             f"# in M through them reproduces every release point within {100 * err:.2f}% "
             f"(tolerance {100 * t.tolerance:g}%).",
             *_array("mass_GeV", m_k)]
    if lim.shape[1] == 1:
        lines += _array(t.value_key, lim_k[:, 0])
    else:
        lines.append(f"# {t.value_key}[i] = limits at mass_GeV[i] for the {lim.shape[1]} widths")
        lines.append(f"{t.value_key} = [")
        lines += ["  [" + ", ".join(_fmt(v) for v in row) + "]," for row in lim_k]
        lines.append("]")
    lines.append(f"# END GENERATED {t.name}")
    return "\n".join(lines)


def updated_card(t: Table) -> tuple[Path, str, str]:
    """(card path, current text, text with the regenerated block)."""
    path = HERE / t.card
    text = path.read_text()
    pat = re.compile(rf"# BEGIN GENERATED {t.name}\b.*?# END GENERATED {t.name}", re.S)
    if not pat.search(text):
        raise SystemExit(f"{path} has no '# BEGIN GENERATED {t.name}' ... '# END GENERATED "
                         f"{t.name}' block to fill.")
    return path, text, pat.sub(lambda _: generated_block(t), text)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="only compare, write nothing")
    ap.add_argument("tables", nargs="*", help=f"some of {', '.join(TABLES)} (default: all)")
    args = ap.parse_args(argv)
    for name in args.tables:
        if name not in TABLES:
            ap.error(f"unknown table {name!r}; choose from {', '.join(TABLES)}")
    stale = []
    for name in args.tables or list(TABLES):
        path, old, new = updated_card(TABLES[name])
        if old == new:
            print(f"{name}: {path.name} is up to date")
        elif args.check:
            stale.append(name)
            print(f"{name}: {path.name} differs from what the release gives")
        else:
            path.write_text(new)
            print(f"{name}: wrote {path.name}")
    return 1 if stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
