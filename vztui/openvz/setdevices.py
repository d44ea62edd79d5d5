"""Parsing of vzctl's device-like values: ``--devices``, ``--devnodes``, PCI addresses and veth (NETIF) entries.

Each function reads one token the way vzctl 4.11.1 does (``src/lib/config.c``) and returns a typed value;
``BadValueError`` or ``SetParamError`` (with vzctl's own extra line) reports what vzctl would refuse.
"""

from __future__ import annotations

from vztui.openvz.setrequest import DEFAULT_HWID, Device, DevNode, SetParamError, Veth
from vztui.openvz.setvalues import (
    IFNAMSIZE,
    BadValueError,
    default_host_ifname,
    generate_mac,
    parse_hwaddr,
    parse_int,
)


def parse_device(token: str) -> Device:
    """One ``b|c:major:minor|all:perms`` entry as vzctl reads it (major 7, loop devices, is refused)."""
    parts = token.split(":", 3)
    if len(parts) != 4 or len(parts[0]) != 1 or parts[0] not in "bc":
        raise BadValueError(token)
    kind, major_text, minor_text, perms = parts
    major = parse_int(major_text) if major_text else None
    if major is None or major == 7:
        raise BadValueError(token)
    minor = None if minor_text == "all" else parse_int(minor_text)
    return Device(kind, major, minor, _perms(perms, token))


def _perms(text: str, token: str) -> str:
    if text == "none":
        return ""
    if any(ch not in "rwq" for ch in text):
        raise BadValueError(token)
    return "".join(ch for ch in "rwq" if ch in text)


def parse_devnode(token: str) -> DevNode:
    """One ``name:perms`` entry. vzctl also stat()s /dev/<name> on the host; that check belongs to the caller."""
    name, colon, perms = token.rpartition(":")
    if not colon or not name:
        raise BadValueError(token)
    return DevNode(name, _perms(perms, token))


def parse_pci(token: str) -> str:
    """``[domain:]bus:slot.func`` in hex, stored as ``%04x:%02x:%02x.%d``."""
    head, dot, func = token.rpartition(".")
    fields = head.split(":")
    if not dot or len(fields) not in (2, 3):
        raise BadValueError(token)
    try:
        numbers = [int(part, 16) for part in fields]
        function = int(func)
    except ValueError as exc:
        raise BadValueError(token) from exc
    domain, bus, slot = numbers if len(numbers) == 3 else [0, *numbers]
    return f"{domain:04x}:{bus:02x}:{slot:02x}.{function}"


def parse_netif_add(token: str, ctid: int, hwid: str = DEFAULT_HWID) -> Veth:
    """``--netif_add ifname[,mac[,host_ifname[,host_mac[,bridge]]]]`` with vzctl's generated defaults."""
    fields = token.split(",", 4)
    ifname = fields[0]
    if len(ifname) + 1 > IFNAMSIZE:
        raise BadValueError(token)
    if len(fields) == 1:
        host_ifname = default_host_ifname(ctid, ifname)
        return Veth(
            ifname=ifname,
            mac=generate_mac(ctid, ifname, hwid),
            host_ifname=host_ifname,
            host_mac=generate_mac(ctid, host_ifname, hwid),
        )
    mac = _given_mac(fields[1], "Invalid container MAC address") or generate_mac(ctid, ifname, hwid)
    if len(fields) == 2:
        return Veth(ifname=ifname, mac=mac, host_ifname=default_host_ifname(ctid, ifname), host_mac=mac)
    host_ifname = fields[2]
    if len(host_ifname) + 1 > IFNAMSIZE:
        raise BadValueError(token)
    if host_ifname and len(fields) == 3:
        return Veth(ifname=ifname, mac=mac, host_ifname=host_ifname, host_mac=mac)
    host_ifname = host_ifname or default_host_ifname(ctid, ifname)
    host_mac_text = fields[3] if len(fields) > 3 else ""
    host_mac = _given_mac(host_mac_text, "Invalid host MAC address") or generate_mac(ctid, host_ifname, hwid)
    bridge = fields[4] if len(fields) > 4 else ""
    if len(bridge) + 1 > IFNAMSIZE:
        raise BadValueError(token)
    return Veth(ifname=ifname, mac=mac, host_ifname=host_ifname, host_mac=host_mac, bridge=bridge)


def _given_mac(text: str, message: str) -> str | None:
    if not text:
        return None
    if len(text) != 17:
        raise SetParamError(f"{message}{' length' if 'container' in message else ''}")
    try:
        return parse_hwaddr(text)
    except BadValueError as exc:
        raise SetParamError(f"{message}{' format' if 'container' in message else ''}") from exc


def parse_netif_config_entry(token: str, ctid: int, hwid: str = DEFAULT_HWID) -> Veth:
    """One NETIF device from a config file, with vzctl's defaults for the fields it leaves out."""
    fields: dict[str, str] = {}
    mac: str | None = None
    host_mac: str | None = None
    mac_filter: bool | None = None
    for part in token.split(","):
        name, equals, content = part.partition("=")
        if not equals:
            continue
        if name in ("ifname", "host_ifname", "bridge"):
            if len(content) + 1 > IFNAMSIZE:
                raise BadValueError(token)
            fields.setdefault(name, content)
        elif name == "mac":
            mac = parse_hwaddr(content)
        elif name == "host_mac":
            host_mac = parse_hwaddr(content)
        elif name == "mac_filter" and content:
            if content not in ("on", "off"):
                raise BadValueError(token)
            mac_filter = content == "on"
    ifname = fields.get("ifname", "")
    if not ifname:
        raise BadValueError(token)
    host_ifname = fields.get("host_ifname") or default_host_ifname(ctid, ifname)
    if mac is None:
        mac = generate_mac(ctid, host_ifname, hwid)
    return Veth(
        ifname=ifname,
        mac=mac,
        host_ifname=host_ifname,
        host_mac=host_mac if host_mac is not None else mac,
        bridge=fields.get("bridge", ""),
        mac_filter=mac_filter,
    )
