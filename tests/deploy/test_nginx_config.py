"""The shipped nginx site is valid as written, and its limits agree with the application's."""

import re
import subprocess

from django.conf import settings

from tests.deploy.servers import NGINX, PROXY_SNIPPET, SITE, self_signed_pair


def directive(name: str, text: str) -> list[str]:
    return re.findall(rf"^\s*{name} ([^;]+);", text, flags=re.MULTILINE)


def test_body_limits_match_the_settings():
    snippet = PROXY_SNIPPET.read_text()

    assert directive("client_max_body_size", snippet) == ["64k", str(settings.API_MAX_VALIDATE_BODY_BYTES)]
    assert settings.API_MAX_BODY_BYTES == 64 * 1024


def test_requests_and_responses_are_buffered_and_forwarded_headers_set():
    snippet = PROXY_SNIPPET.read_text()

    assert directive("proxy_request_buffering", snippet) == ["on"]
    assert directive("proxy_buffering", snippet) == ["on"]
    assert directive("underscores_in_headers", snippet) == ["on"]
    headers = dict(value.split(" ", 1) for value in directive("proxy_set_header", snippet))
    assert headers["X-Forwarded-For"] == "$proxy_add_x_forwarded_for"
    assert headers["X-Forwarded-Proto"] == "$scheme"
    assert headers["X-Request-ID"] == "$request_id"


def test_the_shipped_site_passes_nginx_t_with_tls(tmp_path):
    # The whole site, TLS included, as an operator installs it; only file locations point into tmp_path.
    self_signed_pair(tmp_path, "id.example.com")
    site = (
        SITE.read_text()
        .replace("/etc/ssl/idservice/", f"{tmp_path}/")
        .replace("/etc/nginx/snippets/idservice-proxy.conf", str(PROXY_SNIPPET))
        .replace("/var/log/nginx/", f"{tmp_path}/")
    )
    conf = tmp_path / "nginx.conf"
    conf.write_text(f"pid {tmp_path}/nginx.pid;\nevents {{}}\nhttp {{\n{site}\n}}\n")

    result = subprocess.run(
        [NGINX, "-t", "-p", str(tmp_path), "-c", str(conf), "-e", str(tmp_path / "error.log")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
