import pytest
from django.core.cache import cache
from django.db import connection

from scoring import providers
from scoring.mrz_reader import MrzReading
from tests.api.validation_helpers import MRZ
from tests.factories import OrganizationFactory, issue_key


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Reference rows are cached; a test's rollback must not leave another test reading its rows.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    # requests honours proxy variables; a CI proxy must not sit between our client and a provider on 127.0.0.1.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@pytest.fixture
def organization(db):
    return OrganizationFactory(slug="acme", name="Acme")


@pytest.fixture
def api_key(organization):
    """(OrganizationAPIKey, raw key) for `organization`."""
    return issue_key(organization)


@pytest.fixture
def auth(api_key):
    """Headers for the Django test client: `client.post(url, ..., headers=auth)`."""
    return {"Authorization": f"Bearer {api_key[1]}"}


@pytest.fixture
def on_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (run with DATABASE_URL=postgres://...)")


TRANSACTION_CONTROL = ("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT")


class Queries:
    """The SQL statements a block ran, without transaction control (SAVEPOINT, RELEASE, ...)."""

    def __init__(self, context):
        self._context = context

    @property
    def statements(self) -> list[str]:
        return [
            query["sql"]
            for query in self._context.captured_queries
            if not query["sql"].lstrip().upper().startswith(TRANSACTION_CONTROL)
        ]

    @property
    def verbs(self) -> list[str]:
        return [sql.split()[0].upper() for sql in self.statements]


@pytest.fixture
def capture_queries():
    """`with capture_queries() as queries: ...` then assert on `queries.statements` / `queries.verbs`."""
    from contextlib import contextmanager

    from django.test.utils import CaptureQueriesContext

    @contextmanager
    def capture():
        with CaptureQueriesContext(connection) as context:
            yield Queries(context)

    return capture


@pytest.fixture
def reader_reads_the_card(monkeypatch):
    """INTERNAL's MRZ reader finds the MRZ of validation_helpers' person on any evidence image: what the real reader
    does with a photo of their card (the tests' images are blank; the reader's own tests use real renderings)."""
    monkeypatch.setattr(providers, "read_mrz", lambda image: MrzReading(tuple(MRZ), None))


@pytest.fixture
def database_queue(settings):
    # The production queue (django-tasks-db): its task rows are in the test database.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
