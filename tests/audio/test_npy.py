"""``.npy`` header validation: numpy-written arrays parse, anything else is a typed error."""

from __future__ import annotations

import io
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.audio import AudioFormatError, ErrorCode, parse_npy

DTYPES = [
    f"{order}{kind}{size}"
    for order in "<>"
    for kind, sizes in (("f", (2, 4, 8)), ("i", (1, 2, 4, 8)), ("u", (1, 2, 4, 8)))
    for size in sizes
]


def saved(array: np.ndarray, version: tuple[int, int] | None = None) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, array, version=version, allow_pickle=False)
    return buf.getvalue()


def handmade(header: str, payload: bytes = b"", version: int = 1) -> bytes:
    text = header.encode("latin-1")
    size = struct.pack("<H", len(text)) if version == 1 else struct.pack("<I", len(text))
    return b"\x93NUMPY" + bytes([version, 0]) + size + text + payload


def code(data: bytes) -> ErrorCode:
    with pytest.raises(AudioFormatError) as caught:
        parse_npy(memoryview(data))
    return caught.value.code


@settings(max_examples=80, deadline=None)
@given(
    rows=st.integers(1, 40),
    cols=st.integers(1, 40),
    dtype=st.sampled_from(DTYPES),
    fortran=st.booleans(),
    version=st.sampled_from([None, (1, 0), (2, 0), (3, 0)]),
)
def test_numpy_written_2d_arrays_parse(
    rows: int, cols: int, dtype: str, fortran: bool, version: tuple[int, int] | None
) -> None:
    array = np.zeros((rows, cols), dtype=dtype, order="F" if fortran else "C")
    info = parse_npy(memoryview(saved(array, version)))
    assert info.shape == (rows, cols)
    assert info.dtype == np.dtype(dtype)
    assert info.fortran_order is (fortran and rows > 1 and cols > 1)
    assert version is None or info.version == version


@settings(max_examples=40, deadline=None)
@given(shape=st.lists(st.integers(1, 5), min_size=0, max_size=4).filter(lambda s: len(s) != 2))
def test_other_dimensions_are_rejected(shape: list[int]) -> None:
    assert code(saved(np.zeros(shape, np.float32))) is ErrorCode.NPY_BAD_SHAPE


@pytest.mark.parametrize(
    "dtype", ["?", "O", "U3", "S2", "M8[s]", "c8", "f16", [("a", "<f4"), ("b", "<i2")]]
)
def test_non_numeric_dtypes_are_rejected(dtype: str | list[tuple[str, str]]) -> None:
    header = f"{{'descr': {np.lib.format.dtype_to_descr(np.dtype(dtype))!r}, "
    header += "'fortran_order': False, 'shape': (2, 2), }"
    assert code(handmade(header, bytes(64))) is ErrorCode.NPY_BAD_DTYPE


def test_object_arrays_are_rejected_without_unpickling() -> None:
    buf = io.BytesIO()
    np.save(buf, np.array([[object()]], dtype=object), allow_pickle=True)
    assert code(buf.getvalue()) is ErrorCode.NPY_BAD_DTYPE


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 0)}", ErrorCode.NPY_BAD_SHAPE),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (True, 2)}", ErrorCode.NPY_BAD_SHAPE),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': [2, 2]}", ErrorCode.NPY_BAD_SHAPE),
        ("{'descr': '<f4', 'fortran_order': 0, 'shape': (2, 2)}", ErrorCode.NPY_BAD_HEADER),
        ("{'descr': '<f4', 'shape': (2, 2)}", ErrorCode.NPY_BAD_HEADER),
        (
            "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), 'x': 1}",
            ErrorCode.NPY_BAD_HEADER,
        ),
        ("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2)", ErrorCode.NPY_BAD_HEADER),
        ("__import__('os').system('true')", ErrorCode.NPY_BAD_HEADER),
        ("[1, 2, 3]", ErrorCode.NPY_BAD_HEADER),
        ("(" * 5000 + ")" * 5000, ErrorCode.NPY_BAD_HEADER),
    ],
)
def test_bad_headers(header: str, expected: ErrorCode) -> None:
    assert code(handmade(header, bytes(16))) is expected


def test_payload_must_match_the_shape_exactly() -> None:
    data = saved(np.zeros((3, 4), np.float32))
    assert parse_npy(memoryview(data)).data_offset == len(data) - 48
    assert code(data[:-1]) is ErrorCode.NPY_PAYLOAD_MISMATCH
    assert code(data + b"\0") is ErrorCode.NPY_PAYLOAD_MISMATCH


def test_preamble_errors() -> None:
    assert code(b"") is ErrorCode.NPY_BAD_MAGIC
    assert code(b"\x93NUMP") is ErrorCode.NPY_BAD_MAGIC
    assert code(b"\x93NUMPY\x01") is ErrorCode.NPY_TRUNCATED
    assert code(b"\x93NUMPY\x04\x00\x10\x00" + bytes(16)) is ErrorCode.NPY_BAD_VERSION
    assert code(b"\x93NUMPY\x02\x00\x10\x00") is ErrorCode.NPY_TRUNCATED
    assert code(handmade("{}")[:-1]) is ErrorCode.NPY_TRUNCATED
    huge = b"\x93NUMPY\x02\x00" + struct.pack("<I", 10_001) + b" " * 10_001
    assert code(huge) is ErrorCode.NPY_BAD_HEADER


@settings(max_examples=200, deadline=None)
@given(position=st.integers(0, 127), value=st.integers(0, 255), cut=st.integers(0, 200))
def test_mutated_headers_give_typed_errors_only(position: int, value: int, cut: int) -> None:
    data = bytearray(saved(np.ones((5, 7), np.float32)))
    if position < len(data):
        data[position] = value
    try:
        info = parse_npy(memoryview(bytes(data[: len(data) - cut])))
    except AudioFormatError as exc:
        failure: ErrorCode | None = exc.code
    else:
        failure = None
        assert len(info.shape) == 2
    assert failure is None or failure.startswith("npy_")
