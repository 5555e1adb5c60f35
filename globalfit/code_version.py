"""The version of the code a run's result depends on, for its fingerprint (docs/reliability.md).

A result is defined by its card, its data *and the code that computes it*: a physics fix in a
likelihood module, with its card unchanged, must not let a checkpoint of the old likelihood be
resumed, nor a finished result of the old code be taken for this run's. :func:`code_hashes`
follows the project's own imports (``globalfit.*``, ``likelihoods.*``) from the modules a run
uses -- its likelihoods' classes, its model, its sampler, the combiner, the summary's statistics
and the profile bounds -- and hashes each module reached, together with the cards those modules
name beside themselves (``prem.toml``, ``inputs.toml``, ... are read outside any run card).

A module is hashed by its syntax tree without docstrings, so a change of comments, docstrings or
formatting keeps the version; any change a Python interpreter could see changes it. The set of
modules depends only on the run (not on what the process happened to import before), so every
process running the same code computes the same fingerprint. Modules that only present or
orchestrate results (plots, command line, export, scans, the run folder) are not followed.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
from collections.abc import Iterable
from pathlib import Path

#: Top-level packages of this project whose modules define results.
PROJECT_PACKAGES = ("globalfit", "likelihoods")

#: Modules that present or orchestrate results without changing them (not followed).
PRESENTATION = frozenset({
    "globalfit.cli", "globalfit.plots", "globalfit.combination_plots", "globalfit.export",
    "globalfit.labels", "globalfit.compare", "globalfit.runner", "globalfit.scan",
    "globalfit.combine", "globalfit.combinations", "globalfit.executors",
    "globalfit.run_folder", "globalfit.code_version", "globalfit.information",
    "likelihoods.coherent.plot_spectra",
})

#: Always part of a run: the combiner, the likelihood interface, the summary's statistics
#: (limits, their Monte Carlo errors, the convergence verdict) and the profile bounds of scans.
CORE = ("globalfit.fit", "globalfit.likelihood", "globalfit.results", "globalfit.profile")

_hashes: dict[tuple[str, int, int], str] = {}
_scanned: dict[tuple[str, int, int], tuple[frozenset[str], frozenset[str]]] = {}
_roots: dict[str, Path | None] = {}


def _key(path: Path) -> tuple[str, int, int]:
    st = path.stat()
    return str(path), st.st_mtime_ns, st.st_size


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def _strip_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if (body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
                    and isinstance(body[0].value.value, str)):
                node.body = body[1:] or [ast.Pass()]
    return tree


def _source_hash(path: Path) -> str:
    """Hash of a Python file's syntax tree without docstrings (a ``.toml``: of its bytes)."""
    key = _key(path)
    if key not in _hashes:
        data = path.read_bytes()
        if path.suffix == ".py":
            tree = _strip_docstrings(ast.parse(data, filename=str(path)))
            data = ast.dump(tree, annotate_fields=False, include_attributes=False).encode()
        _hashes[key] = _digest(data)
    return _hashes[key]


def _package_dir(top: str) -> Path | None:
    """The folder of the top-level package ``top`` (None: not an importable package)."""
    if top not in _roots:
        try:
            spec = importlib.util.find_spec(top)
        except (ImportError, ValueError):
            spec = None
        _roots[top] = (Path(spec.origin).parent if spec and spec.origin
                       and spec.origin.endswith("__init__.py") else None)
    return _roots[top]


def _origin(module: str, packages: Iterable[str] = PROJECT_PACKAGES) -> Path | None:
    """The source file of a module of ``packages``, found on disk without importing it; None
    for another package's module or a name that is not a module (an imported function)."""
    top, _, rest = module.partition(".")
    root = _package_dir(top) if top in packages else None
    if root is None:
        return None
    base = root.joinpath(*rest.split(".")) if rest else root
    for path in (base.with_suffix(".py") if rest else None, base / "__init__.py"):
        if path is not None and path.is_file():
            return path
    return None


def _package_of(module: str, path: Path) -> str:
    """The package a module's relative imports and named cards are relative to."""
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def _scan(module: str, path: Path) -> tuple[frozenset[str], frozenset[str]]:
    """What ``module`` imports anywhere in its source (lazy imports included; every module and
    ``module.name``), and the ``.toml`` files it names (string constants: the cards it reads
    beside itself)."""
    key = _key(path)
    if key not in _scanned:
        package = _package_of(module, path)
        found: set[str] = set()
        cards: set[str] = set()
        for node in ast.walk(ast.parse(path.read_bytes(), filename=str(path))):
            if isinstance(node, ast.Import):
                found.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")
                    parts = parts[:len(parts) - node.level + 1]
                    base = ".".join([*parts, base] if base else parts)
                found.add(base)
                found.update(f"{base}.{a.name}" for a in node.names)
            elif (isinstance(node, ast.Constant) and isinstance(node.value, str)
                  and node.value.endswith(".toml") and "/" not in node.value):
                cards.add(node.value)
        _scanned[key] = (frozenset(found), frozenset(cards))
    return _scanned[key]


def code_hashes(roots: Iterable[str]) -> dict[str, str]:
    """``{module or card file: hash}`` for the project modules reachable from ``roots`` through
    the project's imports (:data:`PRESENTATION` modules not followed), and the ``.toml`` cards
    the modules reached name beside themselves (``likelihoods/oscillation/prem.toml``). A root
    from another package (a plug-in likelihood) is followed through its own package too."""
    roots = list(roots)
    packages = {*PROJECT_PACKAGES, *(r.split(".")[0] for r in roots)}
    todo = [*CORE, *roots]
    seen: dict[str, Path] = {}
    while todo:
        module = todo.pop()
        if module in seen or module in PRESENTATION:
            continue
        path = _origin(module, packages)
        if path is None:
            continue
        seen[module] = path
        todo.extend(_scan(module, path)[0] - seen.keys())
    hashes = {m: _source_hash(p) for m, p in seen.items()}
    for module, path in seen.items():
        package = _package_of(module, path)
        for name in _scan(module, path)[1]:
            if (path.parent / name).is_file():
                hashes[f"{package.replace('.', '/')}/{name}"] = _source_hash(path.parent / name)
    return dict(sorted(hashes.items()))


def run_code_hashes(fit: object, sampler_module: str) -> dict[str, str]:
    """:func:`code_hashes` of a run: its likelihoods' and model's modules and its sampler's."""
    roots = [type(lik).__module__ for lik in fit.likelihoods]  # type: ignore[attr-defined]
    roots += [type(fit.model).__module__, sampler_module]  # type: ignore[attr-defined]
    return code_hashes(roots)


def changed_since(recorded: dict[str, str]) -> list[str]:
    """The modules and cards of a result's recorded code (``provenance.resolved.code``) whose
    source differs now, or is gone: the result was computed by other code than this one."""
    changed = []
    for name, digest in recorded.items():
        if "/" in name:  # a card: "<package path>/<file>.toml"
            root = _package_dir(name.split("/")[0])
            path = root.parent / name if root is not None else None
            path = path if path is not None and path.is_file() else None
        else:
            path = _origin(name, {name.split(".")[0]})
        if path is None or _source_hash(path) != digest:
            changed.append(name)
    return changed


def recorded_code(summary: dict) -> dict[str, str] | None:
    """A result's recorded code (``provenance.resolved.code``), None where it records none (an
    older globalfit) or the entry is not a table."""
    node: object = summary
    for key in ("provenance", "resolved", "code"):
        node = node.get(key) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else None


def listed(names: list[str], at_most: int = 3) -> str:
    """``a, b, c and 2 more``: module names for a one-line message."""
    more = f" and {len(names) - at_most} more" if len(names) > at_most else ""
    return ", ".join(names[:at_most]) + more
