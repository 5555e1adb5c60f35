"""Compare runs: intervals per parameter, evidences and Bayes factors, overlaid corner plots,
and a consistency check between runs of the same card with different samplers."""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

from globalfit.errors import GlobalfitError
from globalfit.results import load_summary


def _card_without_sampler(summary: dict[str, Any]) -> dict[str, Any]:
    card = copy.deepcopy(summary["provenance"]["card"])
    card.pop("sampler", None)
    card.pop("output", None)
    return card


def _ess(summary: dict[str, Any], name: str) -> float:
    ess = summary["diagnostics"].get("ess")
    if isinstance(ess, dict):
        return float(ess.get(name, 100.0))
    return float(ess or 100.0)


def consistency_flags(a: dict[str, Any], b: dict[str, Any], nsigma: float = 4.0
                      ) -> list[str]:
    """Parameters whose posterior mean or 95% upper limit differ between two runs beyond their
    Monte Carlo errors (sd/sqrt(ESS) for the mean; for the 95% quantile the run's own
    ``upper95_err`` (:mod:`globalfit.limit_error`), or 2 sd/sqrt(ESS) in a folder written
    before it) by more than ``nsigma``."""
    flags = []
    for name, pa in a["parameters"].items():
        pb = b["parameters"].get(name)
        if pb is None:
            continue
        ea, eb = _ess(a, name), _ess(b, name)
        se_mean = math.hypot(pa["sd"] / math.sqrt(ea), pb["sd"] / math.sqrt(eb))
        se_q = math.hypot(_quantile_error(pa, ea), _quantile_error(pb, eb))
        dm = abs(pa["mean"] - pb["mean"])
        dq = abs(pa["upper95"] - pb["upper95"])
        if dm > nsigma * se_mean or dq > nsigma * se_q:
            flags.append(f"{name}: mean {pa['mean']:.4g} vs {pb['mean']:.4g}, upper95 "
                         f"{pa['upper95']:.4g} vs {pb['upper95']:.4g} (beyond {nsigma:g} sigma "
                         "of Monte Carlo error)")
    return flags


def _quantile_error(p: dict[str, Any], ess: float) -> float:
    err = p.get("upper95_err")
    return float(err) if err is not None and math.isfinite(err) else 2.0 * p["sd"] / math.sqrt(ess)


def compare_runs(dirs: list[str | Path]) -> dict[str, Any]:
    """Table rows per parameter and run, evidences, Bayes factors, sampler-consistency flags."""
    if len(dirs) < 1:
        raise GlobalfitError("compare needs at least one run folder.")
    summaries = {str(d): load_summary(d) for d in dirs}
    names = list(dict.fromkeys(p for s in summaries.values() for p in s["parameters"]))
    rows = []
    for p in names:
        for d, s in summaries.items():
            if p in s["parameters"]:
                q = s["parameters"][p]
                rows.append({"parameter": p, "run": d, "sampler": s["sampler"]["name"],
                             "mean": q["mean"], "hdi68": q["hdi68"], "hdi95": q["hdi95"],
                             "upper95": q["upper95"], "upper95_err": q.get("upper95_err")})
    evid = {d: s["evidence"] for d, s in summaries.items() if s.get("evidence")}
    bayes = []
    keys = list(evid)
    for i in range(len(keys)):
        for j in range(i + 1, len(keys)):
            a, b = evid[keys[i]], evid[keys[j]]
            bayes.append({"runs": [keys[i], keys[j]], "ln_B": a["logz"] - b["logz"],
                          "err": math.hypot(a["logz_err"], b["logz_err"])})
    flags = []
    items = list(summaries.items())
    for i in range(len(items)):
        for j in range(i + 1, len(items)):
            (da, sa), (db, sb) = items[i], items[j]
            if (sa["sampler"]["name"] != sb["sampler"]["name"]
                    and _card_without_sampler(sa) == _card_without_sampler(sb)):
                for f in consistency_flags(sa, sb):
                    flags.append(f"{da} ({sa['sampler']['name']}) vs {db} "
                                 f"({sb['sampler']['name']}): {f}")
    from globalfit.convergence import label

    return {"rows": rows, "evidence": evid, "bayes_factors": bayes, "flags": flags,
            "parameters": names, "convergence": {d: label(s) for d, s in summaries.items()},
            "code_notes": code_notes(summaries)}


def code_notes(summaries: dict[str, dict[str, Any]]) -> list[str]:
    """Runs computed by different versions of the code they share, and runs computed by other
    code than the installed one (``provenance.resolved.code``; docs/reliability.md)."""
    from globalfit.code_version import changed_since, listed, recorded_code

    code = {d: recorded_code(s) for d, s in summaries.items()}
    notes = []
    keys = [d for d in code if code[d]]
    for i, a in enumerate(keys):
        for b in keys[i + 1:]:
            differ = sorted(k for k in code[a].keys() & code[b].keys()
                            if code[a][k] != code[b][k])
            if differ:
                notes.append(f"{a} and {b} were computed by different code ({listed(differ)})")
    for d in keys:
        if changed := changed_since(code[d]):
            notes.append(f"{d} was computed by other code than this globalfit's "
                         f"({listed(changed)} changed since)")
    return notes


def overlay_corner(dirs: list[str | Path], path: str | Path, labels: list[str] | None = None,
                   params: list[str] | None = None) -> Path:
    """Corner plot of one run folder, or of several overlaid with a legend naming each (default:
    the folder names, with the sampler when the runs used different ones). The arguments are
    checked before any sample is read."""
    from globalfit.chains import Chains
    from globalfit.plots import check_output, corner_plot

    if not dirs:
        raise GlobalfitError("Nothing to plot: give at least one run folder.")
    if labels is not None and len(labels) != len(dirs):
        raise GlobalfitError(f"--labels gives {len(labels)} name(s) for {len(dirs)} run "
                             "folder(s); give one name per folder.")
    path = check_output(path)
    summaries = [load_summary(d) for d in dirs]
    runs = [Chains.from_run(d) for d in dirs]
    title = ""
    if len(runs) == 1:
        title = summaries[0]["provenance"]["card"].get("title") or runs[0].name
    elif labels is None:
        names = [r.name for r in runs]
        if len(set(names)) < len(names):
            names = [str(d) for d in dirs]
        samplers = [s["sampler"]["name"] for s in summaries]
        labels = ([f"{n} ({s})" for n, s in zip(names, samplers, strict=True)]
                  if len(set(samplers)) > 1 else names)
    return corner_plot(runs, path, params=params, legend=labels, title=title)
