"""Run the command line in-process (fast) or as a subprocess (for kills), and check that an error
is one sentence with exit status 2."""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import tomli_w

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


def main(*argv: str) -> Result:
    """``globalfit.cli.main(argv)`` with stdout and stderr captured."""
    from globalfit.cli import main as cli_main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = cli_main(list(argv))
        except SystemExit as exc:  # argparse
            rc = exc.code if isinstance(exc.code, int) else 2
    return Result(rc, out.getvalue(), err.getvalue())


def subprocess_cli(*args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "globalfit.cli", *args], capture_output=True,
                          text=True, cwd=REPO, timeout=timeout)


def write_card(path: Path, raw: dict) -> Path:
    path.write_bytes(tomli_w.dumps(raw).encode())
    return path


def assert_one_sentence(res, *words: str) -> None:
    """Exit status 2, exactly one line on stderr naming ``words``, no traceback."""
    assert res.returncode == 2, (res.returncode, res.stderr)
    assert "Traceback" not in res.stderr
    lines = [ln for ln in res.stderr.strip().splitlines() if ln.strip()]
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("globalfit: error: "), lines[0]
    for w in words:
        assert w in lines[0], lines[0]
