"""vz.conf path drift between nodes: VE_ROOT, VE_PRIVATE and TEMPLATE must match for vzmigrate (REFERENCE §7)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from vztui.openvz.models import NodeInfo

DRIFT_KEYS: tuple[tuple[str, str], ...] = (
    ("VE_ROOT", "ve_root"),
    ("VE_PRIVATE", "ve_private"),
    ("TEMPLATE", "template"),
)


def path_drift(infos: Mapping[str, NodeInfo | None], node: str) -> dict[str, str]:
    """For ``node``: key → the value most other nodes use, for each key where ``node`` differs from that majority.

    Nodes without info are ignored; with no other node known nothing is flagged.
    """
    mine = infos.get(node)
    if mine is None:
        return {}
    drift: dict[str, str] = {}
    for key, attribute in DRIFT_KEYS:
        others = Counter(getattr(info.vz, attribute) for name, info in infos.items() if name != node and info)
        if not others:
            continue
        common, _ = others.most_common(1)[0]
        if getattr(mine.vz, attribute) != common:
            drift[key] = common
    return drift
