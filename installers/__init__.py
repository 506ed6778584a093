"""Build scripts for the frozen desktop and its installers (not part of the shipped app)."""
