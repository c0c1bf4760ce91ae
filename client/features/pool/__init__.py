"""认领 / 释放到公海 and the territory's 公海 list on the phone (docs/ownership.md)."""
