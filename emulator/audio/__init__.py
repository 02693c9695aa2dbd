"""Audio inspection, voice measurement and upload rules, for any vendor emulator.

Pure code (stdlib, numpy, soxr and the Silero VAD network), no HTTP, and no vendor
knowledge: rules take thresholds as parameters and answer with neutral verdicts that
the vendor packages turn into their own codes and messages. Modules, lowest first:

* ``errors``   typed reasons (`AudioError`, `AudioFormatError`) and warnings
* ``sniff``    container from magic bytes
* ``wav``      RIFF/WAVE chunk walker and fmt parsing
* ``mp3``      MPEG audio frame headers and frame walk
* ``npy``      ``.npy`` header validation (mel spectrograms)
* ``probe``    `inspect_audio`, which never raises
* ``decode``   samples to float32 block by block, `audio_fingerprint`
* ``resample`` decimation to the heuristic detector's analysis rate
* ``stream``   16 kHz windows for the trained detector (libsoxr resampling)
* ``vad``      the heuristic voice-activity detector
* ``silero``   the Silero VAD network (lazy, shared, warmed after start-up)
* ``features`` `VoiceProfile`: pitch, loudness, rhythm and pauses of detected speech
* ``voice``    `measure_voice`: either detector, early stop, work cap
* ``policy``   `check_voice`, `check_chunk`, `check_spectrogram` -> `Verdict`
* ``settings`` `AudioSettings` (``audio.vad``, ``audio.max_scan_seconds``)
* ``writer``, ``synth``, ``bench``  WAV writing, synthetic signals, the benchmark
"""

from emulator.audio.decode import audio_fingerprint, decode_mono
from emulator.audio.errors import (
    AudioError,
    AudioFormatError,
    AudioWarning,
    ErrorCode,
    WarningCode,
)
from emulator.audio.features import VoiceProfile
from emulator.audio.npy import NpyInfo, parse_npy
from emulator.audio.policy import Problem, Verdict, check_chunk, check_spectrogram, check_voice
from emulator.audio.probe import AudioInfo, inspect_audio
from emulator.audio.settings import AudioSettings, Detector
from emulator.audio.sniff import Container
from emulator.audio.vad import VadParams, VoiceActivity, voice_activity, voice_seconds
from emulator.audio.voice import VoiceReport, measure_voice
from emulator.audio.wav import Encoding, WavInfo, parse_wav

__all__ = [
    "AudioError",
    "AudioFormatError",
    "AudioInfo",
    "AudioSettings",
    "AudioWarning",
    "Container",
    "Detector",
    "Encoding",
    "ErrorCode",
    "NpyInfo",
    "Problem",
    "VadParams",
    "Verdict",
    "VoiceActivity",
    "VoiceProfile",
    "VoiceReport",
    "WarningCode",
    "WavInfo",
    "audio_fingerprint",
    "check_chunk",
    "check_spectrogram",
    "check_voice",
    "decode_mono",
    "inspect_audio",
    "measure_voice",
    "parse_npy",
    "parse_wav",
    "voice_activity",
    "voice_seconds",
]
