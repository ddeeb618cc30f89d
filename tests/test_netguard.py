"""Which addresses a user-supplied URL may reach, judged without touching the network."""

import ipaddress

import pytest

from trialbuzz.errors import InvalidUrl, UrlRefused
from trialbuzz.resolution.netguard import (
    is_allowed_host,
    is_public_address,
    parse_host_literal,
    refusal_reason,
)

PUBLIC = [
    "93.184.216.34", "8.8.8.8", "1.1.1.1", "100.63.255.255", "100.128.0.1", "172.15.255.255",
    "172.32.0.1", "192.0.3.1", "198.17.255.255", "198.20.0.1", "223.255.255.254",
    "2606:4700::1111", "2001:4860:4860::8888", "2a00:1450:4001:80b::200e",
    "::ffff:93.184.216.34",        # IPv4-mapped, judged by the IPv4 address
    "64:ff9b::5db8:d822",          # NAT64 for 93.184.216.34
    "2002:5db8:d822::1",           # 6to4 for 93.184.216.34
]

# address -> words the refusal reason must contain
NOT_PUBLIC = [
    ("127.0.0.1", "loopback"), ("127.255.255.254", "loopback"), ("::1", "loopback"),
    ("10.0.0.5", "private"), ("172.16.0.1", "private"), ("172.31.255.255", "private"),
    ("192.168.1.1", "private"), ("fd00::1", "private"), ("fc00::1", "private"),
    ("169.254.169.254", "link-local"), ("fe80::1", "link-local"),
    ("224.0.0.1", "multicast"), ("239.255.255.250", "multicast"), ("ff02::1", "multicast"),
    ("0.0.0.0", "unspecified"), ("::", "unspecified"), ("0.1.2.3", "this network"),
    ("100.64.0.1", "CGNAT"), ("100.127.255.255", "CGNAT"),
    ("198.18.0.1", "benchmarking"), ("198.19.255.255", "benchmarking"),
    ("192.0.2.1", "documentation"), ("198.51.100.7", "documentation"),
    ("203.0.113.9", "documentation"), ("2001:db8::1", "documentation"),
    ("3fff::1", "documentation"),
    ("255.255.255.255", "broadcast"), ("240.0.0.1", "reserved"), ("192.0.0.8", "IETF"),
    ("192.88.99.1", "6to4 relay"), ("fec0::1", "site-local"),
    ("::ffff:127.0.0.1", "loopback"), ("::ffff:7f00:1", "loopback"),
    ("::ffff:10.0.0.1", "private"), ("::ffff:169.254.169.254", "link-local"),
    ("::ffff:0.0.0.0", "unspecified"),
    ("2002:7f00:1::", "loopback"), ("2002:a00:1::1", "private"),
    ("2002:a9fe:a9fe::", "link-local"),
    ("64:ff9b::7f00:1", "loopback"), ("64:ff9b::a00:1", "private"),
    ("64:ff9b::a9fe:a9fe", "link-local"), ("64:ff9b:1::5db8:d822", "NAT64"),
    ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo"), ("2001:2::1", "benchmarking"),
    ("::7f00:1", "IPv4-compatible"), ("::a00:1", "IPv4-compatible"),
    ("100::1", "discard"), ("5f00::1", "SRv6"), ("4000::1", "reserved"),
    ("fe80::1%eth0", "scoped"),
]


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_public(address):
    assert is_public_address(address)
    assert is_public_address(ipaddress.ip_address(address))
    assert refusal_reason(address) is None


@pytest.mark.parametrize("address, words", NOT_PUBLIC)
def test_non_public_addresses_are_refused_with_a_reason(address, words):
    assert not is_public_address(address)
    assert not is_public_address(ipaddress.ip_address(address))
    reason = refusal_reason(address)
    assert words in reason
    assert reason.startswith(("a ", "an "))


LITERALS = [
    ("127.0.0.1", "127.0.0.1"), ("127.0.0.1.", "127.0.0.1"),
    ("2130706433", "127.0.0.1"), ("0x7f000001", "127.0.0.1"), ("0X7F000001", "127.0.0.1"),
    ("0x7f.1", "127.0.0.1"), ("0x7f.0x0.0.1", "127.0.0.1"), ("017700000001", "127.0.0.1"),
    ("0177.0.0.1", "127.0.0.1"), ("0177.0.0.01", "127.0.0.1"), ("127.1", "127.0.0.1"),
    ("127.0.1", "127.0.0.1"), ("0", "0.0.0.0"), ("0x", "0.0.0.0"), ("0.0.0.0", "0.0.0.0"),
    ("10.1", "10.0.0.1"), ("192.168.257", "192.168.1.1"), ("3232235777", "192.168.1.1"),
    ("0xa9.0xfe.0xa9.0xfe", "169.254.169.254"), ("93.184.216.34", "93.184.216.34"),
    ("[::1]", "::1"), ("[0:0:0:0:0:0:0:1]", "::1"), ("::1", "::1"),
    ("[::ffff:7f00:1]", "::ffff:7f00:1"), ("[::ffff:127.0.0.1]", "::ffff:7f00:1"),
    ("[2606:4700::1111]", "2606:4700::1111"), ("[64:ff9b::a00:1]", "64:ff9b::a00:1"),
]


@pytest.mark.parametrize("host, expected", LITERALS)
def test_numeric_host_spellings_are_read_as_addresses(host, expected):
    assert parse_host_literal(host) == ipaddress.ip_address(expected)


@pytest.mark.parametrize("host", [
    "2130706433", "0x7f000001", "0x7f.1", "017700000001", "0177.0.0.1", "127.1", "127.0.1",
    "0", "[::1]", "[::ffff:7f00:1]", "[::ffff:127.0.0.1]", "[::]", "[64:ff9b::7f00:1]",
    "[2002:7f00:1::]", "[::127.0.0.1]", "0xa9.0xfe.0xa9.0xfe", "10.1",
])
def test_every_spelling_of_a_private_host_is_not_public(host):
    assert not is_public_address(parse_host_literal(host))


@pytest.mark.parametrize("host", [
    "example.com", "localhost", "1.example", "0x7f.example", "xn--bcher-kva.de", "a1",
    "127.0.0.1.nip.io", "127.0.0.1e",
])
def test_names_are_not_literals(host):
    assert parse_host_literal(host) is None


@pytest.mark.parametrize("host", [
    "256.0.0.1", "1.2.3.4.5", "4294967296", "08", "127.0.0.08", "0x7g.1", "1..1",
    "example.0x10", "example.123", "[::1", "[1:2:3]", "[::ffff:999.0.0.1]",
])
def test_malformed_numeric_hosts_are_invalid(host):
    with pytest.raises(InvalidUrl):
        parse_host_literal(host)


@pytest.mark.parametrize("host", ["[fe80::1%25eth0]", "[fe80::1%eth0]", "fe80::1%1"])
def test_ipv6_zone_identifiers_are_refused(host):
    with pytest.raises(UrlRefused, match="zone"):
        parse_host_literal(host)


ALLOW = ["127.0.0.1:8080", "[::1]:8081", "Intranet.Example:443", "fetch.test.:80"]


@pytest.mark.parametrize("host, port, allowed", [
    ("127.0.0.1", 8080, True), ("127.0.0.1", "8080", True), ("127.0.0.1", 8081, False),
    ("::1", 8081, True), ("[::1]", 8081, True), ("0:0::1", 8081, True), ("::1", 8080, False),
    ("intranet.example", 443, True), ("INTRANET.EXAMPLE.", 443, True),
    ("intranet.example", 80, False), ("fetch.test", 80, True),
    ("localhost", 8080, False), ("127.0.0.2", 8080, False),
    # An obfuscated spelling is not the listed host, even when it means the same address.
    ("2130706433", 8080, False), ("0x7f.1", 8080, False), ("::ffff:127.0.0.1", 8080, False),
])
def test_allow_list_matches_host_and_port_case_insensitively(host, port, allowed):
    assert is_allowed_host(host, port, ALLOW) is allowed


@pytest.mark.parametrize("entries", [[], None, ["127.0.0.1"], ["127.0.0.1:"], [":8080"], ["x:y"]])
def test_empty_or_malformed_allow_entries_allow_nothing(entries):
    assert not is_allowed_host("127.0.0.1", 8080, entries)
