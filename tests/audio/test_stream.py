"""The streaming decoder: 16 kHz windows block by block, levels and the onset, skipping."""

from __future__ import annotations

import numpy as np
import pytest
import soxr
from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.audio.decode import Source, decode_mono
from emulator.audio.stream import RATE, WINDOW, iter_windows, levels
from emulator.audio.synth import speech_like
from emulator.audio.wav import Encoding
from emulator.audio.writer import encode_wav


def windows_of(data: bytes) -> np.ndarray:
    blocks = list(iter_windows(Source.open(data)))
    for block in blocks:
        assert block.dtype == np.float32
        assert block.flags["C_CONTIGUOUS"]
        assert block.shape[1] == WINDOW
    return np.concatenate(blocks) if blocks else np.zeros((0, WINDOW), np.float32)


def test_16k_input_passes_through_unchanged() -> None:
    samples = speech_like(5.0, RATE, seed=1).samples
    data = encode_wav(samples, RATE)
    got = windows_of(data).reshape(-1)
    decoded = decode_mono(data)
    assert len(got) == len(decoded) // WINDOW * WINDOW
    np.testing.assert_array_equal(got, decoded[: len(got)])


@pytest.mark.parametrize("rate", [8000, 22050, 44100, 48000])
def test_other_rates_match_a_one_shot_resampling(rate: int) -> None:
    samples = speech_like(6.0, rate, seed=2).samples
    data = encode_wav(samples, rate)
    streamed = windows_of(data).reshape(-1)
    whole = soxr.resample(decode_mono(data), rate, RATE, quality="HQ")
    assert abs(len(streamed) - len(whole)) <= WINDOW
    count = min(len(streamed), len(whole))
    # Block-wise and one-shot resampling agree to well below 16-bit resolution.
    assert np.max(np.abs(streamed[:count] - whole[:count])) < 1e-4


def test_multichannel_files_are_averaged() -> None:
    mono = speech_like(3.0, RATE, seed=3).samples
    stereo = encode_wav(np.stack([mono, np.zeros_like(mono)], axis=1), RATE, Encoding.FLOAT32)
    np.testing.assert_allclose(
        windows_of(stereo).reshape(-1), 0.5 * mono[: len(windows_of(stereo).reshape(-1))], atol=1e-7
    )


@settings(max_examples=20, deadline=None)
@given(st.sampled_from([8000, 11025, 16000, 44100]), st.integers(0, 3 * RATE))
def test_same_bytes_same_windows(rate: int, frames: int) -> None:
    data = encode_wav(np.sin(np.arange(frames) * 0.05) * 0.3, rate)
    first, second = windows_of(data), windows_of(data)
    np.testing.assert_array_equal(first, second)
    assert len(first) <= frames * RATE / rate / WINDOW + 1


def test_levels_find_the_peak_and_the_first_loud_sample() -> None:
    samples = np.zeros(RATE)
    samples[4000] = 0.001  # 40 dB under the peak: where the recording starts
    samples[3000] = 0.0009  # quieter than that: still silence
    samples[9000] = 0.1
    found = levels(Source.open(encode_wav(samples, RATE, Encoding.FLOAT32)))
    assert found.peak == pytest.approx(0.1)
    assert found.onset == 4000


def test_leading_silence_moves_the_onset_by_exactly_its_length() -> None:
    samples = speech_like(4.0, RATE, seed=4).samples
    plain = levels(Source.open(encode_wav(samples, RATE)))
    later = levels(Source.open(encode_wav(np.concatenate([np.zeros(320), samples]), RATE)))
    louder = levels(Source.open(encode_wav(samples * 0.8, RATE)))
    assert later.onset == plain.onset + 320
    assert louder.onset == plain.onset  # the threshold follows the peak


def test_silence_has_no_onset() -> None:
    source = Source.open(encode_wav(np.zeros(1000), RATE))
    assert levels(source) == levels(source).__class__(0.0, 1000)
