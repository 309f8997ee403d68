"""Settings come from LOKET_ environment variables, with embedded defaults that need no credentials."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.settings import Settings


def test_defaults_run_embedded_on_this_machine(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("LOKET_PORT", "LOKET_RASA_PORT", "LOKET_DATABASE_URL", "LOKET_RASA_URL"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(var_dir=tmp_path)

    assert settings.port == 8000 and settings.rasa_port == 5005
    assert settings.effective_database_url == f"sqlite:///{tmp_path / 'loket.db'}"
    assert settings.effective_rasa_url == "http://127.0.0.1:5005"
    assert settings.rasa_lock_store_url == ""  # in-memory lock store


def test_fixed_names_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOKET_PORT", "9000")
    monkeypatch.setenv("LOKET_RASA_PORT", "5900")
    monkeypatch.setenv("LOKET_DATABASE_URL", "postgresql+psycopg://loket@db/loket")
    monkeypatch.setenv("LOKET_API_TOKEN", "s3cret")
    monkeypatch.setenv("LOKET_TEST_DATABASE_URL", "postgresql+psycopg://t@db/test")
    settings = Settings()

    assert settings.port == 9000
    assert settings.effective_rasa_url == "http://127.0.0.1:5900"
    assert settings.effective_database_url == "postgresql+psycopg://loket@db/loket"
    assert settings.secret("api_token") == "s3cret"
    assert settings.test_database_url == "postgresql+psycopg://t@db/test"
    assert "s3cret" not in repr(settings)


def test_an_invalid_port_is_refused_with_the_field_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOKET_PORT", "99999")

    with pytest.raises(ValidationError, match="port"):
        Settings()


def test_an_unset_secret_is_generated_once_and_kept_private(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("LOKET_API_TOKEN", raising=False)
    settings = Settings(var_dir=tmp_path)

    first = settings.secret("api_token")

    assert len(first) >= 32
    assert Settings(var_dir=tmp_path).secret("api_token") == first
    assert stat.S_IMODE((tmp_path / "api-token").stat().st_mode) == 0o600


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")

    missing = [name for name in Settings.model_fields if f"`LOKET_{name.upper()}`" not in readme]
    assert missing == []
