"""Scans: every combination of a card at every value of one parameter (``m_zprime``, ``m_phi``).

``globalfit scan CARD --over m_zprime=logspace(-2.3,3.7,40)`` fixes the parameter at each value
and, for each named combination of the card's ``[combinations]`` (the whole card when it names
none; ``--each`` adds every single likelihood; ``--only`` picks some), computes each free
coupling's profile-likelihood 95% CL upper bound (Delta chi2 = 3.84 above the best fit, every
other parameter, nuisances included, profiled) and, unless ``--profile-only``, its Bayesian 95%
upper limit from a sampler run. At each value a combination keeps only the likelihoods whose
validity window holds the value (a search outside its mass range says nothing there).

Each (combination, value) is one folder ``OUT/<combination>/<param>=<value>`` (a run folder
when a sampler runs; ``profile.json`` beside it, both fingerprinted, so reruns skip finished
points and a changed card or code recomputes them; ``scan.csv`` reads only this run's
results). ``scan.csv`` is in long format: ``combination``, ``projection``, the scanned
parameter, ``likelihoods`` (those that apply there), per coupling ``<name>_profile95``,
``<name>_upper95`` and its Monte Carlo error ``<name>_upper95_err`` (globalfit.limit_error;
empty where not computed), and the sampler's convergence verdict. ``scan.png``
(``scan_<coupling>.png`` for several couplings) shades the excluded regions of measurements,
dashes projections and says which curves are profile or Bayesian.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from globalfit import combinations as comb
from globalfit.card import RunCard
from globalfit.errors import GlobalfitError, suggest
from globalfit.executors import (
    Executor,
    TaskFailure,
    TasksFailed,
    get_executor,
    opened,
    seed_task,
)
from globalfit.run_folder import (
    Fingerprint,
    RunFolder,
    atomic_write,
    finished_difference,
    is_finished,
    plain,
)

_FUNC = re.compile(r"^\s*(logspace|linspace|geomspace)\(([^)]*)\)\s*$")
PROFILE = "profile.json"


def parse_over(spec: str) -> tuple[str, np.ndarray]:
    """``PARAM=logspace(a,b,n)`` | ``PARAM=linspace(a,b,n)`` | ``PARAM=v1,v2,...``."""
    if not isinstance(spec, str) or "=" not in spec:
        raise GlobalfitError(f"--over needs PARAM=VALUES, got {spec!r}.")
    name, values = (s.strip() for s in spec.split("=", 1))
    m = _FUNC.match(values)
    try:
        if m:
            a, b, n = (float(v) for v in m.group(2).split(","))
            if n < 1 or n != int(n):
                raise ValueError
            arr = getattr(np, m.group(1))(a, b, int(n))
        else:
            arr = np.array([float(v) for v in values.split(",") if v.strip()])
    except ValueError:
        raise GlobalfitError(
            f"Cannot read the values {values!r}: use logspace(a,b,n), linspace(a,b,n) or a "
            "comma-separated list.") from None
    if arr.size == 0:
        raise GlobalfitError("--over gives no values.")
    if not np.all(np.isfinite(arr)):
        raise GlobalfitError(f"--over {name}: every value must be finite, got {values!r}.")
    # one point per folder: values that share a folder name (equal to 6 digits) are merged
    merged: dict[str, float] = {}
    for v in np.sort(arr):
        merged.setdefault(point_name(name, float(v)), float(v))
    return name, np.array(list(merged.values()))


def point_name(param: str, value: float) -> str:
    return f"{param}={value:.6g}"


def point_dir(base: Path, combination: str, param: str, value: float) -> Path:
    return base / combination / point_name(param, value)


def profile_digest(fp: Fingerprint) -> str:
    """What a profile bound depends on: the run's fingerprint without its sampler."""
    content = {k: v for k, v in fp.content.items() if k != "sampler"}
    text = json.dumps(content, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def read_profile(path: Path) -> dict[str, Any]:
    """A point's profile bounds (``{"fingerprint", "bounds"}``; None where no bound exists)."""
    try:
        prof = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return {}
    return prof if isinstance(prof, dict) and isinstance(prof.get("bounds"), dict) else {}


def _run_point(task: dict[str, Any]) -> dict[str, Any]:
    """One (combination, value) in a worker: the sampler run unless profile-only, then the
    profile bound of each coupling; each skipped when its fingerprinted result is there."""
    import globalfit  # noqa: F401  (x64 set-up in a worker)
    from globalfit.profile import profile_upper_limit
    from globalfit.runner import run_card

    card, fit, fp = _point_fit(task)
    out = Path(task["dir"])
    if not task["profile_only"] and not is_finished(out, fp):
        # a finished point of another card is replaced (staged); a killed one resumes
        run_card(card, out=out, progress=False, force=True, resume="auto", fit=fit)
    digest = profile_digest(fp)
    if read_profile(out / PROFILE).get("fingerprint") != digest:
        with RunFolder(out):  # one writer per point folder
            bounds = {c: profile_upper_limit(fit, c) for c in task["couplings"]}
            text = json.dumps(plain({"fingerprint": digest, "bounds": bounds,
                                     "likelihoods": fit.likelihood_names}))
            atomic_write(out / PROFILE, lambda p: p.write_text(text))
    return {"dir": str(out)}


def _point_fit(task: dict[str, Any]) -> tuple[RunCard, Any, Fingerprint]:
    from globalfit.fit import Fit

    card = RunCard.from_dict(task["raw"], Path(task["card_path"]) if task["card_path"] else None)
    fit = Fit.from_card(card)
    return card, fit, Fingerprint.of(fit, card)


def _point_state(task: dict[str, Any]) -> tuple[bool, str | None, Fingerprint]:
    """Whether the point's results (sampler run, profile bounds) are there and of this run;
    if not, what differs from the results its folder holds of another run (None: none there);
    and the point's fingerprint."""
    _, _, fp = _point_fit(task)
    out = Path(task["dir"])
    profile = read_profile(out / PROFILE).get("fingerprint")
    if ((task["profile_only"] or is_finished(out, fp)) and profile == profile_digest(fp)):
        return True, None, fp
    if not task["profile_only"] and (why := finished_difference(out, fp)):
        return False, why, fp
    return False, ("the profile bounds of another run" if profile is not None else None), fp


def _active(probe: Any, param: str, value: float) -> set[str]:
    """The likelihoods of the card whose validity window holds ``param = value``."""
    ranges = {n: probe._range(n) for n in probe.model.parameter_names}
    ranges[param] = (value, value)
    ok = set()
    for lik in probe.likelihoods:
        try:
            lik.check_model(probe.model, ranges)
        except GlobalfitError:
            continue
        ok.add(lik.name)
    return ok


def scan_combinations(card: RunCard, probe: Any, only: Sequence[str] | None, each: bool
                      ) -> list[comb.Combination]:
    """The card's named combinations (all, or ``only``), else the whole card as one; plus every
    single likelihood with ``each``."""
    groups = comb.resolve(card.raw.get("combinations", {}), card.likelihoods)
    combos = comb.named(groups)
    if only:
        combos = comb.select(combos, only)
    if not combos:
        name = card.likelihoods[0] if len(card.likelihoods) == 1 else "combined"
        combos = [comb.Combination(name, tuple(card.likelihoods))]
    if each:
        have = {c.likelihoods for c in combos}
        combos += [c for c in comb.singles(card.likelihoods) if c.likelihoods not in have]
    return combos


def run_scan(card_path: str | Path, over: str | None = None, out: str | Path | None = None,
             jobs: int = 1, executor: Executor | None = None, sampler: str | None = None,
             progress: bool = True, only: Sequence[str] | None = None, each: bool = False,
             profile_only: bool = False) -> Path:
    """Run the scan and write ``scan.csv`` and the exclusion plot(s) into the scan folder."""
    from globalfit.combine import _declared
    from globalfit.fit import Fit
    from globalfit.runner import output_dir, with_sampler

    card = with_sampler(RunCard.load(card_path), sampler)
    over = over or card.raw.get("scan", {}).get("over")
    if not over:
        raise GlobalfitError("Give the values to scan with --over PARAM=VALUES (or [scan] over "
                             "= \"PARAM=VALUES\" in the card).")
    param, values = parse_over(over)
    # validates the card once, before any worker starts (validity windows: value by value)
    probe = Fit.from_card(card, check_ranges=False)
    if param not in probe.model.parameters:
        raise GlobalfitError(f"Cannot scan over {param!r}: it is not a parameter of model "
                             f"{probe.model.name!r}." + suggest(param, probe.model.parameters))
    couplings = [n for n in probe.parameters if n in probe.model.parameters and n != param]
    if not couplings:
        raise GlobalfitError("The scan card has no free coupling to bound.")
    combos = scan_combinations(card, probe, only, each)
    projections = {lik.name for lik in probe.likelihoods if lik.is_projection()}
    declared = _declared(probe)
    base = Path(out) if out else Path(f"{output_dir(card, None)}_scan_{param}")
    tasks, points = [], []
    active_at = {float(v): _active(probe, param, float(v)) for v in values}
    for c in combos:
        for v in values:
            here = tuple(n for n in c.likelihoods if n in active_at[float(v)])
            point = {"combination": c.name, "projection": c.is_projection(projections),
                     "value": float(v), "likelihoods": here,
                     "dir": str(point_dir(base, c.name, param, v))}
            points.append(point)
            if not here:
                continue
            raw = comb.card_for(card.raw, comb.Combination(c.name, here), declared,
                                probe.model.parameters)
            raw["title"] = card.title
            raw.setdefault("parameters", {})[param] = {"value": float(v)}
            raw.setdefault("output", {})["dir"] = point["dir"]
            seed_task(raw, f"{c.name}/{point_name(param, v)}")
            RunCard.from_dict(raw, card.path)
            tasks.append({"raw": raw, "card_path": str(card.path) if card.path else None,
                          "dir": point["dir"], "couplings": couplings,
                          "profile_only": profile_only})
    states = [_point_state(t) for t in tasks]
    todo = [t for t, (done, _, _) in zip(tasks, states, strict=True) if not done]
    stale = [why for done, why, _ in states if not done and why is not None]
    expect = {t["dir"]: fp for t, (_, _, fp) in zip(tasks, states, strict=True)}
    for p in points:  # scan.csv reads a point's results only if they are of this run
        if p["dir"] in expect:
            p["fingerprint"] = expect[p["dir"]].digest
            p["profile_fingerprint"] = profile_digest(expect[p["dir"]])
    failures: list[TaskFailure] = []
    if todo:
        from rich.progress import Progress

        with opened(executor or get_executor(jobs, quiet=not progress)) as ex, \
                Progress(disable=not progress, transient=False) as bar:
            if stale and progress:  # points of an earlier card or code are redone: say so
                bar.console.print(f"{len(stale)} of {len(tasks)} points hold results of "
                                  f"another run and are recomputed (first: {stale[0]}).")
            task_id = bar.add_task(f"scan {param}: {len(combos)} combinations x {len(values)} "
                                   "values", total=len(tasks), completed=len(tasks) - len(todo))
            for _item, res in ex.map(_run_point, todo):
                if isinstance(res, TaskFailure):
                    failures.append(res)
                bar.advance(task_id)
    base = write_scan_table(base, param, points, couplings, card.title, profile_only,
                            (probe.model.name, probe.model.options))
    if failures:
        raise TasksFailed(failures, len(tasks))
    return base


def write_scan_table(base: Path, param: str, points: list[dict[str, Any]], couplings: list[str],
                     title: str = "", profile_only: bool = False,
                     model: tuple[str, dict[str, Any]] | None = None) -> Path:
    """``scan.csv`` (long format, module docstring) and the exclusion plots. A point's results
    are read only if they are of this run (its ``fingerprint`` and ``profile_fingerprint``,
    where given): a point whose rerun failed leaves empty cells, not an earlier run's limits."""
    from globalfit.results import load_summary

    rows = []
    for p in points:
        row: dict[str, Any] = {"combination": p["combination"],
                               "projection": str(p["projection"]).lower(), param: p["value"],
                               "likelihoods": ";".join(p["likelihoods"])}
        profile = read_profile(Path(p["dir"]) / PROFILE) if p["likelihoods"] else {}
        want = p.get("profile_fingerprint")
        prof = profile.get("bounds", {}) if want in (None, profile.get("fingerprint")) else {}
        summ = (load_summary(p["dir"]) if p["likelihoods"] and not profile_only
                and is_finished(p["dir"], p.get("fingerprint"))
                else None)  # a failed point: empty cells
        for c in couplings:
            b = prof.get(c)
            row[f"{c}_profile95"] = "" if b is None or not math.isfinite(b) else f"{b:.6g}"
            if summ is not None and _constrained(b):
                par = summ["parameters"][c]
                row[f"{c}_upper95"] = f"{par['upper95']:.6g}"
                err = par.get("upper95_err")  # absent in folders from before the errors
                row[f"{c}_upper95_err"] = "" if err is None else f"{err:.3g}"
            else:  # not computed, or a coupling the data do not constrain there (prior limit)
                row[f"{c}_upper95"] = row[f"{c}_upper95_err"] = ""
        conv = (summ or {}).get("convergence") or {}
        row["converged"] = "" if summ is None else str(conv.get("converged")).lower()
        row["convergence_issues"] = "; ".join(conv.get("reasons", []))
        rows.append(row)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]))
    w.writeheader()
    w.writerows(rows)
    base.mkdir(parents=True, exist_ok=True)
    atomic_write(base / "scan.csv", lambda p: p.write_text(buf.getvalue()))
    plot_scan(base, param, rows, couplings, title, model)
    return base


def _constrained(bound: Any) -> bool:
    """A coupling whose profile never reaches Delta chi2 = 3.84 inside its prior is not
    constrained there: its Bayesian "limit" would be the prior's, so it is not reported."""
    return bound is not None and math.isfinite(bound)


def plot_scan(base: Path, param: str, rows: list[dict[str, Any]], couplings: list[str],
              title: str = "", model: tuple[str, dict[str, Any]] | None = None) -> list[Path]:
    """One exclusion plot per coupling (``scan.png`` for one coupling, ``scan_<c>.png`` for
    several): a colour per combination, measurements shaded, projections dashed, profile lines
    and Bayesian markers with their Monte Carlo error bars."""
    from globalfit.labels import math as tex
    from globalfit.labels import parameter_labels
    from globalfit.plots import ExclusionCurve, exclusion_plot

    labels = parameter_labels([param, *couplings], *(model or (None, None)))
    order = list(dict.fromkeys(r["combination"] for r in rows))
    written = []
    for c in couplings:
        curves = []
        for name in order:
            mine = [r for r in rows if r["combination"] == name]
            x = [r[param] for r in mine]
            proj = mine[0]["projection"] == "true"
            label = name.replace("_", " ")
            for kind, col in (("profile", f"{c}_profile95"), ("bayesian", f"{c}_upper95")):
                y = [float(r[col]) if r[col] != "" else np.nan for r in mine]
                err = ([float(r.get(f"{col}_err") or "nan") for r in mine]
                       if kind == "bayesian" else None)
                if np.isfinite(y).any():
                    curves.append(ExclusionCurve(x, y, label, kind, proj, yerr=err))
        path = base / ("scan.png" if len(couplings) == 1 else f"scan_{c}.png")
        unit = " [GeV]" if param.startswith("m_") and "GeV" not in labels[param] else ""
        written.append(exclusion_plot(curves, path, xlabel=tex(labels[param]) + unit,
                                      ylabel=f"95% upper bound on {tex(labels[c])}",
                                      title=title))
    return written
