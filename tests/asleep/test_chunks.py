"""The Asleep side of upload checks: which documented error each neutral verdict becomes,
and the 400 text built from the session's parameters (asleep-api.md §2.4, §3.5)."""

from __future__ import annotations

import pytest

from emulator.asleep import errors
from emulator.asleep.chunks import REASON_HEADER, audio_message, check
from emulator.settings import AsleepSettings
from tests.support.wavs import mel_npy, silent_wav

DEFAULT_MESSAGE = (
    "Audio file must be 30 seconds long, 16kHz, 44.1kHz or 48kHz, mp3 or wav, and smaller than 10MB"
)


def test_the_message_follows_the_parameters() -> None:
    assert audio_message(30.0, (16000, 44100, 48000), 10 * 1024 * 1024) == DEFAULT_MESSAGE
    assert audio_message(20.0, (8000,), 5 << 20) == (
        "Audio file must be 20 seconds long, 8kHz, mp3 or wav, and smaller than 5MB"
    )
    assert audio_message(30.5, (16000, 48000), 1000) == (
        "Audio file must be 30.5 seconds long, 16kHz or 48kHz, mp3 or wav,"
        " and smaller than 1000 bytes"
    )


def test_a_bad_chunk_is_the_400_with_the_reason_in_a_header() -> None:
    with pytest.raises(errors.BadAudio) as caught:
        check("AUDIO", silent_wav(30.0, 22050), AsleepSettings())
    assert caught.value.to_body() == {"detail": DEFAULT_MESSAGE}
    assert caught.value.headers[REASON_HEADER] == (
        "sample rate 22050 Hz is not one of (16000, 44100, 48000)"
    )


def test_the_message_uses_the_session_settings() -> None:
    settings = AsleepSettings(chunk_seconds=20.0, allowed_rates=(8000,), chunk_max_bytes=5 << 20)
    with pytest.raises(errors.BadAudio) as caught:
        check("AUDIO", silent_wav(25.0, 44100), settings)
    assert caught.value.to_body() == {
        "detail": "Audio file must be 20 seconds long, 8kHz, mp3 or wav, and smaller than 5MB"
    }


def test_a_spectrogram_sent_to_an_audio_session() -> None:
    with pytest.raises(errors.MelspectrogramToAudioSession) as caught:
        check("AUDIO", mel_npy((64, 40)), AsleepSettings())
    assert caught.value.to_body() == {
        "detail": "MELSPECTROGRAM file cannot be uploaded. Only AUDIO file can be uploaded."
    }


def test_anything_but_a_2d_array_in_a_spectrogram_session() -> None:
    with pytest.raises(errors.NotValidParameter) as caught:
        check("MELSPECTROGRAM", mel_npy((64,)), AsleepSettings())
    assert caught.value.headers[REASON_HEADER] == "shape (64,) is not two positive integers"


def test_accepted_uploads_raise_nothing() -> None:
    check("AUDIO", silent_wav(30.0, 16000), AsleepSettings())
    check("MELSPECTROGRAM", mel_npy(), AsleepSettings())
