"""The callback allow-list (``emulator.core.egress``, ``webhooks.allowed_hosts``)."""

from __future__ import annotations

import asyncio
import ipaddress

import pytest

from emulator.core.egress import AllowList, NotAllowed
from emulator.core.outbox import Delivery, WebhookSettings
from emulator.settings import Settings
from tests.core.test_outbox import Recorder, make, run, started, submit


def test_entries_are_names_or_networks() -> None:
    allow = AllowList.parse(("Hooks.CI.internal.", "*.ci.internal", "10.0.0.0/8", "[::1]", " "))
    assert allow.names == ("hooks.ci.internal", "*.ci.internal")
    assert allow.networks == (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("::1"))
    assert allow.allows_name("hooks.ci.internal")
    assert allow.allows_name("a.b.ci.internal")
    assert not allow.allows_name("ci.internal")  # *. is for subdomains
    assert not allow.allows_name("evilci.internal")
    assert allow.allows_address(ipaddress.ip_address("10.1.2.3"))
    assert allow.allows_address(ipaddress.ip_address("::ffff:10.1.2.3"))  # v4-mapped
    assert not allow.allows_address(ipaddress.ip_address("169.254.169.254"))
    for bad in ("http://x", "a b", "*", "*.", "10.0.0.0/33x"):
        with pytest.raises(ValueError, match="allowed_hosts"):
            AllowList.parse((bad,))


def test_the_setting_is_checked_at_start_up() -> None:
    with pytest.raises(ValueError, match="allowed_hosts"):
        WebhookSettings(allowed_hosts=("not a host",))
    found = Settings().with_dotted({"webhooks.allowed_hosts": "127.0.0.1/32, hooks.test"})
    assert found.webhooks.allowed_hosts == ("127.0.0.1/32", "hooks.test")


def _target(allow: AllowList, url: str) -> tuple[str, dict[str, str], dict[str, object]]:
    async def go() -> tuple[str, dict[str, str], dict[str, object]]:
        found = await allow.target(url)
        return found.url, found.headers, found.extensions

    return asyncio.run(go())


def test_a_resolved_name_is_pinned_to_the_allowed_address() -> None:
    allow = AllowList.parse(("127.0.0.0/8",))
    url, headers, extensions = _target(allow, "https://localhost:9443/hook?x=1")
    assert url == "https://127.0.0.1:9443/hook?x=1"
    assert headers == {"Host": "localhost:9443"}
    assert extensions == {"sni_hostname": "localhost"}
    assert _target(allow, "http://127.0.0.5/h")[0] == "http://127.0.0.5/h"
    assert _target(AllowList(), "http://anything.test/")[0] == "http://anything.test/"
    assert _target(AllowList.parse(("hooks.test",)), "http://hooks.test/")[0] == (
        "http://hooks.test/"
    )


def test_hosts_outside_the_list_are_refused() -> None:
    allow = AllowList.parse(("127.0.0.1/32",))
    with pytest.raises(NotAllowed, match=r"127\.0\.0\.2"):
        _target(allow, "http://127.0.0.2/")
    with pytest.raises(NotAllowed, match="resolves to no address"):
        _target(AllowList.parse(("10.0.0.0/8",)), "http://localhost/")


def test_a_refused_delivery_fails_at_once_and_is_not_retried() -> None:
    rec = Recorder()

    async def scenario() -> tuple[Delivery, Delivery]:
        outbox = await started(make(rec, allowed_hosts=("127.0.0.1/32",)))
        refused = submit(outbox, url="http://127.0.0.2:9/hook")
        allowed = submit(outbox, session_id="s2", url="http://127.0.0.1:9/hook")
        assert await outbox.flush(5)
        await outbox.stop()
        return refused, allowed

    refused, allowed = run(scenario())
    assert refused.status == "failed"
    assert [(a.error_kind, a.error) for a in refused.attempts] == [
        ("invalid_url", "callback host 127.0.0.2 is not in webhooks.allowed_hosts")
    ]
    assert allowed.status == "delivered"
    assert [str(r.url) for _, r in rec.requests] == ["http://127.0.0.1:9/hook"]
