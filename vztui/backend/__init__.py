"""The engine under the dashboard: transports, poller, snapshots and deltas, operation queue, journal. No Textual."""
