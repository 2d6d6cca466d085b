"""nginx and gunicorn as deploy/ runs them, on free ports of 127.0.0.1, for the tests of tests/deploy/.

nginx serves the shipped site (deploy/nginx/idservice.conf, which includes idservice-proxy.conf) rendered for the
test: plain HTTP on a free port instead of TLS on 443, gunicorn's test port, logs and temporary files in a
temporary folder. Every other line (limits, timeouts, buffering, headers) is the shipped one. gunicorn runs with
config/gunicorn.conf.py (tests/reliability/harness.py), on a migrated PostgreSQL scratch database or SQLite file.
"""

import datetime
import ipaddress
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.reliability.harness import (
    PROJECT,
    START_TIMEOUT_SECONDS,
    STOP_TIMEOUT_SECONDS,
    Tenant,
    free_port,
    manage,
    server_environment,
)

DEPLOY = PROJECT / "deploy"
SITE = DEPLOY / "nginx" / "idservice.conf"
PROXY_SNIPPET = DEPLOY / "nginx" / "idservice-proxy.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


@dataclass(frozen=True)
class SqliteDatabase:
    """A migrated SQLite file, as `manage.py migrate` makes it: the SQLite counterpart of ScratchDatabase."""

    path: Path

    @classmethod
    def created(cls, folder: Path) -> "SqliteDatabase":
        database = cls(folder / "db.sqlite3")
        manage("migrate", "--noinput", env=database.environment())
        return database

    def environment(self, **overrides: str) -> dict[str, str]:
        return server_environment(f"sqlite:///{self.path}", **overrides)

    def tenant(self, slug: str) -> Tenant:
        env = self.environment()
        manage("create_organization", slug, "--name", slug.title(), env=env)
        return Tenant(slug=slug, api_key=manage("create_api_key", slug, env=env).strip().splitlines()[-1])


def _replace_once(text: str, pattern: str, replacement: str) -> str:
    """The shipped file with one statement swapped; a pattern that no longer matches fails loudly."""
    rendered, count = re.subn(pattern, replacement, text, flags=re.MULTILINE | re.DOTALL)
    assert count == 1, f"deploy/nginx/idservice.conf changed: {pattern!r} matched {count} times"
    return rendered


def self_signed_pair(folder: Path, common_name: str) -> tuple[Path, Path]:
    """A P-256 key and a one-day certificate for `common_name` (also its subject alternative name), written into
    `folder` as the site expects them: fullchain.pem and privkey.pem."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    try:
        alternative: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(common_name))
    except ValueError:
        alternative = x509.DNSName(common_name)
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([alternative]), critical=False)
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    certificate_path, key_path = folder / "fullchain.pem", folder / "privkey.pem"
    certificate_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    key_path.chmod(0o600)
    return certificate_path, key_path


def render_site(*, listen_port: int, upstream_port: int, folder: Path, tls: tuple[Path, Path] | None = None) -> str:
    """deploy/nginx/idservice.conf on `listen_port` of loopback, gunicorn on `upstream_port`. Plain HTTP, or with
    `tls` (certificate, key) the shipped TLS settings with that pair (the benchmark's proxy, bench/proxy.py)."""
    site = SITE.read_text()
    site = _replace_once(site, r"server 127\.0\.0\.1:8000 ", f"server 127.0.0.1:{upstream_port} ")
    # The port-80 server only redirects to HTTPS: not part of the test.
    site = _replace_once(site, r"^# Plain HTTP only redirects.*?^}\n", "")
    listen = f"127.0.0.1:{listen_port} ssl http2" if tls else f"127.0.0.1:{listen_port}"
    site = _replace_once(site, r"^    listen 443 ssl http2 default_server;$", f"    listen {listen} default_server;")
    site = _replace_once(site, r"^    listen \[::\]:443 ssl http2 default_server;\n", "")
    if tls:
        certificate, key = tls
        site = _replace_once(site, r"^    ssl_certificate \S+;$", f"    ssl_certificate {certificate};")
        site = _replace_once(site, r"^    ssl_certificate_key \S+;$", f"    ssl_certificate_key {key};")
    else:
        site = re.sub(r"^    ssl_\w+ .*;\n", "", site, flags=re.MULTILINE)
    site = _replace_once(site, r"include /etc/nginx/snippets/idservice-proxy\.conf;", f"include {PROXY_SNIPPET};")
    return _replace_once(site, r"/var/log/nginx/idservice\.access\.log", str(folder / "access.log"))


def render_nginx_conf(
    *, listen_port: int, upstream_port: int, folder: Path, tls: tuple[Path, Path] | None = None, worker_processes="1"
) -> Path:
    temporary = folder / "temp"
    temporary.mkdir(exist_ok=True)
    site = render_site(listen_port=listen_port, upstream_port=upstream_port, folder=folder, tls=tls)
    # As root, nginx's workers would switch to `nobody`, who can't enter pytest's private temporary folder.
    user = "user root;" if os.geteuid() == 0 else ""
    conf = folder / "nginx.conf"
    conf.write_text(
        f"""daemon off;
{user}
worker_processes {worker_processes};
pid {folder}/nginx.pid;
error_log {folder}/error.log info;
events {{ worker_connections 256; }}
http {{
    client_body_temp_path {temporary}/client_body;
    proxy_temp_path {temporary}/proxy;
    fastcgi_temp_path {temporary}/fastcgi;
    uwsgi_temp_path {temporary}/uwsgi;
    scgi_temp_path {temporary}/scgi;
{site}
}}
"""
    )
    return conf


class Nginx:
    def __init__(self, upstream_port: int, folder: Path, *, tls: tuple[Path, Path] | None = None, worker_processes="1"):
        self.port = free_port()
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self.folder = folder
        self.conf = render_nginx_conf(
            listen_port=self.port,
            upstream_port=upstream_port,
            folder=folder,
            tls=tls,
            worker_processes=worker_processes,
        )
        self.process: subprocess.Popen | None = None

    def start(self) -> "Nginx":
        self.process = subprocess.Popen(
            [NGINX, "-p", str(self.folder), "-c", str(self.conf), "-e", str(self.folder / "error.log")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"nginx exited with {self.process.returncode}:\n{self.error_log()[-3000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.05)
        raise AssertionError(f"nginx did not listen within {START_TIMEOUT_SECONDS} s:\n{self.error_log()[-3000:]}")

    def error_log(self) -> str:
        path = self.folder / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGQUIT)  # graceful shutdown
        try:
            self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)  # the master and its worker, started by us
            self.process.wait(timeout=STOP_TIMEOUT_SECONDS)


@contextmanager
def running_nginx(upstream_port: int, folder: Path) -> Iterator[Nginx]:
    server = Nginx(upstream_port, folder)
    try:
        yield server.start()
    finally:
        server.stop()


class SlowClient(threading.Thread):
    """Sends `upfront` at once, then `dripped` one byte every `interval` seconds, until stopped or done."""

    def __init__(self, port: int, dripped: bytes, *, upfront: bytes = b"", interval: float = 0.1):
        super().__init__(daemon=True)
        self.port = port
        self.upfront = upfront
        self.dripped = dripped
        self.interval = interval
        self.sent = 0
        self.error: BaseException | None = None
        self._stop_requested = threading.Event()

    def run(self) -> None:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=60) as sock:
                sock.sendall(self.upfront)
                for byte in self.dripped:
                    sock.sendall(bytes([byte]))
                    self.sent += 1
                    if self._stop_requested.wait(self.interval):
                        return
        except OSError as error:  # e.g. the server closed the connection: the client is no longer held
            self.error = error

    @property
    def holding(self) -> bool:
        """Connected and still mid-request."""
        return self.is_alive() and self.error is None and self.sent < len(self.dripped)

    def __repr__(self) -> str:
        return f"SlowClient(sent={self.sent}/{len(self.dripped)}, alive={self.is_alive()}, error={self.error!r})"

    def stop(self) -> None:
        self._stop_requested.set()
        self.join(timeout=STOP_TIMEOUT_SECONDS)


def wait_for(condition, *, what: str, timeout: float = START_TIMEOUT_SECONDS, interval: float = 0.05):
    """Poll `condition` until it is true; the timeout only bounds a broken run, nothing is asserted about time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(interval)
    raise AssertionError(f"{what}: not true within {timeout} s")
