"""Vocabulary shared by the client and the server: ids, enums, record schemas, rates, errors.

Pure Python: no I/O and no imports of flet, litestar, sqlmodel, tinydb or httpx.
"""
