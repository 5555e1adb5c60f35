"""Neutrino oscillations with NSI in matter: DUNE, T2HK projections and current global data.

:func:`probabilities` is the propagation engine (physics.md section 2); the likelihoods are
``dune``, ``t2hk`` and ``osc_global_2018``.
"""

from likelihoods.oscillation.engine import OSC_NAMES, pmns, probabilities, vacuum_mass_matrix

__all__ = ["OSC_NAMES", "pmns", "probabilities", "vacuum_mass_matrix"]
