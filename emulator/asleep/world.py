"""One tenant's stored Asleep world: tables, indexes, derived caches and users.

``TenantWorld`` holds the tenant's tables (users, sessions, injected hypnograms), the
indexes derived from them (sessions per user in creation order, the sessions time can
still act on), the render and stats caches, the event ``outbox``, and the user
operations (§3.1-§3.4). The session lifecycle built on it is ``state.AsleepState``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, Final

from emulator.asleep import following, ids
from emulator.asleep.entities import Hypnogram, Session, User
from emulator.asleep.events import Event
from emulator.asleep.peculiarities import SessionState
from emulator.asleep.profiles import Profile, default_profile_for
from emulator.asleep.rules import Rules, service_profile
from emulator.core.tables import Namespace

RENDER_CACHE_SIZE: Final = 512
MIN_AGE: Final = 18
MAX_AGE: Final = 90


class TenantWorld:
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

    def delete_session(self, session: Session) -> None:
        self.sessions.delete(session.session_id)
        self.active.pop(session.session_id, None)
        self.hypnograms.delete(session.session_id)
        listed = self._by_user.get(session.user_id)
        if listed is not None and session.session_id in listed:
            listed.remove(session.session_id)
        self.forget(session.session_id)
