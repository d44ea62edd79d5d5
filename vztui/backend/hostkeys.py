"""Host key verification with a reject policy: ``~/.ssh/known_hosts`` plus vztui's own file, never auto-added.

A key is *known* when any line for the host carries exactly that key (OpenSSH's rule), *changed* when the host
has a line with the same key type but another key, *unknown* otherwise. Hashed host names (``|1|salt|hash``),
patterns with ``*``/``?``/``!`` and ``@revoked`` markers are understood; ``@cert-authority`` lines are ignored
(vztui does not do host certificates). vztui only ever writes its own file.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import enum
import functools
import hashlib
import hmac
import os
import re
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import platformdirs

DEFAULT_PORT = 22

_TOKEN = re.compile(r"[A-Za-z0-9@._+-]+")
_HOST = re.compile(r"[A-Za-z0-9._:%-]+")
"""A host name, IPv4 or IPv6 address: nothing that could end a known_hosts field or start a pattern list."""


class HostKey(NamedTuple):
    """A server's public host key as ``fetch_host_key`` saw it."""

    key_type: str
    base64: str
    fingerprint: str


class Verdict(enum.Enum):
    KNOWN = "known"
    UNKNOWN = "unknown"
    CHANGED = "changed"
    REVOKED = "revoked"


def fingerprint(key_base64: str) -> str:
    """``SHA256:`` + unpadded base64 of the key blob's SHA-256: exactly what ``ssh-keygen -l`` prints."""
    digest = hashlib.sha256(base64.b64decode(key_base64)).digest()
    return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")


def host_pattern(host: str, port: int | None) -> str:
    """How known_hosts names a host: bare on port 22, ``[host]:port`` otherwise."""
    return host if port in (None, DEFAULT_PORT) else f"[{host}]:{port}"


@dataclass(frozen=True, slots=True)
class _Entry:
    patterns: tuple[str, ...]
    key_type: str
    key_base64: str
    marker: str

    def matches(self, name: str) -> bool:
        matched = False
        for pattern in self.patterns:
            negated = pattern.startswith("!")
            if _pattern_matches(pattern.removeprefix("!"), name):
                if negated:
                    return False
                matched = True
        return matched


def _pattern_matches(pattern: str, name: str) -> bool:
    if pattern.startswith("|1|"):
        try:
            _, _, salt_b64, hash_b64 = pattern.split("|", 3)
            salt = base64.b64decode(salt_b64)
            expected = base64.b64decode(hash_b64)
        except (ValueError, binascii.Error):
            return False
        return hmac.compare_digest(hmac.new(salt, name.encode(), hashlib.sha1).digest(), expected)
    return _wildcard(pattern).fullmatch(name.lower()) is not None


@functools.lru_cache(maxsize=1024)
def _wildcard(pattern: str) -> re.Pattern[str]:
    """OpenSSH host patterns know only ``*`` and ``?``; ``[`` is literal (``[host]:port``), unlike fnmatch."""
    parts = (".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern.lower())
    return re.compile("".join(parts))


def _parse(text: str) -> list[_Entry]:
    entries: list[_Entry] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        fields = line.split()
        marker = ""
        if fields[0].startswith("@"):
            marker, fields = fields[0], fields[1:]
        if len(fields) < 3:
            continue
        entries.append(_Entry(tuple(fields[0].split(",")), fields[1], fields[2], marker))
    return entries


class _CachedFile:
    """One known_hosts file, re-read whenever its mtime or size changes (another vztui may have trusted a key)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: tuple[int, int] | None = None
        self._entries: list[_Entry] = []

    def entries(self) -> list[_Entry]:
        try:
            stat = self.path.stat()
        except OSError:
            self._stamp, self._entries = None, []
            return []
        stamp = (stat.st_mtime_ns, stat.st_size)
        if stamp != self._stamp:
            self._entries = _parse(self.path.read_text(encoding="utf-8", errors="replace"))
            self._stamp = stamp
        return self._entries


def default_vztui_known_hosts() -> Path:
    return Path(platformdirs.user_data_dir("vztui")) / "known_hosts"


class KnownHosts:
    """The keys vztui trusts. ``user_file`` is read only; ``trust`` appends to ``vztui_file``."""

    def __init__(self, user_file: Path | str | None = None, vztui_file: Path | str | None = None) -> None:
        self.user_file = Path(user_file) if user_file is not None else Path.home() / ".ssh" / "known_hosts"
        self.vztui_file = Path(vztui_file) if vztui_file is not None else default_vztui_known_hosts()
        self._files = [_CachedFile(self.user_file), _CachedFile(self.vztui_file)]
        self._lock = threading.Lock()

    @property
    def files(self) -> tuple[Path, Path]:
        """Both files, for OpenSSH's ``UserKnownHostsFile``."""
        return (self.user_file, self.vztui_file)

    def _matching(self, host: str, port: int | None) -> list[_Entry]:
        name = host_pattern(host, port)
        with self._lock:
            return [e for f in self._files for e in f.entries() if e.matches(name)]

    def stamp(self) -> tuple[tuple[int, int], ...]:
        """Changes whenever either file changes: a transport refused for its host key retries at once after trust."""
        stamps = []
        for path in self.files:
            try:
                info = path.stat()
            except OSError:
                stamps.append((0, -1))
            else:
                stamps.append((info.st_mtime_ns, info.st_size))
        return tuple(stamps)

    def known_types(self, host: str, port: int | None) -> list[str]:
        """Key types on file for the host, so the handshake can ask for one of those first (as OpenSSH does)."""
        types: list[str] = []
        for entry in self._matching(host, port):
            if not entry.marker and entry.key_type not in types:
                types.append(entry.key_type)
        return types

    def check(self, host: str, port: int | None, key_type: str, key_base64: str) -> Verdict:
        entries = self._matching(host, port)
        if any(e.marker == "@revoked" and e.key_base64 == key_base64 for e in entries):
            return Verdict.REVOKED
        plain = [e for e in entries if not e.marker]
        if any(e.key_type == key_type and e.key_base64 == key_base64 for e in plain):
            return Verdict.KNOWN
        if any(e.key_type == key_type for e in plain):
            return Verdict.CHANGED
        return Verdict.UNKNOWN

    def trust(self, host: str, port: int | None, key: HostKey | str, key_base64: str | None = None) -> None:
        """Record exactly this key for ``host``/``port`` in vztui's file (``key`` is a HostKey or its type).

        Lines for the same host and key type in vztui's file are replaced, so trusting a new key after a deliberate
        re-install does not leave the old one behind. ``~/.ssh/known_hosts`` is never written.
        """
        key_type, blob = (key.key_type, key.base64) if isinstance(key, HostKey) else (key, key_base64)
        if not blob:
            raise ValueError("trust needs the key's base64 blob")
        base64.b64decode(blob, validate=True)
        if not _TOKEN.fullmatch(key_type):
            raise ValueError(f"not a key type: {key_type!r}")
        if not _HOST.fullmatch(host):
            raise ValueError(f"not a host name or address: {host!r}")
        name = host_pattern(host, port)
        with self._lock:
            self.vztui_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            kept: list[str] = []
            if self.vztui_file.exists():
                for raw in self.vztui_file.read_text(encoding="utf-8").splitlines():
                    entries = _parse(raw)
                    if entries and entries[0].key_type == key_type and entries[0].matches(name):
                        continue
                    kept.append(raw)
            kept.append(f"{name} {key_type} {blob}")
            tmp = self.vztui_file.with_name(self.vztui_file.name + ".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write("\n".join(kept) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            tmp.replace(self.vztui_file)


def fetch_host_key(host: str, port: int = DEFAULT_PORT, *, timeout: float = 10.0) -> HostKey:
    """Ask a server for its host key without authenticating, for an explicit trust step (``vztui nodes trust``).

    Paramiko is tried first; a server paramiko cannot negotiate with (ssh-rsa/SHA-1 only, CentOS 6) is asked
    through the system ``ssh`` with the legacy algorithms enabled and authentication off. Raises ``OSError``
    when neither gets a key.
    """
    import paramiko

    try:
        import socket

        with socket.create_connection((host, port), timeout=timeout) as sock:
            transport = paramiko.Transport(sock)
            try:
                transport.start_client(timeout=timeout)
                key = transport.get_remote_server_key()
            finally:
                transport.close()
        return HostKey(key.get_name(), key.get_base64(), fingerprint(key.get_base64()))
    except paramiko.SSHException as exc:
        legacy = _keyscan(host, port, timeout)
        if legacy is None:
            raise OSError(f"{host_pattern(host, port)}: could not read the host key: {exc}") from exc
        return legacy


def _keyscan(host: str, port: int, timeout: float) -> HostKey | None:
    """Read a legacy server's key with the system ``ssh`` (ssh-keyscan cannot enable SHA-1 key exchange).

    Every authentication method is off, so ssh stops after the key exchange with "Permission denied": the only
    thing it does is record the host key in a throwaway file (accept-new), which is then read back.
    """
    ssh = shutil.which("ssh")
    if ssh is None:
        return None
    with tempfile.TemporaryDirectory(prefix="vztui-scan-") as scratch:
        scan_file = Path(scratch) / "known_hosts"
        options = [
            "BatchMode=yes",
            "StrictHostKeyChecking=accept-new",
            f"UserKnownHostsFile={scan_file}",
            "GlobalKnownHostsFile=/dev/null",
            "HashKnownHosts=no",
            "PubkeyAuthentication=no",
            "PasswordAuthentication=no",
            "KbdInteractiveAuthentication=no",
            "GSSAPIAuthentication=no",
            "HostbasedAuthentication=no",
            "HostKeyAlgorithms=+ssh-rsa",
            "KexAlgorithms=+diffie-hellman-group14-sha1",
            f"ConnectTimeout={max(1, round(timeout))}",
        ]
        argv = [ssh, "-F", "/dev/null", "-p", str(port), "-l", "vztui-keyscan"]
        for option in options:
            argv += ["-o", option]
        argv += ["--", host, "true"]
        with contextlib.suppress(OSError, subprocess.TimeoutExpired):
            subprocess.run(argv, capture_output=True, timeout=timeout + 5, check=False, stdin=subprocess.DEVNULL)
        entries = _parse(scan_file.read_text()) if scan_file.exists() else []
    if not entries:
        return None
    entry = entries[0]
    return HostKey(entry.key_type, entry.key_base64, fingerprint(entry.key_base64))
