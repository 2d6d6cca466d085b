"""The served OpenAPI document, read as test data: its operations, their parameters and the string fields of their
request bodies, so that a table of hostile inputs reaches every operation, including ones added later."""

from dataclasses import dataclass

from tests.api.helpers import SEED_BODY
from tests.api.validation_helpers import MATCHING_METADATA, image_base64

# A body each known request component accepts. An operation added later (or a component renamed) fails loudly until
# it gets an entry here: an empty body would silently test much less than it seems to.
EXAMPLE_BODIES = {
    "CreateIdentityDocumentIdentificationRequest": SEED_BODY,
    "CloseIdentityDocumentIdentificationRequest": {"reason": "Customer withdrew"},
    "RedactIdentityDocumentIdentificationRequest": {"reason": "Erasure request"},
    "CreateWebhookEndpointRequest": {"url": "https://hooks.example/acme", "description": "CRM"},
    "PatchedUpdateWebhookEndpointRequest": {"description": "CRM", "enabled": True},
    "ValidateIdentityDocumentIdentificationRequest": {
        "evidence": image_base64(),
        "evidence_metadata": MATCHING_METADATA,
    },
}


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # "/v1/orgs/{org_id}/identifications/identity_document/{admin_identification_id}/close"
    operation_id: str
    parameters: tuple
    body_schema: dict | None
    body_component: str | None
    components: dict

    @property
    def id_parameters(self) -> list[str]:
        return [p["name"] for p in self.parameters if p["in"] == "path" and p["name"] != "org_id"]

    @property
    def query_parameters(self) -> list[dict]:
        return [p for p in self.parameters if p["in"] == "query"]

    def has_header(self, name: str) -> bool:
        return any(p["in"] == "header" and p["name"].lower() == name.lower() for p in self.parameters)

    @property
    def has_body(self) -> bool:
        return self.body_schema is not None

    @property
    def example_body(self) -> dict | None:
        if not self.has_body:
            return None
        if self.body_component not in EXAMPLE_BODIES:
            raise LookupError(
                f"{self.operation_id}: no example body for request component {self.body_component!r}; "
                f"add one to EXAMPLE_BODIES in tests/fuzz/schema_walk.py (known: {sorted(EXAMPLE_BODIES)})"
            )
        return EXAMPLE_BODIES[self.body_component]

    def __repr__(self) -> str:
        return self.operation_id


def operations_of(document: dict) -> list[Operation]:
    operations = []
    components = document.get("components", {}).get("schemas", {})
    for path, methods in document["paths"].items():
        for method, spec in methods.items():
            content = (spec.get("requestBody") or {}).get("content", {}).get("application/json")
            body_schema = content["schema"] if content else None
            body_component = body_schema["$ref"].rsplit("/", 1)[-1] if body_schema and "$ref" in body_schema else None
            operations.append(
                Operation(
                    method=method.upper(),
                    path=path,
                    operation_id=spec["operationId"],
                    parameters=tuple(spec.get("parameters", [])),
                    body_schema=body_schema,
                    body_component=body_component,
                    components=components,
                )
            )
    return operations


def string_fields(operation: Operation) -> list[tuple[tuple, bool]]:
    """(path, nullable) of every string in the request body, nested objects and array items included; a path is
    keys, with 0 standing for an array's first item."""
    if not operation.has_body:
        return []
    found: list[tuple[tuple, bool]] = []
    _walk(_resolve(operation.body_schema, operation.components), (), operation.components, found)
    return found


MAX_DEPTH = 6  # a recursive schema would otherwise never end


def _walk(schema: dict, path: tuple, components: dict, found: list) -> None:
    for name, child in schema.get("properties", {}).items():
        nullable = bool(child.get("nullable"))
        child = _resolve(child, components)
        _collect(child, (*path, name), nullable, components, found)


def _collect(schema: dict, path: tuple, nullable: bool, components: dict, found: list) -> None:
    kind = schema.get("type")
    if kind == "string" or (kind is None and "enum" in schema):
        found.append((path, nullable))
    elif (kind == "object" or "properties" in schema) and len(path) < MAX_DEPTH:
        _walk(schema, path, components, found)
    elif kind == "array" and len(path) < MAX_DEPTH:
        _collect(_resolve(schema.get("items", {}), components), (*path, 0), False, components, found)


def _resolve(schema: dict, components: dict) -> dict:
    """Follow $ref, and take the first object-or-array branch of allOf/oneOf/anyOf (the metadata is an object or its
    JSON text; the MRZ is 3 or 2 lines: the first branch has the same fields)."""
    while True:
        if "$ref" in schema:
            schema = components[schema["$ref"].rsplit("/", 1)[-1]]
            continue
        for combinator in ("allOf", "oneOf", "anyOf"):
            if combinator in schema:
                branches = [_resolve(branch, components) for branch in schema[combinator]]
                structured = [b for b in branches if b.get("type") in ("object", "array") or "properties" in b]
                schema = {**(structured or branches)[0], **({"nullable": True} if schema.get("nullable") else {})}
                break
        else:
            return schema
