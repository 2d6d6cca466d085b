"""The address of the client a request came from, seen through a configured number of reverse proxies.

Behind nginx every connection comes from the proxy, so REMOTE_ADDR alone would put every client in one bucket
(one admin lockout for everyone, one device address for every attempt). The proxy appends the address it saw to
X-Forwarded-For; everything to the left of what our own proxies appended was written by the client and is not
trusted. django-ipware parses the header (lists, IPv6, IPv4-mapped addresses, junk entries).
"""

from django.conf import settings
from ipware import get_client_ip


def client_address(request) -> str | None:
    """REMOTE_ADDR when no proxy is trusted (TRUSTED_PROXY_COUNT = 0, the default); otherwise the X-Forwarded-For
    entry written by the outermost of the TRUSTED_PROXY_COUNT proxies. Also django-axes' AXES_CLIENT_IP_CALLABLE."""
    meta = request.META
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        # django-ipware counts the proxies *listed in* X-Forwarded-For; the nearest one is REMOTE_ADDR, not listed.
        # Not strict: extra entries on the left are the client's own and are skipped, not a reason to give up.
        address, _routable = get_client_ip(
            request,
            proxy_order="left-most",
            proxy_count=proxies - 1,
            request_header_order=["HTTP_X_FORWARDED_FOR"],
            strict=False,
        )
        if address is not None:
            return str(address)
    # No proxy configured, or a request that did not come through it (no usable X-Forwarded-For).
    return meta.get("REMOTE_ADDR") or None
