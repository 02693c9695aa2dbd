"""Benchmark of the Kintsugi audio check: ``python -m emulator.audio.bench``.

Synthesises a 10-minute 44.1 kHz mono 16-bit WAV in memory (the speech-like
signal of `emulator.audio.synth`), then times the full check (parse + voice
detection + policy) and reports the median, the multiple of real time, and the
peak extra memory traced by `tracemalloc` (numpy reports its buffers to it)
while validating, relative to the file size. The timed runs measure all the
voice (``early_stop=False``); the policy's default early-stopping path is
reported separately.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from emulator.audio.policy import Verdict, check_kintsugi
from emulator.audio.synth import speech_like
from emulator.audio.wav import Encoding
from emulator.audio.writer import encode_wav

Figures = dict[str, float | int | str | bool]


def _median_seconds(check: Callable[[], Verdict], repeats: int) -> float:
    check()  # warm-up: FFT plans, imports, page faults on the input
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        check()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _peak_extra_bytes(check: Callable[[], Verdict]) -> int:
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        check()
        return tracemalloc.get_traced_memory()[1] - baseline
    finally:
        tracemalloc.stop()


def run(*, seconds: float = 600.0, rate: int = 44100, repeats: int = 5, seed: int = 0) -> Figures:
    """Build the test file, run the checks, and return the figures."""
    signal = speech_like(seconds, rate, seed=seed)
    data = encode_wav(signal.samples, rate, Encoding.PCM_S16)
    del signal

    def full() -> Verdict:
        return check_kintsugi(data, early_stop=False)

    def early() -> Verdict:
        return check_kintsugi(data)

    verdict = full()
    median = _median_seconds(full, repeats)
    early_median = _median_seconds(early, repeats)
    peak = _peak_extra_bytes(full)
    return {
        "audio_seconds": seconds,
        "sample_rate": rate,
        "file_bytes": len(data),
        "repeats": repeats,
        "accepted": verdict.ok,
        "voice_seconds": round(verdict.voice_seconds or 0.0, 2),
        "median_seconds": median,
        "realtime_multiple": seconds / median,
        "early_stop_median_seconds": early_median,
        "early_stop_realtime_multiple": seconds / early_median,
        "peak_extra_bytes": peak,
        "peak_extra_ratio": peak / len(data),
    }


def report(figures: Figures) -> str:
    """The human-readable summary printed by `main`."""
    f = figures
    mib = 1024 * 1024
    return "\n".join(
        [
            f"audio: {f['audio_seconds']:g} s, {f['sample_rate']} Hz mono 16-bit WAV,"
            f" {f['file_bytes']} bytes (synthetic speech-like signal)",
            f"verdict: {'accepted' if f['accepted'] else 'rejected'},"
            f" {f['voice_seconds']} s of voice measured",
            f"full check (parse + VAD + policy), median of {f['repeats']}:"
            f" {float(f['median_seconds']) * 1000:.1f} ms"
            f" = {float(f['realtime_multiple']):.0f}x real time",
            f"policy default (stops at 30 s of voice), median of {f['repeats']}:"
            f" {float(f['early_stop_median_seconds']) * 1000:.1f} ms"
            f" = {float(f['early_stop_realtime_multiple']):.0f}x real time",
            f"peak extra memory while validating (tracemalloc):"
            f" {int(f['peak_extra_bytes']) / mib:.1f} MiB"
            f" = {float(f['peak_extra_ratio']):.2f}x the file size",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m emulator.audio.bench", description=__doc__)
    parser.add_argument("--seconds", type=float, default=600.0, help="audio length (600)")
    parser.add_argument("--rate", type=int, default=44100, help="sample rate in Hz (44100)")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs (5)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write figures as JSON")
    args = parser.parse_args(argv)
    figures = run(seconds=args.seconds, rate=args.rate, repeats=args.repeats)
    print(report(figures))
    if args.json is not None:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
