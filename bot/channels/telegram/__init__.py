"""The Telegram adapter (python-telegram-bot). The only package that imports ``telegram``."""
