import pytest

from scoring.secrets import scoring_signing_secret
from tests.fake_scoring_provider import running_provider


@pytest.fixture
def provider(organization):
    """A local EXTERNAL scoring service the organization's scoring_url points at (tests/fake_scoring_provider.py)."""
    with running_provider(secret=scoring_signing_secret(organization)) as fake:
        organization.scoring_url = fake.url
        organization.save()
        yield fake
