"""gunicorn's access log (config/gunicorn.conf.py): one request is one line, whatever its URL holds."""

import socket

import pytest

from tests.deploy.servers import wait_for

CONTROL_CHARACTERS = "".join(map(chr, [*range(0x20), 0x7F])).replace("\n", "")


def send_raw(port: int, request_line: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(request_line + b"\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


@pytest.mark.parametrize(
    ("request_line", "marker", "escaped"),
    [
        (
            b"GET /healthz%0d%0a127.0.0.1%20%22GET%20/forged-crlf HTTP/1.1",
            "forged-crlf",
            r"/healthz\x0d\x0a127.0.0.1 \x22GET /forged-crlf",
        ),
        (b"GET /v1/%1b[2J%1b]0;forged-escape%07 HTTP/1.1", "forged-escape", r"/v1/\x1b[2J\x1b]0;forged-escape\x07"),
        (b"GET /caf%C3%A9/forged-utf8 HTTP/1.1", "forged-utf8", r"/caf\xe9/forged-utf8"),
    ],
    ids=["crlf", "terminal-escapes", "non-ascii"],
)
def test_control_characters_in_the_url_are_escaped(gunicorn, request_line, marker, escaped):
    answer = send_raw(gunicorn.port, request_line)

    assert answer.startswith(b"HTTP/1.1 404 "), answer[:200]
    logged = wait_for(lambda: marker in gunicorn.log() and gunicorn.log(), what="the request's access-log line")
    # One line for the request, with the URL escaped inside its quotes; no line of its own for the forged text.
    (line,) = [line for line in logged.split("\n") if marker in line]
    assert line.startswith(f'127.0.0.1 "GET {escaped} HTTP/1.1" 404 '), line
    assert not any(character in logged for character in CONTROL_CHARACTERS)


def test_raw_control_bytes_in_the_request_line_never_reach_the_log(gunicorn):
    answer = send_raw(gunicorn.port, b"GET /raw\x1b[2J\x0bforged-raw HTTP/1.1")

    # gunicorn refuses the request line itself; whatever it logs about it holds no raw control character.
    assert answer.startswith(b"HTTP/1.1 400 "), answer[:200]
    send_raw(gunicorn.port, b"GET /healthz?after-forged-raw HTTP/1.1")
    logged = wait_for(lambda: '"GET /healthz HTTP/1.1" 200' in gunicorn.log() and gunicorn.log(), what="a later line")
    assert not any(character in logged for character in CONTROL_CHARACTERS)
