"""A real HTTP proxy in front of a real server that fails some requests on purpose.

It forwards every request to the upstream Optimus server, except where
`fault(number, method, path)` says otherwise:
- "503" or "429": answer that status without forwarding (nothing was written);
- "drop": forward, then close the connection without answering (the write
  happened, the acknowledgement is lost: the client must retry, harmlessly);
- "refuse": answer 400 with an API-shaped error (a permanent refusal);
- a float: wait that many seconds, then forward.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

from tests.support.ports import free_port

Fault = str | float | None
FaultPlan = Callable[[int, str, str], Fault]

_HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


class FlakyProxy:
    def __init__(self, upstream: str, fault: FaultPlan) -> None:
        """`upstream`: the server's origin, e.g. http://127.0.0.1:8888."""
        self.upstream = upstream.rstrip("/")
        self.fault = fault
        self.injected: Counter[str] = Counter()
        self.requests = 0
        self._lock = threading.Lock()
        self._http = httpx.Client(timeout=60)
        self._server = ThreadingHTTPServer(("127.0.0.1", free_port()), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> FlakyProxy:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._http.close()

    def _decide(self, method: str, path: str) -> Fault:
        with self._lock:
            self.requests += 1
            number = self.requests
        fault = self.fault(number, method, path)
        if fault is not None:
            with self._lock:
                self.injected[str(fault) if isinstance(fault, str) else "delay"] += 1
        return fault

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_: object) -> None:
                pass

            def _forward(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                fault = proxy._decide(self.command, self.path)
                if fault in ("503", "429"):
                    return self._answer(int(fault), b'{"status":"error","message":"injected"}')
                if fault == "refuse":
                    refusal = b'{"status":"error","message":"refused by policy","code":"policy"}'
                    return self._answer(400, refusal)
                if isinstance(fault, float):
                    time.sleep(fault)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_HEADERS}
                upstream = proxy._http.request(
                    self.command, proxy.upstream + self.path, content=body, headers=headers
                )
                if fault == "drop":
                    self.close_connection = True
                    return None
                extra = {k: v for k, v in upstream.headers.items() if k.lower() not in _HOP_HEADERS}
                return self._answer(upstream.status_code, upstream.content, extra)

            def _answer(self, status: int, body: bytes, headers: dict | None = None) -> None:
                self.send_response(status)
                for name, value in (headers or {"content-type": "application/json"}).items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _forward

        return Handler
