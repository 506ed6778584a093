"""Sync: the change log, scopes, pull, push and the field-level merge (SYNC.md)."""
