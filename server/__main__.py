"""Command line: `python -m server serve|seed-demo|create-user|init-db` (settings from the environment)."""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from server.settings import Settings
from shared.enums import Role


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
    user.add_argument("--territory")
    user.add_argument("--display-name")

    commands.add_parser("init-db", help="create the tables or bring them up to date (alembic upgrade head)")

    args = parser.parse_args(argv)
    settings = Settings.from_env()

    if args.command == "serve":
        import uvicorn

        if args.workers > 1:
            uvicorn.run(
                "server.app:create_app_from_env", factory=True, host=args.host, port=args.port, workers=args.workers
            )
        else:
            from server.app import create_app

            uvicorn.run(create_app(settings), host=args.host, port=args.port)
        return 0

    from server.db import make_engine, migrate_database, write_session

    engine = make_engine(settings.database_url)
    try:
        migrate_database(engine)
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
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
