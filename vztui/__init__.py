"""vztui: a keyboard-driven terminal dashboard for OpenVZ container clusters."""

__version__ = "0.1.0"
