"""Throwaway keys and certificates for tests, generated with ``cryptography`` at test time.

Why generate instead of committing PEM files: committed keys expire, get copied into
real configurations, and hide what a test depends on (self-signed or CA-issued, valid or
expired). Keys are cached per ``key_id`` because RSA key generation dominates test time.

Usage::

    key_pem, cert_pem = make_identity("Văn phòng Chính phủ")          # self-signed
    root = make_ca("Test Root CA")
    sub = make_ca("Test Sub CA", issuer=root)
    key_pem, cert_pem = make_identity("UBND Tỉnh Nghệ An", issuer=sub)  # root -> sub -> leaf
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import NamedTuple

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

__all__ = ["Identity", "make_identity", "make_ca", "chain_pem"]


class Identity(NamedTuple):
    """A private key and its certificate, both PEM; unpacks as ``key_pem, cert_pem``."""

    key_pem: bytes
    cert_pem: bytes


@cache
def _rsa_key(key_id: str, key_size: int) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=key_size)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _name(common_name: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "edxml-gateway tests"),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ])


def _key_pem(key: rsa.RSAPrivateKey, password: bytes | None) -> bytes:
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(password) if password
        else serialization.NoEncryption()
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


def _build(
    common_name: str,
    key: rsa.RSAPrivateKey,
    issuer: Identity | None,
    *,
    is_ca: bool,
    not_before: dt.datetime | None,
    not_after: dt.datetime | None,
) -> x509.Certificate:
    now = _now()
    if issuer is None:
        issuer_key, issuer_name = key, _name(common_name)
    else:
        issuer_key = serialization.load_pem_private_key(issuer.key_pem, password=None)
        issuer_name = x509.load_pem_x509_certificate(issuer.cert_pem).subject
    usage = dict.fromkeys(
        ("digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
         "key_agreement", "key_cert_sign", "crl_sign", "encipher_only", "decipher_only"),
        False,
    )
    usage.update(key_cert_sign=is_ca, crl_sign=is_ca,
                 digital_signature=not is_ca, content_commitment=not is_ca)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now - dt.timedelta(days=1))
        .not_valid_after(not_after or now + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(**usage), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    )
    return builder.sign(issuer_key, hashes.SHA256())


def make_identity(
    common_name: str,
    *,
    issuer: Identity | None = None,
    password: bytes | None = None,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
    key_id: str | None = None,
    key_size: int = 2048,
) -> Identity:
    """A signing identity: self-signed when ``issuer`` is None, else issued by that CA.

    ``password`` encrypts the returned key PEM. ``key_id`` (default: the common name)
    selects the cached key, so two identities may share or not share a key on purpose.
    """
    key = _rsa_key(key_id or common_name, key_size)
    cert = _build(common_name, key, issuer, is_ca=False,
                  not_before=not_before, not_after=not_after)
    return Identity(_key_pem(key, password), cert.public_bytes(serialization.Encoding.PEM))


def make_ca(common_name: str, *, issuer: Identity | None = None, key_size: int = 2048) -> Identity:
    """A certificate authority: a root when ``issuer`` is None, else an intermediate."""
    key = _rsa_key(common_name, key_size)
    cert = _build(common_name, key, issuer, is_ca=True, not_before=None, not_after=None)
    return Identity(_key_pem(key, None), cert.public_bytes(serialization.Encoding.PEM))


def chain_pem(*identities: Identity) -> bytes:
    """Concatenate certificates (leaf first) into one PEM, as a signer hands them over."""
    return b"".join(identity.cert_pem for identity in identities)
