"""Fixtures for the lab tests: skip with a reason naming what is missing.

The lab needs root (or unprivileged user namespaces), iproute2, nftables, iptables and
ethtool; the delay stage needs the Python package NetfilterQueue; the shaping tests need
iperf3. CI installs all of them (and turns these skips into failures).
"""

from __future__ import annotations

import functools
import importlib.util
import shutil
from collections.abc import Iterator

import pytest

from sessioncheck.lab import Lab, lab_available


@functools.cache
def _lab_reason() -> str | None:
    why = lab_available()
    return None if why is None else f"network lab unavailable: {why}"


@pytest.fixture
def lab_ok() -> None:
    """Skip unless a lab can be built here."""
    why = _lab_reason()
    if why is not None:
        pytest.skip(why)


@pytest.fixture
def iperf3_ok() -> None:
    if shutil.which("iperf3") is None:
        pytest.skip("needs Debian package iperf3")


@pytest.fixture
def nfqueue_ok() -> None:
    if importlib.util.find_spec("netfilterqueue") is None:
        pytest.skip("needs Python package NetfilterQueue (and Debian libnetfilter-queue-dev)")


@pytest.fixture
def lab(lab_ok: None) -> Iterator[Lab]:
    """A fresh client — router — server lab, torn down after the test."""
    with Lab() as built:
        yield built
