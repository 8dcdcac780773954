"""The IVR as data (menus of at most two levels, validated) and its rendering as TwiML.

0 (or saying "agent") always reaches a person, so no menu may use 0 for anything else.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from twilio.twiml.voice_response import Gather, VoiceResponse

AGENT_WORDS = ("agent",)
Text = Annotated[str, Field(min_length=1, max_length=500)]


class Option(BaseModel):
    """One choice: a digit, what it is called (spoken and matched against speech), and what it does."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    digit: Annotated[str, Field(pattern=r"^[1-9]$")]
    label: Annotated[str, Field(min_length=1, max_length=100)]
    keywords: list[Annotated[str, Field(min_length=1, max_length=50)]] = []
    action: Literal["menu", "queue", "message"]
    say: Text | None = None
    menu: Menu | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Option:
        if (self.action == "menu") != (self.menu is not None):
            raise ValueError(f"option {self.digit}: a 'menu' option needs a menu, and only it may have one")
        if self.action == "message" and not self.say:
            raise ValueError(f"option {self.digit}: a 'message' option needs 'say'")
        return self


class Menu(BaseModel):
    """A prompt and up to nine options, each on its own digit."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    prompt: Text
    options: Annotated[list[Option], Field(max_length=9)] = []

    @model_validator(mode="after")
    def _unique_digits(self) -> Menu:
        digits = [o.digit for o in self.options]
        repeated = sorted({d for d in digits if digits.count(d) > 1})
        if repeated:
            raise ValueError(f"digit {', '.join(repeated)} is used by more than one option")
        return self


class Ivr(BaseModel):
    """A phone inbox's IVR: a greeting and a menu whose options may open one level of submenus."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    greeting: Text = "Thank you for calling."
    language: Annotated[str, Field(pattern=r"^[a-z]{2}(-[A-Z]{2})?$")] = "en-US"
    menu: Menu = Menu(prompt="How can we help?")

    @model_validator(mode="after")
    def _two_levels(self) -> Ivr:
        for option in self.menu.options:
            for sub in option.menu.options if option.menu else []:
                if sub.menu is not None:
                    raise ValueError(
                        f"option {option.digit}.{sub.digit} opens a third level; menus have at most two levels"
                    )
        return self

    def menu_at(self, path: str) -> Menu | None:
        """The menu at `path` ("" is the top, "2" the submenu of option 2); None when there is none."""
        if path == "":
            return self.menu
        option = self.option(self.menu, path) if len(path) == 1 else None
        return option.menu if option else None

    @staticmethod
    def option(menu: Menu, digit: str) -> Option | None:
        """The option on `digit`."""
        return next((o for o in menu.options if o.digit == digit), None)


Option.model_rebuild()


def wants_agent(digits: str | None, speech: str | None) -> bool:
    """0, or a spoken "agent"."""
    return digits == "0" or bool(speech and set(_words(speech)) & set(AGENT_WORDS))


def spoken_choice(menu: Menu, speech: str) -> Option | None:
    """The option whose label or keywords the caller said."""
    said = set(_words(speech))
    for option in menu.options:
        if said & set(_words(" ".join([option.label, *option.keywords]))):
            return option
    return None


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


def render_menu(ivr: Ivr, menu: Menu, *, action: str, fallback: str, greet: bool, sorry: bool = False) -> str:
    """TwiML that asks for a digit or words; with no answer the call goes to `fallback` (the human queue)."""
    response = VoiceResponse()
    gather = Gather(
        input="dtmf speech",
        num_digits=1,
        action=action,
        method="POST",
        timeout=6,
        language=ivr.language,
        hints=", ".join([*AGENT_WORDS, *(o.label for o in menu.options)]),
    )
    if sorry:
        gather.say("Sorry, that is not one of the options.", language=ivr.language)
    if greet:
        gather.say(ivr.greeting, language=ivr.language)
    choices = " ".join(f"For {o.label}, press {o.digit}." for o in menu.options)
    gather.say(f"{menu.prompt} {choices} To talk to a person, press 0 or say agent.".strip(), language=ivr.language)
    response.append(gather)
    response.redirect(fallback, method="POST")
    return str(response)
