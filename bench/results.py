"""Where a benchmark's JSON goes: bench/results/<name>-<UTC timestamp>.json, written once for every script."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def save(name: str, result: dict) -> Path:
    """Write `result` as bench/results/<name>-<timestamp>.json, say where, and return the path."""
    out = BENCH / "results" / f"{name}-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2, default=str))
    print(f"wrote {out.relative_to(BENCH.parent)}")
    return out
