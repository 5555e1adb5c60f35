"""``globalfit combine CARD``: run every named combination of a card (or a lattice of unions of
groups) as ordinary run folders, then tabulate and compare them (docs/combinations.md).

Each combination is a run folder ``OUT/<name>`` (resume, skip-if-finished and ``globalfit
summary`` work on it as on any run); with ``--null`` a second folder ``OUT/<name>.null`` holds
the same combination with the model's couplings at their Standard-Model values, which gives the
Bayes factor of the model against the SM. With ``--reweight`` a combination is first estimated
from the samples of a smaller one it contains (importance weights, ``reweight`` sampler) and run
in full only when the effective sample size falls below ``--ess-min``.

The table (``combinations.csv``, ``combinations.json``, printed) gives per combination: whether
it is a projection, every physics parameter's 95% HDI or upper limit, ln Z with its error, the
information gain D_KL in bits and the Bayesian model dimensionality d_G, ln B against the SM; and
for every pair of disjoint combinations whose union is also in the table, the tension statistics
ln R, ln I, ln S, d and p (Handley & Lemos, arXiv:1902.04029; :mod:`globalfit.information`).
"""

from __future__ import annotations

import copy
import csv
import io
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from globalfit import combinations as comb
from globalfit.card import RunCard
from globalfit.errors import GlobalfitError

#: Default smallest effective sample size of a reweighted combination.
ESS_MIN = 400


@dataclass
class Planned:
    """One run of a combine job: a combination (or its SM null), its card and folder."""

    combo: comb.Combination
    null: bool
    raw: dict[str, Any]
    dir: Path
    projection: bool
    how: str = ""          # "full" | "reweighted from NAME" | "finished before"
    summary: dict[str, Any] = field(default_factory=dict)
    #: ln Z of an SM null with nothing left to sample (no nuisance): ln L at the SM point
    exact_logz: float | None = None

    @property
    def label(self) -> str:
        return self.combo.name + (".null" if self.null else "")


def physics_parameters(fit: Any) -> list[str]:
    """The model parameters the card samples (couplings, free masses), in order."""
    return [n for n in fit.parameters if n in fit.model.parameters]


def _declared(fit: Any) -> dict[str, set[str]]:
    """Parameter names each likelihood of the full card declares (prefixed and shared)."""
    return {lik.name: {f"{lik.name}.{s}" for s in lik.nuisance_priors()} | set(lik.shared_priors())
            for lik in fit.likelihoods}


def plan(card: RunCard, base: Path, only: Sequence[str] | None = None,
         lattice: Sequence[str] | None = None, each: bool = False, null: bool = False
         ) -> tuple[list[Planned], Any]:
    """The runs of a combine job and the full card's Fit (which validates everything first)."""
    from globalfit.fit import Fit

    probe = Fit.from_card(card, check_ranges=False)
    groups = comb.resolve(card.raw.get("combinations", {}), card.likelihoods)
    if lattice:
        combos = comb.lattice(lattice, groups, card.likelihoods)
    else:
        combos = comb.named(groups)
        if only:
            combos = comb.select(combos, only)
    if each:
        have = {c.likelihoods for c in combos}
        combos += [c for c in comb.singles(card.likelihoods) if c.likelihoods not in have]
    if not combos:
        raise GlobalfitError(f"{card.path or 'The card'} names no combination: add a "
                             "[combinations] table, or use --lattice or --each.")
    projections = {lik.name for lik in probe.likelihoods if lik.is_projection()}
    declared = _declared(probe)
    couplings = physics_parameters(probe)
    defaults = probe.model.defaults()
    out = []
    for c in combos:
        raw = comb.card_for(card.raw, c, declared, probe.model.parameters)
        variants = [False, True] if null else [False]
        for is_null in variants:
            r = copy.deepcopy(raw)
            if is_null:
                for n in couplings:
                    r["parameters"][n] = {"value": float(defaults[n])}
            d = base / (c.name + (".null" if is_null else ""))
            r.setdefault("output", {})["dir"] = str(d)
            derived = RunCard.from_dict(r, card.path)  # valid before anything runs
            p = Planned(c, is_null, r, d, c.is_projection(projections))
            if is_null:
                f = Fit.from_card(derived)
                if f.ndim == 0:  # nothing to integrate: Z_SM = L(SM)
                    p.exact_logz = float(f.loglike(np.zeros(0)))
                    p.how = "exact (no free parameter)"
            out.append(p)
    return out, probe


def _fingerprint(raw: dict[str, Any], path: Path | None):
    from globalfit.fit import Fit
    from globalfit.run_folder import Fingerprint

    card = RunCard.from_dict(raw, path)
    return Fingerprint.of(Fit.from_card(card), card)


def _run_full(task: dict[str, Any]) -> dict[str, Any]:
    """One full run (in a worker process): skip if finished, resume a matching checkpoint."""
    import globalfit  # noqa: F401  (x64 set-up in a worker)
    from globalfit.results import load_summary
    from globalfit.run_folder import finished_difference, is_finished
    from globalfit.runner import run_card

    path = Path(task["card_path"]) if task["card_path"] else None
    fp = _fingerprint(task["raw"], path)
    if is_finished(task["dir"], fp):
        return {"dir": task["dir"], "how": "finished before", "summary": load_summary(task["dir"])}
    why = finished_difference(task["dir"], fp)  # a result of another card or code: what differs
    how = "full" if why is None else (
        "full (replaced a result of another run" + (f": {why})" if why else ")"))
    card = RunCard.from_dict(task["raw"], path)
    _, summary = run_card(card, out=task["dir"], resume="auto", force=task["force"],
                          progress=False)
    return {"dir": task["dir"], "how": how, "summary": summary}


def _try_reweight(p: Planned, bases: list[Planned], card_path: Path | None, ess_min: int,
                  force: bool) -> bool:
    """Estimate ``p`` from the largest finished base it contains whose reweighted ESS passes;
    False when none does (then ``p`` runs in full)."""
    from globalfit.results import load_summary
    from globalfit.run_folder import is_finished
    from globalfit.runner import run_card
    from globalfit.samplers.reweight_sampler import LowEffectiveSampleSize

    held = set(p.combo.likelihoods)
    # bases: sampled runs (of this job or finished before), never reweighted ones
    candidates = sorted((b for b in bases if b.null == p.null and b.summary
                         and b.summary["sampler"]["name"] != "reweight"
                         and set(b.combo.likelihoods) < held),
                        key=lambda b: -len(b.combo.likelihoods))
    for b in candidates:
        raw = copy.deepcopy(p.raw)
        seed = p.raw.get("sampler", {}).get("seed", 1)
        raw["sampler"] = {"name": "reweight", "base": str(b.dir), "ess_min": int(ess_min),
                          "seed": seed,
                          "base_fingerprint": b.summary["provenance"]["fingerprint"]}
        if is_finished(p.dir, _fingerprint(raw, card_path)):
            p.how, p.summary = f"reweighted from {b.label} (finished before)", load_summary(p.dir)
            return True
        try:
            _, p.summary = run_card(RunCard.from_dict(raw, card_path), out=p.dir,
                                    resume="auto", force=force, progress=False)
        except LowEffectiveSampleSize:
            continue
        p.how = f"reweighted from {b.label}"
        return True
    return False


def run_combine(card_path: str | Path, out: str | Path | None = None,
                only: Sequence[str] | None = None, lattice: Sequence[str] | None = None,
                each: bool = False, null: bool = False, reweight: bool = False,
                ess_min: int = ESS_MIN, jobs: int = 1, sampler: str | None = None,
                force: bool = False, progress: bool = True, executor: Any = None
                ) -> tuple[Path, dict[str, Any]]:
    """Run a combine job and write its table and figures; returns (folder, table)."""
    from globalfit.executors import TaskFailure, TasksFailed, get_executor, opened
    from globalfit.runner import output_dir, with_sampler

    card = with_sampler(RunCard.load(card_path), sampler)
    if card.sampler["name"] == "reweight":
        raise GlobalfitError("combine runs a sampler (dynesty or nuts); it reweights by itself "
                             "with --reweight.")
    base = Path(out) if out else Path(f"{output_dir(card, None)}_combine")
    runs, probe = plan(card, base, only=only, lattice=lattice, each=each, null=null)
    executor = executor or get_executor(jobs, quiet=not progress)
    card_path = card.path
    by_size: dict[int, list[Planned]] = {}
    for p in (r for r in runs if r.exact_logz is None):
        by_size.setdefault(len(p.combo.likelihoods), []).append(p)
    done: list[Planned] = []
    failures: list[TaskFailure] = []
    from rich.progress import Progress

    with opened(executor), Progress(disable=not progress, transient=False) as bar:
        task_id = bar.add_task("combinations", total=sum(map(len, by_size.values())))
        for size in sorted(by_size):
            level = by_size[size]
            full = []
            for p in level:
                if reweight and size > 1 and _try_reweight(p, done, card_path, ess_min, force):
                    bar.advance(task_id)
                else:
                    full.append(p)
            tasks = [{"raw": p.raw, "dir": str(p.dir), "force": force,
                      "card_path": str(card_path) if card_path else None} for p in full]
            by_dir = {str(p.dir): p for p in full}
            for item, res in executor.map(_run_full, tasks):
                bar.advance(task_id)
                if isinstance(res, TaskFailure):
                    failures.append(res)
                    continue
                p = by_dir[item["dir"]]
                p.how, p.summary = res["how"], res["summary"]
            done += level
    if failures:  # the finished run folders are kept; a rerun skips them
        raise TasksFailed(failures, sum(map(len, by_size.values())))
    table = tabulate(runs, physics_parameters(probe), probe)
    write_table(base, table)
    from globalfit.combination_plots import plot_combinations

    plot_combinations(base, runs, table, physics_parameters(probe), card.title)
    return base, table


# -- the table -------------------------------------------------------------------------------
def limit_of(summary: dict[str, Any], name: str, prior: dict[str, Any]) -> dict[str, Any]:
    """The 95% statement of one parameter: an upper limit when the 95% highest-density region
    reaches the prior's lower edge (a coupling compatible with zero), else the HDI regions."""
    p = summary["parameters"][name]
    lo = prior.get("min")
    hi = prior.get("max")
    regions = p.get("hdi95_regions") or [p["hdi95"]]
    if lo is not None and hi is not None:
        if prior.get("prior") == "loguniform" and lo > 0:
            edge = math.log(regions[0][0] / lo) < 0.02 * math.log(hi / lo)
        else:
            edge = regions[0][0] - lo < 0.02 * (hi - lo)
        if edge:
            return {"kind": "upper", "upper95": p["upper95"]}
    return {"kind": "hdi", "hdi95": regions}


def _stats(p: Planned) -> dict[str, Any] | None:
    """Draws and summary of (ln Z, D_KL, <ln L>, d_G) of a nested (or reweighted nested) run;
    None for other samplers."""
    from globalfit import information
    from globalfit.chains import Chains

    ch = Chains.from_run(p.dir)
    if not ch.nested or ch.logl_birth is None:
        return None
    draws = information.run_draws(ch.loglike, ch.logl_birth, ch.loglike_base, nsamples=500)
    return {"draws": draws, **information.summarise(draws)}


def tabulate(runs: list[Planned], physics: list[str], probe: Any) -> dict[str, Any]:
    """The combination table: one row per combination, and the pairwise tension statistics."""
    from globalfit import information

    models = [p for p in runs if not p.null]
    nulls = {p.combo.name: p for p in runs if p.null}
    stats = {p.combo.name: _stats(p) for p in models}
    rows = []
    for p in models:
        s = p.summary
        ev = s.get("evidence") or {}
        st = stats[p.combo.name]
        row: dict[str, Any] = {
            "combination": p.combo.name, "projection": p.projection,
            "likelihoods": list(p.combo.likelihoods), "how": p.how, "dir": str(p.dir),
            "sampler": s["sampler"]["name"],
            "converged": (s.get("convergence") or {}).get("converged"),
            "logZ": ev.get("logz"), "logZ_err": ev.get("logz_err"),
            "information_bits": st["bits"]["mean"] if st else None,
            "information_bits_err": st["bits"]["sd"] if st else None,
            "dimensionality": st["d_G"]["mean"] if st else None,
            "dimensionality_err": st["d_G"]["sd"] if st else None,
            "likelihood_calls": s["sampler"].get("likelihood_calls"),
            "limits": {n: limit_of(s, n, s["priors"][n]) for n in physics
                       if n in s.get("parameters", {})},
        }
        nl = nulls.get(p.combo.name)
        e0 = ({"logz": nl.exact_logz, "logz_err": 0.0} if nl is not None
              and nl.exact_logz is not None else (nl.summary.get("evidence") if nl else None))
        if e0 and ev:
            row["lnB_vs_SM"] = ev["logz"] - e0["logz"]
            row["lnB_vs_SM_err"] = math.hypot(ev["logz_err"], e0["logz_err"])
        rows.append(row)
    tensions = []
    by_set = {frozenset(p.combo.likelihoods): p for p in models}
    for i, a in enumerate(models):
        for b in models[i + 1:]:
            sa, sb = set(a.combo.likelihoods), set(b.combo.likelihoods)
            u = by_set.get(frozenset(sa | sb))
            if sa & sb or u is None:
                continue
            da, db, du = (stats[x.combo.name] for x in (a, b, u))
            if not (da and db and du):
                continue
            t = information.tension(du["draws"], da["draws"], db["draws"])
            tensions.append({"a": a.combo.name, "b": b.combo.name, "union": u.combo.name,
                             **{k: v["mean"] for k, v in t.items()},
                             **{f"{k}_err": v["sd"] for k, v in t.items()}})
    return {"rows": rows, "tensions": tensions, "physics": physics,
            "contributions": contributions(rows),
            "model": [probe.model.name, dict(probe.model.options)]}


def contributions(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What each combination adds to another it does not overlap: for every pair (C, C u G) in
    the table, the bits of information added and how much each 95% upper limit shrinks
    (1 - U(C u G) / U(C)). Only the largest C is kept for each G (closest to the full set)."""
    by_set = {frozenset(r["likelihoods"]): r for r in rows}
    out: dict[str, dict[str, Any]] = {}
    for g in rows:
        sg = frozenset(g["likelihoods"])
        best = None
        for sc, c in by_set.items():
            if sc & sg or (sc | sg) not in by_set:
                continue
            if best is None or len(sc) > len(best[0]):
                best = (sc, c, by_set[sc | sg])
        if best is None:
            continue
        _, c, u = best
        shrink = {}
        for n, lim in u["limits"].items():
            before = c["limits"].get(n, {})
            if lim["kind"] == "upper" and before.get("kind") == "upper" and before["upper95"]:
                shrink[n] = 1.0 - lim["upper95"] / before["upper95"]
        bits = (u["information_bits"] - c["information_bits"]
                if u["information_bits"] is not None and c["information_bits"] is not None
                else None)
        out[g["combination"]] = {"group": g["combination"], "added_to": c["combination"],
                                 "union": u["combination"], "bits_added": bits,
                                 "upper95_shrink": shrink}
    return list(out.values())


def _fmt_limit(lim: dict[str, Any]) -> str:
    if lim["kind"] == "upper":
        return f"< {lim['upper95']:.3g}"
    return " U ".join(f"[{a:.3g}, {b:.3g}]" for a, b in lim["hdi95"])


def write_table(base: Path, table: dict[str, Any]) -> None:
    """combinations.json (everything) and combinations.csv (one row per combination)."""
    from globalfit.run_folder import atomic_write, plain

    base.mkdir(parents=True, exist_ok=True)
    atomic_write(base / "combinations.json",
                 lambda p: p.write_text(json.dumps(plain(table), indent=2)))
    cols = ["combination", "projection", "likelihoods", "how", "converged", "logZ", "logZ_err",
            "lnB_vs_SM", "lnB_vs_SM_err", "information_bits", "information_bits_err",
            "dimensionality", "dimensionality_err", "likelihood_calls"]
    cols += [f"{n}_95" for n in table["physics"]]
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols, extrasaction="ignore")
    w.writeheader()
    for r in table["rows"]:
        w.writerow({**{k: _csv(r.get(k)) for k in cols},
                    "likelihoods": ";".join(r["likelihoods"]),
                    **{f"{n}_95": _fmt_limit(lim) for n, lim in r["limits"].items()}})
    atomic_write(base / "combinations.csv", lambda p: p.write_text(buf.getvalue()))
    if table["tensions"]:
        tcols = ["a", "b", "union", "logR", "logR_err", "logI", "logI_err", "logS", "logS_err",
                 "d", "d_err", "p", "sigma"]
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=tcols, extrasaction="ignore")
        w.writeheader()
        for t in table["tensions"]:
            w.writerow({k: _csv(t.get(k)) for k in tcols})
        atomic_write(base / "tensions.csv", lambda p: p.write_text(buf.getvalue()))


def _csv(x: Any) -> Any:
    if isinstance(x, float):
        return "" if not math.isfinite(x) else f"{x:.6g}"
    return "" if x is None else x


def print_table(table: dict[str, Any], console: Any) -> None:
    """The combination table and the tension table, on a rich console."""
    from rich.table import Table

    t = Table(title="combinations (95% HDI or upper limit)")
    for col in ("combination", "kind", "ln Z", "ln B vs SM", "info [bits]", "d_G", "run",
                *table["physics"]):
        t.add_column(col, overflow="fold")
    for r in table["rows"]:
        def pm(v, e):
            return "-" if v is None else f"{v:.2f} ± {e:.2f}"
        verdict = "" if r["converged"] in (True, None) else " [bold red]NOT CONVERGED[/]"
        t.add_row(r["combination"], ("projection" if r["projection"] else "measurement")
                  + verdict, pm(r["logZ"], r["logZ_err"]),
                  pm(r.get("lnB_vs_SM"), r.get("lnB_vs_SM_err")),
                  pm(r["information_bits"], r["information_bits_err"]),
                  pm(r["dimensionality"], r["dimensionality_err"]), r["how"],
                  *(_fmt_limit(r["limits"][n]) if n in r["limits"] else "-"
                    for n in table["physics"]))
    console.print(t)
    if table["tensions"]:
        t = Table(title="tension between disjoint combinations (Handley & Lemos 2019)")
        for col in ("A", "B", "ln R", "ln I", "ln S", "d", "p", "sigma"):
            t.add_column(col)
        for x in table["tensions"]:
            t.add_row(x["a"], x["b"], f"{x['logR']:.2f} ± {x['logR_err']:.2f}",
                      f"{x['logI']:.2f} ± {x['logI_err']:.2f}",
                      f"{x['logS']:.2f} ± {x['logS_err']:.2f}",
                      f"{x['d']:.2f}", f"{x['p']:.3g}",
                      "-" if x["sigma"] is None or not np.isfinite(x["sigma"])
                      else f"{x['sigma']:.2f}")
        console.print(t)
