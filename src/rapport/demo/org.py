"""The demo organisation: three teams, 25 agents, an inbox per channel, and the customers, as import records."""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from rapport.demo import people

DEMO_EMAIL = "demo@rapport.example"
DEMO_NAME = "Dana Demo"

# team -> the intent categories (demo/phrases) it owns
TEAMS = {
    "Customer Care": ("ACCOUNT", "CONTACT", "FEEDBACK", "NEWSLETTER"),
    "Billing & Payments": ("PAYMENT", "INVOICE", "REFUND", "CANCELLATION_FEE"),
    "Orders & Delivery": ("ORDER", "DELIVERY", "SHIPPING_ADDRESS"),
}
TEAM_OF_CATEGORY = {category: team for team, categories in TEAMS.items() for category in categories}
TEAM_SKILLS = {
    "Customer Care": ("accounts", "complaints", "retention"),
    "Billing & Payments": ("billing", "refunds", "payments"),
    "Orders & Delivery": ("orders", "shipping", "returns"),
}
CHAT_KEY = "pk_demo_acme_website"
# name, channel, address, team
INBOXES = (
    ("Support email", "email", "support@acme.example", "Customer Care"),
    ("Billing email", "email", "billing@acme.example", "Billing & Payments"),
    ("Website chat", "chat", None, "Customer Care"),
    ("SMS", "sms", "+15550100100", "Orders & Delivery"),
    ("WhatsApp", "whatsapp", "+15550100200", "Orders & Delivery"),
    ("Phone", "phone", "+15550100300", "Customer Care"),
    ("Customer portal", "portal", None, "Customer Care"),
    ("API", "api", None, None),
)


@dataclass(frozen=True)
class Customer:
    """What conversations need to know about a generated customer."""

    first: str
    email: str
    phone: str | None
    whatsapp: str | None
    vip: bool


@dataclass
class Org:
    """The generated directory: who works in which team, and the customers by how they can be reached."""

    members: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # team -> [(email, first name)]
    customers: list[Customer] = field(default_factory=list)
    with_phone: list[int] = field(default_factory=list)
    with_whatsapp: list[int] = field(default_factory=list)


def _ascii(text: str) -> str:
    return (
        unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower().replace(" ", "").replace("'", "")
    )


def directory(rng: random.Random, org: Org) -> Iterator[dict]:
    """Team, agent and inbox records; fills `org.members`."""
    for team in TEAMS:
        yield {"type": "team", "name": team, "description": f"Owns {', '.join(c.lower() for c in TEAMS[team])}."}
    org.members = {team: [] for team in TEAMS}
    yield {
        "type": "agent",
        "email": DEMO_EMAIL,
        "name": DEMO_NAME,
        "role": "admin",
        "teams": list(TEAMS),
        "skills": ["english", "admin"],
        "timezone": "Europe/London",
    }
    used = {DEMO_EMAIL}
    for index in range(24):
        team = list(TEAMS)[index % 3]
        role = "supervisor" if index < 3 else "agent"
        while True:
            first, last = rng.choice(people.FIRST), rng.choice(people.LAST)
            email = f"{_ascii(first)}.{_ascii(last)}@rapport.example"
            if email not in used:
                used.add(email)
                break
        language = rng.choices(list(people.LANGUAGES), weights=[v[0] for v in people.LANGUAGES.values()])[0]
        skills = sorted({*rng.sample(TEAM_SKILLS[team], 2), {"en": "english"}.get(language, language)})
        yield {
            "type": "agent",
            "email": email,
            "name": f"{first} {last}",
            "role": role,
            "teams": [team] if rng.random() < 0.8 else [team, list(TEAMS)[(index + 1) % 3]],
            "skills": skills,
            "timezone": rng.choice(people.LANGUAGES[language][1]),
        }
        org.members[team].append((email, first))
    for name, channel, address, team in INBOXES:
        record = {"type": "inbox", "name": name, "channel": channel, "address": address, "team": team}
        if channel == "chat":  # the widget works on the demo's own page (/chat/demo?key=…)
            record["settings"] = {"public_key": CHAT_KEY, "allowed_origins": []}
        yield record


def customers(rng: random.Random, org: Org, count: int, start: datetime) -> Iterator[dict]:
    """`count` customer records with email (and often phone and WhatsApp) identities; fills `org.customers`."""
    languages = list(people.LANGUAGES)
    weights = [v[0] for v in people.LANGUAGES.values()]
    segments, segment_weights = zip(*people.SEGMENTS, strict=True)
    phones: set[str] = set()
    for index in range(count):
        first, last = rng.choice(people.FIRST), rng.choice(people.LAST)
        language = rng.choices(languages, weights)[0]
        _, zones, country = people.LANGUAGES[language]
        segment = rng.choices(segments, segment_weights)[0]
        company = rng.choice(people.COMPANIES) if segment != "consumer" else None
        vip = rng.random() < (0.25 if segment == "enterprise" else 0.03)
        domain = company.lower().replace(" ", "") + ".example" if company else rng.choice(people.MAIL_DOMAINS)
        email = f"{_ascii(first)}.{_ascii(last)}{index}@{domain}"
        identities = [f"email:{email}"]
        phone = whatsapp = None
        if rng.random() < 0.7:
            phone = f"+{country}{rng.randrange(10**8, 10**9)}"
            while phone in phones:  # an identity belongs to one customer
                phone = f"+{country}{rng.randrange(10**8, 10**9)}"
            phones.add(phone)
            identities.append(f"phone:{phone}")
            org.with_phone.append(index)
            if rng.random() < 0.45:
                whatsapp = phone
                identities.append(f"whatsapp:{phone}")
                org.with_whatsapp.append(index)
        org.customers.append(Customer(first, email, phone, whatsapp, vip))
        since = start - timedelta(days=rng.randrange(0, 3 * 365))
        yield {
            "type": "customer",
            "name": f"{first} {last}",
            "company": company,
            "language": language,
            "timezone": rng.choice(zones),
            "segment": segment,
            "vip": vip,
            "attributes": {"plan": rng.choice(people.PLANS), "lifetime_value": rng.randrange(20, 20_000)},
            "identities": identities,
            "created_at": since.isoformat(),
        }
