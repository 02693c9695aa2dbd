"""Asleep's vendor rules: users, the session lifecycle, and the events they produce.

This module owns the durable entities (``User``, ``Session``, ``Hypnogram``) and the
per-tenant ``AsleepState`` view that applies the documented rules to them
(asleep-api.md §2.1, §3.5, §4.1-§4.3):

* OPEN -> CLOSED -> COMPLETE; uploads only while OPEN (else 403), one OPEN session
  per user (``terminate`` the old one, or ``conflict`` 409; §9.7);
* a session's timeline comes from its audio: ``end_time = start_time +
  (last_received_seq_num + 1) * 30 s`` unless the client gives one, so a whole night
  can be replayed in seconds against a virtual clock;
* the 24-hour cap (a ``seq_num`` past 24 h, or 24 h of virtual time since creation)
  and the ``unexpected`` close, both of which set ``unexpected_end_time``;
* CLOSED -> COMPLETE per ``emulator.core.lifecycle`` (default: at once);
* the final night is generated once, on completion, and kept as ``int8`` bytes.

Operations put ``Event`` values (``InferenceComplete``, ``SessionComplete``) in the
state view's ``outbox`` -- also when the operation then fails, e.g. the 24-hour cap
ends a session and the upload is refused -- so webhook delivery plugs in without
touching these rules (``AsleepState.drain``). Nothing here knows
about HTTP; errors raised are the documented ``AsleepError`` subclasses.
"""

from __future__ import annotations

import base64
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

from emulator.asleep import errors, following, ids
from emulator.asleep.callbacks import (
    FIRST_WINDOW,
    due_windows,
    first_window_for,
    last_seq_of,
    night_windows,
)
from emulator.asleep.night import Night, apply_missing, final_night, night_from_stages
from emulator.asleep.peculiarities import SessionState, Thresholds
from emulator.asleep.profiles import Profile, default_profile_for
from emulator.asleep.settings import AsleepPlan, AsleepSettings
from emulator.core import lazy
from emulator.core.backend import Json
from emulator.core.lifecycle import Progress, ProgressionPolicy
from emulator.core.tables import Namespace

if TYPE_CHECKING:
    import numpy as np
else:
    np = lazy.module("numpy")

SECONDS_PER_EPOCH: Final = 30
"""One ``seq_num`` is one 30-second chunk is one epoch (asleep-api.md §2.2)."""
SERVICE_PROFILE_PREFIX: Final = "emulator:"
"""Magic ``service`` value ``emulator:<profile>`` picks the night's profile."""
RENDER_CACHE_SIZE: Final = 512
IMMEDIATE: Final = ProgressionPolicy("immediate")
MIN_AGE: Final = 18
MAX_AGE: Final = 90


# --------------------------------------------------------------------------- events


@dataclass(frozen=True, slots=True)
class InferenceComplete:
    """A periodic analysis finished (webhook ``INFERENCE_COMPLETE``, §4.6).

    One per firing window, in order, once the highest received ``seq_num`` has
    passed the window's end (gaps do not hold analysis back): seq 39 first (20 min),
    then every plan cadence; ``inference_seq_num = seq_num // 10`` (§2.2, INFERRED).
    """

    user_id: str
    session_id: str
    seq_num: int
    inference_seq_num: int
    callback_url: str | None
    callback_version: str | None


@dataclass(frozen=True, slots=True)
class SessionComplete:
    """The final analysis finished (webhook ``SESSION_COMPLETE``, §4.6)."""

    user_id: str
    session_id: str
    callback_url: str | None
    callback_version: str | None


Event = InferenceComplete | SessionComplete


def analysed_epochs(
    uploaded_span: int, cadence_minutes: int, first_window: int = FIRST_WINDOW
) -> int:
    """Leading epochs real-time analysis has covered after ``uploaded_span`` chunks.

    Analysis runs window by window at the plan's cadence (``callbacks`` window
    arithmetic): the view covers every epoch up to the last window that fired.
    """
    windows = night_windows(uploaded_span, cadence_minutes, first_window=first_window)
    return last_seq_of(windows[-1]) + 1 if windows else 0


# --------------------------------------------------------------------------- entities


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
        return {
            "user_id": self.user_id,
            "created_at": self.created_at,
            "metadata": self.metadata,
            "profile": self.profile,
        }

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


# --------------------------------------------------------------------------- rules


@dataclass(frozen=True, slots=True)
class Rules:
    """What one request is judged by: the seed, the tenant, its plan and the settings."""

    seed: int
    tenant: str
    plan: AsleepPlan
    settings: AsleepSettings
    # CLOSED -> COMPLETE; the runtime's current policy (it can change while running).
    policy: ProgressionPolicy = IMMEDIATE

    @property
    def thresholds(self) -> Thresholds:
        s = self.settings
        return Thresholds(
            min_analysable_seconds=s.min_analysis_seconds,
            max_analysable_seconds=s.max_session_seconds,
            defect_threshold=s.defect_threshold,
        )

    @property
    def first_window(self) -> int:
        """The first analysis window (3 for the documented 20 minutes)."""
        return first_window_for(self.settings.min_analysis_seconds)

    @property
    def max_epochs(self) -> int:
        """The 24-hour cap in chunks: seq_num 0 .. 2879 (§2.1)."""
        return self.settings.max_session_seconds // SECONDS_PER_EPOCH


def service_profile(service: str) -> Profile | None:
    """The profile named by a magic ``service`` value, if it is one."""
    if not service.startswith(SERVICE_PROFILE_PREFIX):
        return None
    return Profile(service[len(SERVICE_PROFILE_PREFIX) :])  # ValueError if unknown


# --------------------------------------------------------------------------- state


class AsleepState:
    """One tenant's Asleep world: tables, a per-user index, and derived caches."""

    def __init__(self, ns: Namespace) -> None:
        self.ns = ns
        self.users = ns.table("asleep.users", User.from_json)
        self.sessions = ns.table("asleep.sessions", Session.from_json)
        self.hypnograms = ns.table("asleep.hypnograms", Hypnogram.from_json)
        self._by_user: dict[str, list[str]] = {}
        # Sessions time can still act on (not COMPLETE), in creation order: what
        # ``tick`` looks at, so a background ticker costs nothing for finished nights.
        # A dict, not a set: iteration order must not depend on string hashing, or
        # events (and the delivery ids minted for them) would change order per run.
        self.active: dict[str, None] = {}
        for session in sorted(self.sessions.values(), key=lambda s: s.ordinal):
            self._by_user.setdefault(session.user_id, []).append(session.session_id)
            if session.state is not SessionState.COMPLETE:
                self.active[session.session_id] = None
        # Derived, never persisted: stats per session and plan, rendered responses
        # (an LRU keyed by tuples starting with the session id, indexed per session).
        self.stats: dict[str, dict[tuple[bool, bool], Any]] = {}
        self.rendered: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
        self._rendered_keys: dict[str, set[tuple[Any, ...]]] = {}
        self.outbox: list[Event] = []

    def drain(self) -> list[Event]:
        """The events produced since the last drain, oldest first."""
        events, self.outbox = self.outbox, []
        return events

    def changed(self, table: str, key: str, old: Any) -> None:
        """Another emulator process changed a row (``--state-url``): ``following``."""
        following.changed(self, table, key, old)

    # ---- caches

    def forget(self, session_id: str) -> None:
        """Drop everything derived from a session (it changed or went away)."""
        self.stats.pop(session_id, None)
        for key in self._rendered_keys.pop(session_id, ()):
            self.rendered.pop(key, None)

    def cached(self, key: tuple[Any, ...]) -> bytes | None:
        """A rendered body; ``key[0]`` is the session id it was rendered from."""
        found = self.rendered.get(key)
        if found is not None:
            self.rendered.move_to_end(key)
        return found

    def cache(self, key: tuple[Any, ...], body: bytes) -> None:
        self.rendered[key] = body
        self._rendered_keys.setdefault(key[0], set()).add(key)
        if len(self.rendered) > RENDER_CACHE_SIZE:
            old, _ = self.rendered.popitem(last=False)
            keys = self._rendered_keys.get(old[0])
            if keys is not None:
                keys.discard(old)
                if not keys:
                    del self._rendered_keys[old[0]]

    # ---- users

    def create_user(self, rules: Rules, now: int, metadata: dict[str, Any] | None) -> User:
        while True:
            user_id = ids.user_id(rules.seed, rules.tenant, now, self.ns.next_id("asleep.user"))
            if user_id not in self.users:
                break
        user = User(user_id, now, metadata)
        self.users.put(user_id, user)
        return user

    def update_metadata(self, user: User, metadata: dict[str, Any] | None) -> None:
        # INFERRED (§3.3): PUT replaces the whole metadata object.
        user.metadata = metadata
        self.users.put(user.user_id, user)

    def set_profile(self, user: User, profile: Profile | None) -> None:
        user.profile = None if profile is None else profile.value
        self.users.put(user.user_id, user)

    def profile_of(self, rules: Rules, session: Session) -> Profile:
        """Magic ``service`` first, then the user's profile, then the seeded default."""
        chosen = service_profile(session.service)
        if chosen is not None:
            return chosen
        user = self.users.get(session.user_id)
        if user is not None and user.profile is not None:
            return Profile(user.profile)
        return default_profile_for(rules.seed, session.user_id)

    def age_of(self, session: Session) -> float | None:
        """The sleeper's age on the night, from the user's ``birth_year`` metadata (None
        without it: the generator then draws an age from the profile's range). Adults only:
        the architecture figures are for adults (Ohayon et al. 2004)."""
        user = self.users.get(session.user_id)
        born = (user.metadata or {}).get("birth_year") if user is not None else None
        if not isinstance(born, int) or isinstance(born, bool):
            return None
        year = datetime.fromtimestamp(session.start_time, UTC).year
        return float(min(max(year - born, MIN_AGE), MAX_AGE))

    def delete_user(self, user: User) -> None:
        """The user and all their data go (§3.4)."""
        for session_id in list(self._by_user.get(user.user_id, [])):
            session = self.sessions.get(session_id)
            if session is not None:
                self.delete_session(session)
        self._by_user.pop(user.user_id, None)
        self.users.delete(user.user_id)

    # ---- sessions: lookup

    def sessions_of(self, user_id: str) -> Iterator[Session]:
        for session_id in self._by_user.get(user_id, []):
            session = self.sessions.get(session_id)
            if session is not None:
                yield session

    def session_count(self, user_id: str) -> int:
        return len(self._by_user.get(user_id, ()))

    def last_session(self, user_id: str) -> Session | None:
        ids_ = self._by_user.get(user_id)
        if not ids_:
            return None
        return self.sessions.get(ids_[-1])

    # ---- sessions: lifecycle

    def create_session(
        self,
        rules: Rules,
        now: int,
        user: User,
        *,
        start_time: int | None,
        created_timezone: str,
        service: str,
        inference_type: str,
        callback_url: str | None,
        callback_version: str | None,
    ) -> Session:
        for other in list(self.sessions_of(user.user_id)):
            self.refresh(rules, now, other)
            if other.state is not SessionState.OPEN:
                continue
            if rules.settings.open_session_policy == "conflict":
                raise errors.PreviousSessionOpen()
            # Current behaviour (§2.1): the other device's session is ended and its
            # later uploads fail with 403 `Session already terminated`.
            self._end(rules, now, other, unexpected_at=now)
        start = now if start_time is None else start_time
        while True:
            ordinal = self.ns.next_id("asleep.session")
            session_id = ids.session_id(rules.seed, rules.tenant, start, ordinal)
            if session_id not in self.sessions:
                break
        session = Session(
            session_id=session_id,
            user_id=user.user_id,
            ordinal=ordinal,
            start_time=start,
            created_at=now,
            created_timezone=created_timezone,
            service=service,
            inference_type=inference_type,
            callback_url=callback_url,
            callback_version=callback_version,
        )
        self.sessions.put(session_id, session)
        self._by_user.setdefault(user.user_id, []).append(session_id)
        self.active[session_id] = None
        return session

    def admit(self, rules: Rules, now: int, session: Session, seq_num: int) -> None:
        """Raise 403 unless the session takes chunk ``seq_num`` (checked before the audio)."""
        self.refresh(rules, now, session)
        if session.state is not SessionState.OPEN:
            raise errors.SessionTerminated()
        if seq_num >= rules.max_epochs:
            # The 24-hour cap (§2.1): the server ends the session; this chunk is refused.
            self._end(rules, now, session, unexpected_at=now)
            raise errors.SessionTerminated()

    def upload(
        self, rules: Rules, now: int, session: Session, seq_num: int, callback_url: str | None
    ) -> None:
        """Record one chunk. Raises 403 when the session no longer takes audio."""
        self.admit(rules, now, session, seq_num)
        if callback_url is not None:
            session.callback_url = callback_url
        # A retried chunk (the SDK retries uploads) is accepted again without being
        # counted twice; out-of-order chunks simply fill their epoch (INFERRED).
        session.mark(seq_num)
        self._analyse(rules, session)
        self.sessions.put(session.session_id, session)
        self.forget(session.session_id)

    def fill(self, rules: Rules, now: int, session: Session, n_epochs: int) -> None:
        """Control API: record chunks ``0 .. n_epochs - 1`` at once (a synthetic night).

        The same rules as ``n_epochs`` uploads in order -- the 24-hour cap, one
        ``InferenceComplete`` per firing window, oldest first -- written once.
        """
        if n_epochs < 1:
            raise ValueError("a night needs at least one epoch")
        self.admit(rules, now, session, n_epochs - 1)
        for seq_num in range(n_epochs):
            session.mark(seq_num)
        self._analyse(rules, session)
        self.sessions.put(session.session_id, session)
        self.forget(session.session_id)

    def _analyse(self, rules: Rules, session: Session) -> None:
        """Queue an ``InferenceComplete`` for every window newly analysed (§4.6).

        The highest received seq_num drives analysis and ``notified_window`` is kept
        on the session, so a window whose last chunk never arrives (say seq 39) still
        fires once a later chunk does, and no window fires twice (``due_windows``).
        """
        due = due_windows(
            session.last_received_seq_num,
            rules.plan.cadence_minutes,
            session.notified_window,
            first_window=rules.first_window,
        )
        for window in due:
            self.outbox.append(
                InferenceComplete(
                    session.user_id,
                    session.session_id,
                    last_seq_of(window),
                    window,
                    session.callback_url,
                    session.callback_version,
                )
            )
            session.notified_window = window

    def close(
        self,
        rules: Rules,
        now: int,
        session: Session,
        *,
        end_time: int | None,
        unexpected: bool,
        callback_url: str | None,
    ) -> None:
        self.refresh(rules, now, session)
        if session.state is not SessionState.OPEN:
            raise errors.SessionAlreadyEnded()
        if callback_url is not None:
            session.callback_url = callback_url
        if unexpected:
            # Seed 001 §2.1.2: the time of the unexpected close is recorded and
            # end_time is computed from the last uploaded seq_num.
            self._end(rules, now, session, unexpected_at=now)
        else:
            self._end(rules, now, session, end_time=end_time)

    def _end(
        self,
        rules: Rules,
        now: int,
        session: Session,
        *,
        end_time: int | None = None,
        unexpected_at: int | None = None,
    ) -> None:
        """OPEN -> CLOSED (and on to COMPLETE if the progression says so)."""
        session.state = SessionState.CLOSED
        session.end_explicit = end_time is not None
        if end_time is None:
            injected = self.hypnograms.get(session.session_id)
            end_time = (
                session.derived_end()
                if injected is None
                else session.start_time + len(injected) * SECONDS_PER_EPOCH
            )
        session.end_time = end_time
        session.unexpected_end_time = unexpected_at
        session.progress = Progress(started_at=float(now))
        self.sessions.put(session.session_id, session)
        self.forget(session.session_id)
        self.refresh(rules, now, session)

    def refresh(self, rules: Rules, now: int, session: Session, *, observe: bool = False) -> None:
        """Apply the passage of time: the 24-hour age cap, CLOSED -> COMPLETE.

        ``observe`` counts this look as a poll (``progression = polls``); only
        single-session Data API reads do (INFERRED).
        """
        if session.state is SessionState.OPEN:
            expiry = session.created_at + rules.settings.max_session_seconds
            if now >= expiry:
                # Terminated by the server when 24 h had passed (§2.1); the end
                # still comes from the audio.
                self._end(rules, expiry, session, unexpected_at=expiry)
                self.refresh(rules, now, session)
            return
        if session.state is SessionState.CLOSED and session.progress is not None:
            policy = rules.policy
            if observe:
                finished = session.progress.observe(policy, float(now))
                if not finished:
                    self.sessions.put(session.session_id, session)
            else:
                finished = session.progress.done(policy, float(now))
            if finished:
                self._complete(rules, self._completed_at(rules, session, now), session)

    def _completed_at(self, rules: Rules, session: Session, now: int) -> int:
        assert session.progress is not None
        policy = rules.policy
        if policy.mode == "immediate" and not session.progress.forced:
            return int(session.progress.started_at)
        if policy.mode == "seconds" and not session.progress.forced:
            # When the work finished on the virtual clock, not when someone looked.
            return int(session.progress.started_at + policy.seconds)
        return now

    def force_complete(self, rules: Rules, now: int, session: Session) -> bool:
        """Control API: finish the analysis of a CLOSED session now; whether it did."""
        if session.state is not SessionState.CLOSED or session.progress is None:
            return False
        session.progress.force()
        self.refresh(rules, now, session)
        return True

    def _complete(self, rules: Rules, now: int, session: Session) -> None:
        """CLOSED -> COMPLETE: the final analysis, computed once and kept."""
        session.keep(self.final_night(rules, session))
        session.state = SessionState.COMPLETE
        session.complete_time = now
        self.active.pop(session.session_id, None)
        self.sessions.put(session.session_id, session)
        self.forget(session.session_id)
        self.outbox.append(
            SessionComplete(
                session.user_id, session.session_id, session.callback_url, session.callback_version
            )
        )

    def final_night(self, rules: Rules, session: Session) -> Night:
        """The final result: an injected hypnogram, or the profile's night with gaps."""
        n = session.n_epochs
        injected = self.hypnograms.get(session.session_id)
        if injected is not None:
            return fit(injected.night(), n)
        profile = self.profile_of(rules, session)
        night = final_night(rules.seed, session.session_id, profile, n, age=self.age_of(session))
        return apply_missing(night, ~session.received_mask(n))

    def inject(self, rules: Rules, now: int, session: Session, hypnogram: Hypnogram) -> None:
        """Control API: make ``hypnogram`` the session's night.

        Unless the client gave an explicit end time, the hypnogram also sets the
        timeline (end = start + len * 30 s), so injecting a documented example
        reproduces its numbers exactly whatever was uploaded.
        """
        self.hypnograms.put(session.session_id, hypnogram)
        if session.state is not SessionState.OPEN and not session.end_explicit:
            session.end_time = session.start_time + len(hypnogram) * SECONDS_PER_EPOCH
        if session.state is SessionState.COMPLETE:
            session.keep(self.final_night(rules, session))
        self.sessions.put(session.session_id, session)
        self.forget(session.session_id)

    def delete_session(self, session: Session) -> None:
        self.sessions.delete(session.session_id)
        self.active.pop(session.session_id, None)
        self.hypnograms.delete(session.session_id)
        listed = self._by_user.get(session.user_id)
        if listed is not None and session.session_id in listed:
            listed.remove(session.session_id)
        self.forget(session.session_id)

    def tick(self, rules: Rules, now: int) -> None:
        """Apply the passage of time to every session (for a background ticker).

        Only sessions that are not COMPLETE can change with time, and only those are
        looked at: a ticker over 10,000 finished nights does no work.
        """
        for session_id in list(self.active):
            session = self.sessions.get(session_id)
            if session is None or session.state is SessionState.COMPLETE:
                self.active.pop(session_id, None)
            else:
                self.refresh(rules, now, session)


def state_of(ns: Namespace) -> AsleepState:
    return ns.state(AsleepState, AsleepState)
