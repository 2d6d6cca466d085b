"""nginx in front of the benchmark's gunicorn, as deployed: the shipped site (deploy/nginx/), TLS included.

The site is rendered by tests/deploy/servers.py (the same renderer the deploy tests use) with a throwaway
self-signed certificate for 127.0.0.1 and nginx's worker count as Debian ships it (`auto`: one per core). wrk
does not verify certificates, so the pair only has to exist; TLS itself (handshake per connection, record
encryption per request) is the part of the proxy's cost that plain HTTP would hide.
"""

import datetime
import ipaddress
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.deploy.servers import NGINX, Nginx


def self_signed_pair(folder: Path) -> tuple[Path, Path]:
    """A P-256 key and a one-day certificate for 127.0.0.1, written into `folder`."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    certificate_path, key_path = folder / "fullchain.pem", folder / "privkey.pem"
    certificate_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    key_path.chmod(0o600)
    return certificate_path, key_path


def tls_proxy(upstream_port: int, folder: Path) -> Nginx:
    """Not started yet: the caller starts and stops it (Nginx.start/stop)."""
    folder.mkdir(parents=True, exist_ok=True)
    return Nginx(upstream_port, folder, tls=self_signed_pair(folder / "tls"), worker_processes="auto")


def version() -> str:
    import subprocess

    completed = subprocess.run([NGINX, "-v"], capture_output=True, text=True, check=False)
    return (completed.stderr or completed.stdout).strip().removeprefix("nginx version: ")
