"""The rep's app as a PWA at /app/ (server/web/pwa.py, scripts/build_pwa.py, docs/pwa.md): without a build the
server says how to make one; with one it serves the app, its manifest and service worker under the app's own
Content-Security-Policy. The build runs offline and is reproducible. The browser side: tests/e2e/test_pwa.py."""

from __future__ import annotations

import dataclasses
import io
import json
import subprocess
import sys
import tarfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from server.app import create_app
from server.db import make_engine
from server.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def build_pwa(out: Path) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_pwa.py"), "--out", str(out)],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    report: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    out = tmp_path_factory.mktemp("pwa") / "pwa"
    return out, build_pwa(out)


@pytest.fixture
async def pwa_client(
    settings: Settings, built: tuple[Path, dict[str, object]]
) -> AsyncIterator[AsyncTestClient[Litestar]]:
    engine = make_engine(settings.database_url)
    app = create_app(dataclasses.replace(settings, pwa_dir=built[0]), engine=engine)
    async with AsyncTestClient(app) as client:
        yield client
    engine.dispose()


async def test_without_a_build_the_server_says_how_to_make_one(client: AsyncTestClient[Litestar]) -> None:
    for path in ("/app", "/app/", "/app/index.html"):
        answer = await client.get(path)
        assert answer.status_code == 503, path
        assert "make pwa" in answer.text
        assert "尚未构建" in answer.text


async def test_the_built_app_is_served_under_its_own_policy(pwa_client: AsyncTestClient[Litestar]) -> None:
    page = await pwa_client.get("/app/")
    assert page.status_code == 200
    assert '<base href="/app/">' in page.text
    assert '<html lang="zh-CN">' in page.text
    assert "<script>" not in page.text  # inline scripts moved to files: script-src has no 'unsafe-inline'
    policy = page.headers["content-security-policy"]
    assert (
        "'wasm-unsafe-eval'" in policy
        and "default-src 'self'" in policy
        and "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    )
    assert page.headers["cache-control"] == "no-cache"
    config = (await pwa_client.get("/app/boot-3.js")).text
    assert 'flet.pyodideUrl="/app/pyodide/pyodide.mjs"' in config  # a URL, not a bare module specifier
    assert "flet.pyodide = true" in config
    # the supervisor pages keep theirs
    assert "wasm" not in (await pwa_client.get("/login")).headers["content-security-policy"]


async def test_manifest_and_service_worker(
    pwa_client: AsyncTestClient[Litestar], built: tuple[Path, dict[str, object]]
) -> None:
    manifest = (await pwa_client.get("/app/manifest.webmanifest")).json()
    assert manifest["start_url"] == manifest["scope"] == "/app/"
    assert manifest["display"] == "standalone"
    assert {icon["sizes"] for icon in manifest["icons"]} >= {"192x192", "512x512"}
    assert any(icon["purpose"] == "maskable" for icon in manifest["icons"])
    for icon in manifest["icons"]:
        assert (await pwa_client.get("/app/" + icon["src"])).status_code == 200
    worker = (await pwa_client.get("/app/sw.js")).text
    assert f'const VERSION = "{built[1]["version"]}";' in worker
    precache = json.loads(worker.split("const PRECACHE = ", 1)[1].split(";\n", 1)[0])
    for name in (
        "",
        "index.html",
        "app.tar.gz",
        "pyodide/pyodide.mjs",
        "pyodide/pyodide.asm.wasm",
        "fonts/wqy-microhei.ttf",
    ):
        assert name in precache
    for name in precache[1:]:
        assert (built[0] / name).is_file(), name
    # Trimmed (docs/pwa.md "Size"): what a start never asks for is served but not precached; of CanvasKit's two
    # builds only the one the page names (register-sw.js) is; Flutter is not told about fonts the app never draws.
    canvaskit = json.loads(worker.split("const CANVASKIT = ", 1)[1].split(";\n", 1)[0])
    assert set(canvaskit) == {"chromium", "full"}
    for name in [*canvaskit["chromium"], *canvaskit["full"]]:
        assert (built[0] / name).is_file() and name not in precache, name
    for name in (
        "assets/NOTICES",
        "pyodide/micropip-0.11.1-py3-none-any.whl",
        "assets/packages/cupertino_icons/assets/CupertinoIcons.ttf",
    ):
        assert name not in precache
        assert (await pwa_client.get("/app/" + name)).status_code == 200
    fonts = (await pwa_client.get("/app/assets/FontManifest.json")).json()
    assert [family["family"] for family in fonts] == ["MaterialIcons"]
    assert "sw.js?canvaskit=" in (await pwa_client.get("/app/register-sw.js")).text
    assert (await pwa_client.get("/app/fonts/wqy-microhei.ttf")).status_code == 200
    assert (await pwa_client.get("/app/register-sw.js")).status_code == 200


def test_app_archive_holds_the_app_and_its_packages(built: tuple[Path, dict[str, object]]) -> None:
    with tarfile.open(fileobj=io.BytesIO((built[0] / "app.tar.gz").read_bytes())) as tar:
        names = set(tar.getnames())
    for name in ("main.py", "client/__main__.py", "sync/protocol.py", "shared/i18n/__init__.py"):
        assert name in names
    for package in ("flet", "flet_camera", "httpx", "tinydb", "msgpack", "tzdata", "anyio", "h11"):
        assert f"__pypackages__/{package}/__init__.py" in names, package
    assert not [name for name in names if name.endswith((".so", ".pyc"))]
    assert not [name for name in names if name.startswith("server/")]  # the server stays on the server


def test_the_build_is_reproducible(tmp_path: Path, built: tuple[Path, dict[str, object]]) -> None:
    again = build_pwa(tmp_path / "again")
    assert again["version"] == built[1]["version"]
    assert (tmp_path / "again" / "app.tar.gz").read_bytes() == (built[0] / "app.tar.gz").read_bytes()
