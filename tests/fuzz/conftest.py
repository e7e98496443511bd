"""Hypothesis profiles for the fuzz tests: 'ci' (the default) is seeded and
derandomized so that every run draws the same calls; HYPOTHESIS_PROFILE=dev draws new ones."""
import os

from hypothesis import settings

settings.register_profile("ci", deadline=None, derandomize=True, database=None, print_blob=True)
settings.register_profile("dev", deadline=None, max_examples=2000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
