"""Built-in likelihoods, one subpackage per experiment family (testing, coherent, oscillation,
decays, lhc, bfactory). Each registers through the entry-point group ``globalfit.likelihoods``.
``limit_curves`` holds what the Z' searches of lhc and bfactory share: reading published limit
curves, the CL -> Delta chi^2 convention and the L_mu - L_tau recast."""
