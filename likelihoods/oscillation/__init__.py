"""Neutrino oscillations with NSI in matter: DUNE, T2HK projections and current global data."""
