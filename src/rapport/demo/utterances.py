"""Real customer wording: the Bitext customer-support utterances (CDLA-Sharing-1.0), grouped by intent."""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

ENV = "RAPPORT_DEMO_UTTERANCES"
# The repository's sibling `shared/` folder: /work/shared beside /work/main, and the same beside a CI clone.
DEFAULT = Path(__file__).resolve().parents[3].parent / "shared/data/bitext/customer_support_utterances.csv"


class UtterancesMissing(FileNotFoundError):
    """The utterance file is not where it should be."""


@dataclass(frozen=True)
class Intent:
    """One intent (e.g. get_refund) with its category (REFUND) and the ways customers phrased it."""

    name: str
    category: str
    phrasings: tuple[str, ...]


def path() -> Path:
    """Where the utterances are read from: $RAPPORT_DEMO_UTTERANCES, or shared/data/bitext beside the repository."""
    override = os.environ.get(ENV)
    return Path(override) if override else DEFAULT


def load(source: Path | None = None) -> list[Intent]:
    """Every intent with its phrasings, in a stable order; a clear error when the file is missing or wrong."""
    source = source or path()
    if not source.is_file():
        raise UtterancesMissing(
            f"The demo needs the customer utterances at {source}, and there is no file there. "
            f"Set {ENV} to the path of customer_support_utterances.csv (columns instruction,intent,category,tags)."
        )
    grouped: dict[str, tuple[str, list[str]]] = {}
    with source.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = {"instruction", "intent", "category"} - set(reader.fieldnames or ())
        if missing:
            raise UtterancesMissing(f"{source} lacks the column(s) {', '.join(sorted(missing))} (set {ENV}).")
        for row in reader:
            text = " ".join(row["instruction"].split())
            if text:
                grouped.setdefault(row["intent"], (row["category"], []))[1].append(text)
    if not grouped:
        raise UtterancesMissing(f"{source} has no utterances (set {ENV} to another file).")
    return [Intent(name, category, tuple(texts)) for name, (category, texts) in sorted(grouped.items())]
