"""Client-side flows for the benchmark: payloads and whole vendor conversations over HTTP.

Everything here talks to a running emulator through its public HTTP API (the vendor
routes, plus the documented ``/_emulator`` controls where the vendor API has no way to
say it), the way a user's test suite would. Payloads are built once per case:

* Asleep AUDIO chunks: 30 s of 16 kHz mono 16-bit speech-like WAV (~960 KB), what the
  SDK uploads every 30 s (asleep-api.md §2.2, §3.5);
* Asleep MELSPECTROGRAM chunks: a tiny 2-D ``.npy`` array, enough to mark an epoch as
  received when only the finished night matters;
* Kintsugi recordings: a speech-like WAV that passes the default guardrails.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import httpx

API_KEY: Final = "bench"
EPOCH_SECONDS: Final = 30
NIGHT_EPOCHS: Final = 960  # 8 hours of 30-second chunks
# A fixed evening, so ids and nights are the same from run to run (seeded emulator).
NIGHT_START: Final = datetime(2025, 1, 14, 22, 0, tzinfo=UTC)


def speech_wav(seconds: float, rate: int, *, seed: int = 0) -> bytes:
    """Mono 16-bit WAV of the speech-like signal of ``emulator.audio.synth``."""
    from emulator.audio.synth import speech_like
    from emulator.audio.wav import Encoding
    from emulator.audio.writer import encode_wav

    return encode_wav(speech_like(seconds, rate, seed=seed).samples, rate, Encoding.PCM_S16)


def tiny_melspectrogram() -> bytes:
    """A valid 2-D float32 ``.npy`` array (1 x 8): an epoch's worth for the emulator."""
    import numpy as np

    out = io.BytesIO()
    np.save(out, np.zeros((1, 8), dtype=np.float32))
    return out.getvalue()


def instant(when: datetime) -> str:
    """The documented ``YYYY-MM-DDTHH:mm:ssZ`` form (asleep-api.md §3.5)."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def night_start(index: int) -> datetime:
    """Start of the ``index``-th night of a user: one night per calendar day."""
    return NIGHT_START + timedelta(days=index)


def client(base_url: str, *, timeout: float = 60.0) -> httpx.Client:
    return httpx.Client(base_url=base_url, headers={"x-api-key": API_KEY}, timeout=timeout)


def _ok(response: httpx.Response, *statuses: int) -> Any:
    if response.status_code not in (statuses or (200,)):
        raise RuntimeError(
            f"{response.request.method} {response.request.url.path} answered "
            f"{response.status_code}: {response.text[:300]}"
        )
    return response.json() if response.content else None


# --------------------------------------------------------------------------- Asleep


def new_user(http: httpx.Client) -> str:
    user_id: str = _ok(http.post("/ai/v1/users", json={}), 201)["result"]["user_id"]
    return user_id


def new_session(
    http: httpx.Client, user_id: str, *, start: datetime, inference_type: str = "MELSPECTROGRAM"
) -> str:
    body = {"start_time": instant(start), "inference_type": inference_type}
    response = http.post("/ai/v1/sessions", headers={"x-user-id": user_id}, json=body)
    session_id: str = _ok(response, 201)["result"]["session_id"]
    return session_id


def upload(http: httpx.Client, user_id: str, session_id: str, seq_num: int, chunk: bytes) -> None:
    name = "chunk.npy" if chunk.startswith(b"\x93NUMPY") else "chunk.wav"
    _ok(
        http.post(
            f"/ai/v1/sessions/{session_id}/upload",
            headers={"x-user-id": user_id},
            data={"seq_num": str(seq_num)},
            files={"file": (name, chunk, "application/octet-stream")},
        )
    )


def close(http: httpx.Client, user_id: str, session_id: str) -> str:
    response = http.post(f"/ai/v1/sessions/{session_id}/close", headers={"x-user-id": user_id})
    state: str = _ok(response)["result"]["state"]
    return state


def get_session(http: httpx.Client, user_id: str, session_id: str) -> bytes:
    """The Data API v3 body of one session (seed 001)."""
    response = http.get(f"/data/v3/sessions/{session_id}", headers={"x-user-id": user_id})
    _ok(response)
    return response.content


def replay_night(
    http: httpx.Client,
    user_id: str,
    chunk: bytes,
    *,
    start: datetime = NIGHT_START,
    epochs: int = NIGHT_EPOCHS,
    inference_type: str = "MELSPECTROGRAM",
) -> tuple[str, bytes]:
    """A whole night from one client: create, ``epochs`` uploads, close, read back."""
    session_id = new_session(http, user_id, start=start, inference_type=inference_type)
    for seq_num in range(epochs):
        upload(http, user_id, session_id, seq_num, chunk)
    state = close(http, user_id, session_id)
    body = get_session(http, user_id, session_id)
    if state != "COMPLETE" or json.loads(body)["result"]["session"]["state"] != "COMPLETE":
        raise RuntimeError(f"session {session_id} did not complete (state {state})")
    return session_id, body


def hypnogram_body(epochs: int = NIGHT_EPOCHS, *, seed: int = 0) -> bytes:
    """A realistic stage list (the emulator's own night generator), as the control JSON."""
    from emulator.asleep.night import final_night
    from emulator.asleep.profiles import Profile

    night = final_night(seed, "bench-night", Profile.NORMAL, epochs)
    return json.dumps(
        {
            "sleep_stages": night.sleep.tolist(),
            "breath_stages": night.breath.tolist(),
            "snoring_stages": night.snoring.tolist(),
        }
    ).encode()


def injected_night(http: httpx.Client, user_id: str, hypnogram: bytes, *, start: datetime) -> str:
    """A completed night without its audio: create, inject the stages, close.

    ``PUT /_emulator/asleep/sessions/{id}/hypnogram`` (docs/asleep.md, Scenarios) makes the
    stage list the session's result and sets its end (30 s per epoch); the close then
    completes it as an uploaded night would be, through the same state machine.
    """
    session_id = new_session(http, user_id, start=start)
    _ok(
        http.put(
            f"/_emulator/asleep/sessions/{session_id}/hypnogram",
            content=hypnogram,
            headers={"content-type": "application/json"},
        )
    )
    state = close(http, user_id, session_id)
    if state != "COMPLETE":
        raise RuntimeError(f"session {session_id} did not complete (state {state})")
    return session_id


# --------------------------------------------------------------------------- Kintsugi


def kintsugi_initiate_v1(http: httpx.Client, user_id: str) -> str:
    response = http.post("/v1/initiate", data={"user_id": user_id, "is_initiated": "true"})
    session_id: str = _ok(response)["session_id"]
    return session_id


def kintsugi_predict_v1(http: httpx.Client, session_id: str, audio: bytes) -> httpx.Response:
    response = http.post(
        "/v1/predict/server/depression/binary",
        data={"session_id": session_id},
        files={"file": ("recording.wav", audio, "audio/wav")},
    )
    _ok(response, 200, 201)
    return response
