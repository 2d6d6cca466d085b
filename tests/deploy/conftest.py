import pytest
from django.db import connection

from tests.deploy.servers import SqliteDatabase, running_nginx
from tests.reliability.harness import ScratchDatabase, running_gunicorn

# Sync workers for the slow-client test: few, so that as many slow clients as workers is a handful.
WORKERS = 2


@pytest.fixture(scope="session")
def served_database(tmp_path_factory):
    """The database gunicorn serves: a migrated PostgreSQL scratch database on PostgreSQL runs, else a SQLite file."""
    if connection.vendor == "postgresql":
        with ScratchDatabase.created() as database:
            yield database
    else:
        yield SqliteDatabase.created(tmp_path_factory.mktemp("deploy-sqlite"))


@pytest.fixture(scope="module")
def gunicorn(served_database, tmp_path_factory):
    """`gunicorn config.wsgi -c config/gunicorn.conf.py` on 127.0.0.1, behind the proxy as documented."""
    folder = tmp_path_factory.mktemp("gunicorn")
    env = served_database.environment(TRUSTED_PROXY_COUNT="1")
    with running_gunicorn(env, folder / "gunicorn.log", workers=WORKERS) as server:
        yield server


@pytest.fixture(scope="module")
def nginx(gunicorn, tmp_path_factory):
    with running_nginx(gunicorn.port, tmp_path_factory.mktemp("nginx")) as server:
        yield server
