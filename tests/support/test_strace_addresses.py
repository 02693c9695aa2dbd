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

PROBE = (
    "391 connect(9<UDPv6:[631988]>, {sa_family=AF_INET6, sin6_port=htons(443), "
    'sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "2001:4860:4860::8888", &sin6_addr), '
    "sin6_scope_id=0}, 28) = 0"
)


def test_loopback_passes_and_anything_else_is_reported() -> None:
    found = scan(LOG)
    assert found.calls == 5
    assert dict(found.addresses) == {"127.0.0.1": 1, "::1": 1, "10.0.0.2": 1}
    assert found.families == {"AF_INET": 2, "AF_INET6": 1, "AF_UNIX": 1, "(no address)": 1}
    assert found.outside == [LOG[4]]


def test_a_udp_route_probe_is_told_apart_but_a_datagram_off_the_machine_is_not() -> None:
    sent = (
        '391 sendto(9<UDPv6:[[fd00::2]:5353->[2001:4860:4860::8888]:443]>, "x", 1, 0, NULL, 0) = 1'
    )
    loopback_tcp = '392 sendto(10<TCP:[127.0.0.1:40000->127.0.0.1:8000]>, "x", 1, 0, NULL, 0) = 1'
    tcp_out = PROBE.replace("UDPv6", "TCPv6")
    found = scan([PROBE, sent, loopback_tcp, tcp_out])
    assert found.route_probes == [PROBE]
    assert found.outside == [sent, tcp_out]
    assert found.addresses["127.0.0.1"] == 1


def test_without_socket_annotations_a_udp_connect_counts_as_outside() -> None:
    plain = PROBE.replace("9<UDPv6:[631988]>", "9")
    assert scan([plain]).outside == [plain]
    unix = "393 sendmsg(4<UNIX-STREAM:[1234->5678]>, {msg_name=NULL}, 0) = 3"
    assert scan([unix]).outside == []
