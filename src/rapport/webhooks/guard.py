"""The SSRF guard: a webhook URL must name a public address unless an admin allowed private networks for it.

The host is resolved and every address it resolves to is checked, on save and again before each send (DNS can
change). The sender then connects to the address that was checked, never to a fresh lookup of the name, so a
rebinding between the check and the connection cannot point the request somewhere else.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass

import httpx2

from rapport.kit.problems import Problem

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
SCHEMES = ("http", "https")
MAX_URL_CHARS = 2000
# Never a place a webhook can be delivered to, whatever an admin allows.
NEVER = ("multicast", "unspecified")


class Refused(Problem):
    """A webhook URL that Rapport will not send to; the detail names the reason."""

    status, title, slug = 422, "Webhook URL refused", "webhook-url-refused"

    def __init__(self, detail: str, *, reason: str | None = None):
        super().__init__(detail, errors=[{"field": "url", "reason": reason}] if reason else [{"field": "url"}])


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


def kind_of(address: IPAddress) -> str | None:
    """Why an address is not public ('loopback', 'private', 'link-local' …), or None when it is public."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    if address.is_unspecified:
        return "unspecified"
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_multicast:
        return "multicast"
    if address.is_private:
        return "private"
    if address.is_reserved:
        return "reserved"
    if not address.is_global:
        return "non-public"  # shared (100.64/10), documentation, benchmarking and the like
    return None


REASONS = {
    "loopback": "a loopback address (this machine)",
    "private": "a private-network address (RFC 1918, fc00::/7)",
    "link-local": "a link-local address (169.254.0.0/16 or fe80::/10, where cloud metadata services live)",
    "multicast": "a multicast address",
    "reserved": "a reserved address",
    "unspecified": "the unspecified address",
    "non-public": "an address that is not on the public internet",
}


def resolve(url: httpx2.URL) -> list[IPAddress]:
    """Every address the URL's host resolves to (an address literal is itself); Refused when it resolves to none."""
    host = url.raw_host.decode("ascii")
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise Refused(f"The webhook host '{host}' could not be resolved ({exc}).") from None
    found: list[IPAddress] = []
    for *_, sockaddr in infos:
        address = ipaddress.ip_address(sockaddr[0].split("%", 1)[0])  # drop an IPv6 zone id
        if address not in found:
            found.append(address)
    if not found:
        raise Refused(f"The webhook host '{host}' resolves to no address.")
    return found


def check(url: str, *, allow_private: bool) -> Target:
    """Parse, resolve and check a webhook URL; the Target to connect to, or Refused naming the reason.

    Every address the name resolves to must pass, so a name cannot mix a public address with a private one.
    """
    parsed = parse(url)
    addresses = resolve(parsed)
    host = parsed.raw_host.decode("ascii")
    for address in addresses:
        kind = kind_of(address)
        if kind is None or (allow_private and kind not in NEVER):
            continue
        said = f"{host} is" if host == str(address) else f"'{host}' resolves to {address},"
        if kind in NEVER:
            raise Refused(f"The webhook host {said} {REASONS[kind]}; nothing can be sent there.")
        raise Refused(
            f"The webhook host {said} {REASONS[kind]}. Rapport refuses loopback, private, link-local and reserved "
            "targets unless an admin allows private networks for this endpoint.",
            reason=kind,
        )
    return Target(parsed, addresses[0])
