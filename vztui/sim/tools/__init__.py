"""The read-only OpenVZ tools of the simulator: vzlist, vzquota, vzcpucheck, vzmemcheck, vzcalc, vzsplit, vztmpl-dl."""
