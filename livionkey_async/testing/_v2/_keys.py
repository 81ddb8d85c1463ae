"""RSA key pairs for simulated service accounts, made on demand and never stored on disk.

Making a 2048-bit key takes a moment, so the demo account's key is made once per process and
shared by every simulator that does not bring its own. It is a test key: it signs requests to a
simulator on loopback and nothing else.
"""

from __future__ import annotations

import functools

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

__all__ = ["demo_private_key_pem", "new_private_key_pem", "public_key_of"]


def new_private_key_pem() -> str:
    """A fresh RSA key, PEM in the PKCS#1 form Livion hands out (``BEGIN RSA PRIVATE KEY``)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode("ascii")


@functools.cache
def demo_private_key_pem() -> str:
    """The demo service account's key: one per process."""
    return new_private_key_pem()


def public_key_of(private_key_pem: str) -> rsa.RSAPublicKey:
    key = serialization.load_pem_private_key(private_key_pem.encode("ascii"), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("a service account's key must be an RSA key")
    return key.public_key()
