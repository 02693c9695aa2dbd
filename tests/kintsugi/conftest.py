"""Shared fixtures: by default the voice threshold is off (min_voice_seconds=0), so any
valid WAV passes and tests stay fast; modules that test the guardrail itself override
``emulator_settings`` with the defaults."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from emulator.app import create_app
from emulator.settings import KintsugiSettings, Settings
from tests.support.wavs import noise_wav

KEY = "test-key"
AUTH = {"X-API-Key": KEY}
# Only with a tenant config (`keyed` below) is a key "wrong"; without one any key works.
UNENTITLED = "asleep-only-key"
TENANTS_TOML = f"""
[keys."{KEY}"]

[keys."{UNENTITLED}"]
kintsugi = false
"""


def settings(*, config: str | None = None, voice: float = 0.0, **kintsugi: object) -> Settings:
    """Settings with the voice threshold at ``voice`` seconds plus Kintsugi overrides."""
    base = KintsugiSettings(min_voice_seconds=voice)
    return Settings(
        config=config,
        kintsugi=dataclasses.replace(base, **kintsugi),  # type: ignore[arg-type]
    )


@pytest.fixture(scope="session")
def tenant_config(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("kintsugi") / "tenants.toml"
    path.write_text(TENANTS_TOML, encoding="utf-8")
    return str(path)


@pytest.fixture
def keyed_client(tenant_config: str) -> Iterator[TestClient]:
    """An in-process client of an emulator that knows only KEY and UNENTITLED."""
    with TestClient(create_app(settings(config=tenant_config))) as client:
        yield client


def client_for(s: Settings) -> TestClient:
    return TestClient(create_app(s), raise_server_exceptions=False)


@pytest.fixture
def emulator_settings() -> Settings:
    return settings()


def initiate(client: TestClient, user_id: str = "user-1", **extra: object) -> str:
    r = client.post(
        "/v2/initiate", headers=AUTH, json={"is_initiated": True, "user_id": user_id, **extra}
    )
    assert r.status_code == 201, r.text
    sid: str = r.json()["session_id"]
    return sid


def submit(
    client: TestClient,
    session_id: str,
    audio: bytes | None = None,
    path: str = "/v2/prediction/",
) -> dict[str, object]:
    r = client.post(
        path,
        headers=AUTH,
        data={"session_id": session_id},
        files={"file": ("sample.wav", audio if audio is not None else noise_wav())},
    )
    assert r.status_code == 202, r.text
    body: dict[str, object] = r.json()
    return body


def record(client: TestClient, session_id: str) -> dict[str, object]:
    r = client.get(f"/v2/predict/sessions/{session_id}", headers=AUTH)
    assert r.status_code == 200, r.text
    body: dict[str, object] = r.json()
    return body


def finished(client: TestClient, session_id: str, limit: int = 10) -> dict[str, object]:
    """Poll until the record is no longer `processing`."""
    for _ in range(limit):
        body = record(client, session_id)
        if body["status"] != "processing":
            return body
    raise AssertionError(f"{session_id} still processing after {limit} polls")
