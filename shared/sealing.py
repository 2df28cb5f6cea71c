"""Sealing a citizen ID number to the hub, and the keys the hub gives persons instead of their ID numbers.

A station must hold nothing from which a full ID number can be read (a village Pi gets stolen).  Persons of the
roster travel to stations under a **person key** the hub derives from the ID number with a secret only the hub
holds (HMAC-SHA-256), so a key cannot be turned back into a number by trying every birth date.  A number typed
at a visit (a newborn, a new spouse) is **sealed** to the hub's public key at save, the way ODK's encrypted
forms work: an ephemeral X25519 key agreement, HKDF-SHA-256, and AES-256-GCM.  The station keeps only the
sealed text; only the hub's private key (in its data folder) opens it.

    sealed = "s1." || base64url(ephemeral public key (32) || nonce (12) || AES-GCM ciphertext and tag)
    key    = HKDF-SHA-256(X25519(ephemeral, hub), salt = ephemeral public || hub public, info = INFO)
"""

from __future__ import annotations

import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from shared.keys import b64decode, b64encode

SEALED_PREFIX = "s1."
SEALED_SHAPE = r"^s1\.[A-Za-z0-9_-]{80,400}$"
PERSON_KEY_SHAPE = r"^p[a-p]{32}$"
INFO = b"fieldsync sealed value v1"
PERSON_KEY_INFO = b"fieldsync person key v1"
NONCE_SIZE = 12
_LETTERS = str.maketrans("0123456789abcdef", "abcdefghijklmnop")


class SealError(ValueError):
    """A sealed value that is damaged or was sealed to another key."""


def raw_public(key: X25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_text(private_key: X25519PrivateKey) -> str:
    """The hub's public key as it travels to stations (base64url of the 32 raw bytes)."""
    return b64encode(raw_public(private_key.public_key()))


def _aead_key(shared: bytes, ephemeral_public: bytes, recipient_public: bytes) -> bytes:
    return HKDF(hashes.SHA256(), 32, ephemeral_public + recipient_public, INFO).derive(shared)


def seal(public_key_text: str, plaintext: str) -> str:
    """Seal ``plaintext`` to the hub's public key (base64url); only the hub can open it."""
    recipient = X25519PublicKey.from_public_bytes(b64decode(public_key_text))
    ephemeral = X25519PrivateKey.generate()
    ephemeral_public = raw_public(ephemeral.public_key())
    key = _aead_key(ephemeral.exchange(recipient), ephemeral_public, raw_public(recipient))
    nonce = os.urandom(NONCE_SIZE)
    sealed = AESGCM(key).encrypt(nonce, plaintext.encode(), ephemeral_public)
    return SEALED_PREFIX + b64encode(ephemeral_public + nonce + sealed)


def open_sealed(private_key: X25519PrivateKey, sealed: str) -> str:
    """The plaintext of a value sealed to ``private_key``'s public half; SealError if it cannot be opened."""
    if not sealed.startswith(SEALED_PREFIX):
        raise SealError("not a sealed value")
    try:
        raw = b64decode(sealed[len(SEALED_PREFIX):])
        ephemeral_public, nonce, ciphertext = raw[:32], raw[32:32 + NONCE_SIZE], raw[32 + NONCE_SIZE:]
        shared = private_key.exchange(X25519PublicKey.from_public_bytes(ephemeral_public))
        key = _aead_key(shared, ephemeral_public, raw_public(private_key.public_key()))
        return AESGCM(key).decrypt(nonce, ciphertext, ephemeral_public).decode()
    except (ValueError, InvalidTag, UnicodeDecodeError) as exc:
        raise SealError("the sealed value cannot be opened with this key") from exc


def person_key_secret(private_key: X25519PrivateKey) -> bytes:
    """The HMAC secret for person keys, derived from the hub's sealing key (one secret file to keep and back up)."""
    raw = private_key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                    serialization.NoEncryption())
    return HKDF(hashes.SHA256(), 32, None, PERSON_KEY_INFO).derive(raw)


def is_person_key(value: str) -> bool:
    """Whether ``value`` has the shape of a person key (format 2) rather than of an ID number (format 1)."""
    return len(value) == 33 and value.startswith("p") and value[1:].isalpha()


def person_key(secret: bytes, id_number: str) -> str:
    """The key a station knows a person by: 'p' and 32 letters (no digits, so never mistaken for a number)."""
    digest = hmac.new(secret, id_number.encode(), hashlib.sha256).hexdigest()[:32]
    return "p" + digest.translate(_LETTERS)
