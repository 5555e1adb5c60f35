"""COHERENT: coherent elastic neutrino-nucleus scattering at the SNS.

Likelihoods ``coherent_csi_2017``, ``coherent_lar_2020`` and ``coherent_csi_2021``
(docs/coherent.md).
"""
