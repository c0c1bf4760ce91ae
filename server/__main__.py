"""Command line: `python -m server serve|seed-demo|create-user|reset-password|sessions|init-db|backup|restore|
nginx-config|export-chain|verify-export`.

Settings come from the environment (server/settings.py).
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from server.clock import install as install_clock
from server.settings import Settings
from shared.enums import Role

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m server", description="RouteCRM sync server and web view")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the HTTP server (uvicorn)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="processes; share a PostgreSQL DATABASE_URL")

    seed = commands.add_parser("seed-demo", help="fill an empty database with the demo county (password demo1234)")
    seed.add_argument("--force", action="store_true", help="wipe every table first, then seed")

    user = commands.add_parser(
        "create-user", help="add a user (password from --password, $ROUTECRM_PASSWORD or a prompt)"
    )
    user.add_argument("--username", required=True)
    user.add_argument("--password")
    user.add_argument("--role", required=True, choices=[role.value for role in Role])
    user.add_argument("--territory", help="a territory the database knows (or the first one)")
    user.add_argument("--new-territory", action="store_true", help="the --territory is new: make it")
    user.add_argument("--display-name")

    reset = commands.add_parser(
        "reset-password", help="set a user's new password (prompted twice, or --stdin) and end their sign-ins"
    )
    reset.add_argument("username")
    reset.add_argument("--stdin", action="store_true", help="read the new password from the first line of stdin")
    sessions = commands.add_parser("sessions", help="end a user's sign-ins (phones and browsers)")
    sessions.add_argument("action", choices=["revoke"])
    sessions.add_argument("username")

    backup = commands.add_parser("backup", help="copy the database to a file (pg_dump, or SQLite's backup API)")
    backup.add_argument("output", type=Path)
    restore = commands.add_parser("restore", help="load a backup into an empty database, then migrate it")
    restore.add_argument("dump", type=Path)
    restore.add_argument("--force", action="store_true", help="replace what the database holds")

    nginx = commands.add_parser("nginx-config", help="print an nginx config: TLS in front of several processes")
    nginx.add_argument("--upstream", action="append", required=True, help="host:port of a server process")
    nginx.add_argument("--listen", default="443", help="TLS address or port (default 443)")
    nginx.add_argument("--http-listen", default="80", help="plain-HTTP address or port that redirects to TLS")
    nginx.add_argument("--server-name", default="_")
    nginx.add_argument("--certificate", required=True)
    nginx.add_argument("--certificate-key", required=True)
    nginx.add_argument("--prefix", default="/var/lib/nginx", help="folder for nginx's pid, logs and temp files")

    commands.add_parser("init-db", help="create the tables or bring them up to date (alembic upgrade head)")

    export = commands.add_parser(
        "export-chain", help="write the phones' signed ops received on the days given, with their keys (JSON lines)"
    )
    export.add_argument("--from", dest="first", required=True, type=_day, help="first day (YYYY-MM-DD, company time)")
    export.add_argument("--to", dest="last", required=True, type=_day, help="last day, included")
    export.add_argument("--output", default="-", help="the file to write (default: standard output)")
    verify = commands.add_parser(
        "verify-export", help="check an export-chain file offline: signatures, hashes, gaps and forks"
    )
    verify.add_argument("file")
    verify.add_argument("--pinned", help="an earlier export: its keys and ops must be the same in this one")

    args = parser.parse_args(argv)
    if args.command == "verify-export":  # an auditor's machine: no settings, no database
        return _verify_export(args.file, args.pinned)
    if args.command == "nginx-config":
        from server.deploy import nginx_config

        print(nginx_config(**{key: value for key, value in vars(args).items() if key != "command"}), end="")
        return 0
    try:
        settings = Settings.from_env()
    except (ValueError, OSError, KeyError) as error:  # a bad setting; ZoneInfoNotFoundError is a KeyError
        return cannot_start(str(error.args[0] if isinstance(error, KeyError) and error.args else error))
    install_clock(settings.clock)
    if args.command in {"backup", "restore"}:
        from server.backup import BackupError, backup_database, restore_database

        try:
            if args.command == "backup":
                print(f"backup written: {backup_database(settings.database_url, args.output)}")
            else:
                restore_database(settings.database_url, args.dump, force=args.force)
                print(f"restored {args.dump}; schema at the newest migration")
        except BackupError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        return 0

    if args.command == "serve":
        problem = database_problem(settings.database_url)  # before any process starts: one line, no traceback
        if problem is not None:
            return cannot_start(problem)
        import uvicorn

        from server.observability import uvicorn_log_config

        log_config = uvicorn_log_config(settings.log_format)
        if args.workers > 1:
            uvicorn.run(
                "server.app:create_app_from_env",
                factory=True,
                host=args.host,
                port=args.port,
                workers=args.workers,
                log_config=log_config,
            )
        else:
            from server.app import create_app

            uvicorn.run(create_app(settings), host=args.host, port=args.port, log_config=log_config)
        return 0

    from server.db import make_engine, write_session

    problem = database_problem(settings.database_url, check=args.command == "init-db")
    if problem is not None:
        return cannot_start(problem)
    engine = make_engine(settings.database_url)
    try:
        if args.command == "init-db":
            print(f"schema at the newest migration in {engine.url.render_as_string(hide_password=True)}")
        elif args.command == "seed-demo":
            from server.demo import DEMO_PASSWORD, seed_demo

            summary = seed_demo(engine, settings, force=args.force)
            if summary is None:
                print("the database has users already: nothing seeded (use --force to wipe and reseed)")
            else:
                print(f"demo data seeded: {summary}; every demo user's password is {DEMO_PASSWORD}")
        elif args.command == "create-user":
            from server.domains.users.service import create_user
            from server.errors import DomainError

            password = args.password or os.environ.get("ROUTECRM_PASSWORD") or getpass.getpass("password: ")
            try:
                with write_session(engine) as session:
                    if args.territory:
                        _territory_for_new_user(session, args.territory, new=args.new_territory)
                    created = create_user(
                        session,
                        username=args.username,
                        password=password,
                        role=Role(args.role),
                        territory=args.territory,
                        display_name=args.display_name,
                    )
                    print(f"created {created.role} {created.username} ({created.id})")
            except DomainError as error:
                print(f"error: {error}", file=sys.stderr)
                return 2
        elif args.command in {"reset-password", "sessions"}:
            return _account_rescue(engine, args)
        elif args.command == "export-chain":
            return _export_chain(engine, settings, args)
    finally:
        engine.dispose()
    return 0


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a day (YYYY-MM-DD): {text!r}") from None


def _export_chain(engine: Engine, settings: Settings, args: argparse.Namespace) -> int:
    from server.domains.chain.export import export_chain

    if args.last < args.first:
        print("error: --to is before --from", file=sys.stderr)
        return 2
    if args.output == "-":
        written = export_chain(engine, args.first, args.last, settings.tz, sys.stdout)
    else:
        with open(args.output, "w", encoding="utf-8") as out:
            written = export_chain(engine, args.first, args.last, settings.tz, out)
    print(f"{written} op(s) of {args.first} to {args.last} exported", file=sys.stderr)
    return 0


def _verify_export(path: str, pinned: str | None) -> int:
    """0: every check passed; 1: problems (listed); 2: the file cannot be read as an export."""
    from server.domains.chain.verify import NotAnExport, report, verify_file

    try:
        verdict = verify_file(path, pinned)
    except (OSError, NotAnExport, UnicodeDecodeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(report(verdict))
    return 0 if verdict.ok else 1


def _territory_for_new_user(session: Session, name: str, *, new: bool) -> None:
    """A user names a territory the database knows, as on the admin page: a typo would make a team of one.
    `--new-territory` makes it; so does the first user of a database that knows no territory yet."""
    from server.domains.territories.service import known_territories, put_territory
    from server.errors import ValidationFailed

    known = known_territories(session)
    if name in known:
        return
    if not new and known:
        raise ValidationFailed(
            f"no territory named {name!r} (known: {', '.join(known)}); to make a new one, add --new-territory",
            path="territory",
        )
    put_territory(session, name, None)


def cannot_start(problem: str) -> int:
    """What stops a start, in one line on stderr (a full or read-only disk, a bad setting): exit status 2."""
    print(f"error: cannot start: {' '.join(problem.split())}", file=sys.stderr)
    return 2


def database_problem(database_url: str, *, check: bool = True) -> str | None:
    """None when the database is at the newest migration (migrating it if need be) and, with `check`, takes a
    write; else what is wrong, in one line."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from server.db import make_engine, migrate_database
    from server.domains.health.service import NOT_WRITABLE, check_database, one_line

    where = make_url(database_url).render_as_string(hide_password=True)
    try:
        engine = make_engine(database_url)
    except (OSError, SQLAlchemyError) as error:
        return f"the database {where} cannot be opened: {one_line(error)}"
    try:
        migrate_database(engine)
        found = check_database(engine) if check else None
    except (OSError, SQLAlchemyError) as error:
        return f"the database {where} cannot be migrated: {one_line(error)}"
    finally:
        engine.dispose()
    if found is not None and not found.ok:
        what = "takes no write (a full or read-only disk?)" if found.state == NOT_WRITABLE else "cannot be reached"
        return f"the database {where} {what}: {found.reason}"
    return None


def _new_password(from_stdin: bool) -> str | None:
    """The new password from stdin's first line, or typed twice (None: the two differ)."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("new password: ")
    if getpass.getpass("new password again: ") != first:
        return None
    return first


def _account_rescue(engine: Engine, args: argparse.Namespace) -> int:
    """`reset-password USERNAME` and `sessions revoke USERNAME` (server/domains/users/resets.py)."""
    from server.db import write_session
    from server.domains.users.resets import end_sessions, reset_password
    from server.errors import DomainError

    try:
        if args.command == "sessions":
            with write_session(engine) as session:
                ended = end_sessions(session, args.username)
            print(f"{args.username}: {ended} sign-in(s) ended")
            return 0
        password = _new_password(args.stdin)
        if password is None:
            print("error: the two passwords differ; nothing changed", file=sys.stderr)
            return 2
        with write_session(engine) as session:
            ended = reset_password(session, args.username, password)
        print(f"{args.username}: password reset; {ended} sign-in(s) ended")
    except DomainError as error:
        print(f"error: {error}; nothing changed", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
