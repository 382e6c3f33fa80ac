"""Settings refuse placeholder tokens and never show a real token.

(``Settings`` lives in ``bot/settings.py``; its tests sit here beside the storage
configuration until ``tests/bot/`` exists.)
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.settings import PLACEHOLDER_SECRETS, Settings

REAL_LOOKING_TOKEN = "7712345678:AAHk3vQ9xL2mN8pR4sT6uW1yZ0bC5dE7fGh"
TOKEN_VARIABLES = ["TELEGRAM_BOT_TOKEN", "ZALO_BOT_TOKEN"]


@pytest.fixture(autouse=True)
def _no_ambient_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Only what a test passes counts: no tokens from the environment, no ``.env`` file."""
    for name in TOKEN_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize("variable", TOKEN_VARIABLES)
@pytest.mark.parametrize(
    "placeholder", [*sorted(PLACEHOLDER_SECRETS), "CHANGEME", "  changeme  ", "Your-Token-Here"]
)
def test_a_placeholder_token_is_refused(variable: str, placeholder: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(**{variable: placeholder})  # type: ignore[arg-type]
    assert "placeholder" in str(caught.value)


@pytest.mark.parametrize("variable", TOKEN_VARIABLES)
def test_a_placeholder_token_in_the_environment_is_refused(
    variable: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(variable, "changeme")
    with pytest.raises(ValidationError):
        Settings()


def test_a_placeholder_token_in_dot_env_is_refused(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("TELEGRAM_BOT_TOKEN=changeme\n", encoding="utf-8")
    with pytest.raises(ValidationError):
        Settings()


@pytest.mark.parametrize("variable", TOKEN_VARIABLES)
def test_a_real_token_is_kept_but_never_shown(variable: str) -> None:
    settings = Settings(**{variable: REAL_LOOKING_TOKEN})  # type: ignore[arg-type]
    field = variable.lower()
    secret = getattr(settings, field)

    assert secret.get_secret_value() == REAL_LOOKING_TOKEN
    for shown in (
        repr(settings),
        str(settings),
        repr(secret),
        str(secret),
        settings.model_dump_json(),
        str(settings.model_dump()),
    ):
        assert REAL_LOOKING_TOKEN not in shown
        assert "AAHk3vQ9" not in shown  # not even a part of it


def test_tokens_are_optional() -> None:
    settings = Settings()
    assert settings.telegram_bot_token is None and settings.zalo_bot_token is None
