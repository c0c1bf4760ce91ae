"""The supervisor's web view renders what domain services return; it has no SQL of its own
(docs/architecture.md, "Layers of the server"). Read with `ast`, every module of server/web/ must not:

- import anything from sqlalchemy or sqlmodel (select, func, text, and_, or_, col, true, exceptions...) but
  `Session`, and that only as a type (a page that passes its session along to a service annotates it);
- call `.exec(` / `.execute(` / `.scalar(` / `.scalars(` / `.query(` on anything;
- call a method of a session itself (`session.get(User, ...)`, `session.add(...)`): a page opens a session
  (`server.db.read_session` / `write_session`) and hands it to domain service functions.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "server" / "web"

QUERY_LIBRARIES = ("sqlalchemy", "sqlmodel")
TYPE_ONLY_NAMES = {"Session", "Engine"}
QUERY_METHODS = {"exec", "execute", "scalar", "scalars", "query"}
SESSION_NAMES = {"session", "db_session"}


def _library(module: str) -> bool:
    return module.split(".")[0] in QUERY_LIBRARIES


def _annotation_nodes(tree: ast.AST) -> set[int]:
    """The ids of every node inside a type annotation (arguments, returns, annotated assignments)."""
    roots: list[ast.AST] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            arguments = node.args
            every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
            every += [arg for arg in (arguments.vararg, arguments.kwarg) if arg is not None]
            roots += [arg.annotation for arg in every if arg.annotation is not None]
            if node.returns is not None:
                roots.append(node.returns)
        elif isinstance(node, ast.AnnAssign):
            roots.append(node.annotation)
    return {id(inner) for root in roots for inner in ast.walk(root)}


def problems(source: str) -> list[str]:
    """What in a module's source is SQL of its own (empty: it only renders)."""
    tree = ast.parse(source)
    found: list[str] = []
    type_only: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [f"line {node.lineno}: import {a.name}" for a in node.names if _library(a.name)]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level and _library(node.module):
            for alias in node.names:
                if alias.name in TYPE_ONLY_NAMES:
                    type_only.add(alias.asname or alias.name)
                else:
                    found.append(f"line {node.lineno}: from {node.module} import {alias.name}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            receiver = node.func.value
            if node.func.attr in QUERY_METHODS:
                found.append(f"line {node.lineno}: .{node.func.attr}(...)")
            elif isinstance(receiver, ast.Name) and receiver.id in SESSION_NAMES:
                found.append(f"line {node.lineno}: {receiver.id}.{node.func.attr}(...)")
    in_annotations = _annotation_nodes(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in type_only and id(node) not in in_annotations:
            found.append(f"line {node.lineno}: {node.id} used beyond a type annotation")
    return sorted(found, key=lambda problem: int(problem.split(":")[0].removeprefix("line ")))


def test_the_check_finds_sql() -> None:
    source = (
        "from sqlmodel import Session, select\n"
        "import sqlalchemy\n"
        "from sqlalchemy.exc import SQLAlchemyError\n"
        "def page(session: Session) -> list[Session]:\n"
        "    rows = session.exec(select(User)).all()\n"
        "    other.execute('select 1')\n"
        "    user = session.get(User, 'id')\n"
        "    Session(engine)\n"
        "    return rows\n"
    )
    assert problems(source) == [
        "line 1: from sqlmodel import select",
        "line 2: import sqlalchemy",
        "line 3: from sqlalchemy.exc import SQLAlchemyError",
        "line 5: .exec(...)",
        "line 6: .execute(...)",
        "line 7: session.get(...)",
        "line 8: Session used beyond a type annotation",
    ]
    renders = (
        "from sqlmodel import Session\n"
        "from server.domains.users.service import people_by_id\n"
        "def page(session: Session) -> dict:\n"
        "    value: Session | None = None\n"
        "    return people_by_id(session)\n"
    )
    assert problems(renders) == []


def test_the_web_view_has_no_sql_of_its_own() -> None:
    modules = sorted(WEB.rglob("*.py"))
    assert modules, WEB
    found = {str(path.relative_to(ROOT)): listed for path in modules if (listed := problems(path.read_text("utf-8")))}
    assert not found, "SQL in server/web/ (move it into a domain service):\n" + "\n".join(
        f"{path}: {problem}" for path, listed in found.items() for problem in listed
    )
