"""Record through the proxy against one emulator, replay: against the same emulator no
drift; against one started with ``--set kintsugi.v1_predict_status=200`` the 201 -> 200
difference and a non-zero exit. Everything over loopback, the commands as a user runs
them (``python -m emulator record|drift|serve`` in subprocesses)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from emulator.audio.speech import speech_wav
from emulator.testing import EmulatorServer
from tests.asleep.conftest import MEL
from tests.support.network import RefusingPort

KEY = "real-key-do-not-store"
PATIENT = "patient-jane-doe"


@contextmanager
def command(*args: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """A long-running ``python -m emulator ...`` and the first line it printed."""
    process = subprocess.Popen(
        [sys.executable, "-m", "emulator", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        if not first:
            raise AssertionError(f"{args} printed nothing: {process.communicate()[1]}")
        yield process, first
    finally:
        process.terminate()
        process.communicate(timeout=30)


def url_in(line: str) -> str:
    found = next(word for word in line.split() if word.startswith("http://127.0.0.1:"))
    return found.rstrip(",")


def run_drift(recording: Path, target: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "emulator", "drift", str(recording), "--target", target],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def client_flow(base: str) -> None:
    """What a client does against the vendor: Kintsugi v1 and v2, Asleep, some errors."""
    voice = speech_wav(35)
    with httpx.Client(base_url=base, headers={"X-API-Key": KEY}, timeout=60) as http:
        initiated = http.post("/v1/initiate", data={"user_id": PATIENT, "is_initiated": "true"})
        sid = initiated.json()["session_id"]
        predicted = http.post(
            "/v1/predict/server/depression/binary",
            data={"session_id": sid},
            files={"file": ("voice.wav", voice, "audio/wav")},
        )
        assert predicted.status_code == 201, predicted.text
        r = http.post("/v2/initiate", json={"user_id": PATIENT, "is_initiated": True})
        sid2 = r.json()["session_id"]
        r = http.post(
            "/v2/prediction/",
            data={"session_id": sid2},
            files={"file": ("voice.wav", voice, "audio/wav")},
        )
        assert r.status_code == 202, r.text
        for _ in range(2):  # processing, then the result (progression: one poll)
            http.get(f"/v2/predict/sessions/{sid2}")
        http.patch("/v2/feedback/phq/2", json={"session_id": sid2, "data": [1, 2]})
        http.get(f"/v2/predict/users/{PATIENT}")
        user = http.post("/ai/v1/users").json()["result"]["user_id"]
        http.get(f"/ai/v1/users/{user}")
        r = http.post(
            "/ai/v1/sessions", headers={"x-user-id": user}, json={"start_time": "2025-01-14T22:00Z"}
        )
        session = r.json()["result"]["session_id"]
        http.post(
            f"/ai/v1/sessions/{session}/upload",
            headers={"x-user-id": user},
            data={"seq_num": "0"},
            files={"file": ("mel.npy", MEL, "application/octet-stream")},
        )
        http.get(f"/data/v3/sessions/{session}", headers={"x-user-id": user})
        http.get("/v2/predict/sessions/no-such-session")  # 404
        http.post("/v2/initiate", json={"is_initiated": True})  # 422: no user_id
    with httpx.Client(base_url=base) as anonymous:
        anonymous.get("/v2/predict/users/x")  # 401


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """A recording of ``client_flow`` through the proxy, and the upstream emulator."""
    out = tmp_path_factory.mktemp("drift") / "recording"
    with EmulatorServer() as upstream:
        with command("record", "--upstream", upstream.base_url, "--out", str(out)) as (_, first):
            assert first.startswith("recording proxy listening on http://127.0.0.1:")
            client_flow(url_in(first))
        yield out, upstream.base_url


def test_the_recording_holds_no_key_user_id_or_audio(recording: tuple[Path, str]) -> None:
    out, _ = recording
    files = sorted(out.glob("[0-9]*.json"))
    assert len(files) == 16
    text = "".join(f.read_text(encoding="utf-8") for f in files)
    assert KEY not in text
    assert PATIENT not in text
    assert '"user_id": "G-' not in text  # Asleep's user ids are pseudonyms too
    upload = json.loads(files[1].read_text(encoding="utf-8"))
    (audio,) = [p["audio"] for p in upload["request"]["body"]["parts"] if "audio" in p]
    assert set(audio) >= {"sha256", "bytes", "sample_rate", "duration_seconds"}
    assert "base64" not in audio
    assert json.loads((out / "recording.json").read_text(encoding="utf-8"))["audio"] == "stubs"


def test_replay_against_the_same_emulator_reports_no_drift(recording: tuple[Path, str]) -> None:
    out, upstream = recording
    done = run_drift(out, upstream)
    print(done.stdout)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1].startswith("no drift: 16 exchanges replayed")


def test_replay_against_a_changed_status_reports_it_and_fails(
    recording: tuple[Path, str],
) -> None:
    out, _ = recording
    changed = ("--port", "0", "--set", "kintsugi.v1_predict_status=200")
    with command(*changed) as (_, first):
        done = run_drift(out, url_in(first))
    print(done.stdout)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert "step 2  POST /v1/predict/server/depression/binary  -> 200" in lines
    assert "  status: recorded 201, target 200" in lines
    assert lines[-1] == "drift: 1 of 16 exchanges differ (1 difference)"


def test_a_broken_recording_or_target_is_exit_2(tmp_path: Path, refusing: RefusingPort) -> None:
    done = run_drift(tmp_path, "http://127.0.0.1:1")
    assert done.returncode == 2
    assert "holds no recorded exchanges" in done.stderr
    (tmp_path / "000001.json").write_text(
        json.dumps({"request": {"method": "GET"}, "response": {"status": 200}})
    )
    unreachable = run_drift(tmp_path, refusing.url("").rstrip("/"))
    assert unreachable.returncode == 2
    assert "error: target" in unreachable.stderr
