"""Named combinations of likelihoods (architecture.md, "Combinations and scale-out").

A run card's ``[combinations]`` table names groups of likelihoods, or of other groups::

    [combinations]
    coherent = ["coherent_csi_2021", "coherent_lar_2020"]
    current  = ["coherent", "osc_global_2018", "lhc_four_lepton"]
    future   = ["current", "dune", "t2hk"]

``[likelihoods] use`` stays the full set. A group resolves to the likelihoods it holds, in the
order of ``use``; a group that holds any projection (DUNE, T2HK, HL-LHC options) is a projection.
:func:`lattice` gives every non-empty union of a list of groups (``a+b`` names the union of ``a``
and ``b``), and :func:`card_for` the ordinary run card of one combination.
"""

from __future__ import annotations

import copy
import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from globalfit.errors import GlobalfitError, suggest

#: Largest number of groups a lattice may unite (2^6 - 1 = 63 combinations).
MAX_LATTICE = 6
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_\-]*$")


@dataclass(frozen=True)
class Combination:
    """One combination: its name, the likelihoods it holds (in card order) and, for a union of
    named groups, the groups it unites."""

    name: str
    likelihoods: tuple[str, ...]
    groups: tuple[str, ...] = ()

    def is_projection(self, projections: Iterable[str]) -> bool:
        """True when any of its likelihoods is a projection (``projections``: their names)."""
        return bool(set(self.likelihoods) & set(projections))


def resolve(groups: Mapping[str, Any], use: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """Each named group's likelihoods, in the order of ``use``; groups may name groups.

    Refuses (one sentence each) a group that is not a list of names, an unknown name (with the
    nearest ones), a group named like a likelihood, an empty group and a cycle."""
    if not isinstance(groups, Mapping):
        raise GlobalfitError("[combinations] must be a table of name = [likelihoods or groups].")
    for name, members in groups.items():
        if not _NAME.match(name) or "+" in name:
            raise GlobalfitError(f"Combination name {name!r} may hold only letters, digits, "
                                 "'_' and '-' ('+' names lattice unions).")
        if (not isinstance(members, list) or not members
                or not all(isinstance(m, str) for m in members)):
            raise GlobalfitError(f"Combination {name!r} must be a non-empty list of likelihood "
                                 "or group names.")
        if name in use and members != [name]:
            raise GlobalfitError(f"Combination {name!r} has the name of a likelihood but holds "
                                 "more; give the group another name.")
    known = [*use, *groups]
    out: dict[str, tuple[str, ...]] = {}

    def expand(name: str, trail: tuple[str, ...]) -> set[str]:
        if name in trail:
            raise GlobalfitError("Combinations form a cycle: " + " -> ".join((*trail, name))
                                 + ".")
        if name in out:
            return set(out[name])
        held: set[str] = set()
        for m in groups[name]:
            if m in groups and m != name:  # (a group named like its one likelihood holds it)
                held |= expand(m, (*trail, name))
            elif m in use:
                held.add(m)
            else:
                raise GlobalfitError(
                    f"Combination {name!r} names {m!r}, which is neither a likelihood in "
                    "[likelihoods] use nor a combination." + suggest(m, known))
        out[name] = tuple(u for u in use if u in held)
        return held

    for name in groups:
        expand(name, ())
    return out


def named(groups: Mapping[str, tuple[str, ...]]) -> list[Combination]:
    """The named combinations of a card, in the card's order."""
    return [Combination(n, lik, (n,)) for n, lik in groups.items()]


def lattice(names: Sequence[str], groups: Mapping[str, tuple[str, ...]],
            use: Sequence[str]) -> list[Combination]:
    """Every non-empty union of the listed groups (or single likelihoods), smallest first.

    A union is named by its members joined with '+'; unions that hold the same likelihoods as an
    earlier one are dropped (overlapping groups)."""
    names = list(dict.fromkeys(n.strip() for n in names if n.strip()))
    if not names:
        raise GlobalfitError("--lattice needs at least one group name.")
    if len(names) > MAX_LATTICE:
        raise GlobalfitError(f"--lattice takes at most {MAX_LATTICE} groups "
                             f"({2 ** MAX_LATTICE - 1} combinations), not {len(names)}.")
    members: dict[str, tuple[str, ...]] = {}
    for n in names:
        if n in groups:
            members[n] = groups[n]
        elif n in use:
            members[n] = (n,)
        else:
            raise GlobalfitError(f"--lattice names {n!r}, which is neither a combination nor a "
                                 "likelihood of the card." + suggest(n, [*groups, *use]))
    out: list[Combination] = []
    seen: set[frozenset[str]] = set()
    for k in range(1, len(names) + 1):
        for subset in itertools.combinations(names, k):
            held = set().union(*(members[n] for n in subset))
            key = frozenset(held)
            if key in seen:
                continue
            seen.add(key)
            out.append(Combination("+".join(subset), tuple(u for u in use if u in held),
                                   subset))
    return out


def select(combos: Sequence[Combination], only: Sequence[str]) -> list[Combination]:
    """The combinations named in ``only`` (``--only a,b``), refusing unknown names."""
    by_name = {c.name: c for c in combos}
    out = []
    for n in dict.fromkeys(s.strip() for s in only if s.strip()):
        if n not in by_name:
            raise GlobalfitError(f"--only names {n!r}, which is not a combination of the card."
                                 + suggest(n, by_name))
        out.append(by_name[n])
    if not out:
        raise GlobalfitError("--only needs at least one combination name.")
    return out


def singles(use: Sequence[str]) -> list[Combination]:
    """One combination per likelihood (``--each``)."""
    return [Combination(u, (u,)) for u in use]


def card_for(raw: Mapping[str, Any], combo: Combination, declared: Mapping[str, set[str]],
             model_parameters: Iterable[str]) -> dict[str, Any]:
    """The run card (as a dict) of one combination: ``use`` restricted to its likelihoods, their
    option tables kept, and parameter entries of the likelihoods it leaves out dropped.

    ``declared`` maps each likelihood to the parameter names it declares (prefixed nuisances and
    shared ones such as ``theta12``); a card entry for a parameter that only left-out
    likelihoods declare is dropped, so the combination's card stays valid."""
    out = copy.deepcopy(dict(raw))
    out.pop("combinations", None)
    lik = dict(out.get("likelihoods", {}))
    lik = {k: v for k, v in lik.items() if k == "use" or k in combo.likelihoods}
    lik["use"] = list(combo.likelihoods)
    out["likelihoods"] = lik
    keep = set(model_parameters).union(*(declared.get(n, set()) for n in combo.likelihoods))
    params = out.get("parameters", {})
    out["parameters"] = {k: v for k, v in params.items() if k in keep}
    title = out.get("title", "")
    out["title"] = f"{title} [{combo.name}]" if title else combo.name
    return out
