"""Alembic migrations of the server's schema (`python -m server init-db` runs them; see docs/operations.md)."""
