"""Oversized and stalled requests: refused early, in the vendor's shape, at no memory cost.

* A body declared as 1 GB (``Content-Length: 1073741824``) and streamed: the 413
  arrives before a few MB have left the client, and the server's RSS barely moves.
* A chunked body (no length) that never ends: cut off at the vendor's cap (Asleep 16
  MB, asleep-api.md §2.4; Kintsugi 128 MB) with a 413 while it streams.
* A client that sends its headers and then stalls mid-body: a 408 once
  ``body_timeout_seconds`` passes, while every other client keeps being served.

Raw sockets, because an HTTP client library would send the body before reading.
The socket timeouts below only stop a hung test; nothing here asserts on speed.
"""

from __future__ import annotations

import select
import socket
import time
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from emulator.bench import flows
from tests.reliability.conftest import Launch, Live, mb
from tests.support.rawhttp import chunk, head, read_answer

pytestmark = [pytest.mark.reliability, pytest.mark.e2e]

GB = 1 << 30
MB = 1 << 20
BOUNDARY = "reliability-boundary"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"
FILE_PART = (
    f"--{BOUNDARY}\r\n"
    'Content-Disposition: form-data; name="file"; filename="huge.wav"\r\n'
    "Content-Type: application/octet-stream\r\n\r\n"
).encode()
# What may have left the client before it sees the answer: the socket buffers on
# both sides of the loopback connection (a few MB on Linux) plus one read.
IN_FLIGHT = 8 * MB
# RSS may move by the parser's buffers and the allocator's arenas, not by the body.
RSS_SLACK = 24 * MB


@dataclass
class Answer:
    status: int
    body: Any
    sent: int
    rss_before: int
    rss_peak: int
    rss_after: int

    def figures(self) -> str:
        return (
            f"{self.status} after {mb(self.sent)} sent; RSS {mb(self.rss_before)} -> "
            f"peak {mb(self.rss_peak)} -> {mb(self.rss_after)}"
        )


def _read_answer(sock: socket.socket) -> tuple[int, Any]:
    status, _, body = read_answer(sock)
    return status, body


def stream_until_answer(
    live: Live, path: str, headers: dict[str, str], *, declared: int | None
) -> Answer:
    """Send the head, then body bytes as fast as the server takes them, until it
    answers (or 2 GB have gone, which fails the test)."""
    rss_before = rss_peak = live.rss()
    sock = socket.create_connection(("127.0.0.1", live.port))
    try:
        framing = (
            {"Content-Length": str(declared)}
            if declared is not None
            else {"Transfer-Encoding": "chunked"}
        )
        sock.sendall(head(path, {**headers, "Content-Type": MULTIPART, **framing}))
        sock.sendall(FILE_PART if declared is not None else chunk(FILE_PART))
        block = bytes(256 * 1024)
        piece = block if declared is not None else chunk(block)
        sock.setblocking(False)
        sent = 0
        deadline = time.monotonic() + 120  # hang guard
        while sent < 2 * GB and time.monotonic() < deadline:
            readable, writable, _ = select.select([sock], [sock], [], 10)
            if readable:
                break
            if writable:
                try:
                    sent += sock.send(piece)
                except (BrokenPipeError, ConnectionResetError):
                    break
                if sent % (8 * MB) < len(piece):
                    rss_peak = max(rss_peak, live.rss())
        status, body = _read_answer(sock)
    finally:
        sock.close()
    rss_after = live.rss()
    return Answer(status, body, sent, rss_before, max(rss_peak, rss_after), rss_after)


def _asleep_upload(live: Live) -> tuple[str, dict[str, str]]:
    with flows.client(live.base_url) as http:
        user = flows.new_user(http)
        session_id = flows.new_session(http, user, start=flows.NIGHT_START)
    headers = {"x-api-key": flows.API_KEY, "x-user-id": user}
    return f"/ai/v1/sessions/{session_id}/upload", headers


def test_one_gigabyte_declared_is_refused_before_it_is_sent(launch: Launch) -> None:
    live = launch()
    upload, asleep_headers = _asleep_upload(live)
    kintsugi = {"x-api-key": "reliability"}
    cases = [
        (upload, asleep_headers, {"detail": "HTTP length exceeded 16777216 bytes"}),
        ("/v1/predict/server/depression/binary", kintsugi, {"error": "request_entity_too_large"}),
        ("/v2/prediction/", kintsugi, {"message": "request_entity_too_large"}),
    ]
    for path, headers, body in cases:
        answer = stream_until_answer(live, path, headers, declared=GB)
        print(f"\n1 GB declared, {path}: {answer.figures()}")
        assert (answer.status, answer.body) == (413, body)
        assert answer.sent < IN_FLIGHT
        assert answer.rss_peak - answer.rss_before < RSS_SLACK
    assert live.crashes() == []


def test_endless_chunked_body_is_cut_at_the_cap(launch: Launch) -> None:
    live = launch()
    upload, asleep_headers = _asleep_upload(live)
    kintsugi = {"x-api-key": "reliability"}
    cases = [
        (upload, asleep_headers, 16 * MB, {"detail": "HTTP length exceeded 16777216 bytes"}),
        ("/v2/prediction/", kintsugi, 128 * MB, {"message": "request_entity_too_large"}),
    ]
    for path, headers, cap, body in cases:
        answer = stream_until_answer(live, path, headers, declared=None)
        print(f"\nchunked, no length, {path}: {answer.figures()}")
        assert (answer.status, answer.body) == (413, body)
        assert cap <= answer.sent < cap + IN_FLIGHT
        assert answer.rss_peak - answer.rss_before < RSS_SLACK
    assert live.crashes() == []


BODY_TIMEOUT = 2.0


def test_stalled_body_gets_408_while_others_are_served(launch: Launch) -> None:
    live = launch(f"body_timeout_seconds={BODY_TIMEOUT}")
    upload, asleep_headers = _asleep_upload(live)
    stalled: list[tuple[socket.socket, dict[str, Any]]] = []
    expected = [
        (upload, asleep_headers, {"detail": "Request Timeout"}),
        (
            "/v1/predict/server/depression/binary",
            {"x-api-key": "reliability"},
            {"error": "request_timeout"},
        ),
        ("/v2/prediction/", {"x-api-key": "reliability"}, {"message": "request_timeout"}),
    ]
    for path, headers, body in expected:
        sock = socket.create_connection(("127.0.0.1", live.port))
        framing = {**headers, "Content-Type": MULTIPART, "Content-Length": str(MB)}
        sock.sendall(head(path, framing) + FILE_PART + bytes(1000))  # ...and nothing more
        stalled.append((sock, body))
    started = time.monotonic()
    served = 0
    with httpx.Client(base_url=live.base_url, timeout=10) as others:
        while time.monotonic() - started < BODY_TIMEOUT * 1.5:
            assert others.get("/_emulator/health").status_code == 200
            served += 1
    answers = []
    for sock, body in stalled:
        try:
            answers.append((_read_answer(sock), body))
        finally:
            sock.close()
    print(
        f"\nstalled bodies: {len(stalled)} answered "
        f"{[a[0] for a, _ in answers]} (timeout {BODY_TIMEOUT} s); "
        f"{served} other requests served meanwhile"
    )
    assert [a for a, _ in answers] == [(408, body) for _, body in answers]
    assert served > 0
    assert live.crashes() == []


def test_clients_stalled_mid_headers_do_not_block_others(launch: Launch) -> None:
    """Half-sent request heads hold only their own connections: the server is one
    event loop, so everyone else keeps being served. (uvicorn has no timeout for a
    head that never completes; such a connection lasts until its client goes away.)"""
    live = launch()
    stalled = []
    try:
        for n in range(100):
            sock = socket.create_connection(("127.0.0.1", live.port))
            partial = (
                b"POST /v2/prediction/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Api-Key: k"
                if n % 2
                else b""
            )
            sock.sendall(partial)
            stalled.append(sock)
        with httpx.Client(base_url=live.base_url, timeout=10) as others:
            statuses = [others.get("/_emulator/health").status_code for _ in range(200)]
            with flows.client(live.base_url) as http:
                user = flows.new_user(http)
        print(
            f"\n{len(stalled)} stalled connections; {len(statuses)} other requests: "
            f"{sorted(set(statuses))}; Asleep user created: {bool(user)}"
        )
        assert statuses == [200] * 200
    finally:
        for sock in stalled:
            sock.close()
    assert live.alive()
