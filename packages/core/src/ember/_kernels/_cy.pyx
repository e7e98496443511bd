# cython: boundscheck=False, wraparound=False, cdivision=True
"""Cython kernels (filled in by the hot-path work)."""
