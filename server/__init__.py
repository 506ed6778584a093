"""The reference central CRM API (FastAPI + SQLAlchemy; SQLite embedded, PostgreSQL to scale)."""

__version__ = "0.1.0"
