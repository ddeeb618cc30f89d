"""Which network addresses a user-supplied URL may reach."""

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import idna
from requests.utils import requote_uri

from trialbuzz.errors import InvalidUrl, UrlRefused

DEFAULT_PORTS = {"http": 80, "https": 443}

_IP_TYPES = (ipaddress.IPv4Address, ipaddress.IPv6Address)
_ASCII_LABEL = re.compile(r"(?!-)[a-z0-9_-]{1,63}(?<!-)")
# Parsers disagree on these (browsers read a backslash as "/"), so such a URL is not worth guessing at.
_UNSAFE_CHARS = re.compile(r"[\x00-\x20\x7f\\]")

# First match wins, so narrower ranges come before the ones that contain them.
# ipaddress.is_global alone is not enough: on Python 3.11 it calls multicast, 192.88.99.0/24,
# 6to4, NAT64, IPv4-compatible, site-local and 3fff::/20 addresses "global".
_V4_REFUSED = [
    (ipaddress.ip_network(net), reason)
    for net, reason in (
        ("0.0.0.0/32", "an unspecified"),
        ("0.0.0.0/8", "a 'this network'"),
        ("10.0.0.0/8", "a private"),
        ("100.64.0.0/10", "a shared (CGNAT)"),
        ("127.0.0.0/8", "a loopback"),
        ("169.254.0.0/16", "a link-local"),
        ("172.16.0.0/12", "a private"),
        ("192.0.0.0/24", "an IETF protocol"),
        ("192.0.2.0/24", "a documentation"),
        ("192.88.99.0/24", "a 6to4 relay"),
        ("192.168.0.0/16", "a private"),
        ("198.18.0.0/15", "a benchmarking"),
        ("198.51.100.0/24", "a documentation"),
        ("203.0.113.0/24", "a documentation"),
        ("224.0.0.0/4", "a multicast"),
        ("255.255.255.255/32", "a broadcast"),
        ("240.0.0.0/4", "a reserved"),
    )
]
_V6_REFUSED = [
    (ipaddress.ip_network(net), reason)
    for net, reason in (
        ("::/128", "an unspecified"),
        ("::1/128", "a loopback"),
        ("::/96", "an IPv4-compatible (deprecated)"),
        ("64:ff9b:1::/48", "a local-use NAT64"),
        ("100::/64", "a discard-only"),
        # Teredo, benchmarking, ORCHID and the other IETF assignments: a page never lives there.
        ("2001::/23", "an IETF protocol (Teredo, benchmarking, ORCHID)"),
        ("2001:db8::/32", "a documentation"),
        ("3fff::/20", "a documentation"),
        ("5f00::/16", "an SRv6"),
        ("fc00::/7", "a private (unique local)"),
        ("fe80::/10", "a link-local"),
        ("fec0::/10", "a site-local"),
        ("ff00::/8", "a multicast"),
    )
]
# IANA allocates global unicast only from 2000::/3; anything else is special or unassigned.
_V6_GLOBAL_UNICAST = ipaddress.ip_network("2000::/3")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

# An IPv4 part as inet_aton and the WHATWG URL parser read it: 0x hex, leading-zero octal, decimal.
# int() alone would also take "1_0", " 1" and "+1", which no resolver reads as numbers.
_HEX_DIGITS = re.compile(r"[0-9a-fA-F]*")
_OCTAL_DIGITS = re.compile(r"[0-7]+")
_DECIMAL_DIGITS = re.compile(r"[0-9]+")


def _as_ip(ip):
    """Return `ip` as an ipaddress object."""
    return ip if isinstance(ip, _IP_TYPES) else ipaddress.ip_address(ip)


def _embedded_ipv4(ip):
    """Return the IPv4 address an IPv6 address stands for, with how it is embedded, or (None, None)."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped, "IPv4-mapped"
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF), "NAT64 for"
    if ip.sixtofour is not None:
        return ip.sixtofour, "6to4 for"
    return None, None


def refusal_reason(ip):
    """Say why `ip` may not be reached ("a private address"), or return None when it is public."""
    ip = _as_ip(ip)
    if ip.version == 6:
        if ip.scope_id:
            return "a scoped (zone) address"
        embedded, how = _embedded_ipv4(ip)
        if embedded is not None:
            reason = refusal_reason(embedded)
            return f"{reason} ({how} {embedded})" if reason else None
        table = _V6_REFUSED
    else:
        table = _V4_REFUSED
    for network, reason in table:
        if ip in network:
            return reason + " address"
    if ip.version == 6 and ip not in _V6_GLOBAL_UNICAST:
        return "a reserved address"
    # Belt and braces for ranges IANA adds later and newer Pythons learn about.
    if (not ip.is_global or ip.is_private or ip.is_reserved or ip.is_multicast
            or ip.is_loopback or ip.is_link_local or ip.is_unspecified):
        return "a non-public address"
    return None


def is_public_address(ip):
    """Return True when `ip` (an ip_address or its text) is a public unicast address we may reach."""
    return refusal_reason(ip) is None


def _ipv4_number(part):
    """Return the value of one dotted IPv4 part, or None when it is not a number."""
    if part[:2] in ("0x", "0X"):
        digits, pattern, base = part[2:], _HEX_DIGITS, 16
    elif len(part) > 1 and part.startswith("0"):
        digits, pattern, base = part[1:], _OCTAL_DIGITS, 8
    else:
        digits, pattern, base = part, _DECIMAL_DIGITS, 10
    if not pattern.fullmatch(digits):
        return None
    return int(digits or "0", base)


def _parse_ipv4(host):
    """Parse the numeric IPv4 spellings libc and browsers accept; None when `host` is a name."""
    parts = host.split(".")
    if len(parts) > 1 and parts[-1] == "":
        parts.pop()  # "127.0.0.1." is the same address to a browser
    # A host whose last label is a number is an IPv4 address or nothing (WHATWG "ends in a number").
    last = parts[-1]
    if not (last.isascii() and last.isdigit()) and _ipv4_number(last) is None:
        return None
    numbers = [_ipv4_number(part) for part in parts]
    if len(numbers) > 4 or None in numbers or any(n > 255 for n in numbers[:-1]):
        raise InvalidUrl(f"{host!r} is neither a host name nor a valid IPv4 address")
    if numbers[-1] >= 256 ** (5 - len(numbers)):
        raise InvalidUrl(f"{host!r} is neither a host name nor a valid IPv4 address")
    value = numbers[-1]
    for index, number in enumerate(numbers[:-1]):
        value += number << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


def parse_host_literal(host):
    """Return the ip_address a URL host spells (any IPv4 form, [IPv6]), or None for a name."""
    host = host.strip()
    if host.startswith("[") or ":" in host:
        inner = host[1:-1] if host.startswith("[") and host.endswith("]") else host
        if "%" in inner:
            raise UrlRefused(f"{host} has an IPv6 zone identifier; those are refused")
        try:
            return ipaddress.IPv6Address(inner)
        except ValueError:
            raise InvalidUrl(f"{host!r} is not a valid IPv6 address") from None
    return _parse_ipv4(host)


def _host_key(host):
    """Normalise a host for allow-list comparison: case, brackets, trailing dot, IP text form."""
    host = str(host).strip().lower()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    host = host.rstrip(".")
    try:
        # Only standard spellings: an obfuscated "2130706433" must not match "127.0.0.1".
        return str(ipaddress.ip_address(host))
    except ValueError:
        return host


def is_allowed_host(host, port, allow_hosts):
    """Return True when `host`:`port` is listed in `allow_hosts` ("host:port", "[::1]:8080")."""
    wanted = (_host_key(host), int(port))
    for entry in allow_hosts or ():
        name, sep, entry_port = str(entry).strip().rpartition(":")
        if sep and name and entry_port.isascii() and entry_port.isdigit() and (_host_key(name), int(entry_port)) == wanted:
            return True
    return False


@dataclass(frozen=True)
class Target:
    """A well-formed URL taken apart: what to resolve, where to connect, what to send."""

    url: str
    scheme: str
    host: str  # IDNA name or canonical IP text: what Host, SNI and the resolver get
    written_host: str  # as the URL spells it: "2130706433" must not pass for "127.0.0.1"
    port: int
    literal: object
    request_target: str

    @property
    def host_header(self):
        """The Host header value: brackets for IPv6, the port only when it is not the default."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"


def _hostname(name):
    """Return the ASCII (IDNA) form of a host name, or raise InvalidUrl."""
    name = name.rstrip(".")
    try:
        if not name.isascii():
            name = idna.encode(name, uts46=True).decode("ascii")
        labels = name.split(".")
        for label in labels:
            if not _ASCII_LABEL.fullmatch(label):
                raise InvalidUrl(f"{name!r} is not a valid host name")
            if label.startswith("xn--"):
                idna.decode(label)
    except idna.IDNAError as exc:
        raise InvalidUrl(f"{name!r} is not a valid host name: {exc}") from None
    if len(name) > 253:
        raise InvalidUrl("the host name is longer than 253 characters")
    return name


def parse_url(url):
    """Check the shape of a URL (scheme, userinfo, host, port) and return what a fetch needs."""
    if not isinstance(url, str) or not url.strip():
        raise InvalidUrl()
    url = url.strip()
    if _UNSAFE_CHARS.search(url):
        raise InvalidUrl("the URL contains spaces, control characters or backslashes")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidUrl(f"malformed URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise InvalidUrl(f"only http and https URLs can be fetched, not {scheme or 'relative'} ones")
    if "@" in parts.netloc:
        raise UrlRefused("URLs with a user name or password are refused")
    if not parts.hostname:
        raise InvalidUrl("the URL has no host")
    port = DEFAULT_PORTS[scheme] if port is None else port
    if not 1 <= port <= 65535:
        raise InvalidUrl("the port must be between 1 and 65535")
    hostname = parts.hostname
    literal = parse_host_literal(f"[{hostname}]" if ":" in hostname else hostname)
    host = str(literal) if literal is not None else _hostname(hostname)
    target = requote_uri(parts.path or "/") + (f"?{requote_uri(parts.query)}" if parts.query else "")
    return Target(url, scheme, host, hostname, port, literal, target)
