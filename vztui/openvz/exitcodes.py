"""Exit codes of vzctl 4.x, vzmigrate, vzquota, vzlist and vztmpl-dl in words a tired on-call admin can act on.

Names and meanings follow vzctl 4.11.1's ``include/vzerror.h`` and the man pages (REFERENCE §2.8, §6.1, §6.6,
§6.7). The legacy table is **not** valid for OpenVZ 7, whose numbers from 129 up mean other things.
"""

from __future__ import annotations

import signal
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True, slots=True)
class ExitInfo:
    """What an exit code means: vzctl's own name for it, a one-line meaning and what to try next."""

    name: str
    meaning: str
    hint: str
    success: bool = False
    """The command did what was asked and says something more (vzquota's exit 9 from ``stat -t``: first-level quota
    is fine, user/group quota is inactive); the queue records it as succeeded, with this meaning as its note."""

    def describe(self, code: int) -> str:
        """``exit 32 (VZ_VE_RUNNING): container is running — stop it first, …`` for logs and toasts."""
        label = f"exit {code}" + (f" ({self.name})" if self.name else "")
        return f"{label}: {self.meaning}. {self.hint}".rstrip()


def _table(
    rows: tuple[tuple[int, str, str, str], ...], *, informational: frozenset[int] = frozenset()
) -> Mapping[int, ExitInfo]:
    return MappingProxyType(
        {
            code: ExitInfo(name, meaning, hint, success=code == 0 or code in informational)
            for code, name, meaning, hint in rows
        }
    )


VZCTL_EXIT_CODES: Mapping[int, ExitInfo] = _table(
    (
        (0, "", "success", ""),
        (1, "VZ_SETUBC_ERROR", "failed to set a UBC parameter", "Check the values against the node's free memory."),
        (2, "VZ_SETFSHD_ERROR", "failed to set a CPU scheduler parameter", "Check cpuunits/cpulimit/cpus values."),
        (
            3,
            "VZ_SYSTEM_ERROR",
            "generic system error (also: unable to lock, or --ram/--swap on a non-VSwap kernel)",
            "Read the stderr lines above; on old kernels add --force before --ram/--swap.",
        ),
        (
            5,
            "VZ_BAD_KERNEL",
            "not an OpenVZ kernel, modules missing or /dev/vzctl not accessible",
            "Check `uname -r` is an 042stab kernel and that the vz service is running.",
        ),
        (6, "VZ_RESOURCE_ERROR", "not enough resources on the node (memory, fork)", "Free memory on the node."),
        (7, "VZ_ENVCREATE_ERROR", "the kernel refused to create the container", "Look at `dmesg | tail` on the node."),
        (
            8,
            "VZ_COMMAND_EXECUTION_ERROR",
            "the command run inside the container returned non-zero",
            "The container is fine; the command itself failed (use exec2 to see its own code).",
        ),
        (
            9,
            "VZ_LOCKED",
            "container locked by another vzctl",
            "Wait for the other operation; a stale lock is removed automatically once its process is gone.",
        ),
        (10, "VZ_NOCONFIG", "global /etc/vz/vz.conf not found or unreadable", "Restore /etc/vz/vz.conf on the node."),
        (11, "VZ_NOSCRIPT", "a vzctl helper script is missing", "Reinstall vzctl on the node."),
        (12, "VZ_NO_ACCES", "permission denied", "Run as root (or through sudo)."),
        (13, "VZ_SET_CAP", "setting capabilities failed", "Check the --capability names."),
        (
            14,
            "VZ_NOVECONFIG",
            "container config file does not exist",
            "Check the CTID, or look for /etc/vz/conf/CTID.conf.destroyed or .migrated.",
        ),
        (15, "VZ_EXEC_TIMEOUT", "vzctl exec timed out", "The command hung inside the container; try enter."),
        (16, "VZ_CHKPNT_ERROR", "suspend (checkpoint) failed", "The container keeps running; retry or stop it."),
        (
            17,
            "VZ_RESTORE_ERROR",
            "resume (restore) failed",
            "The dump may be stale; remove /vz/dump/Dump.CTID and start normally.",
        ),
        (18, "VZ_SETLUID_ERROR", "setluid() failed", "Check the node's kernel supports user beancounters."),
        (20, "VZ_INVALID_PARAMETER_SYNTAX", "invalid command-line syntax", "Check the command line shown above."),
        (21, "VZ_INVALID_PARAMETER_VALUE", "invalid parameter value", "Fix the value named in the error message."),
        (22, "VZ_VE_ROOT_NOTSET", "VE_ROOT not set", "Set VE_ROOT in vz.conf or the container config."),
        (23, "VZ_VE_PRIVATE_NOTSET", "VE_PRIVATE not set", "Set VE_PRIVATE in vz.conf or the container config."),
        (24, "VZ_VE_TMPL_NOTSET", "TEMPLATE not set", "Set TEMPLATE in /etc/vz/vz.conf."),
        (27, "VZ_NOTENOUGHPARAMS", "not enough parameters", "Check the command line."),
        (
            28,
            "VZ_NOTENOUGHUBCPARAMS",
            "required UBC parameters are not set (VSwap needs both RAM and swap)",
            "Set --swap together with --ram, or apply a complete sample with --applyconfig.",
        ),
        (29, "VZ_VE_OSTEMPLATE_NOTSET", "OS template not specified", "Pass --ostemplate or set DEF_OSTEMPLATE."),
        (31, "VZ_VE_NOT_RUNNING", "container is not running", "Start it first, or add --save to change the config."),
        (
            32,
            "VZ_VE_RUNNING",
            "container is running (or a parameter needs a restart)",
            "Stop it first, or use --setmode restart for restart-only parameters.",
        ),
        (
            33,
            "VZ_STOP_ERROR",
            "unable to stop the container",
            "Try `vzctl stop CTID --fast`; if that fails, check for stuck processes (D state) on the node.",
        ),
        (34, "VZ_CANT_ADDIP", "unable to add the IP address", "Check the address is not in use and venet is up."),
        (35, "VZ_VALIDATE_ERROR", "config validation failed", "Run vzcfgvalidate on the container config."),
        (36, "VZ_OVERCOMMIT_ERROR", "the node would be overcommitted", "Check vzmemcheck/vzcpucheck figures."),
        (40, "VZ_FS_NOT_MOUNTED", "container is not mounted", "Mount it first (or it was already unmounted)."),
        (41, "VZ_FS_MOUNTED", "container is mounted", "Unmount it first (`vzctl umount CTID`)."),
        (43, "VZ_FS_NOPRVT", "container private area not found", "Check VE_PRIVATE and that /vz is mounted."),
        (
            44,
            "VZ_FS_PRVT_AREA_EXIST",
            "private area already exists",
            "The CTID was used before; pick another CTID or remove the leftover private area.",
        ),
        (46, "VZ_FS_NO_DISK_SPACE", "not enough disk space on the node", "Free space under /vz."),
        (47, "VZ_FS_BAD_TMPL", "broken container (no /sbin/init or /bin/sh)", "Recreate it from a good template."),
        (48, "VZ_FS_NEW_VE_PRVT", "cannot create the new private area", "Check /vz permissions and free space."),
        (49, "VZ_FS_MPOINTCREATE", "cannot create the root mount point", "Check VE_ROOT's parent directory."),
        (50, "VZ_FS_CANTMOUNT", "unable to mount the container", "Look at dmesg; for ploop check the image."),
        (51, "VZ_FS_CANTUMOUNT", "unable to unmount the container", "Some process still uses the root; `lsof` it."),
        (52, "VZ_FS_DEL_PRVT", "unable to delete the private area", "Remove it by hand once nothing uses it."),
        (53, "VZ_UNK_MOUNT_TYPE", "private area does not exist (unknown mount type)", "Check VE_PRIVATE."),
        (54, "VZ_CANT_CREATE_DIR", "cannot create a directory", "Check permissions and free space."),
        (55, "VZ_NOTENOUGH_QUOTA_LIMITS", "disk quota limits not set", "Set --diskspace and --diskinodes."),
        (60, "VZ_DQ_ON", "vzquota on failed", "Run `vzquota stat CTID`; re-init with vzquota init if corrupt."),
        (61, "VZ_DQ_INIT", "vzquota init failed", "Check /var/vzquota and free space."),
        (62, "VZ_DQ_SET", "vzquota setlimit failed", "Check the --diskspace/--diskinodes values."),
        (63, "VZ_DISKSPACE_NOT_SET", "DISKSPACE not set", "ploop needs --diskspace (or DISKSPACE in the sample)."),
        (64, "VZ_DISKINODES_NOT_SET", "DISKINODES not set", "Set --diskinodes."),
        (65, "VZ_ERROR_SET_USER_QUOTA", "error setting in-container quotas", "Check QUOTAUGIDLIMIT."),
        (66, "VZ_DQ_OFF", "vzquota off failed", "Some process keeps files open; retry after stopping it."),
        (67, "VZ_DQ_UGID_NOTINITIALIZED", "second-level quota not initialised", "Restart the container."),
        (68, "VZ_GET_QUOTA_USAGE", "unable to read quota usage", "Run `vzquota stat CTID` on the node."),
        (70, "VZ_BADHOSTNAME", "bad hostname", "Use letters, digits, dots and dashes."),
        (71, "VZ_BADIP", "incorrect IP address format", "Fix the address (IPv4, IPv6 or CIDR)."),
        (72, "VZ_BADDNSSRV", "bad DNS server address", "Fix --nameserver."),
        (73, "VZ_BADDNSSEARCH", "bad DNS search domain", "Fix --searchdomain."),
        (74, "VZ_CHANGEPASS", "error changing the password", "Check the user exists inside the container."),
        (77, "VZ_VE_LCKDIR_NOTSET", "LOCKDIR not set", "Set LOCKDIR in /etc/vz/vz.conf."),
        (78, "VZ_IP_INUSE", "IP address already in use", "Pick another address or free it on the other CT."),
        (79, "VZ_ACTIONSCRIPT_ERROR", "a container action script failed", "Check /etc/vz/conf/CTID.* scripts."),
        (82, "VZ_CP_CONFIG", "config sample copy failed (missing sample?)", "Check /etc/vz/conf/ve-NAME.conf-sample."),
        (85, "VZ_INVALID_CONFIG", "invalid config", "Fix the container config file."),
        (86, "VZ_SET_DEVICES", "error setting devices", "Check --devices/--devnodes values."),
        (87, "VZ_INSTALL_APPS_ERROR", "application template install failed", "Check the template."),
        (89, "VZ_IP_NA", "IP address not available", "The address is not usable on this node."),
        (
            91,
            "VZ_OSTEMPLATE_NOT_FOUND",
            "OS template not found in the node's cache",
            "Download it with `vztmpl-dl TEMPLATE` or pick one from `vztmpl-dl --list-local`.",
        ),
        (99, "VZ_PLOOP_UNSUP", "ploop is not supported by this kernel", "Use --layout simfs or update the kernel."),
        (100, "VZ_GET_IP_ERROR", "unable to find the container's IP", "Check IP_ADDRESS in its config."),
        (104, "VZ_NETDEV_ERROR", "moving a network device failed", "Check --netdev_add names."),
        (
            105,
            "VZ_VE_START_DISABLED",
            "start disabled (DISABLED=yes)",
            "Use `vzctl start CTID --force`, or `vzctl set CTID --disabled no --save`.",
        ),
        (106, "VZ_SET_IPTABLES", "unable to set iptables on a running container", "Restart with --setmode restart."),
        (107, "VZ_NO_DISTR_CONF", "distribution config not found", "Check /etc/vz/dists/ for the OS template."),
        (108, "VZ_NO_DISTR_ACTION_SCRIPT", "distribution action script missing", "Check /etc/vz/dists/scripts/."),
        (109, "VZ_APPLY_CONFIG_ERROR", "unable to apply the config sample", "Check ve-NAME.conf-sample exists."),
        (128, "VZ_CUSTOM_REINSTALL_ERROR", "custom reinstall script failed", "Check the reinstall script."),
        (129, "VZ_SET_MEMINFO_ERROR", "unable to set meminfo", "Check the --meminfo value."),
        (130, "VZ_VETH_ERROR", "error setting up veth", "Check bridge and interface names."),
        (
            131,
            "VZ_SET_NAME_ERROR",
            "error setting the container name (taken, invalid, or used without --save)",
            "Pick another name; --name needs --save.",
        ),
        (
            133,
            "VZ_WAIT_FAILED",
            "waiting for the container to start failed",
            "It may still be booting; check `vzctl status CTID` and its console.",
        ),
        (139, "VZ_CONFIG_SAVE_ERROR", "error saving the container config", "Check /etc/vz/conf is writable."),
        (144, "VZ_SET_OSRELEASE", "error setting osrelease", "Check the distribution config."),
        (148, "VZ_SET_IO", "error setting I/O parameters", "Check --ioprio/--iolimit values."),
        (150, "", "ploop image file not found (man page; not in vzctl 4.11.1's code)", "Check root.hdd exists."),
        (151, "VZCTL_E_CREATE_IMAGE", "error creating the ploop image", "Check free space under /vz."),
        (152, "VZCTL_E_MOUNT_IMAGE", "error mounting the ploop image", "Run `ploop check` on the image."),
        (153, "VZCTL_E_UMOUNT_IMAGE", "error unmounting the ploop image", "Something still uses it; `lsof`."),
        (154, "VZCTL_E_RESIZE_IMAGE", "error resizing the ploop image", "Check free space; shrink needs usage room."),
        (155, "VZCTL_E_CONVERT_IMAGE", "error converting to ploop", "Stop and unmount first; set DISKSPACE."),
        (156, "VZCTL_E_CREATE_SNAPSHOT", "error creating the snapshot", "Check free space under /vz."),
        (157, "VZCTL_E_MERGE_SNAPSHOT", "error merging the snapshot", "Check the image with `ploop check`."),
        (158, "VZCTL_E_DELETE_SNAPSHOT", "error deleting the snapshot (or unknown UUID)", "Check snapshot-list."),
        (159, "VZCTL_E_SWITCH_SNAPSHOT", "error switching to the snapshot (or unknown UUID)", "Check snapshot-list."),
        (160, "VZCTL_E_MOUNT_SNAPSHOT", "error mounting the snapshot", "Check the target directory exists."),
        (161, "VZCTL_E_UMOUNT_SNAPSHOT", "error unmounting the snapshot", "Something still uses the mount."),
        (166, "VZCTL_E_COMPACT_IMAGE", "error compacting the ploop image", "Retry when the CT is less busy."),
        (167, "VZCTL_E_LIST_SNAPSHOT", "error listing snapshots", "Check DiskDescriptor.xml."),
    )
)
"""Legacy vzctl 4.x exit codes (REFERENCE §2.8)."""

VZMIGRATE_EXIT_CODES: Mapping[int, ExitInfo] = _table(
    (
        (0, "", "migration finished", ""),
        (1, "MIG_ERR_USAGE", "bad vzmigrate arguments", "Check the command line."),
        (
            2,
            "MIG_ERR_VPS_IS_STOPPED",
            "container is stopped but --live was asked",
            "Migrate it offline, or start it first.",
        ),
        (
            4,
            "MIG_ERR_CANT_CONNECT",
            "cannot connect to the destination node",
            "Check root SSH with keys works from source to destination.",
        ),
        (6, "MIG_ERR_COPY", "copying the private area failed", "Check free space and rsync on both nodes."),
        (
            7,
            "MIG_ERR_START_VPS",
            "starting or restoring on the destination failed",
            "The CT is on the destination but down; start it there and read the errors.",
        ),
        (
            8,
            "MIG_ERR_STOP_SOURCE",
            "stopping or checkpointing on the source failed",
            "The CT still runs on the source; retry offline.",
        ),
        (9, "MIG_ERR_EXISTS", "CTID already exists on the destination", "Pick another target or free the CTID."),
        (10, "MIG_ERR_NOEXIST", "container does not exist on the source", "Check the CTID."),
        (12, "MIG_ERR_IP_IN_USE", "an IP address of the container is in use on the destination", "Free it."),
        (13, "MIG_ERR_QUOTA", "disk quota operation failed", "Check vzquota on both nodes."),
        (14, "MIG_ERR_OVZ_NOT_RUNNING", "OpenVZ is not running on the destination", "Start the vz service there."),
        (15, "MIG_ERR_APPLY_CONFIG", "applying the config on the destination failed", "Compare vz.conf paths."),
        (16, "MIG_ERR_UNSUP_PLOOP", "ploop is not supported on the destination", "Migrate to a ploop-capable node."),
        (17, "MIG_ERR_UNSUP_CPT_VER", "checkpoint versions differ between kernels", "Migrate offline instead."),
        (18, "MIG_ERR_UNSUP_CPU", "CPU capabilities differ between nodes", "Migrate offline, or use --nodeps=cpu."),
        (19, "MIG_ERR_CANT_READ_REMOTE_CONFIG", "cannot read the destination's config", "Check /etc/vz there."),
        (20, "MIG_ERR_LOCKED", "container is locked", "Wait for the other vzctl operation to finish."),
    )
)
"""vzmigrate (legacy shell script) exit codes (REFERENCE §6.6)."""

VZQUOTA_EXIT_CODES: Mapping[int, ExitInfo] = _table(
    (
        (0, "", "success", ""),
        (1, "EC_SYSTEM", "system error", "Read the vzquota error above."),
        (2, "EC_USAGE", "usage error", "Check the command line."),
        (3, "EC_VZCALL", "OpenVZ syscall error", "Check the vzdquota module is loaded."),
        (4, "EC_QUOTAFILE", "quota file error", "Re-initialise with `vzquota init`."),
        (5, "EC_RUN", "quota is running", "Turn it off first."),
        (6, "EC_NOTRUN", "quota accounting is off", "Use `vzquota show CTID`, or start the container."),
        (7, "EC_LOCK", "quota file locked", "Wait for the other vzquota."),
        (8, "EC_EXDEV", "the area crosses mount points", "Check VE_PRIVATE."),
        (9, "EC_UGID_NOTRUN", "running, but second-level quota inactive", "Informational; restart to activate."),
        (10, "EC_QUOTADIRTY", "quota file is dirty", "Run `vzquota stat` to refresh it."),
        (11, "EC_NOQUOTAFILE", "no quota file", "Initialise with `vzquota init`."),
        (12, "EC_INTERNAL", "internal vzquota error", "Report it."),
        (13, "EC_NOMOUNTPOINT", "cannot get the mount point", "Check VE_PRIVATE's filesystem."),
    ),
    # vzquota stat.c: `stat -t` exits EC_UGID_NOTRUN after printing everything when second-level quota is off,
    # which is the default (QUOTAUGIDLIMIT=0); it is a report, not a failure (REFERENCE §6.1).
    informational=frozenset({9}),
)

VZLIST_EXIT_CODES: Mapping[int, ExitInfo] = _table(
    (
        (0, "", "success", ""),
        (
            1,
            "",
            "error (not root, unknown field, or an explicit CTID was not found)",
            "Read the stderr line; run as root.",
        ),
    )
)

VZTMPL_DL_EXIT_CODES: Mapping[int, ExitInfo] = _table(
    (
        (0, "", "success", ""),
        (1, "", "download error", "Check the node can reach download.openvz.org (or the configured mirror)."),
        (2, "", "template already present, not updating", "Use --update to refresh it."),
        (3, "", "usage error", "Check the command line."),
        (4, "", "wget is missing", "Install wget on the node."),
        (5, "", "GPG signature check failed", "Import the OpenVZ key or use --no-gpg-check knowingly."),
    )
)

EXIT_TABLES: Mapping[str, Mapping[int, ExitInfo]] = MappingProxyType(
    {
        "vzctl": VZCTL_EXIT_CODES,
        "vzmigrate": VZMIGRATE_EXIT_CODES,
        "vzquota": VZQUOTA_EXIT_CODES,
        "vzlist": VZLIST_EXIT_CODES,
        "vztmpl-dl": VZTMPL_DL_EXIT_CODES,
    }
)

_GENERIC: Mapping[int, ExitInfo] = _table(
    (
        (126, "", "the command was found but is not executable", "Check permissions of the tool on the node."),
        (
            127,
            "",
            "command not found on the node",
            "Is vzctl installed and in PATH for the SSH user (sudo secure_path)?",
        ),
        (
            255,
            "",
            "the SSH connection failed (or the remote command exited 255)",
            "Check the node is reachable and its host key is trusted.",
        ),
    )
)


def explain_exit(tool: str, code: int) -> ExitInfo:
    """Name, meaning and a hint for ``code`` returned by ``tool`` (a path or bare name such as ``/usr/sbin/vzctl``).

    Negative codes are "killed by signal N" (as subprocess reports them); unknown codes still get a useful line.
    """
    name = tool.rsplit("/", 1)[-1]
    if code < 0:
        try:
            signal_name = signal.Signals(-code).name
        except ValueError:
            signal_name = f"signal {-code}"
        return ExitInfo(signal_name, f"{name} was killed by {signal_name}", "It was cancelled or timed out.")
    table = EXIT_TABLES.get(name, {})
    if code in table:
        return table[code]
    if code in _GENERIC:
        return _GENERIC[code]
    return ExitInfo("", f"{name} failed with an undocumented exit code {code}", "Read its stderr output above.")
