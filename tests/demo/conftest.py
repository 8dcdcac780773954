"""Demo fixtures: the environment restored after a test that runs `rapport demo` (it exports settings)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.fixture
def restore_environ() -> Iterator[None]:
    """Put os.environ back as it was: the demo command exports RAPPORT_DATA_DIR and friends for its server."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture(autouse=True)
def no_redirects(request):
    """Page tests look at each redirect themselves (as tests/web/pages do)."""
    if "client" in request.fixturenames:
        request.getfixturevalue("client").follow_redirects = False
