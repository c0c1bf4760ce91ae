"""Record ids are made on the device, so an offline record has its final id at once."""

import uuid


def new_id() -> str:
    return str(uuid.uuid4())


def is_valid_id(value: object) -> bool:
    if not isinstance(value, str) or len(value) != 36:
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
