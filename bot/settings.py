"""Typed settings from the environment and ``.env``, built once in the composition root.

Secrets are ``SecretStr``: their value never appears in ``repr``, logs or error messages.
"""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRETS = {"changeme", "change-me", "your-token-here", "xxx", "token"}
# The example token from Telegram's own documentation, often pasted by mistake.
DOCUMENTATION_TOKENS = {"123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11"}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = Field(default="sqlite:///baocao.db", alias="DATABASE_URL")
    telegram_bot_token: SecretStr | None = Field(default=None, alias="TELEGRAM_BOT_TOKEN")
    telegram_base_url: str = Field(
        default="https://api.telegram.org/bot", alias="TELEGRAM_BASE_URL"
    )
    telegram_bot_username: str | None = Field(default=None, alias="TELEGRAM_BOT_USERNAME")
    zalo_bot_token: SecretStr | None = Field(default=None, alias="ZALO_BOT_TOKEN")
    zalo_base_url: str = Field(default="https://bot-api.zaloplatforms.com", alias="ZALO_BASE_URL")
    timezone: str = Field(default="Asia/Ho_Chi_Minh", alias="BAOCAO_TIMEZONE")
    tick_seconds: float = Field(default=60.0, gt=0, alias="BAOCAO_TICK_SECONDS")
    invite_ttl_hours: int = Field(default=72, gt=0, alias="BAOCAO_INVITE_TTL_HOURS")
    # claimed_by and lease holder columns are 64 characters: a longer name could not claim
    instance_name: str = Field(
        default="baocao-1", min_length=1, max_length=64, alias="BAOCAO_INSTANCE"
    )
    default_locale: str = Field(default="vi", alias="BAOCAO_LOCALE")
    clock_file: str | None = Field(default=None, alias="BAOCAO_CLOCK_FILE")
    telegram_webhook_secret: SecretStr | None = Field(default=None, alias="TELEGRAM_WEBHOOK_SECRET")

    zalo_webhook_secret: SecretStr | None = Field(default=None, alias="ZALO_WEBHOOK_SECRET")

    @property
    def zalo_webhook_secret_value(self) -> str | None:
        secret = self.zalo_webhook_secret
        return secret.get_secret_value() if secret is not None else None

    @property
    def telegram_webhook_secret_value(self) -> str | None:
        secret = self.telegram_webhook_secret
        return secret.get_secret_value() if secret is not None else None

    @property
    def bot_username(self) -> str:
        """The Telegram username used in invite deep links."""
        return self.telegram_bot_username or "baocao_sandbox_bot"

    @field_validator("telegram_bot_token", "zalo_bot_token")
    @classmethod
    def _refuse_placeholders(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        secret = value.get_secret_value().strip()
        if not secret:
            return None  # an empty variable means "not configured"
        if secret.lower() in PLACEHOLDER_SECRETS or secret in DOCUMENTATION_TOKENS:
            raise ValueError("is a placeholder; set the real token in the environment or .env")
        return value
