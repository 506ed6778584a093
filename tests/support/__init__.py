"""Helpers shared by the test suites: ports, a throwaway PostgreSQL, live servers, demo data."""

from tests.support.net import free_port

__all__ = ["free_port"]
