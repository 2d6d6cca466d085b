"""Validate's request latency now that scoring is asynchronous: store the attempt (with a small PNG evidence) and
enqueue its task, on gunicorn (production settings, 4 sync workers) and PostgreSQL, with no worker running.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<any> .venv/bin/python -m bench.validate_latency [--count 400]

Each validate goes to its own fresh identification (a second one would be 409 attempt_in_progress), sent by 1 and by
8 concurrent connections; prints p50/p90/p99 in ms, with create's measured the same way just before as a reference
for how busy the machine was. A rough measurement on a shared machine, not a target check.
"""

import argparse
import base64
import io
import os
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import django
from PIL import Image

# The reliability harness reads the PostgreSQL server from the test settings' DATABASE_URL.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.test_settings")
django.setup()

from tests.reliability.harness import ScratchDatabase, http_session, running_gunicorn  # noqa: E402

WARM_UP = 20
DEVICE = {"x-installation-id": "bench", "x-fingerprint": "bench", "User-Agent": "bench/1.0"}
CREATE = {
    "name": "José María",
    "last_name": "García Márquez",
    "identity_document": {"document_number": "12345678Z", "document_type": "NIF", "country": "ES"},
    "configuration_name": "HIGH",
}
METADATA = {"document_number": "12345678Z", "document_type": "NIF", "country": "ES", "name": "JOSE MARIA"}


def evidence() -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 400), "white").save(buffer, "PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def report(name: str, connections: int, values: list[float]) -> None:
    print(
        f"{name}, {connections} connection(s), {len(values)} requests: p50 {statistics.median(values):.1f} ms, "
        f"p90 {percentile(values, 0.9):.1f} ms, p99 {percentile(values, 0.99):.1f} ms"
    )


def measure(base: str, auth: dict, body: dict, *, connections: int, count: int) -> None:
    sessions = [http_session() for _ in range(connections)]

    def timed(index: int, url: str, payload: dict, expected: int, headers: dict) -> tuple:
        started = time.perf_counter()
        response = sessions[index % connections].post(url, json=payload, headers=headers, timeout=30)
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == expected, response.text
        return elapsed, response

    def create(index: int) -> tuple:
        elapsed, response = timed(index, base, CREATE, 200, auth)
        return elapsed, response.json()["id"]

    total = count + WARM_UP
    with ThreadPoolExecutor(connections) as pool:
        created = list(pool.map(create, range(total)))
        ids = [identification_id for _, identification_id in created]

        def validate(index: int) -> float:
            return timed(index, f"{base}/{ids[index]}/validate", body, 204, {**auth, **DEVICE})[0]

        list(pool.map(validate, range(count, total)))
        validations = list(pool.map(validate, range(count)))
    report("create (reference)", connections, [elapsed for elapsed, _ in created[WARM_UP:]])
    report("validate", connections, validations)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=400, help="validations per concurrency level")
    args = parser.parse_args()
    body = {"evidence": evidence(), "evidence_metadata": METADATA}
    with ScratchDatabase.created() as scratch, tempfile.TemporaryDirectory() as media:
        tenant = scratch.tenant("bench-validate")
        # A limit no run reaches; the counters stay in the default database store, as in production.
        env = scratch.environment(MEDIA_ROOT=media, API_RATE_LIMIT="1000000/minute")
        with running_gunicorn(env, Path(media) / "gunicorn.log", workers=4) as gunicorn:
            base = f"{gunicorn.url}/v1/orgs/{tenant.slug}/identifications/identity_document"
            auth = {"Authorization": f"Bearer {tenant.api_key}"}
            for connections in (1, 8):
                measure(base, auth, body, connections=connections, count=args.count)


if __name__ == "__main__":
    main()
