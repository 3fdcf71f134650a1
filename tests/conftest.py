"""Shared fixtures."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def checker():
    """One Checker with the shipped rule pack; building the pipeline takes about a second."""
    from notecheck import Checker

    return Checker()
