"""Sample decoding per encoding, and the content fingerprint's invariances."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from emulator.audio import AudioFormatError, audio_fingerprint, decode_mono
from emulator.audio.decode import Source, read_mono, skip
from emulator.audio.synth import speech_like
from emulator.audio.wav import Encoding
from emulator.audio.writer import encode_wav
from tests.audio.conftest import fixture_bytes

SAME_SAMPLES = [
    "pcm16_16k.wav",
    "pcm24_16k.wav",
    "pcm32_16k.wav",
    "float32_16k.wav",
    "float64_16k.wav",
    "extensible_pcm16_16k.wav",
    "extensible_float32_16k.wav",
    "odd_chunk_padded.wav",
    "odd_chunk_unpadded.wav",
    "data_past_end.wav",
]


@pytest.mark.parametrize("name", SAME_SAMPLES)
def test_every_encoding_of_one_signal_decodes_to_the_same_samples(name: str) -> None:
    reference = decode_mono(fixture_bytes("pcm16_16k.wav"))
    assert len(reference) == 8000
    np.testing.assert_array_equal(decode_mono(fixture_bytes(name)), reference)


@pytest.mark.parametrize("name", SAME_SAMPLES)
def test_fingerprint_ignores_encoding_and_layout(name: str) -> None:
    assert audio_fingerprint(fixture_bytes(name)) == audio_fingerprint(
        fixture_bytes("pcm16_16k.wav")
    )


def test_known_values_per_encoding() -> None:
    values = np.array([0.0, 0.5, -0.5, -1.0, 0.25])
    for encoding in Encoding:
        decoded = decode_mono(encode_wav(values, 8000, encoding))
        assert decoded.dtype == np.float32
        np.testing.assert_allclose(decoded, values, atol=1 / 128, err_msg=str(encoding))


def test_unsigned_8_bit_is_centred_on_128() -> None:
    data = encode_wav(np.array([0.0, 0.0, -1.0, 0.5]), 8000, Encoding.PCM_U8)
    assert data[-4:] == b"\x80\x80\x00\xc0"
    np.testing.assert_array_equal(decode_mono(data), np.array([0, 0, -1, 0.5], np.float32))


def test_channels_are_averaged() -> None:
    stereo = np.array([[0.5, -0.5], [0.25, 0.75], [1.0, 0.0]])
    np.testing.assert_allclose(decode_mono(encode_wav(stereo, 8000)), [0.0, 0.5, 0.5], atol=1e-4)


def test_non_finite_and_out_of_range_floats_are_tamed() -> None:
    values = np.array([np.nan, np.inf, -np.inf, 3.0, -1e300, 0.5])
    data = encode_wav(values, 8000, Encoding.FLOAT64)
    decoded = decode_mono(data)
    np.testing.assert_array_equal(decoded, np.array([0, 1, -1, 1, -1, 0.5], np.float32))
    tamed = encode_wav(np.array([0.0, 1.0, -1.0, 1.0, -1.0, 0.5]), 8000, Encoding.FLOAT64)
    assert audio_fingerprint(data) == audio_fingerprint(tamed)


def test_fingerprint_changes_with_content_and_rate() -> None:
    samples = np.random.default_rng(0).uniform(-0.5, 0.5, 800)
    base = audio_fingerprint(encode_wav(samples, 8000))
    nudged = samples.copy()
    nudged[400] += 2 / 32768
    assert audio_fingerprint(encode_wav(nudged, 8000)) != base
    assert audio_fingerprint(encode_wav(samples, 16000)) != base  # same samples, other rate


def test_fingerprint_of_stereo_is_independent_of_encoding() -> None:
    ints = np.random.default_rng(1).integers(-20000, 20000, (500, 2))
    samples = ints / 32768
    digests = {
        audio_fingerprint(encode_wav(samples, 16000, encoding))
        for encoding in (Encoding.PCM_S16, Encoding.PCM_S24, Encoding.FLOAT32, Encoding.FLOAT64)
    }
    assert len(digests) == 1


def test_decoding_a_non_wav_is_a_typed_error() -> None:
    for data in (b"", b"ID3\x04\x00\x00\x00\x00\x00\x00", fixture_bytes("zero_channels.wav")):
        with pytest.raises(AudioFormatError):
            decode_mono(data)
        with pytest.raises(AudioFormatError):
            audio_fingerprint(data)


def test_24_bit_sign_extension() -> None:
    body = b"".join(struct.pack("<i", v)[:3] for v in (0x7FFFFF, -0x800000, -1, 1))
    data = encode_wav(np.zeros(4), 8000, Encoding.PCM_S24)
    data = data[: -len(body)] + body
    expected = np.array([0x7FFFFF, -0x800000, -1, 1]) / 2**23
    np.testing.assert_allclose(decode_mono(data), expected, rtol=1e-6)


def test_skip_and_read_mono_view_the_same_bytes() -> None:
    samples = speech_like(2.0, 22050, seed=5).samples
    source = Source.open(encode_wav(np.stack([samples, samples], axis=1), 22050))
    rest = skip(source, 1000)
    assert rest.info.frames == source.info.frames - 1000
    assert rest.data is source.data  # no copy
    np.testing.assert_array_equal(read_mono(rest, 0, 500), read_mono(source, 1000, 500))
    assert skip(source, 10**9).info.frames == 0
