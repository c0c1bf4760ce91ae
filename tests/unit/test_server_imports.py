"""No import circle among the server's modules (docs/architecture.md), whether the import is at the top of a
module, inside a function, relative (`from . import x`) or a string given to `importlib.import_module`:
each of those is a way of hiding a circle, not of removing it. And the layers' rules: tables import only
tables, the error types and the actor nothing of the server, only the app imports the web view, the change log
(server/changes/) no domain, and no domain the sync domain (which runs every kind's handler)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SERVER = ROOT / "server"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_names(source: str, package: str) -> set[str]:
    """Every dotted name a module of `package` imports anywhere in it; `from a import b` gives a.b (a module or
    not)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the module's package, one level up per dot after the first
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            names.update(f"{base}.{alias.name}" for alias in node.names)
        elif (loaded := import_module_argument(node)) is not None:
            names.add(loaded)
    return names


def import_module_argument(node: ast.AST) -> str | None:
    """The module named in `importlib.import_module("...")` or `import_module("...")`, else None."""
    if not (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)):
        return None
    func, loaded = node.func, node.args[0].value
    called = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    return loaded if called == "import_module" and isinstance(loaded, str) else None


def resolve(name: str, known: set[str]) -> str | None:
    """The module a dotted name lands in: itself if it is one, else the nearest module above it."""
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def import_graph() -> dict[str, set[str]]:
    files = {module_name(path): path for path in SERVER.rglob("*.py")}
    known = set(files)
    graph = {}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets = {resolve(imported, known) for imported in imported_names(path.read_text("utf-8"), package)}
        graph[name] = {target for target in targets if target and target != name}
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while (member := stack.pop()) != node:
                component.append(member)
            component.append(node)
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def test_the_check_finds_circles() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"e"}, "e": {"d", "a"}, "f": {"a"}}
    assert circles(graph) == [["a", "b", "c"], ["d", "e"]]
    assert circles({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def test_the_graph_sees_every_kind_of_import() -> None:
    known = {"server", "server.a", "server.a.b", "server.c"}
    assert resolve("server.a.b", known) == "server.a.b"
    assert resolve("server.a.some_function", known) == "server.a"
    assert resolve("server.c.Thing.attribute", known) == "server.c"
    source = (
        'from . import b\nfrom .. import c\ndef f():\n    import server.a\n    importlib.import_module("server.c.d")\n'
    )
    assert imported_names(source, "server.a") == {"server.a.b", "server.c", "server.a", "server.c.d"}


def test_no_import_circle_in_the_server() -> None:
    graph = import_graph()
    assert "server.db" in graph["server.app"] and "server.web.controllers" in graph["server.app"]
    found = circles(graph)
    assert not found, "import circles in server/:\n" + "\n".join(" <-> ".join(circle) for circle in found)


def is_tables(module: str) -> bool:
    return module.rpartition(".")[2] in ("models", "jobs_models")


def test_lower_layers_do_not_reach_up() -> None:
    graph = import_graph()
    for name, targets in graph.items():
        if is_tables(name):
            assert all(is_tables(target) for target in targets), f"{name} imports {targets}"
        if not name.startswith("server.web") and name != "server.app":
            web = {t for t in targets if t.startswith("server.web")}
            assert not web, f"{name} imports the web view: {web}"
    assert graph["server.errors"] == set()
    assert graph["server.actor"] == set()


# What the change log's layer stands on: below every domain, above the database.
CHANGES_MAY_IMPORT = ("server.changes", "server.actor", "server.clock", "server.db", "server.errors", "server.settings")


def test_the_change_log_imports_no_domain() -> None:
    graph = import_graph()
    layer = {name: targets for name, targets in graph.items() if name.startswith("server.changes")}
    assert "server.changes.log" in layer and "server.changes.merging" in layer  # the check reads what it should
    for name, targets in layer.items():
        above = sorted(target for target in targets if not target.startswith(CHANGES_MAY_IMPORT))
        assert above == [], f"{name} imports {above}"


def test_no_domain_reaches_into_the_sync_domain() -> None:
    """The sync domain sits above the kinds' domains (it applies each op through the handler a domain
    registers); a domain that imported it would turn the push path back into a room it had left."""
    graph = import_graph()
    reaching = sorted(
        f"{name} -> {target}"
        for name, targets in graph.items()
        if name.startswith("server.domains.") and not name.startswith("server.domains.sync")
        for target in targets
        if target.startswith("server.domains.sync")
    )
    assert reaching == []
