"""Issue 15, item 5: a server that cannot write says so. /health answers 503 when the database takes no
write (not only when it is unreachable), and a start on a full or read-only disk ends with one line saying
what is wrong, not a traceback."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine

from server.__main__ import main as server_cli
from server.settings import Settings

Client = AsyncTestClient[Litestar]


@contextmanager
def writes_refused(engine: Engine) -> Iterator[None]:
    """Every write to the heartbeat refused by the database, as a full or read-only disk refuses it."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(
                text(
                    "CREATE FUNCTION refuse_writes() RETURNS trigger AS $$ BEGIN "
                    "RAISE EXCEPTION 'could not extend file: No space left on device'; END $$ LANGUAGE plpgsql"
                )
            )
            for when in ("INSERT", "UPDATE"):
                connection.execute(
                    text(
                        f"CREATE TRIGGER refuse_{when.lower()} BEFORE {when} ON health_heartbeat "
                        "FOR EACH ROW EXECUTE FUNCTION refuse_writes()"
                    )
                )
        else:
            for when in ("INSERT", "UPDATE"):
                connection.execute(
                    text(
                        f"CREATE TRIGGER refuse_{when.lower()} BEFORE {when} ON health_heartbeat "
                        "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
                    )
                )
    try:
        yield
    finally:
        with engine.begin() as connection:
            for when in ("insert", "update"):
                on = " ON health_heartbeat" if connection.dialect.name == "postgresql" else ""
                connection.execute(text(f"DROP TRIGGER refuse_{when}{on}"))
            if connection.dialect.name == "postgresql":
                connection.execute(text("DROP FUNCTION refuse_writes()"))


async def test_health_answers_503_when_the_database_takes_no_write(client: Client, engine: Engine) -> None:
    healthy = await client.get("/health")
    assert healthy.status_code == 200 and healthy.json()["database"] == "ok"
    with writes_refused(engine):
        refused = await client.get("/health")
        assert refused.status_code == 503, refused.text
        assert refused.json() == {"status": "degraded", "database": "not_writable"}
    assert (await client.get("/health")).status_code == 200


def test_a_start_on_an_unusable_data_dir_says_so_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a-file").write_text("")
    data_dir = tmp_path / "a-file" / "data"  # cannot be made (as on a read-only disk; tests may run as root)
    monkeypatch.setenv("DATA_DIR", str(data_dir))
    monkeypatch.delenv("SECRET_KEY", raising=False)
    assert server_cli(["init-db"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "DATA_DIR" in err and str(data_dir) in err


def test_a_start_with_an_empty_secret_key_file_says_so_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "secret_key").write_text("")
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.delenv("SECRET_KEY", raising=False)
    assert server_cli(["init-db"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "secret_key" in err


@pytest.mark.parametrize("command", ["init-db", "serve"])
def test_a_start_on_a_read_only_database_says_so_in_one_line_and_serves_nothing(
    command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import uvicorn

    monkeypatch.chdir(tmp_path)  # the engine makes the folder of a URI's "file:..." path, relative to here
    database = tmp_path / "server.db"
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("RUN_JOBS", "0")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{database}")
    assert server_cli(["init-db"]) == 0  # a database at the newest migration...
    capsys.readouterr()
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///file:{database}?mode=ro&uri=true")  # ...that takes no write
    served: list[object] = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: served.append(args))
    assert server_cli([command]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "database" in err and "readonly" in err.replace("read-only", "readonly")
    assert served == []


def test_settings_problems_are_one_line_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SECRET_KEY", "short")
    assert server_cli(["init-db"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "SECRET_KEY" in err


def test_settings_for_tests_are_long_enough(settings: Settings) -> None:
    assert len(settings.secret_key) >= 32
