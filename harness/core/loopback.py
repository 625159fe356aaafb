"""Whether a host, address or URL stays on this machine: the one loopback rule."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

__all__ = ["is_loopback", "is_loopback_url"]


def is_loopback(host: str) -> bool:
    """`127.0.0.0/8`, `::1` and `localhost`; anything else (names, 0.0.0.0) is not."""
    host = host.strip().strip("[]").lower()
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def is_loopback_url(url: str) -> bool:
    """The URL's host is loopback (a URL without a host is not)."""
    return is_loopback(urlsplit(url).hostname or "")
