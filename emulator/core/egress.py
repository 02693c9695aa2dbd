"""Where outgoing calls may go: the ``webhooks.allowed_hosts`` allow-list.

A callback URL is the client's to choose, so on a shared emulator it could point at
anything the emulator can reach (a cloud metadata address, an admin port on the
private network). Empty (the default) allows every host, as a local emulator should.
Otherwise each entry is a host name (``hooks.ci.internal``, or ``*.ci.internal`` for
its subdomains) or an address or network (``10.1.2.3``, ``10.0.0.0/8``, ``::1``):

* a URL whose host matches a name entry is allowed as it is;
* otherwise its host is resolved (an address literal is taken as is) and the call goes
  to the first address inside a listed network, pinned: the URL is rewritten to that
  address, with the original ``Host`` header and TLS server name, so a name that
  resolves differently a moment later (DNS rebinding) cannot move the call elsewhere;
* a host with no allowed address is refused: the attempt fails as ``invalid_url``,
  which the outbox does not retry.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass, field
from typing import Any

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class NotAllowed(ValueError):
    """The URL's host is outside the allow-list; the message says which host."""


@dataclass(frozen=True, slots=True)
class Target:
    """Where to send: the URL to use, and what keeps the original host visible."""

    url: str
    headers: dict[str, str] = field(default_factory=dict)
    extensions: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AllowList:
    names: tuple[str, ...] = ()
    networks: tuple[Network, ...] = ()

    @classmethod
    def parse(cls, entries: tuple[str, ...]) -> AllowList:
        """The allow-list of the setting's entries; ValueError naming a bad one."""
        names: list[str] = []
        networks: list[Network] = []
        for raw in entries:
            entry = raw.strip().lower().rstrip(".")
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
                continue
            except ValueError:
                pass
            label = entry.removeprefix("*.")
            if not label or "/" in label or ":" in label or "*" in label or " " in label:
                raise ValueError(
                    f"webhooks.allowed_hosts: {raw!r} is neither a host name (or *.domain) "
                    "nor an address or network (CIDR)"
                )
            names.append(entry)
        return cls(tuple(names), tuple(networks))

    @property
    def open(self) -> bool:
        return not self.names and not self.networks

    def allows_name(self, host: str) -> bool:
        host = host.lower().rstrip(".")
        for name in self.names:
            if name.startswith("*."):
                if host.endswith(name[1:]) and len(host) > len(name) - 1:
                    return True
            elif host == name:
                return True
        return False

    def allows_address(self, address: Address) -> bool:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        return any(address in network for network in self.networks)

    async def target(self, url: str) -> Target:
        """Where a call to ``url`` goes, or ``NotAllowed``. Resolves the host when a
        network entry has to decide (an ``OSError`` when the name does not resolve)."""
        if self.open:
            return Target(url)
        import httpx  # only a delivery gets here; httpx is already loaded by then

        parsed = httpx.URL(url)
        host = parsed.host
        if self.allows_name(host):
            return Target(url)
        try:
            literal: Address | None = ipaddress.ip_address(host)
        except ValueError:
            literal = None
        if literal is not None:
            if self.allows_address(literal):
                return Target(url)
            raise NotAllowed(f"callback host {host} is not in webhooks.allowed_hosts")
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        loop = asyncio.get_running_loop()
        found = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        for *_, sockaddr in found:
            address = ipaddress.ip_address(sockaddr[0])
            if self.allows_address(address):
                pinned = parsed.copy_with(host=str(address))
                return Target(
                    str(pinned),
                    headers={"Host": parsed.netloc.decode("ascii")},
                    extensions={"sni_hostname": host},
                )
        raise NotAllowed(f"callback host {host} resolves to no address in webhooks.allowed_hosts")
