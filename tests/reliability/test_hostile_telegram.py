"""Malformed Telegram updates through the whole inbound path, in process: the raw bytes
are decoded as python-telegram-bot decodes a server answer (``parse_json_payload``), parsed
with ``Update.de_json``, turned into a core event by ``convert.to_inbound`` and handled by
the core. Updates start well-formed and are then mutated: unknown fields added anywhere,
fields removed (required ones included), values of the wrong type, huge texts, invalid
UTF-8 in a document's file name (and the JSON escape of a lone surrogate).

- ``Update.de_json`` builds an update or refuses the JSON (python-telegram-bot's part: the
  running bot's answer to an update it cannot parse is in the end-to-end test);
- ``to_inbound`` never raises: it returns an event or None (not for the core);
- the core never apologises (no internal error) for what ``to_inbound`` hands it.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from telegram import Update
from telegram.request import BaseRequest

from bot.channels.telegram.convert import to_inbound
from tests.reliability.world import MEMBERS, STRANGER, World, build_template

BAD_NAME = "@@invalid-utf8@@"
BAD_BYTES = b"\xff\xfe bi\xc3\xa1o c\xc3( \xed\xa0\x80.docx"  # broken and surrogate UTF-8


def _user(chat: int) -> dict[str, Any]:
    return {"id": chat, "is_bot": False, "first_name": "Người", "language_code": "vi"}


def _chat(chat: int) -> dict[str, Any]:
    return {"id": chat, "type": "private", "first_name": "Người"}


def _message(chat: int, **content: Any) -> dict[str, Any]:
    return {
        "message_id": 7,
        "date": 1621900000,
        "chat": _chat(chat),
        "from": _user(chat),
        **content,
    }


def _bases(chat: int) -> list[dict[str, Any]]:
    return [
        {"update_id": 1, "message": _message(chat, text="/report")},
        {"update_id": 2, "message": _message(chat, text="1")},
        {"update_id": 3, "edited_message": {**_message(chat, text="2"), "edit_date": 1621900100}},
        {
            "update_id": 4,
            "message": _message(
                chat,
                caption="Báo cáo",
                document={
                    "file_id": "BQACAgIAAxk",
                    "file_unique_id": "AgAD",
                    "file_name": BAD_NAME,
                    "mime_type": "application/pdf",
                    "file_size": 1024,
                },
            ),
        },
        {
            "update_id": 5,
            "message": _message(
                chat,
                photo=[{"file_id": "AgAC", "file_unique_id": "AQAD", "width": 90, "height": 90}],
            ),
        },
        {
            "update_id": 6,
            "message": _message(
                chat,
                sticker={
                    "file_id": "CAAC",
                    "file_unique_id": "AgAD",
                    "type": "regular",
                    "width": 512,
                    "height": 512,
                    "is_animated": False,
                    "is_video": False,
                },
            ),
        },
        {
            "update_id": 7,
            "callback_query": {
                "id": "4000000000001",
                "from": _user(chat),
                "chat_instance": "79",
                "data": "q:3:done",
                "message": _message(chat, text="Kính gửi đồng chí"),
            },
        },
        {
            "update_id": 8,
            "message": {
                **_message(chat, text="/status"),
                "chat": {"id": -100123, "type": "supergroup", "title": "Nhóm"},
            },
        },
        {
            "update_id": 9,
            "my_chat_member": {
                "chat": _chat(chat),
                "from": _user(chat),
                "date": 1621900000,
                "old_chat_member": {"status": "member", "user": _user(1)},
                "new_chat_member": {"status": "kicked", "user": _user(1), "until_date": 0},
            },
        },
    ]


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)
odd_texts = st.one_of(
    st.sampled_from(["", " ", "/", "/@", "/start@", "\u200b/report", "\u202e/help", "q:3:done"]),
    st.builds(
        lambda c, n: c * n, st.sampled_from(["x", "á", "\u200b", "9"]), st.integers(5000, 70000)
    ),
    st.just("\udcff\ud800 lone surrogates"),
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


def _parent(root: Any, path: tuple[Any, ...]) -> Any:
    for key in path[:-1]:
        root = root[key]
    return root


@st.composite
def raw_updates(draw: st.DrawFn) -> bytes:
    chat = int(draw(st.sampled_from([m.chat for m in MEMBERS] + [STRANGER])))
    update = copy.deepcopy(draw(st.sampled_from(_bases(chat))))
    for _ in range(draw(st.integers(0, 4))):
        paths = _paths(update)
        path = draw(st.sampled_from(paths))
        parent = _parent(update, path)
        operation = draw(st.sampled_from(["add", "remove", "retype", "text"]))
        if operation == "add" and isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=12))] = draw(json_values)
        elif operation == "remove" and isinstance(parent, dict) and len(path) > 1:
            parent.pop(path[-1], None)
        elif operation == "retype":
            parent[path[-1]] = draw(json_values)
        elif operation == "text" and isinstance(parent, dict):
            parent[path[-1]] = draw(odd_texts)
    encoded = json.dumps(update).encode()  # ensure_ascii: a lone surrogate becomes \udcff
    return encoded.replace(json.dumps(BAD_NAME).encode(), b'"' + BAD_BYTES + b'"')


@pytest.fixture(scope="module")
def world(plan_database: Path) -> Any:
    with TemporaryDirectory() as directory:
        template = build_template(plan_database, Path(directory) / "template.db")
        opened = World.open(template, Path(directory))
        yield opened
        opened.close()


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(raw=raw_updates())
def test_malformed_updates_are_refused_or_handled_never_crash(world: World, raw: bytes) -> None:
    world.apologies.clear()
    data = BaseRequest.parse_json_payload(raw)  # as PTB decodes getUpdates answers
    try:
        update = Update.de_json(data, None)
    except Exception:
        return  # python-telegram-bot refuses it whole; nothing reaches the adapter
    event = to_inbound(update)
    if event is None:
        return
    world.handle(event)
    assert not world.apologies, f"the core apologised for {event!r}:\n{world.apologies[0][1]}"


def test_a_document_name_with_invalid_utf8_reaches_the_core_replaced(world: World) -> None:
    raw = json.dumps(_bases(int(MEMBERS[0].chat))[3]).encode()
    raw = raw.replace(json.dumps(BAD_NAME).encode(), b'"' + BAD_BYTES + b'"')
    event = to_inbound(Update.de_json(BaseRequest.parse_json_payload(raw), None))
    assert event is not None and event.attachment is not None
    assert event.attachment.file_name is not None and "\ufffd" in event.attachment.file_name
    world.apologies.clear()
    world.handle(event)
    assert not world.apologies
