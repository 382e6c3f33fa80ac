"""Logging set-up: structured-enough lines with the instance name, and no secrets, ever.

httpx logs every request URL at INFO, and Telegram URLs contain the bot token; the
redaction filter replaces every configured secret (and anything shaped like a bot token
after ``/bot``) before a record is written anywhere.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

TOKEN_IN_URL = re.compile(r"/bot\d+:[A-Za-z0-9_-]+")


class RedactSecrets(logging.Filter):
    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return TOKEN_IN_URL.sub("/bot***", text)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = self.redact(message)
        if record.exc_info and record.exc_info[1] is not None:
            clean += "\n" + self.redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
            record.exc_text = None
        record.msg, record.args = clean, ()
        return True


def setup_logging(*, instance: str, secrets: Iterable[str], level: int = logging.INFO) -> None:
    """Root logging with the instance name in every line and the redaction filter."""
    handler = logging.StreamHandler()
    handler.setFormatter(
        logging.Formatter(f"%(asctime)s {instance} %(levelname)s %(name)s: %(message)s")
    )
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # "skipped: maximum number of running instances reached" is APScheduler saying a
    # long tick is still running, which is expected (max_instances=1); not a warning.
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
