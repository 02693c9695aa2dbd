"""Audio inspection and vendor audio policies shared by the Asleep and Kintsugi emulators.

Pure code (stdlib + numpy), no HTTP. Modules, lowest first:

* ``errors``   typed reasons (`AudioError`, `AudioFormatError`) and warnings
* ``sniff``    container from magic bytes
* ``wav``      RIFF/WAVE chunk walker and fmt parsing
* ``mp3``      MPEG audio frame headers and frame walk
* ``npy``      ``.npy`` header validation (Asleep mel spectrograms)
* ``probe``    `inspect_audio`, which never raises
* ``decode``   samples to float32, `audio_fingerprint`
* ``resample`` decimation to the detector's analysis rate
* ``vad``      voice-activity detection
* ``policy``   Kintsugi and Asleep acceptance rules
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
from emulator.audio.npy import NpyInfo, parse_npy
from emulator.audio.policy import (
    MELSPECTROGRAM_NOT_ALLOWED,
    AsleepCode,
    KintsugiCode,
    UploadKind,
    Verdict,
    asleep_audio_message,
    asleep_upload_kind,
    check_asleep_audio_chunk,
    check_asleep_melspectrogram,
    check_kintsugi,
)
from emulator.audio.probe import AudioInfo, inspect_audio
from emulator.audio.sniff import Container
from emulator.audio.vad import VadParams, VoiceActivity, voice_activity, voice_seconds
from emulator.audio.wav import Encoding, WavInfo, parse_wav

__all__ = [
    "MELSPECTROGRAM_NOT_ALLOWED",
    "AsleepCode",
    "AudioError",
    "AudioFormatError",
    "AudioInfo",
    "AudioWarning",
    "Container",
    "Encoding",
    "ErrorCode",
    "KintsugiCode",
    "NpyInfo",
    "UploadKind",
    "VadParams",
    "Verdict",
    "VoiceActivity",
    "WarningCode",
    "WavInfo",
    "asleep_audio_message",
    "asleep_upload_kind",
    "audio_fingerprint",
    "check_asleep_audio_chunk",
    "check_asleep_melspectrogram",
    "check_kintsugi",
    "decode_mono",
    "inspect_audio",
    "parse_npy",
    "parse_wav",
    "voice_activity",
    "voice_seconds",
]
