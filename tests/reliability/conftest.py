"""A fault script that never fired proves nothing: the test that wrote it fails (in its call phase, so a
strict xfail still reads it)."""
from __future__ import annotations

import pytest


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    result = yield
    faults = getattr(item, "funcargs", {}).get("faults")
    if faults is not None and faults.unfired():
        pytest.fail(f"scripted faults never fired (the call they target was never made): {faults.unfired()}",
                    pytrace=False)
    return result
