"""A faithful OpenVZ simulator (vzctl, vzlist, /proc, …) over per-node directories, and the demo cluster."""
