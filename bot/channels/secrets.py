"""Secrets derived from tokens (webhook secrets), so logging can redact them too."""

from __future__ import annotations

import base64
import hashlib


def webhook_secret(token: str, configured: str | None = None) -> str:
    """The configured secret, else one derived from the token: the same on every instance,
    unguessable without the token, and within Telegram's 1-256 ``[A-Za-z0-9_-]``."""
    if configured:
        return configured
    digest = hashlib.sha256(f"baocao-webhook:{token}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def derived_secrets(tokens: list[str]) -> list[str]:
    return [webhook_secret(token) for token in tokens]
