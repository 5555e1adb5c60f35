"""Command line: ``globalfit list | run | summary | plot | export | compare | scan | combine``,
``globalfit data``.

Errors the user can cause print one sentence on stderr and exit with status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path
from typing import Any

from globalfit.export import FORMATS as EXPORT_FORMATS

EXIT_USER_ERROR = 2
EXIT_INTERNAL_ERROR = 1


def _console():
    from rich.console import Console

    return Console(width=None if sys.stdout.isatty() else 140)


def cmd_list(args: argparse.Namespace) -> int:
    from globalfit.models import MODELS, get_model
    from globalfit.registry import likelihood_class, list_likelihoods
    from globalfit.samplers import SAMPLERS

    info = {
        "likelihoods": {n: likelihood_class(n).describe() for n in list_likelihoods()},
        "models": {n: get_model(n).describe() for n in sorted(MODELS)},
        "samplers": sorted(SAMPLERS),
    }
    if args.json:
        print(json.dumps(info, indent=2, default=str))
        return 0
    from rich.table import Table

    c = _console()
    t = Table(title="likelihoods")
    for col in ("name", "kind", "needs", "citation", "validity"):
        t.add_column(col, overflow="fold")
    for n, d in info["likelihoods"].items():
        t.add_row(n, d["kind"], ", ".join(d["requires"]) or "-", d["citation"], d["validity"])
    c.print(t)
    t = Table(title="models")
    for col in ("name", "capabilities", "parameters"):
        t.add_column(col, overflow="fold")
    for n, d in info["models"].items():
        t.add_row(n, ", ".join(d["capabilities"]), ", ".join(d["parameters"]))
    c.print(t)
    c.print("samplers: " + ", ".join(info["samplers"]))
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from globalfit.runner import run_card

    run_dir, summary = run_card(args.card, out=args.out, sampler=args.sampler, resume=args.resume,
                                force=args.force, progress=not args.quiet)
    _print_summary(summary, run_dir)
    if not summary["convergence"]["converged"]:
        print(f"globalfit: warning: {run_dir} is NOT CONVERGED: "
              + "; ".join(summary["convergence"]["reasons"]) + ".", file=sys.stderr)
    return 0


def _fmt(x: Any) -> str:
    if isinstance(x, list):
        return "[" + ", ".join(_fmt(v) for v in x) + "]"
    if x is None:
        return "-"
    return f"{x:.4g}" if isinstance(x, float) else str(x)


def _limit(x: Any, err: Any) -> str:
    """A 95% limit with its Monte Carlo error (globalfit.limit_error), when the folder has it."""
    if not isinstance(err, float) or not math.isfinite(err):
        return _fmt(x)
    return f"{_fmt(x)} ± {err:.2g}"


def _print_summary(summary: dict[str, Any], run_dir: Path | str) -> None:
    from rich.table import Table

    from globalfit.convergence import label

    c = _console()
    s = summary["sampler"]
    ev = summary.get("evidence")
    # soft_wrap: a narrow terminal folds the line at its edge, never inside a number
    c.print(f"{run_dir}: model {summary['model']['name']}, "
            f"{', '.join(summary['likelihoods']) or 'no likelihood'}", soft_wrap=True,
            markup=False, highlight=False)
    line = (f"{s['name']}: {_fmt(s.get('wall_time_s'))} s, {s.get('likelihood_calls')} calls"
            + (f", {s['segments']} segments (resumed)" if s.get("segments", 1) > 1 else ""))
    if ev:
        line += f"; log Z = {_fmt(ev['logz'])} ± {_fmt(ev['logz_err'])}"
    c.print(line, soft_wrap=True, markup=False, highlight=False)
    verdict = label(summary)
    c.print(verdict, style="bold green" if verdict == "converged" else "bold red",
            soft_wrap=True, markup=False, highlight=False)
    t = Table()
    for col in ("parameter", "mean", "sd", "68% HDI", "95% HDI", "95% upper"):
        t.add_column(col)
    for n, p in summary["parameters"].items():
        p = p if isinstance(p, dict) else {}
        t.add_row(n, *(_fmt(p.get(k)) for k in ("mean", "sd", "hdi68", "hdi95")),
                  _limit(p.get("upper95"), p.get("upper95_err")))
    c.print(t)
    d = summary.get("diagnostics") or {}
    ess = d.get("ess")
    ess = [v for v in ess.values() if v is not None] if isinstance(ess, dict) else [ess]
    rhat = [v for v in (d.get("r_hat") or {}).values() if v is not None]
    if d.get("divergences") is not None:
        c.print(f"divergences: {d['divergences']}; min ESS "
                f"{_fmt(min(ess)) if ess else '-'}"
                + (f"; max R-hat {max(rhat):.3f}" if rhat else ""))
    elif ess and ess[0] is not None:
        c.print(f"effective sample size: {_fmt(ess[0])}")


def cmd_summary(args: argparse.Namespace) -> int:
    from globalfit.results import load_summary

    summary = load_summary(args.dir)
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        _print_summary(summary, args.dir)
        _print_code_drift(summary)
    return 0


def _print_code_drift(summary: dict[str, Any]) -> None:
    """Say when a result was computed by other code than the installed one (its recorded
    ``provenance.resolved.code`` against the sources now: docs/reliability.md)."""
    from globalfit.code_version import changed_since, listed, recorded_code

    code = recorded_code(summary)
    if code is None:
        _console().print("This result does not record the version of its code (an older "
                         "globalfit wrote it).", style="yellow", soft_wrap=True)
    elif changed := changed_since(code):
        _console().print(f"Computed by other code than this globalfit's: {listed(changed)} "
                         "changed since; rerun its card with --force for this code's result.",
                         style="bold yellow", soft_wrap=True, markup=False, highlight=False)


def default_plot_path(dirs: list[str]) -> Path:
    """Where ``globalfit plot`` writes without --out: the current folder, never a run's own
    corner.png (``NAME_corner.png`` for one run, ``overlay_NAME1_NAME2....png`` for several)."""
    names = [Path(d).resolve().name for d in dirs]
    if len(names) == 1:
        return Path(f"{names[0]}_corner.png")
    return Path("overlay_" + "_".join(names)[:120] + ".png")


def cmd_plot(args: argparse.Namespace) -> int:
    from globalfit.compare import overlay_corner

    out = args.out if args.out is not None else default_plot_path(args.dirs)
    path = overlay_corner(args.dirs, out, labels=args.labels, params=args.params)
    own = [d for d in args.dirs if path.resolve() == (Path(d) / "corner.png").resolve()]
    print(f"{path}" + (f" (replaced the corner plot the run {own[0]} wrote)" if own else ""))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from globalfit.export import HOW_TO_READ, export_run

    files = export_run(args.dir, args.to, out=args.out)
    for f in files:
        print(f)
    root = str(files[0].parent / Path(args.dir).resolve().name)
    note = (" (an MCMC run: GetDist chains, which anesthetic reads as MCMCSamples)"
            if args.to == "anesthetic" and not files[0].name.endswith("_dead-birth.txt") else "")
    print(f"read with: {HOW_TO_READ[args.to].format(root=root)}{note}")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from rich.table import Table

    from globalfit.compare import compare_runs, overlay_corner

    res = compare_runs(args.dirs)
    if args.json:
        print(json.dumps(res, indent=2))
    else:
        c = _console()
        t = Table(title="68% / 95% intervals and 95% upper limits")
        for col in ("parameter", "run", "sampler", "mean", "68% HDI", "95% HDI", "95% upper"):
            t.add_column(col, overflow="fold")
        for r in res["rows"]:
            t.add_row(r["parameter"], r["run"], r["sampler"], _fmt(r["mean"]), _fmt(r["hdi68"]),
                      _fmt(r["hdi95"]), _limit(r["upper95"], r.get("upper95_err")))
        c.print(t)
        for d, v in res["convergence"].items():
            if v != "converged":
                c.print(f"{d}: {v}", style="bold red", markup=False, highlight=False)
        for d, e in res["evidence"].items():
            c.print(f"log Z  {d}: {e['logz']:.3f} ± {e['logz_err']:.3f}")
        for b in res["bayes_factors"]:
            c.print(f"ln B  {b['runs'][0]} / {b['runs'][1]} = {b['ln_B']:.3f} ± {b['err']:.3f}")
        for f in res["flags"]:
            c.print(f"[bold red]DISAGREE[/] {f}")
        for n in res["code_notes"]:
            c.print(n, style="bold yellow", markup=False, highlight=False, soft_wrap=True)
        if not res["flags"]:
            c.print("no disagreement between samplers beyond Monte Carlo errors"
                    if any(True for _ in res["rows"]) else "")
    if args.plot:
        overlay_corner(args.dirs, args.plot)
    return 1 if res["flags"] and args.strict else 0


def cmd_scan(args: argparse.Namespace) -> int:
    from globalfit.scan import run_scan

    base = run_scan(args.card, args.over, out=args.out, executor=_executor(args),
                    sampler=args.sampler,
                    progress=not args.quiet, only=_names(args.only), each=args.each,
                    profile_only=args.profile_only)
    print(base / "scan.csv")
    for png in sorted(base.glob("scan*.png")):
        print(png)
    return 0


def _names(text: str | None) -> list[str] | None:
    return [t.strip() for t in text.split(",")] if text else None


def cmd_combine(args: argparse.Namespace) -> int:
    from globalfit.combine import print_table, run_combine

    base, table = run_combine(args.card, out=args.out, only=_names(args.only),
                              lattice=_names(args.lattice), each=args.each, null=args.null,
                              reweight=args.reweight, ess_min=args.ess_min,
                              executor=_executor(args), sampler=args.sampler, force=args.force,
                              progress=not args.quiet)
    print_table(table, _console())
    for name in ("combinations.csv", "combinations.json", "tensions.csv", "corner.png",
                 "information.png"):
        if (base / name).exists():
            print(base / name)
    return 0


def cmd_data(args: argparse.Namespace) -> int:
    from rich.table import Table

    from globalfit import data

    names = args.names or sorted(data.releases())
    for n in names:
        data.release_info(n)  # an unknown name is one sentence with near names
    if args.action == "fetch":
        for n in names:
            print(data.fetch(n))
        return 0
    t = Table(title=f"data releases (${data.ENV} = {os.environ.get(data.ENV, 'unset')})")
    for col in ("release", "status", "where", "title"):
        t.add_column(col, overflow="fold")
    bad = 0
    for n in names:
        if args.action == "status":
            s = data.status(n)
            state = "ok" if s["ok"] else ("missing" if s["path"] is None
                                          else f"hash mismatch: {', '.join(s['bad'][:3])}")
            bad += not s["ok"]
            t.add_row(n, state, s["path"] or "-", s["title"])
        else:
            info = data.releases()[n]
            where = data.locate(n)
            t.add_row(n, "present" if where else "absent", str(where or info["source"]),
                      info["title"])
    _console().print(t)
    return 1 if bad else 0


def _add_execution(s: argparse.ArgumentParser) -> None:
    """Where the runs of a scan or combine job go (docs/scaling.md)."""
    g = s.add_argument_group("execution (docs/scaling.md)")
    g.add_argument("--jobs", type=int, default=1,
                   help="local worker processes (1: in this process; N > 1: a Dask LocalCluster)")
    g.add_argument("--scheduler", metavar="ADDRESS",
                   help="run on a running Dask scheduler: tcp://HOST:8786 or a scheduler file")
    g.add_argument("--cluster", choices=["slurm", "pbs", "sge", "lsf"],
                   help="start Dask workers as batch jobs (dask-jobqueue, from "
                        "~/.config/dask/jobqueue.yaml; pip install -e \".[hpc]\")")
    g.add_argument("--workers", type=int, metavar="N",
                   help="worker processes to ask the batch system for (with --cluster)")


def _executor(args: argparse.Namespace) -> Any:
    from globalfit.executors import get_executor

    return get_executor(args.jobs, scheduler=args.scheduler, cluster=args.cluster,
                        workers=args.workers, quiet=args.quiet)


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (exit status 2, like every other user error)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USER_ERROR, f"globalfit: error: {message} (see '{self.prog} --help').\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="globalfit", description="Bayesian global fits of NSI.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    s = sub.add_parser("list", help="likelihoods, models and samplers")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_list)
    s = sub.add_parser("run", help="run a card")
    s.add_argument("card")
    s.add_argument("--out", help="result folder (default: the card's [output] dir)")
    s.add_argument("--sampler", help="dynesty | nuts (overrides the card)")
    s.add_argument("--resume", action="store_true",
                   help="continue the checkpoint of this run (refused if it is another run's)")
    s.add_argument("--force", action="store_true",
                   help="replace a finished result (kept until the new one is complete) or "
                        "discard a checkpoint")
    s.add_argument("--quiet", action="store_true", help="no progress output")
    s.set_defaults(func=cmd_run)
    s = sub.add_parser("summary", help="print a result's summary")
    s.add_argument("dir")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_summary)
    s = sub.add_parser("plot", help="corner plot of one run or an overlay of several")
    s.add_argument("dirs", nargs="+", metavar="DIR")
    s.add_argument("--out", help="figure file: .png, .pdf (vector) or .svg (default: "
                   "NAME_corner.png or overlay_....png in the current folder)")
    s.add_argument("--labels", nargs="+", help="legend name of each run, one per DIR")
    s.add_argument("--params", nargs="+", help="parameters to show (default: the model "
                   "parameters the runs share)")
    s.set_defaults(func=cmd_plot)
    s = sub.add_parser("export", help="write a run's samples for GetDist, anesthetic or as CSV")
    s.add_argument("dir", metavar="DIR")
    s.add_argument("--to", required=True, choices=EXPORT_FORMATS)
    s.add_argument("--out", help="folder for the files (default: DIR/export)")
    s.set_defaults(func=cmd_export)
    s = sub.add_parser("compare", help="compare runs: intervals, evidences, Bayes factors")
    s.add_argument("dirs", nargs="+")
    s.add_argument("--plot", help="write an overlaid corner plot here")
    s.add_argument("--json", action="store_true")
    s.add_argument("--strict", action="store_true", help="exit 1 when samplers disagree")
    s.set_defaults(func=cmd_compare)
    s = sub.add_parser("scan", help="every combination of a card over a grid of one parameter")
    s.add_argument("card")
    s.add_argument("--over", help="PARAM=logspace(a,b,n) | linspace(..) | v1,v2 (default: the "
                   "card's [scan] over)")
    s.add_argument("--out")
    s.add_argument("--only", help="only these named combinations (comma-separated)")
    s.add_argument("--each", action="store_true", help="also every single likelihood")
    s.add_argument("--profile-only", action="store_true",
                   help="profile-likelihood bounds only (no sampler runs)")
    _add_execution(s)
    s.add_argument("--sampler")
    s.add_argument("--quiet", action="store_true")
    s.set_defaults(func=cmd_scan)
    s = sub.add_parser("combine", help="run and compare the named combinations of a card")
    s.add_argument("card")
    s.add_argument("--out", help="folder of the combinations (default: the card's dir + "
                   "_combine)")
    s.add_argument("--only", help="only these named combinations (comma-separated)")
    s.add_argument("--lattice", help="every union of these groups or likelihoods "
                   "(comma-separated, at most 6)")
    s.add_argument("--each", action="store_true", help="also every single likelihood")
    s.add_argument("--null", action="store_true",
                   help="also each combination at the Standard Model: ln B of the model vs SM")
    s.add_argument("--reweight", action="store_true",
                   help="estimate a combination from a smaller one by importance weights "
                   "where the effective sample size allows")
    s.add_argument("--ess-min", type=int, default=400,
                   help="smallest effective sample size of a reweighted combination (400)")
    _add_execution(s)
    s.add_argument("--sampler")
    s.add_argument("--force", action="store_true", help="replace finished combinations")
    s.add_argument("--quiet", action="store_true")
    s.set_defaults(func=cmd_combine)
    s = sub.add_parser("data", help="public data releases (status exits 1 if any is missing or "
                                    "damaged)")
    s.add_argument("action", choices=["list", "fetch", "status"])
    s.add_argument("names", nargs="*")
    s.set_defaults(func=cmd_data)
    return p


def main(argv: list[str] | None = None) -> int:
    import warnings

    # dynesty repeats some advice (bootstrap enlargement, plateaus) at every bound update: once
    # is enough on a terminal.
    warnings.filterwarnings("once", category=UserWarning, module="dynesty")
    warnings.filterwarnings("once", category=RuntimeWarning, module="dynesty")
    args = build_parser().parse_args(argv)
    from globalfit.errors import GlobalfitError
    from globalfit.executors import TasksFailed

    try:
        return args.func(args)
    except TasksFailed as exc:  # one line per failed task; the finished ones are kept
        head, *tasks = exc.lines()
        print(f"globalfit: error: {head}", *tasks, sep="\n", file=sys.stderr)
        return EXIT_INTERNAL_ERROR if exc.internal else EXIT_USER_ERROR
    except GlobalfitError as exc:
        print(f"globalfit: error: {_one_line(str(exc))}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("globalfit: interrupted; `globalfit run CARD --resume` continues the run from its "
              "checkpoint.", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: one line, not a traceback, unless asked for
        if os.environ.get("GLOBALFIT_DEBUG"):
            raise
        print(f"globalfit: internal error: {type(exc).__name__}: {_one_line(str(exc))} (a bug; "
              "please report it; GLOBALFIT_DEBUG=1 shows the traceback).", file=sys.stderr)
        return EXIT_INTERNAL_ERROR


def _one_line(text: str) -> str:
    return " ".join(text.split())


if __name__ == "__main__":
    sys.exit(main())
