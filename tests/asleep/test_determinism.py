"""The same seed and requests give byte-identical responses across two server runs."""

from __future__ import annotations

import httpx
import pytest

from emulator.testing import EmulatorServer
from tests.asleep.conftest import MEL, settings_for

pytestmark = pytest.mark.e2e


def _replay(base_url: str, n_users: int = 3, nights: int = 2) -> list[tuple[str, int, bytes]]:
    """A scripted client session; every response as (request, status, body)."""
    out: list[tuple[str, int, bytes]] = []
    with httpx.Client(base_url=base_url) as http:

        def call(method: str, path: str, **kwargs: object) -> httpx.Response:
            r = http.request(method, path, **kwargs)  # type: ignore[arg-type]
            out.append((f"{method} {path}", r.status_code, r.content))
            return r

        key = {"x-api-key": "determinism"}
        users = [
            call(
                "POST", "/ai/v1/users", headers=key, json={"metadata": {"gender": "other"}}
            ).json()["result"]["user_id"]
            for _ in range(n_users)
        ]
        call(
            "PUT",
            f"/_emulator/asleep/users/{users[-1]}/profile",
            headers=key,
            json={"profile": "severe_unstable_breathing"},
        )
        for n, user in enumerate(users):
            headers = {**key, "x-user-id": user}
            for night in range(nights):
                start = f"2025-01-1{night}T2{n}:15:00Z"
                session = call(
                    "POST",
                    "/ai/v1/sessions",
                    headers={**headers, "timezone": "Europe/Paris"},
                    json={"start_time": start},
                ).json()["result"]["session_id"]
                for seq in range(200 + 37 * n):
                    if seq % 17 == 5 and night:  # some gaps
                        continue
                    call(
                        "POST",
                        f"/ai/v1/sessions/{session}/upload",
                        headers=headers,
                        data={"seq_num": str(seq)},
                        files={"file": ("m.npy", MEL)},
                    )
                    if seq in (45, 120):
                        call("GET", f"/data/v3/sessions/{session}", headers=headers)
                body = {"unexpected": 1} if n == 2 else None
                call("POST", f"/ai/v1/sessions/{session}/close", headers=headers, json=body)
                for zone in ("UTC", "Asia/Seoul", "America/Los_Angeles"):
                    call(
                        "GET", f"/data/v3/sessions/{session}", headers={**headers, "timezone": zone}
                    )
                call("GET", f"/data/v2/sessions/{session}", headers=headers)
            call("GET", "/data/v1/sessions", headers=headers, params={"order_by": "ASC"})
            call("GET", f"/ai/v1/users/{user}", headers=key)
            call(
                "GET",
                f"/data/v1/users/{user}/average-stats",
                headers=key,
                params={"start_date": "2025-01-01", "end_date": "2025-01-31"},
            )
            call("GET", "/data/v1/sessions", headers=headers, params={"limit": "500"})
    return out


def test_two_runs_are_byte_identical() -> None:
    runs = []
    for _ in range(2):
        with EmulatorServer(settings_for(), seed=1234) as server:
            runs.append(_replay(server.base_url))
    first, second = runs
    assert len(first) == len(second) > 1000
    for a, b in zip(first, second, strict=True):
        assert a == b
    assert {status for _, status, _ in first} == {200, 201, 422}


def test_another_seed_gives_other_nights() -> None:
    bodies = []
    for seed in (1, 2):
        with EmulatorServer(settings_for(), seed=seed) as server:
            bodies.append([body for _, _, body in _replay(server.base_url, 1, 1)])
    assert bodies[0] != bodies[1]
