"""The phone app as `flet build` packages it (mobile/pyproject.toml, scripts/build-phone.sh).

`flet build` itself needs the Flutter and Android SDKs and downloads, which this machine does not have; what
can be checked here is what the build would take: the staged tree runs with the phone's dependencies only
(nothing of the server's), and those dependencies are pinned as the rest of the project pins them.
"""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
PHONE_PACKAGES = ("client", "sync", "shared")
# What the phone must never carry: the server and its libraries.
SERVER_ONLY = ("server", "litestar", "sqlmodel", "sqlalchemy", "alembic", "psycopg", "prometheus_client", "uvicorn")
# Import names of distributions whose module name differs from the distribution's.
IMPORT_NAMES = {
    "argon2-cffi": "argon2",
    "flet-geolocator": "flet_geolocator",
    "flet-camera": "flet_camera",
    "pillow": "PIL",
}
# Imported by phone code where present and done without where not: Pillow burns the stamp into a live photo
# (client/features/photos/stamp.py); the PWA (Pyodide) does not carry it, and there the photo is kept unstamped
# (tests/unit/test_photo_capture.py).
OPTIONAL_ON_PHONE = {"PIL"}
# Pins of the phone that differ from the project's, each because pypi.flet.dev builds no other version: Pillow
# (the project's 13.0.0 is for the server's thumbnails; the phone's stamp code runs on both).
PHONE_OWN_PINS = {"pillow": "==10.4.0"}
FLET_PERMISSIONS = {"location", "camera", "microphone", "photo_library"}
# Binary distributions and the versions Flet's phone package index (pypi.flet.dev) has Android and iOS wheels
# for, from https://docs.flet.dev/reference/binary-packages-android-ios (the ones the phone app can reach).
# `flet build` installs from that index: a binary pin it has no wheel for fails the build.
MOBILE_WHEELS = {
    "argon2-cffi-bindings": {"21.2.0"},
    "cffi": {"1.17.1"},
    "cryptography": {"43.0.1"},
    "msgpack": {"1.1.0"},
    "pillow": {"10.4.0"},
    "pydantic-core": {"2.23.3"},
    "websockets": {"13.0.1"},
    "pyyaml": {"6.0.2"},
}


def pins(pyproject: Path) -> dict[str, str]:
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    return {Requirement(line).name: str(Requirement(line).specifier) for line in data["project"]["dependencies"]}


def phone_project() -> dict:
    return tomllib.loads((ROOT / "mobile" / "pyproject.toml").read_text(encoding="utf-8"))


def test_the_phone_pins_what_the_project_pins() -> None:
    phone, project = pins(ROOT / "mobile" / "pyproject.toml"), pins(ROOT / "pyproject.toml")
    assert phone, "the phone app declares no dependencies"
    for name, specifier in phone.items():
        assert specifier.startswith("=="), f"{name} is not pinned in mobile/pyproject.toml"
        expected = PHONE_OWN_PINS.get(name, project.get(name))
        assert specifier == expected, f"{name}: phone {specifier}, project {project.get(name)}"
        assert name.split("[")[0] not in SERVER_ONLY


def phone_distributions() -> dict[str, list[Requirement]]:
    """Every distribution the phone app installs (its dependencies, transitively), with what asks for it."""
    wanted: dict[str, list[Requirement]] = {}
    stack = [Requirement(line) for line in phone_project()["project"]["dependencies"]]
    while stack:
        requirement = stack.pop()
        name = canonicalize_name(requirement.name)
        first = name not in wanted
        wanted.setdefault(name, []).append(requirement)
        if first:
            for line in metadata.requires(name) or []:
                needed = Requirement(line)
                if needed.marker is None or needed.marker.evaluate({"extra": "", "platform_system": "Android"}):
                    stack.append(needed)
    return wanted


def is_binary(name: str) -> bool:
    return any(str(file).endswith((".so", ".pyd")) for file in metadata.distribution(name).files or [])


def test_every_binary_package_of_the_phone_has_a_phone_wheel() -> None:
    """Found by this test: cryptography 50.0.2 was pinned, and pypi.flet.dev builds only 43.0.1."""
    binary = {name: asked for name, asked in phone_distributions().items() if is_binary(name)}
    assert {"cryptography", "cffi", "argon2-cffi-bindings"} <= set(binary)
    for name, asked in binary.items():
        assert name in MOBILE_WHEELS, f"{name} is binary and pypi.flet.dev has no wheel for it"
        usable = [v for v in MOBILE_WHEELS[name] if all(r.specifier.contains(Version(v)) for r in asked)]
        specifiers = ", ".join(str(r.specifier) or "any" for r in asked)
        assert usable, f"{name}: asked for {specifiers}; phone wheels exist for {sorted(MOBILE_WHEELS[name])}"


def test_the_flet_build_settings_name_an_entry_point_and_known_permissions() -> None:
    flet = phone_project()["tool"]["flet"]
    assert (ROOT / "mobile" / f"{flet['app']['module']}.py").is_file()
    assert set(flet["permissions"]) <= FLET_PERMISSIONS
    assert flet["org"] and flet["product"]


def test_the_phone_code_imports_only_the_standard_library_and_its_declared_dependencies() -> None:
    declared = {IMPORT_NAMES.get(name, name.replace("-", "_")) for name in pins(ROOT / "mobile" / "pyproject.toml")}
    # Pyodide's own modules, imported only inside the PWA's seams (client/browser.py, client/storage/crypto.py)
    pyodide_modules = {"js", "pyodide", "pyodide_js"}
    allowed = set(sys.stdlib_module_names) | declared | set(PHONE_PACKAGES) | OPTIONAL_ON_PHONE | pyodide_modules
    for package in PHONE_PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.split(".")[0]
                    assert top in allowed, f"{path.relative_to(ROOT)} imports {name}, not a phone dependency"


def test_the_staged_app_starts_without_the_server(tmp_path: Path) -> None:
    """Stage as the build does, then import every phone module from the staged tree, the server's blocked."""
    stage = tmp_path / "phone"
    subprocess.run(
        ["bash", str(ROOT / "scripts" / "build-phone.sh"), "--stage-only"],
        check=True,
        env={"PATH": "/usr/bin:/bin", "PHONE_STAGE": str(stage)},
        capture_output=True,
    )
    assert (stage / "main.py").is_file() and (stage / "pyproject.toml").is_file()
    assert not (stage / "server").exists() and not (stage / "tests").exists()
    modules = sorted(
        ".".join(path.relative_to(stage).with_suffix("").parts).removesuffix(".__init__")
        for package in PHONE_PACKAGES
        for path in (stage / package).rglob("*.py")
        if path.name != "__main__.py"
    )
    script = f"""
import importlib, sys
sys.path.insert(0, {str(stage)!r})
for name in {SERVER_ONLY!r}:
    sys.modules[name] = None  # importing it now fails
for name in {modules!r}:
    module = importlib.import_module(name)
    assert module.__file__.startswith({str(stage)!r}), (name, module.__file__)
import client.__main__
print("ok", len({modules!r}))
"""
    result = subprocess.run([sys.executable, "-c", script], cwd=stage, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.startswith("ok")
