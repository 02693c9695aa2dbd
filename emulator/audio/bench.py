"""Benchmark of the voice check: ``python -m emulator.audio.bench``.

Times `emulator.audio.check_voice` (parse, decode, resample, detector, profile) as a
Kintsugi upload uses it, on recordings built in memory, and prints one line per case:

* ``60 s speech``: a 60 s 44.1 kHz mono 16-bit WAV (the speech-like signal of
  `emulator.audio.synth`, or ``--wav FILE``), default path (stops at 30 s of voice);
* ``10 min speech``: the same signal for 10 minutes, default path, then measured in full
  (no early stop, no cap: the detector's raw speed);
* ``10 min no voice``: 10 minutes of pink noise with a steady hum, where nothing stops
  early: the worst case, bounded by the default ``audio.max_scan_seconds`` (210 s);
* ``128 MiB upload``: a 128 MiB WAV (25 min at 44.1 kHz), with the extra memory the
  check takes: the peak traced by `tracemalloc` (numpy reports its buffers to it) and
  the growth of the process's resident high-water mark (Linux), which also sees the
  detector's native allocations. It runs before the other cases of its detector, so
  no earlier check has left freed memory behind for it to reuse.

The Silero model is loaded and warmed before timing (the server does that after
start-up). Each figure is the median of ``--repeats`` runs after one discarded run.
Run it on a quiet machine: the printed load average says how quiet it was.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from emulator.audio.policy import Verdict, check_voice
from emulator.audio.settings import Detector
from emulator.audio.synth import noise, speech_like, tone
from emulator.audio.wav import Encoding
from emulator.audio.writer import encode_wav

Figures = dict[str, Any]
RATE = 44100
MIB = 1024 * 1024


def _median_seconds(check: Callable[[], Verdict], repeats: int) -> tuple[float, Verdict]:
    verdict = check()  # warm-up: imports, FFT plans, page faults on the input
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        check()
        times.append(time.perf_counter() - start)
    return statistics.median(times), verdict


def _high_water_kib() -> int | None:
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return None
    found = re.search(r"VmHWM:\s+(\d+)", status)
    return int(found.group(1)) if found else None


def _reset_high_water() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")  # Linux: reset VmHWM to VmRSS
    except OSError:
        return False
    return True


def _resident_growth(check: Callable[[], Verdict]) -> int | None:
    """Growth of the resident high-water mark over one run (bytes), None if unmeasurable."""
    if not _reset_high_water():
        return None
    before = _high_water_kib()
    check()
    after = _high_water_kib()
    return None if before is None or after is None else (after - before) * 1024


def _traced_peak(check: Callable[[], Verdict]) -> int:
    """Peak of the memory traced by tracemalloc over one run (bytes)."""
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        check()
        return tracemalloc.get_traced_memory()[1] - baseline
    finally:
        tracemalloc.stop()


def _no_voice(seconds: float) -> bytes:
    import numpy as np

    rng = np.random.default_rng(1)
    hum = tone(seconds, RATE, 120.0, amplitude=0.05)
    return encode_wav(noise(len(hum), rng, colour="pink") * 0.05 + hum, RATE, Encoding.PCM_S16)


def _speech(seconds: float, wav: bytes | None) -> bytes:
    if wav is not None:
        return wav
    return encode_wav(speech_like(seconds, RATE).samples, RATE, Encoding.PCM_S16)


def run(
    *,
    detector: Detector,
    repeats: int = 5,
    wav: bytes | None = None,
    long_seconds: float = 600.0,
    upload_mib: float = 128.0,
) -> list[Figures]:
    """Build the recordings, run the checks, return one figure dict per case."""
    if detector == "silero":
        from emulator.audio.silero import warm_up

        warm_up().join()
    # First, while no earlier check has grown the allocator's pools: the resident
    # high-water growth is then what one check of a large upload really costs.
    rows: list[Figures] = [_upload_memory(detector, upload_mib)]

    def case(name: str, data: bytes, audio_seconds: float, **options: Any) -> None:
        def check() -> Verdict:
            return check_voice(data, detector=detector, profile_seconds=30.0, **options)

        median, verdict = _median_seconds(check, repeats)
        rows.append(
            {
                "case": name,
                "detector": detector,
                "file_bytes": len(data),
                "accepted": verdict.ok,
                "voice_seconds": round(verdict.voice_seconds or 0.0, 2),
                "median_ms": round(median * 1000, 1),
                "realtime_multiple": round(audio_seconds / median),
            }
        )

    short = _speech(60.0, wav)
    case("60 s speech", short, 60.0 if wav is None else _seconds(short))
    minutes = f"{long_seconds / 60:g} min" if long_seconds % 60 == 0 else f"{long_seconds:g} s"
    long = _speech(long_seconds, None)
    case(f"{minutes} speech", long, long_seconds)
    full = {"early_stop": False, "max_scan_seconds": None}
    case(f"{minutes} speech, measured in full", long, long_seconds, **full)
    case(f"{minutes} no voice", _no_voice(long_seconds), long_seconds)
    del long
    return rows


def _seconds(data: bytes) -> float:
    from emulator.audio.probe import inspect_audio

    return inspect_audio(data).duration_seconds or 0.0


def _upload_memory(detector: Detector, mib: float) -> Figures:
    seconds = (mib * MIB - 44) / (2 * RATE)
    data = _speech(seconds, None)
    grown = _resident_growth(lambda: check_voice(data, detector=detector, profile_seconds=30.0))
    start = time.perf_counter()
    verdict = check_voice(data, detector=detector, profile_seconds=30.0)
    elapsed = time.perf_counter() - start
    traced = _traced_peak(lambda: check_voice(data, detector=detector, profile_seconds=30.0))
    return {
        "case": f"{mib:g} MiB upload",
        "detector": detector,
        "file_bytes": len(data),
        "accepted": verdict.ok,
        "voice_seconds": round(verdict.voice_seconds or 0.0, 2),
        "median_ms": round(elapsed * 1000, 1),
        "traced_extra_mib": round(traced / MIB, 1),
        "resident_extra_mib": None if grown is None else round(grown / MIB, 1),
    }


def report(rows: list[Figures]) -> str:
    """The lines printed by `main`."""
    lines = [f"load average (1, 5, 15 min): {', '.join(f'{x:.2f}' for x in os.getloadavg())}"]
    for f in rows:
        line = (
            f"{f['detector']:9s} {f['case']:34s} {f['file_bytes'] / MIB:7.1f} MiB"
            f"  {'accepted' if f['accepted'] else 'rejected'} ({f['voice_seconds']} s voice)"
            f"  {f['median_ms']:8.1f} ms"
        )
        if "realtime_multiple" in f:
            line += f"  = {f['realtime_multiple']}x real time"
        if "traced_extra_mib" in f:
            line += f"  extra memory: traced {f['traced_extra_mib']} MiB"
            if f["resident_extra_mib"] is not None:
                line += f", resident {f['resident_extra_mib']} MiB"
        lines.append(line)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m emulator.audio.bench", description=__doc__)
    parser.add_argument("--detector", choices=("silero", "heuristic", "both"), default="both")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per case (5)")
    parser.add_argument("--wav", type=Path, help="a recording to use for the 60 s case")
    parser.add_argument("--long-seconds", type=float, default=600.0, help="long cases (600)")
    parser.add_argument("--upload-mib", type=float, default=128.0, help="upload case (128)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write figures as JSON")
    args = parser.parse_args(argv)
    wav = args.wav.read_bytes() if args.wav else None
    chosen: list[Detector] = ["silero", "heuristic"] if args.detector == "both" else [args.detector]
    options = {"long_seconds": args.long_seconds, "upload_mib": args.upload_mib}
    rows = [
        row for d in chosen for row in run(detector=d, repeats=args.repeats, wav=wav, **options)
    ]
    print(report(rows))
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
