"""Notes as phones push them (server/changes/kinds.py)."""

from __future__ import annotations

from server.changes.kinds import KindHandler, put_fields
from server.domains.notes.models import Note
from server.domains.notes.service import put_note

NOTE = KindHandler(Note, put=put_fields(put_note))
