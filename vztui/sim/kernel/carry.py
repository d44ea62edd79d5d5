"""What the simulated kernel must remember across a change: counters carried over when limits or CPU shares move.

Between changes every figure is closed-form. When a running CT's limits change (``vzctl set``) or the set of running
CTs and their CPU parameters changes, the counters reached so far under the old regime (failcnt, maxheld, busy
jiffies) are stored with the new regime's start time, so nothing ever goes backwards. Whichever process notices
the change first records it, under the state lock.
"""

from __future__ import annotations

import json
from typing import Any

from vztui.sim.kernel.limits import config_bounds
from vztui.sim.kernel.model import KernelModel, cpu_params
from vztui.sim.node import SimNode
from vztui.sim.state import NodeState


def _bounds_json(conf: dict[str, str]) -> dict[str, list[int]]:
    return {name: [barrier, limit] for name, (barrier, limit) in config_bounds(conf).items()}


def cpu_fingerprint(state: NodeState, configs: dict[int, dict[str, str]]) -> str:
    running = [c for c in state.running_ctids() if c in configs and c != 0]
    return json.dumps([[c, state.cts[c].started_at, *cpu_params(configs[c])] for c in running])


def needs_update(state: NodeState, configs: dict[int, dict[str, str]]) -> bool:
    """True when some regime changed since it was last recorded (cheap: no figures computed)."""
    if state.extra.get("kernel", {}).get("fp") != cpu_fingerprint(state, configs):
        return True
    for ctid in state.running_ctids():
        conf = configs.get(ctid)
        if conf is None:
            continue
        kernel = state.cts[ctid].kernel
        if kernel.get("run") != state.cts[ctid].started_at or kernel.get("bounds") != _bounds_json(conf):
            return True
    return False


def update(node: SimNode, state: NodeState, configs: dict[int, dict[str, str]], t: float) -> None:
    """Record carries for every regime change; call inside ``node.transaction()``."""
    model = KernelModel(node)
    previous = _previous_figures(model, state, configs, t)
    kernel_extra: dict[str, Any] = state.extra.setdefault("kernel", {})
    fingerprint = cpu_fingerprint(state, configs)
    if kernel_extra.get("fp") != fingerprint:
        carried = {str(ctid): [sum(fig.busy_jiffies), state.cts[ctid].started_at] for ctid, fig in previous.cts.items()}
        current = model.figures(state, t, configs)
        rates = {str(ctid): rate for ctid, rate in current.rates.items()}
        kernel_extra.update({"fp": fingerprint, "epoch": t, "cpu": carried, "rates": rates})
    for ctid in state.running_ctids():
        conf = configs.get(ctid)
        if conf is None:
            continue
        runtime = state.cts[ctid]
        kernel = runtime.kernel
        bounds = _bounds_json(conf)
        if kernel.get("run") != runtime.started_at:
            kernel.update({"run": runtime.started_at, "bounds": bounds, "carry": {}, "epoch": runtime.started_at})
        elif kernel.get("bounds") != bounds:
            old = previous.cts.get(ctid)
            if old is not None:
                kernel["carry"] = {name: [row[1], row[4]] for name, row in old.beancounters.items()}
            kernel.update({"bounds": bounds, "epoch": t})


def _previous_figures(model: KernelModel, state: NodeState, configs: dict[int, dict[str, str]], t: float) -> Any:
    """Figures at ``t`` under the limits and CPU rates last recorded (the regime that is ending)."""
    return model.figures(state, t, configs, recorded_bounds=True)
