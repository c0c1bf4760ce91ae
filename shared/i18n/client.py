"""Strings the client shows."""

MESSAGES: dict[str, dict[str, str]] = {
    "zh-CN": {},
    "en": {},
}
