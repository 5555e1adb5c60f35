"""B-factory searches (e+e- at the Upsilon resonances): BaBar e+e- -> mu mu Z', Z' -> mu mu.

A family of its own: the production (e+e- at 10.58 GeV, the Z' radiated off a final-state muon),
the mass range (0.2-10 GeV) and the published quantities differ from those of the LHC searches."""
