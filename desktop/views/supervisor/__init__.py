"""The supervisor's views: the queue panel, the agent board, alerts, broadcasts, and the agents'
broadcast banner (docs/supervisor.md)."""
