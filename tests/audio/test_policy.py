"""Upload rules with their parameters: voice recordings, chunks, spectrograms.

Verdicts are neutral (a `Problem` and a reason with the measured values); the vendor
codes and messages are tested beside the vendors (tests/kintsugi/test_errors.py,
tests/asleep/test_chunks.py).
"""

from __future__ import annotations

import pytest

from emulator.audio import Container, Problem, check_chunk, check_spectrogram, check_voice
from emulator.audio.synth import speech_like
from emulator.audio.writer import encode_wav
from tests.audio.conftest import fixture_bytes
from tests.support.wavs import mel_npy, silent_wav

# ------------------------------------------------------------------- voice recordings


@pytest.mark.parametrize("detector", ["silero", "heuristic"])
def test_enough_voice_is_accepted(detector: str) -> None:
    data = encode_wav(speech_like(45.0, 8000, seed=2).samples, 8000)
    verdict = check_voice(data, detector=detector)  # type: ignore[arg-type]
    assert (verdict.ok, verdict.problem, verdict.reason) == (True, None, None)
    assert verdict.voice is not None
    assert verdict.voice.detector == detector
    assert verdict.voice_seconds is not None
    assert verdict.voice_seconds >= 30.0
    assert verdict.info.container is Container.WAV


def test_other_formats_are_not_wav() -> None:
    verdict = check_voice(fixture_bytes("frames_16k_30s.mp3"))
    assert verdict.problem is Problem.NOT_WAV
    assert verdict.reason == "file looks like mp3, not WAV"
    assert verdict.voice is None


def test_a_broken_header_is_unreadable_with_the_parser_reason() -> None:
    verdict = check_voice(fixture_bytes("fmt_after_data.wav"))
    assert verdict.problem is Problem.UNREADABLE
    assert verdict.reason == "fmt chunk comes after the data chunk"


def test_an_undecoded_codec_is_an_unsupported_encoding() -> None:
    verdict = check_voice(fixture_bytes("alaw.wav"))
    assert verdict.problem is Problem.UNSUPPORTED_ENCODING


def test_thresholds_are_parameters() -> None:
    data = encode_wav(speech_like(12.0, 16000, seed=5).samples, 16000)
    assert check_voice(data).problem is Problem.TOO_LITTLE_VOICE
    assert check_voice(data, min_voice_seconds=1.0).ok
    assert check_voice(data, min_sample_rate=22050).problem is Problem.SAMPLE_RATE_TOO_LOW
    stereo = fixture_bytes("stereo_16k.wav")
    assert check_voice(stereo).problem is Problem.TOO_MANY_CHANNELS
    assert check_voice(stereo, max_channels=2).problem is Problem.TOO_LITTLE_VOICE


def test_reasons_name_the_measured_values() -> None:
    assert check_voice(fixture_bytes("mono_6k.wav")).reason == (
        "sample rate 6000 Hz is below 8000 Hz"
    )
    assert check_voice(fixture_bytes("stereo_16k.wav")).reason == "2 channels; at most 1 allowed"
    verdict = check_voice(fixture_bytes("silence_16k.wav"), min_voice_seconds=45.0)
    assert verdict.voice_seconds == 0.0
    assert verdict.reason == "0.00 s of voice; 45 s needed"


def test_early_stop_gives_the_same_verdict() -> None:
    data = encode_wav(speech_like(60.0, 16000, seed=4).samples, 16000)
    early, full = check_voice(data), check_voice(data, early_stop=False)
    assert early.ok
    assert full.ok
    assert early.voice is not None
    assert full.voice is not None
    assert not early.voice.complete
    assert full.voice.complete
    assert 30.0 <= early.voice.seconds <= full.voice.seconds


def test_profile_seconds_reads_past_the_threshold() -> None:
    data = encode_wav(speech_like(60.0, 16000, seed=4).samples, 16000)
    short = check_voice(data, min_voice_seconds=5.0)
    longer = check_voice(data, min_voice_seconds=5.0, profile_seconds=20.0)
    assert short.voice_seconds is not None
    assert longer.voice_seconds is not None
    assert 5.0 <= short.voice_seconds < 6.0
    assert 20.0 <= longer.voice_seconds < 21.0


def test_the_scan_cap_is_reported() -> None:
    data = encode_wav(speech_like(60.0, 16000, seed=4).samples, 16000)
    verdict = check_voice(data, max_scan_seconds=20.0)
    assert verdict.problem is Problem.TOO_LITTLE_VOICE
    assert verdict.voice is not None
    assert verdict.voice.capped
    assert verdict.reason is not None
    assert verdict.reason.endswith("(only the first 20 s of audio are analysed)")


# ------------------------------------------------------------------- chunks


@pytest.mark.parametrize("rate", [16000, 44100, 48000])
def test_thirty_second_chunks_are_accepted_at_each_rate(rate: int) -> None:
    verdict = check_chunk(silent_wav(30.0, rate))
    assert verdict.ok, verdict.reason
    assert verdict.info.sample_rate == rate


def test_other_rates_are_refused_with_the_rates_named() -> None:
    verdict = check_chunk(silent_wav(30.0, 22050))
    assert verdict.problem is Problem.SAMPLE_RATE_NOT_ALLOWED
    assert verdict.reason == "sample rate 22050 Hz is not one of (16000, 44100, 48000)"


@pytest.mark.parametrize(
    ("seconds", "allow_short", "problem"),
    [
        (31.0, True, None),
        (31.2, True, Problem.TOO_LONG),
        (29.0, False, None),
        (28.5, False, Problem.TOO_SHORT),
        (12.0, True, None),
        (12.0, False, Problem.TOO_SHORT),
        (0.0, True, Problem.NO_FRAMES),
    ],
)
def test_duration_rules(seconds: float, allow_short: bool, problem: Problem | None) -> None:
    verdict = check_chunk(silent_wav(seconds, 16000), allow_short=allow_short)
    assert verdict.problem is problem, verdict.reason
    assert verdict.ok is (problem is None)


def test_the_size_limit_is_exclusive() -> None:
    data = silent_wav(1.0, 16000)
    assert check_chunk(data, max_bytes=len(data) + 1).ok
    verdict = check_chunk(data, max_bytes=len(data))
    assert verdict.problem is Problem.TOO_LARGE
    assert verdict.reason == f"file is {len(data)} bytes; it must be smaller than {len(data)}"


def test_mp3_chunks_are_measured_from_their_frame_headers() -> None:
    verdict = check_chunk(fixture_bytes("frames_16k_30s.mp3"))
    assert verdict.ok
    assert verdict.info.sample_rate == 16000
    assert verdict.info.duration_seconds == pytest.approx(30.02, abs=0.01)


def test_a_spectrogram_is_not_a_chunk_of_audio() -> None:
    verdict = check_chunk(mel_npy((64, 40)))
    assert verdict.problem is Problem.SPECTROGRAM_NOT_AUDIO
    assert check_chunk(fixture_bytes("stub.flac")).problem is Problem.NOT_AUDIO


# ------------------------------------------------------------------- spectrograms


def test_a_2d_array_is_a_spectrogram() -> None:
    verdict = check_spectrogram(mel_npy((64, 40)))
    assert verdict.ok
    assert verdict.info.npy is not None
    assert verdict.info.npy.shape == (64, 40)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (mel_npy((64,)), "shape (64,) is not two positive integers"),
        (fixture_bytes("pcm16_16k.wav"), "file looks like wav, not a .npy array"),
    ],
)
def test_spectrogram_rejections_explain_themselves(data: bytes, reason: str) -> None:
    verdict = check_spectrogram(data)
    assert verdict.problem is Problem.NOT_SPECTROGRAM
    assert verdict.reason == reason
