"""Hostile input: mutated and random files never raise and never blow up memory.

The parsers may only raise `AudioFormatError`; `inspect_audio` and the policies
may not raise at all. Memory is measured with tracemalloc (numpy reports its
buffers to it), and work is bounded by Hypothesis's per-example deadline.
"""

from __future__ import annotations

import struct
import tracemalloc
from collections.abc import Callable
from datetime import timedelta

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulator.audio import (
    AudioFormatError,
    ErrorCode,
    Verdict,
    check_chunk,
    check_spectrogram,
    check_voice,
    inspect_audio,
    parse_npy,
    parse_wav,
)
from emulator.audio.mp3 import parse_mp3
from emulator.audio.silero import warm_up
from emulator.audio.synth import speech_like
from emulator.audio.wav import Encoding
from emulator.audio.writer import chunk, encode_wav, fmt_body

FUZZ = settings(
    max_examples=150,
    deadline=timedelta(seconds=2),
    suppress_health_check=[HealthCheck.too_slow],
)
_VOICE = speech_like(0.5, 8000, seed=5).samples
SEEDS = [
    encode_wav(_VOICE, 8000),
    encode_wav(np.stack([_VOICE, _VOICE], axis=1), 16000, Encoding.PCM_S24, extensible=True),
    encode_wav(_VOICE, 44100, Encoding.FLOAT32, before_data=[(b"LIST", b"INFOabc")]),
    encode_wav(_VOICE[:1000], 8000, Encoding.PCM_U8),
]
# Values that break naive parsers: zero, one, sign-bit and all-ones, odd sizes.
BOUNDARIES = [0, 1, 2, 3, 7, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF]
warm_up().join()  # the detector's one-time load is not the memory of a check


def only_typed_errors(parse: Callable[[memoryview], object], data: bytes) -> None:
    """``parse`` returns, or raises AudioFormatError with a code and a message."""
    try:
        parse(memoryview(data))
    except AudioFormatError as exc:
        error = exc.error
    else:
        return
    assert error.code in set(ErrorCode)
    assert error.message


def bounded(run: Callable[[], object], data: bytes, *, factor: int) -> None:
    """``run`` allocates at most ``factor`` x the input plus 1 MiB."""
    tracemalloc.start()
    try:
        run()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak <= factor * len(data) + (1 << 20), (peak, len(data))


@st.composite
def mutated_wav(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["u32", "u16", "byte", "truncate", "splice"]))
        if kind == "truncate":
            del data[draw(st.integers(0, len(data))) :]
            continue
        at = draw(st.integers(0, 80))  # the header region: RIFF, fmt, LIST, data heads
        if kind == "splice":
            data[at:at] = draw(st.binary(max_size=16))
        elif kind == "byte" and at < len(data):
            data[at] = draw(st.integers(0, 255))
        elif at + 4 <= len(data):
            width, fmt = (4, "<I") if kind == "u32" else (2, "<H")
            value = draw(st.sampled_from(BOUNDARIES)) & ((1 << (8 * width)) - 1)
            struct.pack_into(fmt, data, at, value)
    return bytes(data)


@st.composite
def chunk_soup(draw: st.DrawFn) -> bytes:
    """A RIFF/WAVE header followed by arbitrary chunk ids, sizes and bodies."""
    ids = st.sampled_from([b"fmt ", b"data", b"LIST", b"JUNK", b"\0\0\0\0", b"ds64"])
    body = b"WAVE"
    for ident in draw(st.lists(ids, max_size=6)):
        content = draw(st.binary(max_size=48))
        if ident == b"fmt " and draw(st.booleans()):
            content = fmt_body(
                draw(st.sampled_from(list(Encoding))),
                draw(st.sampled_from([0, 1, 8000, 768001, 0xFFFFFFFF])),
                draw(st.sampled_from([0, 1, 2, 0xFFFF])),
                extensible=draw(st.booleans()),
            )
        size = draw(st.sampled_from([len(content), len(content) + 1, 0, 0xFFFFFFFF]))
        body += ident + struct.pack("<I", size) + content
    size = draw(st.sampled_from([len(body), 0, 4, 0xFFFFFFFF]))
    return b"RIFF" + struct.pack("<I", size) + body


def policies_hold(data: bytes) -> None:
    for check in (check_voice, check_chunk, check_spectrogram):
        verdict = check(data)
        assert isinstance(verdict, Verdict)
        assert verdict.ok is (verdict.problem is None)
        assert verdict.ok or verdict.reason


@FUZZ
@given(mutated_wav())
def test_mutated_wavs(data: bytes) -> None:
    only_typed_errors(parse_wav, data)
    info = inspect_audio(data)
    assert info.ok or info.error is not None
    policies_hold(data)


@FUZZ
@given(chunk_soup())
def test_random_chunk_lists(data: bytes) -> None:
    only_typed_errors(parse_wav, data)
    bounded(lambda: inspect_audio(data), data, factor=2)
    policies_hold(data)


@FUZZ
@given(st.binary(max_size=2048))
def test_random_bytes(data: bytes) -> None:
    for parse in (parse_wav, parse_mp3, parse_npy):
        only_typed_errors(parse, data)
    policies_hold(data)


@FUZZ
@given(st.sampled_from([b"RIFF", b"ID3", b"\xff\xfb", b"\x93NUMPY", b"fLaC"]), st.binary())
def test_random_bytes_behind_a_magic(magic: bytes, tail: bytes) -> None:
    data = magic + tail
    for parse in (parse_wav, parse_mp3, parse_npy):
        only_typed_errors(parse, data)
    policies_hold(data)


@settings(max_examples=40, deadline=timedelta(seconds=5))
@given(mutated_wav())
def test_validation_memory_is_a_small_multiple_of_the_input(data: bytes) -> None:
    bounded(lambda: check_voice(data, early_stop=False), data, factor=4)


def test_header_claiming_huge_channel_counts_allocates_little() -> None:
    # 65535 channels of 8-bit audio: consistent header, tiny body.
    content = b"WAVE" + chunk(b"fmt ", fmt_body(Encoding.PCM_U8, 768000, 0xFFFF))
    content += chunk(b"data", bytes(3 * 0xFFFF))
    data = b"RIFF" + struct.pack("<I", len(content)) + content
    assert inspect_audio(data).channels == 0xFFFF
    bounded(lambda: check_voice(data, max_channels=0xFFFF, early_stop=False), data, factor=4)


def test_inputs_that_are_not_bytes_are_reported_not_raised() -> None:
    info = inspect_audio("not bytes")  # type: ignore[arg-type]
    assert info.error is not None
    assert info.error.code == "unreadable"
