"""Built-in likelihoods, one subpackage per experiment family (testing, coherent, oscillation,
decays, lhc). Each registers through the entry-point group ``globalfit.likelihoods``."""
