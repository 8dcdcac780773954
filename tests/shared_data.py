"""Where the shared data sets are (the Bitext utterances, the email corpus), for the tests that say they need them.

One setting, RAPPORT_SHARED_DIR, else the repository's sibling folder `shared/`. A test that needs a data set
which is absent is skipped with the reason, except in CI (CI=true), where it fails: CI has the data, so a CI run
has zero skips. Nothing in src/ reads these: the app and the demo run from a clone alone.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ENV = "RAPPORT_SHARED_DIR"
DEFAULT = Path(__file__).resolve().parents[1].parent / "shared"
BITEXT = "data/bitext/customer_support_utterances.csv"
EMAIL_CORPUS = "corpus/email"


def shared_dir() -> Path:
    """The shared folder: $RAPPORT_SHARED_DIR, or `shared/` beside the repository."""
    override = os.environ.get(ENV)
    return Path(override) if override else DEFAULT


def find(relative: str) -> Path | None:
    """The data set at `relative` inside the shared folder, or None when it is not there."""
    path = shared_dir() / relative
    return path if path.exists() else None


def in_ci() -> bool:
    """True on CI (CI=true), where missing shared data is an error rather than a skip."""
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def require(relative: str) -> Path:
    """The data set at `relative`; skips the calling test with the reason when absent (fails it on CI)."""
    path = find(relative)
    if path is None:
        reason = f"needs {shared_dir() / relative} (../shared/{relative}); set {ENV} to the shared folder"
        if in_ci():
            pytest.fail(f"CI must have the shared data: {reason}", pytrace=False)
        pytest.skip(reason)
    return path


def bitext_utterances() -> list[str]:
    """Every customer utterance of the Bitext data set (skips or fails like `require` when absent)."""
    import csv

    with require(BITEXT).open(newline="", encoding="utf-8") as handle:
        return [" ".join(row["instruction"].split()) for row in csv.DictReader(handle)]
