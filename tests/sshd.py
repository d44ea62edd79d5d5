"""Real OpenSSH sshd processes on 127.0.0.1 for tests: one per simulated node, throwaway keys, key-only auth.

``SshdFactory`` generates a host key pair and a user key pair once per session (ssh-keygen), then starts any
number of ``sshd -D -e`` processes on ephemeral ports. Each ``SshdNode`` knows how to build a ``NodeSpec`` that
reaches it, writes a known_hosts file naming its host key, and can be restarted, killed or frozen (SIGSTOP) to
test faults. The node's ``bin/`` directory (the simulator's ``vzctl``/``vzlist`` wrappers) leads the session
PATH through sshd's ``SetEnv``.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from vztui.backend.nodespec import NodeSpec, TransportKind

SSHD = shutil.which("sshd") or ("/usr/sbin/sshd" if os.access("/usr/sbin/sshd", os.X_OK) else None)
SSH_KEYGEN = shutil.which("ssh-keygen")
SKIP_REASON = "OpenSSH sshd/ssh-keygen not installed (.ci/run installs openssh-server)"

BASE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

LEGACY_SERVER_OPTIONS = {
    "HostKeyAlgorithms": "ssh-rsa",
    "KexAlgorithms": "diffie-hellman-group14-sha1",
}
"""What a CentOS 6 (OpenSSH 5.3) sshd offers: only an ssh-rsa (SHA-1) host key and SHA-1 key exchange.

User-key signatures are left alone: OpenSSH 9's sshd advertises rsa-sha2 in server-sig-algs whatever
PubkeyAcceptedAlgorithms says, so restricting them here would fail a client that a real CentOS 6 sshd (which sends
no server-sig-algs, so clients fall back to ssh-rsa) lets in.
"""

LEGACY_CLIENT_OPTIONS = (
    "HostKeyAlgorithms=+ssh-rsa",
    "PubkeyAcceptedAlgorithms=+ssh-rsa",
    "KexAlgorithms=+diffie-hellman-group14-sha1",
)


@dataclass(frozen=True)
class KeyPair:
    private: Path
    key_type: str
    base64: str

    @property
    def public_line(self) -> str:
        return f"{self.key_type} {self.base64}"


def generate_key(directory: Path, name: str, kind: str) -> KeyPair:
    """A key pair under ``directory`` (reused when a previous test of the session already made it)."""
    assert SSH_KEYGEN is not None, SKIP_REASON
    path = directory / name
    bits = ["-b", "2048"] if kind == "rsa" else []
    if not path.exists():
        subprocess.run(
            [SSH_KEYGEN, "-q", "-t", kind, *bits, "-N", "", "-C", f"vztui-test-{name}", "-f", str(path)],
            check=True,
            stdin=subprocess.DEVNULL,
        )
    key_type, b64 = path.with_name(name + ".pub").read_text().split()[:2]
    return KeyPair(path, key_type, b64)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(") ", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found: list[int] = []
    stack = [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


@dataclass
class SshdNode:
    """One running sshd and everything a test needs to reach it."""

    name: str
    port: int
    directory: Path
    host_key: KeyPair
    user_key: KeyPair
    bin_dir: Path | None
    options: dict[str, str]
    extra_host_keys: tuple[KeyPair, ...] = ()
    """More host keys the server offers (clients pick by their algorithm preference)."""
    root: Path | None = None
    """A simulated node's ROOT: then ``bin_dir`` is ``ROOT/bin`` and ``spec()`` reads files under ROOT."""
    host: str = "127.0.0.1"
    user: str = field(default_factory=lambda: pwd.getpwuid(os.getuid()).pw_name)
    process: subprocess.Popen[bytes] | None = None

    @property
    def known_hosts(self) -> Path:
        """A known_hosts file trusting exactly this node's host key."""
        path = self.directory / "known_hosts"
        if not path.exists():
            path.write_text(f"[{self.host}]:{self.port} {self.host_key.public_line}\n")
        return path

    @property
    def home(self) -> Path:
        path = self.directory / "home"
        path.mkdir(exist_ok=True)
        return path

    @property
    def log(self) -> str:
        path = self.directory / "sshd.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def spec(self, **overrides: object) -> NodeSpec:
        """A NodeSpec reaching this sshd (paramiko unless ``transport=`` says otherwise).

        For a simulated node, ``root_prefix`` is its ROOT, so ``/proc/...`` reads land in the simulator's tree.
        """
        base = NodeSpec(
            name=self.name,
            host=self.host,
            port=self.port,
            user=self.user,
            identity_file=str(self.user_key.private),
            transport=TransportKind.PARAMIKO,
            connect_timeout=5.0,
            command_timeout=10.0,
            root_prefix=str(self.root) if self.root else "",
        )
        return replace(base, **overrides)  # type: ignore[arg-type]

    def _write_config(self) -> Path:
        path_value = f"{self.bin_dir}:{BASE_PATH}" if self.bin_dir else BASE_PATH
        authorized = self.directory / "authorized_keys"
        authorized.write_text(self.user_key.public_line + "\n")
        authorized.chmod(0o600)
        lines = {
            "ListenAddress": f"{self.host}:{self.port}",
            "HostKey": str(self.host_key.private),
            "AuthorizedKeysFile": str(authorized),
            "PidFile": "none",
            "StrictModes": "no",
            "UsePAM": "no",
            "PasswordAuthentication": "no",
            "KbdInteractiveAuthentication": "no",
            "PubkeyAuthentication": "yes",
            "PermitRootLogin": "prohibit-password",
            "MaxSessions": "10",
            "MaxStartups": "100",
            "LogLevel": "VERBOSE",
            # A private HOME keeps the machine's ~/.bashrc (which bash sources under sshd) out of every command:
            # on a developer box it can cost 80 ms per command and would drown what the tests and benchmarks measure.
            "SetEnv": f"PATH={path_value} HOME={self.home}",
            "PrintMotd": "no",
            "Subsystem": "sftp internal-sftp",
            **self.options,
        }
        config = self.directory / "sshd_config"
        extra = "".join(f"HostKey {key.private}\n" for key in self.extra_host_keys)
        config.write_text(extra + "".join(f"{key} {value}\n" for key, value in lines.items()))
        return config

    def start(self, *, timeout: float = 10.0) -> None:
        assert SSHD is not None, SKIP_REASON
        with contextlib.suppress(OSError):  # privilege separation dir; creatable as root (CI), else sshd says why
            Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
        config = self._write_config()
        self.process = subprocess.Popen(
            [SSHD, "-D", "-e", "-f", str(config), "-E", str(self.directory / "sshd.log")],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"sshd for {self.name} exited {self.process.returncode}:\n{self.log}")
            with contextlib.suppress(OSError), socket.create_connection((self.host, self.port), timeout=1) as sock:
                sock.settimeout(2)
                if sock.recv(64).startswith(b"SSH-"):
                    return
            time.sleep(0.02)
        raise RuntimeError(f"sshd for {self.name} did not answer on port {self.port}:\n{self.log}")

    def pids(self) -> list[int]:
        """The listener and every per-connection sshd and session below it."""
        if self.process is None or self.process.poll() is not None:
            return []
        return [self.process.pid, *_descendants(self.process.pid)]

    def kill(self) -> None:
        """SIGKILL the listener and every connection: what a crashed or rebooted node looks like."""
        for pid in self.pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if self.process is not None:
            self.process.wait(5)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            for pid in self.pids():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGCONT)
            self.kill()

    def restart(self) -> None:
        self.stop()
        self.start()

    def freeze(self) -> None:
        """SIGSTOP every sshd process of this node: a hung node, connections stay open but nothing answers."""
        for pid in self.pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGSTOP)

    def thaw(self) -> None:
        for pid in self.pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)


class SshdFactory:
    """Starts sshd processes that share one host key and one user key pair (generated once per session)."""

    def __init__(self, keys_dir: Path, work_dir: Path) -> None:
        self._keys_dir = keys_dir
        self._work_dir = work_dir
        self._keys: dict[str, KeyPair] = {}
        self.nodes: list[SshdNode] = []

    def key(self, name: str, kind: str) -> KeyPair:
        if name not in self._keys:
            self._keys[name] = generate_key(self._keys_dir, name, kind)
        return self._keys[name]

    def __call__(
        self,
        name: str | None = None,
        *,
        bin_dir: Path | str | None = None,
        root: Path | str | None = None,
        legacy: bool = False,
        options: dict[str, str] | None = None,
        rsa_host_key_too: bool = False,
    ) -> SshdNode:
        """Start one sshd. ``root``: a simulated node's ROOT (its ``bin/`` leads PATH, reads go under it).

        ``legacy=True`` makes it offer only an ssh-rsa host key and diffie-hellman-group14-sha1.
        """
        name = name or f"node{len(self.nodes) + 1}"
        if root is not None and bin_dir is None:
            bin_dir = Path(root) / "bin"
        directory = self._work_dir / name
        directory.mkdir(parents=True, exist_ok=True)
        host_key = self.key("host_rsa", "rsa") if legacy else self.key("host_ed25519", "ed25519")
        user_key = self.key("user_rsa", "rsa") if legacy else self.key("user_ed25519", "ed25519")
        node = SshdNode(
            name=name,
            port=free_port(),
            directory=directory,
            host_key=host_key,
            user_key=user_key,
            extra_host_keys=(self.key("host_rsa", "rsa"),) if rsa_host_key_too and not legacy else (),
            bin_dir=Path(bin_dir) if bin_dir else None,
            root=Path(root) if root else None,
            options={**(LEGACY_SERVER_OPTIONS if legacy else {}), **(options or {})},
        )
        node.start()
        self.nodes.append(node)
        return node

    def cluster(self, roots: Mapping[str, Path]) -> dict[str, SshdNode]:
        """One sshd per simulated node (``{name: ROOT}``, e.g. ``build_cluster(...).nodes``)."""
        return {name: self(name, root=root) for name, root in roots.items()}

    def stop_all(self) -> None:
        for node in self.nodes:
            node.stop()
