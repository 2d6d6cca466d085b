"""Load generation on 127.0.0.1 only: the app under gunicorn, wrk against it, pgbench against PostgreSQL.

Every run is bounded in time (wrk -d, pgbench -T, and a subprocess timeout on top).
"""

import glob
import json
import os
import shlex
import signal
import socket
import statistics
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
WRK_DIR = BENCH_DIR / "wrk"
HOST = "127.0.0.1"


@dataclass
class Result:
    """One load run: throughput and latency percentiles (milliseconds)."""

    name: str
    connections: int
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    non_2xx: int = 0
    socket_errors: int = 0
    command: str = ""
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {key: value for key, value in self.__dict__.items()}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn serving config.wsgi with the bench settings, in its own process group (stopped by its pid)."""

    def __init__(
        self,
        *,
        env: dict,
        workers: int | None,
        worker_class: str,
        threads: int,
        log_path: Path,
        extra_args=(),
        proxied: bool = True,
    ):
        self.env = env
        self.port = free_port()
        # wrk's address: nginx (bench/proxy.py) in front of gunicorn as deployed, or gunicorn itself (`proxied=False`).
        self.upstream_url = f"http://{HOST}:{self.port}"
        self.base_url = self.upstream_url
        self.proxy = None
        if proxied:
            from bench.proxy import tls_proxy

            self.proxy = tls_proxy(self.port, log_path.parent / f"nginx-{self.port}")
            self.base_url = self.proxy.url
        args = [str(ROOT / ".venv" / "bin" / "gunicorn"), "config.wsgi:application"]
        conf = ROOT / "config" / "gunicorn.conf.py"
        if conf.exists():
            # The production configuration (timeouts, worker recycling, access log...), with our bind and workers.
            args += ["-c", str(conf)]
        args += [
            "--bind", f"{HOST}:{self.port}",
            # None: the configuration's own count (WEB_CONCURRENCY, else 2 x CPUs + 1), as deployed.
            *(["--workers", str(workers)] if workers else []),
            "--worker-class", worker_class,
            "--no-control-socket",
            *(["--threads", str(threads)] if worker_class == "gthread" else []),
            *extra_args,
        ]  # fmt: skip
        self.args = args
        self.log_path = log_path
        self.process = None

    @property
    def command(self) -> str:
        return " ".join(shlex.quote(arg) for arg in self.args)

    def start(self, timeout: float = 60) -> None:
        self.log = open(self.log_path, "ab")  # noqa: SIM115  (closed in stop)
        self.process = subprocess.Popen(
            self.args, cwd=ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}; see {self.log_path}")
            try:
                with urllib.request.urlopen(f"{self.upstream_url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        if self.proxy is not None:
                            self.proxy.start()
                        return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer /healthz within {timeout} s; see {self.log_path}")

    def stop(self) -> None:
        if self.proxy is not None:
            self.proxy.stop()
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)  # our own process group: gunicorn and its workers
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.log.close()


def wrk(
    *,
    name: str,
    base_url: str,
    script: str,
    path: str,
    connections: int,
    duration: int,
    env: dict | None = None,
) -> Result:
    threads = min(connections, 2)
    args = [
        "wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s", "--timeout", "10s",
        "-s", str(WRK_DIR / script), f"{base_url}{path}",
    ]  # fmt: skip
    run_env = {**os.environ, "BENCH_WRK_DIR": str(WRK_DIR), "BENCH_PATH": path, "BENCH_THREADS": str(threads)}
    run_env.update(env or {})
    completed = subprocess.run(args, env=run_env, capture_output=True, text=True, timeout=duration + 60, check=False)
    line = next((ln for ln in completed.stdout.splitlines() if ln.startswith("BENCH_RESULT ")), None)
    if completed.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({completed.returncode}): {completed.stdout}\n{completed.stderr}")
    data = json.loads(line.removeprefix("BENCH_RESULT "))
    seconds = data["duration_us"] / 1e6
    shown_env = " ".join(f"{key}=..." for key in sorted(env or {}) if key.startswith("BENCH_"))
    return Result(
        name=name,
        connections=connections,
        requests=data["requests"],
        seconds=seconds,
        rps=data["requests"] / seconds,
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        non_2xx=data["errors_status"],
        socket_errors=data["errors_connect"] + data["errors_read"] + data["errors_write"] + data["errors_timeout"],
        command=(f"{shown_env} " if shown_env else "") + " ".join(args[:-1]) + f" http://127.0.0.1:PORT{path}",
        extra={"p90_ms": data["p90_us"] / 1000, "max_ms": data["max_us"] / 1000},
    )


def pgbench(*, name: str, db: dict, connections: int, duration: int, variables: dict, log_dir: Path) -> Result:
    """pgbench with bench/insert.sql; p50/p99 from its per-transaction log (latency in microseconds, 3rd field)."""
    prefix = log_dir / f"pgbench_c{connections}"
    for old in glob.glob(f"{prefix}*"):
        os.remove(old)
    args = [
        "pgbench", "-n", "-f", str(BENCH_DIR / "insert.sql"), "-c", str(connections), "-j", str(min(connections, 2)),
        "-T", str(duration), "-l", "--log-prefix", str(prefix),
        *[arg for key, value in variables.items() for arg in ("-D", f"{key}={value}")],
        "-h", db["host"], "-p", str(db["port"]), "-U", db["user"], db["name"],
    ]  # fmt: skip
    env = {**os.environ, **({"PGPASSWORD": db["password"]} if db.get("password") else {})}
    completed = subprocess.run(args, env=env, capture_output=True, text=True, timeout=duration + 60, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"pgbench failed ({completed.returncode}): {completed.stdout}\n{completed.stderr}")
    latencies = []
    for path in glob.glob(f"{prefix}*"):
        with open(path) as log:
            latencies += [int(line.split()[2]) for line in log if line.strip()]
        os.remove(path)
    latencies.sort()
    transactions = len(latencies)
    tps = next(
        float(line.split("=")[1].split()[0]) for line in completed.stdout.splitlines() if line.startswith("tps =")
    )
    shown = [("…" if arg == db.get("password") else arg) for arg in args]
    return Result(
        name=name,
        connections=connections,
        requests=transactions,
        seconds=duration,
        rps=tps,
        p50_ms=percentile(latencies, 50) / 1000,
        p99_ms=percentile(latencies, 99) / 1000,
        command=" ".join(shlex.quote(arg) for arg in shown),
        extra={"mean_ms": statistics.fmean(latencies) / 1000 if latencies else 0.0},
    )


def percentile(sorted_values: list, percent: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(percent / 100 * len(sorted_values)) - 1))
    return sorted_values[index]
