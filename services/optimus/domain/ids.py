"""Version ids: 25 random base-36 characters (~129 bits), the shape trainline Optimus used."""

from __future__ import annotations

import secrets

_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
VERSION_ID_LENGTH = 25


def new_version_id() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(VERSION_ID_LENGTH))
