"""Time-based one-time passwords (RFC 6238, HMAC-SHA1, 6 digits, 30 s) and the sealing of their secrets.

Small enough to keep here rather than depend on a package: the RFC's own test vectors prove it
(tests/accounts/test_totp.py).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
from urllib.parse import quote, urlencode

STEP_SECONDS = 30
DIGITS = 6
# A code is accepted one step early or late: phone clocks drift and people type slowly.
DRIFT_STEPS = 1


def new_secret() -> bytes:
    return secrets.token_bytes(20)


def base32(secret: bytes) -> str:
    return base64.b32encode(secret).decode().rstrip("=")


def step_of(at: float) -> int:
    return int(at // STEP_SECONDS)


def code_for(secret: bytes, step: int, digits: int = DIGITS, digest=hashlib.sha1) -> str:
    mac = hmac.new(secret, struct.pack(">Q", step), digest).digest()
    offset = mac[-1] & 0x0F
    number = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**digits).zfill(digits)


def matching_step(secret: bytes, code: str, at: float) -> int | None:
    """The time step whose code this is, within the allowed drift, or None."""
    code = (code or "").strip().replace(" ", "")
    if len(code) != DIGITS or not code.isdigit():
        return None
    now = step_of(at)
    for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
        if hmac.compare_digest(code_for(secret, step), code):
            return step
    return None


def provisioning_uri(secret: bytes, account: str, issuer: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    label = quote(f"{issuer}:{account}")
    query = urlencode({"secret": base32(secret), "issuer": issuer, "digits": DIGITS, "period": STEP_SECONDS})
    return f"otpauth://totp/{label}?{query}"


# --- sealing --------------------------------------------------------------------------------------
# The secret is stored encrypted under a key that lives in the settings, not in the database:
# HMAC-SHA256 as a keystream (counter mode over a random nonce) and a separate HMAC-SHA256 tag over
# nonce and ciphertext (encrypt-then-MAC). Standard-library only; the secret is 20 bytes.

SEAL_VERSION = "v1"


def _keys(master: str) -> tuple[bytes, bytes]:
    root = hashlib.sha256(master.encode()).digest()
    return (
        hmac.new(root, b"chuishao totp encrypt", hashlib.sha256).digest(),
        hmac.new(root, b"chuishao totp authenticate", hashlib.sha256).digest(),
    )


def _keystream(key: bytes, nonce: bytes, length: int) -> bytes:
    out = b""
    counter = 0
    while len(out) < length:
        out += hmac.new(key, nonce + struct.pack(">I", counter), hashlib.sha256).digest()
        counter += 1
    return out[:length]


def seal(secret: bytes, master: str) -> str:
    enc, auth = _keys(master)
    nonce = secrets.token_bytes(16)
    body = bytes(a ^ b for a, b in zip(secret, _keystream(enc, nonce, len(secret)), strict=True))
    tag = hmac.new(auth, nonce + body, hashlib.sha256).digest()
    return f"{SEAL_VERSION}:" + base64.urlsafe_b64encode(nonce + body + tag).decode()


def unseal(sealed: str, master: str) -> bytes:
    """The secret; ValueError if it was sealed under another key or altered."""
    version, _, payload = sealed.partition(":")
    if version != SEAL_VERSION:
        raise ValueError("unknown seal")
    raw = base64.urlsafe_b64decode(payload.encode())
    nonce, body, tag = raw[:16], raw[16:-32], raw[-32:]
    enc, auth = _keys(master)
    if not hmac.compare_digest(tag, hmac.new(auth, nonce + body, hashlib.sha256).digest()):
        raise ValueError("the seal does not match this key")
    return bytes(a ^ b for a, b in zip(body, _keystream(enc, nonce, len(body)), strict=True))
