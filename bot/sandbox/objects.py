"""The sandbox's users, chats and files, and their Telegram JSON shapes.

State keeps these plain records; ``to_tg`` renders Telegram's wire objects so a later
Zalo dialect can render the same records its own way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class User:
    """A simulated human user (with a private chat whose id equals ``user_id``)."""

    user_id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None

    def to_tg(self) -> dict[str, Any]:
        return _compact(
            {
                "id": self.user_id,
                "is_bot": False,
                "first_name": self.first_name,
                "last_name": self.last_name,
                "username": self.username,
                "language_code": self.language_code,
            }
        )


@dataclass
class Chat:
    """A private chat (id > 0, same as the user) or a group (id < 0)."""

    chat_id: int
    type: str
    title: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    username: str | None = None

    @classmethod
    def private(cls, user: User) -> Chat:
        return cls(user.user_id, "private", None, user.first_name, user.last_name, user.username)

    def to_tg(self) -> dict[str, Any]:
        return _compact(
            {
                "id": self.chat_id,
                "type": self.type,
                "title": self.title,
                "first_name": self.first_name,
                "last_name": self.last_name,
                "username": self.username,
            }
        )


@dataclass
class FileInfo:
    """A file the sandbox knows: uploaded by the bot or sent by a simulated user."""

    file_id: str
    file_unique_id: str
    kind: str  # photo, document, sticker
    file_name: str | None
    mime_type: str | None
    content: bytes = field(default=b"", repr=False)
    url: str | None = None  # when the bot sent a URL instead of bytes

    @property
    def file_path(self) -> str:
        return f"{self.kind}s/{self.file_unique_id}_{self.file_name or 'file'}"

    def to_tg(self) -> dict[str, Any]:
        """The Telegram object for this file inside a Message."""
        base = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.content),
        }
        if self.kind == "photo":
            return {**base, "width": 800, "height": 600}
        if self.kind == "sticker":
            return {
                **base,
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
                "emoji": "👍",
            }
        return _compact({**base, "file_name": self.file_name, "mime_type": self.mime_type})

    def to_record(self) -> dict[str, Any]:
        """What the control API shows about a file."""
        return _compact(
            {
                "kind": self.kind,
                "file_id": self.file_id,
                "file_name": self.file_name,
                "mime_type": self.mime_type,
                "size": len(self.content),
                "url": self.url,
            }
        )

    def attach_to(self, message: dict[str, Any]) -> None:
        """Put this file into a Message dict under Telegram's field for its kind."""
        if self.kind == "photo":
            small = {**self.to_tg(), "width": 90, "height": 68}
            message["photo"] = [small, self.to_tg()]
        else:
            message[self.kind] = self.to_tg()


def bot_user(token: str, username: str, first_name: str) -> dict[str, Any]:
    """The bot's own User object: its id is the token's numeric prefix."""
    return {
        "id": int(token.split(":", 1)[0]),
        "is_bot": True,
        "first_name": first_name,
        "username": username,
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
    }


def _compact(obj: dict[str, Any]) -> dict[str, Any]:
    # Telegram omits absent optional fields rather than sending null.
    return {key: value for key, value in obj.items() if value is not None}
