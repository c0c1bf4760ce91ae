"""docs/deploy.md, performed: nginx with TLS in front of two server processes on one PostgreSQL, then a backup
taken with `python -m server backup` restored into a new database that a third process serves.

Real components only: Debian's nginx (config from `python -m server nginx-config`), a certificate made by
openssl, `python -m server serve` processes, pg_dump and pg_restore. Runs in the PostgreSQL pass of
`make test` (scripts/test-postgres.sh installs nginx-light where it is missing).
"""

from __future__ import annotations

import json
import os
import shutil
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bench.server_process import ServerDir, free_port, running_server
from server.db import make_engine
from shared.ids import new_id
from sync.protocol import SCHEMA_VERSION
from tests.integration.conftest import TEST_DATABASE_URL, drop_schema

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"  # root's PATH has /usr/sbin; not every PATH does
pytestmark = [
    pytest.mark.skipif(
        not TEST_DATABASE_URL.startswith("postgresql"), reason="needs PostgreSQL: run scripts/test-postgres.sh"
    ),
    pytest.mark.skipif(not os.access(NGINX, os.X_OK), reason="needs nginx: apt-get install nginx-light"),
]
PASSWORD = "deploy-pass-123"
VISITS = 20


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    engine = make_engine(TEST_DATABASE_URL)
    drop_schema(engine)  # the processes migrate it themselves, as in production
    engine.dispose()
    yield TEST_DATABASE_URL


def _certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost"),
            *("-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


@pytest.fixture(scope="module")
def nginx_in_front(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Iterator[dict[str, Any]]:
    """Two server processes sharing one configuration (SECRET_KEY, DATABASE_URL) behind nginx, for the module."""
    tmp_path = tmp_path_factory.mktemp("deploy")
    directory = ServerDir(
        tmp_path / "server",
        database_url,
        extra_env={"LOG_FORMAT": "json", "COOKIE_SECURE": "1", "RUN_JOBS": "1"},
    )
    directory.path.mkdir()
    directory.cli(
        "create-user", "--username", "rep.deploy", "--password", PASSWORD, "--role", "rep", "--territory", "东片"
    )
    directory.cli("create-user", "--username", "boss.deploy", "--password", PASSWORD, "--role", "supervisor")
    cert, key = _certificate(tmp_path)
    prefix = tmp_path / "nginx"
    for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (prefix / sub).mkdir(parents=True)
        os.chmod(prefix / sub, 0o777)  # nginx's workers run as an unprivileged user when started as root
    https_port, http_port = free_port(), free_port()
    with running_server(directory) as first, running_server(directory) as second:
        upstreams = [first.base_url.removeprefix("http://"), second.base_url.removeprefix("http://")]
        config = directory.cli(
            "nginx-config",
            *[arg for address in upstreams for arg in ("--upstream", address)],
            "--listen",
            f"127.0.0.1:{https_port}",
            "--http-listen",
            f"127.0.0.1:{http_port}",
            "--certificate",
            str(cert),
            "--certificate-key",
            str(key),
            "--prefix",
            str(prefix),
        )
        (prefix / "nginx.conf").write_text(config, encoding="utf-8")
        test = subprocess.run([NGINX, "-t", "-p", str(prefix), "-c", str(prefix / "nginx.conf")], capture_output=True)
        assert test.returncode == 0, test.stderr.decode()
        nginx = subprocess.Popen(
            [NGINX, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-g", "daemon off;"],
            stderr=subprocess.PIPE,
        )
        try:
            base = f"https://127.0.0.1:{https_port}"
            trusted = ssl.create_default_context(cafile=str(cert))
            with httpx.Client(base_url=base, verify=trusted, timeout=30) as client:
                _wait_until_up(client, nginx)
                yield {
                    "client": client,
                    "cert": cert,
                    "http_url": f"http://127.0.0.1:{http_port}",
                    "processes": [first, second],
                    "directory": directory,
                }
        finally:
            nginx.terminate()
            nginx.wait(timeout=15)


def _wait_until_up(client: httpx.Client, nginx: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while True:
        assert nginx.poll() is None, f"nginx exited: {nginx.stderr.read().decode() if nginx.stderr else ''}"
        try:
            if client.get("/health").status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "nginx did not answer /health within 30 s"
        time.sleep(0.1)


def _push_visits(client: httpx.Client, headers: dict[str, str], device: str) -> list[str]:
    """A prospect and VISITS visits, one push request each (round robin spreads them over the processes)."""
    customer_id = new_id()
    ops = [("customer", customer_id, {"name": "部署测试诊所", "kind": "clinic", "status": "prospect"})]
    visit_ids = [new_id() for _ in range(VISITS)]
    ops += [
        (
            "visit",
            visit_id,
            {"customer_id": customer_id, "visit_type": "day", "check_in_at": f"2026-11-26T0{i % 10}:00:00+08:00"},
        )
        for i, visit_id in enumerate(visit_ids)
    ]
    for seq, (kind, record_id, fields) in enumerate(ops, start=1):
        op = {
            "op_id": new_id(),
            "device_id": device,
            "seq": seq,
            "kind": kind,
            "record_id": record_id,
            "action": "put",
            "fields": fields,
            "made_at": "2026-11-26T01:00:00+00:00",
        }
        body = {"device_id": device, "schema_version": SCHEMA_VERSION, "ops": [op]}
        response = client.post("/api/sync/push", json=body, headers=headers)
        assert response.status_code == 200, response.text
        assert response.json()["results"][0]["status"] == "applied", response.text
    return visit_ids


def _pulled_visit_ids(client: httpx.Client, headers: dict[str, str]) -> list[str]:
    cursor, seen = 0, []
    while True:
        page = client.post(
            "/api/sync/pull",
            json={"cursor": cursor, "schema_version": SCHEMA_VERSION, "limit": 7, "full": True},
            headers=headers,
        )
        assert page.status_code == 200, page.text
        body = page.json()
        seen += [change["record_id"] for change in body["changes"] if change["kind"] == "visit"]
        cursor = body["cursor"]
        if not body["has_more"]:
            return seen


def _cursor(client: httpx.Client, headers: dict[str, str]) -> int:
    """The cursor a phone holds once it has pulled everything."""
    cursor = 0
    while True:
        body = client.post(
            "/api/sync/pull", json={"cursor": cursor, "schema_version": SCHEMA_VERSION}, headers=headers
        ).json()
        cursor = body["cursor"]
        if not body["has_more"]:
            return int(cursor)


def _requests_served(base_url: str, path: str) -> float:
    metrics = httpx.get(f"{base_url}/metrics", timeout=10).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith("routecrm_requests_total{") and f'path="{path}"' in line
    )


def _login(client: httpx.Client) -> dict[str, str]:
    response = client.post("/api/auth/login", json={"username": "rep.deploy", "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def test_two_processes_behind_nginx_with_tls(nginx_in_front: dict[str, Any]) -> None:
    client: httpx.Client = nginx_in_front["client"]

    plain = httpx.get(f"{nginx_in_front['http_url']}/board", follow_redirects=False, timeout=10)
    assert plain.status_code == 301 and plain.headers["location"].startswith("https://")
    health = client.get("/health")
    assert health.json()["database"] == "ok"
    assert "max-age" in health.headers["strict-transport-security"]
    assert client.get("/metrics").status_code == 404, "metrics must not be reachable through the proxy"

    headers = _login(client)
    visit_ids = _push_visits(client, headers, "deploy-phone-1")
    pulled = _pulled_visit_ids(client, headers)
    assert sorted(pulled) == sorted(visit_ids), "every visit pulled back through the proxy, none twice"

    # Both processes took pushes: they share nothing but the database.
    served = [_requests_served(process.base_url, "/api/sync/push") for process in nginx_in_front["processes"]]
    assert all(count >= 1 for count in served) and sum(served) == VISITS + 1, served

    # The web view behind TLS: the session cookie is Secure and HttpOnly (the app sees https via the proxy).
    form = client.get("/login")
    token = form.text.split('name="_csrf_token" value="', 1)[1].split('"', 1)[0]
    signed_in = client.post(
        "/login",
        data={"username": "boss.deploy", "password": PASSWORD, "next": "/board", "_csrf_token": token},
        follow_redirects=False,
    )
    assert signed_in.status_code in (302, 303), signed_in.text
    cookie = next(
        value for name, value in signed_in.headers.multi_items() if name == "set-cookie" and value.startswith("token=")
    )
    assert "Secure" in cookie and "HttpOnly" in cookie
    assert client.get("/board").status_code == 200

    # Each process logs JSON lines, access lines with fields.
    logs = sorted(nginx_in_front["directory"].path.glob("server-*.log"))
    assert len(logs) == 2
    for log in logs:
        lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]
        assert any(line.get("path") == "/api/sync/push" and line.get("status") == 200 for line in lines)


def test_a_backup_restores_into_a_new_database_that_serves_the_same_records(
    nginx_in_front: dict[str, Any], tmp_path: Path
) -> None:
    client: httpx.Client = nginx_in_front["client"]
    headers = _login(client)
    _push_visits(client, headers, "deploy-phone-2")
    visit_ids = _pulled_visit_ids(client, headers)  # this device's and any other's, as the live servers see them
    cursor = _cursor(client, headers)
    assert len(visit_ids) >= VISITS
    directory: ServerDir = nginx_in_front["directory"]
    dump = tmp_path / "routecrm.dump"
    directory.cli("backup", str(dump))
    assert dump.stat().st_size > 0

    restored_url = _new_database(directory.database_url, "routecrm_restored")
    try:
        restored = ServerDir(tmp_path / "restored", restored_url, extra_env={"RUN_JOBS": "0"})
        restored.path.mkdir()
        restored.cli("restore", str(dump))
        with pytest.raises(RuntimeError, match="already holds tables"):
            restored.cli("restore", str(dump))  # never over data without --force
        with running_server(restored) as server, httpx.Client(base_url=server.base_url, timeout=30) as direct:
            headers = _login(direct)
            # A phone's cursor from before the restore: told to resync fully, never silently behind.
            stale = direct.post(
                "/api/sync/pull", json={"cursor": cursor, "schema_version": SCHEMA_VERSION}, headers=headers
            )
            assert stale.status_code == 410 and stale.json()["error"]["code"] == "resync_required", stale.text
            assert sorted(_pulled_visit_ids(direct, headers)) == sorted(visit_ids)
            fresh = direct.post(
                "/api/sync/pull",
                json={"cursor": _cursor(direct, headers), "schema_version": SCHEMA_VERSION},
                headers=headers,
            )
            assert fresh.status_code == 200, "after the full resync the phone syncs on as usual"
    finally:
        _drop_database(directory.database_url, "routecrm_restored")


def _new_database(url: str, name: str) -> str:
    _drop_database(url, name)
    engine = make_engine(url)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def _drop_database(url: str, name: str) -> None:
    engine = make_engine(url)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()
