"""Where the shared data sets are for the benchmarks that need them (the Bitext utterances).

One setting, RAPPORT_SHARED_DIR, else the repository's sibling folder `shared/`; a benchmark that needs an absent
data set stops with the reason and the setting to use.
"""

from __future__ import annotations

import os
from pathlib import Path

ENV = "RAPPORT_SHARED_DIR"
DEFAULT = Path(__file__).resolve().parents[1].parent / "shared"
BITEXT = "data/bitext/customer_support_utterances.csv"


def shared_dir() -> Path:
    """The shared folder: $RAPPORT_SHARED_DIR, or `shared/` beside the repository."""
    override = os.environ.get(ENV)
    return Path(override) if override else DEFAULT


def require(relative: str) -> Path:
    """The data set at `relative` inside the shared folder; exits with the reason when it is not there."""
    path = shared_dir() / relative
    if not path.exists():
        raise SystemExit(f"this benchmark needs {path} (../shared/{relative}); set {ENV} to the shared folder")
    return path
