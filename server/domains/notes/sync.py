"""Notes as phones push them (server/domains/sync/kinds.py)."""

from __future__ import annotations

from server.domains.notes.models import Note
from server.domains.notes.service import put_note
from server.domains.sync.kinds import KindHandler, put_fields

NOTE = KindHandler(Note, put=put_fields(put_note))
