"""LHC searches: same-sign dileptons (leptonic scalar), dilepton and four-lepton Z' searches."""
