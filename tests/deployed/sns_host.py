"""sns.<region>.amazonaws.com as a deployed function reaches it here: through an HTTPS proxy (`HTTPS_PROXY`, which
Python's urllib honours, as it would a VPC's egress proxy), over TLS with a certificate for that very host name
issued by a test CA that the function trusts (`SSL_CERT_FILE`, which OpenSSL reads). The function's code is
unchanged: it fetches the signing certificate and visits SubscribeURL over verified HTTPS as it does on AWS.

The proxy answers HTTP CONNECT (RFC 9110, 9.3.6) for SNS hosts only, then serves, inside the tunnel, the signing
certificate for any `.pem` path and a ConfirmSubscriptionResponse (SNS guide, "Step 1: Make sure your endpoint is
ready to process Amazon SNS messages") for anything else; it records each request's host and path."""
from __future__ import annotations

import re
import socketserver
import ssl
import tempfile
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

SNS_HOST = re.compile(r"sns\.[a-z0-9-]+\.amazonaws\.com")
CONFIRMED = (b'<ConfirmSubscriptionResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><ConfirmSubscriptionResult>'
             b"<SubscriptionArn>arn:aws:sns:ap-southeast-3:123456789012:survey-app-production-ses-events:1</Subscripti"
             b"onArn></ConfirmSubscriptionResult></ConfirmSubscriptionResponse>")


def _certificate(subject: str, key, issuer_name: str, issuer_key, hosts: tuple[str, ...] = ()) -> x509.Certificate:
    now = datetime.now(timezone.utc)
    builder = (x509.CertificateBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
               .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_name)]))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30)))
    if hosts:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(h) for h in hosts]), critical=False)
    else:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
    return builder.sign(issuer_key, hashes.SHA256())


class FakeSnsHost:
    """Start with `hosts` it serves TLS for; `proxy_url` and `ca_file` go in the function's environment."""

    def __init__(self, hosts: tuple[str, ...], signing_certificate_pem: bytes, ca_file: Path):
        ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        ca = _certificate("Deployed-tier test CA", ca_key, "Deployed-tier test CA", ca_key)
        server_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        server = _certificate(hosts[0], server_key, "Deployed-tier test CA", ca_key, hosts)
        ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        ca_file.chmod(0o644)  # read by the function's user
        self._private = tempfile.TemporaryDirectory(prefix="sns-host-")
        chain, key = Path(self._private.name) / "server.pem", Path(self._private.name) / "server.key"
        chain.write_bytes(server.public_bytes(serialization.Encoding.PEM))
        key.write_bytes(server_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                 serialization.NoEncryption()))
        self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.tls.load_cert_chain(chain, key)
        self.ca_file, self.pem, self.requests = ca_file, signing_certificate_pem, []
        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def proxy_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
        self._private.cleanup()


def _handler(host: FakeSnsHost):
    class Tunnel(socketserver.StreamRequestHandler):
        def handle(self):
            method, target, _ = self.rfile.readline(8192).decode("latin-1").split(" ", 2)
            while self.rfile.readline(8192) not in (b"\r\n", b"\n", b""):
                pass
            name, _, port = target.partition(":")
            if method != "CONNECT" or port != "443" or not SNS_HOST.fullmatch(name):
                self.wfile.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
                return
            self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            self.wfile.flush()
            with host.tls.wrap_socket(self.connection, server_side=True) as tls, tls.makefile("rwb") as stream:
                _, path, _ = stream.readline(8192).decode("latin-1").split(" ", 2)
                while stream.readline(8192) not in (b"\r\n", b"\n", b""):
                    pass
                host.requests.append((name, path))
                body = host.pem if path.split("?")[0].endswith(".pem") else CONFIRMED
                stream.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n"
                             + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
                stream.flush()
    return Tunnel
