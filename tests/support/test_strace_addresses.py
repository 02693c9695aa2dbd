"""The strace log reader that checks the suite stays on this machine."""

from __future__ import annotations

from tests.support.strace_addresses import scan

LOG = [
    "101 connect(5, {sa_family=AF_INET, sin_port=htons(8080), "
    'sin_addr=inet_addr("127.0.0.1")}, 16) = 0',
    '102 connect(6, {sa_family=AF_INET6, sin6_port=htons(80), sin6_flowinfo=htonl(0), '
    'inet_pton(AF_INET6, "::1", &sin6_addr), sin6_scope_id=0}, 28) = 0',
    '103 sendto(5, "GET / HTTP/1.1\\r\\n", 16, 0, NULL, 0) = 16',
    '104 connect(7, {sa_family=AF_UNIX, sun_path="/run/x.sock"}, 110) = 0',
    "105 connect(8, {sa_family=AF_INET, sin_port=htons(53), "
    'sin_addr=inet_addr("10.0.0.2")}, 16) = 0',
    "106 read(3, ...) = 10",
]  # fmt: skip


def test_loopback_passes_and_anything_else_is_reported() -> None:
    found = scan(LOG)
    assert found.calls == 5
    assert dict(found.addresses) == {"127.0.0.1": 1, "::1": 1, "10.0.0.2": 1}
    assert found.families == {"AF_INET": 2, "AF_INET6": 1, "AF_UNIX": 1, "(no address)": 1}
    assert found.outside == [LOG[4]]
