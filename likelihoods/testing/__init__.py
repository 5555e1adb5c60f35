"""Analytic likelihoods with known answers, for the framework's own tests, benchmarks and examples.

They read model parameters by name (``parameters`` option) instead of through a capability: they
exist to test the combiner and the samplers, not physics.
"""
