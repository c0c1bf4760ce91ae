"""The phone app's rooms (docs/architecture.md): storage, the shell, one folder per feature, and no import
circle among the client's modules, whether the import is at the top, inside a function or for type
checking only (each of those hides a circle somewhere)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CLIENT = ROOT / "client"
FEATURES = ("account", "campaigns", "complaints", "customers", "drafts", "photos", "pipeline", "today", "visits")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def client_imports(path: Path, known: set[str]) -> set[str]:
    """Every client module `path` imports, anywhere in it (`from client.x import y` counts y if it is a module)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("client"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("client") and node.level == 0:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if submodule in known else node.module)
    return {name for name in found if name in known}


def import_graph() -> dict[str, set[str]]:
    files = {module_name(path): path for path in CLIENT.rglob("*.py")}
    known = set(files)
    return {name: client_imports(path, known) - {name} for name, path in files.items()}


def find_circle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle, as the modules along it, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (circle := visit(target)):
                return circle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (circle := visit(node)):
            return circle
    return None


def test_the_check_finds_a_circle() -> None:
    assert find_circle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_circle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_no_import_circle_in_the_client() -> None:
    graph = import_graph()
    assert "client.shell.app" in graph and "client.storage.store" in graph
    assert find_circle(graph) is None, f"import circle: {' -> '.join(find_circle(graph) or [])}"


def test_each_feature_has_its_folder_and_storage_its_own() -> None:
    for feature in FEATURES:
        assert (CLIENT / "features" / feature / "__init__.py").exists(), feature
    assert {path.name for path in (CLIENT / "storage").glob("*.py")} >= {
        "store.py",
        "journal.py",
        "vault.py",
        "files.py",
    }


def test_storage_imports_no_feature_and_no_shell() -> None:
    graph = import_graph()
    for name, targets in graph.items():
        if name.startswith("client.storage"):
            upward = {t for t in targets if t.startswith(("client.features", "client.shell", "client.services"))}
            assert not upward, f"{name} imports {upward}"


# ---- handlers reach the shell through client/shell/protocol.py, not by being mixed into the app (issue 14) ----


def handler_classes(source: str) -> list[ast.ClassDef]:
    return [
        node
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ClassDef) and node.name.endswith("Handlers")
    ]


def mixin_problems(path_name: str, source: str) -> list[str]:
    """What breaks the rule in one file: a handler class with a base class (a mixin, or one the app mixes in), a
    handler class not built with the shell, the app class inheriting anything."""
    problems = []
    for node in handler_classes(source):
        if node.bases:
            problems.append(f"{path_name}: {node.name} inherits {[ast.unparse(base) for base in node.bases]}")
        init = next((item for item in node.body if isinstance(item, ast.FunctionDef) and item.name == "__init__"), None)
        args = [arg.arg for arg in init.args.args[1:]] if init else []
        if not args or args[0] != "shell":
            problems.append(f"{path_name}: {node.name} is not built with the shell (its first argument: {args[:1]})")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ClassDef) and node.name == "App" and node.bases:
            problems.append(f"{path_name}: App inherits {[ast.unparse(base) for base in node.bases]}")
    return problems


def test_the_mixin_check_can_fail() -> None:
    mixed = "class VisitHandlers(Base):\n    state: int\nclass App(VisitHandlers):\n    pass\n"
    assert len(mixin_problems("x.py", mixed)) == 3
    plain = "class VisitHandlers:\n    def __init__(self, shell, photos):\n        pass\nclass App:\n    pass\n"
    assert mixin_problems("x.py", plain) == []


def test_feature_handlers_are_plain_classes_built_with_the_shell() -> None:
    files = [*(CLIENT / "features").rglob("*.py"), CLIENT / "shell" / "app.py"]
    problems = [p for path in files for p in mixin_problems(str(path.relative_to(ROOT)), path.read_text("utf-8"))]
    assert not problems, problems
    found = [n.name for path in (CLIENT / "features").rglob("*.py") for n in handler_classes(path.read_text("utf-8"))]
    assert len(found) >= 14, found  # visits, orders, customers, drafts, photos, campaigns, ... each has its own


def test_features_reach_the_shell_only_through_its_protocol() -> None:
    graph = import_graph()
    app_side = {"client.shell.app", "client.shell.lock"}  # the views may name their Actions (client/shell/actions.py)
    for name, targets in graph.items():
        if name.startswith("client.features"):
            assert not targets & app_side, f"{name} imports {targets & app_side}: use client.shell.protocol.Shell"


def test_every_view_action_has_exactly_one_doer() -> None:
    """The views' Actions (client/shell/actions.py) are wired to the handler objects at start: a name nobody
    does, or two objects do, stops the app there rather than at the rep's tap."""
    from client.shell.actions import WiredActions

    class Navigation:
        def go_back(self) -> None: ...

    class Twice:
        def go_back(self) -> None: ...

    with pytest.raises(TypeError, match="must have one doer"):
        WiredActions(Navigation())  # the others have nobody
    with pytest.raises(TypeError, match="'go_back' must have one doer, it has: Navigation, Twice"):
        WiredActions(Navigation(), Twice())
