"""The SSRF guard for webhook URLs: a URL must name a public address unless an admin allowed private networks for it.

The host is resolved and every address it resolves to is checked (kit.netguard, shared with every other
connection an admin sets up), on save and again before each send (DNS can change). The sender then connects to
the address that was checked, never to a fresh lookup of the name, so a rebinding between the check and the
connection cannot point the request somewhere else.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx2

from rapport.kit import netguard
from rapport.kit.netguard import IPAddress

SCHEMES = ("http", "https")
MAX_URL_CHARS = 2000


class Refused(netguard.Refused):
    """A webhook URL that Rapport will not send to; the detail names the reason."""

    status, title, slug = 422, "Webhook URL refused", "webhook-url-refused"


@dataclass(frozen=True)
class Target:
    """A checked URL: the address to connect to, and the name the request must carry (Host header, TLS SNI)."""

    url: httpx2.URL
    address: IPAddress

    @property
    def hostname(self) -> str:
        """The host as written in the URL (IDNA-encoded): the TLS server name and the Host header's host."""
        return self.url.raw_host.decode("ascii")

    @property
    def host_header(self) -> str:
        """The Host header the receiver expects (with the port when it is not the scheme's default)."""
        return self.url.netloc.decode("ascii").rpartition("@")[2]

    @property
    def pinned_url(self) -> httpx2.URL:
        """The URL with its host replaced by the checked address."""
        return self.url.copy_with(host=str(self.address))


def parse(url: str) -> httpx2.URL:
    """The URL if it is an absolute http(s) URL with a host and no credentials; Refused otherwise."""
    url = (url or "").strip()
    if len(url) > MAX_URL_CHARS:
        raise Refused(f"The webhook URL is longer than {MAX_URL_CHARS} characters.")
    try:
        parsed = httpx2.URL(url)
    except (httpx2.InvalidURL, ValueError) as exc:
        raise Refused(f"The webhook URL is not a valid URL ({exc}).") from None
    if parsed.scheme not in SCHEMES:
        raise Refused("The webhook URL must start with https:// or http://.")
    if not parsed.host:
        raise Refused("The webhook URL has no host name.")
    if parsed.userinfo:
        raise Refused("The webhook URL must not carry a user name or password; the signature authenticates.")
    if parsed.fragment:
        raise Refused("The webhook URL must not have a #fragment.")
    return parsed


def resolve(url: httpx2.URL) -> list[IPAddress]:
    """Every address the URL's host resolves to (an address literal is itself); Refused when it resolves to none."""
    port = url.port or (443 if url.scheme == "https" else 80)
    return netguard.resolve(url.raw_host.decode("ascii"), port, what="The webhook host", refused=Refused)


def check_on_save(url: str, *, allow_private: bool) -> httpx2.URL:
    """Parse a webhook URL and check what needs no lookup (an address literal, localhost); Refused otherwise.

    Saving runs inside a transaction, where no DNS lookup may wait on the network: the name is resolved and every
    address checked before each attempt (`check`)."""
    parsed = parse(url)
    netguard.check_static(
        parsed.raw_host.decode("ascii"),
        allow_private=allow_private,
        what="The webhook host",
        allowance="this endpoint",
        field="url",
        refused=Refused,
    )
    return parsed


def check(url: str, *, allow_private: bool) -> Target:
    """Parse, resolve and check a webhook URL; the Target to connect to, or Refused naming the reason.

    Every address the name resolves to must pass, so a name cannot mix a public address with a private one.
    """
    parsed = parse(url)
    address = netguard.check_addresses(
        parsed.raw_host.decode("ascii"),
        resolve(parsed),
        allow_private=allow_private,
        what="The webhook host",
        allowance="this endpoint",
        refused=Refused,
    )
    return Target(parsed, address)
