"""gunicorn in production: `gunicorn config.wsgi -c config/gunicorn.conf.py`.

Command-line flags override these values, and these read a few environment variables:
  PORT             port on 127.0.0.1 (default 8000), for a TLS-terminating proxy on the same host
  BIND             full address instead, e.g. unix:/run/idservice/gunicorn.sock; never a public address:
                   gunicorn is always behind the buffering proxy of deploy/ (README, "Deploying")
  WEB_CONCURRENCY  worker processes (default: 2 x CPUs + 1, at most 8)
  GUNICORN_TIMEOUT seconds a worker may spend on one request before it is killed and replaced (default 30)
"""

import os

bind = [os.environ.get("BIND") or f"127.0.0.1:{os.environ.get('PORT', '8000')}"]


def _cpus() -> int:
    # The CPUs this process may use (a container's cpuset), not the host's.
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


# Sync workers: one request at a time each, so at most one PostgreSQL connection each. The cap keeps
# workers x servers well under PostgreSQL's max_connections (100 by default); raise it with WEB_CONCURRENCY.
# 2 x CPUs + 1 by measurement (bench/NOTES.md, "Server settings"; `python -m bench.workers`): on 2 cores at 8
# connections, 5 workers gave create's best median throughput and p99 (3 within noise), 8 the worst p99: with the
# database on the same host a worker often waits on it, and more processes than that only compete for the CPUs.
workers = int(os.environ.get("WEB_CONCURRENCY") or min(2 * _cpus() + 1, 8))
worker_class = "sync"

# A request normally takes milliseconds; EXTERNAL scoring may wait twice its 5 s timeout. A worker stuck longer
# than this is killed and replaced, and the proxy answers 502 for that one request.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# On SIGTERM (deploys, scaling down), finish in-flight requests for up to this long.
graceful_timeout = 30
# Replace each worker after about 100,000 requests (at a few hundred requests per second over 5 workers, every 20
# minutes or so, each at its own time thanks to the jitter), so a slow leak never becomes an outage. At 1,000 every
# worker restarted every few seconds under load: create ran at 178 req/s instead of 391 without recycling, with p99
# spikes at each restart (BENCHMARKS.md, issue 13). No leak has been seen; this is insurance that costs nothing.
max_requests = 100_000
max_requests_jitter = 10_000

# Import the application once in the master and fork workers from it: a worker (at start and after recycling)
# begins warm and shares the imported code's memory with the others. Safe because importing config.wsgi opens no
# database connection (and `pre_fork` closes any that something opened in the master, so no worker inherits a
# socket another process also uses). Code changes need a restart, not a HUP: deploys restart the unit anyway.
preload_app = True


def pre_fork(server, worker):
    from django.db import connections

    connections.close_all()


# Workers' heartbeat files on tmpfs: a slow or full disk must not get healthy workers killed.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

# gunicorn >= 25.1 also opens a control socket (gunicornc) in $XDG_RUNTIME_DIR or ~/.gunicorn; nothing here uses
# it, and a read-only home would stop the server from starting. Older versions ignore the setting.
control_socket_disable = True

# Logs to stdout/stderr for the process supervisor. The access log names the path without its query string and
# without the Referer: admin searches put names and document numbers in URLs, and personal data stays out of logs.
accesslog = "-"
errorlog = "-"
# Control characters in URLs are escaped, so no request can forge a line of the log.
logger_class = "config.access_log.EscapingLogger"
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms request_id=%({x-request-id}o)s'

# The seed family's device header is spelled `x-installation_id`. gunicorn drops header names with underscores
# (`header_map = "drop"`, its default, kept): `X_Forwarded_For` must never merge into X-Forwarded-For, which
# "dangerous" would do for every such name. Only this one name is let through, from any peer, with or without the
# proxy (nginx passes it with `underscores_in_headers on`). forwarded_allow_ips opens nothing else: the only other
# forwarder header the app would read is the scheme, which Django already takes from X-Forwarded-Proto
# (SECURE_PROXY_SSL_HEADER), and gunicorn's own scheme headers are narrowed to that one.
header_map = "drop"
forwarder_headers = "X-INSTALLATION_ID,X_INSTALLATION_ID"
forwarded_allow_ips = "*"
secure_scheme_headers = {"X-FORWARDED-PROTO": "https"}
