"""Server settings: read once from the environment; the signing key is generated once, kept private, reused."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from server.settings import DEFAULT_DATABASE_URL, Settings, SettingsError, work_days


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
            "SECRET_KEY": "from-the-environment-0123456789abcdef",
            "TIMEZONE": "Asia/Urumqi",
        }
    )
    assert settings.secret_key == "from-the-environment-0123456789abcdef"
    assert not (tmp_path / "secret_key").exists()
    assert settings.database_url.startswith("postgresql+psycopg://")
    assert str(settings.tz) == "Asia/Urumqi"


def test_a_misspelt_timezone_fails_at_start(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="Asia/Shangai"):
        Settings.from_env({"DATA_DIR": str(tmp_path), "TIMEZONE": "Asia/Shangai"})


# ---- issue 15, item 5: a disk-full first start ------------------------------------------------------------


def test_a_short_or_empty_secret_key_is_refused_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"SECRET_KEY.*32"):
        Settings.from_env({"DATA_DIR": str(tmp_path), "SECRET_KEY": "short-key"})
    with pytest.raises(ValueError, match=r"SECRET_KEY.*32"):
        Settings.from_env({"DATA_DIR": str(tmp_path), "SECRET_KEY": " " * 40})
    assert Settings.from_env({"DATA_DIR": str(tmp_path), "SECRET_KEY": "k" * 32}).secret_key == "k" * 32


def test_an_empty_secret_key_file_left_by_an_earlier_start_is_refused_naming_it(tmp_path: Path) -> None:
    (tmp_path / "secret_key").write_text("")  # what a start on a full disk used to leave behind
    with pytest.raises(ValueError, match=r"secret_key is empty"):
        Settings.from_env({"DATA_DIR": str(tmp_path)})
    (tmp_path / "secret_key").write_text("too-short")
    with pytest.raises(ValueError, match=r"secret_key.*32"):
        Settings.from_env({"DATA_DIR": str(tmp_path)})


def test_a_first_start_on_a_full_disk_leaves_no_key_file_and_the_next_start_makes_a_whole_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno
    import os

    def disk_full(fd: int) -> None:  # the data never reached the disk
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as patched:
        patched.setattr(os, "fsync", disk_full)
        with pytest.raises(ValueError, match=r"DATA_DIR.*No space left"):
            Settings.from_env({"DATA_DIR": str(tmp_path)})
    assert list(tmp_path.iterdir()) == []  # no empty key, no temporary file
    settings = Settings.from_env({"DATA_DIR": str(tmp_path)})
    assert len(settings.secret_key) >= 32 and (tmp_path / "secret_key").read_text() == settings.secret_key
    assert [path.name for path in tmp_path.iterdir()] == ["secret_key"]


def test_work_days_are_iso_weekdays_and_a_bad_value_names_the_setting() -> None:
    assert work_days("1-6") == frozenset({1, 2, 3, 4, 5, 6})
    assert work_days("1,3,5") == frozenset({1, 3, 5})
    with pytest.raises(SettingsError, match="WORK_DAYS"):
        work_days("Mon-Fri")
