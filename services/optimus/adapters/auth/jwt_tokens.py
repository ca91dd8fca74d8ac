"""OIDC / JWT bearer tokens, checked with PyJWT against the issuer's JSON Web Key Set.

Roles come from the claim `optimus_roles`: a list of `ROLE:DATASET-GLOB`
(`["publisher:ml-*", "reader:*"]`); the principal's name is the `sub` claim.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import jwt

from optimus.domain.access import Grant, Principal
from optimus.domain.errors import OptimusError

ROLES_CLAIM = "optimus_roles"
NAME_CLAIM = "sub"
# Asymmetric algorithms only: a shared-secret HS256 key published in a JWKS would let anyone sign.
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"]


class InvalidJwt(Exception):
    """The token is not a valid JWT of this issuer and audience (the message says why)."""


@dataclass(frozen=True, slots=True)
class OidcSettings:
    issuer: str
    audience: str
    jwks: str  # a file path or an https:// URL of the issuer's key set


class JwtVerifier:
    def __init__(self, settings: OidcSettings) -> None:
        self._settings = settings
        if settings.jwks.startswith(("http://", "https://")):
            # Caches the key set and fetches it again for a key id it has not seen (key rotation).
            self._client: jwt.PyJWKClient | None = jwt.PyJWKClient(settings.jwks)
            self._keys: jwt.PyJWKSet | None = None
        else:
            self._client = None
            self._keys = jwt.PyJWKSet.from_json(Path(settings.jwks).read_text())

    def _key(self, token: str) -> jwt.PyJWK:
        if self._client is not None:
            return self._client.get_signing_key_from_jwt(token)
        assert self._keys is not None
        kid = jwt.get_unverified_header(token).get("kid")
        keys = self._keys.keys
        if kid is None and len(keys) == 1:
            return keys[0]
        for key in keys:
            if key.key_id == kid:
                return key
        raise InvalidJwt(f"no key {kid!r} in the issuer's key set")

    def principal(self, token: str) -> tuple[Principal, int]:
        """Who the token names and until when (epoch ms); InvalidJwt if it is not valid."""
        try:
            key = self._key(token)
            claims = jwt.decode(
                token,
                key,
                algorithms=ALGORITHMS,
                audience=self._settings.audience,
                issuer=self._settings.issuer,
                options={"require": ["exp", "iss", "aud", NAME_CLAIM]},
            )
        except (jwt.PyJWTError, ValueError) as exc:
            raise InvalidJwt(str(exc)) from None
        roles = claims.get(ROLES_CLAIM, [])
        if not isinstance(roles, list):
            raise InvalidJwt(f"claim {ROLES_CLAIM} must be a list of ROLE:DATASET-GLOB")
        try:
            grants = tuple(Grant.parse(str(role)) for role in roles)
        except OptimusError as exc:
            raise InvalidJwt(f"claim {ROLES_CLAIM}: {exc.message}") from None
        return Principal(str(claims[NAME_CLAIM]), grants), int(claims["exp"]) * 1000
