"""The site CA: its key and certificate, server certificates (broker, web servers), client certificates, the CRL."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_DAYS = 20 * 365
CERT_DAYS = 5 * 365
# a browser's HTTPS certificate: Apple's iOS and macOS refuse any TLS server certificate valid for more than
# 825 days, also from a CA the user installed (https://support.apple.com/en-us/103769)
HTTPS_DAYS = 825
RENEW_BEFORE = timedelta(days=30)  # a certificate this close to its end is issued again on the next run


@dataclass(frozen=True)
class Ca:
    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate


def _now() -> datetime:
    return datetime.now(UTC)


def new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def load_key(pem: bytes) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError("not an EC private key")  # noqa: TRY004 - a bad file, reported like other bad files
    return key


def load_cert(pem: bytes) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pem)


def _name(common_name: str, site_id: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, f"arkaden {site_id}"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def new_ca(site_id: str) -> Ca:
    key = new_key()
    name = _name(f"arkaden site CA {site_id}", site_id)
    now = _now()
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                     crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return Ca(key, cert)


def issue(ca: Ca, key: ec.EllipticCurvePrivateKey, common_name: str, site_id: str, *,
          server_names: list[str] | None = None, days: int = CERT_DAYS) -> x509.Certificate:
    """A client certificate (CN = the device id = the broker user), or with `server_names` a server's (the
    broker's, a web server's); valid for `days` in all, counted from five minutes ago."""
    start = _now() - timedelta(minutes=5)
    usage = ExtendedKeyUsageOID.SERVER_AUTH if server_names is not None else ExtendedKeyUsageOID.CLIENT_AUTH
    builder = (
        x509.CertificateBuilder().subject_name(_name(common_name, site_id)).issuer_name(ca.cert.subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(start).not_valid_after(start + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=True, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False)
    )
    if server_names is not None:
        builder = builder.add_extension(x509.SubjectAlternativeName(_alt_names(server_names)), critical=False)
    return builder.sign(ca.key, hashes.SHA256())


def _alt_names(names: list[str]) -> list[x509.GeneralName]:
    out: list[x509.GeneralName] = []
    for n in names:
        try:
            out.append(x509.IPAddress(ipaddress.ip_address(n)))
        except ValueError:
            out.append(x509.DNSName(n))
    return out


def server_names(cert: x509.Certificate) -> list[str]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return [str(v) for v in san.get_values_for_type(x509.DNSName)] + \
        [str(v) for v in san.get_values_for_type(x509.IPAddress)]


def still_good(ca: Ca, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey, common_name: str) -> bool:
    """Whether a stored certificate can be kept: signed by this CA, for this name and key, not ending soon."""
    algorithm = cert.signature_hash_algorithm
    if algorithm is None:  # ed25519 and friends: not what this CA signs with
        return False
    try:
        ca.key.public_key().verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(algorithm))
    except (InvalidSignature, TypeError, ValueError):
        return False
    cn = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    public = cert.public_key()
    same_key = isinstance(public, ec.EllipticCurvePublicKey) and \
        public.public_numbers() == key.public_key().public_numbers()
    return bool(cn) and cn[0].value == common_name and same_key and cert.not_valid_after_utc - RENEW_BEFORE > _now()


def crl(ca: Ca, revoked: dict[int, datetime]) -> x509.CertificateRevocationList:
    """The revocation list the broker checks (serial → when revoked); valid as long as the CA, so it never
    expires by itself and locks everybody out."""
    builder = (x509.CertificateRevocationListBuilder().issuer_name(ca.cert.subject)
               .last_update(_now() - timedelta(minutes=5)).next_update(ca.cert.not_valid_after_utc))
    for serial, when in sorted(revoked.items()):
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when).build())
    return builder.sign(ca.key, hashes.SHA256())


def crl_pem(lst: x509.CertificateRevocationList) -> bytes:
    return lst.public_bytes(serialization.Encoding.PEM)
