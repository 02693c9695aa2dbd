"""The shared store (``--state-url``) against a real Redis: two stores are two replicas.

Each ``SharedStore`` here plays one emulator process; both point at the test's empty
Redis database. What one commits, the other reads on its next sync; a transaction
that worked on a copy another replica changed meanwhile changes nothing and conflicts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulator.core.shared.db import SharedDB
from emulator.core.shared.store import SharedStore
from emulator.core.shared.transaction import Conflict, Transaction, Unavailable, active
from tests.support.records import Thing, things
from tests.support.redis import RedisServer


@pytest.fixture
def replicas(redis_url: str) -> Iterator[Callable[..., SharedStore]]:
    made: list[SharedDB] = []

    def make(**kwargs: Any) -> SharedStore:
        db = SharedDB.connect(redis_url)
        made.append(db)
        return SharedStore(db, **kwargs)

    yield make
    for db in made:
        db.close()


def in_tx(store: SharedStore, job: Callable[[], Any]) -> Transaction:
    """Run ``job`` in a transaction that is not committed yet."""
    tx = Transaction(store)
    with active(tx):
        job()
    return tx


def test_a_write_on_one_replica_is_read_on_the_other(
    replicas: Callable[..., SharedStore],
) -> None:
    a, b = replicas(), replicas()
    things(a.namespace("k")).put("1", Thing("x", 1))
    things(a.namespace("k")).put("2", Thing("y", 2))
    assert things(b.namespace("k")).get("1") == Thing("x", 1)
    assert things(b.namespace("k")).keys() == ["1", "2"]
    things(b.namespace("k")).delete("1")
    things(b.namespace("k")).put("3", Thing("z", 3))
    assert things(a.namespace("k")).keys() == ["2", "3"]
    assert a.tenants() == b.tenants() == ["k"]


def test_a_stale_copy_cannot_be_committed(replicas: Callable[..., SharedStore]) -> None:
    a, b = replicas(), replicas()
    things(a.namespace("k")).put("1", Thing("x", 1))

    def bump(store: SharedStore) -> Callable[[], None]:
        def job() -> None:
            table = things(store.namespace("k"))
            row = table.get("1")
            assert row is not None
            row.n += 1
            table.put("1", row)

        return job

    first = in_tx(a, bump(a))
    second = in_tx(b, bump(b))  # read the same version as `first`
    first.commit()
    with pytest.raises(Conflict):
        second.commit()
    second.rollback()
    # Nothing of the failed transaction remains; run again, it sees the first one.
    assert things(b.namespace("k")).get("1") == Thing("x", 2)
    Transaction.run(b, bump(b))
    assert things(a.namespace("k")).get("1") == Thing("x", 3)


def test_requests_of_one_process_sharing_a_row_do_not_conflict(
    replicas: Callable[..., SharedStore],
) -> None:
    a = replicas()
    things(a.namespace("k")).put("1", Thing("x", 0))
    txs = []
    for _ in range(3):  # three requests in flight on one process: one object, in turn
        tx = Transaction(a)
        with active(tx):
            table = things(a.namespace("k"))
            row = table.get("1")
            assert row is not None
            row.n += 1
            table.put("1", row)
        txs.append(tx)
    for tx in txs:
        tx.commit()
    assert things(replicas().namespace("k")).get("1") == Thing("x", 3)


def test_a_row_created_meanwhile_by_another_replica_conflicts(
    replicas: Callable[..., SharedStore],
) -> None:
    a, b = replicas(), replicas()

    def create(store: SharedStore, name: str) -> Callable[[], None]:
        def job() -> None:
            table = things(store.namespace("k"))
            if table.get("only") is None:
                table.put("only", Thing(name, 1))

        return job

    first, second = in_tx(a, create(a, "a")), in_tx(b, create(b, "b"))
    first.commit()
    with pytest.raises(Conflict):
        second.commit()


def test_counters_are_unique_over_replicas_and_follow_the_request_order(
    replicas: Callable[..., SharedStore],
) -> None:
    a, b = replicas(), replicas()
    got = [s.namespace("k").next_id("n") for s in (a, b, a, a, b)]
    assert got == [1, 2, 3, 4, 5]
    assert b.namespace("other").next_id("n") == 1
    assert a.snapshot()["tenants"]["k"]["_counters"] == {"n": {"value": 5}}


def test_a_reader_with_an_unknown_key_leaves_nothing(replicas: Callable[..., SharedStore]) -> None:
    a = replicas()
    for n in range(50):
        assert things(a.namespace(f"nobody-{n}")).get("1") is None
    assert a.tenants() == []
    assert a._namespaces == {}


def test_resets_and_restores_reach_the_other_replica(
    replicas: Callable[..., SharedStore],
) -> None:
    a, b = replicas(seed=7), replicas(seed=99)
    assert b.seed == 7  # the world's seed, set by the first process
    things(a.namespace("k")).put("1", Thing("x", 1))
    things(a.namespace("j")).put("1", Thing("y", 2))
    saved = b.snapshot()
    assert set(saved["tenants"]) == {"k", "j"}
    a.reset("k")
    assert things(b.namespace("k")).get("1") is None
    assert things(b.namespace("j")).get("1") == Thing("y", 2)
    a.reset()
    assert things(b.namespace("j")).get("1") is None
    b.restore(saved)
    assert things(a.namespace("k")).get("1") == Thing("x", 1)
    assert a.snapshot() == saved
    a.restore({**saved, "tenants": {"k": saved["tenants"]["k"]}}, tenant="copy")
    assert things(b.namespace("copy")).get("1") == Thing("x", 1)


def test_the_tenant_cap_counts_every_replica(replicas: Callable[..., SharedStore]) -> None:
    a, b = replicas(max_tenants=2), replicas(max_tenants=2)
    things(a.namespace("one")).put("1", Thing("x", 1))
    things(b.namespace("two")).put("1", Thing("x", 1))
    with pytest.raises(Unavailable, match="at most 2 API keys"):
        things(a.namespace("three")).put("1", Thing("x", 1))
    things(b.namespace("one")).put("2", Thing("x", 2))  # a known tenant may still write
    b.reset("two")
    things(a.namespace("three")).put("1", Thing("x", 1))


OPS = st.lists(
    st.tuples(
        st.sampled_from(["a", "b"]),
        st.sampled_from(["put", "delete"]),
        st.sampled_from(["1", "2", "3", "4"]),
        st.integers(0, 9),
    ),
    max_size=25,
)


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS)
def test_replicas_agree_with_a_single_dictionary(
    redis_server: RedisServer, ops: list[tuple[str, str, str, int]]
) -> None:
    """Any interleaving of writes by two replicas: both read what one dict would hold."""
    redis_server.flush()
    dbs = [SharedDB.connect(redis_server.url) for _ in range(2)]
    try:
        stores = {"a": SharedStore(dbs[0]), "b": SharedStore(dbs[1])}
        model: dict[str, int] = {}
        for who, op, key, n in ops:
            table = things(stores[who].namespace("k"))
            if op == "put":
                table.put(key, Thing(key, n))
                model[key] = n
            elif table.get(key) is not None:
                table.delete(key)
                model.pop(key, None)
        for store in stores.values():
            table = things(store.namespace("k"))
            rows = [(k, t.n) for k, t in zip(table.keys(), table.values(), strict=True)]
            assert rows == list(model.items())  # in first-write order, as one dict keeps them
    finally:
        for db in dbs:
            db.close()


def test_a_store_that_stalls_past_the_socket_timeout_is_unavailable() -> None:
    """redis-py raises its own TimeoutError (no ConnectionError) when Redis takes the
    command and does not answer in time: that is a 503 (``Unavailable``), not a 500."""
    import redis as redis_lib

    server = RedisServer()  # its own: the pause must not stall other tests' commands
    db = SharedDB.connect(server.url + "?socket_timeout=0.2")  # the URL's options win
    try:
        with redis_lib.Redis.from_url(server.url) as other:
            # Longer than redis-py's own retries of a timed-out command take.
            other.execute_command("CLIENT", "PAUSE", 5_000, "ALL")
        with pytest.raises(Unavailable, match="is unreachable: Timeout"):
            db.metas()
    finally:
        db.close()
        server.stop()
