"""The SSRF guard for every place Rapport connects to on an admin's say: webhook URLs, Twilio's and Meta's API
bases, IMAP and SMTP servers.

A target must be a public address unless an admin allowed private networks for that one connection. The host is
resolved and every address it resolves to is checked, again right before each connection (DNS can change); the
caller then connects to the address that was checked, never to a fresh lookup of the name, so a rebinding
between the check and the connection cannot point it somewhere else. On save, inside a transaction, only what
needs no lookup is checked (address literals, localhost names): DNS is network I/O, and the connection's own
check is the one that counts.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from rapport.kit.problems import Problem

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# Never a place anything can be sent to, whatever an admin allows.
NEVER = ("multicast", "unspecified")
LOCALHOST_NAMES = ("localhost", "localhost.localdomain")
REASONS = {
    "loopback": "a loopback address (this machine)",
    "private": "a private-network address (RFC 1918, fc00::/7)",
    "link-local": "a link-local address (169.254.0.0/16 or fe80::/10, where cloud metadata services live)",
    "multicast": "a multicast address",
    "reserved": "a reserved address",
    "unspecified": "the unspecified address",
    "non-public": "an address that is not on the public internet",
}


class Refused(Problem):
    """A connection target Rapport will not connect to; the detail names the reason and the field."""

    status, title, slug = 422, "Connection target refused", "target-refused"

    def __init__(self, detail: str, *, reason: str | None = None, field: str = "url"):
        super().__init__(detail, errors=[{"field": field, "reason": reason}] if reason else [{"field": field}])


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


def literal(host: str) -> IPAddress | None:
    """The address a host names without a lookup (an address literal, [::1] included), or None for a name."""
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


def resolve(host: str, port: int, *, what: str, refused: type[Refused] = Refused, field: str = "url") -> list:
    """Every address `host` resolves to (an address literal is itself); `refused` when it resolves to none."""
    found = literal(host)
    if found is not None:
        return [found]
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise refused(f"{what} '{host}' could not be resolved ({exc}).", field=field) from None
    addresses: list[IPAddress] = []
    for *_, sockaddr in infos:
        address = ipaddress.ip_address(sockaddr[0].split("%", 1)[0])  # drop an IPv6 zone id
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise refused(f"{what} '{host}' resolves to no address.", field=field)
    return addresses


def check_addresses(
    host: str,
    addresses: list,
    *,
    allow_private: bool,
    what: str,
    allowance: str,
    refused: type[Refused] = Refused,
    field: str = "url",
) -> IPAddress:
    """The first address, when every one passes; `refused` naming the first that does not.

    Every address must pass, so a name cannot mix a public address with a private one.
    """
    for address in addresses:
        kind = kind_of(address)
        if kind is None or (allow_private and kind not in NEVER):
            continue
        said = f"{host} is" if host.strip("[]") == str(address) else f"'{host}' resolves to {address},"
        if kind in NEVER:
            raise refused(f"{what} {said} {REASONS[kind]}; nothing can be sent there.", field=field)
        raise refused(
            f"{what} {said} {REASONS[kind]}. Rapport refuses loopback, private, link-local and reserved "
            f"targets unless an admin allows private networks for {allowance}.",
            reason=kind,
            field=field,
        )
    return addresses[0]


def check_host(host: str, port: int, *, allow_private: bool, what: str, allowance: str, field: str) -> IPAddress:
    """Resolve and check a host right before connecting; the address to connect to, or Refused."""
    addresses = resolve(host, port, what=what, field=field)
    return check_addresses(host, addresses, allow_private=allow_private, what=what, allowance=allowance, field=field)


def check_static(
    host: str, *, allow_private: bool, what: str, allowance: str, field: str, refused: type[Refused] = Refused
) -> None:
    """The check that needs no lookup (on save): an address literal or a localhost name; Refused when it fails."""
    name = host.strip().rstrip(".").lower()
    if name in LOCALHOST_NAMES or name.endswith(".localhost"):
        address: IPAddress | None = ipaddress.ip_address("127.0.0.1")
    else:
        address = literal(name)
    if address is not None:
        check_addresses(
            host, [address], allow_private=allow_private, what=what, allowance=allowance, field=field, refused=refused
        )


def checked_base_url(base: str, *, allow_private: bool, what: str, allowance: str, field: str) -> str:
    """An API base URL (scheme://host[:port]) to call now: resolved and checked right before the call.

    Plain http goes to the checked address itself (nothing in between can point it elsewhere); https keeps the
    name, whose certificate TLS verifies, so a name rebound to another address cannot pass for it.
    """
    parts = urlsplit(base)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = check_host(parts.hostname or "", port, allow_private=allow_private, what=what, allowance=allowance,
                         field=field)  # fmt: skip
    if parts.scheme == "https":
        return base
    host = f"[{address}]" if address.version == 6 else str(address)
    return f"http://{host}:{port}"


def check_base_url_static(base: str, *, allow_private: bool, what: str, allowance: str, field: str) -> None:
    """On save: the checks of an API base URL's host that need no lookup; Refused when one fails."""
    host = urlsplit(base).hostname or ""
    check_static(host, allow_private=allow_private, what=what, allowance=allowance, field=field)


def same_origin(url: str, base: str) -> bool:
    """True when `url` has the scheme, host and port of `base` (an allowance for `base` reaches no other host)."""
    a, b = urlsplit(url), urlsplit(base)
    return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)


def checked_url(url: str, *, allow_private: bool, what: str, allowance: str, field: str) -> tuple[str, dict[str, str]]:
    """A URL a provider handed over (a media link, a redirect), to fetch now: (URL to call, headers to add).

    Only http and https; the host is resolved and checked like an API base's. Plain http goes to the checked
    address with the name in the Host header; https keeps the name, which TLS verifies.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused(f"{what} '{url[:200]}' is not an http(s) URL.", field=field)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = check_host(parts.hostname, port, allow_private=allow_private, what=what, allowance=allowance,
                         field=field)  # fmt: skip
    if parts.scheme == "https":
        return url, {}
    host = f"[{address}]" if address.version == 6 else str(address)
    return parts._replace(netloc=f"{host}:{port}").geturl(), {"Host": parts.netloc.rpartition("@")[2]}
