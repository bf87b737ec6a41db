"""The one-time codes follow RFC 6238 and their secrets are sealed at rest."""

from __future__ import annotations

import hashlib

import pytest

from chuishao.security import totp

RFC_SECRET = b"12345678901234567890"


@pytest.mark.parametrize(
    ("at", "code"),
    [
        (59, "94287082"),
        (1111111109, "07081804"),
        (1111111111, "14050471"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
        (20000000000, "65353130"),
    ],
)
def test_codes_match_the_rfc_6238_vectors(at, code):
    assert totp.code_for(RFC_SECRET, totp.step_of(at), digits=8, digest=hashlib.sha1) == code


def test_a_code_is_accepted_one_step_either_side_and_no_further():
    secret = totp.new_secret()
    now = 1_800_000_000.0
    step = totp.step_of(now)
    for offset in (-1, 0, 1):
        assert totp.matching_step(secret, totp.code_for(secret, step + offset), now) == step + offset
    assert totp.matching_step(secret, totp.code_for(secret, step + 2), now) is None
    assert totp.matching_step(secret, "12345", now) is None
    assert totp.matching_step(secret, "abcdef", now) is None


def test_the_sealed_secret_needs_the_key_and_refuses_tampering():
    secret = totp.new_secret()
    sealed = totp.seal(secret, "key one")
    assert secret.hex() not in sealed and totp.base32(secret) not in sealed
    assert totp.unseal(sealed, "key one") == secret
    assert totp.seal(secret, "key one") != sealed  # a fresh nonce each time
    with pytest.raises(ValueError, match="key"):
        totp.unseal(sealed, "key two")
    head, _, body = sealed.partition(":")
    flipped = body[:10] + ("A" if body[10] != "A" else "B") + body[11:]
    with pytest.raises(ValueError, match="key"):
        totp.unseal(f"{head}:{flipped}", "key one")


def test_the_provisioning_address_names_issuer_account_and_secret():
    uri = totp.provisioning_uri(RFC_SECRET, "clerk", "Chuishao")
    assert uri.startswith("otpauth://totp/Chuishao%3Aclerk?")
    assert f"secret={totp.base32(RFC_SECRET)}" in uri and "issuer=Chuishao" in uri
