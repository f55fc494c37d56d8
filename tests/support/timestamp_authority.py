"""A small, real RFC 3161 timestamp authority for tests: an HTTP server on 127.0.0.1 in a
thread, answering `application/timestamp-query` POSTs as a public authority would, with
pyHanko's DummyTimeStamper doing the signing.

    with TimestampAuthority(at=datetime(2026, 3, 5, 16, 0, tzinfo=UTC)) as tsa:
        settings.RECORD_SIGNING_TSA_URL = tsa.url
        settings.RECORD_SIGNING_TSA_CERTIFICATE = tsa.write_certificate(tmp_path)
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from asn1crypto import keys, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.sign.timestamps import DummyTimeStamper

NAME = "Test Timestamp Authority"


class TimestampAuthority:
    def __init__(self, at: datetime | None = None):
        # RSA: pyHanko's dummy authority signs with nothing else.
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.certificate = _certificate(key)
        self.requests = 0
        self._stamper = DummyTimeStamper(
            tsa_cert=asn1_x509.Certificate.load(
                self.certificate.public_bytes(serialization.Encoding.DER)
            ),
            tsa_key=keys.PrivateKeyInfo.load(
                key.private_bytes(
                    serialization.Encoding.DER,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            ),
            fixed_dt=at,
        )
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/"

    def write_certificate(self, folder: Path) -> str:
        path = Path(folder) / "tsa.pem"
        path.write_bytes(self.certificate.public_bytes(serialization.Encoding.PEM))
        return str(path)

    def __enter__(self) -> TimestampAuthority:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self):
        authority = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.headers.get("Content-Type") != "application/timestamp-query":
                    self.send_error(415)
                    return
                authority.requests += 1
                reply = authority._stamper.request_tsa_response(tsp.TimeStampReq.load(body))
                data = reply.dump()
                self.send_response(200)
                self.send_header("Content-Type", "application/timestamp-reply")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        return Handler


def _certificate(key) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, NAME)])
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(datetime(2000, 1, 1, tzinfo=UTC))
        .not_valid_after(datetime(2080, 1, 1, tzinfo=UTC))
        # RFC 3161: a timestamp authority's certificate is for timestamping and nothing else.
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(key, hashes.SHA256())
    )
