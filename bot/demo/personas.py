"""Scripted people: each reads what the bot sends them and answers as their role would."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.client import SandboxClient

Message = dict[str, Any]
Say = Callable[[str, str, str], None]  # (who, direction, text) → transcript


@dataclass
class Persona:
    """A focal point or coordinator with a plan for answering reminders.

    ``answers`` is consumed one reminder at a time: a status label to tap (with the note
    to send, or None to tap ``Bỏ qua``), ``"snooze"`` to tap ``Nhắc lại sau``, or
    ``"ignore"``; when it runs out the persona stays silent.
    """

    name: str
    agency: str
    role: str = "focal"
    answers: list[tuple[str, str | None]] = field(default_factory=list)
    user_id: int = 0
    seen: int = 0

    def register(self, client: SandboxClient, token: str, say: Say) -> None:
        self.user_id = int(client.create_user(first_name=self.name)["user_id"])
        self.seen = client.mark()
        self.send(client, f"/start {token}", say)

    def send(self, client: SandboxClient, text: str, say: Say, expect: int = 1) -> list[Message]:
        say(self.name, "→", text)
        client.send_text(self.user_id, text)
        return self.read(client, say, expect)

    def tap(self, client: SandboxClient, message: Message, label: str, say: Say) -> list[Message]:
        data = next(
            b["callback_data"]
            for row in message["reply_markup"]["inline_keyboard"]
            for b in row
            if b["text"] == label
        )
        say(self.name, "→", f"[{label}]")
        client.press_button(self.user_id, int(message["message_id"]), data)
        return self.read(client, say, 1)

    def read(self, client: SandboxClient, say: Say, expect: int) -> list[Message]:
        got = client.wait_sent(chat_id=self.user_id, count=expect, since_id=self.seen, timeout=20)
        self.seen = int(got[-1]["id"])
        for message in got:
            say(self.name, "←", message.get("text") or message.get("caption") or "[ảnh]")
        return got

    def inbox(self, client: SandboxClient) -> list[Message]:
        """New messages since last read (reminders, digests), without waiting."""
        got = client.sent(chat_id=self.user_id, since_id=self.seen)
        if got:
            self.seen = int(got[-1]["id"])
        return got

    def answer(self, client: SandboxClient, reminder: Message, say: Say) -> None:
        if not self.answers or not reminder.get("reply_markup"):
            return
        choice, note = self.answers.pop(0)
        if choice == "ignore":
            return
        if choice == "snooze":
            self.tap(client, reminder, "Nhắc lại sau", say)
            return
        prompt = self.tap(client, reminder, choice, say)[-1]
        if note is None:
            self.tap(client, prompt, "Bỏ qua", say)
        else:
            self.send(client, note, say)


def cast() -> list[Persona]:
    """The people of the demo: one coordinator and six focal points of the seed plan."""
    return [
        Persona("Lê Thị Chi", "SLDTBXH", role="coordinator"),
        Persona(
            "Nguyễn Văn An",
            "SNV",
            answers=[("Hoàn thành", "Đã gửi Báo cáo số 112/BC-SNV ngày 21/5/2021.")],
        ),
        Persona(
            "Trần Thị Bình",
            "STP",
            answers=[
                ("ignore", None),
                (
                    "Gặp vướng mắc",
                    "Chưa tổng hợp được số liệu kết hôn có yếu tố nước ngoài của "
                    "cấp huyện; đề nghị gia hạn đến ngày 04/6/2021.",
                ),
            ],
        ),
        Persona(
            "Phạm Quốc Cường",
            "SGDDT",
            answers=[
                ("Đang thực hiện", "Đang tổng hợp số liệu từ các trường."),
                ("Hoàn thành", None),
            ],
        ),
        Persona("Hoàng Thị Dung", "SYT", answers=[("snooze", None), ("Hoàn thành", None)]),
        Persona("Vũ Minh Đức", "STC"),
        Persona("Đỗ Thị Giang", "UBND-DONGXOAI"),
    ]
