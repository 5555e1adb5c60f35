"""Property-based fuzzing of run cards and command lines (hypothesis).

Cards start from a tiny valid card and get 0-3 mutations: a value replaced by something of the
wrong type, a non-finite or extreme number, a huge or non-ASCII string, a nested table or list, a
key deleted, a key renamed to a near miss or to random text, an unknown key added. Command lines
add flags, output folders (an earlier finished result, a file, an empty or absurd name), other
commands and scan grids. Properties: exit 0 with a finished result (no NaN in summary.json), or
exit 2 with exactly one line on stderr; never a traceback or an internal error; never a damaged
earlier result. 30 examples by default, 1000 with ``-m slow`` (GLOBALFIT_FUZZ_REPORT=FILE writes
the tally, quoted in docs/reliability.md).
"""

from __future__ import annotations

import copy
import json
import os
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from globalfit.card import RunCard
from globalfit.run_folder import SUMMARY, is_finished
from globalfit.runner import run_card
from tests.framework.cards import tiny_card
from tests.framework.clitools import main

NEAR_MISSES = ["eps_ee_uu", "eps_e_u", "gausian", "dynesy", "nlvie", "zprme", "uniforn",
               "prior_sett", "likelihods", "coherent_csi_2071", "m_zprime", "g_prime", "value",
               "same_as", "nuts", "multi", "default", "name", "use", "dir"]
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
SCALARS = st.one_of(
    st.integers(-2**63, 2**63 - 1), st.sampled_from([0, -1, 1, 2, 3, 10**9]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.5, 1e-300, 1e300, 0.5, 50.7]),
    st.booleans(), TEXT, st.sampled_from(NEAR_MISSES),
    st.just("x" * 5000), st.just("ε_ee_ü ☢ 中文"),
)
JUNK = st.recursive(SCALARS, lambda c: st.lists(c, max_size=3)
                    | st.dictionaries(TEXT, c, max_size=3), max_leaves=6)


def base_card() -> dict[str, Any]:
    raw = tiny_card("unused", nlive=12, dlogz=1.0, maxcall=400)
    raw["title"] = "fuzz"
    return raw


def paths(x: Any, prefix: tuple = ()) -> list[tuple]:
    """Every key or list index of a nested card."""
    out = []
    items = x.items() if isinstance(x, dict) else enumerate(x) if isinstance(x, list) else ()
    for k, v in items:
        out.append(prefix + (k,))
        out.extend(paths(v, prefix + (k,)))
    return out


def parent(raw: dict, path: tuple) -> Any:
    for k in path[:-1]:
        raw = raw[k]
    return raw


@st.composite
def mutated_card(draw) -> dict[str, Any]:
    raw = base_card()
    for _ in range(draw(st.integers(0, 3))):
        ps = paths(raw)
        if not ps:
            break
        path = draw(st.sampled_from(ps))
        holder = parent(raw, path)
        key = path[-1]
        action = draw(st.sampled_from(["replace", "replace", "number", "delete", "rename",
                                       "add"]))
        if action == "replace":
            holder[key] = draw(JUNK)
        elif action == "number":
            holder[key] = draw(st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                                         st.integers(-5, 10**6)))
        elif action == "delete":
            del holder[key]
        elif action == "rename" and isinstance(holder, dict):
            holder[draw(st.one_of(st.sampled_from(NEAR_MISSES), TEXT))] = holder.pop(key)
        elif action == "add" and isinstance(holder, dict):
            holder[draw(st.one_of(st.sampled_from(NEAR_MISSES), TEXT))] = draw(JUNK)
    return raw


def out_choice(tmp: Path, earlier: Path) -> st.SearchStrategy:
    return st.sampled_from([None, str(earlier), str(tmp / "new"), str(tmp / "a_file"),
                            str(tmp / "a_file" / "under"), "", "x" * 300,
                            str(tmp / "ü ☢ folder")])


@st.composite
def argv(draw, tmp: Path, card: Path, earlier: Path, damaged: Path) -> list[str]:
    cmd = draw(st.sampled_from(["run"] * 6 + ["scan", "summary", "compare", "data", "junk"]))
    if cmd == "run":
        args = ["run", str(card), "--quiet"]
        out = draw(out_choice(tmp, earlier))
        if out is not None:
            args += ["--out", out]
        for flag in draw(st.lists(st.sampled_from(["--resume", "--force", "--sampler"]),
                                  max_size=2, unique=True)):
            args.append(flag)
            if flag == "--sampler":
                args.append(draw(st.sampled_from(["dynesty", "nutz", ""])))
        return args
    if cmd == "scan":
        over = draw(st.one_of(TEXT, st.sampled_from([
            "eps_mumu_u=0.1", "eps_mumu_u=0.1,0.1", "m_zprime=1", "eps_mumu_u=nan",
            "eps_mumu_u=linspace(0,1,0)", "eps_mumu_u=logspace(a,b,c)", "=", "eps_mumu_u="])))
        return ["scan", str(card), "--over", over, "--out", str(tmp / "scan"), "--quiet"]
    dirs = draw(st.lists(st.sampled_from([str(earlier), str(damaged), str(tmp / "nothing"),
                                          str(tmp / "a_file")]), min_size=1, max_size=2))
    if cmd in ("summary", "compare"):
        return [cmd, *dirs[: 1 if cmd == "summary" else 2]]
    if cmd == "data":
        return ["data", draw(st.sampled_from(["list", "status", "fetch", "frob"])),
                draw(st.one_of(TEXT, st.just("coherent/csi2017")))]
    return [draw(TEXT), *dirs]


TALLY: Counter = Counter()


def fuzz_once(data, tmp: Path, earlier: Path, damaged: Path, card_raw: dict) -> None:
    try:
        text = tomli_w.dumps(card_raw)
    except (TypeError, ValueError):
        reject()
    case = tmp / f"case{TALLY['cases']}"
    TALLY["cases"] += 1
    case.mkdir()
    card = case / "card.toml"
    card.write_text(text, encoding="utf-8")
    (case / "a_file").write_text("not a folder")
    args = data.draw(argv(case, card, earlier, damaged))
    before = (earlier / SUMMARY).read_bytes()
    res = main(*args)
    err = res.stderr
    assert "Traceback" not in err and "internal error" not in err, (args, card_raw, err)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    if res.returncode == 2:
        assert len(lines) == 1 and lines[0].startswith("globalfit: error: "), (args, err)
    elif res.returncode == 1:  # `data status` of a missing or damaged release
        assert args[:2] == ["data", "status"], (args, err)
    else:
        assert res.returncode == 0, (args, res.returncode, err)
        if args[0] == "run":
            out = Path(args[args.index("--out") + 1]) if "--out" in args else Path(
                RunCard.from_dict(card_raw).output["dir"])
            assert is_finished(out), args
            text = (out / SUMMARY).read_text()
            json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} in summary ({args})"))
            assert "convergence" in json.loads(text)
    replaced = (res.returncode == 0 and args[0] == "run" and "--force" in args
                and "--out" in args and args[args.index("--out") + 1] == str(earlier))
    assert is_finished(earlier)
    if not replaced:
        assert (earlier / SUMMARY).read_bytes() == before, args
    TALLY[f"exit {res.returncode}"] += 1


def run_fuzz(tmp_path: Path, examples: int) -> None:
    earlier = tmp_path / "earlier"
    run_card(RunCard.from_dict(tiny_card(str(earlier), nlive=12, maxcall=400)), progress=False)
    damaged = tmp_path / "damaged"
    shutil.copytree(earlier, damaged)
    (damaged / SUMMARY).write_text("{ not json")
    cwd = os.getcwd()
    os.chdir(tmp_path)  # a card's default output goes under tmp_path
    TALLY.clear()
    try:
        @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(data=st.data(), card_raw=mutated_card())
        def check(data, card_raw):
            fuzz_once(data, tmp_path, earlier, damaged, copy.deepcopy(card_raw))

        check()
    finally:
        os.chdir(cwd)
    report = os.environ.get("GLOBALFIT_FUZZ_REPORT")
    if report:
        Path(report).write_text(json.dumps(dict(TALLY), indent=1))
    print(f"\nfuzz: {dict(TALLY)}")
    assert TALLY["exit 0"] >= 1 and TALLY["exit 2"] >= 1


def test_fuzz_cards_and_command_lines(tmp_path):
    run_fuzz(tmp_path, examples=30)


@pytest.mark.slow
def test_fuzz_1000(tmp_path):
    run_fuzz(tmp_path, examples=1000)
