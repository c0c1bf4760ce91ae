"""Key persons as phones push them (server/changes/kinds.py): fields merged by their clocks; deletable."""

from __future__ import annotations

from server.changes.kinds import KindHandler, delete_record, put_edit
from server.domains.key_persons.models import KeyPerson
from server.domains.key_persons.service import delete_key_person, put_key_person

KEY_PERSON = KindHandler(KeyPerson, put=put_edit(put_key_person), delete=delete_record(delete_key_person))
