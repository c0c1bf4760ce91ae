"""The change log: the layer between the database and the domains.

Every stored change of a synced record is written here (`log.record_change`), two edits of one field are merged
here (`merging.apply_edit`, keeping the loser in `conflicts`), tombstones are forgotten here (`tombstones`), and
`kinds` is the contract a domain fills in to have phones push a record kind (`KindHandler`). It imports no
domain: the domains and the sync service above it use it, never the other way (tests/unit/test_server_imports.py).
"""
