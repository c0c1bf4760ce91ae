"""`python -m server backup|restore` on SQLite and the nginx config renderer (PostgreSQL and a running nginx:
tests/integration/test_deploy.py)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from sqlmodel import select

from server.backup import RESTORE_GAP, BackupError, backup_database, restore_database
from server.changes.log import record_change
from server.changes.tombstones import horizon
from server.db import make_engine, migrate_database, read_session, write_session
from server.deploy import nginx_config
from server.domains.users.service import create_user
from server.models import ChangeLog, User
from shared.enums import RecordKind, Role

NGINX_ARGS = {
    "upstream": ["127.0.0.1:8001", "127.0.0.1:8002"],
    "listen": "443",
    "http_listen": "80",
    "server_name": "crm.example.cn",
    "certificate": "/etc/ssl/crm.pem",
    "certificate_key": "/etc/ssl/crm.key",
    "prefix": "/var/lib/nginx/",
}


def _usernames(url: str) -> list[str]:
    engine = make_engine(url)
    try:
        with read_session(engine) as session:
            return sorted(user.username for user in session.exec(select(User)))
    finally:
        engine.dispose()


def test_a_sqlite_backup_restores_into_an_empty_database(tmp_path: Path) -> None:
    source = f"sqlite:///{tmp_path / 'live.db'}"
    engine = make_engine(source)
    migrate_database(engine)
    with write_session(engine) as session:
        create_user(session, username="li.rep", password="long-enough-1", role=Role.REP, territory="东片")
    for number in range(3):
        with write_session(engine) as session:
            record_change(session, RecordKind.NOTE, f"note-{number}", audience="东片", territory="东片", data={})
    engine.dispose()

    dump = backup_database(source, tmp_path / "backups" / "live.db.bak")
    assert not list((tmp_path / "backups").glob("*.partial"))
    target = f"sqlite:///{tmp_path / 'restored.db'}"
    restore_database(target, dump)
    assert _usernames(target) == ["li.rep"]
    # Phones' cursors may be past the backup: the numbering jumps and every older cursor must resync.
    assert _change_numbers(target) == [1, 2, 3 + RESTORE_GAP]
    engine = make_engine(target)
    with write_session(engine) as session:
        assert horizon(session) == 2 + RESTORE_GAP
        record_change(session, RecordKind.NOTE, "note-new", audience="东片", territory="东片", data={})
    engine.dispose()
    assert _change_numbers(target)[-1] == 4 + RESTORE_GAP

    with pytest.raises(BackupError, match="already holds tables"):
        restore_database(target, dump)
    restore_database(target, dump, force=True)
    assert _usernames(target) == ["li.rep"]


def _change_numbers(url: str) -> list[int]:
    engine = make_engine(url)
    try:
        with read_session(engine) as session:
            return sorted(row.seq or 0 for row in session.exec(select(ChangeLog)))
    finally:
        engine.dispose()


def test_restore_names_what_is_missing(tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="no such backup file"):
        restore_database(f"sqlite:///{tmp_path / 'x.db'}", tmp_path / "nothing.dump")
    with pytest.raises(BackupError, match="no such SQLite database"):
        backup_database(f"sqlite:///{tmp_path / 'absent.db'}", tmp_path / "out.bak")


def test_the_nginx_config_fills_every_placeholder() -> None:
    config = nginx_config(**NGINX_ARGS)  # type: ignore[arg-type]
    assert "{{" not in config and "}}" not in config
    assert "server 127.0.0.1:8001 max_fails=3" in config and "server 127.0.0.1:8002 max_fails=3" in config
    assert "listen 443 ssl;" in config and "ssl_certificate /etc/ssl/crm.pem;" in config
    assert "pid /var/lib/nginx/nginx.pid;" in config


@pytest.mark.parametrize(
    ("name", "value"),
    [("upstream", ["127.0.0.1:8001; evil"]), ("server_name", "a b"), ("certificate", "/x;y"), ("upstream", [])],
)
def test_the_nginx_config_refuses_values_that_break_its_syntax(name: str, value: object) -> None:
    with pytest.raises(ValueError):
        nginx_config(**{**NGINX_ARGS, name: value})  # type: ignore[arg-type]


def test_nginx_accepts_the_rendered_config(tmp_path: Path) -> None:
    nginx = Path("/usr/sbin/nginx")
    if not nginx.exists():
        pytest.skip("nginx is not installed (make test installs nginx-light)")
    cert, key = tmp_path / "c.pem", tmp_path / "k.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost"),
            *("-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    config = nginx_config(
        **{**NGINX_ARGS, "certificate": str(cert), "certificate_key": str(key), "prefix": str(tmp_path)}  # type: ignore[arg-type]
    )
    (tmp_path / "nginx.conf").write_text(config, encoding="utf-8")
    checked = subprocess.run(
        [str(nginx), "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr
