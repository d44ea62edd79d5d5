"""A faithful OpenVZ (vzctl 4.11.1, 042stab vswap kernel) simulator over per-node directories, and the demo cluster.

Layout of a simulated node ROOT (a real node's filesystem, rooted elsewhere)::

    ROOT/etc/vz/vz.conf                  global config (vzctl 4.11.1 as shipped; paths under /vz)
    ROOT/etc/vz/conf/{0,CTID}.conf       CT configs, ve-*.conf-sample, CTID.conf.destroyed
    ROOT/etc/vz/names/NAME -> /etc/vz/conf/CTID.conf
    ROOT/vz/{private,root,template/cache,lock,dump}/   as vz.conf's VE_PRIVATE/VE_ROOT/TEMPLATE/LOCKDIR/DUMPDIR say
    ROOT/proc/...                        kernel files, rewritten from the kernel model (kernel/)
    ROOT/var/lib/vzsim/host.json         the node's hardware and seed (HostSpec)
    ROOT/var/lib/vzsim/state.json        what a kernel keeps in memory: running/mounted/start time/ploop/snapshots
    ROOT/var/lib/vzsim/peers.json        cluster neighbours by address (for vzmigrate)
    ROOT/var/lib/vzsim/figures.pickle    the kernel figures the current /proc files were rendered from
    ROOT/bin/{vzctl,vzlist,...}          wrappers: ``PATH=ROOT/bin:$PATH vzlist -a`` behaves like a real node

Modules: ``node`` (SimNode: paths, configs, names, locks, state — the API every tool builds on), ``state``,
``ctlock``, ``shconf``, ``privatearea``; ``kernel/`` (seeded load model and /proc producers); ``tools/`` (vzlist,
vzquota, vzcpucheck, vzmemcheck, vzcalc, vzsplit, vztmpl-dl); ``vzctl/`` and ``vzmigrate`` (state-changing tools);
``runner`` (tool dispatch, used by the wrappers and ``vztui-sim run``); ``provision`` (node init), ``cluster``
(the demo cluster), ``cli`` (``vztui-sim``).

Every tool is ``main(node: SimNode, argv: list[str], stdout: TextIO, stderr: TextIO) -> int`` where argv excludes
the program name; output is flushed line by line so callers can stream it. The runner refreshes /proc around each
call (only when older than ~0.5 s or the node changed) and turns a simulator bug into one stderr line and exit 1
(``VZTUI_SIM_DEBUG=1`` shows the traceback). Nothing here imports textual, paramiko or the backend.
"""
