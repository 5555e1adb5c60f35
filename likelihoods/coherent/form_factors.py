"""Nuclear form factors of CEvNS (physics.md 3): Helm and Klein-Nystrand, q in fm^-1.

Helm (Helm, Phys. Rev. 104 (1956) 1466; parameters of Lewin-Smith, Astropart. Phys. 6 (1996) 87):
    F = 3 j1(q R0) / (q R0) exp(-q^2 s^2 / 2),  R0^2 = c^2 + (7/3) pi^2 a^2 - 5 s^2,
    c = 1.23 A^(1/3) - 0.6 fm, a = 0.52 fm, s = 0.9 fm.
Klein-Nystrand (Phys. Rev. C 60 (1999) 014903; used by COHERENT in 2017):
    F = 3 j1(q R_A) / (q R_A) / (1 + q^2 a_k^2),  R_A = 1.2 A^(1/3) fm, a_k = 0.7 fm.
"""

from __future__ import annotations

import numpy as np

from globalfit.constants import HBARC_GEV_FM
from globalfit.errors import unknown


def _j1_over_x(x: np.ndarray) -> np.ndarray:
    """3 j1(x) / x, with its series near x = 0 (value 1)."""
    x = np.asarray(x, float)
    small = np.abs(x) < 1e-3
    xs = np.where(small, 1.0, x)
    exact = 3 * (np.sin(xs) - xs * np.cos(xs)) / xs**3
    return np.where(small, 1 - x**2 / 10, exact)


def helm(q_fm: np.ndarray, A: float) -> np.ndarray:
    """Helm form factor at momentum transfer q [fm^-1] for mass number A."""
    s, a = 0.9, 0.52
    c = 1.23 * A ** (1 / 3) - 0.6
    r0 = np.sqrt(c**2 + 7 / 3 * np.pi**2 * a**2 - 5 * s**2)
    return _j1_over_x(q_fm * r0) * np.exp(-0.5 * (q_fm * s) ** 2)


def klein_nystrand(q_fm: np.ndarray, A: float) -> np.ndarray:
    """Klein-Nystrand form factor at q [fm^-1] for mass number A."""
    ra, ak = 1.2 * A ** (1 / 3), 0.7
    return _j1_over_x(q_fm * ra) / (1 + (q_fm * ak) ** 2)


FORM_FACTORS = {"helm": helm, "klein_nystrand": klein_nystrand}


def form_factor(name: str, T_gev: np.ndarray, M_gev: float, A: float) -> np.ndarray:
    """Form factor ``name`` at recoil T [GeV] on a nucleus of mass M [GeV]: q = sqrt(2 M T)."""
    if name not in FORM_FACTORS:
        raise unknown("form factor", name, FORM_FACTORS)
    q_fm = np.sqrt(2 * M_gev * np.asarray(T_gev)) / HBARC_GEV_FM
    return FORM_FACTORS[name](q_fm, A)
