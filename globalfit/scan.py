"""Scans: run a card with one parameter fixed at each value of a grid (``m_zprime``, ``m_phi``),
then tabulate each free coupling's Bayesian 95% upper limit and profile Delta chi2 = 3.84 bound
in ``scan.csv`` and draw the exclusion plot ``scan.png``. Reruns skip finished points."""

from __future__ import annotations

import copy
import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import numpy as np

from globalfit.card import RunCard
from globalfit.errors import GlobalfitError
from globalfit.executors import Executor, get_executor
from globalfit.results import load_summary
from globalfit.run_folder import Fingerprint, atomic_write, is_finished, plain

_FUNC = re.compile(r"^\s*(logspace|linspace|geomspace)\(([^)]*)\)\s*$")


def parse_over(spec: str) -> tuple[str, np.ndarray]:
    """``PARAM=logspace(a,b,n)`` | ``PARAM=linspace(a,b,n)`` | ``PARAM=v1,v2,...``."""
    if "=" not in spec:
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


def point_dir(base: Path, param: str, value: float) -> Path:
    return base / "points" / point_name(param, value)


def _run_point(task: dict[str, Any]) -> dict[str, Any]:
    """One scan point (runs in a worker process): sample, then profile each coupling."""
    import globalfit  # noqa: F401  (x64 set-up in the worker)
    from globalfit.fit import Fit
    from globalfit.profile import profile_upper_limit
    from globalfit.runner import run_card

    card = RunCard.from_dict(task["raw"], Path(task["card_path"]) if task["card_path"] else None)
    out = Path(task["dir"])
    fit = Fit.from_card(card)
    fp = Fingerprint.of(fit, card)
    if not is_finished(out, fp):  # a finished point of another card is rerun (and replaced)
        run_card(card, out=out, progress=False, force=True, resume="auto", fit=fit)
    prof_path = out / "profile.json"
    if _read_profile(prof_path).get("fingerprint") != fp.digest:
        bounds = {c: profile_upper_limit(fit, c) for c in task["couplings"]}
        text = json.dumps(plain({"fingerprint": fp.digest, "bounds": bounds}))
        atomic_write(prof_path, lambda p: p.write_text(text))
    return {"dir": str(out)}


def _read_profile(path: Path) -> dict[str, Any]:
    """A point's profile bounds (``{"fingerprint", "bounds"}``; None where no bound exists)."""
    try:
        prof = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return prof if isinstance(prof, dict) and isinstance(prof.get("bounds"), dict) else {}


def run_scan(card_path: str | Path, over: str, out: str | Path | None = None, jobs: int = 1,
             executor: Executor | None = None, sampler: str | None = None,
             progress: bool = True) -> Path:
    """Run the scan and write ``scan.csv`` and ``scan.png`` into the scan folder."""
    from globalfit.fit import Fit
    from globalfit.runner import output_dir, with_sampler

    card = with_sampler(RunCard.load(card_path), sampler)
    param, values = parse_over(over)
    probe = Fit.from_card(card)  # validates the card once, before any worker starts
    if param not in probe.model.parameters:
        raise GlobalfitError(f"Cannot scan over {param!r}: it is not a parameter of model "
                             f"{probe.model.name!r}.")
    couplings = [n for n in probe.parameters if n in probe.model.parameters and n != param]
    if not couplings:
        raise GlobalfitError("The scan card has no free coupling to bound.")
    base = Path(out) if out else Path(f"{output_dir(card, None)}_scan_{param}")
    tasks = []
    for v in values:
        raw = copy.deepcopy(card.raw)
        raw.setdefault("parameters", {})[param] = {"value": float(v)}
        raw.setdefault("output", {})["dir"] = str(point_dir(base, param, v))
        RunCard.from_dict(raw, card.path)
        tasks.append({"raw": raw, "card_path": str(card.path) if card.path else None,
                      "dir": str(point_dir(base, param, v)), "couplings": couplings,
                      "value": float(v)})
    # every point goes to a worker, which skips it if its folder holds this point's result
    done = sum(is_finished(Path(t["dir"])) for t in tasks)
    executor = executor or get_executor(jobs)
    from rich.progress import Progress

    with Progress(disable=not progress, transient=False) as bar:
        task_id = bar.add_task(f"scan {param} ({done} finished before)", total=len(tasks))
        for _item, _res in executor.map(_run_point, tasks):
            bar.advance(task_id)
    projection = any(lik.is_projection() for lik in probe.likelihoods)
    return write_scan_table(base, param, values, couplings, card.title, projection)


def write_scan_table(base: Path, param: str, values: np.ndarray, couplings: list[str],
                     title: str = "", projection: bool = False) -> Path:
    from globalfit.labels import labels_for_summary, math
    from globalfit.plots import ExclusionCurve, exclusion_plot

    rows = []
    for v in values:
        d = point_dir(base, param, v)
        summ = load_summary(d)
        prof = _read_profile(d / "profile.json")["bounds"]
        conv = summ.get("convergence", {})
        for c in couplings:
            # A coupling whose profile never reaches Delta chi2 = 3.84 inside its prior is not
            # constrained there: its Bayesian "limit" is the prior's, marked and not plotted.
            bound = np.nan if prof.get(c) is None else float(prof[c])
            rows.append({param: float(v), "coupling": c,
                         "upper95_bayes": summ["parameters"][c]["upper95"],
                         "upper_profile_dchi2_3.84": bound,
                         "constrained": bool(np.isfinite(bound)),
                         "converged": conv.get("converged"),
                         "convergence_issues": "; ".join(conv.get("reasons", []))})
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]))
    w.writeheader()
    w.writerows(rows)
    atomic_write(base / "scan.csv", lambda p: p.write_text(buf.getvalue()))
    labels = labels_for_summary(summ, [param, *couplings])
    curves = []
    for c in couplings:
        mine = [r for r in rows if r["coupling"] == c]
        curves += [
            ExclusionCurve(values, [r["upper95_bayes"] if r["constrained"] else np.nan
                                    for r in mine], math(labels[c]), "bayesian", projection),
            ExclusionCurve(values, [r["upper_profile_dchi2_3.84"] for r in mine],
                           math(labels[c]), "profile", projection),
        ]
    exclusion_plot(curves, base / "scan.png", xlabel=math(labels[param]),
                   ylabel="95% upper limit on the coupling", title=title,
                   note="projection" if projection else "")
    return base
