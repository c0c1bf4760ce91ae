"""The push registry (server/sync_kinds.py) agrees with what phones may write (shared.records), and the sync
service names no domain: it applies each op through the handler the registry gives it.

The sync service may still import, besides its own modules and the change log below the domains
(server/changes/): `access` (the push's record cache), `teams` (who pulls what), `chain` (the phone's signed
chain every push joins, whatever its kinds) and `territories` (a pull asks for a user's resync mark; the
query belongs to territories, and pulling needs it whatever kinds are synced). No module under server/domains
imports server/sync_kinds.py (the wiring above the domains): the app keeps the registry in its state and the
callers of `push` pass it.
"""

from __future__ import annotations

import ast
from pathlib import Path

from server.sync_kinds import SYNC_KINDS
from shared.records import DELETABLE_KINDS, DEVICE_WRITABLE_KINDS

SERVICE = Path(__file__).resolve().parents[2] / "server" / "domains" / "sync" / "service.py"
ALLOWED_DOMAINS = {"sync", "access", "teams", "chain", "territories"}


def test_every_kind_a_phone_writes_has_a_handler() -> None:
    assert set(SYNC_KINDS) == set(DEVICE_WRITABLE_KINDS)


def test_the_deletable_kinds_and_only_they_have_a_delete() -> None:
    deletable = {kind for kind, handler in SYNC_KINDS.items() if handler.delete is not None}
    assert deletable == set(DELETABLE_KINDS)


def test_each_kind_names_its_own_model() -> None:
    models = [handler.model for handler in SYNC_KINDS.values()]
    assert len(set(models)) == len(models)


def imported_modules(path: Path) -> set[str]:
    """Every module the file imports, at its top or inside a function; `from a import b` gives a and a.b
    (b may be a module: `from server.domains import orders`)."""
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            modules.add(node.module)
            modules.update(f"{node.module}.{alias.name}" for alias in node.names)
    return modules


def allowed(module: str) -> bool:
    if not module.startswith("server.domains."):
        return True
    domain = module.removeprefix("server.domains.")
    return any(domain == name or domain.startswith(f"{name}.") for name in ALLOWED_DOMAINS)


def test_the_sync_service_imports_no_other_domain() -> None:
    modules = imported_modules(SERVICE)
    assert "server.changes.kinds" in modules  # the check reads the imports it should
    assert [module for module in sorted(modules) if not allowed(module)] == []
    assert "server.models" not in modules  # every table, hence every domain's models


def test_no_domain_reaches_up_to_the_wiring() -> None:
    domains = Path(SERVICE).parents[1]
    reaching = [path for path in sorted(domains.rglob("*.py")) if "server.sync_kinds" in imported_modules(path)]
    assert reaching == []
