"""The scoring paths of `make bench`: validate's request latency (store the attempt and its photo, enqueue the task)
at 8 connections through gunicorn, then one real `manage.py db_worker` reading photos with OCR: validations scored
per minute, seconds per photo, and the worker's resident memory.

Called by bench/run.py (`Bench.phase_worker_paths`) with the bench's database, settings and API key.
"""

import base64
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import loadgen
from tests.api.validation_helpers import DECLARED, MATCHING_METADATA

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
API_PATH = "/v1/orgs/bench/identifications/identity_document"
# The README's walkthrough person (the tests' validation person): the photos are of their card, and METADATA is
# what their app read.
METADATA = MATCHING_METADATA
# The device headers bench/wrk/validate.lua sends.
DEVICE = {"x-installation-id": "bench", "x-fingerprint": "bench", "User-Agent": "bench/1.0"}


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except FileNotFoundError:
        pass
    return 0.0


def validate_latency(bench, media_root: str, *, connections: int = 8) -> dict:
    """wrk sends validates of the sample photo, each to its own PENDING identification (a second would be 409)."""
    from tests.ocr.corpus import SAMPLE_PATH

    body = {"evidence": base64.b64encode(SAMPLE_PATH.read_bytes()).decode(), "evidence_metadata": METADATA}
    body_file = OUT / "validate_body.json"
    body_file.write_text(json.dumps(body))
    duration = bench.args.duration
    ids_file = OUT / "validate_ids.txt"
    ids_file.write_text("\n".join(bench.pending_ids(400 * duration + 1000)) + "\n")
    env = {**bench.server.env, "MEDIA_ROOT": media_root}
    server = loadgen.Server(
        env=env, workers=bench.args.workers, worker_class=bench.args.worker_class, threads=bench.args.threads,
        log_path=OUT / "gunicorn-validate.log",
    )  # fmt: skip
    server.start()
    try:
        wrk_env = bench.key_env(BENCH_IDS_FILE=str(ids_file), BENCH_BODY_FILE=str(body_file))
        loadgen.wrk(
            name="warm-up", base_url=server.base_url, script="validate.lua", path=API_PATH, connections=connections,
            duration=2, env=wrk_env,
        )  # fmt: skip
        ids_file.write_text("\n".join(bench.pending_ids(400 * duration + 1000)) + "\n")
        result = bench.record(
            "validate",
            loadgen.wrk(
                name="validate (store + enqueue)",
                base_url=server.base_url,
                script="validate.lua",
                path=API_PATH,
                connections=connections,
                duration=duration,
                env=wrk_env,
            ),
        )
    finally:
        server.stop()
    return {"validate_rps": result.rps, "validate_p50_ms": result.p50_ms, "validate_p99_ms": result.p99_ms,
            "validate_non_2xx": result.non_2xx}  # fmt: skip


def validate_cost(bench, media_root: str, *, log) -> dict:
    """One validate at a time in this process (the test client, no HTTP), as bench/inprocess.py measures create:
    CPU per request and its statements, which other load on the machine hardly moves, unlike wrk's latency."""
    from django.test import Client, override_settings

    from bench import inprocess
    from tests.ocr.corpus import SAMPLE_PATH

    client = Client(HTTP_HOST="127.0.0.1")
    headers = {"Authorization": f"Bearer {bench.fixtures['raw_key']}", **DEVICE}
    body = json.dumps({"evidence": base64.b64encode(SAMPLE_PATH.read_bytes()).decode(), "evidence_metadata": METADATA})
    repeats = bench.args.cost_repeats
    ids = iter(bench.pending_ids(repeats + 10))

    def validate():
        url = f"{API_PATH}/{next(ids)}/validate"
        response = client.post(url, body, content_type="application/json", headers=headers)
        assert response.status_code == 204, (response.status_code, response.content[:300])

    with override_settings(MEDIA_ROOT=media_root):
        cost = inprocess.per_request_cost("validate (92 KB JPEG, store + enqueue)", validate, repeats=repeats)
    # Beside create's and the ceilings' rows of the in-process table (BENCHMARKS.md, "Per request, in-process").
    bench.results.setdefault("costs", {})["worker paths"] = [cost]
    log(f"in-process {cost['name']:<34} wall {cost['wall_ms']:6.2f} ms  CPU {cost['cpu_ms']:6.2f} ms  "
        f"{cost['queries']} statements")  # fmt: skip
    return {"validate_cpu_ms": cost["cpu_ms"], "validate_statements": cost["queries"]}


def scoring_throughput(bench, media_root: str, *, photos: int, log) -> dict:
    """`photos` validations of distinct captures of the walkthrough card (seeded capture damage), then one db_worker
    scores them: validations per minute, and the worker's resident memory with the OCR models loaded."""
    from django.test import Client, override_settings
    from django_tasks_db.models import DBTaskResult

    from identifications.models import Identification
    from tests.ocr.corpus import SAMPLE_IDENTITY, render_photo

    # The latency run's attempts stay processing without their tasks: the worker meets only the ones below.
    DBTaskResult.objects.all().delete()
    client = Client()
    auth = {"Authorization": f"Bearer {bench.fixtures['raw_key']}"}
    ids = []
    with override_settings(MEDIA_ROOT=media_root, ALLOWED_HOSTS=["testserver"]):
        for seed in range(photos):
            created = client.post(API_PATH, DECLARED, content_type="application/json", headers=auth).json()
            photo = render_photo(SAMPLE_IDENTITY, seed=1000 + seed, damage=("mild", "moderate", "strong")[seed % 3])
            body = {"evidence": base64.b64encode(photo).decode(), "evidence_metadata": METADATA}
            response = client.post(
                f"{API_PATH}/{created['id']}/validate",
                body,
                content_type="application/json",
                headers={**auth, **DEVICE},
            )
            assert response.status_code == 204, response.content
            ids.append(created["id"])
    env = {**os.environ, **bench.env, "MEDIA_ROOT": media_root}
    command = [sys.executable, "manage.py", "db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.05"]
    started = time.monotonic()
    worker = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak_rss, done = 0.0, 0
    try:
        deadline = started + 60 + 10 * photos
        while time.monotonic() < deadline:
            peak_rss = max(peak_rss, _rss_mb(worker.pid))
            done = Identification.objects.filter(pk__in=ids, attempt_processing=False).count()
            if done == len(ids):
                break
            time.sleep(0.25)
        elapsed = time.monotonic() - started
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    verified = Identification.objects.filter(pk__in=ids, status="VERIFIED").count()
    log(f"scoring: {done}/{photos} by one worker in {elapsed:.1f} s, {verified} verified, peak RSS {peak_rss:.0f} MB")
    return {
        "scoring_photos": photos, "scoring_done": done, "scoring_verified": verified,
        "scoring_per_minute": 60 * done / elapsed if elapsed else 0.0, "worker_rss_mb": peak_rss,
    }  # fmt: skip


def ocr_time_per_photo(*, photos: int) -> dict:
    """Seconds per photo in one process with the models loaded, as a worker reads them (one OCR thread)."""
    from scoring.mrz_reader import read_mrz, warm_up
    from tests.ocr.corpus import SAMPLE_IDENTITY, render_photo

    warm_up()
    times = []
    for seed in range(photos):
        photo = render_photo(SAMPLE_IDENTITY, seed=2000 + seed, damage=("mild", "moderate", "strong")[seed % 3])
        started = time.perf_counter()
        read_mrz(photo)
        times.append(time.perf_counter() - started)
    times.sort()
    return {"ocr_median_s": statistics.median(times), "ocr_p95_s": times[round(0.95 * (len(times) - 1))]}


def measure(bench, *, log, photos: int = 30) -> dict:
    with tempfile.TemporaryDirectory() as media_root:
        results = validate_latency(bench, media_root)
        results |= validate_cost(bench, media_root, log=log)
        results |= scoring_throughput(bench, media_root, photos=photos, log=log)
    results |= ocr_time_per_photo(photos=photos)
    return results
