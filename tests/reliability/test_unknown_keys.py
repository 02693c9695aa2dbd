"""Reads with API keys nobody wrote for leave nothing behind (issue 13).

A namespace exists from its first write on; a read with an unknown key (a typo, a
scanner trying keys) gets an empty one that lives only as long as its request. So
20,000 reads with 20,000 different keys -- on both vendors' read endpoints -- must
not grow the server's resident memory by more than ``LIMIT`` (the bounded journal
keeps its last 1,000 entries whatever happens).
"""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from tests.reliability.conftest import Launch, mb

pytestmark = [pytest.mark.reliability, pytest.mark.e2e]

READS = 20_000
CLIENTS = 8
LIMIT = 10 * 1024 * 1024
UNKNOWN_USER = "G-20250115025029-AAAAAAAAAAAAAAAAAAAA"


async def read_with_unknown_keys(base_url: str, start: int, count: int) -> list[int]:
    """``count`` reads, each with a key of its own, spread over a few connections."""
    statuses: list[int] = []

    async def client(offset: int) -> None:
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
            for n in range(start + offset, start + count, CLIENTS):
                key = {"x-api-key": f"stranger-{n:06d}"}
                if n % 2:
                    r = await http.get("/v2/predict/users/someone", headers=key)
                else:
                    r = await http.get(
                        "/ai/v1/users/G-20250115025029-AAAAAAAAAAAAAAAAAAAA", headers=key
                    )
                statuses.append(r.status_code)

    await asyncio.gather(*(client(offset) for offset in range(CLIENTS)))
    return statuses


def test_twenty_thousand_reads_with_unknown_keys_keep_memory_flat(launch: Launch) -> None:
    live = launch()
    # Warm-up: imports, the journal filling to its bound, allocator arenas.
    asyncio.run(read_with_unknown_keys(live.base_url, 0, 2_000))
    before = live.rss()
    started = time.monotonic()
    statuses = asyncio.run(read_with_unknown_keys(live.base_url, 2_000, READS))
    elapsed = time.monotonic() - started
    after = live.rss()
    tenants = httpx.get(f"{live.base_url}/_emulator/state").json()["tenants"]
    print(
        f"\n{READS:,} reads with unknown keys in {elapsed:.1f} s: RSS {mb(before)} -> "
        f"{mb(after)} ({mb(after - before)} growth, limit {mb(LIMIT)}); tenants kept "
        f"{len(tenants)}"
    )
    assert sorted(set(statuses)) == [200, 404]
    assert tenants == {}
    assert after - before < LIMIT
