"""Exit codes are explained with vzctl's own names and a hint (REFERENCE §2.8, §6.6)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vztui.openvz.exitcodes import (
    EXIT_TABLES,
    VZCTL_EXIT_CODES,
    VZMIGRATE_EXIT_CODES,
    explain_exit,
)

# Every code of REFERENCE §2.8 with the name vzerror.h gives it (150 has none in 4.11.1).
REFERENCE_VZCTL = {
    1: "VZ_SETUBC_ERROR", 2: "VZ_SETFSHD_ERROR", 3: "VZ_SYSTEM_ERROR", 5: "VZ_BAD_KERNEL",
    6: "VZ_RESOURCE_ERROR", 7: "VZ_ENVCREATE_ERROR", 8: "VZ_COMMAND_EXECUTION_ERROR", 9: "VZ_LOCKED",
    10: "VZ_NOCONFIG", 11: "VZ_NOSCRIPT", 12: "VZ_NO_ACCES", 13: "VZ_SET_CAP", 14: "VZ_NOVECONFIG",
    15: "VZ_EXEC_TIMEOUT", 16: "VZ_CHKPNT_ERROR", 17: "VZ_RESTORE_ERROR", 18: "VZ_SETLUID_ERROR",
    20: "VZ_INVALID_PARAMETER_SYNTAX", 21: "VZ_INVALID_PARAMETER_VALUE", 22: "VZ_VE_ROOT_NOTSET",
    23: "VZ_VE_PRIVATE_NOTSET", 24: "VZ_VE_TMPL_NOTSET", 27: "VZ_NOTENOUGHPARAMS", 28: "VZ_NOTENOUGHUBCPARAMS",
    29: "VZ_VE_OSTEMPLATE_NOTSET", 31: "VZ_VE_NOT_RUNNING", 32: "VZ_VE_RUNNING", 33: "VZ_STOP_ERROR",
    34: "VZ_CANT_ADDIP", 35: "VZ_VALIDATE_ERROR", 36: "VZ_OVERCOMMIT_ERROR", 40: "VZ_FS_NOT_MOUNTED",
    41: "VZ_FS_MOUNTED", 43: "VZ_FS_NOPRVT", 44: "VZ_FS_PRVT_AREA_EXIST", 46: "VZ_FS_NO_DISK_SPACE",
    47: "VZ_FS_BAD_TMPL", 48: "VZ_FS_NEW_VE_PRVT", 49: "VZ_FS_MPOINTCREATE", 50: "VZ_FS_CANTMOUNT",
    51: "VZ_FS_CANTUMOUNT", 52: "VZ_FS_DEL_PRVT", 53: "VZ_UNK_MOUNT_TYPE", 54: "VZ_CANT_CREATE_DIR",
    55: "VZ_NOTENOUGH_QUOTA_LIMITS", 60: "VZ_DQ_ON", 61: "VZ_DQ_INIT", 62: "VZ_DQ_SET",
    63: "VZ_DISKSPACE_NOT_SET", 64: "VZ_DISKINODES_NOT_SET", 65: "VZ_ERROR_SET_USER_QUOTA", 66: "VZ_DQ_OFF",
    67: "VZ_DQ_UGID_NOTINITIALIZED", 68: "VZ_GET_QUOTA_USAGE", 70: "VZ_BADHOSTNAME", 71: "VZ_BADIP",
    72: "VZ_BADDNSSRV", 73: "VZ_BADDNSSEARCH", 74: "VZ_CHANGEPASS", 77: "VZ_VE_LCKDIR_NOTSET",
    78: "VZ_IP_INUSE", 79: "VZ_ACTIONSCRIPT_ERROR", 82: "VZ_CP_CONFIG", 85: "VZ_INVALID_CONFIG",
    86: "VZ_SET_DEVICES", 87: "VZ_INSTALL_APPS_ERROR", 89: "VZ_IP_NA", 91: "VZ_OSTEMPLATE_NOT_FOUND",
    99: "VZ_PLOOP_UNSUP", 100: "VZ_GET_IP_ERROR", 104: "VZ_NETDEV_ERROR", 105: "VZ_VE_START_DISABLED",
    106: "VZ_SET_IPTABLES", 107: "VZ_NO_DISTR_CONF", 108: "VZ_NO_DISTR_ACTION_SCRIPT",
    109: "VZ_APPLY_CONFIG_ERROR", 128: "VZ_CUSTOM_REINSTALL_ERROR", 129: "VZ_SET_MEMINFO_ERROR",
    130: "VZ_VETH_ERROR", 131: "VZ_SET_NAME_ERROR", 133: "VZ_WAIT_FAILED", 139: "VZ_CONFIG_SAVE_ERROR",
    144: "VZ_SET_OSRELEASE", 148: "VZ_SET_IO", 150: "", 151: "VZCTL_E_CREATE_IMAGE",
    152: "VZCTL_E_MOUNT_IMAGE", 153: "VZCTL_E_UMOUNT_IMAGE", 154: "VZCTL_E_RESIZE_IMAGE",
    155: "VZCTL_E_CONVERT_IMAGE", 156: "VZCTL_E_CREATE_SNAPSHOT", 157: "VZCTL_E_MERGE_SNAPSHOT",
    158: "VZCTL_E_DELETE_SNAPSHOT", 159: "VZCTL_E_SWITCH_SNAPSHOT", 160: "VZCTL_E_MOUNT_SNAPSHOT",
    161: "VZCTL_E_UMOUNT_SNAPSHOT", 166: "VZCTL_E_COMPACT_IMAGE", 167: "VZCTL_E_LIST_SNAPSHOT",
}  # fmt: skip


def test_vzctl_table_covers_every_reference_code_with_its_name() -> None:
    assert {code: info.name for code, info in VZCTL_EXIT_CODES.items() if code} == REFERENCE_VZCTL


def test_vzmigrate_table_matches_section_6_6() -> None:
    assert sorted(VZMIGRATE_EXIT_CODES) == [0, 1, 2, 4, 6, 7, 8, 9, 10, 12, 13, 14, 15, 16, 17, 18, 19, 20]
    assert explain_exit("vzmigrate", 2).meaning == "container is stopped but --live was asked"


def test_every_failure_has_a_meaning_and_a_hint() -> None:
    for table in EXIT_TABLES.values():
        for code, info in table.items():
            if code:
                assert info.meaning
                assert info.hint


@pytest.mark.parametrize(
    ("tool", "code", "name"),
    [
        ("vzctl", 9, "VZ_LOCKED"),
        ("/usr/sbin/vzctl", 14, "VZ_NOVECONFIG"),
        ("vzctl", 32, "VZ_VE_RUNNING"),
        ("vzmigrate", 9, "MIG_ERR_EXISTS"),
        ("vzmigrate", 20, "MIG_ERR_LOCKED"),
        ("vzquota", 6, "EC_NOTRUN"),
    ],
)
def test_explain_exit_by_tool(tool: str, code: int, name: str) -> None:
    assert explain_exit(tool, code).name == name


def test_the_same_number_means_different_things_per_tool() -> None:
    assert explain_exit("vzctl", 9).name != explain_exit("vzmigrate", 9).name


def test_describe_reads_well() -> None:
    text = explain_exit("vzctl", 105).describe(105)
    assert text.startswith("exit 105 (VZ_VE_START_DISABLED): start disabled")
    assert "--force" in text


def test_ssh_and_shell_codes() -> None:
    assert "SSH" in explain_exit("vzctl", 255).meaning
    assert "not found" in explain_exit("vzlist", 127).meaning


def test_signals() -> None:
    assert explain_exit("vzctl", -9).name == "SIGKILL"


@given(st.sampled_from(sorted(EXIT_TABLES)), st.integers(min_value=-64, max_value=100_000))
def test_any_code_gets_an_explanation(tool: str, code: int) -> None:
    info = explain_exit(tool, code)
    assert info.meaning
