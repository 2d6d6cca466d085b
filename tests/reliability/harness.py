"""Real processes for the reliability tests: a scratch PostgreSQL database, `manage.py` and gunicorn.

The server runs as it does in production (config.settings with DEBUG off, config/gunicorn.conf.py), in its own
database that the test creates and drops, on a free port of 127.0.0.1. Every wait here is a bounded poll.
"""

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
import requests
from django.db import connection

PROJECT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
GUNICORN_CONF = PROJECT / "config" / "gunicorn.conf.py"
SECRET_KEY = "reliability-tests-only-secret-key-not-used-anywhere-else-0123456789"
START_TIMEOUT_SECONDS = 30
STOP_TIMEOUT_SECONDS = 15
MANAGE_TIMEOUT_SECONDS = 120
# Variables of the test process that must not leak into the server's configuration.
SCRUBBED = ("DJANGO_SETTINGS_MODULE", "GUNICORN_CMD_ARGS", "WEB_CONCURRENCY", "BIND", "PORT", "CONN_MAX_AGE")
PROXIES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


def require_postgres() -> None:
    """For fixtures broader than a test, which can't use `on_postgres`."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (run with DATABASE_URL=postgres://...)")


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    user: str
    password: str

    @classmethod
    def of_test_settings(cls) -> "PostgresServer":
        settings = connection.settings_dict
        return cls(
            host=settings["HOST"] or "127.0.0.1",
            port=int(settings["PORT"] or 5432),
            user=settings["USER"] or "postgres",
            password=settings["PASSWORD"] or "",
        )

    def url(self, database: str, *, host: str | None = None, port: int | None = None) -> str:
        credentials = f"{self.user}:{self.password}" if self.password else self.user
        return f"postgres://{credentials}@{host or self.host}:{port or self.port}/{database}"

    def connect(self, database: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password or None,
            dbname=database,
            autocommit=True,
            connect_timeout=10,
        )


@contextmanager
def scratch_database(server: PostgresServer, prefix: str) -> Iterator[str]:
    """A new, empty database named `<prefix>_<pid>_<random>`, dropped afterwards whatever happened."""
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with server.connect() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with server.connect() as admin:
            # FORCE: a server killed mid-test may have left sessions behind.
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def server_environment(database_url: str, **overrides: str) -> dict[str, str]:
    """Production settings (DEBUG off) for the server and manage.py, pointing at `database_url`."""
    env = {key: value for key, value in os.environ.items() if key not in SCRUBBED and key not in PROXIES}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=database_url,
        DEBUG="false",
        SECRET_KEY=SECRET_KEY,
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        CACHE_URL="locmemcache://",
        LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
    )
    env.update(overrides)
    return env


def manage(*args: str, env: dict[str, str]) -> str:
    """Run `manage.py ARGS` in a subprocess; returns its stdout, fails the test with its stderr."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=MANAGE_TIMEOUT_SECONDS,
        check=False,
    )
    assert result.returncode == 0, f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}"
    return result.stdout


@dataclass(frozen=True)
class Tenant:
    slug: str
    api_key: str


@dataclass(frozen=True)
class ScratchDatabase:
    server: PostgresServer
    name: str

    @classmethod
    @contextmanager
    def created(cls) -> Iterator["ScratchDatabase"]:
        """A new database, migrated by `manage.py migrate` as an operator does, dropped afterwards."""
        server = PostgresServer.of_test_settings()
        with scratch_database(server, "reliability") as name:
            database = cls(server, name)
            manage("migrate", "--noinput", env=database.environment())
            yield database

    def url(self, *, host: str | None = None, port: int | None = None) -> str:
        return self.server.url(self.name, host=host, port=port)

    def environment(self, **overrides: str) -> dict[str, str]:
        return server_environment(self.url(), **overrides)

    def connect(self) -> psycopg.Connection:
        return self.server.connect(self.name)

    def tenant(self, slug: str) -> Tenant:
        """An organization and an API key, made with the management commands (the key is their last line)."""
        env = self.environment()
        manage("create_organization", slug, "--name", slug.title(), env=env)
        raw_key = manage("create_api_key", slug, env=env).strip().splitlines()[-1]
        return Tenant(slug=slug, api_key=raw_key)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # no proxy between us and 127.0.0.1, whatever the environment says
    return session


class Gunicorn:
    """`gunicorn config.wsgi -c config/gunicorn.conf.py` on a free port, logs in a file."""

    def __init__(self, env: dict[str, str], log_path: Path, workers: int = 4, args: tuple[str, ...] = ()):
        self.args = args  # command-line flags, which override config/gunicorn.conf.py
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        self.log_path = log_path
        self.env = {**env, "PORT": str(self.port), "WEB_CONCURRENCY": str(workers)}
        self.process: subprocess.Popen | None = None

    def start(self) -> "Gunicorn":
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [str(BIN / "gunicorn"), "config.wsgi", "-c", str(GUNICORN_CONF), *self.args],
                cwd=PROJECT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.wait_until_serving()
        return self

    def wait_until_serving(self) -> None:
        """Poll until every worker has booted and /healthz answers (bounded)."""
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        session = http_session()
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"gunicorn exited with {self.process.returncode}:\n{self.log()[-3000:]}")
            if self.booted_workers() >= self.workers:
                try:
                    # The first request of each worker loads the project: slow on a busy machine.
                    if session.get(f"{self.url}/healthz", timeout=10).status_code == 200:
                        return
                except requests.RequestException:
                    pass
            time.sleep(0.05)
        raise AssertionError(f"gunicorn did not serve within {START_TIMEOUT_SECONDS} s:\n{self.log()[-3000:]}")

    def booted_workers(self) -> int:
        return self.log().count("Booting worker with pid")

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if not self.alive():
            return
        self.process.send_signal(signal.SIGTERM)  # graceful: finish in-flight requests, then exit
        try:
            self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)  # the master and its workers, started by us
            self.process.wait(timeout=STOP_TIMEOUT_SECONDS)


@contextmanager
def running_gunicorn(
    env: dict[str, str], log_path: Path, workers: int = 4, args: tuple[str, ...] = ()
) -> Iterator[Gunicorn]:
    server = Gunicorn(env, log_path, workers, args)
    try:
        yield server.start()
    finally:
        server.stop()


def poll(condition, *, attempts: int, interval: float, what: str):
    """Call `condition` up to `attempts` times, `interval` seconds apart, until it returns a truthy value."""
    last = None
    for _ in range(attempts):
        last = condition()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"{what}: not true after {attempts} attempts {interval} s apart (last: {last!r})")
