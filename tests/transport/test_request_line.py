"""The OpenAPI document and gunicorn's request-line limit agree: the longest request line the document allows
(every parameter at its longest, each character at its longest percent-encoding) is read by the server, which then
answers it in JSON; never gunicorn's undocumented 414."""

import http.client
import json
import re
import runpy
import uuid
from pathlib import Path
from urllib.parse import quote

from drf_spectacular.generators import SchemaGenerator
from gunicorn.config import LimitRequestLine

GUNICORN_CONF = Path(__file__).resolve().parents[2] / "config" / "gunicorn.conf.py"
# Candidates for one character, longest percent-encoding first: 4 UTF-8 bytes (12 on the wire), 2, then ASCII that
# is escaped (3) or not (1).
CANDIDATES = ["\U0001f600", "é", "+", "=", "-", "a", "0"]


def server_limit() -> int:
    return runpy.run_path(str(GUNICORN_CONF)).get("limit_request_line", LimitRequestLine.default)


def longest_value(name: str, schema: dict) -> str:
    if schema.get("format") == "uuid":
        return str(uuid.UUID(int=0))
    if "enum" in schema:
        return max((str(value) for value in schema["enum"] if value is not None), key=len)
    if schema.get("type") == "integer":
        assert "maximum" in schema, f"{name}: an integer without a maximum has no longest form"
        return str(schema["maximum"])
    assert "maxLength" in schema, f"{name}: a string without maxLength makes the request line unbounded"
    pattern = re.compile(schema.get("pattern", ".*"), re.DOTALL)

    def on_the_wire(value: str) -> int:
        return len(quote(value, safe=""))

    # A literal prefix (`evt_`, `we_`) is kept, and the rest filled to the longest length.
    prefix = re.match(r"\^?([A-Za-z0-9_]*)", pattern.pattern).group(1)
    values = [prefix + character * (schema["maxLength"] - len(prefix)) for character in CANDIDATES]
    fitting = [value for value in values if pattern.search(value)]
    assert fitting, f"{name}: no candidate matches {pattern.pattern}"
    return max(fitting, key=on_the_wire)


def longest_request_lines(fixed: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """(method, target) of every operation with every path and query parameter at its longest; `fixed` names
    parameters to send as given instead (an existing organization)."""
    document = SchemaGenerator().get_schema(request=None, public=True)
    lines = []
    for template, operations in document["paths"].items():
        for method, operation in operations.items():
            parameters = [p for p in operation.get("parameters", []) if p["in"] in ("path", "query")]
            path = template
            query = []
            for parameter in parameters:
                name = parameter["name"]
                value = quote((fixed or {}).get(name) or longest_value(name, parameter["schema"]), safe="")
                if parameter["in"] == "path":
                    path = path.replace("{" + parameter["name"] + "}", value)
                else:
                    query.append(f"{parameter['name']}={value}")
            target = f"{path}?{'&'.join(query)}" if query else path
            lines.append((method.upper(), target))
    return lines


def test_every_request_line_the_document_allows_fits_the_server_limit():
    limit = server_limit()
    for method, target in longest_request_lines():
        line = f"{method} {target} HTTP/1.1"
        assert len(line.encode()) <= limit, f"{len(line)} > {limit}: {line[:120]}..."


def test_the_longest_list_request_is_answered_in_json_not_414(served):
    lines = longest_request_lines(fixed={"org_id": served.tenant.slug})
    # The identifications list and the events list (the two with date filters).
    listings = [(method, target) for method, target in lines if method == "GET" and "created_after=" in target]
    assert len(listings) == 2
    for method, target in listings:
        connection = http.client.HTTPConnection(served.host, served.port, timeout=30)
        try:
            connection.request(method, target, headers={"Authorization": f"Bearer {served.tenant.api_key}"})
            response = connection.getresponse()
            status, content_type, content = response.status, response.getheader("Content-Type"), response.read()
        finally:
            connection.close()

        assert (status, content_type) == (400, "application/json"), (target[:80], status, content[:300])
        assert {entry.get("field") for entry in json.loads(content)["errors"]} >= {"created_after", "created_before"}
