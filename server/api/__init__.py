"""The HTTP API: routers, dependencies, error handling."""
