"""Real-life noise for the demo's customer wording: typos, lowercase, abbreviations, greetings, phone footers.

How much of it a message gets depends on the channel: an email is mostly tidy and signed, a text message is
lowercase, abbreviated and typed with thumbs.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

# (word, its short forms) for texting-style messages
ABBREVIATIONS = (
    ("please", ("pls", "plz", "pleeease")),
    ("thanks", ("thx", "thnx", "ty")),
    ("thank you", ("ty", "thank u")),
    ("you", ("u",)),
    ("your", ("ur",)),
    ("because", ("bc", "cos")),
    ("tomorrow", ("tmrw",)),
    ("information", ("info",)),
    ("as soon as possible", ("asap", "ASAP")),
    ("about", ("abt",)),
    ("really", ("rly", "realy")),
    ("with", ("w/",)),
    ("message", ("msg",)),
    ("people", ("ppl",)),
    ("so", ("sooo",)),
)
_ABBREVIATION = [(re.compile(rf"\b{re.escape(word)}\b", re.IGNORECASE), short) for word, short in ABBREVIATIONS]
NEIGHBOURS = dict(zip("qwertyuiopasdfghjklzxcvbnm", "wertyuioposdfghjklkxcvbnmn", strict=True))  # a key to its right
_WORD = re.compile(r"[A-Za-z]{4,}")

EMAIL_GREETINGS = (
    "Hi,", "Hello,", "Dear support team,", "Good morning,", "Hi there,", "Hello Acme,", "To whom it may concern,",
    "Dear Sir or Madam,", "Hey,", "Good afternoon,",
)  # fmt: skip
EMAIL_SIGN_OFFS = (
    "Thanks,\n{name}", "Kind regards,\n{name}", "Cheers,\n{name}", "Best,\n{name}", "{name}",
    "Thank you in advance!\n{name}", "Regards\n{name}", "Many thanks\n{name}", "Thx\n{name}", "--\n{name}",
)  # fmt: skip
FOOTERS = (
    "Sent from my iPhone", "Sent from my phone", "Sent from my Galaxy", "Get Outlook for Android",
    "Sent from Mail for Windows", "Sent from my iPad",
)  # fmt: skip
CHAT_OPENERS = ("hi ", "hello, ", "hey ", "good morning! ", "hiya ", "hi there, ", "Hello. ", "hallo ")
CHAT_CLOSERS = (" thanks", " thx", " pls help", " cheers", " ty", " thank you!", " 🙏", " :(", " asap please")
EXTRAS = (
    "I've been a customer for years.",
    "This is quite urgent.",
    "I already looked in the FAQ but couldn't find it.",
    "I tried calling but the line was busy.",
    "Sorry if this is the wrong address.",
    "Please reply by email, I can't take calls at work.",
    "My account is under this email address.",
    "I'm travelling next week so a quick answer would help.",
    "I'd appreciate a quick reply.",
    "Not the first time this happens.",
    "My {relation} ordered it on my account.",
)


@dataclass(frozen=True)
class Style:
    """How a channel's customers write: chances of each kind of noise (0..1)."""

    lowercase: float
    no_final_stop: float
    abbreviate: float
    typo: float
    shout: float
    opener: float
    closer: float


STYLES = {
    "email": Style(0.04, 0.1, 0.03, 0.35, 0.03, 0, 0),
    "portal": Style(0.05, 0.15, 0.03, 0.3, 0.02, 0, 0),
    "chat": Style(0.55, 0.6, 0.3, 0.5, 0.05, 0.35, 0.2),
    "sms": Style(0.65, 0.7, 0.55, 0.55, 0.08, 0.25, 0.3),
    "whatsapp": Style(0.6, 0.65, 0.45, 0.5, 0.08, 0.3, 0.3),
    "api": Style(0.1, 0.2, 0.05, 0.2, 0.02, 0, 0),
    "phone": Style(0, 0, 0, 0, 0, 0, 0),  # a call is written down by the agent
}


def typo(rng: random.Random, text: str) -> str:
    """One slip of the fingers in a random longer word: swapped, dropped, doubled or neighbouring letter."""
    words = list(_WORD.finditer(text))
    if not words:
        return text
    match = rng.choice(words)
    word, i = match.group(), rng.randrange(1, len(match.group()) - 1)
    kind = rng.randrange(4)
    if kind == 0:
        word = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    elif kind == 1:
        word = word[:i] + word[i + 1 :]
    elif kind == 2:
        word = word[:i] + word[i] + word[i:]
    else:
        word = word[:i] + NEIGHBOURS.get(word[i].lower(), word[i]) + word[i + 1 :]
    return text[: match.start()] + word + text[match.end() :]


def abbreviate(rng: random.Random, text: str) -> str:
    """Texting short forms for a few common words."""
    for pattern, short in _ABBREVIATION:
        if rng.random() < 0.6:
            text = pattern.sub(lambda _m, short=short: rng.choice(short), text)
    return text.replace("'", "") if rng.random() < 0.5 else text  # dont, im, cant


def roughen(rng: random.Random, text: str, channel: str) -> str:
    """`text` as a customer on `channel` would type it."""
    style = STYLES.get(channel, STYLES["api"])
    if rng.random() < style.abbreviate:
        text = abbreviate(rng, text)
    while rng.random() < style.typo:
        text = typo(rng, text)
        if rng.random() < 0.5:
            break
    if rng.random() < style.lowercase:
        text = text.lower()
    if rng.random() < style.no_final_stop:
        text = text.rstrip(".")
    if rng.random() < style.shout:
        text = text.rstrip(".!?") + rng.choice(("!!!", "??", "?!", "!!"))
    if rng.random() < style.opener:
        text = rng.choice(CHAT_OPENERS) + text
    if rng.random() < style.closer:
        text += rng.choice(CHAT_CLOSERS)
    return text


def letter(rng: random.Random, body: str, name: str, *, footer: bool = True) -> str:
    """An email around `body`: a greeting, the sign-off with the customer's name, now and then a phone footer."""
    parts = []
    if rng.random() < 0.75:
        parts.append(rng.choice(EMAIL_GREETINGS))
    parts.append(body)
    if rng.random() < 0.85:
        parts.append(rng.choice(EMAIL_SIGN_OFFS).format(name=name))
    text = "\n\n".join(parts)
    if footer and rng.random() < 0.15:
        text += "\n\n" + rng.choice(FOOTERS)
    return text
