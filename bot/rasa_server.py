"""Training and running Rasa in its own Python 3.10 environment, configured from Loket's settings."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from bot.settings import PROJECT_ROOT, Settings

# Everything that changes what Rasa learns; a change to any of these means a new model.
TRAINING_INPUTS = (
    "config.yml",
    "bot/domain/*.yml",
    "bot/data/*.yml",
    "nlu/data/*.yml",
    "nlu/normalize.py",
    "nlu/rasa_components.py",
    "nlu/lexicon/*.tsv",
)


class RasaSetupError(RuntimeError):
    """Rasa's environment or model is missing or broken; the message says what to do."""


def training_hash(root: Path = PROJECT_ROOT) -> str:
    """A hash of every training input's path and content."""
    digest = hashlib.sha256()
    for pattern in TRAINING_INPUTS:
        for path in sorted(root.glob(pattern)):
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def model_path(settings: Settings) -> Path:
    """Where the model for the current training inputs is (or will be)."""
    return settings.models_dir / f"loket-{training_hash()}.tar.gz"


def rasa_executable(settings: Settings) -> Path:
    """The ``rasa`` command of the Rasa environment."""
    executable = settings.rasa_venv / "bin" / "rasa"
    if not executable.exists():
        raise RasaSetupError(
            f"Rasa is not installed in {settings.rasa_venv}: run 'make run' or 'bin/ensure-env rasa'."
        )
    return executable


def rasa_environment() -> dict[str, str]:
    """Environment for Rasa processes: nlu/ and bot/ importable, TensorFlow quiet, no telemetry."""
    return {
        **os.environ,
        "PYTHONPATH": str(PROJECT_ROOT),
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "RASA_TELEMETRY_ENABLED": "false",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
    }


def train(settings: Settings, force: bool = False) -> tuple[Path, bool]:
    """Train unless a model for the current inputs exists; returns the model and whether it trained."""
    target = model_path(settings)
    if target.exists() and not force:
        return target, False
    settings.models_dir.mkdir(parents=True, exist_ok=True)
    command = [
        str(rasa_executable(settings)),
        "train",
        "--config", "config.yml",
        "--domain", "bot/domain",
        "--data", "nlu/data", "bot/data",
        "--out", str(settings.models_dir),
        "--fixed-model-name", target.name.removesuffix(".tar.gz"),
    ]  # fmt: skip
    log = settings.var_dir / "rasa" / "train.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as output:
        result = subprocess.run(
            command, cwd=PROJECT_ROOT, env=rasa_environment(), stdout=output, stderr=output
        )
    if result.returncode != 0 or not target.exists():
        raise RasaSetupError(f"Rasa training failed (exit {result.returncode}); see {log}.")
    return target, True


def write_config(settings: Settings) -> tuple[Path, Path]:
    """Write Rasa's endpoints.yml and credentials.yml (they hold secrets: mode 0600)."""
    folder = settings.var_dir / "rasa"
    folder.mkdir(parents=True, exist_ok=True)
    token = settings.secret("internal_token")
    endpoints: dict[str, Any] = {
        "action_endpoint": {"url": f"{settings.app_url}/actions/webhook", "token": token},
        "tracker_store": _tracker_store(settings),
    }
    if settings.rasa_lock_store_url:
        endpoints["lock_store"] = _redis_lock_store(settings.rasa_lock_store_url)
    credentials = {"bot.rasa_channel.LoketInput": {"token": token}, "rest": None}
    paths = folder / "endpoints.yml", folder / "credentials.yml"
    for path, content in zip(paths, (endpoints, credentials), strict=True):
        path.touch(mode=0o600)
        path.write_text(yaml.safe_dump(content, sort_keys=False))
    return paths


def _tracker_store(settings: Settings) -> dict[str, Any]:
    if not settings.rasa_tracker_store_url:
        return {"type": "SQL", "dialect": "sqlite", "db": str(settings.var_dir / "rasa" / "tracker.db")}
    url = make_url(settings.rasa_tracker_store_url)
    store = {
        "type": "SQL",
        "dialect": url.get_backend_name(),
        "host": url.host,
        "port": url.port,
        "db": url.database,
        "username": url.username,
        "password": url.password,
    }
    return {key: value for key, value in store.items() if value is not None}


def _redis_lock_store(redis_url: str) -> dict[str, Any]:
    url = make_url(redis_url)
    store = {
        "type": "redis",
        "url": url.host or "127.0.0.1",
        "port": url.port or 6379,
        "db": int(url.database or 0),
        "password": url.password,
    }
    return {key: value for key, value in store.items() if value is not None}


def start(settings: Settings, model: Path) -> subprocess.Popen[bytes]:
    """Start the Rasa server on 127.0.0.1:{rasa_port}; its output goes to var/rasa/rasa.log."""
    endpoints, credentials = write_config(settings)
    command = [
        str(rasa_executable(settings)),
        "run",
        "--model", str(model),
        "--endpoints", str(endpoints),
        "--credentials", str(credentials),
        "--interface", "127.0.0.1",
        "--port", str(settings.rasa_port),
    ]  # fmt: skip
    log = (settings.var_dir / "rasa" / "rasa.log").open("ab")
    return subprocess.Popen(
        command,
        cwd=PROJECT_ROOT,
        env=rasa_environment(),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # Ctrl-C reaches Loket, which then stops Rasa in order
    )


def stop(process: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    """Stop a Rasa process, politely first."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def forget_conversation(settings: Settings, conversation_id: str) -> None:
    """Delete everything Rasa's SQL tracker store keeps for one conversation (HAPUS DATA).

    Called only when no turn of that conversation is running (the contact has no unfinished
    messages), so Rasa cannot write the events back from memory.
    """
    url = settings.rasa_tracker_store_url or f"sqlite:///{settings.var_dir / 'rasa' / 'tracker.db'}"
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            if inspect(connection).has_table("events"):
                connection.execute(text("DELETE FROM events WHERE sender_id = :id"), {"id": conversation_id})
    finally:
        engine.dispose()
