"""Server settings: read once from the environment; the signing key is generated once, kept private, reused."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from server.settings import DEFAULT_DATABASE_URL, Settings


def test_defaults_and_a_generated_secret_key_kept_with_mode_0600(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    settings = Settings.from_env({"DATA_DIR": str(data_dir)})
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.timezone == "Asia/Shanghai"
    key_file = data_dir / "secret_key"
    assert key_file.read_text() == settings.secret_key and len(settings.secret_key) >= 32
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert Settings.from_env({"DATA_DIR": str(data_dir)}).secret_key == settings.secret_key  # reused


def test_environment_values_win(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "DATA_DIR": str(tmp_path),
            "DATABASE_URL": "postgresql+psycopg://crm:pw@db/crm",
            "SECRET_KEY": "from-the-environment",
            "TIMEZONE": "Asia/Urumqi",
        }
    )
    assert settings.secret_key == "from-the-environment"
    assert not (tmp_path / "secret_key").exists()
    assert settings.database_url.startswith("postgresql+psycopg://")
    assert str(settings.tz) == "Asia/Urumqi"


def test_a_misspelt_timezone_fails_at_start(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="Asia/Shangai"):
        Settings.from_env({"DATA_DIR": str(tmp_path), "TIMEZONE": "Asia/Shangai"})
