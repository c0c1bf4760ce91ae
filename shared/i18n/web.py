"""Strings the web shows."""

MESSAGES: dict[str, dict[str, str]] = {
    "zh-CN": {},
    "en": {},
}
