"""The fuzz helper itself: every operation of the served document has a known example body, and an unknown request
component (a renamed one, or a new endpoint) is an error rather than a silently empty body."""

import pytest
from django.test import Client

from tests.fuzz.schema_walk import EXAMPLE_BODIES, Operation, operations_of


def test_every_served_request_component_has_an_example_body():
    operations = operations_of(Client().get("/v1/schema/?format=json").json())

    components = {operation.body_component for operation in operations if operation.has_body}

    assert components == set(EXAMPLE_BODIES)
    assert all(operation.example_body for operation in operations if operation.has_body)


def test_an_unknown_request_component_fails_instead_of_falling_back_to_an_empty_body():
    operation = Operation(
        method="POST",
        path="/v1/orgs/{org_id}/things",
        operation_id="things_create",
        parameters=(),
        body_schema={"$ref": "#/components/schemas/ThingRequestRequest"},
        body_component="ThingRequestRequest",
        components={},
    )

    with pytest.raises(LookupError, match="ThingRequestRequest"):
        _ = operation.example_body
