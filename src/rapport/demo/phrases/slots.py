"""What fills the phrase templates' slots: products, dates, amounts, places, carriers … written for the demo.

Each slot is a function of the random stream, so the same seed gives the same wording.
"""

from __future__ import annotations

import random
from collections.abc import Callable

# fmt: off
PRODUCTS = (
    "blue rain jacket", "espresso machine", "pair of trail shoes", "standing desk", "wool blanket", "phone case",
    "kids' bike helmet", "cast iron pan", "noise cancelling headphones", "yoga mat", "set of wine glasses",
    "garden hose", "laptop sleeve", "linen duvet cover", "electric toothbrush", "desk lamp", "travel backpack",
    "coffee grinder", "winter boots", "smart watch strap", "bluetooth speaker", "office chair", "bread knife",
    "puzzle (1000 pieces)", "dog bed", "running shorts", "ceramic teapot", "camping stove", "gift card",
    "baby monitor", "printer ink", "hiking poles", "silk scarf", "board game", "USB-C charger", "bath towels",
)
COLOURS = ("black", "navy", "grey", "green", "red", "white", "beige", "olive", "pink", "mustard")
SIZES = ("S", "M", "L", "XL", "38", "40", "42", "44", "9.5", "11")
PLACES = (
    "Leeds", "Bristol", "Lyon", "Utrecht", "Porto", "Graz", "Malmö", "Valencia", "Cork", "Gdansk", "Austin", "Denver",
    "Toronto", "Melbourne", "Bologna", "Ghent", "Aarhus", "Bremen", "Brighton", "Nantes",
)
STREETS = (
    "Harbour Road", "Mill Lane", "Station Street", "Kingsway", "Elm Avenue", "Rue des Lilas", "Keizersgracht",
    "Bahnhofstrasse", "Calle Mayor", "Via Roma", "Church Walk", "Orchard Close", "Park Terrace", "Queen's Drive",
)
CARRIERS = ("DHL", "UPS", "DPD", "the post office", "GLS", "FedEx", "the courier", "Royal Mail", "PostNL")
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WHEN = (
    "yesterday", "last week", "on {day}", "last {day}", "two weeks ago", "this morning", "on the {nth}",
    "a few days ago", "over the weekend", "at the start of the month", "ten days ago",
)
NTH = ("2nd", "3rd", "5th", "8th", "11th", "14th", "17th", "21st", "23rd", "28th")
CURRENCIES = ("€", "$", "£")
CARDS = ("Visa", "Mastercard", "Amex", "debit card", "credit card")
PLANS = ("Basic", "Plus", "Pro", "Family", "Business", "Starter")
RELATIONS = ("my wife", "my husband", "my partner", "my mum", "my son", "my daughter", "my colleague", "a friend")
# fmt: on


def _order(rng: random.Random) -> str:
    number = rng.randrange(100_000, 1_000_000)
    return rng.choice((f"#{number}", f"{number}", f"#{number}", f"A-{number}", f"no. {number}"))


def _when(rng: random.Random) -> str:
    return rng.choice(WHEN).format(day=rng.choice(DAYS), nth=rng.choice(NTH))


def _amount(rng: random.Random) -> str:
    whole = rng.choice((9, 14, 19, 24, 29, 35, 42, 49, 59, 64, 79, 89, 99, 120, 149, 189, 240, 315))
    cents = rng.choice(("", ".99", ".50", ".95", ".00", ".49"))
    symbol = rng.choice(CURRENCIES)
    return f"{symbol}{whole}{cents}" if rng.random() < 0.8 else f"{whole}{cents} {'EUR' if symbol == '€' else 'USD'}"


def _address(rng: random.Random) -> str:
    return f"{rng.randrange(1, 180)} {rng.choice(STREETS)}, {rng.choice(PLACES)}"


def _invoice(rng: random.Random) -> str:
    return rng.choice(("INV-", "INV", "invoice ", "R")) + f"{rng.randrange(2024, 2027)}-{rng.randrange(100, 9999):04d}"


def _card(rng: random.Random) -> str:
    card = rng.choice(CARDS)
    return f"{card} ending {rng.randrange(1000, 9999)}" if rng.random() < 0.6 else f"my {card}"


SLOTS: dict[str, Callable[[random.Random], str]] = {
    "product": lambda rng: rng.choice(PRODUCTS),
    "colour": lambda rng: rng.choice(COLOURS),
    "size": lambda rng: rng.choice(SIZES),
    "qty": lambda rng: rng.choice(("2", "3", "two", "three", "4", "5")),
    "order": _order,
    "when": _when,
    "day": lambda rng: rng.choice(DAYS),
    "days": lambda rng: str(rng.randrange(3, 22)),
    "amount": _amount,
    "place": lambda rng: rng.choice(PLACES),
    "address": _address,
    "carrier": lambda rng: rng.choice(CARRIERS),
    "invoice": _invoice,
    "card": _card,
    "plan": lambda rng: rng.choice(PLANS),
    "relation": lambda rng: rng.choice(RELATIONS),
}


class Filler(dict):
    """Template values: the caller's (name, order …) first, any other slot drawn from the random stream once."""

    def __init__(self, rng: random.Random, given: dict):
        super().__init__(given)
        self.rng = rng

    def __missing__(self, key: str) -> str:
        value = SLOTS[key](self.rng)
        self[key] = value
        return value
