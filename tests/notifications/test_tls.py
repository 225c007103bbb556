"""Mail through STARTTLS or TLS, signed in with the URL's user and password.

The test makes its own authority and a certificate for 127.0.0.1, and the
mailer trusts that authority alone: a server it cannot verify is refused.
"""

from __future__ import annotations

import ipaddress
import smtplib
import ssl
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from projections.notifications.mailer import Mailer, describe_failure, parse_smtp_url
from tests.notifications.mailbox import Mailbox

USER, PASSWORD = "incidents", "p@ss:word"


def _certificate(tmp_path: Path) -> tuple[Path, Path, Path]:
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mail")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    paths = (tmp_path / "ca.pem", tmp_path / "cert.pem", tmp_path / "key.pem")
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


def _authenticate(server, session, envelope, mechanism, auth_data) -> AuthResult:
    valid = isinstance(auth_data, LoginPassword) and (
        auth_data.login.decode(),
        auth_data.password.decode(),
    ) == (USER, PASSWORD)
    return AuthResult(success=valid)


@pytest.fixture
def pki(tmp_path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    ca, cert, key = _certificate(tmp_path)
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert, key)
    client = ssl.create_default_context(cafile=str(ca))
    return server, client


@pytest.fixture(params=["starttls", "tls"])
def secure_mailbox(request, pki) -> Iterator[tuple[Mailbox, str]]:
    server, _client = pki
    options = {"authenticator": _authenticate, "auth_require_tls": True}
    if request.param == "starttls":
        box = Mailbox(tls_context=server, require_starttls=True, **options)
        scheme = "smtp+starttls"
    else:
        # aiosmtpd counts only STARTTLS as TLS for AUTH; here it is TLS throughout.
        box = Mailbox(ssl_context=server, **{**options, "auth_require_tls": False})
        scheme = "smtps"
    box.start()
    try:
        yield box, scheme
    finally:
        box.stop()


def message() -> EmailMessage:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "a@example.fr", "b@example.fr", "x"
    mail.set_content("y")
    return mail


def test_mail_goes_over_tls_signed_in_with_the_urls_credentials(secure_mailbox, pki):
    box, scheme = secure_mailbox
    url = f"{scheme}://incidents:p%40ss%3Aword@127.0.0.1:{box.port}"

    Mailer(parse_smtp_url(url), context=pki[1]).send(message())

    assert box.recipients() == ["b@example.fr"]


def test_a_wrong_password_or_an_unknown_authority_is_refused(secure_mailbox, pki):
    box, scheme = secure_mailbox
    wrong = parse_smtp_url(f"{scheme}://incidents:nope@127.0.0.1:{box.port}")
    right = parse_smtp_url(f"{scheme}://incidents:p%40ss%3Aword@127.0.0.1:{box.port}")

    with pytest.raises(smtplib.SMTPException) as refused:
        Mailer(wrong, context=pki[1], timeout=5).send(message())
    assert describe_failure(refused.value).startswith("SMTP")
    with pytest.raises(ssl.SSLCertVerificationError):
        Mailer(right).send(message())  # The system's authorities: not ours.
    assert box.received == []
