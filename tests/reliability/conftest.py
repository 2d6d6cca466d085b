import pytest

from tests.reliability.harness import ScratchDatabase, require_postgres


@pytest.fixture(scope="session")
def scratch():
    """A migrated PostgreSQL database of its own for the tests that start gunicorn, dropped at the end.

    Each test makes its own organization (`scratch.tenant(slug)`), so tests never see each other's rows."""
    require_postgres()
    with ScratchDatabase.created() as database:
        yield database
