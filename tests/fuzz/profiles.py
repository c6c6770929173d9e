"""The hypothesis profiles of the suite, loaded by tests/conftest.py so every hypothesis test runs under one.

`make test` replays the same examples every run ("seeded": derandomized, so a failure is a failure of this commit,
not of luck); `make fuzz` explores new ones (FUZZ_PROFILE=explore). No example database: a failure prints its
reproduce_failure blob instead. tests/fuzz/test_seeding.py fails if a hypothesis test runs outside the profile.
"""
from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile("seeded", derandomize=True, database=None, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.function_scoped_fixture])
settings.register_profile("explore", parent=settings.get_profile("seeded"), derandomize=False)
PROFILE = os.environ.get("FUZZ_PROFILE", "seeded")
settings.load_profile(PROFILE)
