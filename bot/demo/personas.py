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
    channel: str = "telegram"  # on "zalo" there are no buttons: the persona types numbers
    user_id: int | str = 0
    seen: int = 0

    @property
    def label(self) -> str:
        return f"{self.name} (Zalo)" if self.channel == "zalo" else self.name

    def register(self, client: SandboxClient, token: str, say: Say) -> None:
        if self.channel == "zalo":
            self.user_id = str(
                client.create_user(channel="zalo", display_name=self.name)["user_id"]
            )
            self.seen = client.mark()
            self.send(client, token, say)  # Zalo has no deep links: the token alone
            return
        self.user_id = int(client.create_user(first_name=self.name)["user_id"])
        self.seen = client.mark()
        self.send(client, f"/start {token}", say)

    def send(self, client: SandboxClient, text: str, say: Say, expect: int = 1) -> list[Message]:
        say(self.label, "→", text)
        client.send_text(self.user_id, text)
        return self.read(client, say, expect)

    def tap(self, client: SandboxClient, message: Message, label: str, say: Say) -> list[Message]:
        data = next(
            b["callback_data"]
            for row in message["reply_markup"]["inline_keyboard"]
            for b in row
            if b["text"] == label
        )
        say(self.label, "→", f"[{label}]")
        client.press_button(self.user_id, int(message["message_id"]), data)
        return self.read(client, say, 1)

    def read(self, client: SandboxClient, say: Say, expect: int) -> list[Message]:
        got = client.wait_sent(chat_id=self.user_id, count=expect, since_id=self.seen, timeout=20)
        self.seen = int(got[-1]["id"])
        for message in got:
            say(self.label, "←", message.get("text") or message.get("caption") or "[ảnh]")
        return got

    def inbox(self, client: SandboxClient) -> list[Message]:
        """New messages since last read (reminders, digests), without waiting."""
        got = client.sent(chat_id=self.user_id, since_id=self.seen)
        if got:
            self.seen = int(got[-1]["id"])
        return got

    def answer(self, client: SandboxClient, reminder: Message, say: Say) -> None:
        if self.channel == "zalo":
            self._answer_by_number(client, reminder, say)
            return
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

    def _answer_by_number(self, client: SandboxClient, reminder: Message, say: Say) -> None:
        """Zalo: the reminder lists its choices as numbered lines; type the number."""
        text = str(reminder.get("text") or "")
        if not self.answers or "Nhắc lại sau" not in text:
            return
        choice, note = self.answers.pop(0)
        label = "Nhắc lại sau" if choice == "snooze" else choice
        number = next(
            (line.split(".", 1)[0] for line in text.splitlines() if line.endswith(f". {label}")),
            None,
        )
        if choice == "ignore" or number is None:
            return
        self.send(client, number, say)
        if choice != "snooze":
            self.send(client, note or "bỏ qua", say)


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
        Persona(
            "Lâm Văn Hòa",
            "UBND-BUDANG",
            channel="zalo",
            answers=[("Gặp vướng mắc", "Chờ số liệu của các xã; dự kiến gửi ngày 01/6/2021.")],
        ),
    ]
