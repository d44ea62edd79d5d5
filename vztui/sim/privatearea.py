"""What a container's private area looks like on disk: a small root tree (simfs) or a ploop image with its XML.

Kept tiny on purpose (a few files per CT) so a 10,000-container cluster builds in seconds, while ``ls`` of a private
area still shows what an admin expects to see.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

SECTOR = 512
PLOOP_BLOCKSIZE = 2048
"""Sectors per ploop cluster (1 MiB), as ``Creating delta … bs=2048`` shows."""
_NULL_GUID = "{00000000-0000-0000-0000-000000000000}"

_ROOT_DIRS = ("bin", "dev", "etc", "home", "lib", "proc", "root", "sbin", "sys", "tmp", "usr", "var/log")


def make_private_area(private: Path, *, layout: str, ostemplate: str, diskspace_kib: int, hostname: str) -> None:
    """Create ``private`` for a new container (the parent directories too)."""
    private.mkdir(parents=True, exist_ok=True)
    if layout.startswith("ploop"):
        _make_ploop(private, diskspace_kib)
    else:
        _make_root_tree(private, ostemplate, hostname)


def _make_root_tree(top: Path, ostemplate: str, hostname: str) -> None:
    for name in _ROOT_DIRS:
        (top / name).mkdir(parents=True, exist_ok=True)
    (top / "etc" / "hostname").write_text(hostname + "\n", encoding="ascii", errors="replace")
    (top / "etc" / "os-release").write_text(_os_release(ostemplate), encoding="utf-8")
    init = top / "sbin" / "init"
    init.write_text("#!/bin/sh\n", encoding="ascii")
    init.chmod(0o755)


def _make_ploop(private: Path, diskspace_kib: int) -> None:
    hdd = private / "root.hdd"
    hdd.mkdir(parents=True, exist_ok=True)
    size_bytes = max(diskspace_kib, 1024) * 1024
    with open(hdd / "root.hdd", "wb") as image:
        image.truncate(size_bytes)
    guid = "{" + str(uuid.uuid4()) + "}"
    (hdd / "DiskDescriptor.xml").write_text(disk_descriptor(size_bytes // SECTOR, guid), encoding="ascii")


def disk_descriptor(sectors: int, top_guid: str, *, parents: tuple[tuple[str, str], ...] = ()) -> str:
    """A ploop 1.x ``DiskDescriptor.xml`` for an image of ``sectors`` with snapshots ``(guid, parent)``."""
    shots = [*parents, (top_guid, parents[-1][0] if parents else _NULL_GUID)]
    shot_xml = "".join(
        f"    <Shot>\n      <GUID>{guid}</GUID>\n      <ParentGUID>{parent}</ParentGUID>\n    </Shot>\n"
        for guid, parent in shots
    )
    cylinders = max(1, sectors // (16 * 63))
    return (
        '<?xml version="1.0"?>\n'
        "<Parallels_disk_image>\n"
        "  <Disk_Parameters>\n"
        f"    <Disk_size>{sectors}</Disk_size>\n"
        f"    <Cylinders>{cylinders}</Cylinders>\n"
        "    <Heads>16</Heads>\n"
        "    <Sectors>63</Sectors>\n"
        "    <Padding>0</Padding>\n"
        "  </Disk_Parameters>\n"
        "  <StorageData>\n"
        "    <Storage>\n"
        "      <Start>0</Start>\n"
        f"      <End>{sectors}</End>\n"
        f"      <Blocksize>{PLOOP_BLOCKSIZE}</Blocksize>\n"
        "      <Image>\n"
        f"        <GUID>{top_guid}</GUID>\n"
        "        <Type>Compressed</Type>\n"
        "        <File>root.hdd</File>\n"
        "      </Image>\n"
        "    </Storage>\n"
        "  </StorageData>\n"
        "  <Snapshots>\n"
        f"    <TopGUID>{top_guid}</TopGUID>\n"
        f"{shot_xml}"
        "  </Snapshots>\n"
        "</Parallels_disk_image>\n"
    )


def _os_release(ostemplate: str) -> str:
    distro, _, rest = ostemplate.partition("-")
    version = rest.split("-", 1)[0] if rest else ""
    pretty = f"{distro.capitalize()} {version}".strip()
    return f'NAME="{distro.capitalize()}"\nVERSION_ID="{version}"\nPRETTY_NAME="{pretty}"\nID={distro}\n'


def remove_tree(path: Path) -> None:
    """Remove a private area or mount point; a missing one is fine."""
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)
