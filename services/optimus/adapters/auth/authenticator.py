"""Bearer token -> principal, verified once and then remembered for a bounded time.

Checking a JWT's signature costs tens of microseconds, a single-key read
about as much: each token's verdict is cached (until the sooner of its expiry
and `verdict_ttl_s`), so a steady reader pays one dict lookup per request.
The tokens file is looked at again at most every `reload_interval_s`; when it
has changed, it is read again and every cached verdict is dropped, so a
revoked token stops working within that interval.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

from optimus.adapters.auth.jwt_tokens import InvalidJwt, JwtVerifier
from optimus.adapters.auth.token_file import TOKEN_PREFIX, TokenFile
from optimus.domain.access import Principal
from optimus.domain.errors import Unauthenticated

log = logging.getLogger(__name__)

_MAX_CACHED = 10_000


@dataclass(frozen=True, slots=True)
class CacheSettings:
    verdict_ttl_s: float = 10.0
    reload_interval_s: float = 1.0


class Authenticator:
    def __init__(
        self,
        token_file: Path | None,
        jwt_verifier: JwtVerifier | None,
        settings: CacheSettings = CacheSettings(),
    ) -> None:
        if token_file is None and jwt_verifier is None:
            raise ValueError("an Authenticator needs a tokens file, an OIDC issuer or both")
        self._path = token_file
        self._jwt = jwt_verifier
        self._settings = settings
        self._tokens = TokenFile()
        self._file_stamp: tuple[int, int, int] | None = None
        self._next_file_check = 0.0
        self._verdicts: dict[str | bytes | None, tuple[Principal, float]] = {}
        if token_file is not None:
            self._reload_if_changed(time.monotonic())

    def principal(self, authorization: str | bytes | None) -> Principal:
        """The principal of an `Authorization: Bearer …` header value; Unauthenticated if none.

        The header is looked up as it came (raw bytes from HTTP, text from gRPC): a steady
        caller's request is answered from the cache before anything is decoded or parsed.
        """
        now = time.monotonic()
        if now >= self._next_file_check and self._path is not None:
            self._reload_if_changed(now)
        cached = self._verdicts.get(authorization)
        if cached is not None and cached[1] > now:
            return cached[0]
        if not authorization:
            raise Unauthenticated("this request needs an Authorization: Bearer <token> header")
        text = authorization if isinstance(authorization, str) else authorization.decode("latin-1")
        scheme, _, token = text.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthenticated("the Authorization header must be 'Bearer <token>'")
        principal, expires_at_ms = self._verify(token.strip())
        until = now + self._settings.verdict_ttl_s
        if expires_at_ms is not None:
            until = min(until, now + (expires_at_ms / 1000 - time.time()))
        if len(self._verdicts) >= _MAX_CACHED:
            self._verdicts.clear()
        self._verdicts[authorization] = (principal, until)
        return principal

    def _verify(self, token: str) -> tuple[Principal, int | None]:
        if token.startswith(TOKEN_PREFIX):
            found = self._tokens.principal(token, time.time_ns() // 1_000_000)
            if found is None:
                raise Unauthenticated("the token is unknown, revoked or expired")
            return found
        if self._jwt is None:
            raise Unauthenticated("the token is not an Optimus API token")
        try:
            return self._jwt.principal(token)
        except InvalidJwt as exc:
            raise Unauthenticated(f"the token is not valid: {exc}") from None

    def _reload_if_changed(self, now: float) -> None:
        assert self._path is not None
        self._next_file_check = now + self._settings.reload_interval_s
        try:
            info = os.stat(self._path)
            stamp = (info.st_mtime_ns, info.st_size, info.st_ino)
        except FileNotFoundError:
            stamp = None
        if stamp == self._file_stamp:
            return
        try:
            self._tokens = TokenFile.read(self._path)
        except Exception as exc:  # a file edited by hand: keep serving with the last good one
            log.error("cannot read tokens file %s (kept the previous one): %s", self._path, exc)
            return
        self._file_stamp = stamp
        self._verdicts.clear()
        log.info("tokens file %s: %d tokens", self._path, len(self._tokens.tokens))
