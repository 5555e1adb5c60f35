"""COHERENT: coherent elastic neutrino-nucleus scattering at the SNS (CsI 2017, LAr 2020, CsI 2021)."""
