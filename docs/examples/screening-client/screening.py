"""The code under test: a small service that screens a patient's voice with Kintsugi Voice v2."""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx


class ScreeningFailed(Exception):
    """Kintsugi could not score the recording (the code says why)."""


@dataclass
class Result:
    depression: str
    anxiety: str


class Screening:
    def __init__(self, base_url: str, api_key: str, *, poll_every: float = 0.2) -> None:
        self.http = httpx.Client(base_url=f"{base_url}/v2", headers={"X-API-Key": api_key})
        self.poll_every = poll_every

    def close(self) -> None:
        self.http.close()

    def screen(self, user_id: str, wav: bytes, *, polls: int = 50) -> Result:
        initiated = self.http.post("/initiate", json={"user_id": user_id, "is_initiated": True})
        session_id = initiated.raise_for_status().json()["session_id"]
        self.http.post(
            "/prediction/",
            data={"session_id": session_id},
            files={"file": ("voice.wav", wav, "audio/wav")},
        ).raise_for_status()
        for _ in range(polls):
            record = self.http.get(f"/predict/sessions/{session_id}").raise_for_status().json()
            if record["status"] == "failed":
                raise ScreeningFailed(record["predict_error"]["error"])
            if record["status"] == "success":
                return Result(
                    record["predicted_score_depression"], record["predicted_score_anxiety"]
                )
            time.sleep(self.poll_every)
        raise TimeoutError(f"no result for session {session_id}")
