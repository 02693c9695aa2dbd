"""``.npy`` header parsing for Asleep MELSPECTROGRAM chunks, without ``np.load``.

The Asleep SDK uploads each 30 s of audio as a mel spectrogram; the old Android
SDK used ``org.jetbrains.bio:npy`` for it (research notes, asleep-api.md §2.4), so
chunks are NumPy ``.npy`` files. The format (numpy.org, "NEP 1 / numpy.lib.format")
is: magic ``\\x93NUMPY``, major and minor version bytes, a header length (2 bytes
in v1, 4 in v2/v3), then a Python dict literal with exactly ``descr``,
``fortran_order`` and ``shape``. The literal is read with `ast.literal_eval` on at
most `MAX_HEADER_BYTES`, so no code runs and no pickle is ever loaded.
"""

from __future__ import annotations

import ast
import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from emulator.audio import deferred
from emulator.audio.errors import AudioFormatError, ErrorCode

if TYPE_CHECKING:
    import numpy as np
else:
    np = deferred.module("numpy")

MAGIC = b"\x93NUMPY"
# numpy.load refuses longer headers by default (its max_header_size is 10000).
MAX_HEADER_BYTES = 10_000
_KEYS = {"descr", "fortran_order", "shape"}
# Plain numeric dtypes only: bool, object, strings, datetimes and records make
# no sense for a spectrogram. 'f2' is half precision.
_DESCR = re.compile(r"^[<>|=]?(?:[iu][1248]|f[248])$")


@dataclass(frozen=True, slots=True)
class NpyInfo:
    """A validated ``.npy`` header and where its payload starts."""

    version: tuple[int, int]
    descr: str
    fortran_order: bool
    shape: tuple[int, ...]
    data_offset: int

    @property
    def dtype(self) -> np.dtype[np.generic]:
        return np.dtype(self.descr)


def parse_npy(data: memoryview) -> NpyInfo:
    """Validate a 2-D numeric ``.npy`` array whose payload has exactly the declared size."""
    version, start, length = _preamble(data)
    header = _decode_header(data[start : start + length], version)
    descr, fortran_order, shape = _fields(header)
    offset = start + length
    expected = math.prod(shape) * np.dtype(descr).itemsize
    if len(data) - offset != expected:
        raise AudioFormatError(
            ErrorCode.NPY_PAYLOAD_MISMATCH,
            f"shape {shape} of {descr} needs {expected} payload bytes but"
            f" {len(data) - offset} follow the header",
        )
    return NpyInfo(version, descr, fortran_order, shape, offset)


def _preamble(data: memoryview) -> tuple[tuple[int, int], int, int]:
    """Return (version, header start, header length) after checking magic and version."""
    if bytes(data[:6]) != MAGIC:
        raise AudioFormatError(ErrorCode.NPY_BAD_MAGIC, "missing the \\x93NUMPY magic")
    if len(data) < 10:
        raise AudioFormatError(ErrorCode.NPY_TRUNCATED, "file ends inside the .npy preamble")
    version = (data[6], data[7])
    if version not in ((1, 0), (2, 0), (3, 0)):
        raise AudioFormatError(
            ErrorCode.NPY_BAD_VERSION, f".npy version {version[0]}.{version[1]} is not 1.0-3.0"
        )
    if version[0] == 1:
        start, length = 10, int.from_bytes(data[8:10], "little")
    else:
        if len(data) < 12:
            raise AudioFormatError(ErrorCode.NPY_TRUNCATED, "file ends inside the .npy preamble")
        start, length = 12, int.from_bytes(data[8:12], "little")
    if length > MAX_HEADER_BYTES:
        raise AudioFormatError(
            ErrorCode.NPY_BAD_HEADER, f"header is {length} bytes; at most {MAX_HEADER_BYTES}"
        )
    if start + length > len(data):
        raise AudioFormatError(ErrorCode.NPY_TRUNCATED, "file ends inside the .npy header")
    return version, start, length


def _decode_header(raw: memoryview, version: tuple[int, int]) -> dict[object, object]:
    # v3 exists only to allow UTF-8 field names; v1 and v2 are latin-1.
    encoding = "utf-8" if version[0] == 3 else "latin-1"
    try:
        text = bytes(raw).decode(encoding)
        header = ast.literal_eval(text.strip())
    except (UnicodeDecodeError, ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        raise AudioFormatError(
            ErrorCode.NPY_BAD_HEADER, "header is not a Python dict literal"
        ) from None
    if not isinstance(header, dict):
        raise AudioFormatError(ErrorCode.NPY_BAD_HEADER, "header is not a dict")
    if set(header) != _KEYS:
        raise AudioFormatError(
            ErrorCode.NPY_BAD_HEADER, "header keys must be exactly descr, fortran_order, shape"
        )
    return header


def _fields(header: dict[object, object]) -> tuple[str, bool, tuple[int, int]]:
    descr, fortran_order, shape = header["descr"], header["fortran_order"], header["shape"]
    if not isinstance(descr, str) or not _DESCR.match(descr):
        raise AudioFormatError(
            ErrorCode.NPY_BAD_DTYPE, f"dtype {descr!r} is not a plain integer or float type"
        )
    if not isinstance(fortran_order, bool):
        raise AudioFormatError(ErrorCode.NPY_BAD_HEADER, "fortran_order must be True or False")
    if not (
        isinstance(shape, tuple)
        and len(shape) == 2
        and all(type(n) is int and n > 0 for n in shape)
    ):
        raise AudioFormatError(
            ErrorCode.NPY_BAD_SHAPE, f"shape {shape!r} is not two positive integers"
        )
    return descr, fortran_order, (shape[0], shape[1])
