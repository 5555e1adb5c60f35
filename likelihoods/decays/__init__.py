"""Leptonic-scalar decays: mesons, tau, Z invisible width and W decays."""
