"""Every internet address an ``strace -f -e trace=connect,sendto`` log names.

The loopback guard (``tests.support.network``) sees only this process; servers the
suite starts as separate processes are checked by running the whole suite under
strace and reading its log with this module (docs/reliability.md)::

    strace -f --seccomp-bpf -qq -e trace=connect,sendto -e signal=none -o strace.log \\
        python -m pytest -q
    python -m tests.support.strace_addresses strace.log

It prints what it found and exits 1 if any address is outside 127.0.0.0/8 and ::1.
"""

from __future__ import annotations

import ipaddress
import re
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

_CALL = re.compile(r"\b(?:connect|sendto)\(")
_FAMILY = re.compile(r"sa_family=(AF_\w+)")
_ADDRESS = re.compile(r'inet_addr\("([^"]+)"\)|inet_pton\(AF_INET6, "([^"]+)"')
_LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))


@dataclass
class Found:
    calls: int = 0
    families: Counter[str] = field(default_factory=Counter)
    addresses: Counter[str] = field(default_factory=Counter)
    outside: list[str] = field(default_factory=list)

    def report(self, lines: int) -> str:
        return "\n".join(
            [
                f"{lines} lines, {self.calls} connect/sendto calls; "
                f"families: {dict(self.families)}",
                f"internet addresses: {dict(self.addresses)}",
                f"outside 127.0.0.0/8 and ::1: {len(self.outside)}",
                *(f"  {line}" for line in self.outside[:20]),
            ]
        )


def is_loopback(text: str) -> bool:
    address = ipaddress.ip_address(text)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in _LOOPBACK)


def scan(lines: Iterable[str]) -> Found:
    found = Found()
    for line in lines:
        if not _CALL.search(line):
            continue
        found.calls += 1
        family = _FAMILY.search(line)
        found.families[family.group(1) if family else "(no address)"] += 1
        for v4, v6 in _ADDRESS.findall(line):
            text = v4 or v6
            found.addresses[text] += 1
            if not is_loopback(text):
                found.outside.append(line)
    return found


def main(argv: list[str]) -> int:
    lines = Path(argv[0]).read_text(errors="replace").splitlines()
    found = scan(lines)
    print(found.report(len(lines)))
    return 1 if found.outside else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
