import pytest
from django_tasks import default_task_backend

from identifications.services.webhooks import webhook_endpoint_create
from tests.webhooks.receiver import start_receiver


@pytest.fixture
def receiver():
    state, server = start_receiver()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def endpoint(organization, receiver):
    """An endpoint of the organization's pointing at the receiver; its secret (shown once) kept on it for checks."""
    endpoint, secret = webhook_endpoint_create(organization=organization, url=receiver.url)
    endpoint.secret = secret
    return endpoint


@pytest.fixture
def dummy_backend(settings):
    # Changing TASKS makes django-tasks drop its cached backends (and again when the test restores it).
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    return default_task_backend
