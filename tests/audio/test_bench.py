"""The benchmark module: figures, report and command line (on small inputs)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from emulator.audio import Detector, bench
from emulator.audio.synth import speech_like
from emulator.audio.writer import encode_wav


@pytest.mark.parametrize("detector", ["silero", "heuristic"])
def test_run_returns_one_row_per_case(detector: str) -> None:
    chosen: Detector = "silero" if detector == "silero" else "heuristic"
    rows = bench.run(detector=chosen, repeats=1, long_seconds=40.0, upload_mib=4.0)
    assert [row["case"] for row in rows] == [
        "4 MiB upload",
        "60 s speech",
        "40 s speech",
        "40 s speech, measured in full",
        "40 s no voice",
    ]
    assert all(row["detector"] == detector for row in rows)
    assert [row["accepted"] for row in rows] == [True, True, True, True, False]
    assert all(float(row["median_ms"]) > 0 for row in rows)
    upload = rows[0]
    assert upload["file_bytes"] == pytest.approx(4 * bench.MIB, abs=2)
    assert 0 <= float(upload["traced_extra_mib"]) < 50


def test_a_given_recording_replaces_the_synthetic_one(tmp_path: Path) -> None:
    wav = encode_wav(speech_like(35.0, 16000, seed=8).samples, 16000)
    rows = bench.run(detector="heuristic", repeats=1, wav=wav, long_seconds=31.0, upload_mib=1.0)
    assert rows[1]["file_bytes"] == len(wav)
    assert rows[1]["realtime_multiple"] > 0


def test_main_prints_and_writes_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "bench.json"
    wav = tmp_path / "speech.wav"
    wav.write_bytes(encode_wav(speech_like(35.0, 16000, seed=8).samples, 16000))
    argv = ["--detector", "heuristic", "--repeats", "1", "--wav", str(wav), "--json", str(target)]
    assert bench.main([*argv, "--long-seconds", "31", "--upload-mib", "1"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("load average")
    assert "x real time" in printed
    assert "extra memory: traced" in printed
    cases = [row["case"] for row in json.loads(target.read_text("utf-8"))]
    assert cases[:2] == ["1 MiB upload", "60 s speech"]
