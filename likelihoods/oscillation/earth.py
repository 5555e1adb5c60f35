"""Neutrino paths through a layered Earth (PREM) and their oscillation probabilities.

physics.md, "Atmospheric paths through the Earth". The Earth is a set of concentric shells of
constant density: the PREM regions (prem.toml, Dziewonski and Anderson 1981), each optionally cut
into thinner shells (``max_shell_km``). A neutrino produced at height h above the surface and
seen at zenith angle z by a detector at the surface travels

- for cos z >= 0 (down-going) only through the atmosphere, taken as vacuum;
- for cos z < 0 (up-going) through the atmosphere (vacuum), then into the shells down to the
  deepest one its chord reaches (closest approach r_min = R sin z), and out again. Each shell
  crossed twice contributes two segments of equal length; the deepest one a single segment.

Each segment has the path-averaged PREM density of its stretch (16-point Gauss-Legendre along
the chord) and its region's electron fraction Y_e. The evolution operators of the segments are
multiplied in the order crossed (``S = S_n ... S_2 S_1``, amplitudes, not probabilities); the
path is symmetric about its closest approach, so each shell's operator is computed once and used
twice (the deepest shell split into two halves). Matter NSI in each segment is ``eps(Y_n)`` with
the segment's Y_n = (1 - Y_e) / Y_e: pass a model point's ``eps_matter`` (physics.md:
eps^e + (2 + Y_n) eps^u + (1 + 2 Y_n) eps^d).

The operators of all segments the up-going paths cross are one vectorised call over
(segment, energy) (engine.transposed_layer_operators; shells a path does not reach are not
computed), kept in the layout they are computed in, the nine entries flattened last (as
(..., 3, 3) the operators cost ~2x more on XLA:CPU, engine.transposed_layer_operators), and the
products run as a ``lax.scan`` over the crossing order, the paths split into
up to four groups of similar depth (each group's scan as long as its deepest path; shallower
paths padded with the unit). The reverse mode of the products is written out (an adjoint scan;
each segment's cotangent gathered from its two crossings): JAX's own transpose of the gathers
inside the scan scatters into every operator at every step (the propagation's gradient cost ~5x
more on CPU); forward-mode derivatives through earth_probabilities are therefore not available.
Detector at the surface (Super-K's 1 km of rock overburden is neglected); air density neglected
(1e-3 g/cm^3).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from globalfit.errors import GlobalfitError
from globalfit.likelihood import load_data_card
from likelihoods.oscillation.engine import transposed_layer_operators


@dataclass(frozen=True)
class EarthModel:
    """Spherical Earth of regions with polynomial density (PREM form)."""

    radius_km: float
    r_outer: np.ndarray   # (n,) outer radius of each region [km], increasing
    coeffs: np.ndarray    # (n, 4) density polynomial in x = r / radius_km [g/cm^3]
    ye: np.ndarray        # (n,) electron fraction per region
    names: tuple[str, ...]

    def region(self, r_km: Any) -> np.ndarray:
        """Index of the region holding radius r [km]."""
        return np.minimum(np.searchsorted(self.r_outer, np.asarray(r_km), side="right"),
                          len(self.r_outer) - 1)

    def density(self, r_km: Any) -> np.ndarray:
        """PREM density [g/cm^3] at radius r [km] (0 above the surface)."""
        r = np.asarray(r_km, float)
        c = self.coeffs[self.region(r)]
        x = r / self.radius_km
        rho = c[..., 0] + x * (c[..., 1] + x * (c[..., 2] + x * c[..., 3]))
        return np.where(r <= self.radius_km, rho, 0.0)


@functools.cache
def prem() -> EarthModel:
    """PREM from prem.toml (regions, densities, Y_e)."""
    card = load_data_card(Path(__file__).with_name("prem.toml"))
    reg = card["region"]
    return EarthModel(float(card["radius_km"]), np.array([r["r_outer_km"] for r in reg]),
                      np.array([r["density"] for r in reg], float),
                      np.array([r["ye"] for r in reg], float), tuple(r["name"] for r in reg))


def shells(model: EarthModel, max_shell_km: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Outer radii [km] of the shells (increasing) and the region of each: every region cut into
    equal shells no thicker than ``max_shell_km`` (None: the regions themselves)."""
    outer, region = [], []
    inner = 0.0
    for i, r in enumerate(model.r_outer):
        n = 1 if max_shell_km is None else max(1, int(np.ceil((r - inner) / max_shell_km)))
        edges = np.linspace(inner, r, n + 1)[1:]
        outer.extend(edges)
        region.extend([i] * n)
        inner = r
    return np.array(outer), np.array(region)


@dataclass(frozen=True)
class EarthPaths:
    """Atmospheric neutrino paths to a detector at the surface, one per zenith cosine.

    Layer 0 is the atmosphere; layers 1..K-1 are the shells from the outermost inwards, each
    crossed twice (in and out) over ``length`` [km] with path-averaged density ``rho``
    [g/cm^3]; the deepest shell a path reaches is split at the closest approach into two equal
    halves. Shells a path does not reach have zero length (unit operators). Down-going paths
    have only layer 0.
    """

    cosz: np.ndarray      # (n,)
    total_km: np.ndarray  # (n,) production to detector
    length: np.ndarray    # (n, K)
    rho: np.ndarray       # (n, K)
    ye: np.ndarray        # (K,) electron fraction of each layer
    up: np.ndarray        # (n,) bool, cos z < 0

    @property
    def order(self) -> tuple[int, ...]:
        """Layers in the order crossed: atmosphere, shells inwards, shells outwards."""
        k = self.length.shape[1]
        return (0, *range(1, k), *range(k - 1, 0, -1))


_GL_X, _GL_W = np.polynomial.legendre.leggauss(16)


def atmospheric_paths(cosz: Sequence[float] | np.ndarray, *, production_height_km: float = 15.0,
                      max_shell_km: float | None = None,
                      model: EarthModel | None = None) -> EarthPaths:
    """Paths at zenith cosines ``cosz`` (-1 = up-going through the centre), from production at
    ``production_height_km`` above the surface (module docstring). ``max_shell_km`` cuts the
    PREM regions into thinner shells (None: the 10 PREM regions)."""
    model = model or prem()
    cz = np.asarray(cosz, float)
    if cz.ndim != 1 or np.any(np.abs(cz) > 1.0):
        raise GlobalfitError("cos(zenith) must be a 1-d array of values in [-1, 1].")
    if not 0.0 <= production_height_km < 1000.0:
        raise GlobalfitError("production_height_km must lie in [0, 1000).")
    rad = model.radius_km
    r_sh, reg = shells(model, max_shell_km)
    r_top = rad + production_height_km
    sz2 = np.clip(1.0 - cz**2, 0.0, None)
    total = np.sqrt(r_top**2 - rad**2 * sz2) - rad * cz
    up = cz < 0
    rm = rad * np.sqrt(sz2)
    n_sh = len(r_sh)
    length = np.zeros((len(cz), n_sh + 1))
    rho = np.zeros((len(cz), n_sh + 1))
    # atmosphere: from production to the surface (the whole path if down-going)
    length[:, 0] = total - np.where(up, 2.0 * np.sqrt(np.clip(rad**2 - rm**2, 0, None)), 0.0)
    for k in range(1, n_sh + 1):
        j = n_sh - k                              # shell index, outermost first
        r_out = r_sh[j]
        r_in = r_sh[j - 1] if j > 0 else 0.0
        h_out = np.sqrt(np.clip(r_out**2 - rm**2, 0, None))  # half-chords from r_min
        h_in = np.sqrt(np.clip(r_in**2 - rm**2, 0, None))
        # each of the two crossings covers s in [h_in, h_out] from the closest approach
        s = h_in[:, None] + (h_out - h_in)[:, None] * 0.5 * (1 + _GL_X[None, :])
        x = np.minimum(np.sqrt(rm[:, None] ** 2 + s**2), r_out) / rad
        c = model.coeffs[reg[j]]
        rho[:, k] = np.where(up, 0.5 * (c[0] + x * (c[1] + x * (c[2] + x * c[3]))) @ _GL_W, 0.0)
        length[:, k] = np.where(up, h_out - h_in, 0.0)
    ye = np.concatenate([[0.5], model.ye[reg[::-1]]])
    # drop shells no path reaches
    keep = np.concatenate([[True], np.any(length[:, 1:] > 0, axis=0)])
    return EarthPaths(cz, total, length[:, keep], rho[:, keep], ye[keep], up)


def _crossed_segments(paths: EarthPaths) -> tuple[tuple[np.ndarray, np.ndarray], np.ndarray]:
    """The (path, layer) index pairs of the segments the up-going paths cross (zero-length
    layers left out: a path at cos z reaches only the shells outside R sin z, about half of
    them over uniform cos z cells) and, per crossing step, the index into that list of each
    path's next segment (atmosphere, shells inwards, shells outwards; shorter paths are padded
    at the end with the index len(list), the unit operator).
    Returns ((path, layer), steps (T, paths))."""
    crossed = paths.length[paths.up] > 0
    crossed[:, 0] = True                          # the atmosphere (maybe 0 km: the unit)
    zz, kk = np.nonzero(crossed)
    flat = -np.ones(crossed.shape, int)
    flat[zz, kk] = np.arange(len(zz))
    seqs = []
    for z in range(crossed.shape[0]):
        inward = [flat[z, k] for k in range(1, crossed.shape[1]) if crossed[z, k]]
        seqs.append([flat[z, 0], *inward, *inward[::-1]])
    n_steps = max(len(q) for q in seqs)
    steps = np.full((n_steps, len(seqs)), len(zz))
    for z, q in enumerate(seqs):
        steps[: len(q), z] = q
    return (zz, kk), steps


def _path_groups(steps: np.ndarray, n_seg: int, max_groups: int = 4
                 ) -> list[tuple[slice, slice, np.ndarray]]:
    """Split the up-going paths into at most ``max_groups`` runs of consecutive paths (their
    crossing counts fall with |cos z|) so that each run's scan is only as long as its longest
    path (minimum padded work, dynamic programming). Returns per run (paths, segments, steps
    relative to the run's first segment; the padding index is the run's segment count)."""
    n_z = steps.shape[1]
    length = (steps < n_seg).sum(axis=0)                   # crossing steps per path
    # cost[g, j]: least padded work covering paths [0, j) in g runs; runs of consecutive paths
    cost = np.full((max_groups + 1, n_z + 1), np.inf)
    cost[0, 0] = 0.0
    arg = np.zeros((max_groups + 1, n_z + 1), int)
    for g in range(1, max_groups + 1):
        for j in range(1, n_z + 1):
            c = cost[g - 1, :j] + np.array([(j - i) * length[i:j].max() for i in range(j)])
            arg[g, j] = int(np.argmin(c))
            cost[g, j] = c[arg[g, j]]
    cuts, j = [], n_z
    for g in range(max_groups, 0, -1):
        i = arg[g, j]
        if j > i:
            cuts.append((i, j))
        j = i
    out = []
    for i, j in cuts[::-1]:
        st = steps[: length[i:j].max(), i:j]
        real = st < n_seg
        lo, hi = int(st[real].min()), int(st[real].max()) + 1     # the run's segments
        out.append((slice(i, j), slice(lo, hi), np.where(real, st - lo, hi - lo)))
    return out


def _row_entries(rows: np.ndarray) -> np.ndarray:
    """Positions of the rows ``rows`` of a 3x3 matrix flattened row-major (entry 3 a + b)."""
    return (3 * np.asarray(rows)[:, None] + np.arange(3)[None, :]).ravel()


def _mul_rows(vr: Any, vi: Any, o_r: Any, o_i: Any, transpose: bool = False
              ) -> tuple[Any, Any]:
    """(vr + i vi) @ O over the last axes, rows (..., r, 3) times O = o_r + i o_i given
    flattened row-major, (..., 9) (``transpose``: times O^T), written out in real arithmetic
    (XLA:CPU vectorises it; complex products it does not)."""
    def row(o, c):  # row c of O (or of O^T), shaped to broadcast over the r rows
        return (o[..., c::3] if transpose else o[..., 3 * c:3 * c + 3])[..., None, :]
    nr = sum(vr[..., c, None] * row(o_r, c) - vi[..., c, None] * row(o_i, c) for c in range(3))
    ni = sum(vr[..., c, None] * row(o_i, c) + vi[..., c, None] * row(o_r, c) for c in range(3))
    return nr, ni


def _row_products(steps: np.ndarray, rows: np.ndarray, n_seg: int) -> Callable:
    """f(ops_r, ops_i) -> rows ``rows`` of O[steps[0]] O[steps[1]] ... per path, shape
    (paths, m, len(rows), 3), for ops flattened row-major, shape (n_seg + 1, m, 9) (the last
    one the unit, the padding; the layout engine.transposed_layer_operators computes them in),
    and static ``steps`` (T, paths): one ``lax.scan``. Its reverse mode is written out
    (custom_vjp): the adjoint scan yields each step's operator cotangent, and each segment's
    is the sum over its at most two crossings, taken by gathers; JAX's own transpose of the
    gather inside the scan is a scatter-add into all operators at every step (~5x slower on
    CPU). Reverse mode only (no forward-mode derivatives through it)."""
    visits = steps.ravel()
    occurrence = [np.full(n_seg, visits.size), np.full(n_seg, visits.size)]  # size: a zero row
    count = np.zeros(n_seg, int)
    for pos, s in enumerate(visits):
        if s < n_seg:
            occurrence[count[s]][s] = pos
            count[s] += 1
    if count.max(initial=0) > 2:
        raise ValueError("a segment is crossed more than twice")
    entries = _row_entries(rows)

    def first_rows(ops):
        o = ops[steps[0]][..., entries]
        return o.reshape(*o.shape[:-1], len(rows), 3)

    def forward(ops_r, ops_i):
        v0 = (first_rows(ops_r), first_rows(ops_i))

        def step(v, idx):
            return _mul_rows(*v, ops_r[idx], ops_i[idx]), v

        return jax.lax.scan(step, v0, steps[1:])

    @jax.custom_vjp
    def products(ops_r, ops_i):
        return forward(ops_r, ops_i)[0]

    def fwd(ops_r, ops_i):
        v, history = forward(ops_r, ops_i)
        return v, (ops_r, ops_i, history)

    def bwd(res, ct):
        ops_r, ops_i, history = res
        n_rows = len(rows)

        def step(g, x):
            # w = v O (complex rows): dv = dw O^T, dO = v^T dw, here in real and imaginary parts
            idx, (vr, vi) = x
            (gr, gi), o_r, o_i = g, ops_r[idx], ops_i[idx]
            back = _mul_rows(gr, -gi, o_r, o_i, transpose=True)
            d_r = sum(vr[..., a, :, None] * gr[..., a, None, :]
                      + vi[..., a, :, None] * gi[..., a, None, :] for a in range(n_rows))
            d_i = sum(vr[..., a, :, None] * gi[..., a, None, :]
                      - vi[..., a, :, None] * gr[..., a, None, :] for a in range(n_rows))
            flat = (*d_r.shape[:-2], 9)
            return (back[0], -back[1]), (d_r.reshape(flat), d_i.reshape(flat))

        (gr, gi), (d_r, d_i) = jax.lax.scan(step, ct, (steps[1:], history), reverse=True)
        out = []
        for g0, d in ((gr, d_r), (gi, d_i)):
            first = jnp.zeros((*g0.shape[:-2], 9), g0.dtype).at[..., entries].set(
                g0.reshape(*g0.shape[:-2], -1))
            every = jnp.concatenate([first[None], d]).reshape(visits.size, *d.shape[2:])
            every = jnp.concatenate([every, jnp.zeros((1, *every.shape[1:]), every.dtype)])
            per_seg = every[occurrence[0]] + every[occurrence[1]]
            out.append(jnp.concatenate([per_seg, jnp.zeros((1, *per_seg.shape[1:]),
                                                           per_seg.dtype)]))
        return tuple(out)

    products.defvjp(fwd, bwd)
    return products


EpsLike = Any | Callable[[float], Any] | None


def earth_probabilities(E_GeV: Any, paths: EarthPaths, *, osc: dict[str, Any],
                        eps: EpsLike = None, antineutrino: bool = False,
                        initial: tuple[int, ...] = (0, 1, 2)) -> Any:
    """P[z, j, i, b] = P(nu_a -> nu_b), a = ``initial[i]``, at zenith cosine ``paths.cosz[z]``
    and energy ``E_GeV[j]`` [GeV] (1-d). ``eps``: None, one 3x3 matrix for all matter, or a
    function of Y_n giving the 3x3 eps in matter (e.g. ``point.eps_matter``), evaluated with
    each layer's Y_n = (1 - Y_e) / Y_e. ``initial``: the initial flavours propagated (the rows
    of S^T carried through the layers; atmospheric fluxes need only e and mu). Jit-compatible,
    vmap-compatible and differentiable in reverse mode (the paths are constants)."""
    e = jnp.atleast_1d(jnp.asarray(E_GeV, float))
    if e.ndim != 1:
        raise GlobalfitError("earth_probabilities takes a 1-d array of energies.")
    rows = np.array(initial)
    n, k = paths.length.shape
    m = e.shape[0]
    # eps of each layer: one evaluation per distinct Y_e
    distinct, which = np.unique(paths.ye, return_inverse=True)
    if eps is None:
        eps_layers = jnp.zeros((k, 3, 3), jnp.complex128)
    elif callable(eps):
        table = jnp.stack([jnp.asarray(eps((1.0 - y) / y), jnp.complex128) for y in distinct])
        eps_layers = table[which]
    else:
        eps_layers = jnp.broadcast_to(jnp.asarray(eps, jnp.complex128), (k, 3, 3))
    out = jnp.zeros((n, m, len(rows), 3))
    down, up = np.nonzero(~paths.up)[0], np.nonzero(paths.up)[0]
    if len(down):  # one vacuum layer
        s_r, s_i = transposed_layer_operators(
            e, paths.length[down, 0], np.zeros(len(down)), np.full(len(down), 0.5), osc=osc,
            eps=eps_layers[0], antineutrino=antineutrino, flat=True)
        entries = _row_entries(rows)
        p_down = s_r[..., entries] ** 2 + s_i[..., entries] ** 2
        out = out.at[down].set(p_down.reshape(len(down), m, len(rows), 3))
    if len(up):
        seg, steps = _crossed_segments(paths)
        s_r, s_i = transposed_layer_operators(
            e, paths.length[up][seg], paths.rho[up][seg], paths.ye[seg[1]], osc=osc,
            eps=eps_layers[seg[1]], antineutrino=antineutrino, flat=True)
        unit = jnp.broadcast_to(jnp.eye(3).ravel(), (1, m, 9))
        zero = jnp.zeros_like(unit)
        prob = jnp.zeros((len(up), m, len(rows), 3))
        for zs, ss, st in _path_groups(steps, len(seg[0])):
            # each run of paths: its own segments, the unit operator last (the padding)
            products = _row_products(st, rows, ss.stop - ss.start)
            vr, vi = products(jnp.concatenate([s_r[ss], unit]),
                              jnp.concatenate([s_i[ss], zero]))
            prob = prob.at[zs].set(vr**2 + vi**2)
        out = out.at[up].set(prob)
    return out
