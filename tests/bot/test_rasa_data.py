"""The Rasa project: data validates, training is cached by content, config comes from settings."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from bot import rasa_server
from bot.settings import PROJECT_ROOT, Settings

FIXED_INTENTS = {
    "greet", "goodbye", "thanks", "affirm", "deny", "ask_howto", "file_complaint", "check_status",
    "talk_to_human", "help", "cancel", "opt_out", "bot_challenge", "out_of_scope", "inform",
}  # fmt: skip


def test_rasa_data_validate_passes(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path)
    result = subprocess.run(
        [str(rasa_server.rasa_executable(settings)), "data", "validate",
         "--config", "config.yml", "--domain", "bot/domain", "--data", "nlu/data", "bot/data"],
        cwd=PROJECT_ROOT, env=rasa_server.rasa_environment(), capture_output=True, text=True, check=False,
    )  # fmt: skip

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def _examples(path: Path) -> dict[str, list[str]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {
        item["intent"]: [
            line[2:].strip() for line in item["examples"].splitlines() if line.strip().startswith("- ")
        ]
        for item in data["nlu"]
    }


def test_every_contract_intent_has_at_least_twenty_distinct_examples() -> None:
    examples = _examples(PROJECT_ROOT / "nlu" / "data" / "nlu.yml")

    assert set(examples) >= FIXED_INTENTS
    for intent in FIXED_INTENTS:
        assert len(set(examples[intent])) >= 20, intent


def test_the_held_out_test_set_shares_no_sentence_with_training() -> None:
    train = {
        s.lower()
        for sentences in _examples(PROJECT_ROOT / "nlu" / "data" / "nlu.yml").values()
        for s in sentences
    }
    test = {
        s.lower()
        for sentences in _examples(PROJECT_ROOT / "tests" / "data" / "nlu_test.yml").values()
        for s in sentences
    }

    assert train & test == set()


def test_the_training_hash_changes_with_the_data_and_only_with_it(tmp_path: Path) -> None:
    for relative in ("config.yml", "bot/domain/core.yml", "nlu/data/nlu.yml", "README.md"):
        target = tmp_path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("v1")
    before = rasa_server.training_hash(tmp_path)

    (tmp_path / "README.md").write_text("v2")
    assert rasa_server.training_hash(tmp_path) == before

    (tmp_path / "nlu/data/nlu.yml").write_text("v2")
    assert rasa_server.training_hash(tmp_path) != before


def test_an_existing_model_for_the_same_data_is_reused(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path / "var", models_dir=tmp_path / "models")
    settings.models_dir.mkdir()
    rasa_server.model_path(settings).write_bytes(b"model")

    model, trained = rasa_server.train(settings)

    assert trained is False and model == rasa_server.model_path(settings)


def test_rasa_config_comes_from_settings_and_keeps_secrets_private(tmp_path: Path) -> None:
    settings = Settings(
        var_dir=tmp_path,
        port=8100,
        internal_token="shared-secret",
        rasa_tracker_store_url="postgresql://rasa:pw@db.internal:5433/tracker",
        rasa_lock_store_url="redis://cache.internal:6380/2",
    )

    endpoints_path, credentials_path = rasa_server.write_config(settings)
    endpoints = yaml.safe_load(endpoints_path.read_text())
    credentials = yaml.safe_load(credentials_path.read_text())

    assert endpoints["action_endpoint"] == {
        "url": "http://127.0.0.1:8100/actions/webhook",
        "token": "shared-secret",
    }
    assert endpoints["tracker_store"] == {
        "type": "SQL", "dialect": "postgresql", "host": "db.internal", "port": 5433,
        "db": "tracker", "username": "rasa", "password": "pw",
    }  # fmt: skip
    assert endpoints["lock_store"] == {"type": "redis", "url": "cache.internal", "port": 6380, "db": 2}
    assert credentials["bot.rasa_channel.LoketInput"] == {"token": "shared-secret"}
    assert endpoints_path.stat().st_mode & 0o077 == 0
