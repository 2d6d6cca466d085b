"""gunicorn with config/gunicorn.conf.py and production settings, on the database the suite runs on.

On PostgreSQL a scratch database (tests/reliability/harness.py); on SQLite a database file of the test's own. Either
is migrated and seeded with `manage.py`, as an operator does, and served by real gunicorn workers on 127.0.0.1.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from django.db import connection

from tests.reliability.harness import (
    Gunicorn,
    ScratchDatabase,
    Tenant,
    manage,
    running_gunicorn,
    server_environment,
)


@dataclass(frozen=True)
class Served:
    gunicorn: Gunicorn
    tenant: Tenant
    environment: dict[str, str]

    @property
    def host(self) -> str:
        return "127.0.0.1"

    @property
    def port(self) -> int:
        return self.gunicorn.port


@contextmanager
def _database_environment(tmp_path) -> Iterator[dict[str, str]]:
    media = {"MEDIA_ROOT": str(tmp_path / "media")}
    if connection.vendor == "postgresql":
        with ScratchDatabase.created() as database:
            yield database.environment(**media)
        return
    env = server_environment(f"sqlite:///{tmp_path / 'db.sqlite3'}", **media)
    manage("migrate", "--noinput", env=env)
    yield env


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[Served]:
    tmp_path = tmp_path_factory.mktemp("served")
    with _database_environment(tmp_path) as env:
        manage("create_organization", "transport", "--name", "Transport", env=env)
        api_key = manage("create_api_key", "transport", env=env).strip().splitlines()[-1]
        with running_gunicorn(env, tmp_path / "gunicorn.log", workers=2) as gunicorn:
            yield Served(gunicorn=gunicorn, tenant=Tenant(slug="transport", api_key=api_key), environment=env)
