"""nginx in front of the benchmark's gunicorn, as deployed: the shipped site (deploy/nginx/), TLS included.

The site is rendered by tests/deploy/servers.py (the same renderer the deploy tests use) with a throwaway
self-signed certificate for 127.0.0.1 and nginx's worker count as Debian ships it (`auto`: one per core). wrk
does not verify certificates, so the pair only has to exist; TLS itself (handshake per connection, record
encryption per request) is the part of the proxy's cost that plain HTTP would hide.
"""

from pathlib import Path

from tests.deploy.servers import NGINX, Nginx, self_signed_pair


def tls_proxy(upstream_port: int, folder: Path) -> Nginx:
    """Not started yet: the caller starts and stops it (Nginx.start/stop)."""
    folder.mkdir(parents=True, exist_ok=True)
    return Nginx(upstream_port, folder, tls=self_signed_pair(folder / "tls", "127.0.0.1"), worker_processes="auto")


def version() -> str:
    import subprocess

    completed = subprocess.run([NGINX, "-v"], capture_output=True, text=True, check=False)
    return (completed.stderr or completed.stdout).strip().removeprefix("nginx version: ")
