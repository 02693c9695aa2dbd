from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from emulator.core.store import Store
from emulator.core.tables import Namespace
from tests.support.records import Thing, things


def test_tenants_are_isolated_and_reset_separately() -> None:
    store = Store()
    things(store.namespace("a")).put("1", Thing("x", 1))
    things(store.namespace("b")).put("1", Thing("y", 2))
    assert things(store.namespace("a")).get("1") == Thing("x", 1)
    store.reset("a")
    assert things(store.namespace("a")).get("1") is None
    assert things(store.namespace("b")).get("1") == Thing("y", 2)
    store.reset()
    assert store.tenants() == []


def test_counters_are_per_tenant_and_survive_snapshots() -> None:
    store = Store(seed=5)
    a = store.namespace("a")
    assert [a.next_id("k"), a.next_id("k"), store.namespace("b").next_id("k")] == [1, 2, 1]
    doc = store.snapshot()
    store.reset()
    store.restore(doc)
    assert store.namespace("a").next_id("k") == 3
    assert store.seed == 5


@given(
    rows=st.dictionaries(
        st.sampled_from(["a", "b", "c"]),
        st.dictionaries(st.text(min_size=1, max_size=5), st.integers(), max_size=5),
        max_size=3,
    )
)
def test_snapshot_restore_round_trips(rows: dict[str, dict[str, int]]) -> None:
    store = Store()
    for tenant, items in rows.items():
        table = things(store.namespace(tenant))
        for key, n in items.items():
            table.put(key, Thing(key, n))
    doc = store.snapshot()
    other = Store()
    other.restore(doc)
    assert other.snapshot() == doc
    for tenant, items in rows.items():
        table = things(other.namespace(tenant))
        assert {k: t.n for k, t in zip(table.keys(), table.values(), strict=True)} == items


def test_state_views_are_built_once_per_namespace() -> None:
    store = Store()
    ns = store.namespace("a")
    built: list[Namespace] = []

    class View:
        def __init__(self, namespace: Namespace) -> None:
            built.append(namespace)

    assert ns.state(View, View) is ns.state(View, View)
    assert built == [ns]
