"""Alembic revisions, oldest first; `down_revision` links them."""
