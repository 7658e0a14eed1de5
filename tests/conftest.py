"""Shared fixtures.

Tests that need root or a Debian package skip with a reason naming it. CI sets
``SESSIONCHECK_NO_SKIP=1``: there, every skip is turned into a failure, because CI installs
everything the suite needs and must not silently test less.
"""

from __future__ import annotations

import os

import pytest

NO_SKIP = os.environ.get("SESSIONCHECK_NO_SKIP") == "1"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    if NO_SKIP and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, where nothing may be skipped: {reason}"
