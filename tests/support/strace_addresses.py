"""Every internet address an strace log of the suite names, and whether any left the machine.

The loopback guard (``tests.support.network``) sees only this process; servers the
suite starts as separate processes, and the browser of the inspector tests, are checked
by running the whole suite under strace and reading its log with this module
(docs/reliability.md)::

    strace -f -yy --seccomp-bpf -qq -e trace=connect,sendto,sendmsg,sendmmsg \\
        -e signal=none -o strace.log python -m pytest -q
    python -m tests.support.strace_addresses strace.log

It prints what it found and exits 1 if anything was dialled or sent outside 127.0.0.0/8
and ::1. One thing is told apart: ``connect`` on a UDP socket sends nothing (it only
picks the route a later datagram would take), and Chromium and chromedriver do it to
learn whether IPv6 reaches the internet (no switch turns that off). With ``-yy`` the
log says which sockets are UDP; such a *route probe* is listed on its own and passes, as
long as nothing is sent on a socket connected off the machine (a send shows its peer in
the ``-yy`` annotation).
Without ``-yy`` every outside address fails.
"""

from __future__ import annotations

import ipaddress
import re
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

_CALL = re.compile(r"\b(connect|sendto|sendmsg|sendmmsg)\((\d+)(?:<([A-Za-z0-9-]+):\[(.*?)\]>)?")
_FAMILY = re.compile(r"sa_family=(AF_\w+)")
_ADDRESS = re.compile(r'inet_addr\("([^"]+)"\)|inet_pton\(AF_INET6, "([^"]+)"')
_PEER = re.compile(r"->\[?([0-9A-Fa-f:.]+?)\]?:\d+$")
_LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))
_DATAGRAM = ("UDP", "UDPv6", "UDPLITE", "UDPLITEv6")


@dataclass
class Found:
    calls: int = 0
    families: Counter[str] = field(default_factory=Counter)
    addresses: Counter[str] = field(default_factory=Counter)
    outside: list[str] = field(default_factory=list)
    route_probes: list[str] = field(default_factory=list)

    def report(self, lines: int) -> str:
        return "\n".join(
            [
                f"{lines} lines, {self.calls} connect/send calls; families: {dict(self.families)}",
                f"internet addresses: {dict(self.addresses)}",
                f"UDP route probes off the machine (connect only, nothing sent): "
                f"{len(self.route_probes)}",
                *(f"  {line}" for line in self.route_probes[:5]),
                f"outside 127.0.0.0/8 and ::1: {len(self.outside)}",
                *(f"  {line}" for line in self.outside[:20]),
            ]
        )


def is_loopback(text: str) -> bool:
    address = ipaddress.ip_address(text)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in _LOOPBACK)


def _peer(protocol: str | None, annotation: str | None) -> str | None:
    """The remote address of a connected internet socket in strace's ``-yy`` annotation."""
    if protocol is None or not protocol.startswith(("TCP", "UDP")):
        return None
    match = _PEER.search(annotation or "")
    return match.group(1) if match else None


def scan(lines: Iterable[str]) -> Found:
    found = Found()
    for line in lines:
        call = _CALL.search(line)
        if call is None:
            continue
        name, _fd, protocol, annotation = call.groups()
        found.calls += 1
        family = _FAMILY.search(line)
        found.families[family.group(1) if family else "(no address)"] += 1
        named = [v4 or v6 for v4, v6 in _ADDRESS.findall(line)]
        if name != "connect" and (peer := _peer(protocol, annotation)) is not None:
            named.append(peer)
        for text in named:
            found.addresses[text] += 1
            if is_loopback(text):
                continue
            if name == "connect" and protocol in _DATAGRAM:
                found.route_probes.append(line)
            else:
                found.outside.append(line)
    return found


def main(argv: list[str]) -> int:
    lines = Path(argv[0]).read_text(errors="replace").splitlines()
    found = scan(lines)
    print(found.report(len(lines)))
    return 1 if found.outside else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
