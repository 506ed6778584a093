"""Database: tables, engine, the write path of synced rows."""
