"""Shared helpers for the Asleep tests: an app per test, a thin API client, chunks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.asleep.entities import Session
from emulator.asleep.state import state_of
from emulator.core.runtime import Runtime
from emulator.settings import AsleepSettings, Settings, WebhookSettings
from tests.support.wavs import mel_npy, silent_wav

START = "2025-01-15T02:50:29Z"
KEY = "team-a"


MEL = mel_npy()  # a tiny valid MELSPECTROGRAM chunk: a 2-D float32 .npy array
wav_chunk = silent_wav  # a silent 16-bit mono WAV of ``seconds``


def settings_for(
    tmp_path: Path | None = None,
    *,
    plans: dict[str, dict[str, Any]] | None = None,
    denied: dict[str, str] | None = None,
    **asleep: Any,
) -> Settings:
    """Settings with a frozen clock, optional per-key plans and Asleep overrides."""
    config = None
    if plans is not None or denied is not None:
        assert tmp_path is not None
        keys: dict[str, Any] = {}
        for key, plan in (plans or {}).items():
            keys[key] = {"asleep_plan": plan}
        for key, reason in (denied or {}).items():
            keys[key] = {"asleep": False, "asleep_denied": reason}
        path = tmp_path / "tenants.json"
        path.write_text(json.dumps({"keys": keys}))
        config = str(path)
    return Settings(
        seed=7,
        clock_start=START,
        clock_frozen=True,
        config=config,
        asleep=AsleepSettings(**asleep),
        # Receivers here refuse or are gone at teardown: a delivery still retrying then is
        # not worth the default 5 s of grace per test.
        webhooks=WebhookSettings(shutdown_grace_seconds=0.2),
    )


class Api:
    """The Asleep API as a test sees it: one API key, helpers per endpoint."""

    def __init__(self, client: TestClient, key: str = KEY) -> None:
        self.client = client
        self.key = key

    @property
    def runtime(self) -> Runtime:
        found: Runtime = self.client.app.state.runtime  # type: ignore[attr-defined]
        return found

    def stored(self, session_id: str) -> Session:
        """The session row as the emulator keeps it."""
        found = state_of(self.runtime.store.namespace(self.key)).sessions.get(session_id)
        assert found is not None
        return found

    def headers(self, user_id: str | None = None, **extra: str) -> dict[str, str]:
        found = {"x-api-key": self.key, **extra}
        if user_id is not None:
            found["x-user-id"] = user_id
        return found

    def user(self, metadata: dict[str, Any] | None = None) -> str:
        body = None if metadata is None else {"metadata": metadata}
        r = self.client.post("/ai/v1/users", headers=self.headers(), json=body)
        assert r.status_code == 201, r.text
        user_id: str = r.json()["result"]["user_id"]
        return user_id

    def session(self, user_id: str, **body: Any) -> str:
        tz = body.pop("tz", None)
        headers = self.headers(user_id) if tz is None else self.headers(user_id, timezone=tz)
        r = self.client.post("/ai/v1/sessions", headers=headers, json=body or None)
        assert r.status_code == 201, r.text
        session_id: str = r.json()["result"]["session_id"]
        return session_id

    def upload(self, user_id: str, session_id: str, seq_num: int | str, data: bytes = MEL) -> Any:
        return self.client.post(
            f"/ai/v1/sessions/{session_id}/upload",
            headers=self.headers(user_id),
            data={"seq_num": str(seq_num)},
            files={"file": ("chunk.npy", data, "application/octet-stream")},
        )

    def uploads(self, user_id: str, session_id: str, seqs: Any) -> None:
        for seq in seqs:
            r = self.upload(user_id, session_id, seq)
            assert r.status_code == 200, r.text

    def close(self, user_id: str, session_id: str, **body: Any) -> Any:
        return self.client.post(
            f"/ai/v1/sessions/{session_id}/close",
            headers=self.headers(user_id),
            json=body or None,
        )

    def get(self, user_id: str, session_id: str, version: int = 3, **headers: str) -> Any:
        return self.client.get(
            f"/data/v{version}/sessions/{session_id}", headers=self.headers(user_id, **headers)
        )

    def result(self, user_id: str, session_id: str, version: int = 3, **headers: str) -> Any:
        r = self.get(user_id, session_id, version, **headers)
        assert r.status_code == 200, r.text
        return r.json()["result"]

    def night(self, user_id: str, seqs: Any, **body: Any) -> str:
        """Create a session, upload ``seqs``, close it; the session id."""
        session_id = self.session(user_id, **body)
        self.uploads(user_id, session_id, seqs)
        r = self.close(user_id, session_id)
        assert r.status_code == 200, r.text
        return session_id

    def control(self, method: str, path: str, body: Any = None) -> Any:
        return self.client.request(
            method, f"/_emulator/asleep{path}", headers={"x-api-key": self.key}, json=body
        )


@pytest.fixture
def make_api(tmp_path: Path) -> Iterator[Any]:
    """``make_api(key=..., plans=..., **asleep_settings) -> Api`` on a fresh app."""
    clients: list[TestClient] = []

    def make(key: str = KEY, **kwargs: Any) -> Api:
        client = TestClient(
            create_app(settings_for(tmp_path, **kwargs)), raise_server_exceptions=True
        )
        client.__enter__()
        clients.append(client)
        return Api(client, key)

    yield make
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def api(make_api: Any) -> Api:
    found: Api = make_api()
    return found
