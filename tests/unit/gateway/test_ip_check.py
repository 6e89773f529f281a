"""The edge's IP checks answer exactly as ``ipaddress`` does, on a corpus around every special network."""

from __future__ import annotations

import ipaddress
import random

from signalmesh.gateway.ip_check import is_ip_address, is_private_or_loopback


def _reference(text: str) -> tuple[bool, bool]:
    """``ipaddress``'s answers: (is an address, is private or loopback)."""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return False, False
    return True, address.is_private or address.is_loopback


def _corpus() -> list[str]:
    generator = random.Random(7)
    texts = [str(ipaddress.IPv4Address(generator.randrange(2**32))) for _ in range(20_000)]
    # Both edges of every special-purpose network, and the addresses just outside them.
    specials = [
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
        "192.0.0.0/24", "192.0.0.0/29", "192.0.0.9/32", "192.0.0.10/32", "192.0.0.170/31",
        "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24",
        "224.0.0.0/4", "240.0.0.0/4", "255.255.255.255/32",
    ]  # fmt: skip
    for special in specials:
        network = ipaddress.IPv4Network(special)
        first, last = int(network.network_address), int(network.broadcast_address)
        for number in (first - 1, first, first + 1, last - 1, last, last + 1):
            if 0 <= number < 2**32:
                texts.append(str(ipaddress.IPv4Address(number)))
    # Forms the fast path must refuse or hand on: leading zeros, too few or many octets, IPv6.
    texts += ["01.2.3.4", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.4 ", "١.2.3.4", "1..2.3", ""]
    texts += ["::1", "fe80::1", "2001:db8::1", "2a03:2880:f12f:83:face:b00c::25de", "::ffff:10.0.0.1"]
    texts += ["gibberish"]
    return texts


def test_answers_equal_ipaddress_on_the_corpus() -> None:
    """Format and private/loopback answers match ``ipaddress`` for every address of the corpus."""
    for text in _corpus():
        is_address, unroutable = _reference(text)
        assert is_ip_address(text) == is_address, text
        if is_address:
            assert is_private_or_loopback(text) == unroutable, text


def test_a_public_and_a_private_address() -> None:
    """A public address is routable; a documentation and a loopback address are not."""
    assert is_ip_address("8.8.8.8") and not is_private_or_loopback("8.8.8.8")
    assert is_private_or_loopback("203.0.113.7")
    assert is_private_or_loopback("127.0.0.1")
    assert not is_ip_address("999.1.1.1")
