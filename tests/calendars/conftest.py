"""Calendar page tests look at each redirect themselves."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def no_redirects(request):
    """A form's 303 and where it leads are what the page tests check."""
    if "client" in request.fixturenames:
        request.getfixturevalue("client").follow_redirects = False
