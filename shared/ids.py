"""Record ids are made on the device, so an offline record has its final id at once."""

import re
import uuid

# A UUID as devices write it (str(uuid.uuid4())): 8-4-4-4-12 hex digits.
UUID_TEXT = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def new_id() -> str:
    return str(uuid.uuid4())


def is_valid_id(value: object) -> bool:
    return isinstance(value, str) and UUID_TEXT.fullmatch(value) is not None
