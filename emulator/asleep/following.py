"""Keeping an ``AsleepState`` view right when another emulator process changes its rows.

With ``--state-url`` several processes serve one Asleep world; each keeps its own view
of a tenant (``world.TenantWorld``) with indexes derived from the tables: sessions by
user in creation order, the sessions time can still act on, rendered bodies and stats.
When a sync brings a row another process wrote, the shared store calls the view's
``changed`` (``emulator.core.shared.store``), which lands here and patches exactly
what depends on that row -- a full rebuild per change would cost a tenant's whole
history on every request. This module is the view's companion: it works on its
indexes directly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from emulator.asleep.peculiarities import SessionState
from emulator.core.owners import refile

if TYPE_CHECKING:
    from emulator.asleep.world import TenantWorld


def changed(state: TenantWorld, table: str, key: str, old: Any) -> None:
    """Row ``key`` of ``table`` changed (``old``: the copy it replaced, if any)."""
    if table == "asleep.users":
        for session_id in state._by_user.get(key, ()):
            state.forget(session_id)  # the profile may have changed
        return
    state.forget(key)
    if table == "asleep.sessions":
        _session_changed(state, key, old)


def _session_changed(state: TenantWorld, key: str, old: Any) -> None:
    def ordinal(session_id: str) -> int:
        found = state.sessions.peek(session_id)
        return found.ordinal if found is not None else 0

    session = state.sessions.peek(key)
    was = old.user_id if old is not None else None
    now = session.user_id if session is not None else None
    refile(state._by_user, key, was=was, now=now, order=ordinal)
    if session is None:  # deleted
        state.active.pop(key, None)
        return
    if session.state is SessionState.COMPLETE:
        state.active.pop(key, None)
    elif key not in state.active:
        # In creation order: ticks walk it, and event order must not vary (world).
        state.active[key] = None
        state.active = dict.fromkeys(sorted(state.active, key=ordinal))
