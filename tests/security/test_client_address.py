"""The client's address: the connection's, or what the trusted proxies wrote in X-Forwarded-For."""

import pytest
from django.test import RequestFactory

from identifications.client_address import client_address

PROXY = "127.0.0.1"


def request_from(remote_addr=PROXY, forwarded_for=None):
    meta = {"REMOTE_ADDR": remote_addr}
    if forwarded_for is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return RequestFactory().get("/", **meta)


def test_without_a_trusted_proxy_the_header_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0

    assert client_address(request_from("198.51.100.20", forwarded_for="203.0.113.7")) == "198.51.100.20"


@pytest.mark.parametrize(
    ("forwarded_for", "expected"),
    [
        ("203.0.113.7", "203.0.113.7"),
        # The client sent its own X-Forwarded-For; nginx appended the address it saw. Only that last one counts.
        ("10.9.9.9, 203.0.113.7", "203.0.113.7"),
        ("not-an-address, 203.0.113.7", "203.0.113.7"),
        ("2001:db8::7", "2001:db8::7"),
    ],
)
def test_behind_one_proxy_the_address_it_appended_is_the_clients(settings, forwarded_for, expected):
    settings.TRUSTED_PROXY_COUNT = 1

    assert client_address(request_from(forwarded_for=forwarded_for)) == expected


def test_behind_two_proxies_the_outer_proxys_entry_is_the_clients(settings):
    settings.TRUSTED_PROXY_COUNT = 2

    # client-written, the address the outer proxy saw, the outer proxy as the inner one saw it
    assert client_address(request_from(forwarded_for="10.9.9.9, 203.0.113.7, 192.0.2.1")) == "203.0.113.7"


def test_a_request_that_bypassed_the_proxy_keeps_its_connection_address(settings):
    settings.TRUSTED_PROXY_COUNT = 1

    assert client_address(request_from("198.51.100.20")) == "198.51.100.20"
