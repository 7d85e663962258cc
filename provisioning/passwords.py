"""Mosquitto 2.0 password hashes (`$7$`: PBKDF2-HMAC-SHA512, 101 iterations, 12-byte salt), made in Python."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets

ITERATIONS = 101  # what mosquitto_passwd 2.0 writes
SALT_BYTES = 12


def new_password() -> str:
    """A random password for a device (192 bits, URL-safe characters)."""
    return secrets.token_urlsafe(24)


def hash_password(password: str, *, salt: bytes | None = None, iterations: int = ITERATIONS) -> str:
    """The hash as it stands after `user:` in a Mosquitto 2.0 password_file."""
    salt = os.urandom(SALT_BYTES) if salt is None else salt
    digest = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, iterations)
    return f"$7${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def verify_password(password: str, encoded: str) -> bool:
    """Whether `encoded` (a `$7$` hash) is the hash of `password`; False for anything unreadable."""
    parts = encoded.split("$")
    if len(parts) != 5 or parts[0] != "" or parts[1] != "7":
        return False
    try:
        iterations = int(parts[2])
        salt = base64.b64decode(parts[3], validate=True)
        want = base64.b64decode(parts[4], validate=True)
    except ValueError:
        return False
    got = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, iterations)
    return hmac.compare_digest(got, want)


def parse_password_file(text: str) -> dict[str, str]:
    """user → hash from a password_file's text (blank lines and comments skipped)."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or ":" not in line:
            continue
        user, encoded = line.split(":", 1)
        out[user] = encoded
    return out


def render_password_file(hashes: dict[str, str]) -> str:
    return "".join(f"{user}:{encoded}\n" for user, encoded in hashes.items())
