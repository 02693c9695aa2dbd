"""Asleep's durable entities: ``User``, ``Session`` and an injected ``Hypnogram``.

What is stored per tenant and how it round-trips through the store's JSON (binary
fields as base64): a session's received-chunk bitmap and the timeline derived from
it (``end_time = start_time + (last_received_seq_num + 1) * 30 s`` unless the client
gives one), and the final night kept as ``int8`` bytes. The rules that move these
entities are in ``state``.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, Final

from emulator.asleep.night import Night, night_from_stages
from emulator.asleep.peculiarities import SessionState
from emulator.core import lazy
from emulator.core.backend import Json
from emulator.core.lifecycle import Progress

if TYPE_CHECKING:
    import numpy as np
else:
    np = lazy.module("numpy")

SECONDS_PER_EPOCH: Final = 30
"""One ``seq_num`` is one 30-second chunk is one epoch (asleep-api.md §2.2)."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"))


@dataclass(slots=True)
class User:
    user_id: str
    created_at: int
    metadata: dict[str, Any] | None
    # Set through the control API; None means ``default_profile_for(seed, user_id)``.
    profile: str | None = None

    def to_json(self) -> Json:
        return {each.name: getattr(self, each.name) for each in fields(self)}

    @classmethod
    def from_json(cls, raw: Json) -> User:
        return cls(raw["user_id"], int(raw["created_at"]), raw["metadata"], raw.get("profile"))


@dataclass(slots=True)
class Session:
    """One sleep session. Times are whole epoch seconds (UTC)."""

    session_id: str
    user_id: str
    ordinal: int  # creation order within the tenant: "last session" of a user
    start_time: int
    created_at: int  # virtual clock at creation: the 24-hour age cap counts from here
    created_timezone: str
    service: str
    inference_type: str
    callback_url: str | None = None
    callback_version: str | None = None
    state: SessionState = SessionState.OPEN
    # Which seq_nums arrived: a bitmap (bit i of byte i // 8), not the audio itself.
    received: bytearray = field(default_factory=bytearray)
    received_count: int = 0
    last_received_seq_num: int | None = None  # the highest seq_num received
    end_time: int | None = None
    end_explicit: bool = False  # end_time was given by the client, not derived
    unexpected_end_time: int | None = None
    notified_window: int | None = None  # last window that fired INFERENCE_COMPLETE
    progress: Progress | None = None  # CLOSED -> COMPLETE
    complete_time: int | None = None
    # The final night (set on COMPLETE): int8 stage bytes, sleep/breath/snoring.
    sleep: bytes | None = None
    breath: bytes | None = None
    snoring: bytes | None = None

    # ---- uploads

    def has(self, seq_num: int) -> bool:
        byte = seq_num >> 3
        return byte < len(self.received) and bool(self.received[byte] & (1 << (seq_num & 7)))

    def mark(self, seq_num: int) -> bool:
        """Record ``seq_num`` as received; False when it already was (a retry)."""
        if self.has(seq_num):
            return False
        byte = seq_num >> 3
        if byte >= len(self.received):
            self.received.extend(bytes(byte + 1 - len(self.received)))
        self.received[byte] |= 1 << (seq_num & 7)
        self.received_count += 1
        if self.last_received_seq_num is None or seq_num > self.last_received_seq_num:
            self.last_received_seq_num = seq_num
        return True

    def received_mask(self, n_epochs: int) -> np.ndarray[Any, np.dtype[np.bool_]]:
        """Boolean array: was the chunk of each of the first ``n_epochs`` epochs received."""
        bits = np.unpackbits(np.frombuffer(bytes(self.received), dtype=np.uint8), bitorder="little")
        mask = np.zeros(n_epochs, dtype=bool)
        take = min(n_epochs, len(bits))
        mask[:take] = bits[:take].astype(bool)
        return mask

    @property
    def uploaded_span(self) -> int:
        """Chunks from seq 0 to the highest received: the audio timeline's length."""
        return 0 if self.last_received_seq_num is None else self.last_received_seq_num + 1

    # ---- timeline

    def derived_end(self) -> int:
        """``start_time + (last_received_seq_num + 1) * 30 s`` (seed 001 §2.1.2)."""
        return self.start_time + self.uploaded_span * SECONDS_PER_EPOCH

    @property
    def time_in_bed(self) -> int:
        """Seconds in bed: end - start once ended, the uploaded audio while OPEN."""
        if self.end_time is None:
            return self.uploaded_span * SECONDS_PER_EPOCH
        return self.end_time - self.start_time

    @property
    def n_epochs(self) -> int:
        """Epochs the final arrays hold: whole 30-s epochs of the time in bed."""
        return max(self.time_in_bed, 0) // SECONDS_PER_EPOCH

    def final(self) -> Night | None:
        if self.sleep is None or self.breath is None or self.snoring is None:
            return None
        return Night(
            np.frombuffer(self.sleep, dtype=np.int8).copy(),
            np.frombuffer(self.breath, dtype=np.int8).copy(),
            np.frombuffer(self.snoring, dtype=np.int8).copy(),
        )

    def keep(self, night: Night) -> None:
        self.sleep = night.sleep.tobytes()
        self.breath = night.breath.tobytes()
        self.snoring = night.snoring.tobytes()

    # ---- persistence

    def to_json(self) -> Json:
        return {
            "session_id": self.session_id,
            "user_id": self.user_id,
            "ordinal": self.ordinal,
            "start_time": self.start_time,
            "created_at": self.created_at,
            "created_timezone": self.created_timezone,
            "service": self.service,
            "inference_type": self.inference_type,
            "callback_url": self.callback_url,
            "callback_version": self.callback_version,
            "state": self.state.value,
            "received": _b64(bytes(self.received)),
            "received_count": self.received_count,
            "last_received_seq_num": self.last_received_seq_num,
            "end_time": self.end_time,
            "end_explicit": self.end_explicit,
            "unexpected_end_time": self.unexpected_end_time,
            "notified_window": self.notified_window,
            "progress": None if self.progress is None else self.progress.to_json(),
            "complete_time": self.complete_time,
            "sleep": None if self.sleep is None else _b64(self.sleep),
            "breath": None if self.breath is None else _b64(self.breath),
            "snoring": None if self.snoring is None else _b64(self.snoring),
        }

    @classmethod
    def from_json(cls, raw: Json) -> Session:
        def blob(key: str) -> bytes | None:
            value = raw.get(key)
            return None if value is None else _unb64(value)

        progress = raw.get("progress")
        return cls(
            session_id=raw["session_id"],
            user_id=raw["user_id"],
            ordinal=int(raw["ordinal"]),
            start_time=int(raw["start_time"]),
            created_at=int(raw["created_at"]),
            created_timezone=raw["created_timezone"],
            service=raw["service"],
            inference_type=raw["inference_type"],
            callback_url=raw.get("callback_url"),
            callback_version=raw.get("callback_version"),
            state=SessionState(raw["state"]),
            received=bytearray(_unb64(raw.get("received", ""))),
            received_count=int(raw.get("received_count", 0)),
            last_received_seq_num=raw.get("last_received_seq_num"),
            end_time=raw.get("end_time"),
            end_explicit=bool(raw.get("end_explicit", False)),
            unexpected_end_time=raw.get("unexpected_end_time"),
            notified_window=raw.get("notified_window"),
            progress=None if progress is None else Progress.from_json(progress),
            complete_time=raw.get("complete_time"),
            sleep=blob("sleep"),
            breath=blob("breath"),
            snoring=blob("snoring"),
        )


@dataclass(slots=True)
class Hypnogram:
    """An exact night injected through the control API (int8 bytes per array)."""

    sleep: bytes
    breath: bytes | None = None
    snoring: bytes | None = None

    @classmethod
    def of(cls, sleep: list[int], breath: list[int] | None, snoring: list[int] | None) -> Hypnogram:
        night = night_from_stages(sleep, breath, snoring)  # validates the codes
        return cls(
            night.sleep.tobytes(),
            None if breath is None else night.breath.tobytes(),
            None if snoring is None else night.snoring.tobytes(),
        )

    def night(self) -> Night:
        def array(data: bytes | None) -> np.ndarray[Any, np.dtype[np.int8]] | None:
            return None if data is None else np.frombuffer(data, dtype=np.int8).copy()

        return night_from_stages(
            np.frombuffer(self.sleep, dtype=np.int8), array(self.breath), array(self.snoring)
        )

    def __len__(self) -> int:
        return len(self.sleep)

    def to_json(self) -> Json:
        return {
            "sleep": _b64(self.sleep),
            "breath": None if self.breath is None else _b64(self.breath),
            "snoring": None if self.snoring is None else _b64(self.snoring),
        }

    @classmethod
    def from_json(cls, raw: Json) -> Hypnogram:
        return cls(
            _unb64(raw["sleep"]),
            None if raw.get("breath") is None else _unb64(raw["breath"]),
            None if raw.get("snoring") is None else _unb64(raw["snoring"]),
        )


def fit(night: Night, n_epochs: int) -> Night:
    """Cut a night to ``n_epochs``, or pad it with ``-1`` (no data) epochs."""
    if len(night) >= n_epochs:
        return night.prefix(n_epochs)
    pad = np.full(n_epochs - len(night), -1, dtype=np.int8)
    return Night(
        np.concatenate([night.sleep, pad]),
        np.concatenate([night.breath, pad]),
        np.concatenate([night.snoring, pad]),
    )
