"""Dependencies point one way: client -> sync -> shared, server -> sync -> shared (conventions)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FRAMEWORKS = {"flet", "litestar", "sqlmodel", "sqlalchemy", "tinydb", "httpx"}
ALLOWED = {
    "shared": {"shared"},
    "sync": {"shared", "sync"},
}
HTTP_ADAPTER = ROOT / "sync" / "http.py"


def imported_top_names(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", ["shared", "sync"])
def test_pure_packages_import_no_framework_and_nothing_above_them(package: str) -> None:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files
    for path in files:
        names = imported_top_names(path)
        project = names & {"client", "server", "sync", "shared"}
        assert project <= ALLOWED[package], f"{path.relative_to(ROOT)} imports {project - ALLOWED[package]}"
        frameworks = names & FRAMEWORKS
        if path == HTTP_ADAPTER:
            frameworks -= {"httpx"}  # the one adapter module may use httpx
        assert not frameworks, f"{path.relative_to(ROOT)} imports {frameworks}"


def test_client_and_server_do_not_import_each_other() -> None:
    for side, other in (("client", "server"), ("server", "client")):
        for path in (ROOT / side).rglob("*.py"):
            assert other not in imported_top_names(path), f"{path.relative_to(ROOT)} imports {other}"
