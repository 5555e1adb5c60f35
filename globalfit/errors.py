"""User-facing errors: one clear sentence, no traceback (the CLI prints it and exits 2)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class GlobalfitError(Exception):
    """An error caused by the user's input (card, option, parameter, missing data)."""


class UnknownNameError(GlobalfitError, KeyError):
    """A name (likelihood, model, parameter, option, prior) that is not known."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class DataReleaseMissing(GlobalfitError):
    """A likelihood needs a public data release that is not on this machine."""


class DataReleaseCorrupt(GlobalfitError):
    """A file of a data release differs from the hash registered in ``releases.toml``."""


def suggest(name: str, choices: Iterable[str], n: int = 3) -> str:
    """Return ' Did you mean a, b?' for the names closest to ``name``, or ''."""
    close = difflib.get_close_matches(name, list(choices), n=n, cutoff=0.5)
    return f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""


def unknown(kind: str, name: str, choices: Iterable[str]) -> UnknownNameError:
    """Build the standard 'unknown X' error with near-name suggestions."""
    choices = sorted(choices)
    hint = suggest(name, choices)
    if not hint:
        shown = ", ".join(choices[:12]) + (", ..." if len(choices) > 12 else "")
        hint = f" Known: {shown}."
    return UnknownNameError(f"Unknown {kind} {name!r}.{hint}")
