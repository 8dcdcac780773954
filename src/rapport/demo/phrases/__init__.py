"""The demo's customer wording: the project's own phrase templates per intent, filled and roughened.

Every template here was written for Rapport (no outside data set): 27 intents in 11 categories, each a handful
of templates with slots (products, order numbers, dates, amounts, places …) and channel-typical noise on top.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from rapport.demo.phrases import accounts, orders
from rapport.demo.phrases.noise import EXTRAS, letter, roughen
from rapport.demo.phrases.slots import Filler


@dataclass(frozen=True)
class Intent:
    """One kind of request (e.g. get_refund), its category (REFUND) and the templates customers' words come from."""

    name: str
    category: str
    templates: tuple[str, ...]


INTENTS: tuple[Intent, ...] = tuple(
    Intent(name, category, templates)
    for name, (category, templates) in sorted({**orders.TEMPLATES, **accounts.TEMPLATES}.items())
)


def intents() -> list[Intent]:
    """Every intent, in a stable order."""
    return list(INTENTS)


def first_message(rng: random.Random, intent: Intent, channel: str, fill: dict) -> str:
    """A customer's opening message about `intent` on `channel`; `fill` gives name, order and any fixed slot."""
    values = Filler(rng, fill)
    body = rng.choice(intent.templates).format_map(values)
    if channel in ("email", "portal") and rng.random() < 0.3:
        extra = rng.choice(EXTRAS).format_map(values)
        body = f"{extra} {body}" if rng.random() < 0.4 else f"{body} {extra}"
    return written(rng, body, channel, fill.get("name", ""))


def written(rng: random.Random, text: str, channel: str, name: str) -> str:
    """`text` as the customer sends it on `channel`: roughened, and as a letter by email or the portal."""
    if channel == "phone":
        return f"Phone call ({rng.randrange(1, 15)} min). The customer said: {text[:1].upper()}{text[1:]}"
    text = roughen(rng, text, channel)
    if channel in ("email", "portal"):
        text = letter(rng, text, name, footer=channel == "email")
    return text


def live_message(rng: random.Random, channel: str, name: str) -> str:
    """A message for the demo's live traffic: any intent, with fresh slots."""
    intent = rng.choice(INTENTS)
    return first_message(rng, intent, channel, {"name": name.split(" ")[0] if name else ""})
