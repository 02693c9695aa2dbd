"""Vendor policies: Kintsugi's guardrails and Asleep's chunk rules, with their parameters."""

from __future__ import annotations

import io

import numpy as np
import pytest

from emulator.audio import (
    MELSPECTROGRAM_NOT_ALLOWED,
    AsleepCode,
    Container,
    KintsugiCode,
    UploadKind,
    asleep_audio_message,
    asleep_upload_kind,
    check_asleep_audio_chunk,
    check_asleep_melspectrogram,
    check_kintsugi,
)
from emulator.audio.synth import speech_like
from emulator.audio.writer import encode_wav
from tests.audio.conftest import fixture_bytes

DEFAULT_ASLEEP_MESSAGE = (
    "Audio file must be 30 seconds long, 16kHz, 44.1kHz or 48kHz, mp3 or wav, and smaller than 10MB"
)


def silence(seconds: float, rate: int) -> bytes:
    return encode_wav(np.zeros(round(seconds * rate)), rate)


def mel(shape: tuple[int, ...] = (64, 40)) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.zeros(shape, np.float32))
    return buf.getvalue()


# ------------------------------------------------------------------- Kintsugi


def test_kintsugi_accepts_enough_voice() -> None:
    data = encode_wav(speech_like(45.0, 8000, seed=2).samples, 8000)
    verdict = check_kintsugi(data)
    assert (verdict.ok, verdict.code, verdict.message) == (True, None, None)
    assert verdict.voice_seconds is not None
    assert verdict.voice_seconds >= 30.0
    assert verdict.info.container is Container.WAV


def test_kintsugi_rejects_other_formats_as_unstandard() -> None:
    verdict = check_kintsugi(fixture_bytes("frames_16k_30s.mp3"))
    assert verdict.code == KintsugiCode.UNSTANDARD_AUDIO
    assert verdict.message is not None
    assert "not a WAV file" in verdict.message
    assert verdict.reason == "file looks like mp3, not WAV"


def test_kintsugi_broken_header_is_unstandard_with_the_parser_reason() -> None:
    verdict = check_kintsugi(fixture_bytes("fmt_after_data.wav"))
    assert verdict.code == KintsugiCode.UNSTANDARD_AUDIO
    assert verdict.reason == "fmt chunk comes after the data chunk"


def test_kintsugi_thresholds_are_parameters() -> None:
    data = fixture_bytes("voice_short_16k.wav")  # about 2.5 s of voice-like signal
    assert check_kintsugi(data).code == KintsugiCode.INSUFFICIENT_AUDIO_LENGTH
    assert check_kintsugi(data, min_voice_seconds=1.0).ok
    assert check_kintsugi(data, min_sample_rate=22050).code == KintsugiCode.UNSUPPORTED_AUDIO_SPEC
    stereo = fixture_bytes("stereo_16k.wav")
    assert check_kintsugi(stereo).code == KintsugiCode.UNSUPPORTED_AUDIO_SPEC
    assert check_kintsugi(stereo, max_channels=2).code == KintsugiCode.INSUFFICIENT_AUDIO_LENGTH


def test_kintsugi_spec_reasons_name_the_problem() -> None:
    assert check_kintsugi(fixture_bytes("mono_6k.wav")).reason == (
        "sample rate 6000 Hz is below 8000 Hz"
    )
    assert check_kintsugi(fixture_bytes("stereo_16k.wav")).reason == (
        "2 channels; at most 1 allowed"
    )


def test_kintsugi_insufficient_message_uses_the_threshold() -> None:
    verdict = check_kintsugi(fixture_bytes("silence_16k.wav"), min_voice_seconds=45.0)
    assert verdict.message is not None
    assert "at least 45 seconds of voice" in verdict.message
    assert verdict.voice_seconds == 0.0
    assert verdict.reason == "0.00 s of voice; 45 s needed"


def test_kintsugi_early_stop_gives_the_same_verdict() -> None:
    data = encode_wav(speech_like(60.0, 16000, seed=4).samples, 16000)
    early, full = check_kintsugi(data), check_kintsugi(data, early_stop=False)
    assert early.ok
    assert full.ok
    assert early.voice_seconds is not None
    assert full.voice_seconds is not None
    assert 30.0 <= early.voice_seconds <= full.voice_seconds


# ------------------------------------------------------------------- Asleep AUDIO


@pytest.mark.parametrize("rate", [16000, 44100, 48000])
def test_asleep_accepts_thirty_seconds_at_each_rate(rate: int) -> None:
    verdict = check_asleep_audio_chunk(silence(30.0, rate))
    assert verdict.ok, verdict.reason
    assert verdict.info.sample_rate == rate


def test_asleep_rejects_other_rates_with_the_vendor_message() -> None:
    verdict = check_asleep_audio_chunk(silence(30.0, 22050))
    assert verdict.code == AsleepCode.INVALID_AUDIO
    assert verdict.message == DEFAULT_ASLEEP_MESSAGE
    assert verdict.reason == "sample rate 22050 Hz is not one of (16000, 44100, 48000)"


@pytest.mark.parametrize(
    ("seconds", "allow_short", "accepted"),
    [
        (31.0, True, True),
        (31.2, True, False),
        (29.0, False, True),
        (28.5, False, False),
        (12.0, True, True),
        (12.0, False, False),
        (0.0, True, False),
    ],
)
def test_asleep_duration_rules(seconds: float, allow_short: bool, accepted: bool) -> None:
    verdict = check_asleep_audio_chunk(silence(seconds, 16000), allow_short=allow_short)
    assert verdict.ok is accepted, verdict.reason


def test_asleep_size_limit_is_exclusive() -> None:
    data = silence(1.0, 16000)
    assert check_asleep_audio_chunk(data, max_bytes=len(data) + 1).ok
    verdict = check_asleep_audio_chunk(data, max_bytes=len(data))
    assert verdict.code == AsleepCode.INVALID_AUDIO
    assert verdict.reason == f"file is {len(data)} bytes; it must be smaller than {len(data)}"


def test_asleep_message_follows_the_parameters() -> None:
    assert asleep_audio_message(30.0, (16000, 44100, 48000), 10 * 1024 * 1024) == (
        DEFAULT_ASLEEP_MESSAGE
    )
    verdict = check_asleep_audio_chunk(
        silence(25.0, 44100), chunk_seconds=20.0, allowed_rates=(8000,), max_bytes=5 << 20
    )
    assert verdict.message == (
        "Audio file must be 20 seconds long, 8kHz, mp3 or wav, and smaller than 5MB"
    )
    assert asleep_audio_message(30.5, (16000, 48000), 1000) == (
        "Audio file must be 30.5 seconds long, 16kHz or 48kHz, mp3 or wav,"
        " and smaller than 1000 bytes"
    )


def test_asleep_accepts_mp3_using_its_frame_header() -> None:
    verdict = check_asleep_audio_chunk(fixture_bytes("frames_16k_30s.mp3"))
    assert verdict.ok
    assert verdict.info.sample_rate == 16000
    assert verdict.info.duration_seconds == pytest.approx(30.02, abs=0.01)


def test_asleep_audio_session_refuses_a_mel_spectrogram() -> None:
    verdict = check_asleep_audio_chunk(mel())
    assert verdict.code == AsleepCode.MELSPECTROGRAM_NOT_ALLOWED
    assert verdict.message == MELSPECTROGRAM_NOT_ALLOWED
    assert verdict.message == (
        "MELSPECTROGRAM file cannot be uploaded. Only AUDIO file can be uploaded."
    )


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (fixture_bytes("pcm16_16k.wav"), UploadKind.AUDIO),
        (fixture_bytes("frames_22k.mp3"), UploadKind.AUDIO),
        (fixture_bytes("truncated_header.wav"), UploadKind.AUDIO),
        (fixture_bytes("mel_valid.npy"), UploadKind.MELSPECTROGRAM),
        (fixture_bytes("mel_truncated.npy"), UploadKind.MELSPECTROGRAM),
        (fixture_bytes("stub.flac"), UploadKind.UNKNOWN),
        (b"", UploadKind.UNKNOWN),
    ],
)
def test_upload_kind_sniffing(data: bytes, kind: UploadKind) -> None:
    assert asleep_upload_kind(data) is kind


# ------------------------------------------------------------------- Asleep MELSPECTROGRAM


def test_melspectrogram_accepts_a_2d_array() -> None:
    verdict = check_asleep_melspectrogram(mel())
    assert verdict.ok
    assert verdict.info.npy is not None
    assert verdict.info.npy.shape == (64, 40)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (mel((64,)), "shape (64,) is not two positive integers"),
        (fixture_bytes("pcm16_16k.wav"), "file looks like wav, not a .npy array"),
    ],
)
def test_melspectrogram_rejections_explain_themselves(data: bytes, reason: str) -> None:
    verdict = check_asleep_melspectrogram(data)
    assert verdict.code == AsleepCode.INVALID_MELSPECTROGRAM
    assert verdict.reason == reason
    assert verdict.message == (
        f"Not valid parameter: file is not a valid mel spectrogram (.npy) array: {reason}"
    )
