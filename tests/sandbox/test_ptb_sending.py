"""python-telegram-bot 22.8 against the sandbox: sends, edits, files and their errors."""

from __future__ import annotations

import pytest
from telegram import Bot, BotCommand, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter

from bot.sandbox import AsyncSandboxClient, RunningSandbox

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # RetryAfter int

KEYBOARD = InlineKeyboardMarkup(
    [
        [InlineKeyboardButton("Đã xong", callback_data="done:1")],
        [InlineKeyboardButton("Chưa", callback_data="todo:1")],
    ]
)


async def test_message_with_inline_keyboard_is_returned_and_recorded(
    ptb: Bot, control: AsyncSandboxClient
) -> None:
    user = await control.create_user("Lan", username="lan")
    message = await ptb.send_message(user["chat_id"], "Kính gửi đồng chí", reply_markup=KEYBOARD)

    assert message.text == "Kính gửi đồng chí"
    assert message.chat.id == user["chat_id"] and message.chat.type == "private"
    assert message.from_user is not None and message.from_user.id == ptb.id
    assert message.reply_markup == KEYBOARD
    [record] = await control.sent(chat_id=user["chat_id"])
    assert record["method"] == "sendMessage"
    assert record["message_id"] == message.message_id
    assert record["text"] == "Kính gửi đồng chí"
    assert record["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "done:1"


async def test_get_me_uses_the_token_id_and_the_configured_username(ptb: Bot) -> None:
    me = await ptb.get_me()
    assert me.id == 123456789
    assert me.is_bot and me.username == "baocao_sandbox_bot"


async def test_blocked_user_gives_forbidden(ptb: Bot, control: AsyncSandboxClient) -> None:
    user = await control.create_user("Minh")
    await control.block(user["user_id"])
    with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
        await ptb.send_message(user["chat_id"], "Nhắc hạn")
    await control.unblock(user["user_id"])
    await ptb.send_message(user["chat_id"], "Nhắc hạn")
    assert [r["text"] for r in await control.sent()] == ["Nhắc hạn"]
    assert (await control.stats())["forbidden"] == 1


async def test_text_longer_than_4096_characters_is_refused(
    ptb: Bot, control: AsyncSandboxClient
) -> None:
    user = await control.create_user("Hoa")
    await ptb.send_message(user["chat_id"], "a" * 4096)
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await ptb.send_message(user["chat_id"], "a" * 4097)
    assert len(await control.sent()) == 1


async def test_unknown_chat_and_empty_text_are_bad_requests(
    ptb: Bot, control: AsyncSandboxClient
) -> None:
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await ptb.send_message(999, "hello")
    user = await control.create_user("Hoa")
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await ptb.send_message(user["chat_id"], "   ")


async def test_callback_data_over_64_bytes_is_refused(
    ptb: Bot, control: AsyncSandboxClient
) -> None:
    user = await control.create_user("Hoa")
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="đ" * 33)]])
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await ptb.send_message(user["chat_id"], "hi", reply_markup=too_long)


async def test_html_is_validated_and_recorded_as_visible_text(
    ptb: Bot, control: AsyncSandboxClient
) -> None:
    user = await control.create_user("Hoa")
    await ptb.send_message(user["chat_id"], "<b>Hạn</b> 30/11 &amp; ok", parse_mode=ParseMode.HTML)
    assert (await control.sent())[0]["text"] == "Hạn 30/11 & ok"
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await ptb.send_message(user["chat_id"], "tiến độ < 50%", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await ptb.send_message(user["chat_id"], "<b>open", parse_mode=ParseMode.HTML)


async def test_edits_change_the_message_and_identical_edits_are_refused(
    ptb: Bot, control: AsyncSandboxClient
) -> None:
    user = await control.create_user("Hoa")
    sent = await ptb.send_message(user["chat_id"], "Báo cáo?", reply_markup=KEYBOARD)
    edited = await ptb.edit_message_text("Đã ghi nhận", user["chat_id"], sent.message_id)
    assert edited.text == "Đã ghi nhận" and edited.reply_markup is None  # keyboard removed
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await ptb.edit_message_text("Đã ghi nhận", user["chat_id"], sent.message_id)
    await ptb.edit_message_reply_markup(user["chat_id"], sent.message_id, reply_markup=KEYBOARD)
    records = await control.sent(chat_id=user["chat_id"])
    assert [r["method"] for r in records] == [
        "sendMessage",
        "editMessageText",
        "editMessageReplyMarkup",
    ]
    assert records[2]["reply_markup"] == KEYBOARD.to_dict()


async def test_editing_a_missing_message_is_refused(ptb: Bot, control: AsyncSandboxClient) -> None:
    user = await control.create_user("Hoa")
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await ptb.edit_message_text("x", user["chat_id"], 42)


async def test_documents_and_photos_upload_and_can_be_resent_by_file_id(
    ptb: Bot, control: AsyncSandboxClient
) -> None:
    user = await control.create_user("Hoa")
    doc = await ptb.send_document(
        user["chat_id"], b"%PDF-1.4 bao cao", filename="bao-cao.pdf", caption="Báo cáo 6 tháng"
    )
    assert doc.document is not None and doc.document.file_name == "bao-cao.pdf"
    assert doc.caption == "Báo cáo 6 tháng"
    photo = await ptb.send_photo(user["chat_id"], b"\x89PNG chart", filename="chart.png")
    again = await ptb.send_photo(user["chat_id"], photo.photo[-1].file_id)
    assert again.photo[-1].file_id == photo.photo[-1].file_id
    records = await control.sent(chat_id=user["chat_id"])
    assert [r["file"]["kind"] for r in records] == ["document", "photo", "photo"]
    assert await control.file_content(doc.document.file_id) == b"%PDF-1.4 bao cao"


async def test_bot_downloads_a_file_the_user_sent(ptb: Bot, control: AsyncSandboxClient) -> None:
    user = await control.create_user("Hoa")
    await control.send_document(user["user_id"], "tien-do.xlsx", b"PK\x03\x04 data")
    [update] = await ptb.get_updates(timeout=0)
    assert update.message is not None and update.message.document is not None
    file = await ptb.get_file(update.message.document.file_id)
    assert bytes(await file.download_as_bytearray()) == b"PK\x03\x04 data"


async def test_commands_are_stored_per_scope_and_visible_to_control(
    ptb: Bot, control: AsyncSandboxClient
) -> None:
    commands = [BotCommand("status", "Tình hình"), BotCommand("help", "Hướng dẫn")]
    assert await ptb.set_my_commands(commands, language_code="vi")
    assert await ptb.get_my_commands(language_code="vi") == tuple(commands)
    assert await ptb.get_my_commands() == ()
    assert (await control.commands())["last"]["commands"][0]["command"] == "status"


async def test_fourth_quick_message_to_one_chat_raises_retry_after(
    ptb: Bot, control: AsyncSandboxClient, retry_seconds
) -> None:
    user = await control.create_user("Hoa")
    for n in range(3):
        await ptb.send_message(user["chat_id"], f"burst {n}")
    with pytest.raises(RetryAfter) as caught:
        await ptb.send_message(user["chat_id"], "one too many")
    assert retry_seconds(caught.value) == 1
    assert (await control.stats())["rate_limited"] == 1
    assert len(await control.sent()) == 3


async def test_malformed_and_unlisted_tokens_are_invalid(
    make_sandbox, sandbox: RunningSandbox
) -> None:
    with pytest.raises(InvalidToken):
        async with Bot("123:short", base_url=sandbox.base_url):
            pass
    strict = await make_sandbox(tokens=frozenset({"1:" + "A" * 30}))
    with pytest.raises(InvalidToken):
        async with Bot("2:" + "A" * 30, base_url=strict.base_url):
            pass
    async with Bot("1:" + "A" * 30, base_url=strict.base_url) as bot:
        assert bot.id == 1
