"""Configuration of the local Bot API sandbox.

Everything that shapes the sandbox's behaviour lives in these dataclasses so the
test suite, the demo and the benchmarks can build one in code, the CLI can build one
from flags, and the control API can change limits and faults at run time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, replace
from typing import Any, Self

# Telegram tokens look like "123456:AAE..." (the numeric prefix is the bot's user id).
TOKEN_RE = re.compile(r"^(\d+):[A-Za-z0-9_-]{20,}$")

# Zalo tokens look like "12345689:abc-xyz" (the numeric prefix is the bot's id).
ZALO_TOKEN_RE = re.compile(r"^(\d+):[A-Za-z0-9_-]+$")

# Calls that produce or change a message: they are rate-limited, fault-injected and
# recorded in the sent log (sendSticker is Zalo's; Telegram mode does not offer it).
SENDING_METHODS = frozenset(
    {
        "sendmessage",
        "sendphoto",
        "senddocument",
        "sendsticker",
        "editmessagetext",
        "editmessagereplymarkup",
    }
)
WEBHOOK_SHAPES = ("wrapped", "flat", "alternate")


@dataclass(frozen=True)
class LimitsConfig:
    """Flood limits, defaulting to the numbers in Telegram's Bots FAQ.

    * overall: at most ``overall_per_second`` sending calls in any sliding
      ``overall_window`` seconds (paid broadcasts use ``paid_per_second`` instead);
    * private chat: a token bucket of ``private_burst`` tokens refilled at
      ``private_per_second`` tokens per second, so a short burst passes and the
      sustained rate is about one message per second;
    * group chat (negative chat id): at most ``group_per_minute`` sending calls in any
      sliding ``group_window`` seconds.
    """

    enabled: bool = True
    overall_per_second: int = 30
    overall_window: float = 1.0
    paid_per_second: int = 1000
    private_burst: int = 3
    private_per_second: float = 1.0
    group_per_minute: int = 20
    group_window: float = 60.0

    def __post_init__(self) -> None:
        for name in ("overall_per_second", "paid_per_second", "private_burst", "group_per_minute"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        for name in ("overall_window", "private_per_second", "group_window"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")

    def updated(self, changes: dict[str, Any]) -> Self:
        """Return a copy with ``changes`` applied; unknown keys raise ``ValueError``."""
        return _updated(self, changes)


@dataclass(frozen=True)
class FaultsConfig:
    """Injected failures, drawn from a seeded RNG (one draw per eligible request).

    Rates are probabilities in [0, 1] and are tried in this order: ``error_rate``
    (502 Bad Gateway), ``timeout_rate`` (hold the request ``timeout_delay`` seconds, then
    drop the connection), ``reset_rate`` (drop the connection at once) and
    ``storm_rate`` (start a 429 storm lasting ``storm_duration`` seconds). Faulted
    requests never record a message, so a retrying client cannot double-deliver.
    ``methods`` lists the Bot API methods (lower case) faults apply to; ``"*"`` = all.
    """

    seed: int | None = None
    error_rate: float = 0.0
    timeout_rate: float = 0.0
    reset_rate: float = 0.0
    storm_rate: float = 0.0
    timeout_delay: float = 10.0
    storm_duration: float = 5.0
    methods: frozenset[str] = SENDING_METHODS

    def __post_init__(self) -> None:
        # Accept any iterable of names in any case (CLI, JSON); compare in lower case.
        methods = [self.methods] if isinstance(self.methods, str) else self.methods
        object.__setattr__(self, "methods", frozenset(m.lower() for m in methods))
        for name in ("error_rate", "timeout_rate", "reset_rate", "storm_rate"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
        if self.timeout_delay < 0 or self.storm_duration < 0:
            raise ValueError("timeout_delay and storm_duration must not be negative")

    def applies_to(self, method: str) -> bool:
        """Whether faults may hit ``method`` (lower-case Bot API method name)."""
        return "*" in self.methods or method in self.methods

    def updated(self, changes: dict[str, Any]) -> Self:
        """Return a copy with ``changes`` applied; unknown keys raise ``ValueError``."""
        return _updated(self, changes)


@dataclass(frozen=True)
class ZaloConfig:
    """The Zalo Bot API side (served under ``/zalo/bot<TOKEN>/<method>``).

    ``tokens`` empty = any well-formed token. ``webhook_shape`` is how webhook
    deliveries are posted: ``wrapped`` (``{"ok":true,"result":update}``, as documented),
    ``flat`` (the bare update, as integrators observed) or ``alternate`` (wrapped, flat,
    wrapped, ...). ``message_quota`` caps accepted sends since start or reset (Zalo's
    Basic plan allows 3,000 a month), then 429 ``Quota exceeded``; ``None`` = no cap.
    ``echo_bot_messages`` feeds each message the bot sends back to it as an update
    from the bot itself, as some integrators saw on Zalo.
    """

    tokens: frozenset[str] = frozenset()
    account_name: str = "bot.baocao_sandbox"
    webhook_shape: str = "alternate"
    message_quota: int | None = None
    echo_bot_messages: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "tokens", frozenset(self.tokens))
        if self.webhook_shape not in WEBHOOK_SHAPES:
            raise ValueError(f"webhook_shape must be one of {', '.join(WEBHOOK_SHAPES)}")
        quota = self.message_quota
        if quota is not None and (isinstance(quota, bool) or not isinstance(quota, int)):
            raise ValueError("message_quota must be an integer or null")
        if quota is not None and quota < 0:
            raise ValueError("message_quota must not be negative")

    def updated(self, changes: dict[str, Any]) -> Self:
        """Return a copy with ``changes`` applied; unknown keys (and ``tokens``, fixed at
        start) raise ``ValueError``."""
        if "tokens" in changes:
            raise ValueError("tokens are fixed at start")
        return _updated(self, changes)


@dataclass(frozen=True)
class SandboxConfig:
    """How to start a sandbox. ``port=0`` picks a free port; ``tokens`` empty = any
    well-formed token is accepted."""

    host: str = "127.0.0.1"
    port: int = 0
    tokens: frozenset[str] = frozenset()
    bot_username: str = "baocao_sandbox_bot"
    bot_first_name: str = "Baocao Sandbox"
    limits: LimitsConfig = field(default_factory=LimitsConfig)
    faults: FaultsConfig = field(default_factory=FaultsConfig)
    zalo: ZaloConfig = field(default_factory=ZaloConfig)
    # Webhook delivery: attempts per update and the first back-off delay (doubles).
    webhook_attempts: int = 4
    webhook_backoff: float = 0.05

    def __post_init__(self) -> None:
        object.__setattr__(self, "tokens", frozenset(self.tokens))


def _updated(obj: Any, changes: dict[str, Any]) -> Any:
    names = {f.name: f for f in fields(obj)}
    unknown = set(changes) - set(names)
    if unknown:
        raise ValueError(f"unknown field(s): {', '.join(sorted(unknown))}")
    typed = {key: _coerce(type(getattr(obj, key)), value) for key, value in changes.items()}
    return replace(obj, **typed)


def _coerce(kind: type, value: Any) -> Any:
    # JSON gives ints where floats are expected (and vice versa); keep the declared type
    # so comparisons and arithmetic behave, and reject nonsense early.
    if value is None or kind is type(None):
        return value
    if kind is bool:
        if not isinstance(value, bool):
            raise ValueError(f"expected a boolean, got {value!r}")
        return value
    if kind in (int, float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"expected a number, got {value!r}")
        return kind(value)
    return value
