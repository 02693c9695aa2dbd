"""Asleep's vendor rules: the session lifecycle and the events it produces.

``AsleepState`` is the per-tenant view (``world.TenantWorld``) that applies the
documented rules to the entities (asleep-api.md §2.1, §3.5, §4.1-§4.3):

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

from emulator.asleep import errors, ids
from emulator.asleep.callbacks import due_windows, last_seq_of
from emulator.asleep.entities import SECONDS_PER_EPOCH, Hypnogram, Session, User, fit
from emulator.asleep.events import InferenceComplete, SessionComplete
from emulator.asleep.night import Night, apply_missing, final_night
from emulator.asleep.peculiarities import SessionState
from emulator.asleep.rules import Rules
from emulator.asleep.world import TenantWorld
from emulator.core.lifecycle import Progress
from emulator.core.tables import Namespace


class AsleepState(TenantWorld):
    """One tenant's Asleep world with the session lifecycle rules applied to it."""

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
