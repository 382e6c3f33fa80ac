"""Checks Telegram applies to message text and keyboards, and the entities it adds.

Only what a bot is likely to get wrong is modelled: lengths after entity parsing,
HTML that Telegram would refuse (a bare ``<``, unknown or unbalanced tags), callback
data over 64 bytes, and the ``bot_command`` entities PTB's CommandHandler relies on.
Markdown parse modes are passed through unchecked.
"""

from __future__ import annotations

import html
import re
from typing import Any

from bot.sandbox.errors import bad_request
from bot.sandbox.params import Params

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64

_HTML_TAGS = frozenset(
    [
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "a",
        "code",
        "pre",
        "blockquote",
        "tg-emoji",
    ]
)
_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)?(\s[^<>]*)?>")
_COMMAND_RE = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")
_BUTTON_ACTIONS = frozenset(
    [
        "callback_data",
        "url",
        "login_url",
        "switch_inline_query",
        "switch_inline_query_current_chat",
        "switch_inline_query_chosen_chat",
        "copy_text",
        "callback_game",
        "pay",
        "web_app",
    ]
)


def visible_text(text: str, parse_mode: str | None) -> str:
    """The text a user would see: HTML markup removed (and validated)."""
    if (parse_mode or "").upper() != "HTML":
        return text
    out: list[str] = []
    open_tags: list[str] = []
    pos = 0
    for match in _TAG_RE.finditer(text):
        out.append(_plain(text[pos : match.start()], text, pos))
        _track_tag(match, open_tags, text)
        pos = match.end()
    out.append(_plain(text[pos:], text, pos))
    if open_tags:
        tag = open_tags[-1]
        raise bad_request(
            f"can't parse entities: Can't find end tag corresponding to start tag \"{tag}\""
        )
    return "".join(out)


def _plain(chunk: str, text: str, offset: int) -> str:
    # Telegram refuses a bare "<" (the usual bug: unescaped user input); ">" passes.
    if "<" in chunk:
        at = len(text[: offset + chunk.find("<")].encode())
        raise bad_request(f'can\'t parse entities: Unsupported start tag "" at byte offset {at}')
    return html.unescape(chunk)


def _track_tag(match: re.Match[str], open_tags: list[str], text: str) -> None:
    closing, name = match.group(1) == "/", (match.group(2) or "").lower()
    at = len(text[: match.start()].encode())
    if name not in _HTML_TAGS:
        raise bad_request(
            f'can\'t parse entities: Unsupported start tag "{name}" at byte offset {at}'
        )
    if not closing:
        open_tags.append(name)
    elif not open_tags or open_tags[-1] != name:
        raise bad_request(f"can't parse entities: Unexpected end tag at byte offset {at}")
    else:
        open_tags.pop()


def checked_text(params: Params, name: str = "text", required: bool = True) -> str | None:
    """Validate ``text`` (or ``caption``) and return what the user sees."""
    raw = params.get_str(name)
    limit = TEXT_LIMIT if name == "text" else CAPTION_LIMIT
    if raw is None or not raw.strip():
        if required:
            raise bad_request("message text is empty")
        return None
    shown = visible_text(raw, params.get_str("parse_mode"))
    if required and not shown.strip():
        raise bad_request("message text is empty")
    if len(shown) > limit:
        raise bad_request(
            "message is too long" if name == "text" else "message caption is too long"
        )
    return shown


def checked_markup(params: Params) -> dict[str, Any] | None:
    """Parse and validate ``reply_markup``; inline buttons need text and one action."""
    markup = params.get_json("reply_markup", "can't parse reply keyboard markup JSON object")
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    rows = markup.get("inline_keyboard")
    if rows is None:
        return markup
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(
            'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays'
        )
    for row in rows:
        for button in row:
            _check_button(button)
    return markup


def _check_button(button: Any) -> None:
    if not isinstance(button, dict) or not button.get("text"):
        raise bad_request("can't parse inline keyboard button: Text must be non-empty")
    if not _BUTTON_ACTIONS & button.keys():
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    data = button.get("callback_data")
    if data is not None and not 1 <= len(str(data).encode()) <= CALLBACK_DATA_LIMIT:
        raise bad_request("BUTTON_DATA_INVALID")


def callback_datas(markup: dict[str, Any] | None) -> set[str]:
    """Every ``callback_data`` on an inline keyboard (to check simulated presses)."""
    rows = (markup or {}).get("inline_keyboard") or []
    return {b["callback_data"] for row in rows for b in row if "callback_data" in b}


def utf16_len(text: str) -> int:
    """Entity offsets and lengths count UTF-16 code units, like Telegram."""
    return len(text.encode("utf-16-le")) // 2


def command_entities(text: str) -> list[dict[str, Any]]:
    """``bot_command`` entities for each ``/command`` in ``text``."""
    return [
        {
            "type": "bot_command",
            "offset": utf16_len(text[: match.start()]),
            "length": utf16_len(match.group()),
        }
        for match in _COMMAND_RE.finditer(text)
    ]
