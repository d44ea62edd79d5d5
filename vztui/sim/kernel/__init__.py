"""The simulated 042stab vswap kernel: a seeded, time-driven load model and the /proc files it produces."""
